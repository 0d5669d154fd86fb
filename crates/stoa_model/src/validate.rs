//! Form checks run by the domain services (always, on the server) and usable by the UI. Every
//! check names the form field its message belongs next to. Text is stored as typed (trimmed)
//! and always rendered as text, so `<script>` in a name is harmless and kept.

use crate::{FieldMessage, Invalid};

/// Collects the validation errors of a whole form, so one submission reports every invalid
/// field next to it rather than one at a time.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldMessage>);

impl Checks {
    /// The value if valid; else records the error(s) and returns a placeholder default.
    pub fn take<T: Default>(&mut self, result: Result<T, Invalid>) -> T {
        match result {
            Ok(value) => value,
            Err(Invalid(errors)) => {
                self.0.extend(errors);
                T::default()
            }
        }
    }

    /// Records a message for `field` (a rule that is not a single-field check).
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldMessage::new(field, message));
    }

    /// `Ok` when nothing was recorded; else every message.
    pub fn finish(self) -> Result<(), Invalid> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Invalid(self.0))
        }
    }
}

/// Slugs that would collide with pages or hub infrastructure.
pub const RESERVED_SLUGS: &[&str] = &[
    "new",
    "admin",
    "api",
    "app",
    "account",
    "accounts",
    "auth",
    "billing",
    "communities",
    "community",
    "dashboard",
    "docs",
    "help",
    "hub",
    "hubs",
    "institutions",
    "invitations",
    "jupyter",
    "jupyterhub",
    "login",
    "logout",
    "mail",
    "pkg",
    "root",
    "settings",
    "signin",
    "signout",
    "staff",
    "static",
    "status",
    "stoa",
    "support",
    "system",
    "user",
    "users",
    "www",
];

/// ISO 3166-1 alpha-2 codes.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS \
     BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ \
     FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT \
     JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP \
     MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE \
     RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV \
     TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

fn invalid(field: &str, message: impl Into<String>) -> Invalid {
    Invalid::field(field, message)
}

/// A required single-line text: trimmed, `min..=max` characters, no control characters.
pub fn line(
    field: &str,
    label: &str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<String, Invalid> {
    let value = value.trim();
    let n = value.chars().count();
    if n == 0 && min > 0 {
        return Err(invalid(field, format!("Enter {label}.")));
    }
    if n < min {
        return Err(invalid(field, format!("Use at least {min} characters.")));
    }
    if n > max {
        return Err(invalid(field, format!("Use at most {max} characters.")));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(field, "Remove the control characters."));
    }
    Ok(value.to_owned())
}

/// Optional multi-line text: trimmed, at most `max` characters; newlines and tabs allowed.
pub fn text(field: &str, value: &str, max: usize) -> Result<String, Invalid> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(invalid(field, format!("Use at most {max} characters.")));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(invalid(field, "Remove the control characters."));
    }
    Ok(value.replace("\r\n", "\n"))
}

/// A community slug: 2–40 characters of `a-z`, `0-9` and single hyphens inside, starting
/// with a letter, not reserved. [`crate::Slug::parse`] is the way to make one.
pub(crate) fn slug(value: &str) -> Result<String, Invalid> {
    let value = value.trim();
    let n = value.chars().count();
    if !(2..=40).contains(&n) {
        return Err(invalid("slug", "Use 2 to 40 characters."));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(invalid(
            "slug",
            "Use lowercase letters, digits and hyphens only.",
        ));
    }
    if !value.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(invalid("slug", "Start with a letter."));
    }
    if value.ends_with('-') || value.contains("--") {
        return Err(invalid(
            "slug",
            "Hyphens go between letters or digits, one at a time.",
        ));
    }
    if RESERVED_SLUGS.contains(&value) {
        return Err(invalid(
            "slug",
            format!("“{value}” is reserved; choose another."),
        ));
    }
    Ok(value.to_owned())
}

/// An optional web address: empty, or an absolute `http(s)` URL (parsed by `url::Url`) with a
/// dotted host name, no credentials, at most 300 characters. `https_only` for addresses Stoa
/// itself fetches or embeds.
pub fn url(field: &str, value: &str, https_only: bool) -> Result<Option<String>, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.len() > 300 {
        return Err(invalid(field, "Use at most 300 characters."));
    }
    let wrong_scheme = || {
        invalid(
            field,
            if https_only {
                "Use an address starting with https://."
            } else {
                "Use an address starting with https:// or http://."
            },
        )
    };
    let lower = value.to_ascii_lowercase();
    if !(lower.starts_with("https://") || (!https_only && lower.starts_with("http://"))) {
        return Err(wrong_scheme());
    }
    // `Url::parse` is lenient (it percent-encodes spaces and quotes); what the person typed is
    // stored as typed, so refuse what a browser would have to rewrite.
    if value
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | '\\'))
    {
        return Err(invalid(field, "That does not look like a web address."));
    }
    let parsed = url::Url::parse(value)
        .map_err(|_| invalid(field, "That does not look like a web address."))?;
    let dotted_name = match parsed.host() {
        Some(url::Host::Domain(host)) => {
            host.contains('.') && !host.starts_with('.') && !host.ends_with('.')
        }
        // Literal IP addresses are not a public website.
        _ => false,
    };
    if !dotted_name || !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(field, "That does not look like a web address."));
    }
    Ok(Some(value.to_owned()))
}

