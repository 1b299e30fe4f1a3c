use datacontract::DataContract;

#[derive(DataContract)]
struct Level0 {
    inner: Level1,
}

#[derive(DataContract)]
struct Level1 {
    inner: Level2,
}

#[derive(DataContract)]
struct Level2 {
    inner: Level3,
}

#[derive(DataContract)]
struct Level3 {
    inner: Level4,
}

#[derive(DataContract)]
struct Level4 {
    inner: Level5,
}

#[derive(DataContract)]
struct Level5 {
    inner: Level6,
}

#[derive(DataContract)]
struct Level6 {
    inner: Level7,
}

#[derive(DataContract)]
struct Level7 {
    inner: Level8,
}

#[derive(DataContract)]
struct Level8 {
    inner: Level9,
}

#[derive(DataContract)]
struct Level9 {
    inner: Level10,
}

#[derive(DataContract)]
struct Level10 {
    inner: Level11,
}

#[derive(DataContract)]
struct Level11 {
    inner: Level12,
}

#[derive(DataContract)]
struct Level12 {
    inner: Level13,
}

#[derive(DataContract)]
struct Level13 {
    inner: Level14,
}

#[derive(DataContract)]
struct Level14 {
    inner: Level15,
}

#[derive(DataContract)]
struct Level15 {
    value: i64,
}

#[derive(DataContract)]
struct Table {
    deep: Level0,
}

fn main() {}
