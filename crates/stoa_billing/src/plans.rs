//! The plans on offer and the usage fee.

use serde::{Deserialize, Serialize};
use stoa_hubs::{Bounds, BoundsOverride, GIB};

use crate::{Currency, Money};

/// A plan's id as configured (`standard`): lower-case letters, digits and dashes.
pub type PlanId = String;

/// Billing settings (`[billing]` in Stoa's configuration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BillingConfig {
    /// Every amount is in this currency's minor unit.
    pub currency: Currency,
    /// Days a community existing before billing starts (or created since) may use its plan
    /// before it pays.
    pub trial_days: u32,
    /// Days a community stays past due (with notices to its billing contacts) before changes
    /// to its hubs pause. Nothing stops or is deleted for non-payment without staff.
    pub grace_days: u32,
    /// Days between issuing a manual invoice and its due date, unless staff give one.
    pub net_days: u32,
    /// The plan of a community that has not chosen one.
    pub default_plan: PlanId,
    /// The plans on offer, cheapest first (the pricing page's order).
    pub plans: Vec<Plan>,
}

/// One plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Stable id (stored with each community; never reuse one for a different offer).
    pub id: PlanId,
    /// Name shown to people.
    pub name: String,
    /// One sentence: who it is for.
    #[serde(default)]
    pub summary: String,
    /// The membership fee per year.
    pub annual_fee: Money,
    /// The usage fee per month.
    pub usage: UsageFee,
    /// Hubs a community may run on this plan.
    pub included_hubs: u32,
    /// The support level, in words (`Email, next business day`).
    pub support: String,
    /// What the plan changes in the service's bounds (`[hubs.bounds]`): the limits the
    /// community's hub settings must stay within are those, with these on top (and staff may
    /// still override them per community). Name only what differs.
    #[serde(default)]
    pub bounds: BoundsOverride,
}

/// A usage fee per monthly active user, in bands, with a monthly cap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageFee {
    /// Bands in order; each prices the users above the previous band's `up_to` up to its
    /// own (the last has none: every user beyond).
    pub bands: Vec<UsageBand>,
    /// The most a month's usage fee can be (none: no cap).
    #[serde(default)]
    pub monthly_cap: Option<Money>,
}

/// One band of the usage fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageBand {
    /// The last user (counted from 1) this band prices; none for the last band.
    #[serde(default)]
    pub up_to: Option<u32>,
    /// The price of each user in the band.
    pub unit_amount: Money,
}

/// A month's usage fee, line by line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeBreakdown {
    /// One line per band with users in it.
    pub lines: Vec<FeeLine>,
    /// The sum of the lines before the cap.
    pub subtotal: Money,
    /// Whether the cap lowered the fee.
    pub capped: bool,
    /// What is due.
    pub total: Money,
}

/// The users of one band and what they cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeLine {
    /// First user of the band (from 1).
    pub from: u32,
    /// Last user of the band, none when it is open-ended.
    pub to: Option<u32>,
    /// How many of the month's users fall in it.
    pub users: u32,
    /// Price per user.
    pub unit_amount: Money,
    /// `users × unit_amount`.
    pub amount: Money,
}

impl UsageFee {
    /// The fee for `users` monthly active users.
    pub fn fee(&self, users: u32) -> FeeBreakdown {
        let mut lines = Vec::new();
        let mut from = 1_u32;
        for band in &self.bands {
            if from > users {
                break;
            }
            let last = band.up_to.map_or(users, |up_to| up_to.min(users));
            let count = last.saturating_sub(from - 1);
            if count > 0 {
                lines.push(FeeLine {
                    from,
                    to: band.up_to,
                    users: count,
                    unit_amount: band.unit_amount,
                    amount: Money(band.unit_amount.0.saturating_mul(i64::from(count))),
                });
            }
            match band.up_to {
                Some(up_to) => from = up_to.saturating_add(1),
                None => break,
            }
        }
        let subtotal = lines.iter().fold(Money(0), |sum, l| sum + l.amount);
        let total = self.monthly_cap.map_or(subtotal, |cap| subtotal.min(cap));
        FeeBreakdown {
            lines,
            subtotal,
            capped: total < subtotal,
            total,
        }
    }
}

