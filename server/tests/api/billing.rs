//! Plans, the pricing page and its calculator, and a community's usage (monthly active users
//! kept per day, the charts, the usage fee) on both engines. The default plans of
//! `stoa_billing::BillingConfig` price these (Lab: users 1–10 included, 11–100 at €4.00,
//! 101 and up at €2.00, at most €400.00 a month; €600.00 a year).

use chrono::{Datelike as _, TimeDelta};
use serde_json::Value;
use stoa_db::Timestamp;
use stoa_db::hubs::HubId;
use stoa_db::usage::UsageEvent;
use stoa_domain::billing::Month;

use crate::communities::{create_community, person};
use crate::helpers::{on_both, require_peers};

on_both!(pricing_lists_the_plans_and_prices_expected_usage, |app| {
    let res = app.get("/pricing").await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    for text in [
        "Lab",
        "Department",
        "Consortium",
        "€600.00",
        "Users 11–100: €4.00 each",
        "At most €400.00 a month",
        "Largest server memory",
        "A monthly active user is a person who started a server",
    ] {
        assert!(page.contains(text), "{text:?} missing");
    }
    assert!(
        !page.contains("data-testid=\"estimate\""),
        "no estimate unasked"
    );

    let page = app.get("/pricing?users=40").await.text().await.unwrap();
    let row = |plan: &str| {
        let start = page
            .find(&format!("data-testid=\"estimate-{plan}\""))
            .unwrap_or_else(|| panic!("no {plan} row"));
        page[start..start + page[start..].find("</tr>").unwrap()].to_owned()
    };
    // 30 users above the 10 included at €4.00; a year: €600 + 12 × €120.
    assert!(
        row("lab").contains("€120.00") && row("lab").contains("€2,040.00"),
        "{}",
        row("lab")
    );
    assert!(
        row("department").contains("€45.00"),
        "{}",
        row("department")
    );
    assert!(row("consortium").contains("€0.00"), "{}", row("consortium"));

    let page = app.get("/pricing?users=5000").await.text().await.unwrap();
    assert!(page.contains("€400.00 (capped)"), "the cap applies");

    for bad in ["lots", "-3", "1.5", "2000000"] {
        let res = app.get(&format!("/pricing?users={bad}")).await;
        assert_eq!(res.status(), 422, "{bad}");
        let page = res.text().await.unwrap();
        assert!(
            page.contains("A whole number of people, from 0 to 1,000,000."),
            "{bad}: the reason is shown"
        );
        assert!(
            page.contains("data-testid=\"plans\""),
            "{bad}: the plans still show"
        );
    }
    let (status, body) = app
        .call(&app.client, "billing/pricing", &[("users", "1e3")])
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "users", "{body}");
    let (status, body) = app
        .call(&app.client, "billing/pricing", &[("users", "1,000")])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["estimate"]["users"], 1000);
});

/// The text of the element with `data-testid="{id}"` (up to its first tag).
fn text_of<'a>(page: &'a str, id: &str) -> &'a str {
    let at = page
        .find(&format!("data-testid=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id}"));
    let rest = &page[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest[start..].find('<').unwrap();
    &rest[start..start + end]
}

