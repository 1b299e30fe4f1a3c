//! A contract's columns as a database's rows arrive: every engine decodes
//! its wire format into [`Cell`]s of the contract's types, and these
//! builders turn them into Polars columns of exactly the contract's dtypes.

use polars::prelude::*;

use super::CursorValue;
use crate::schema::polars_type;
use crate::{Field, LogicalType, Mode};

/// One value, already in the contract's terms: what an engine's decoder
/// makes of a database value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// BOOL.
    Bool(bool),
    /// INT64.
    Int(i64),
    /// FLOAT64.
    Float(f64),
    /// NUMERIC(P, S), as its unscaled integer at the column's scale.
    Decimal(i128),
    /// STRING, JSON, and BIGNUMERIC (which Polars holds as exact text).
    Text(String),
    /// BYTES.
    Bytes(Vec<u8>),
    /// DATE, as days since 1970-01-01.
    Date(i32),
    /// TIME, as nanoseconds since midnight.
    Time(i64),
    /// DATETIME and TIMESTAMP, as microseconds since 1970-01-01 (UTC).
    Micros(i64),
    /// The elements of a REPEATED column's value.
    List(Vec<Cell>),
}

impl std::fmt::Display for Cell {
    /// The value as a message shows it: `42`, `"text"`, `2024-03-01`,
    /// `2024-03-01T12:00:00Z`, `NULL`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Null => write!(f, "NULL"),
            Cell::Bool(value) => write!(f, "{value}"),
            Cell::Int(value) => write!(f, "{value}"),
            Cell::Float(value) => write!(f, "{value}"),
            Cell::Decimal(unscaled) => write!(f, "{unscaled} (unscaled)"),
            Cell::Text(text) => write!(f, "{text:?}"),
            Cell::Bytes(bytes) => {
                write!(f, "0x")?;
                bytes.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
            }
            Cell::Date(days) => match CursorValue::day(*days) {
                Some(day) => write!(f, "{day}"),
                None => write!(f, "day {days}"),
            },
            Cell::Time(nanos) => {
                let seconds = u32::try_from(nanos / 1_000_000_000).ok();
                let fraction = (nanos % 1_000_000_000) as u32;
                match seconds.and_then(|s| {
                    chrono::NaiveTime::from_num_seconds_from_midnight_opt(s, fraction)
                }) {
                    Some(time) => write!(f, "{time}"),
                    None => write!(f, "{nanos} ns after midnight"),
                }
            }
            Cell::Micros(micros) => match CursorValue::naive(*micros) {
                Some(at) => write!(f, "{}", at.format("%Y-%m-%dT%H:%M:%S%.f")),
                None => write!(f, "{micros} µs"),
            },
            Cell::List(items) => {
                let items: Vec<String> = items.iter().map(ToString::to_string).collect();
                write!(f, "[{}]", items.join(", "))
            }
        }
    }
}

/// The values of one column so far.
enum Values {
    Bool(Vec<Option<bool>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Decimal(Vec<Option<i128>>),
    Text(Vec<Option<String>>),
    Bytes(Vec<Option<Vec<u8>>>),
    Date(Vec<Option<i32>>),
    Time(Vec<Option<i64>>),
    Micros(Vec<Option<i64>>),
    List(Vec<Option<Series>>),
}

/// Collects one contract column's [`Cell`]s and makes its Polars column.
pub struct ColumnBuilder {
    name: PlSmallStr,
    /// The dtype of one value (the element's, for a REPEATED column).
    value_dtype: DataType,
    element: Option<LogicalType>,
    values: Values,
}

impl ColumnBuilder {
    /// An empty column of `field`'s name and type. RECORD columns are
    /// refused: no database type maps to them yet.
    pub fn new(field: &Field) -> Result<Self, String> {
        if let LogicalType::Record { .. } = field.logical_type {
            return Err(format!(
                "column `{}` is a RECORD, which no database type maps to",
                field.name
            ));
        }
        let element = (field.mode == Mode::Repeated).then(|| field.logical_type.clone());
        Ok(ColumnBuilder {
            name: field.name.as_str().into(),
            value_dtype: polars_type(&field.logical_type),
            values: if element.is_some() {
                Values::List(Vec::new())
            } else {
                Values::for_type(&field.logical_type)
            },
            element,
        })
    }