impl Plan {
    /// The usage fee band by band, in words (`Users 11–100: €4.00 each`).
    pub fn usage_in_words(&self, currency: &Currency) -> Vec<String> {
        let mut from = 1_u32;
        let mut out = Vec::new();
        for band in &self.usage.bands {
            let price = if band.unit_amount.0 == 0 {
                "included".to_owned()
            } else {
                format!("{} each", band.unit_amount.display(currency))
            };
            out.push(match band.up_to {
                Some(up_to) if up_to == from => format!("User {from}: {price}"),
                Some(up_to) => format!("Users {from}–{up_to}: {price}"),
                None if from == 1 => format!("Every user: {price}"),
                None => format!("Users {from} and up: {price}"),
            });
            if let Some(up_to) = band.up_to {
                from = up_to.saturating_add(1);
            }
        }
        out
    }

    /// The bounds of this plan on top of the service's (`[hubs.bounds]`).
    pub fn bounds_on(&self, service: &Bounds) -> Bounds {
        service.with_overrides(&self.bounds)
    }

    /// What hubs may use on this plan, in words: (what, how much).
    pub fn limits_in_words(&self, service: &Bounds) -> Vec<(String, String)> {
        limits_in_words(&self.bounds_on(service))
    }
}

/// Bounds in words: (what, how much), in a fixed order (the pricing page's rows, the plan
/// change's comparison).
pub fn limits_in_words(b: &Bounds) -> Vec<(String, String)> {
    {
        let gib = |bytes: u64| {
            let g = bytes as f64 / GIB as f64;
            if g.fract() == 0.0 {
                format!("{g:.0} GiB")
            } else {
                format!("{g:.1} GiB")
            }
        };
        let cpus = |millis: u32| {
            if millis.is_multiple_of(1000) {
                format!("{} CPU", millis / 1000)
            } else {
                format!("{:.1} CPU", f64::from(millis) / 1000.0)
            }
        };
        vec![
            ("Largest server memory".into(), gib(b.max_memory_bytes)),
            ("Largest server CPU".into(), cpus(b.max_cpu_millis)),
            (
                "Home folder quota".into(),
                format!("up to {} GiB", b.max_home_quota_gib),
            ),
            (
                "Idle servers stop after".into(),
                format!(
                    "{} to {}",
                    duration(b.min_idle_timeout_seconds),
                    duration(b.max_idle_timeout_seconds)
                ),
            ),
            (
                "Longest server lifetime".into(),
                duration(b.max_server_age_seconds),
            ),
            (
                "Event capacity".into(),
                format!("{} people", b.max_event_users),
            ),
            (
                "Environments".into(),
                format!("up to {}", b.max_environments),
            ),
        ]
    }
}

/// `10 minutes`, `24 hours`, `7 days`, `90 seconds`.
fn duration(seconds: u32) -> String {
    let unit = |n: u32, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    if seconds.is_multiple_of(86_400) && seconds > 0 {
        unit(seconds / 86_400, "day")
    } else if seconds.is_multiple_of(3600) && seconds > 0 {
        unit(seconds / 3600, "hour")
    } else if seconds.is_multiple_of(60) && seconds > 0 {
        unit(seconds / 60, "minute")
    } else {
        unit(seconds, "second")
    }
}

impl BillingConfig {
    /// The plan with this id.
    pub fn plan(&self, id: &str) -> Option<&Plan> {
        self.plans.iter().find(|p| p.id == id)
    }

    /// The plan of communities that chose none.
    pub fn default_plan(&self) -> &Plan {
        self.plan(&self.default_plan)
            .or(self.plans.first())
            .expect("validated: at least one plan")
    }