/// Records a server start (or `event`) as the hubs report them.
async fn started(
    app: &crate::helpers::TestApp,
    hub: HubId,
    user: &str,
    at: Timestamp,
    event: &str,
) {
    let mut tx = app.db.begin().await.unwrap();
    let e = UsageEvent {
        hub,
        hub_username: user,
        event,
        server_name: if user.ends_with("-2nd") { "second" } else { "" },
        at,
        source: "hook",
    };
    stoa_db::usage::record(tx.conn(), &e, app.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

on_both!(
    usage_counts_each_person_who_started_a_server_once_a_month,
    |app| {
        require_peers();
        let owner = person(&app, "usage-owner").await;
        create_community(&app, &owner, "usage-lab", "invite").await;
        let (hub_a, hub_b) = {
            let mut tx = app.db.begin().await.unwrap();
            let c = stoa_db::communities::by_slug(tx.conn(), "usage-lab")
                .await
                .unwrap()
                .unwrap();
            let now = app.clock.now();
            let a = stoa_db::hubs::create(tx.conn(), c.id, "usage-lab", now)
                .await
                .unwrap();
            let b = stoa_db::hubs::create(tx.conn(), c.id, "usage-lab-2", now)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            (a, b)
        };
        let now = app.clock.now().as_datetime();
        let first = now
            .date_naive()
            .with_day(1)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
            .and_utc();
        let day = |n: i64| Timestamp::from(first + TimeDelta::days(n));
        // Day 1: ada twice (two servers) and bob. Day 2: cy, and ada on the other hub.
        started(&app, hub_a, "ada", day(0), "server_start").await;
        started(
            &app,
            hub_a,
            "ada",
            day(0) + TimeDelta::hours(2),
            "server_start",
        )
        .await;
        started(&app, hub_a, "bob", day(0), "server_start").await;
        started(&app, hub_a, "cy", day(1), "server_start").await;
        started(&app, hub_b, "ada", day(1), "server_start").await;
        // Day 3: dee on the other hub and nine more on the first.
        started(&app, hub_b, "dee", day(2), "server_start").await;
        for n in 0..9 {
            started(&app, hub_a, &format!("p{n}"), day(2), "server_start").await;
        }
        // Activity without a start this month does not count; the month before (23:30 UTC on
        // its last day) is its own.
        started(&app, hub_a, "idle", day(2), "active").await;
        started(
            &app,
            hub_a,
            "old",
            Timestamp::from(first - TimeDelta::minutes(10 * 60 + 30)),
            "server_start",
        )
        .await;
        // Reported twice (the hook and the poll): one event, one day.
        started(&app, hub_a, "bob", day(0), "server_start").await;

        let (status, u) = app
            .call(&owner.client, "billing/usage", &[("slug", "usage-lab")])
            .await;
        assert_eq!(status, 200, "{u}");
        assert_eq!(u["monthly_active"], 13, "ada, bob, cy, dee and nine: {u}");
        assert_eq!(u["current"], true);
        let days = u["days"].as_array().unwrap();
        let users: Vec<i64> = days
            .iter()
            .take(3)
            .map(|d| d["users"].as_i64().unwrap())
            .collect();
        assert_eq!(users, [2, 2, 10], "{u}");
        assert_eq!(
            days.len(),
            first
                .date_naive()
                .with_day(1)
                .unwrap()
                .iter_days()
                .take_while(|d| d.month() == first.month())
                .count()
        );
        assert_eq!(
            u["hubs"],
            serde_json::json!([["usage-lab", 12], ["usage-lab-2", 2]])
        );
        let history = u["history"].as_array().unwrap();
        assert_eq!(history.len(), 12);
        assert_eq!(history[11]["users"], 13);
        assert_eq!(history[10]["users"], 1, "the month before: {u}");
        assert_eq!(u["plan"], "Lab");
        assert_eq!(
            u["fee"], "€12.00",
            "3 users above the 10 included, at €4.00"
        );
        assert_eq!(
            u["fee_lines"],
            serde_json::json!([
                "10 users × €0.00 (users 1–10) = €0.00",
                "3 users × €4.00 (users 11–100) = €12.00"
            ])
        );
        assert_eq!(
            u["previous"],
            Value::Null,
            "the community is new this month"
        );
        assert_eq!(u["next"], Value::Null);

        // The page: the numbers, the chart with a title per day, readable without JavaScript.
        let res = owner
            .client
            .get(app.url("/communities/usage-lab/usage"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let page = res.text().await.unwrap();
        assert_eq!(text_of(&page, "mau"), "13");
        assert_eq!(text_of(&page, "usage-fee"), "€12.00");
        assert!(page.contains("€12.00"));
        assert!(page.contains("data-testid=\"daily-chart\""));
        let third = (first + TimeDelta::days(2)).format("%Y-%m-%d").to_string();
        assert!(
            page.contains(&format!("<title>{third}: 10 people</title>")),
            "a bar per day"
        );
        assert!(page.contains("<td>usage-lab-2</td><td>2 people</td>"));

        // The month before: its own numbers, and the way back.
        let before = Month::of(first).previous().key();
        let (status, u) = app
            .call(
                &owner.client,
                "billing/usage",
                &[("slug", "usage-lab"), ("month", &before)],
            )
            .await;
        assert_eq!(status, 200, "{u}");
        assert_eq!(
            (u["monthly_active"].as_i64(), u["current"].as_bool()),
            (Some(1), Some(false))
        );
        assert_eq!(u["fee"], "€0.00");
        assert_eq!(u["next"], Month::of(first).key());

        // Bad months are refused with the reason.
        for (month, reason) in [
            ("2026-13", "A month as YYYY-MM, such as 2026-11."),
            ("soon", "A month as YYYY-MM, such as 2026-11."),
            (
                Month::of(first).next().key().as_str(),
                "That month has not begun yet.",
            ),
        ] {
            let (status, body) = app
                .call(
                    &owner.client,
                    "billing/usage",
                    &[("slug", "usage-lab"), ("month", month)],
                )
                .await;
            assert_eq!(
                (status, body["field"].as_str()),
                (422, Some("month")),
                "{month}: {body}"
            );
            assert_eq!(body["message"], reason);
        }
        let res = owner
            .client
            .get(app.url("/communities/usage-lab/usage?month=2026-13"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains("A month as YYYY-MM"));
    }
);

/// Saves the hub's event section expecting `users` people; returns the status and body.
async fn save_event(
    app: &crate::helpers::TestApp,
    who: &crate::communities::Person,
    slug: &str,
    users: u32,
) -> (u16, Value) {
    let (_, hub) = app.call(&who.client, "hub/get", &[("slug", slug)]).await;
    let base = hub["detail"]["latest"]
        .as_i64()
        .or_else(|| hub["latest"].as_i64())
        .unwrap_or(0)
        .to_string();
    let users = users.to_string();
    app.call(
        &who.client,
        "hub/save_event",
        &[
            ("slug", slug),
            ("base", &base),
            ("message", ""),
            ("expected_users", &users),
            ("starts_on", "2027-03-01"),
            ("ends_on", "2027-03-02"),
        ],
    )
    .await
}

on_both!(
    a_plan_sets_the_hub_bounds_and_a_change_shows_its_effect_first,
    |app| {
        require_peers();
        let owner = person(&app, "plan-owner").await;
        create_community(&app, &owner, "plan-lab", "invite").await;
        let (status, b) = app
            .call(&owner.client, "billing/get", &[("slug", "plan-lab")])
            .await;
        assert_eq!(status, 200, "{b}");
        assert_eq!(b["plan"]["name"], "Lab", "the default plan: {b}");
        assert_eq!(b["plan"]["usage_so_far"], "€0.00");
        assert_eq!(b["plan"]["choices"].as_array().map(Vec::len), Some(3));

        // The hub editor works within the plan's bounds: the Lab plan takes events of 50.
        let (status, body) = save_event(&app, &owner, "plan-lab", 80).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body.to_string().contains("50"),
            "the bound is named: {body}"
        );

        // Asking first changes nothing and says what would change.
        let check = [
            ("slug", "plan-lab"),
            ("plan", "department"),
            ("intent", "check"),
        ];
        let (status, v) = app.call(&owner.client, "billing/change_plan", &check).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(
            (v["from"].as_str(), v["to"].as_str(), v["changed"].as_bool()),
            (Some("Lab"), Some("Department"), Some(false))
        );
        assert_eq!(
            (v["annual_from"].as_str(), v["annual_to"].as_str()),
            (Some("€600.00"), Some("€2,400.00"))
        );
        let event = v["limits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["what"] == "Event capacity")
            .unwrap();
        assert_eq!(
            (
                event["from"].as_str(),
                event["to"].as_str(),
                event["changed"].as_bool()
            ),
            (Some("50 people"), Some("300 people"), Some(true))
        );
        assert_eq!(v["misfits"], serde_json::json!([]));
        let (_, b) = app
            .call(&owner.client, "billing/get", &[("slug", "plan-lab")])
            .await;
        assert_eq!(b["plan"]["name"], "Lab", "a check changes nothing");

        // The billing page shows the effect, and the button that confirms it (plain forms).
        let billing = "/communities/plan-lab/billing";
        let res =
            crate::forms::post_form(&app, &owner.client, billing, "billing/change_plan", &check)
                .await;
        assert_eq!(res.status(), 303, "{:?}", res.headers());
        let (_, page) = crate::forms::page(&app, &owner.client, billing).await;
        assert!(
            page.contains("data-testid=\"plan-effect\""),
            "the effect is shown: {}",
            &page[page.find("Billing</h2>").unwrap_or(0)..]
        );
        assert!(page.contains("Move to Department"));

        // Confirmed: moved, recorded, and the larger event fits now.
        let (status, v) = app
            .call(
                &owner.client,
                "billing/change_plan",
                &[
                    ("slug", "plan-lab"),
                    ("plan", "department"),
                    ("intent", "confirm"),
                ],
            )
            .await;
        assert_eq!((status, v["changed"].as_bool()), (200, Some(true)), "{v}");
        let (_, b) = app
            .call(&owner.client, "billing/get", &[("slug", "plan-lab")])
            .await;
        assert_eq!(b["plan"]["name"], "Department");
        let (status, body) = save_event(&app, &owner, "plan-lab", 80).await;
        assert_eq!(status, 200, "{body}");
        let (_, log) = app
            .call(
                &owner.client,
                "audit/community",
                &[
                    ("slug", "plan-lab"),
                    ("action", ""),
                    ("actor", ""),
                    ("page", "1"),
                ],
            )
            .await;
        assert!(log.to_string().contains("community.plan_changed"), "{log}");

        // Back to Lab: the event no longer fits, and the check says so before confirming.
        let (status, v) = app
            .call(
                &owner.client,
                "billing/change_plan",
                &[("slug", "plan-lab"), ("plan", "lab"), ("intent", "check")],
            )
            .await;
        assert_eq!(status, 200, "{v}");
        let misfits = v["misfits"].as_array().unwrap();
        assert_eq!(misfits.len(), 1, "{v}");
        assert!(misfits[0].as_str().unwrap().contains("50"), "{v}");

        // Bad choices are refused with the reason.
        for (plan, reason) in [
            (
                "department",
                "Test community is on the Department plan already.",
            ),
            ("gold", "Choose one of the plans on offer."),
            ("", "Choose one of the plans on offer."),
        ] {
            let (status, body) = app
                .call(
                    &owner.client,
                    "billing/change_plan",
                    &[("slug", "plan-lab"), ("plan", plan), ("intent", "confirm")],
                )
                .await;
            assert_eq!(
                (status, body["field"].as_str()),
                (422, Some("plan")),
                "{plan}: {body}"
            );
            assert_eq!(body["message"], reason);
        }
    }
);

/// Saves a homepage revision on top of the latest and returns its number.
async fn new_revision(
    app: &crate::helpers::TestApp,
    who: &crate::communities::Person,
    slug: &str,
    text: &str,
) -> i64 {
    let (_, hub) = app.call(&who.client, "hub/get", &[("slug", slug)]).await;
    let base = hub["latest"].as_i64().unwrap_or(0);
    crate::hub_deploy::save_homepage(app, who, slug, base, text).await;
    base + 1
}

/// Asserts that a call was refused (422) because of `field`.
fn refused((status, body): (u16, Value), field: &str) {
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some(field)),
        "{body}"
    );
}

async fn standing(
    app: &crate::helpers::TestApp,
    who: &crate::communities::Person,
    slug: &str,
) -> Value {
    let (status, b) = app
        .call(&who.client, "billing/get", &[("slug", slug)])
        .await;
    assert_eq!(status, 200, "{b}");
    b
}

// Manual billing and what it entitles: the trial starts when billing first sees the
// community; when it ends unpaid the community is past due (its billing contacts are told),
// hub changes still go through for the grace period and then pause (the hub keeps running);
// staff record an invoice and its bank transfer, and the community is active again. An
// invoice left unpaid past its due date makes it past due again.
on_both!(manual_billing_drives_what_a_community_may_do, |app| {
    require_peers();
    let owner = person(&app, "pay-owner").await;
    create_community(&app, &owner, "pay-lab", "invite").await;
    create_community(&app, &owner, "pay-other", "invite").await;
    let staff = person(&app, "pay-staff").await;
    {
        let mut tx = app.db.begin().await.unwrap();
        stoa_db::accounts::set_staff(tx.conn(), &staff.email, true, app.clock.now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let day = |d: i64| {
        (app.clock.now().as_datetime() + TimeDelta::days(d))
            .format("%Y-%m-%d")
            .to_string()
    };
    let trial_end = day(30);
    app.run_worker().await;
    let b = standing(&app, &owner, "pay-lab").await;
    assert_eq!(b["standing"]["status"], "trialing", "{b}");
    assert_eq!(
        b["standing"]["headline"],
        format!("Trial until {trial_end}")
    );
    assert_eq!(b["invoices"], serde_json::json!([]));
    assert_eq!(b["may_record"], false, "the owner does not record payments");

    // The trial ends unpaid: past due, and the owner (a billing contact) is told.
    // Sessions end after weeks of the clock moving on: each signs in again.
    let again = async |who: &crate::communities::Person| {
        crate::auth::sign_in_by_mail(&app, &who.client, &who.email).await;
    };
    app.clock.advance(TimeDelta::days(31));
    again(&owner).await;
    again(&staff).await;
    // Two workers (two Stoa processes) sweep at once: each community is made past due once.
    let (a, b) = (app.worker(), app.worker());
    let (a, b) = tokio::join!(a.run_once(), b.run_once());
    assert_eq!(
        a.unwrap().past_due + b.unwrap().past_due,
        2,
        "pay-lab and pay-other, once each"
    );
    // One notice per community (both are the owner's, both named "Test community").
    let notice = crate::communities::mail_to(
        &app,
        &owner.email,
        "Payment for Test community is overdue",
        1,
    )
    .await;
    assert!(
        notice.contains("/billing") && notice.contains("changes to it"),
        "{notice}"
    );
    let b = standing(&app, &owner, "pay-lab").await;
    assert_eq!(b["standing"]["status"], "past_due", "{b}");
    assert_eq!(
        b["standing"]["changes_paused"], false,
        "within the grace period"
    );
    let first = new_revision(&app, &owner, "pay-lab", "First.")
        .await
        .to_string();
    let (status, body) = app
        .call(
            &owner.client,
            "hub/apply",
            &[("slug", "pay-lab"), ("number", &first)],
        )
        .await;
    assert_eq!(
        status, 200,
        "changes still apply during the grace period: {body}"
    );

    // After the grace period: saved, not applied.
    app.clock.advance(TimeDelta::days(15));
    again(&owner).await;
    again(&staff).await;
    app.run_worker().await;
    let second = new_revision(&app, &owner, "pay-lab", "Second.")
        .await
        .to_string();
    let (status, body) = app
        .call(
            &owner.client,
            "hub/apply",
            &[("slug", "pay-lab"), ("number", &second)],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Changes to the hub are paused: payment is overdue since"),
        "{body}"
    );
    assert_eq!(
        standing(&app, &owner, "pay-lab").await["standing"]["changes_paused"],
        true
    );

    // Only staff record invoices; bad input is refused field by field and changes nothing.
    let invoice = |number: &'static str, amount: &'static str| {
        vec![
            ("slug", "pay-lab"),
            ("number", number),
            ("description", "Membership 2027"),
            ("amount", amount),
            ("po_number", "PO-77"),
        ]
    };
    let record =
        async |who: &crate::communities::Person, number: &'static str, amount: &'static str| {
            app.call(
                &who.client,
                "billing/record_invoice",
                &invoice(number, amount),
            )
            .await
        };
    assert_eq!(record(&owner, "INV-1", "600").await.0, 403);
    refused(record(&staff, "INV-1", "6.005").await, "amount");
    let (status, body) = record(&staff, "", "0").await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["number", "amount"], "{body}");
    assert_eq!(
        standing(&app, &owner, "pay-lab").await["invoices"],
        serde_json::json!([])
    );
    let (status, id) = record(&staff, "INV-1", "1,200.50").await;
    assert_eq!(status, 200, "{id}");
    refused(record(&staff, "INV-1", "10").await, "number");
    let b = standing(&app, &owner, "pay-lab").await;
    let row = &b["invoices"][0];
    assert_eq!(
        (
            row["number"].as_str(),
            row["amount"].as_str(),
            row["po_number"].as_str()
        ),
        (Some("INV-1"), Some("€1,200.50"), Some("PO-77"))
    );
    assert_eq!(
        row["state"],
        format!("Due {}", day(30)),
        "net 30 days by default"
    );

    // Its payment, named under another community, is not found; under its own, recorded.
    let id = id.as_i64().unwrap().to_string();
    let pay = async |slug: &str| {
        let form = [
            ("slug", slug),
            ("invoice_id", id.as_str()),
            ("paid_on", ""),
            ("reference", "TRF 1234"),
        ];
        app.call(&staff.client, "billing/record_payment", &form)
            .await
            .0
    };
    assert_eq!(pay("pay-other").await, 404);
    assert_eq!(pay("pay-lab").await, 200);
    assert_eq!(pay("pay-lab").await, 422, "paid already");
    let b = standing(&app, &owner, "pay-lab").await;
    assert_eq!(b["standing"]["status"], "active", "{b}");
    assert_eq!(
        b["standing"]["headline"],
        format!("Paid until {}", day(365))
    );
    assert_eq!(
        b["invoices"][0]["state"],
        format!("Paid on {} (TRF 1234)", day(0))
    );
    let (status, body) = app
        .call(
            &owner.client,
            "hub/apply",
            &[("slug", "pay-lab"), ("number", &second)],
        )
        .await;
    assert_eq!(status, 200, "changes apply again: {body}");

    // An invoice unpaid past its due date: past due again, from the day after.
    let (status, body) = app
        .call(
            &staff.client,
            "billing/record_invoice",
            &[
                ("slug", "pay-lab"),
                ("number", "INV-2"),
                ("description", "Usage"),
                ("amount", "50"),
                ("issued_on", &day(-20)),
                ("due_on", &day(-5)),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.run_worker().await;
    let b = standing(&app, &owner, "pay-lab").await;
    assert_eq!(b["standing"]["status"], "past_due", "{b}");
    assert!(
        b["standing"]["headline"]
            .as_str()
            .unwrap()
            .contains(&format!("overdue since {}", day(-4))),
        "{b}"
    );
    assert_eq!(
        b["invoices"][1]["state"],
        format!("Overdue since {}", day(-5)),
        "INV-2, issued earlier, is listed second"
    );

    let (_, log) = app
        .call(
            &owner.client,
            "audit/community",
            &[("slug", "pay-lab"), ("action", ""), ("actor", "")],
        )
        .await;
    for action in [
        "billing.past_due",
        "billing.invoice_recorded",
        "billing.payment_recorded",
    ] {
        assert!(log.to_string().contains(action), "{action}: {log}");
    }
});
