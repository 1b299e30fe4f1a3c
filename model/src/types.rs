//! Column types and modes.

use serde::{Deserialize, Serialize};

use crate::Field;

/// What a column holds, in BigQuery's vocabulary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LogicalType {
    /// BOOL.
    Bool,
    /// INT64.
    Int64,
    /// FLOAT64.
    Float64,
    /// NUMERIC, optionally parameterised as NUMERIC(P, S).
    Numeric {
        /// Total digits, at most 38 (29 + scale).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        precision: Option<u8>,
        /// Digits after the point, at most 9.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scale: Option<u8>,
    },
    /// BIGNUMERIC, optionally parameterised as BIGNUMERIC(P, S).
    BigNumeric {
        /// Total digits, at most 76 (38 + scale).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        precision: Option<u8>,
        /// Digits after the point, at most 38.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scale: Option<u8>,
    },
    /// STRING: UTF-8 text.
    String,
    /// BYTES.
    Bytes,
    /// DATE: a calendar day.
    Date,
    /// TIME: a time of day, microsecond precision.
    Time,
    /// DATETIME: a civil date and time without a time zone.
    DateTime,
    /// TIMESTAMP: an instant, stored in UTC with microsecond precision.
    Timestamp,
    /// JSON.
    Json,
    /// RECORD (STRUCT): named sub-fields.
    Record {
        /// The sub-fields, in order.
        fields: Vec<Field>,
    },
}

/// Precision and scale of an unparameterised NUMERIC.
pub const NUMERIC_DEFAULT: (u8, u8) = (38, 9);
/// Precision and scale of an unparameterised BIGNUMERIC.
pub const BIGNUMERIC_DEFAULT: (u8, u8) = (76, 38);

impl LogicalType {
    /// The name in GoogleSQL, as DDL writes it: `INT64`, `STRUCT`, …
    /// (without parameters or sub-fields).
    pub fn sql_name(&self) -> &'static str {
        match self {
            LogicalType::Bool => "BOOL",
            LogicalType::Int64 => "INT64",
            LogicalType::Float64 => "FLOAT64",
            LogicalType::Numeric { .. } => "NUMERIC",
            LogicalType::BigNumeric { .. } => "BIGNUMERIC",
            LogicalType::String => "STRING",
            LogicalType::Bytes => "BYTES",
            LogicalType::Date => "DATE",
            LogicalType::Time => "TIME",
            LogicalType::DateTime => "DATETIME",
            LogicalType::Timestamp => "TIMESTAMP",
            LogicalType::Json => "JSON",
            LogicalType::Record { .. } => "STRUCT",
        }
    }

    /// The name in BigQuery's REST API and `bq show --schema`: `INTEGER`,
    /// `FLOAT`, `BOOLEAN`, `RECORD`, …
    pub fn api_name(&self) -> &'static str {
        match self {
            LogicalType::Bool => "BOOLEAN",
            LogicalType::Int64 => "INTEGER",
            LogicalType::Float64 => "FLOAT",
            LogicalType::Record { .. } => "RECORD",
            other => other.sql_name(),
        }
    }

    /// Precision and scale of a decimal type as the data carries it:
    /// the declared ones, or BigQuery's defaults.
    pub fn decimal_precision_scale(&self) -> Option<(u8, u8)> {
        let (precision, scale, default) = match self {
            LogicalType::Numeric { precision, scale } => (precision, scale, NUMERIC_DEFAULT),
            LogicalType::BigNumeric { precision, scale } => (precision, scale, BIGNUMERIC_DEFAULT),
            _ => return None,
        };
        let scale = scale.unwrap_or(if precision.is_some() { 0 } else { default.1 });
        Some((precision.unwrap_or(default.0), scale))
    }
}

/// Whether a column is required, nullable or an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Mode {
    /// Every row has a value (`T`).
    Required,
    /// A row may hold NULL (`Option<T>`).
    Nullable,
    /// An array of non-NULL values (`Vec<T>`); BigQuery stores a NULL array
    /// as an empty one.
    Repeated,
}

impl Mode {
    /// The mode's name in BigQuery's API: `REQUIRED`, `NULLABLE`, `REPEATED`.
    pub fn api_name(self) -> &'static str {
        match self {
            Mode::Required => "REQUIRED",
            Mode::Nullable => "NULLABLE",
            Mode::Repeated => "REPEATED",
        }
    }
}

/// How sensitive a column's data is, for access reviews and masking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// Safe to publish.
    Public,
    /// For people inside the organisation.
    Internal,
    /// For people who need it; personal data usually sits here.
    Confidential,
    /// The most guarded class: credentials, health, payment data.
    Restricted,
}

impl Sensitivity {
    /// Every level, least guarded first.
    pub const ALL: [Sensitivity; 4] = [
        Sensitivity::Public,
        Sensitivity::Internal,
        Sensitivity::Confidential,
        Sensitivity::Restricted,
    ];

    /// The level's name as contracts write it: `public`, `internal`, …
    pub fn name(self) -> &'static str {
        match self {
            Sensitivity::Public => "public",
            Sensitivity::Internal => "internal",
            Sensitivity::Confidential => "confidential",
            Sensitivity::Restricted => "restricted",
        }
    }

    /// The level named `name`, if any.
    pub fn from_name(name: &str) -> Option<Sensitivity> {
        Sensitivity::ALL
            .into_iter()
            .find(|level| level.name() == name)
    }
}
