//! The support desk's settings (`[support]`).

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime, TimeDelta};
use serde::{Deserialize, Serialize};

use crate::{Calendar, Impact};

/// The support desk's settings: the team's calendar, the SLA targets of each plan, and how
/// long a resolved ticket may be reopened by a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupportConfig {
    /// The team's time zone (IANA name, `Europe/Amsterdam`). Default `UTC`.
    pub time_zone: String,
    /// Working days, `mon` … `sun`. Default Monday to Friday.
    pub business_days: Vec<String>,
    /// When a working day starts, `HH:MM`. Default `09:00`.
    pub opens: String,
    /// When it ends, `HH:MM` (`24:00`: midnight). Default `17:00`.
    pub closes: String,
    /// Local dates on which the team does not work (`2026-12-25`).
    pub holidays: Vec<NaiveDate>,
    /// Days after resolution during which a member's reply reopens the ticket; after them,
    /// it is closed. Default 14.
    pub reopen_days: i64,
    /// How long a staff member's "view as" session lasts (the member consented on a
    /// ticket), in minutes. Default 60.
    pub view_as_minutes: i64,
    /// Targets per plan id, then per impact: `[support.targets.lab.critical]` with
    /// `first_response = "4h"` and `resolution = "16h"`, in business time (`h`, `m`). A
    /// plan without targets of its own has those of `default` (so adding a plan to
    /// `[billing]` does not stop Stoa for want of targets).
    pub targets: BTreeMap<String, BTreeMap<Impact, TargetWords>>,
}

/// A target as written: business hours and minutes, `4h`, `30m`, `1h30m`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetWords {
    /// Until the first public answer.
    pub first_response: String,
    /// Until resolved, pauses excluded.
    pub resolution: String,
}

/// SLA targets in business time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Until the first public answer.
    pub first_response: TimeDelta,
    /// Until resolved, pauses excluded.
    pub resolution: TimeDelta,
}

/// One mistake in the support settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// The targets of plans without their own.
pub const DEFAULT_TARGETS: &str = "default";

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Default for SupportConfig {
    /// UTC, Monday to Friday 09:00–17:00, and targets for the default plans (`lab`,
    /// `department`, `consortium`) that keep the promises their descriptions make: the
    /// next business day, 8 business hours, 4 business hours for a first answer.
    fn default() -> Self {
        let t = |first: &str, resolution: &str| TargetWords {
            first_response: first.into(),
            resolution: resolution.into(),
        };
        let plan = |rows: [(&str, &str); 4]| -> BTreeMap<Impact, TargetWords> {
            Impact::ALL
                .iter()
                .zip(rows)
                .map(|(impact, (first, resolution))| (*impact, t(first, resolution)))
                .collect()
        };
        SupportConfig {
            time_zone: "UTC".into(),
            business_days: DAYS[..5].iter().map(|d| (*d).to_owned()).collect(),
            opens: "09:00".into(),
            closes: "17:00".into(),
            holidays: Vec::new(),
            reopen_days: 14,
            view_as_minutes: 60,
            targets: BTreeMap::from([
                (
                    DEFAULT_TARGETS.to_owned(),
                    plan([("8h", "80h"), ("8h", "40h"), ("8h", "24h"), ("4h", "16h")]),
                ),
                (
                    "lab".to_owned(),
                    plan([("8h", "80h"), ("8h", "40h"), ("8h", "24h"), ("4h", "16h")]),
                ),
                (
                    "department".to_owned(),
                    plan([("8h", "40h"), ("8h", "24h"), ("4h", "16h"), ("2h", "8h")]),
                ),
                (
                    "consortium".to_owned(),
                    plan([("4h", "24h"), ("4h", "16h"), ("2h", "8h"), ("1h", "4h")]),
                ),
            ]),
        }
    }
}

/// `4h`, `30m`, `1h30m` as a duration; `None` for anything else or zero.
pub fn parse_duration(words: &str) -> Option<TimeDelta> {
    let mut total = TimeDelta::zero();
    let mut number = String::new();
    let mut units = 0;
    for c in words.trim().chars() {
        match c {
            '0'..='9' => number.push(c),
            'h' | 'm' if !number.is_empty() => {
                let n: i64 = number.parse().ok().filter(|n| *n <= 100_000)?;
                total += if c == 'h' {
                    TimeDelta::hours(n)
                } else {
                    TimeDelta::minutes(n)
                };
                number.clear();
                units += 1;
            }
            _ => return None,
        }
    }
    (number.is_empty() && units > 0 && total > TimeDelta::zero()).then_some(total)
}

