//! Where to send someone after sign-in: only ever a path on this site.

/// Longest `next` kept; longer ones fall back to `/`.
const MAX_LEN: usize = 512;

/// Returns `next` when it is a path on this site, otherwise `/`. Refused: absolute URLs
/// (`https://evil.example`), scheme-relative ones (`//evil.example`), backslashes (browsers
/// read `/\evil.example` as `//evil.example`), control characters, and anything too long.
pub fn safe_next(next: Option<&str>) -> String {
    let Some(next) = next else { return "/".into() };
    let internal = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
        && next.len() <= MAX_LEN;
    if internal {
        next.to_owned()
    } else {
        "/".into()
    }
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
        assert_eq!(safe_next(None), "/");
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
