//! Words both directions share: severity names, and the custom properties
//! that carry what the standard has no field for.

use crate::Severity;

/// ODCS's name for a severity.
pub fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warn => "warning",
    }
}

/// The severity ODCS names `name` (`warn`, as contracts spell it, too).
pub fn severity_named(name: &str) -> Option<Severity> {
    match name {
        "error" => Some(Severity::Error),
        "warning" | "warn" => Some(Severity::Warn),
        _ => None,
    }
}

/// The `customProperties` this crate writes and reads.
pub mod custom {
    use serde_json::{Value, json};

    /// The regular expressions' dialect (`RE2`), on the table.
    pub const REGEX_DIALECT: &str = "regexDialect";
    /// The severity of checks that name none, on the table.
    pub const DEFAULT_SEVERITY: &str = "defaultSeverity";
    /// The partitioning with its granularity, on the table.
    pub const PARTITIONING: &str = "partitioning";
    /// The clustering columns, on the table.
    pub const CLUSTERING: &str = "clustering";
    /// The drift thresholds, on the table.
    pub const DRIFT: &str = "drift";
    /// The reconciliations with other tables, on the table.
    pub const RECONCILIATIONS: &str = "reconciliations";
    /// The freshness SLA's severity, on the table.
    pub const FRESHNESS_SEVERITY: &str = "freshnessSeverity";
    /// BigQuery policy tags, on a column.
    pub const POLICY_TAGS: &str = "policyTags";
    /// A column's check severities by check, where they differ from the
    /// table's default.
    pub const SEVERITIES: &str = "severities";
    /// A column's checks as the model writes them, when a kind occurs more
    /// than once.
    pub const CHECKS: &str = "checks";
    /// A relationship's severity, where it differs from the table's default.
    pub const SEVERITY: &str = "severity";

    /// One custom property.
    pub fn property(name: &str, value: Value) -> Value {
        json!({ "property": name, "value": value })
    }
}