fn parse_time(words: &str) -> Option<NaiveTime> {
    if words == "24:00" {
        return Some(NaiveTime::MIN);
    }
    NaiveTime::parse_from_str(words, "%H:%M").ok()
}

impl SupportConfig {
    /// The team's calendar.
    pub fn calendar(&self) -> Result<Calendar, ConfigError> {
        let zone = jiff::tz::TimeZone::get(&self.time_zone).map_err(|_| {
            ConfigError(format!(
                "support.time_zone: {:?} is not a time zone (an IANA name such as \"Europe/Amsterdam\")",
                self.time_zone
            ))
        })?;
        let mut days = [false; 7];
        for day in &self.business_days {
            let i = DAYS.iter().position(|d| d == day).ok_or_else(|| {
                ConfigError(format!(
                    "support.business_days: {day:?} is not one of mon, tue, wed, thu, fri, sat, sun"
                ))
            })?;
            days[i] = true;
        }
        let time = |field: &str, words: &str| {
            parse_time(words).ok_or_else(|| {
                ConfigError(format!(
                    "support.{field}: {words:?} is not a time of day (HH:MM)"
                ))
            })
        };
        let (opens, closes) = (time("opens", &self.opens)?, time("closes", &self.closes)?);
        if self.opens == "24:00" {
            return Err(ConfigError(
                "support.opens: a day cannot open at 24:00".into(),
            ));
        }
        Calendar::new(
            zone,
            days,
            opens,
            closes,
            self.holidays.iter().copied().collect(),
        )
        .ok_or_else(|| {
            ConfigError("support: at least one business day, and `closes` after `opens`".into())
        })
    }

    /// The targets of `plan` for `impact` (else the `default` ones), if configured and valid.
    pub fn target(&self, plan: &str, impact: Impact) -> Option<Target> {
        let words = self
            .targets
            .get(plan)
            .or_else(|| self.targets.get(DEFAULT_TARGETS))?
            .get(&impact)?;
        Some(Target {
            first_response: parse_duration(&words.first_response)?,
            resolution: parse_duration(&words.resolution)?,
        })
    }

    /// How long after resolution a member's reply reopens a ticket.
    pub fn reopen_window(&self) -> TimeDelta {
        TimeDelta::days(self.reopen_days)
    }

    /// How long a "view as" session lasts.
    pub fn view_as_time(&self) -> TimeDelta {
        TimeDelta::minutes(self.view_as_minutes)
    }

