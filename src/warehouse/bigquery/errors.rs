//! What a failed call or job means: transient or not, temporary or not,
//! and the [`WarehouseError`] that says so.

use std::fmt;

use gcp_bigquery_client::error::BQError;
use gcp_bigquery_client::model::error_proto::ErrorProto;

use crate::warehouse::{Blame, WarehouseError};

use super::{ENGINE, JOB_TIMEOUT};

/// The HTTP status of a failed call, when the server answered.
pub(super) fn status(error: &BQError) -> Option<i64> {
    match error {
        BQError::ResponseError { error } => Some(error.error.code),
        _ => None,
    }
}

/// On a get, the thing is absent; on a delete, it is gone already
/// (perhaps deleted by an attempt whose answer was lost).
pub(super) const NOT_FOUND: i64 = 404;
/// On an insert, the thing exists already (perhaps inserted by an attempt
/// whose answer was lost).
pub(super) const CONFLICT: i64 = 409;

/// A call's answer, where the HTTP status `already` ([`NOT_FOUND`],
/// [`CONFLICT`]) means the state the call wanted holds already: `None`
/// then, the answer's value otherwise.
pub(super) fn settled<T>(answer: Result<T, BQError>, already: i64) -> Result<Option<T>, BQError> {
    match answer {
        Ok(value) => Ok(Some(value)),
        Err(error) if status(&error) == Some(already) => Ok(None),
        Err(error) => Err(error),
    }
}

/// The error reasons BigQuery documents as temporary: retry them.
pub(super) const TEMPORARY_REASONS: [&str; 3] =
    ["backendError", "internalError", "rateLimitExceeded"];

/// Worth calling again: HTTP 429 and 5xx, a 403 for a rate limit,
/// timeouts, and requests that got no answer.
pub(super) fn transient(error: &BQError) -> bool {
    match error {
        BQError::ResponseError { error } => {
            let code = error.error.code;
            let temporary_reason = error.error.errors.iter().any(|detail| {
                detail
                    .get("reason")
                    .is_some_and(|reason| TEMPORARY_REASONS.contains(&reason.as_str()))
            });
            code == 429 || code >= 500 || (code == 403 && temporary_reason)
        }
        BQError::RequestError(error) => {
            error.is_timeout() || error.is_connect() || error.is_request()
        }
        _ => false,
    }
}

/// A job or query that failed, and whether BigQuery called the failure
/// temporary, so that running it again under a new id may succeed.
pub(super) struct Failure {
    pub(super) error: WarehouseError,
    pub(super) temporary: bool,
}

impl Failure {
    /// The failure of job `job_id` with these `errors`.
    pub(super) fn of_job(operation: &str, job_id: &str, errors: &[ErrorProto]) -> Self {
        Failure {
            temporary: errors.iter().any(|error| {
                error
                    .reason
                    .as_deref()
                    .is_some_and(|reason| TEMPORARY_REASONS.contains(&reason))
            }),
            error: job_error(operation, job_id, errors),
        }
    }
}

impl From<WarehouseError> for Failure {
    fn from(error: WarehouseError) -> Self {
        Failure {
            error,
            temporary: false,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

/// A job still running when the warehouse stops waiting.
pub(super) fn not_done(operation: &str, job_id: &str) -> WarehouseError {
    WarehouseError::Engine {
        engine: ENGINE,
        operation: operation.to_string(),
        job_id: Some(job_id.to_string()),
        message: format!("not done after {} s", JOB_TIMEOUT.as_secs()),
        blame: Blame::Service,
    }
}

pub(super) fn engine_error(
    operation: &str,
    job_id: Option<&str>,
    error: &BQError,
) -> WarehouseError {
    let (message, blame) = match error {
        BQError::ResponseError { error } => (
            format!("HTTP {}: {}", error.error.code, error.error.message),
            blame(error.error.errors.iter().filter_map(|e| e.get("reason"))),
        ),
        other => (other.to_string(), Blame::Service),
    };
    WarehouseError::Engine {
        engine: ENGINE,
        operation: operation.to_string(),
        job_id: job_id.map(str::to_string),
        message,
        blame,
    }
}

pub(super) fn job_error(operation: &str, job_id: &str, errors: &[ErrorProto]) -> WarehouseError {
    let message = errors
        .iter()
        .map(|error| {
            let reason = error.reason.as_deref().unwrap_or("error");
            let message = error.message.as_deref().unwrap_or("(no message)");
            format!("{reason}: {message}")
        })
        .collect::<Vec<_>>()
        .join("; ");
    WarehouseError::Engine {
        engine: ENGINE,
        operation: operation.to_string(),
        job_id: Some(job_id.to_string()),
        message,
        blame: blame(errors.iter().filter_map(|error| error.reason.as_ref())),
    }
}

/// BigQuery's `invalidQuery` reason judges the statement itself (its
/// syntax, a name it cannot resolve), and `bytesBilledLimitExceeded` the
/// statement against the configured `max_bytes_billed`: running again
/// cannot help. Every other reason is the service's.
fn blame<'r>(mut reasons: impl Iterator<Item = &'r String>) -> Blame {
    if reasons.any(|reason| reason == "invalidQuery" || reason == "bytesBilledLimitExceeded") {
        Blame::Statement
    } else {
        Blame::Service
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_over_its_byte_limit_is_the_statements_fault_not_the_services() {
        let reasons = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(
            blame(reasons(&["bytesBilledLimitExceeded"]).iter()),
            Blame::Statement
        );
        assert_eq!(blame(reasons(&["invalidQuery"]).iter()), Blame::Statement);
        assert_eq!(blame(reasons(&["backendError"]).iter()), Blame::Service);
    }
}
