//! Encryption at rest for the few secrets Stoa must read back: hub client secrets (written
//! into each hub's configuration) and the private keys ID tokens are signed with.
//!
//! XChaCha20-Poly1305 with a fresh random 192-bit nonce per value (random nonces of that
//! size never collide in practice, so no counter has to be shared across processes). Each
//! value is bound to where it is stored by associated data (`oauth_client:hub-ocean`), so a
//! sealed value copied into another row does not open there.
//!
//! The key is the server's `secret_key`: 32 bytes, given as 64 hex digits or base64.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore as _;

/// Prefix of a sealed value: the format's version, so another cipher can follow.
const VERSION: &str = "v1.";
/// Nonce length of XChaCha20-Poly1305.
const NONCE_LEN: usize = 24;

/// Why a key or a sealed value was refused. Never carries key material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretBoxError {
    /// The configured key is not 32 bytes in hex or base64.
    #[error("secret_key must be 32 bytes written as 64 hex digits or in base64")]
    BadKey,
    /// The value was not sealed with this key for this place, or was altered.
    #[error("a value encrypted at rest cannot be decrypted (a different secret_key?)")]
    Open,
}

/// Seals and opens values with the server's key. Cheap to clone; `Debug` shows no key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(<redacted>)")
    }
}

impl SecretBox {
    /// The box for a key written as 64 hex digits or base64 of 32 bytes (surrounding
    /// whitespace ignored, so a key file may end with a newline).
    pub fn from_key_text(text: &str) -> Result<SecretBox, SecretBoxError> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|_| SecretBoxError::BadKey)?
        } else {
            STANDARD
                .decode(text)
                .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
                .map_err(|_| SecretBoxError::BadKey)?
        };
        if bytes.len() != 32 {
            return Err(SecretBoxError::BadKey);
        }
        let cipher =
            XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| SecretBoxError::BadKey)?;
        Ok(SecretBox { cipher })
    }

    /// A new random key, as 64 hex digits (what [`SecretBox::from_key_text`] reads).
    pub fn generate_key_text() -> String {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        hex::encode(key)
    }

    /// Encrypts `plaintext` for the place named `context`; the result is ASCII.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            // Only fails for messages of gigabytes.
            .expect("XChaCha20-Poly1305 seals any value Stoa stores");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{VERSION}{}", URL_SAFE_NO_PAD.encode(out))
    }

    /// Decrypts what [`SecretBox::seal`] made for the same `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<Vec<u8>, SecretBoxError> {
        let body = sealed.strip_prefix(VERSION).ok_or(SecretBoxError::Open)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| SecretBoxError::Open)?;
        if bytes.len() < NONCE_LEN {
            return Err(SecretBoxError::Open);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SecretBoxError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_with_the_same_key_and_context() {
        let key = SecretBox::generate_key_text();
        let b = SecretBox::from_key_text(&format!("{key}\n")).unwrap();
        let sealed = b.seal("oauth_client:hub-ocean", b"s3cret");
        assert!(sealed.starts_with("v1.") && !sealed.contains("s3cret"));
        assert_eq!(
            b.open("oauth_client:hub-ocean", &sealed).unwrap(),
            b"s3cret"
        );
        assert_ne!(
            sealed,
            b.seal("oauth_client:hub-ocean", b"s3cret"),
            "fresh nonce"
        );
        assert_eq!(
            b.open("oauth_client:hub-other", &sealed),
            Err(SecretBoxError::Open)
        );
        let other = SecretBox::from_key_text(&SecretBox::generate_key_text()).unwrap();
        assert_eq!(
            other.open("oauth_client:hub-ocean", &sealed),
            Err(SecretBoxError::Open)
        );
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(
            b.open("oauth_client:hub-ocean", &tampered),
            Err(SecretBoxError::Open)
        );
        assert!(!format!("{b:?}").contains(&key));
    }

    #[test]
    fn keys_are_32_bytes_in_hex_or_base64() {
        let raw = [7u8; 32];
        assert!(SecretBox::from_key_text(&hex::encode(raw)).is_ok());
        assert!(SecretBox::from_key_text(&STANDARD.encode(raw)).is_ok());
        assert!(SecretBox::from_key_text(&URL_SAFE_NO_PAD.encode(raw)).is_ok());
        for bad in [
            "",
            "abc",
            &hex::encode([7u8; 31]),
            &STANDARD.encode([7u8; 16]),
        ] {
            assert_eq!(
                SecretBox::from_key_text(bad).unwrap_err(),
                SecretBoxError::BadKey
            );
        }
    }
}