    /// Appends one value. A cell of another type than the column's is the
    /// decoder's mistake, reported as such.
    pub fn push(&mut self, cell: Cell) -> Result<(), String> {
        if let (Values::List(values), Some(element)) = (&mut self.values, &self.element) {
            let items = match cell {
                Cell::Null => {
                    values.push(None);
                    return Ok(());
                }
                Cell::List(items) => items,
                other => return Err(format!("{other:?} is not a list")),
            };
            let mut inner = ColumnBuilder {
                name: PlSmallStr::EMPTY,
                value_dtype: self.value_dtype.clone(),
                element: None,
                values: Values::for_type(element),
            };
            for item in items {
                inner.push(item)?;
            }
            values.push(Some(inner.finish()?.take_materialized_series()));
            return Ok(());
        }
        let mismatch = |cell: &Cell| format!("{cell:?} does not fit a {} column", self.value_dtype);
        match (&mut self.values, cell) {
            (values, Cell::Null) => values.push_null(),
            (Values::Bool(values), Cell::Bool(value)) => values.push(Some(value)),
            (Values::Int(values), Cell::Int(value)) => values.push(Some(value)),
            (Values::Float(values), Cell::Float(value)) => values.push(Some(value)),
            (Values::Decimal(values), Cell::Decimal(value)) => values.push(Some(value)),
            (Values::Text(values), Cell::Text(value)) => values.push(Some(value)),
            (Values::Bytes(values), Cell::Bytes(value)) => values.push(Some(value)),
            (Values::Date(values), Cell::Date(value)) => values.push(Some(value)),
            (Values::Time(values), Cell::Time(value)) => values.push(Some(value)),
            (Values::Micros(values), Cell::Micros(value)) => values.push(Some(value)),
            (_, cell) => return Err(mismatch(&cell)),
        }
        Ok(())
    }

    /// The column, in the contract's dtype; the builder starts over empty.
    pub fn take(&mut self) -> Result<Column, String> {
        let empty = ColumnBuilder {
            name: self.name.clone(),
            value_dtype: self.value_dtype.clone(),
            element: self.element.clone(),
            values: match &self.element {
                Some(_) => Values::List(Vec::new()),
                None => self.values.empty_like(),
            },
        };
        std::mem::replace(self, empty).finish()
    }

    fn finish(self) -> Result<Column, String> {
        let name = self.name;
        let series = match self.values {
            Values::Bool(values) => Series::new(name, values),
            Values::Int(values) => Series::new(name, values),
            Values::Float(values) => Series::new(name, values),
            Values::Decimal(values) => {
                let DataType::Decimal(precision, scale) = self.value_dtype else {
                    return Err(format!("decimal values in a {} column", self.value_dtype));
                };
                Int128Chunked::from_iter_options(name, values.into_iter())
                    .into_decimal(precision, scale)
                    .map_err(|error| error.to_string())?
                    .into_series()
            }
            Values::Text(values) => Series::new(name, values),
            Values::Bytes(values) => Series::new(name, values),
            Values::Date(values) => Int32Chunked::from_iter_options(name, values.into_iter())
                .into_date()
                .into_series(),
            Values::Time(values) => Int64Chunked::from_iter_options(name, values.into_iter())
                .into_time()
                .into_series(),
            Values::Micros(values) => {
                let zone = match &self.value_dtype {
                    DataType::Datetime(_, zone) => zone.clone(),
                    other => return Err(format!("times in a {other} column")),
                };
                Int64Chunked::from_iter_options(name, values.into_iter())
                    .into_datetime(TimeUnit::Microseconds, zone)
                    .into_series()
            }
            Values::List(values) => {
                let dtype = DataType::List(Box::new(self.value_dtype.clone()));
                if values.is_empty() {
                    Series::new_empty(name, &dtype)
                } else {
                    Series::new(name, values)
                        .strict_cast(&dtype)
                        .map_err(|error| error.to_string())?
                }
            }
        };
        Ok(series.into_column())
    }
}

impl Values {
    fn for_type(logical_type: &LogicalType) -> Self {
        match logical_type {
            LogicalType::Bool => Values::Bool(Vec::new()),
            LogicalType::Int64 => Values::Int(Vec::new()),
            LogicalType::Float64 => Values::Float(Vec::new()),
            LogicalType::Numeric { .. } => Values::Decimal(Vec::new()),
            LogicalType::String | LogicalType::Json | LogicalType::BigNumeric { .. } => {
                Values::Text(Vec::new())
            }
            LogicalType::Bytes => Values::Bytes(Vec::new()),
            LogicalType::Date => Values::Date(Vec::new()),
            LogicalType::Time => Values::Time(Vec::new()),
            LogicalType::DateTime | LogicalType::Timestamp => Values::Micros(Vec::new()),
            LogicalType::Record { .. } => Values::List(Vec::new()),
        }
    }

