//! A property's column type, from its logical type, its physical type and
//! the options that refine them.

use crate::LogicalType;

use super::super::export::logical_type_name;

pub use crate::schema::type_name::column_type as physical;

/// The column type a logical type alone gives; `format` and `timezone`
/// are its options.
pub fn logical(name: &str, format: Option<&str>, timezone: Option<bool>) -> Option<LogicalType> {
    Some(match name {
        "boolean" => LogicalType::Bool,
        "integer" => LogicalType::Int64,
        "number" => LogicalType::Float64,
        "string" if format == Some("binary") => LogicalType::Bytes,
        "string" => LogicalType::String,
        "date" => LogicalType::Date,
        "time" => LogicalType::Time,
        // The standard's default time zone is UTC: an instant.
        "timestamp" if timezone == Some(false) => LogicalType::DateTime,
        "timestamp" => LogicalType::Timestamp,
        _ => return None,
    })
}

/// Whether the logical type `name` can describe a column of `column` type
/// (a `number` may be stored as an integer).
pub fn agrees(name: &str, column: &LogicalType) -> bool {
    let stored = logical_type_name(column);
    stored == name || (name == "number" && stored == "integer")
}