    /// Every mistake in the settings, one sentence each (empty: fine). Stoa refuses to start
    /// with any, so no page ever meets a plan that cannot be priced.
    pub fn problems(&self) -> Vec<ConfigError> {
        let mut out = Vec::new();
        let mut say = |text: String| out.push(ConfigError(text));
        if self.plans.is_empty() {
            say("billing.plans: at least one plan is needed".into());
        }
        if self.trial_days > 365 {
            say(format!(
                "billing.trial_days: {} is more than a year",
                self.trial_days
            ));
        }
        if self.grace_days > 365 || self.net_days > 365 {
            say("billing.grace_days and billing.net_days are at most 365".into());
        }
        if !self.plans.is_empty() && self.plan(&self.default_plan).is_none() {
            say(format!(
                "billing.default_plan: no plan has the id {:?}",
                self.default_plan
            ));
        }
        for (i, plan) in self.plans.iter().enumerate() {
            let at = format!("billing.plans[{i}] ({:?})", plan.id);
            let id_ok = (1..=32).contains(&plan.id.len())
                && plan
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !id_ok {
                say(format!(
                    "{at}: the id must be 1 to 32 lower-case letters, digits or dashes"
                ));
            }
            if self.plans[..i].iter().any(|p| p.id == plan.id) {
                say(format!("{at}: another plan has the same id"));
            }
            if plan.name.trim().is_empty() {
                say(format!("{at}: the name is empty"));
            }
            if plan.annual_fee.0 < 0 {
                say(format!("{at}: annual_fee is negative"));
            }
            if plan.usage.monthly_cap.is_some_and(|c| c.0 < 0) {
                say(format!("{at}: usage.monthly_cap is negative"));
            }
            let bands = &plan.usage.bands;
            if bands.is_empty() {
                say(format!(
                    "{at}: usage.bands needs at least one band (a single {{ unit_amount = 0 }} for no usage fee)"
                ));
            }
            let mut previous = 0_u32;
            for (j, band) in bands.iter().enumerate() {
                let last = j + 1 == bands.len();
                if band.unit_amount.0 < 0 {
                    say(format!("{at}: usage.bands[{j}].unit_amount is negative"));
                }
                match band.up_to {
                    Some(_) if last => say(format!(
                        "{at}: the last band must have no up_to (it prices every user beyond the others)"
                    )),
                    None if !last => say(format!(
                        "{at}: usage.bands[{j}] has no up_to but is not the last band"
                    )),
                    Some(up_to) if up_to <= previous => say(format!(
                        "{at}: usage.bands[{j}].up_to ({up_to}) must be above the band before ({previous})"
                    )),
                    Some(up_to) => previous = up_to,
                    None => {}
                }
            }
            let b = &plan.bounds;
            if let (Some(min), Some(max)) = (b.min_idle_timeout_seconds, b.max_idle_timeout_seconds)
                && min > max
            {
                say(format!(
                    "{at}: bounds.min_idle_timeout_seconds is above max_idle_timeout_seconds"
                ));
            }
        }
        out
    }
}

