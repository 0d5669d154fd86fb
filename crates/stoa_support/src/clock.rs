//! A ticket's SLA clocks.

use chrono::{DateTime, TimeDelta, Utc};

use crate::{Calendar, Target};

/// A ticket's two SLA clocks, in business time ([`Calendar`]), as stored with the ticket.
///
/// - **First response**: from opening to the first public reply by staff. It never pauses:
///   the ticket waits on its community only after staff have said something.
/// - **Resolution**: from opening to resolved; paused while the ticket waits on the
///   community (pending) and once resolved, running again when reopened. Business time
///   already counted is kept in `resolution_spent_secs`; `running_since` is when the
///   current run began (`None` while paused).
///
/// The due instants are kept too (while the clock runs) so that a store can list what is
/// overdue with an index instead of asking the calendar about every ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaClock {
    /// The first-response target, seconds of business time.
    pub first_response_target_secs: i64,
    /// When the first response is due.
    pub first_response_due: DateTime<Utc>,
    /// The first public reply by staff.
    pub first_responded_at: Option<DateTime<Utc>>,
    /// The resolution target, seconds of business time.
    pub resolution_target_secs: i64,
    /// Business time counted in earlier runs.
    pub resolution_spent_secs: i64,
    /// When the current run began; `None` while paused.
    pub running_since: Option<DateTime<Utc>>,
    /// When resolution is due, while the clock runs.
    pub resolution_due: Option<DateTime<Utc>>,
}

impl SlaClock {
    /// The clocks of a ticket opened at `at` with `target`.
    pub fn start(calendar: &Calendar, target: Target, at: DateTime<Utc>) -> SlaClock {
        SlaClock {
            first_response_target_secs: target.first_response.num_seconds(),
            first_response_due: calendar.after(at, target.first_response),
            first_responded_at: None,
            resolution_target_secs: target.resolution.num_seconds(),
            resolution_spent_secs: 0,
            running_since: Some(at),
            resolution_due: Some(calendar.after(at, target.resolution)),
        }
    }

    /// Staff answered in public at `at` (only the first answer counts).
    pub fn responded(&mut self, at: DateTime<Utc>) {
        self.first_responded_at.get_or_insert(at);
    }

    /// Runs or pauses the resolution clock at `at` (doing nothing if it already does so).
    pub fn set_running(&mut self, calendar: &Calendar, running: bool, at: DateTime<Utc>) {
        match (self.running_since, running) {
            (Some(since), false) => {
                self.resolution_spent_secs += calendar.between(since, at).num_seconds();
                self.running_since = None;
                self.resolution_due = None;
            }
            (None, true) => {
                self.running_since = Some(at);
                self.resolution_due = Some(calendar.after(at, self.resolution_left_at_start()));
            }
            _ => {}
        }
    }

    /// New targets (the impact changed): the time already counted stays counted.
    pub fn retarget(&mut self, calendar: &Calendar, target: Target, opened_at: DateTime<Utc>) {
        self.first_response_target_secs = target.first_response.num_seconds();
        self.first_response_due = calendar.after(opened_at, target.first_response);
        self.resolution_target_secs = target.resolution.num_seconds();
        if let Some(since) = self.running_since {
            self.resolution_due = Some(calendar.after(since, self.resolution_left_at_start()));
        }
    }

    fn resolution_left_at_start(&self) -> TimeDelta {
        TimeDelta::seconds(self.resolution_target_secs - self.resolution_spent_secs)
    }

    /// Business time counted towards resolution by `now`.
    pub fn resolution_spent(&self, calendar: &Calendar, now: DateTime<Utc>) -> TimeDelta {
        let running = self
            .running_since
            .map_or(TimeDelta::zero(), |since| calendar.between(since, now));
        TimeDelta::seconds(self.resolution_spent_secs) + running
    }

    /// Business time left to resolve at `now`; negative once overdue.
    pub fn resolution_left(&self, calendar: &Calendar, now: DateTime<Utc>) -> TimeDelta {
        TimeDelta::seconds(self.resolution_target_secs) - self.resolution_spent(calendar, now)
    }

