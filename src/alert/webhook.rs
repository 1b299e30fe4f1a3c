//! A generic webhook: the run summary as JSON ([`Alert`], versioned by
//! `schema_version`), signed so the receiver can tell it came from us.
//!
//! The signature is HMAC-SHA256, keyed by the shared secret, over the
//! timestamp, a dot, and the body's bytes; sent as
//! `X-Datacontract-Signature: sha256=<hex>` beside
//! `X-Datacontract-Timestamp: <unix seconds>`. Signing the timestamp lets
//! a receiver refuse a replayed request. `X-Datacontract-Delivery` holds
//! the run id, the same on every attempt, so a receiver can drop a
//! message a retry sent twice.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::http::JsonPost;
use super::{Alert, Channel, SendError};
use crate::secrets::Secret;

/// The header holding the signature.
pub const SIGNATURE_HEADER: &str = "X-Datacontract-Signature";
/// The header holding the signed timestamp.
pub const TIMESTAMP_HEADER: &str = "X-Datacontract-Timestamp";
/// The header holding the delivery's id (the run id).
pub const DELIVERY_HEADER: &str = "X-Datacontract-Delivery";

/// An HTTP endpoint that receives the signed run summary.
pub struct Webhook {
    post: JsonPost,
    key: Secret,
}

impl Webhook {
    /// The endpoint at `url`, signing with `key`.
    pub fn new(url: Secret, key: Secret, timeout: Duration) -> Result<Self, SendError> {
        Ok(Webhook {
            post: JsonPost::new(url, timeout)?,
            key,
        })
    }
}

impl Channel for Webhook {
    fn send(&self, alert: &Alert) -> Result<(), SendError> {
        let body = serde_json::to_vec(alert).expect("plain JSON");
        let timestamp = chrono::Utc::now().timestamp().to_string();
        let headers = [
            (TIMESTAMP_HEADER, timestamp.clone()),
            (SIGNATURE_HEADER, signature(&self.key, &timestamp, &body)),
            (DELIVERY_HEADER, alert.run_id.clone()),
        ];
        self.post.post(&body, &headers)
    }
}

/// `sha256=` and the hex HMAC-SHA256, keyed by `key`, of `timestamp`, `.`
/// and `body`.
pub fn signature(key: &Secret, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.expose().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_timestamp_dot_body() {
        // Computed independently, with Python's hmac module:
        // hmac.new(b"Jefe", b'1700000000.{"verdict":"failed"}', sha256).
        assert_eq!(
            signature(
                &Secret::new("Jefe"),
                "1700000000",
                br#"{"verdict":"failed"}"#
            ),
            "sha256=c21bea9d8fbb507d25f92f24959ec7be300b094931463c9b3c7af7ad85d4500b"
        );
    }
}
