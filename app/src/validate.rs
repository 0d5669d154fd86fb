//! Form checks shared by server functions (which always run them) and tests. Every check
//! names the form field its message belongs next to. Text is stored as typed (trimmed) and
//! always rendered as text, so `<script>` in a name is harmless and kept.

use crate::error::{AppError, FieldMessage};

/// Collects the validation errors of a whole form, so one submission reports every invalid
/// field next to it rather than one at a time.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldMessage>);

impl Checks {
    /// The value if valid; else records the error(s) and returns a placeholder default.
    pub fn take<T: Default>(&mut self, result: Result<T, AppError>) -> T {
        match result {
            Ok(value) => value,
            Err(AppError::Invalid { field, message }) => {
                self.0.push(FieldMessage { field, message });
                T::default()
            }
            Err(AppError::InvalidFields { errors }) => {
                self.0.extend(errors);
                T::default()
            }
            Err(other) => {
                self.0.push(FieldMessage {
                    field: "form".into(),
                    message: other.to_string(),
                });
                T::default()
            }
        }
    }

    /// `Ok` when nothing was recorded; one error as [`AppError::Invalid`], several as
    /// [`AppError::InvalidFields`].
    pub fn finish(mut self) -> Result<(), AppError> {
        match self.0.len() {
            0 => Ok(()),
            1 => {
                let FieldMessage { field, message } = self.0.remove(0);
                Err(AppError::Invalid { field, message })
            }
            _ => Err(AppError::InvalidFields { errors: self.0 }),
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

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// A required single-line text: trimmed, `min..=max` characters, no control characters.
pub fn line(
    field: &str,
    label: &str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<String, AppError> {
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
pub fn text(field: &str, value: &str, max: usize) -> Result<String, AppError> {
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
/// with a letter, not reserved.
pub fn slug(value: &str) -> Result<String, AppError> {
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

/// An optional web address: empty, or `http(s)://host…` with a dotted host, no spaces, at most
/// 300 characters. `https_only` for images embedded in our pages (mixed content).
pub fn url(field: &str, value: &str, https_only: bool) -> Result<Option<String>, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let rest = value.strip_prefix("https://").or_else(|| {
        (!https_only)
            .then(|| value.strip_prefix("http://"))
            .flatten()
    });
    let Some(rest) = rest else {
        return Err(invalid(
            field,
            if https_only {
                "Use an address starting with https://."
            } else {
                "Use an address starting with https:// or http://."
            },
        ));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_ok = host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    if !host_ok
        || value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
    {
        return Err(invalid(field, "That does not look like a web address."));
    }
    if value.len() > 300 {
        return Err(invalid(field, "Use at most 300 characters."));
    }
    Ok(Some(value.to_owned()))
}

/// An ISO 3166-1 alpha-2 country code (any case in, upper case out).
pub fn country(value: &str) -> Result<String, AppError> {
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

/// A date `YYYY-MM-DD` (what `<input type=date>` sends), or empty for none.
pub fn date(field: &str, value: &str) -> Result<Option<chrono::NaiveDate>, AppError> {
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

    fn field_of(result: Result<impl std::fmt::Debug, AppError>) -> String {
        match result {
            Err(AppError::Invalid { field, .. }) => field,
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
        assert!(matches!(one.finish(), Err(AppError::Invalid { field, .. }) if field == "country"));
        assert!(Checks::default().finish().is_ok());
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
