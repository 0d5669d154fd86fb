//! Stripe webhook signatures: `Stripe-Signature: t=<unix time>,v1=<hex>[,v1=<hex>…]`, where
//! each `v1` is HMAC-SHA256 of `"<t>.<raw body>"` under an endpoint's signing secret
//! (Stripe's documented scheme, and what the `localstripe` test peer sends).
//!
//! Checked on the raw bytes before anything parses them; any of several secrets is accepted
//! (rotation: the old and the new endpoint secret during the switch); the timestamp must be
//! within a tolerance of now (300 s in Stoa) so a captured delivery cannot be replayed later.
//! Comparison is constant-time (`Mac::verify_slice`).

use hmac::{Hmac, Mac as _};
use sha2::Sha256;

/// Why a delivery was refused (each is a 400 to the sender, and nothing is written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// No `Stripe-Signature` header, or one without `t=` and `v1=`.
    #[error("the Stripe-Signature header is missing or malformed")]
    Malformed,
    /// No `v1` matches any configured secret.
    #[error("no signature matches")]
    Mismatch,
    /// Signed too long ago (or in the future).
    #[error("the signature's timestamp is outside the tolerance")]
    Stale,
    /// No secret is configured: nothing can be verified.
    #[error("no webhook secret is configured")]
    NoSecret,
}

/// Checks `header` (the `Stripe-Signature` value) for `payload` against `secrets`, at `now`
/// (unix seconds), with `tolerance_secs` either side.
pub fn verify(
    payload: &[u8],
    header: Option<&str>,
    secrets: &[&str],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), WebhookError> {
    if secrets.is_empty() {
        return Err(WebhookError::NoSecret);
    }
    let header = header.ok_or(WebhookError::Malformed)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", hex_sig)) => signatures.extend(hex::decode(hex_sig).ok()),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(WebhookError::Malformed)?;
    if signatures.is_empty() {
        return Err(WebhookError::Malformed);
    }
    let matches = secrets.iter().any(|secret| {
        signatures.iter().any(|sig| {
            let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
                return false;
            };
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(payload);
            mac.verify_slice(sig).is_ok()
        })
    });
    if !matches {
        return Err(WebhookError::Mismatch);
    }
    // Checked after the signature, so an unsigned request learns nothing about the clock.
    if (now - timestamp).abs() > tolerance_secs {
        return Err(WebhookError::Stale);
    }
    Ok(())
}

/// The `Stripe-Signature` value for `payload` signed with `secret` at `timestamp` (tests and
/// the development sender).
pub fn sign(payload: &[u8], secret: &str, timestamp: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A delivery recorded from localstripe 1.15.10 (secret `whsec_test`), byte for byte.
    const BODY: &[u8] = include_bytes!("localstripe-subscription-created.json");
    const HEADER: &str =
        "t=1795733429,v1=ca76ed85d9f7e297e7b0705347150818350489633a731db2e5e155e96e27f73d";
    const AT: i64 = 1_795_733_429;

    #[test]
    fn a_real_delivery_from_the_test_peer_verifies() {
        assert_eq!(
            verify(BODY, Some(HEADER), &["whsec_test"], AT + 1, 300),
            Ok(())
        );
        assert_eq!(sign(BODY, "whsec_test", AT), HEADER);
    }

    #[test]
    fn forged_missing_or_malformed_signatures_are_refused() {
        let ok = |h: Option<&str>| verify(BODY, h, &["whsec_test"], AT, 300);
        assert_eq!(ok(None), Err(WebhookError::Malformed));
        assert_eq!(ok(Some("")), Err(WebhookError::Malformed));
        assert_eq!(ok(Some("t=1795733429")), Err(WebhookError::Malformed));
        assert_eq!(ok(Some("v1=ca76ed85")), Err(WebhookError::Malformed));
        assert_eq!(
            ok(Some(&sign(BODY, "whsec_other", AT))),
            Err(WebhookError::Mismatch),
            "signed with another secret"
        );
        // The timestamp is part of what is signed.
        let moved = HEADER.replace("t=1795733429", "t=1795733430");
        assert_eq!(ok(Some(&moved)), Err(WebhookError::Mismatch));
        assert_eq!(
            verify(BODY, Some(HEADER), &[], AT, 300),
            Err(WebhookError::NoSecret)
        );
    }

    #[test]
    fn one_byte_changed_anywhere_is_refused() {
        for i in [0, BODY.len() / 2, BODY.len() - 1] {
            let mut body = BODY.to_vec();
            body[i] ^= 0x01;
            assert_eq!(
                verify(&body, Some(HEADER), &["whsec_test"], AT, 300),
                Err(WebhookError::Mismatch),
                "byte {i}"
            );
        }
    }

    #[test]
    fn the_timestamp_must_be_within_the_tolerance() {
        let at = |now| verify(BODY, Some(HEADER), &["whsec_test"], now, 300);
        assert_eq!(at(AT + 300), Ok(()));
        assert_eq!(at(AT - 300), Ok(()));
        assert_eq!(at(AT + 301), Err(WebhookError::Stale));
        assert_eq!(at(AT - 301), Err(WebhookError::Stale));
    }

    #[test]
    fn either_secret_verifies_during_a_rotation() {
        let new = sign(BODY, "whsec_new", AT);
        assert_eq!(
            verify(BODY, Some(HEADER), &["whsec_new", "whsec_test"], AT, 300),
            Ok(())
        );
        assert_eq!(
            verify(BODY, Some(&new), &["whsec_new", "whsec_test"], AT, 300),
            Ok(())
        );
        // Stripe signs with both secrets while an endpoint's secret rolls: two v1 values.
        let both = format!("{HEADER},v1={}", new.split("v1=").nth(1).unwrap());
        assert_eq!(verify(BODY, Some(&both), &["whsec_new"], AT, 300), Ok(()));
        assert_eq!(
            verify(BODY, Some(HEADER), &["whsec_new"], AT, 300),
            Err(WebhookError::Mismatch),
            "the old secret is gone once removed"
        );
    }
}
