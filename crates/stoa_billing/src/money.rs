//! Amounts in a currency's minor unit, and how people read them.

use serde::{Deserialize, Serialize};

/// An ISO 4217 currency code, lower case as Stripe writes it (`eur`, `usd`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

/// Currencies without a minor unit (Stripe's list of zero-decimal currencies): their amounts
/// are whole units.
const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

impl Currency {
    /// The code, lower case.
    pub fn code(&self) -> &str {
        &self.0
    }

    /// Digits after the decimal point: 2 for most, 0 for zero-decimal currencies.
    pub fn exponent(&self) -> u32 {
        if ZERO_DECIMAL.contains(&self.0.as_str()) {
            0
        } else {
            2
        }
    }

    fn symbol(&self) -> Option<&'static str> {
        match self.0.as_str() {
            "eur" => Some("€"),
            "usd" => Some("$"),
            "gbp" => Some("£"),
            "jpy" => Some("¥"),
            _ => None,
        }
    }
}

impl TryFrom<String> for Currency {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        let code = raw.trim().to_ascii_lowercase();
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_lowercase()) {
            Ok(Currency(code))
        } else {
            Err(format!(
                "currency {raw:?} is not a three-letter ISO 4217 code such as \"eur\""
            ))
        }
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency("eur".into())
    }
}

/// An amount in the minor unit of a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct Money(pub i64);

impl Money {
    /// The amount for people: `€1,234.50`, `CHF 12.00`, `¥1,200`, `-€3.00`.
    pub fn display(self, currency: &Currency) -> String {
        let exponent = currency.exponent();
        let scale = 10_i64.pow(exponent);
        let abs = self.0.unsigned_abs();
        let (units, cents) = (abs / scale.unsigned_abs(), abs % scale.unsigned_abs());
        let digits = units.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        let number = if exponent == 0 {
            grouped
        } else {
            format!("{grouped}.{cents:0width$}", width = exponent as usize)
        };
        let sign = if self.0 < 0 { "-" } else { "" };
        match currency.symbol() {
            Some(symbol) => format!("{sign}{symbol}{number}"),
            None => format!("{sign}{} {number}", currency.code().to_ascii_uppercase()),
        }
    }
}

impl Money {
    /// An amount as people type it, in major units (`1,200.50`, `1200`, `0.5`), for
    /// `currency`; refuses more decimals than the currency has, signs and anything else.
    pub fn parse(text: &str, currency: &Currency) -> Result<Money, String> {
        let exponent = currency.exponent();
        let bad = || {
            if exponent == 0 {
                "Write a whole amount, such as 1200.".to_owned()
            } else {
                "Write an amount such as 1200 or 1,200.50.".to_owned()
            }
        };
        let cleaned: String = text
            .trim()
            .chars()
            .filter(|c| *c != ',' && *c != ' ')
            .collect();
        let (units, fraction) = match cleaned.split_once('.') {
            Some((u, f)) => (u, f),
            None => (cleaned.as_str(), ""),
        };
        if units.is_empty()
            || !units.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
            || fraction.len() > exponent as usize
            || (cleaned.contains('.') && fraction.is_empty())
        {
            return Err(bad());
        }
        let scale = 10_i64.pow(exponent);
        let units: i64 = units.parse().map_err(|_| bad())?;
        let padded = format!("{fraction:0<width$}", width = exponent as usize);
        let fraction: i64 = if padded.is_empty() {
            0
        } else {
            padded.parse().map_err(|_| bad())?
        };
        units
            .checked_mul(scale)
            .and_then(|m| m.checked_add(fraction))
            .map(Money)
            .ok_or_else(bad)
    }
}

impl std::ops::Add for Money {
    type Output = Money;

    fn add(self, other: Money) -> Money {
        Money(self.0.saturating_add(other.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(code: &str) -> Currency {
        Currency::try_from(code.to_owned()).unwrap()
    }

    #[test]
    fn amounts_are_written_with_their_currency_and_grouped_thousands() {
        assert_eq!(Money(123_450).display(&cur("eur")), "€1,234.50");
        assert_eq!(Money(5).display(&cur("usd")), "$0.05");
        assert_eq!(Money(0).display(&cur("gbp")), "£0.00");
        assert_eq!(Money(120_000_000).display(&cur("chf")), "CHF 1,200,000.00");
        assert_eq!(Money(1_200).display(&cur("JPY")), "¥1,200");
        assert_eq!(Money(-300).display(&cur("eur")), "-€3.00");
        assert_eq!(Money(99_999).display(&cur("eur")), "€999.99");
    }

    #[test]
    fn amounts_are_read_as_people_type_them() {
        let eur = cur("eur");
        assert_eq!(Money::parse("1,200.50", &eur), Ok(Money(120_050)));
        assert_eq!(Money::parse(" 1200 ", &eur), Ok(Money(120_000)));
        assert_eq!(Money::parse("0.5", &eur), Ok(Money(50)));
        assert_eq!(Money::parse("12.05", &eur), Ok(Money(1_205)));
        for bad in [
            "",
            "-5",
            "1.234",
            "abc",
            "1.",
            ".5",
            "1e3",
            "12,00.5.1",
            "99999999999999999999",
        ] {
            assert!(Money::parse(bad, &eur).is_err(), "{bad}");
        }
        assert_eq!(Money::parse("1,200", &cur("jpy")), Ok(Money(1_200)));
        assert!(Money::parse("1.5", &cur("jpy")).is_err());
    }

    #[test]
    fn currencies_are_three_letters() {
        assert_eq!(cur(" EUR ").code(), "eur");
        for bad in ["", "eu", "euro", "e1r", "€"] {
            assert!(Currency::try_from(bad.to_owned()).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<Currency>("\"us\"").is_err());
        assert_eq!(
            serde_json::from_str::<Currency>("\"usd\"")
                .unwrap()
                .exponent(),
            2
        );
    }
}
