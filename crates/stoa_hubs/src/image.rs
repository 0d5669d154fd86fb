//! Container image references, checked against the OCI distribution reference grammar
//! (github.com/distribution/reference, `reference.go`).
//!
//! One pattern, [`IMAGE_REFERENCE_PATTERN`], is both what Stoa enforces and what it shows:
//! it goes into the bring-your-own-image field of the spawn form (KubeSpawner's
//! `validation_regex`, Python `re`) and the browser's `pattern` attribute, so a person sees
//! the same rule the server applies. It uses only syntax that Rust `regex`, Python `re` and
//! JavaScript agree on, including the `v` flag browsers use for `pattern` attributes: no `\w`
//! (whose meaning differs), and `-` escaped inside classes. (Checked by hand against Python
//! 3 `re` and Node's `RegExp` with no flag, `u` and `v`.) One difference remains: Python's `$`
//! also matches before a final newline, so KubeSpawner would let `x:1\n` through; a text
//! input cannot submit a newline, and Stoa's own check (Rust `$`) refuses it.
//!
//! Three deliberate narrowings of the grammar:
//! - a tag or a `sha256` digest is required: a bare name means `:latest`, which changes under
//!   the community without a revision in Stoa;
//! - IPv6 registry hosts (`[::1]:5000/x`) are refused; no hub pulls from one;
//! - a first component with capitals but without `.` or `:` (`Org/image:1`) is refused by
//!   [`check_image_reference`]: container runtimes read it as a Docker Hub path, where capitals
//!   are invalid. The shown pattern cannot express this without look-ahead, so it is slightly
//!   looser; KubeSpawner would pass such a name to a pull that fails.

use std::sync::LazyLock;

use regex::Regex;

/// The anchored pattern an image reference must match: `[registry[:port]/]path[:tag][@sha256:hex]`
/// with at least one of tag and digest.
pub const IMAGE_REFERENCE_PATTERN: &str = concat!(
    "^",
    // Optional registry: dotted host components, optional port, then a slash.
    "(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\\-]*[a-zA-Z0-9])",
    "(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\\-]*[a-zA-Z0-9]))*",
    "(?::[0-9]+)?/)?",
    // Path components: lowercase alphanumerics joined by `.`, `_`, `__` or dashes.
    "[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*",
    "(?:/[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*)*",
    // A tag (and optionally a digest), or a digest alone.
    "(?::[A-Za-z0-9_][A-Za-z0-9_.\\-]{0,127}(?:@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64})",
    "$"
);

/// What the spawn form says when a typed image does not match.
pub const IMAGE_REFERENCE_MESSAGE: &str = "Use an image reference with a tag or digest, such as quay.io/jupyter/scipy-notebook:2026-04-27.";

/// The longest reference accepted; the grammar allows 255 characters of name, plus tag and
/// digest.
pub const MAX_IMAGE_REFERENCE_CHARS: usize = 400;

static PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    // A constant pattern, compiled by every test that checks an image.
    Regex::new(IMAGE_REFERENCE_PATTERN).expect("IMAGE_REFERENCE_PATTERN compiles")
});

/// Checks an image reference; the error is a sentence for the person who typed it.
pub fn check_image_reference(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(
            "Enter an image, such as quay.io/jupyter/scipy-notebook:2026-04-27.".to_owned(),
        );
    }
    if value.chars().count() > MAX_IMAGE_REFERENCE_CHARS {
        return Err(format!(
            "Use at most {MAX_IMAGE_REFERENCE_CHARS} characters."
        ));
    }
    if PATTERN.is_match(value) && !registry_looks_like_a_path(value) {
        return Ok(());
    }
    // Explain the most likely mistake rather than only "does not match".
    if value.chars().any(char::is_whitespace) {
        return Err("Remove the spaces.".to_owned());
    }
    let parts = ImageParts::split(value);
    if let Some(digest) = parts.digest {
        let hex = digest.strip_prefix("sha256:").unwrap_or("");
        if hex.len() != 64 || !hex.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')) {
            return Err(
                "A digest is @sha256: followed by 64 lowercase hexadecimal digits.".to_owned(),
            );
        }
    }
    if parts.tag.is_none() && parts.digest.is_none() {
        return Err("Add a tag (such as :2026.04.29) or a digest (@sha256:…): without one, the image can change without notice.".to_owned());
    }
    if registry_looks_like_a_path(value)
        || parts
            .repository
            .rsplit_once('/')
            .map_or(parts.repository, |(_, last)| last)
            .chars()
            .any(|c| c.is_ascii_uppercase())
    {
        return Err("Image names use lowercase letters only (tags may use capitals).".to_owned());
    }
    Err(IMAGE_REFERENCE_MESSAGE.to_owned())
}

/// The pattern lets `Org/image:1` through with `Org` read as a registry host; Docker and
/// containerd read a first component without `.` or `:` (other than `localhost`) as part of a
/// Docker Hub path, where capitals are invalid. Refuse those too.
fn registry_looks_like_a_path(value: &str) -> bool {
    value.split_once('/').is_some_and(|(first, _)| {
        !first.contains(['.', ':'])
            && first != "localhost"
            && first.chars().any(|c| c.is_ascii_uppercase())
    })
}

