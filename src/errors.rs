//! Errors with their causes: what a message shows, and what a retry
//! decision looks for.

use std::error::Error;

/// `error` and its causes, outermost first, `: `-joined (`error sending
/// request: connection refused`).
pub fn chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// Whether `error` or one of its causes is a TLS failure (rustls's: an
/// unverifiable certificate, a failed handshake), also when an I/O error
/// wraps it. Every attempt fails the same way: the configuration's to
/// mend, not the network's.
pub fn is_tls_failure(error: &(dyn Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(current) = next {
        let wrapped = current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
        if wrapped || current.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        next = current.source();
    }
    false
}
