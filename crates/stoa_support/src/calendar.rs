//! Business time: what SLA targets count.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike as _, NaiveDate, NaiveTime, TimeDelta, Timelike as _, Utc};

/// The support team's working time: a time zone, the working days of the week, the hours
/// of a working day (the same every working day) and holidays (local dates).
///
/// Times are instants (UTC); the calendar places each working day's hours in the time zone,
/// so a daylight-saving change moves them as it moves the team's clocks. A working day
/// whose hours are skipped or repeated by such a change keeps its length in the zone's
/// "compatible" reading (an hour that does not exist is read as the one after).
#[derive(Debug, Clone)]
pub struct Calendar {
    zone: jiff::tz::TimeZone,
    /// Monday first.
    days: [bool; 7],
    opens: NaiveTime,
    closes: NaiveTime,
    holidays: BTreeSet<NaiveDate>,
}

/// The longest span a calendar walks (ten years of days): a target further away than that
/// is never reached.
const MAX_DAYS: u32 = 3_660;

impl Calendar {
    /// A calendar; `days` Monday first; `closes` at midnight (00:00) is the end of the day.
    /// `None` when no day works or a day ends before it starts (the configuration says
    /// which).
    pub fn new(
        zone: jiff::tz::TimeZone,
        days: [bool; 7],
        opens: NaiveTime,
        closes: NaiveTime,
        holidays: BTreeSet<NaiveDate>,
    ) -> Option<Calendar> {
        let hours = closes == NaiveTime::MIN || opens < closes;
        (days.iter().any(|d| *d) && hours).then_some(Calendar {
            zone,
            days,
            opens,
            closes,
            holidays,
        })
    }

    /// Every hour of every day, in UTC: business time is wall time (tests, and teams that
    /// answer around the clock).
    pub fn always() -> Calendar {
        Calendar {
            zone: jiff::tz::TimeZone::UTC,
            days: [true; 7],
            opens: NaiveTime::MIN,
            closes: NaiveTime::MIN,
            holidays: BTreeSet::new(),
        }
    }