    /// Every mistake, given the ids of the plans on offer (each needs targets for every
    /// impact). Stoa refuses to start on any.
    pub fn problems(&self, plans: &[&str]) -> Vec<ConfigError> {
        let mut problems = Vec::new();
        if let Err(e) = self.calendar() {
            problems.push(e);
        }
        if !(5..=480).contains(&self.view_as_minutes) {
            problems.push(ConfigError("support.view_as_minutes: from 5 to 480".into()));
        }
        if !(1..=365).contains(&self.reopen_days) {
            problems.push(ConfigError("support.reopen_days: from 1 to 365".into()));
        }
        let own = |plan: &str| self.targets.contains_key(plan);
        let checked = plans
            .iter()
            .copied()
            .filter(|p| own(p))
            .chain(own(DEFAULT_TARGETS).then_some(DEFAULT_TARGETS));
        if !own(DEFAULT_TARGETS) {
            for plan in plans.iter().filter(|p| !own(p)) {
                problems.push(ConfigError(format!(
                    "support.targets.{plan}: missing (give the plan targets, or give support.targets.default)"
                )));
            }
        }
        for plan in checked {
            for impact in Impact::ALL {
                let at = format!("support.targets.{plan}.{}", impact.as_str());
                let Some(words) = self.targets.get(plan).and_then(|t| t.get(impact)) else {
                    problems.push(ConfigError(format!(
                        "{at}: missing (every plan needs first_response and resolution for every impact)"
                    )));
                    continue;
                };
                let (first, resolution) = (
                    parse_duration(&words.first_response),
                    parse_duration(&words.resolution),
                );
                match (first, resolution) {
                    (Some(first), Some(resolution)) if first > resolution => problems.push(
                        ConfigError(format!("{at}: first_response is longer than resolution")),
                    ),
                    (Some(_), Some(_)) => {}
                    _ => problems.push(ConfigError(format!(
                        "{at}: durations as business hours and minutes, \"4h\", \"30m\", \"1h30m\""
                    ))),
                }
            }
        }
        // Targets of plans that are not on offer are ignored, not refused: the defaults name
        // the default plans, which an operator's own `[billing]` may replace.
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("4h"), Some(TimeDelta::hours(4)));
        assert_eq!(parse_duration("30m"), Some(TimeDelta::minutes(30)));
        assert_eq!(parse_duration(" 1h30m "), Some(TimeDelta::minutes(90)));
        for bad in ["", "4", "h", "0h", "1d", "1.5h", "-1h", "4 h", "999999h"] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_default_is_valid_for_the_default_plans() {
        let config = SupportConfig::default();
        assert_eq!(
            config.problems(&["lab", "department", "consortium"]),
            Vec::new()
        );
        assert_eq!(
            config.target("consortium", Impact::Critical),
            Some(Target {
                first_response: TimeDelta::hours(1),
                resolution: TimeDelta::hours(4)
            })
        );
    }

    #[test]
    fn mistakes_are_named() {
        let mut config = SupportConfig {
            time_zone: "Mars/Olympus".into(),
            business_days: vec!["monday".into()],
            reopen_days: 0,
            ..SupportConfig::default()
        };
        config.targets.remove(DEFAULT_TARGETS);
        let problems: Vec<String> = config
            .problems(&["lab", "gold"])
            .into_iter()
            .map(|p| p.0)
            .collect();
        assert!(problems[0].contains("Mars/Olympus"), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("reopen_days")));
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("support.targets.gold: missing"))
        );

        let config = SupportConfig {
            business_days: vec!["monday".into()],
            ..SupportConfig::default()
        };
        assert!(config.calendar().unwrap_err().0.contains("\"monday\""));
        let config = SupportConfig {
            opens: "17:00".into(),
            closes: "09:00".into(),
            ..SupportConfig::default()
        };
        assert!(config.calendar().is_err());
        let mut config = SupportConfig::default();
        config.targets.get_mut("lab").unwrap().insert(
            Impact::Low,
            TargetWords {
                first_response: "9h".into(),
                resolution: "8h".into(),
            },
        );
        assert!(
            config.problems(&["lab", "department", "consortium"])[0]
                .0
                .contains("longer than resolution")
        );
    }

    #[test]
    fn a_plan_without_targets_has_the_default_ones() {
        let config = SupportConfig::default();
        assert_eq!(
            config.problems(&["lab", "course"]).len(),
            0,
            "other plans' targets are ignored"
        );
        let config = SupportConfig {
            targets: [(
                DEFAULT_TARGETS.to_owned(),
                SupportConfig::default().targets[DEFAULT_TARGETS].clone(),
            )]
            .into(),
            ..SupportConfig::default()
        };
        assert_eq!(config.problems(&["course"]), Vec::new());
        assert_eq!(
            config.target("course", Impact::Critical),
            config.target(DEFAULT_TARGETS, Impact::Critical)
        );
    }

    #[test]
    fn reads_from_toml_like_settings() {
        let config: SupportConfig = serde_json::from_str(
            r#"{"time_zone": "Europe/Amsterdam", "holidays": ["2026-12-25"],
                "targets": {"lab": {"critical": {"first_response": "30m", "resolution": "4h"}}}}"#,
        )
        .unwrap();
        assert_eq!(config.opens, "09:00");
        assert!(config.calendar().is_ok());
        assert_eq!(
            config
                .target("lab", Impact::Critical)
                .unwrap()
                .first_response,
            TimeDelta::minutes(30)
        );
        assert!(serde_json::from_str::<SupportConfig>(r#"{"timezone": "UTC"}"#).is_err());
    }
}