/// One mistake in the billing settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Default for BillingConfig {
    /// Three plans in euros, as a starting point an operator edits: a lab, a department or
    /// course, a consortium. Amounts in cents.
    fn default() -> Self {
        let band = |up_to, cents| UsageBand {
            up_to,
            unit_amount: Money(cents),
        };
        BillingConfig {
            currency: Currency::default(),
            trial_days: 30,
            grace_days: 14,
            net_days: 30,
            default_plan: "lab".into(),
            plans: vec![
                Plan {
                    id: "lab".into(),
                    name: "Lab".into(),
                    summary: "A research group or a small course.".into(),
                    annual_fee: Money(60_000),
                    usage: UsageFee {
                        bands: vec![band(Some(10), 0), band(Some(100), 400), band(None, 200)],
                        monthly_cap: Some(Money(40_000)),
                    },
                    included_hubs: 1,
                    support: "Email, next business day".into(),
                    bounds: BoundsOverride {
                        max_memory_bytes: Some(4 * GIB),
                        max_cpu_millis: Some(2000),
                        max_home_quota_gib: Some(10),
                        max_event_users: Some(50),
                        max_environments: Some(4),
                        ..BoundsOverride::default()
                    },
                },
                Plan {
                    id: "department".into(),
                    name: "Department".into(),
                    summary: "A department, a large course, several labs together.".into(),
                    annual_fee: Money(240_000),
                    usage: UsageFee {
                        bands: vec![band(Some(25), 0), band(Some(250), 300), band(None, 150)],
                        monthly_cap: Some(Money(150_000)),
                    },
                    included_hubs: 2,
                    support: "Email and chat, within 8 business hours".into(),
                    bounds: BoundsOverride::default(),
                },
                Plan {
                    id: "consortium".into(),
                    name: "Consortium".into(),
                    summary: "Many institutions sharing hubs, events of hundreds.".into(),
                    annual_fee: Money(960_000),
                    usage: UsageFee {
                        bands: vec![band(Some(100), 0), band(Some(1000), 200), band(None, 100)],
                        monthly_cap: Some(Money(500_000)),
                    },
                    included_hubs: 5,
                    support: "A named engineer, within 4 business hours".into(),
                    bounds: BoundsOverride {
                        max_memory_bytes: Some(64 * GIB),
                        max_cpu_millis: Some(16_000),
                        max_home_quota_gib: Some(200),
                        max_event_users: Some(1000),
                        max_environments: Some(24),
                        ..BoundsOverride::default()
                    },
                },
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fee(bands: &[(Option<u32>, i64)], cap: Option<i64>) -> UsageFee {
        UsageFee {
            bands: bands
                .iter()
                .map(|&(up_to, cents)| UsageBand {
                    up_to,
                    unit_amount: Money(cents),
                })
                .collect(),
            monthly_cap: cap.map(Money),
        }
    }

    #[test]
    fn each_band_prices_its_own_users() {
        let f = fee(&[(Some(10), 500), (Some(100), 300), (None, 100)], None);
        assert_eq!(f.fee(0).total, Money(0));
        assert!(f.fee(0).lines.is_empty());
        assert_eq!(f.fee(1).total, Money(500));
        assert_eq!(f.fee(10).total, Money(5_000));
        assert_eq!(f.fee(11).total, Money(5_300));
        assert_eq!(f.fee(100).total, Money(5_000 + 90 * 300));
        let b = f.fee(150);
        assert_eq!(b.total, Money(5_000 + 27_000 + 50 * 100));
        let shape: Vec<_> = b.lines.iter().map(|l| (l.from, l.to, l.users)).collect();
        assert_eq!(
            shape,
            [(1, Some(10), 10), (11, Some(100), 90), (101, None, 50)]
        );
    }

    #[test]
    fn plans_are_described_in_words() {
        let cfg = BillingConfig::default();
        let lab = cfg.plan("lab").unwrap();
        assert_eq!(
            lab.usage_in_words(&cfg.currency),
            [
                "Users 1–10: included",
                "Users 11–100: €4.00 each",
                "Users 101 and up: €2.00 each"
            ]
        );
        let limits = lab.limits_in_words(&Bounds::default());
        assert_eq!(limits[0], ("Largest server memory".into(), "4 GiB".into()));
        assert_eq!(limits[1].1, "2 CPU");
        assert_eq!(limits[3].1, "10 minutes to 1 day");
        assert_eq!(limits[4].1, "7 days");
        let flat = Plan {
            usage: fee(&[(None, 150)], None),
            ..lab.clone()
        };
        assert_eq!(
            flat.usage_in_words(&cfg.currency),
            ["Every user: €1.50 each"]
        );
        assert_eq!(duration(90), "90 seconds");
        assert_eq!(duration(3600), "1 hour");
    }

    #[test]
    fn the_cap_is_the_most_a_month_costs() {
        let f = fee(&[(Some(10), 0), (None, 400)], Some(2_000));
        assert_eq!(f.fee(10).total, Money(0));
        let under = f.fee(14);
        assert_eq!((under.total, under.capped), (Money(1_600), false));
        let at = f.fee(15);
        assert_eq!((at.total, at.capped), (Money(2_000), false));
        let over = f.fee(1_000);
        assert_eq!(
            (over.subtotal, over.total, over.capped),
            (Money(990 * 400), Money(2_000), true)
        );
    }

    #[test]
    fn the_fee_never_decreases_as_users_grow() {
        let cfg = BillingConfig::default();
        for plan in &cfg.plans {
            let mut last = Money(0);
            for users in 0..2_000 {
                let now = plan.usage.fee(users).total;
                assert!(now >= last, "{} at {users}", plan.id);
                last = now;
            }
        }
    }

    #[test]
    fn the_default_settings_are_valid_and_round_trip() {
        let cfg = BillingConfig::default();
        assert_eq!(cfg.problems(), []);
        assert_eq!(cfg.default_plan().id, "lab");
        let json = serde_json::to_string(&cfg).unwrap();
        assert_eq!(serde_json::from_str::<BillingConfig>(&json).unwrap(), cfg);
    }

    #[test]
    fn bad_settings_are_each_named() {
        let mut cfg = BillingConfig {
            default_plan: "gold".into(),
            trial_days: 400,
            ..BillingConfig::default()
        };
        cfg.plans[1].id = "lab".into();
        cfg.plans[2].id = "Big Plan".into();
        cfg.plans[0].usage = fee(&[(Some(10), 0), (Some(5), 100), (Some(20), -1)], Some(-5));
        cfg.plans[1].usage = fee(&[(None, 0), (None, 10)], None);
        let problems: Vec<String> = cfg.problems().into_iter().map(|p| p.0).collect();
        let expect = [
            "billing.trial_days: 400 is more than a year",
            "billing.default_plan: no plan has the id \"gold\"",
            "billing.plans[0] (\"lab\"): usage.monthly_cap is negative",
            "billing.plans[0] (\"lab\"): usage.bands[1].up_to (5) must be above the band before (10)",
            "billing.plans[0] (\"lab\"): usage.bands[2].unit_amount is negative",
            "billing.plans[0] (\"lab\"): the last band must have no up_to (it prices every user beyond the others)",
            "billing.plans[1] (\"lab\"): another plan has the same id",
            "billing.plans[1] (\"lab\"): usage.bands[0] has no up_to but is not the last band",
            "billing.plans[2] (\"Big Plan\"): the id must be 1 to 32 lower-case letters, digits or dashes",
        ];
        for e in expect {
            assert!(
                problems.iter().any(|p| p == e),
                "missing {e:?} in {problems:#?}"
            );
        }
        assert_eq!(problems.len(), expect.len(), "{problems:#?}");
        let empty = BillingConfig {
            plans: vec![],
            ..BillingConfig::default()
        };
        assert_eq!(
            empty.problems(),
            [ConfigError(
                "billing.plans: at least one plan is needed".into()
            )]
        );
    }

    #[test]
    fn a_plan_in_toml_names_only_what_it_needs() {
        let plan: Plan = serde_json::from_str(
            r#"{"id": "tiny", "name": "Tiny", "annual_fee": 0, "included_hubs": 1,
                "support": "Forum", "usage": {"bands": [{"unit_amount": 0}]}}"#,
        )
        .unwrap();
        assert_eq!(plan.bounds_on(&Bounds::default()), Bounds::default());
        assert_eq!(plan.usage.fee(5_000).total, Money(0));
        assert!(
            serde_json::from_str::<Plan>(
                r#"{"id": "t", "name": "T", "annual_fee": 0, "included_hubs": 1, "support": "",
                    "usage": {"bands": []}, "colour": "gold"}"#
            )
            .is_err(),
            "unknown keys are refused"
        );
    }
}
