//! Calendar months in UTC: the period usage is counted and billed in.

use chrono::{DateTime, Datelike as _, NaiveDate, Utc};

/// A calendar month (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// The month `at` falls in.
    pub fn of(at: DateTime<Utc>) -> Month {
        Month {
            year: at.year(),
            month: at.month(),
        }
    }

    /// The month of a day.
    pub fn of_date(day: NaiveDate) -> Month {
        Month {
            year: day.year(),
            month: day.month(),
        }
    }

    /// Parses `YYYY-MM` (years 2000 to 2999, enough for a portal's history and typos caught).
    pub fn parse(raw: &str) -> Option<Month> {
        let (year, month) = raw.trim().split_once('-')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        let (year, month) = (year.parse::<i32>().ok()?, month.parse::<u32>().ok()?);
        ((2000..=2999).contains(&year) && (1..=12).contains(&month))
            .then_some(Month { year, month })
    }

    /// Its first day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The month after.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The month before.
    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// Its days, first to last.
    pub fn days(self) -> impl Iterator<Item = NaiveDate> {
        let end = self.next().first_day();
        self.first_day().iter_days().take_while(move |d| *d < end)
    }

    /// `2026-11`.
    pub fn key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// `November 2026`.
    pub fn label(self) -> String {
        self.first_day().format("%B %Y").to_string()
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_step_and_list_their_days() {
        let nov = Month::parse("2026-11").unwrap();
        assert_eq!(nov.key(), "2026-11");
        assert_eq!(nov.label(), "November 2026");
        assert_eq!(nov.next().key(), "2026-12");
        assert_eq!(nov.next().next().key(), "2027-01");
        assert_eq!(Month::parse("2027-01").unwrap().previous(), nov.next());
        assert_eq!(nov.days().count(), 30);
        assert_eq!(Month::parse("2028-02").unwrap().days().count(), 29);
        assert_eq!(Month::parse("2026-02").unwrap().days().count(), 28);
        assert_eq!(
            nov.days().last().unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
        for bad in [
            "",
            "2026",
            "2026-13",
            "2026-00",
            "26-11",
            "2026-1",
            "1999-12",
            "abcd-ef",
            "2026-11-01",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_instant_belongs_to_its_utc_month() {
        let at = DateTime::parse_from_rfc3339("2026-11-30T23:59:59Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(Month::of(at).key(), "2026-11");
        let at = DateTime::parse_from_rfc3339("2026-12-01T00:30:00+01:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(Month::of(at).key(), "2026-11", "23:30 UTC on the 30th");
    }
}
