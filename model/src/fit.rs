//! Whether a constant fits a column: the rules the derive macro checks at
//! compile time and `contracts import` checks on a document, kept in one
//! place so that both accept and refuse the same values.

use regex::Regex;

use crate::Literal;
use crate::rust_types::Scalar;

/// Why `value` cannot bound (`min`, `max`, …) a column of `scalar`, if it
/// cannot.
pub fn bound_problem(value: &Literal, scalar: Scalar) -> Option<String> {
    let fits = match value {
        Literal::Int(_) | Literal::Float(_) => scalar.is_numeric(),
        Literal::String(text) if scalar.is_temporal() => {
            return temporal_literal_problem(text, scalar);
        }
        Literal::String(_) | Literal::Bool(_) => false,
    };
    (!fits).then(|| {
        if scalar.is_numeric() || scalar.is_temporal() {
            format!(
                "a bound on a {} column must be {}",
                scalar.sql_name(),
                if scalar.is_numeric() {
                    "a number"
                } else {
                    "an ISO 8601 string"
                }
            )
        } else {
            format!(
                "min and max apply to numbers, dates and times, not to a {} column (use length or one_of)",
                scalar.sql_name()
            )
        }
    })
}

/// Whether `value` is a value a column of `scalar` can hold (a `one_of`
/// value, or the bound of a `min`/`max` expectation).
pub fn literal_fits(value: &Literal, scalar: Scalar) -> bool {
    match value {
        Literal::Int(_) => scalar.is_numeric(),
        Literal::Float(_) => matches!(scalar, Scalar::Float | Scalar::Decimal),
        Literal::String(text) if scalar.is_temporal() => {
            temporal_literal_problem(text, scalar).is_none()
        }
        Literal::String(_) => scalar == Scalar::String,
        Literal::Bool(_) => scalar == Scalar::Bool,
    }
}

/// Why `text` is not a literal of the temporal type in ISO 8601, if it is
/// not.
pub fn temporal_literal_problem(text: &str, scalar: Scalar) -> Option<String> {
    let (pattern, example) = match scalar {
        Scalar::Date => (r"^\d{4}-\d{2}-\d{2}$", "2001-01-31"),
        Scalar::Time => (r"^\d{2}:\d{2}:\d{2}(\.\d{1,6})?$", "13:45:00"),
        Scalar::DateTime => (
            r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?$",
            "2001-01-31T13:45:00",
        ),
        _ => (
            r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$",
            "2001-01-31T13:45:00Z",
        ),
    };
    let valid = Regex::new(pattern).expect("fixed pattern").is_match(text);
    (!valid).then(|| {
        format!(
            "`{text}` is not a {} literal such as \"{example}\"",
            scalar.sql_name()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporal_bounds_are_iso_8601_of_their_type() {
        assert_eq!(
            bound_problem(&"2001-01-31".into(), Scalar::Date),
            None::<String>
        );
        assert!(
            bound_problem(&"2001-01-31 00:00:00".into(), Scalar::Timestamp)
                .unwrap()
                .contains("TIMESTAMP literal")
        );
        assert_eq!(
            bound_problem(&"2001-01-31 00:00:00+10:00".into(), Scalar::Timestamp),
            None
        );
        assert!(bound_problem(&1.into(), Scalar::Date).is_some());
    }

    #[test]
    fn values_fit_their_column() {
        assert!(literal_fits(&1.into(), Scalar::Float));
        assert!(!literal_fits(&1.5.into(), Scalar::Int));
        assert!(literal_fits(&"a".into(), Scalar::String));
        assert!(!literal_fits(&true.into(), Scalar::String));
        assert!(bound_problem(&"a".into(), Scalar::String).is_some());
    }
}