    /// The local date of an instant.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        let zoned = jiff::Timestamp::from_second(at.timestamp())
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .to_zoned_datetime(self.zone.clone());
        NaiveDate::from_ymd_opt(
            i32::from(zoned.year()),
            u32::try_from(zoned.month()).unwrap_or(1),
            u32::try_from(zoned.day()).unwrap_or(1),
        )
        .unwrap_or_default()
    }

    /// The instant of a local date and time.
    fn instant(&self, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        let civil = jiff::civil::DateTime::new(
            i16::try_from(date.year()).unwrap_or(1970),
            i8::try_from(date.month()).unwrap_or(1),
            i8::try_from(date.day()).unwrap_or(1),
            i8::try_from(time.hour()).unwrap_or(0),
            i8::try_from(time.minute()).unwrap_or(0),
            i8::try_from(time.second()).unwrap_or(0),
            0,
        );
        let second = civil
            .and_then(|dt| self.zone.to_ambiguous_zoned_datetime(dt).compatible())
            .map(|z| z.timestamp().as_second())
            .unwrap_or_default();
        DateTime::from_timestamp(second, 0).unwrap_or_default()
    }

    /// The working hours of a local date, as instants, if it is a working day.
    fn window(&self, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let weekday = date.weekday().num_days_from_monday() as usize;
        if !self.days[weekday] || self.holidays.contains(&date) {
            return None;
        }
        let opens = self.instant(date, self.opens);
        let closes = if self.closes == NaiveTime::MIN {
            self.instant(date.succ_opt()?, NaiveTime::MIN)
        } else {
            self.instant(date, self.closes)
        };
        Some((opens, closes))
    }

    /// Business time between two instants (zero if `to` is not after `from`).
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> TimeDelta {
        if to <= from {
            return TimeDelta::zero();
        }
        let mut total = TimeDelta::zero();
        let last = self.local_date(to);
        let mut day = self.local_date(from);
        for _ in 0..MAX_DAYS {
            if day > last {
                break;
            }
            if let Some((opens, closes)) = self.window(day) {
                let (a, b) = (opens.max(from), closes.min(to));
                if b > a {
                    total += b - a;
                }
            }
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
        total
    }

    /// The instant at which `business` business time has passed since `from`: `from` itself
    /// when `business` is not positive; the end of the working hours it fills (not the
    /// next morning) when it ends exactly at closing.
    pub fn after(&self, from: DateTime<Utc>, business: TimeDelta) -> DateTime<Utc> {
        if business <= TimeDelta::zero() {
            return from;
        }
        let mut left = business;
        let mut day = self.local_date(from);
        for _ in 0..MAX_DAYS {
            if let Some((opens, closes)) = self.window(day) {
                let start = opens.max(from);
                if closes > start {
                    let open = closes - start;
                    if left <= open {
                        return start + left;
                    }
                    left -= open;
                }
            }
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
        from + TimeDelta::days(i64::from(MAX_DAYS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn amsterdam(holidays: &[&str]) -> Calendar {
        Calendar::new(
            jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap(),
            [true, true, true, true, true, false, false],
            NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
            holidays.iter().map(|d| d.parse().unwrap()).collect(),
        )
        .unwrap()
    }

    #[test]
    fn counts_working_hours_only() {
        let cal = amsterdam(&[]);
        // Thursday 2026-11-26, 15:00 local (UTC+1) to Friday 11:00 local: 2 h + 2 h.
        let (from, to) = (utc("2026-11-26T14:00:00Z"), utc("2026-11-27T10:00:00Z"));
        assert_eq!(cal.between(from, to), TimeDelta::hours(4));
        // Friday 16:00 to Monday 10:00: 1 h + 1 h; the weekend does not count.
        let (from, to) = (utc("2026-11-27T15:00:00Z"), utc("2026-11-30T09:00:00Z"));
        assert_eq!(cal.between(from, to), TimeDelta::hours(2));
        // A night and a Sunday alone: nothing.
        assert_eq!(
            cal.between(utc("2026-11-29T01:00:00Z"), utc("2026-11-29T23:00:00Z")),
            TimeDelta::zero()
        );
        assert_eq!(cal.between(to, from), TimeDelta::zero());
    }

    #[test]
    fn targets_land_in_working_hours() {
        let cal = amsterdam(&[]);
        // 4 business hours from Friday 15:00 local: 2 h Friday, 2 h Monday → Monday 11:00.
        let due = cal.after(utc("2026-11-27T14:00:00Z"), TimeDelta::hours(4));
        assert_eq!(due, utc("2026-11-30T10:00:00Z"));
        // Opened on Saturday night: the clock starts Monday at 09:00.
        let due = cal.after(utc("2026-11-28T22:00:00Z"), TimeDelta::hours(1));
        assert_eq!(due, utc("2026-11-30T09:00:00Z"));
        // Exactly a day's hours from opening: that evening, not the next morning.
        let due = cal.after(utc("2026-11-26T08:00:00Z"), TimeDelta::hours(8));
        assert_eq!(due, utc("2026-11-26T16:00:00Z"));
        assert_eq!(cal.after(due, TimeDelta::zero()), due);
        // `after` and `between` agree.
        let from = utc("2026-11-25T11:17:00Z");
        for hours in [1, 7, 8, 9, 30, 100] {
            let due = cal.after(from, TimeDelta::hours(hours));
            assert_eq!(cal.between(from, due), TimeDelta::hours(hours), "{hours} h");
        }
    }

    #[test]
    fn holidays_do_not_count() {
        let cal = amsterdam(&["2026-12-25"]);
        // Thursday 24 December 16:00 local + 2 h: 1 h on the 24th, Christmas off, the 26th
        // is a Saturday: Monday 28th 10:00 local.
        let due = cal.after(utc("2026-12-24T15:00:00Z"), TimeDelta::hours(2));
        assert_eq!(due, utc("2026-12-28T09:00:00Z"));
    }

    #[test]
    fn daylight_saving_moves_the_hours_in_utc() {
        let cal = amsterdam(&[]);
        // Summer (UTC+2): a working day is 07:00–15:00 UTC.
        let monday = utc("2026-06-01T05:00:00Z");
        assert_eq!(
            cal.after(monday, TimeDelta::hours(1)),
            utc("2026-06-01T08:00:00Z")
        );
        // Across the change on Sunday 25 October 2026: Friday 16:00 local (14:00 UTC) + 2 h
        // is Monday 10:00 local, now UTC+1.
        let due = cal.after(utc("2026-10-23T14:00:00Z"), TimeDelta::hours(2));
        assert_eq!(due, utc("2026-10-26T09:00:00Z"));
    }

    #[test]
    fn always_is_wall_time() {
        let cal = Calendar::always();
        let from = utc("2026-11-28T22:30:00Z");
        assert_eq!(
            cal.after(from, TimeDelta::hours(3)),
            utc("2026-11-29T01:30:00Z")
        );
        assert_eq!(
            cal.between(from, utc("2026-12-01T22:30:00Z")),
            TimeDelta::days(3)
        );
    }

    #[test]
    fn a_calendar_needs_a_working_day_with_hours() {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        let zone = jiff::tz::TimeZone::UTC;
        assert!(Calendar::new(zone.clone(), [false; 7], t(9), t(17), BTreeSet::new()).is_none());
        assert!(Calendar::new(zone, [true; 7], t(17), t(9), BTreeSet::new()).is_none());
    }
}
