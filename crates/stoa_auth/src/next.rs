//! Where to send someone after sign-in: only ever a path on this site.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Longest `next` kept (after encoding); longer ones fall back to `/`.
const MAX_LEN: usize = 512;

/// Characters encoded in a kept `next`: besides every non-ASCII character (always encoded by
/// `utf8_percent_encode`), those that are not allowed in a `Location` header or a URL.
/// `%` is left alone, so an already encoded path stays as it is.
const ENCODED: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'^');

/// Returns `next` when it is a path on this site, otherwise `/`. Refused: absolute URLs
/// (`https://evil.example`), scheme-relative ones (`//evil.example`), backslashes (browsers
/// read `/\evil.example` as `//evil.example`), control characters, and anything too long.
///
/// What is kept is percent-encoded (`/ü` becomes `/%C3%BC`): it ends up in a `Location`
/// header, which must be ASCII. This runs when the sign-in starts, before a link or attempt
/// is stored, so a link can never be used up and then fail to redirect.
pub fn safe_next(next: Option<&str>) -> String {
    let Some(next) = next else { return "/".into() };
    let looks_internal = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if !looks_internal {
        return "/".into();
    }
    let encoded = utf8_percent_encode(next, ENCODED).to_string();
    if encoded.len() > MAX_LEN || !stays_on_site(&encoded) {
        return "/".into();
    }
    encoded
}

/// A second opinion from a real URL parser: resolved against this site, the path must land
/// on this site (same origin), whatever a browser would make of it.
fn stays_on_site(path: &str) -> bool {
    let base = url::Url::parse("https://stoa.invalid/").expect("a valid base URL");
    base.join(path)
        .is_ok_and(|url| url.origin() == base.origin() && url.path().starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn keeps_internal_paths() {
        assert_eq!(safe_next(Some("/account")), "/account");
        assert_eq!(
            safe_next(Some("/communities?q=x&page=2")),
            "/communities?q=x&page=2"
        );
        assert_eq!(
            safe_next(Some("/a?u=https://elsewhere")),
            "/a?u=https://elsewhere"
        );
        assert_eq!(safe_next(Some("/a%20b")), "/a%20b", "already encoded");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn non_ascii_is_encoded_into_a_valid_header_value() {
        for (raw, encoded) in [
            ("/communities/ü", "/communities/%C3%BC"),
            ("/search?q=café au lait", "/search?q=caf%C3%A9%20au%20lait"),
            ("/日本", "/%E6%97%A5%E6%9C%AC"),
        ] {
            let kept = safe_next(Some(raw));
            assert_eq!(kept, encoded);
            assert!(
                axum_like_header_value(&kept),
                "{kept:?} is not a valid Location"
            );
        }
        // Encoding can push a path over the length limit.
        assert_eq!(safe_next(Some(&format!("/{}", "é".repeat(200)))), "/");
    }

    /// What `http::HeaderValue::from_str` accepts: visible ASCII and spaces/tabs.
    fn axum_like_header_value(value: &str) -> bool {
        value
            .bytes()
            .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
    }

    #[test]
    fn refuses_everything_that_leaves_the_site() {
        for bad in [
            "https://evil.example",
            "http://evil.example/path",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(600)))), "/");
    }
}