/// A reference split into repository, tag and digest, without checking it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageParts<'a> {
    /// Registry and path (`quay.io/jupyter/scipy-notebook`).
    pub repository: &'a str,
    /// The tag, without `:`.
    pub tag: Option<&'a str>,
    /// The digest, without `@` (`sha256:…`).
    pub digest: Option<&'a str>,
}

impl<'a> ImageParts<'a> {
    /// Splits at the last `@` (digest) and at a `:` after the last `/` (tag; a `:` before it
    /// is a registry port).
    pub fn split(reference: &'a str) -> ImageParts<'a> {
        let (rest, digest) = match reference.rsplit_once('@') {
            Some((rest, digest)) => (rest, Some(digest)),
            None => (reference, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        match rest[last_slash..].rfind(':') {
            Some(colon) => ImageParts {
                repository: &rest[..last_slash + colon],
                tag: Some(&rest[last_slash + colon + 1..]),
                digest,
            },
            None => ImageParts {
                repository: rest,
                tag: None,
                digest,
            },
        }
    }
}

/// Image references every check of one must accept ([`examples::GOOD`]) and refuse
/// ([`examples::BAD`]): one table for the hub editor's tests and the catalog's, so the two
/// can never disagree about what an image is.
pub mod examples {
    /// Accepted.
    pub const GOOD: &[&str] = &[
        "quay.io/jupyter/scipy-notebook:2026-04-27",
        "pangeo/pangeo-notebook:2026.04.29",
        "jupyter/base-notebook:latest",
        "localhost:5000/lab/image_name:v1.0-rc.1",
        "registry.example.org:443/a/b/c__d:TAG_1",
        "quay.io/2i2c/cloudbank-data8-image:6286b77ae45c",
        "ghcr.io/org/img@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "ghcr.io/org/img:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "a---b/c:1",
    ];

    /// Refused.
    pub const BAD: &[&str] = &[
        "",
        "pangeo/pangeo-notebook",
        "quay.io/Jupyter/scipy:1",
        "Pangeo/pangeo-notebook:1",
        "pangeo notebook:1",
        "image:",
        "image:-tag",
        ":tag",
        "/image:1",
        "image//x:1",
        "image_:1",
        "ghcr.io/org/img@sha256:abc",
        "ghcr.io/org/img@md5:0123456789abcdef0123456789abcdef",
        "ghcr.io/org/img:1@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
        "-registry.io/x:1",
        "[::1]:5000/x:1",
        "x:1\n",
        "x:tag\"; rm -rf /",
    ];
}

#[cfg(test)]
mod tests {
    use super::examples::{BAD, GOOD};
    use super::*;

    #[test]
    fn the_grammar_accepts_and_refuses_what_it_should() {
        for good in GOOD {
            assert_eq!(check_image_reference(good), Ok(()), "{good:?}");
        }
        for bad in BAD {
            assert!(check_image_reference(bad).is_err(), "{bad:?} accepted");
        }
        let long = format!("x/{}:1", "a".repeat(MAX_IMAGE_REFERENCE_CHARS));
        assert!(check_image_reference(&long).is_err());
    }

    #[test]
    fn the_pattern_is_portable() {
        // `\w`/`\d` differ between engines; an unescaped `-` at the end of a class is a syntax
        // error under the `v` flag browsers use for `pattern` attributes.
        for unportable in ["\\w", "\\d", "\\s", "(?<", "(?="] {
            assert!(
                !IMAGE_REFERENCE_PATTERN.contains(unportable),
                "{unportable}"
            );
        }
        for (at, _) in IMAGE_REFERENCE_PATTERN.match_indices("-]") {
            assert!(
                IMAGE_REFERENCE_PATTERN[..at].ends_with('\\'),
                "unescaped - at {at}"
            );
        }
    }

    #[test]
    fn errors_explain_the_likely_mistake() {
        assert!(
            check_image_reference("pangeo/pangeo-notebook")
                .unwrap_err()
                .contains("Add a tag")
        );
        assert!(
            check_image_reference("quay.io/Jupyter/Scipy:1")
                .unwrap_err()
                .contains("lowercase")
        );
        assert!(
            check_image_reference("x@sha256:12")
                .unwrap_err()
                .contains("64")
        );
        assert_eq!(
            check_image_reference("a b:1").unwrap_err(),
            "Remove the spaces."
        );
    }

    #[test]
    fn splits_tag_from_port() {
        let parts = ImageParts::split("localhost:5000/lab/x:v1");
        assert_eq!(
            (parts.repository, parts.tag, parts.digest),
            ("localhost:5000/lab/x", Some("v1"), None)
        );
        let parts = ImageParts::split("localhost:5000/lab/x@sha256:ab");
        assert_eq!(
            (parts.repository, parts.tag, parts.digest),
            ("localhost:5000/lab/x", None, Some("sha256:ab"))
        );
    }
}