    /// Business time left for the first response at `now` (`None` once answered); negative
    /// once overdue.
    pub fn first_response_left(
        &self,
        calendar: &Calendar,
        opened_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<TimeDelta> {
        self.first_responded_at.is_none().then(|| {
            TimeDelta::seconds(self.first_response_target_secs) - calendar.between(opened_at, now)
        })
    }

    /// Whether the first response came, or is still missing, after its due time.
    pub fn first_response_breached(&self, now: DateTime<Utc>) -> bool {
        self.first_responded_at.unwrap_or(now) > self.first_response_due
    }

    /// Whether resolution took, or is taking, more business time than its target.
    pub fn resolution_breached(&self, calendar: &Calendar, now: DateTime<Utc>) -> bool {
        self.resolution_left(calendar, now) < TimeDelta::zero()
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveTime;

    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    /// Monday to Friday, 09:00–17:00 UTC.
    fn office() -> Calendar {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        Calendar::new(
            jiff::tz::TimeZone::UTC,
            [true, true, true, true, true, false, false],
            t(9),
            t(17),
            Default::default(),
        )
        .unwrap()
    }

    fn target(first: i64, resolution: i64) -> Target {
        Target {
            first_response: TimeDelta::hours(first),
            resolution: TimeDelta::hours(resolution),
        }
    }

    #[test]
    fn the_resolution_clock_pauses_while_pending() {
        let cal = office();
        // Opened Monday 10:00 with 8 business hours to resolve.
        let opened = utc("2026-11-23T10:00:00Z");
        let mut clock = SlaClock::start(&cal, target(2, 8), opened);
        assert_eq!(clock.resolution_due, Some(utc("2026-11-24T10:00:00Z")));
        // Staff answer at 11:00 and wait on the community: 1 h counted, paused.
        let asked = utc("2026-11-23T11:00:00Z");
        clock.responded(asked);
        clock.set_running(&cal, false, asked);
        assert_eq!(clock.resolution_due, None);
        // Three days later nothing more is counted.
        let later = utc("2026-11-26T11:00:00Z");
        assert_eq!(clock.resolution_left(&cal, later), TimeDelta::hours(7));
        assert!(!clock.resolution_breached(&cal, later));
        // The member answers Thursday 11:00: 7 h left, due Friday 10:00.
        clock.set_running(&cal, true, later);
        assert_eq!(clock.resolution_due, Some(utc("2026-11-27T10:00:00Z")));
        assert!(!clock.resolution_breached(&cal, utc("2026-11-27T10:00:00Z")));
        assert!(clock.resolution_breached(&cal, utc("2026-11-27T10:00:01Z")));
        assert_eq!(
            clock.resolution_left(&cal, utc("2026-11-27T12:00:00Z")),
            TimeDelta::hours(-2)
        );
    }

    #[test]
    fn the_first_response_clock_stops_at_the_first_answer() {
        let cal = office();
        // Friday 16:00, 2 business hours: due Monday 10:00.
        let opened = utc("2026-11-27T16:00:00Z");
        let mut clock = SlaClock::start(&cal, target(2, 16), opened);
        assert_eq!(clock.first_response_due, utc("2026-11-30T10:00:00Z"));
        let monday = utc("2026-11-30T09:30:00Z");
        assert_eq!(
            clock.first_response_left(&cal, opened, monday),
            Some(TimeDelta::minutes(30))
        );
        assert!(!clock.first_response_breached(utc("2026-11-30T10:00:00Z")));
        assert!(clock.first_response_breached(utc("2026-11-30T10:00:01Z")));
        clock.responded(monday);
        clock.responded(utc("2026-11-30T11:00:00Z"));
        assert_eq!(clock.first_responded_at, Some(monday));
        assert_eq!(clock.first_response_left(&cal, opened, monday), None);
        assert!(!clock.first_response_breached(utc("2026-12-30T00:00:00Z")));
    }

    #[test]
    fn a_new_impact_keeps_the_time_counted() {
        let cal = office();
        let opened = utc("2026-11-23T09:00:00Z");
        let mut clock = SlaClock::start(&cal, target(8, 40), opened);
        clock.set_running(&cal, false, utc("2026-11-23T12:00:00Z"));
        clock.set_running(&cal, true, utc("2026-11-24T09:00:00Z"));
        // Raised to 2 h / 8 h: 3 h counted, 5 h left from Tuesday 09:00.
        clock.retarget(&cal, target(2, 8), opened);
        assert_eq!(clock.first_response_due, utc("2026-11-23T11:00:00Z"));
        assert_eq!(clock.resolution_due, Some(utc("2026-11-24T14:00:00Z")));
    }
}