    fn empty_like(&self) -> Self {
        match self {
            Values::Bool(_) => Values::Bool(Vec::new()),
            Values::Int(_) => Values::Int(Vec::new()),
            Values::Float(_) => Values::Float(Vec::new()),
            Values::Decimal(_) => Values::Decimal(Vec::new()),
            Values::Text(_) => Values::Text(Vec::new()),
            Values::Bytes(_) => Values::Bytes(Vec::new()),
            Values::Date(_) => Values::Date(Vec::new()),
            Values::Time(_) => Values::Time(Vec::new()),
            Values::Micros(_) => Values::Micros(Vec::new()),
            Values::List(_) => Values::List(Vec::new()),
        }
    }

    fn push_null(&mut self) {
        match self {
            Values::Bool(values) => values.push(None),
            Values::Int(values) => values.push(None),
            Values::Float(values) => values.push(None),
            Values::Decimal(values) => values.push(None),
            Values::Text(values) => values.push(None),
            Values::Bytes(values) => values.push(None),
            Values::Date(values) => values.push(None),
            Values::Time(values) => values.push(None),
            Values::Micros(values) => values.push(None),
            Values::List(values) => values.push(None),
        }
    }
}

/// The contract's columns of one batch of rows.
pub struct BatchBuilder {
    columns: Vec<ColumnBuilder>,
    rows: usize,
}

impl BatchBuilder {
    /// Empty columns for every field of `fields`.
    pub fn new(fields: &[Field]) -> Result<Self, String> {
        Ok(BatchBuilder {
            columns: fields
                .iter()
                .map(ColumnBuilder::new)
                .collect::<Result<_, _>>()?,
            rows: 0,
        })
    }

    /// The builder of column `index`.
    pub fn column(&mut self, index: usize) -> &mut ColumnBuilder {
        &mut self.columns[index]
    }

    /// Counts one more complete row.
    pub fn end_row(&mut self) {
        self.rows += 1;
    }

    /// The rows since the last [`BatchBuilder::take`].
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The rows so far as a frame; the builder starts over empty.
    pub fn take(&mut self) -> Result<DataFrame, String> {
        let rows = std::mem::take(&mut self.rows);
        let columns = self
            .columns
            .iter_mut()
            .map(ColumnBuilder::take)
            .collect::<Result<Vec<_>, _>>()?;
        DataFrame::new(rows, columns).map_err(|error| error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_become_the_contracts_dtypes() {
        let fields = [
            Field::new("id", LogicalType::Int64, Mode::Required),
            Field::new(
                "price",
                LogicalType::Numeric {
                    precision: Some(10),
                    scale: Some(2),
                },
                Mode::Nullable,
            ),
            Field::new("at", LogicalType::Timestamp, Mode::Nullable),
            Field::new("tags", LogicalType::String, Mode::Repeated),
        ];
        let mut batch = BatchBuilder::new(&fields).unwrap();
        for (id, price, tags) in [(1, Cell::Decimal(1234), vec!["a"]), (2, Cell::Null, vec![])] {
            batch.column(0).push(Cell::Int(id)).unwrap();
            batch.column(1).push(price).unwrap();
            batch.column(2).push(Cell::Micros(86_400_000_000)).unwrap();
            let tags = tags.into_iter().map(|t| Cell::Text(t.into())).collect();
            batch.column(3).push(Cell::List(tags)).unwrap();
            batch.end_row();
        }
        let frame = batch.take().unwrap();
        let dtypes: Vec<DataType> = frame.dtypes();
        assert_eq!(
            dtypes,
            [
                DataType::Int64,
                DataType::Decimal(10, 2),
                DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)),
                DataType::List(Box::new(DataType::String)),
            ]
        );
        assert_eq!(frame.height(), 2);
        assert_eq!(
            frame.column("price").unwrap().get(0).unwrap().to_string(),
            "12.34"
        );
        assert_eq!(batch.rows(), 0, "take starts a new batch");
    }

    #[test]
    fn a_cell_of_another_type_is_refused() {
        let field = Field::new("id", LogicalType::Int64, Mode::Required);
        let mut column = ColumnBuilder::new(&field).unwrap();
        let error = column.push(Cell::Text("1".into())).unwrap_err();
        assert!(error.contains("does not fit"), "{error}");
    }

    #[test]
    fn cells_show_as_messages_name_them() {
        let shown: Vec<String> = [
            Cell::Null,
            Cell::Int(42),
            Cell::Text("a\"b".into()),
            Cell::Bytes(vec![0, 255]),
            Cell::Date(19_783),
            Cell::Time(3_600_000_001_000),
            Cell::Micros(1_709_294_400_000_000),
            Cell::List(vec![Cell::Int(1), Cell::Int(2)]),
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            shown,
            [
                "NULL",
                "42",
                "\"a\\\"b\"",
                "0x00ff",
                "2024-03-01",
                "01:00:00.000001",
                "2024-03-01T12:00:00",
                "[1, 2]"
            ]
        );
    }
}