/// An ISO 3166-1 alpha-2 country code (any case in, upper case out).
pub fn country(value: &str) -> Result<String, Invalid> {
    let code = value.trim().to_ascii_uppercase();
    if code.len() == 2 && COUNTRIES.split_whitespace().any(|c| c == code) {
        Ok(code)
    } else {
        Err(invalid(
            "country",
            "Use a two-letter country code such as DE, US or KE.",
        ))
    }
}

/// A person's display name: trimmed, 1–[`crate::account::MAX_NAME_CHARS`] characters, no
/// control characters (stored as typed, rendered as text).
pub fn name(value: &str) -> Result<String, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid("name", "Enter a name."));
    }
    if value.chars().count() > crate::account::MAX_NAME_CHARS {
        return Err(invalid("name", "Names are limited to 100 characters."));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid("name", "Names cannot contain control characters."));
    }
    Ok(value.to_owned())
}

/// A date `YYYY-MM-DD` (what `<input type=date>` sends), or empty for none.
pub fn date(field: &str, value: &str) -> Result<Option<chrono::NaiveDate>, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .filter(|d| value.len() == 10 && (2000..=2200).contains(&chrono::Datelike::year(d)))
        .map(Some)
        .ok_or_else(|| invalid(field, "Use a date like 2027-06-30."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: Result<impl std::fmt::Debug, Invalid>) -> String {
        match result {
            Err(Invalid(errors)) if errors.len() == 1 => errors[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn checks_report_every_invalid_field() {
        let mut checks = Checks::default();
        let name = checks.take(line("name", "a name", " ", 2, 100));
        let slug = checks.take(slug("Ocean"));
        let ok = checks.take(country("de"));
        assert_eq!((name.as_str(), slug.as_str(), ok.as_str()), ("", "", "DE"));
        let err = checks.finish().unwrap_err();
        assert_eq!(err.fields(), ["name", "slug"]);
        assert!(err.message_for("slug").unwrap().contains("lowercase"));
        let mut one = Checks::default();
        one.take(country("XX"));
        assert_eq!(one.finish().unwrap_err().fields(), ["country"]);
        assert!(Checks::default().finish().is_ok());
    }

    #[test]
    fn names() {
        assert_eq!(name("  Ada Lovelace ").unwrap(), "Ada Lovelace");
        assert_eq!(field_of(name("   ")), "name");
        assert_eq!(field_of(name(&"x".repeat(101))), "name");
        assert!(name(&"x".repeat(100)).is_ok());
        assert_eq!(field_of(name("a\u{7}b")), "name");
        assert_eq!(
            name("<script>").unwrap(),
            "<script>",
            "stored as typed, rendered as text"
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(slug(" ocean-lab ").unwrap(), "ocean-lab");
        assert_eq!(slug("a1").unwrap(), "a1");
        for bad in [
            "a",
            "Ocean",
            "ocean lab",
            "1lab",
            "lab-",
            "la--b",
            "new",
            "staff",
            "<x>",
            &"a".repeat(41),
        ] {
            assert_eq!(field_of(slug(bad)), "slug", "{bad:?}");
        }
    }

    #[test]
    fn urls() {
        assert_eq!(url("website", "", false).unwrap(), None);
        assert!(
            url("website", "https://ocean.example.org/lab?x=1", false)
                .unwrap()
                .is_some()
        );
        assert!(
            url("website", "http://ocean.example.org", false)
                .unwrap()
                .is_some()
        );
        assert_eq!(
            field_of(url("logo_url", "http://ocean.example.org/a.png", true)),
            "logo_url"
        );
        for bad in [
            "javascript:alert(1)",
            "https://",
            "https://localhost",
            "https://a b.org",
            "https://x.org/\"><script>",
            "https://user:pw@x.org/",
            "https://127.0.0.1/",
            "ftp://x.org/",
        ] {
            assert_eq!(field_of(url("website", bad, false)), "website", "{bad:?}");
        }
    }

    #[test]
    fn lines_texts_countries_dates() {
        assert_eq!(
            line("name", "a name", "  <script>alert(1)</script> ", 2, 100).unwrap(),
            "<script>alert(1)</script>"
        );
        assert_eq!(field_of(line("name", "a name", " ", 2, 100)), "name");
        assert_eq!(field_of(line("name", "a name", "a\u{0}b", 2, 100)), "name");
        assert_eq!(text("description", "a\r\nb", 10).unwrap(), "a\nb");
        assert_eq!(
            field_of(text("description", &"x".repeat(11), 10)),
            "description"
        );
        assert_eq!(country(" de ").unwrap(), "DE");
        assert_eq!(field_of(country("XX")), "country");
        assert_eq!(
            date("ends_on", "2027-06-30").unwrap().unwrap().to_string(),
            "2027-06-30"
        );
        assert_eq!(field_of(date("ends_on", "2027-02-30")), "ends_on");
        assert_eq!(date("ends_on", "").unwrap(), None);
        assert_eq!(field_of(date("ends_on", "30/06/2027")), "ends_on");
    }
}
