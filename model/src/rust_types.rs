//! The type table: which Rust types a column may have, and what each is
//! stored as.
//!
//! The derive macro sees tokens, not resolved types, so a type is known by
//! the last segment of its path (`chrono::NaiveDate` and `NaiveDate`
//! alike). `Option<T>` makes a column NULLABLE and `Vec<T>` REPEATED
//! (`Vec<u8>` is BYTES); any other plain path is a nested struct that
//! derives `DataContract`, stored as a RECORD.

use crate::LogicalType;

/// The kind of value one element of a column holds, as its Rust type says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// `bool`.
    Bool,
    /// An integer that fits INT64.
    Int,
    /// `u64`, `i128`, `u128`, `usize`, `isize`: only as NUMERIC or
    /// BIGNUMERIC, which the field must ask for.
    WideInt,
    /// `f32`, `f64`.
    Float,
    /// `String`, `char`.
    String,
    /// `Vec<u8>`.
    Bytes,
    /// `chrono::NaiveDate`.
    Date,
    /// `chrono::NaiveTime`.
    Time,
    /// `chrono::NaiveDateTime`.
    DateTime,
    /// `chrono::DateTime<Tz>`.
    Timestamp,
    /// `rust_decimal::Decimal`.
    Decimal,
    /// `serde_json::Value`.
    Json,
    /// A struct that derives `DataContract`.
    Record,
}

/// Every Rust type name that maps to a scalar column, with its scalar.
pub const RUST_TYPES: &[(&str, Scalar)] = &[
    ("bool", Scalar::Bool),
    ("i8", Scalar::Int),
    ("i16", Scalar::Int),
    ("i32", Scalar::Int),
    ("i64", Scalar::Int),
    ("u8", Scalar::Int),
    ("u16", Scalar::Int),
    ("u32", Scalar::Int),
    ("u64", Scalar::WideInt),
    ("i128", Scalar::WideInt),
    ("u128", Scalar::WideInt),
    ("usize", Scalar::WideInt),
    ("isize", Scalar::WideInt),
    ("f32", Scalar::Float),
    ("f64", Scalar::Float),
    ("String", Scalar::String),
    ("char", Scalar::String),
    ("NaiveDate", Scalar::Date),
    ("NaiveTime", Scalar::Time),
    ("NaiveDateTime", Scalar::DateTime),
    ("DateTime", Scalar::Timestamp),
    ("Decimal", Scalar::Decimal),
    ("Value", Scalar::Json),
];

/// Common Rust types with no column type: a field of one of these is an
/// error, not a nested struct.
pub const UNSUPPORTED_RUST_TYPES: &[&str] = &[
    "HashMap", "BTreeMap", "IndexMap", "HashSet", "BTreeSet", "Box", "Rc", "Arc", "Cow", "str",
    "Duration", "Uuid",
];

impl Scalar {
    /// The scalar of a Rust type named `name` (the last segment of its
    /// path), or `None` when the table does not list it.
    pub fn of_rust_type(name: &str) -> Option<Scalar> {
        RUST_TYPES
            .iter()
            .find(|(rust, _)| *rust == name)
            .map(|(_, scalar)| *scalar)
    }

    /// The scalar a column of `logical` type holds (a NUMERIC or
    /// BIGNUMERIC column holds decimals).
    pub fn of_logical_type(logical: &LogicalType) -> Scalar {
        match logical {
            LogicalType::Bool => Scalar::Bool,
            LogicalType::Int64 => Scalar::Int,
            LogicalType::Float64 => Scalar::Float,
            LogicalType::Numeric { .. } | LogicalType::BigNumeric { .. } => Scalar::Decimal,
            LogicalType::String => Scalar::String,
            LogicalType::Bytes => Scalar::Bytes,
            LogicalType::Date => Scalar::Date,
            LogicalType::Time => Scalar::Time,
            LogicalType::DateTime => Scalar::DateTime,
            LogicalType::Timestamp => Scalar::Timestamp,
            LogicalType::Json => Scalar::Json,
            LogicalType::Record { .. } => Scalar::Record,
        }
    }

    /// Whether values of this scalar are numbers.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            Scalar::Int | Scalar::WideInt | Scalar::Float | Scalar::Decimal
        )
    }

    /// Whether values of this scalar are dates or times.
    pub fn is_temporal(self) -> bool {
        matches!(
            self,
            Scalar::Date | Scalar::Time | Scalar::DateTime | Scalar::Timestamp
        )
    }

    /// The GoogleSQL name, for messages.
    pub fn sql_name(self) -> &'static str {
        match self {
            Scalar::WideInt => "a wide integer",
            Scalar::Decimal => "NUMERIC",
            Scalar::Record => "RECORD",
            other => other
                .logical_type()
                .expect("every other scalar has a column type")
                .sql_name(),
        }
    }

    /// The column type a field of this scalar gets when it names none:
    /// `None` for a wide integer (which must name NUMERIC or BIGNUMERIC)
    /// and for a RECORD (whose sub-fields come from its own contract).
    pub fn logical_type(self) -> Option<LogicalType> {
        Some(match self {
            Scalar::Bool => LogicalType::Bool,
            Scalar::Int => LogicalType::Int64,
            Scalar::Float => LogicalType::Float64,
            Scalar::String => LogicalType::String,
            Scalar::Bytes => LogicalType::Bytes,
            Scalar::Date => LogicalType::Date,
            Scalar::Time => LogicalType::Time,
            Scalar::DateTime => LogicalType::DateTime,
            Scalar::Timestamp => LogicalType::Timestamp,
            Scalar::Decimal => LogicalType::Numeric {
                precision: None,
                scale: None,
            },
            Scalar::Json => LogicalType::Json,
            Scalar::WideInt | Scalar::Record => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_type_is_found_and_none_is_also_unsupported() {
        for (name, scalar) in RUST_TYPES {
            assert_eq!(Scalar::of_rust_type(name), Some(*scalar), "{name}");
            assert!(!UNSUPPORTED_RUST_TYPES.contains(name), "{name}");
        }
        assert_eq!(Scalar::of_rust_type("Trade"), None);
    }

    #[test]
    fn messages_name_the_googlesql_type() {
        assert_eq!(Scalar::Int.sql_name(), "INT64");
        assert_eq!(Scalar::Bool.sql_name(), "BOOL");
        assert_eq!(Scalar::Decimal.sql_name(), "NUMERIC");
        assert_eq!(Scalar::Record.sql_name(), "RECORD");
        assert_eq!(Scalar::WideInt.sql_name(), "a wide integer");
    }
}
