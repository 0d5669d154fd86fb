//! Support tickets (issue 14) through the server functions, pages and mail, on both
//! engines: the lifecycle from new to closed with every mail it sends; internal notes never
//! reach a member (no page, page source, answer or mail); who sees which ticket; the SLA
//! clock paused while the ticket waits on the community and a breach flagged and mailed
//! once, driven by the test clock; bad input refused with nothing changed.

use chrono::TimeDelta;
use serde_json::Value;

use crate::communities::{
    Person, add_member, all_mail_to, create_community, mail_to, person, staff,
};
use crate::forms::page;
use crate::helpers::{TestApp, on_both, require_peers};

const NOTE: &str = "INTERNAL-NOTE-7f3a: the node pool is short of memory";

async fn open(app: &TestApp, who: &Person, slug: &str, impact: &str, title: &str) -> i64 {
    let (status, body) = app
        .call(
            &who.client,
            "support/open",
            &[
                ("slug", slug),
                ("kind", "incident"),
                ("impact", impact),
                ("title", title),
                (
                    "body",
                    "The kernel **dies** at start. <script>alert(1)</script>",
                ),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["number"].as_i64().unwrap()
}

async fn status_of(app: &TestApp, who: &Person, slug: &str, n: i64) -> String {
    let (status, body) = app
        .call(
            &who.client,
            "support/get",
            &[("slug", slug), ("number", &n.to_string())],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["ticket"]["status"].as_str().unwrap().to_owned()
}

on_both!(
    a_ticket_goes_from_new_to_closed_and_notes_stay_internal,
    |app| {
        require_peers();
        let owner = person(&app, "ticket-owner").await;
        create_community(&app, &owner, "help-lab", "invite").await;
        let member = person(&app, "ticket-member").await;
        add_member(&app, "help-lab", member.id, "member").await;
        let other = person(&app, "ticket-other").await;
        add_member(&app, "help-lab", other.id, "member").await;
        let grace = staff(&app, "ticket-staff").await;

        let n = open(&app, &member, "help-lab", "high", "Kernel dies on start").await;
        let number = n.to_string();
        let to_team = mail_to(&app, &grace.email, &format!("#{n} Kernel dies"), 0).await;
        assert!(
            to_team.contains("Impact: High") && to_team.contains("/communities/help-lab/support/")
        );
        let receipt = mail_to(&app, &member.email, &format!("#{n}"), 0).await;
        assert!(receipt.contains("We have your ticket") && receipt.contains("first response"));

        // An internal note, then a public answer that waits on the community.
        let (status, body) = app
            .call(
                &grace.client,
                "support/answer",
                &[("number", &number), ("body", NOTE), ("internal", "on")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = app
            .call(
                &grace.client,
                "support/answer",
                &[
                    ("number", &number),
                    ("body", "Can you send the log?"),
                    ("status", "pending"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let answered = mail_to(&app, &member.email, &format!("#{n}"), 1).await;
        assert!(answered.contains("Can you send the log?") && answered.contains("waiting on you"));

        // The member's answer, page and page source carry the reply, never the note.
        let (_, view) = app
            .call(
                &member.client,
                "support/get",
                &[("slug", "help-lab"), ("number", &number)],
            )
            .await;
        assert_eq!(view["ticket"]["status"], "pending");
        assert!(!view.to_string().contains("INTERNAL-NOTE"), "{view}");
        assert_eq!(view["messages"].as_array().unwrap().len(), 1);
        assert_eq!(view["messages"][0]["author"], "Stoa support");
        assert_eq!(view["ticket"]["sla"]["paused"], true);
        let (status, html) = page(
            &app,
            &member.client,
            &format!("/communities/help-lab/support/{n}"),
        )
        .await;
        assert_eq!(status, 200);
        assert!(html.contains("Can you send the log?") && !html.contains("INTERNAL-NOTE"));
        assert!(
            html.contains("&lt;script&gt;") && !html.contains("<script>alert"),
            "the description is sanitised Markdown"
        );
        assert!(html.contains("<strong>dies</strong>"));
        // Staff see the note, marked.
        let (_, staff_view) = app
            .call(
                &grace.client,
                "support/get",
                &[("slug", "help-lab"), ("number", &number)],
            )
            .await;
        let notes: Vec<&Value> = staff_view["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["internal"] == true)
            .collect();
        assert_eq!(notes.len(), 1);
        let (_, html) = page(
            &app,
            &grace.client,
            &format!("/communities/help-lab/support/{n}"),
        )
        .await;
        assert!(html.contains("INTERNAL-NOTE") && html.contains("Internal note"));

        // Owners see every ticket; another member only their own.
        assert_eq!(status_of(&app, &owner, "help-lab", n).await, "pending");
        let (status, _) = app
            .call(
                &other.client,
                "support/get",
                &[("slug", "help-lab"), ("number", &number)],
            )
            .await;
        assert_eq!(status, 404);
        let (_, list) = app
            .call(&other.client, "support/list", &[("slug", "help-lab")])
            .await;
        assert_eq!(list["total"], 0);
        assert_eq!(list["all_of_community"], false);
        let (_, list) = app
            .call(&owner.client, "support/list", &[("slug", "help-lab")])
            .await;
        assert_eq!(list["total"], 1);

        // The member's reply opens it again and reaches the assignee (whoever answered first).
        let (status, body) = app
            .call(
                &member.client,
                "support/reply",
                &[
                    ("slug", "help-lab"),
                    ("number", &number),
                    ("body", "Here it is: OOMKilled."),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(status_of(&app, &member, "help-lab", n).await, "open");
        let replied = mail_to(&app, &grace.email, &format!("#{n}"), 1).await;
        assert!(replied.contains("OOMKilled") && replied.contains("open again"));

        // Resolved by staff: the member is told; a reply within the window reopens it.
        let (status, body) = app
            .call(
                &grace.client,
                "support/update",
                &[("number", &number), ("status", "resolved")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let resolved = mail_to(&app, &member.email, &format!("#{n}"), 2).await;
        assert!(resolved.contains("is now: resolved"), "{resolved}");
        let (_, view) = app
            .call(
                &member.client,
                "support/get",
                &[("slug", "help-lab"), ("number", &number)],
            )
            .await;
        assert!(!view["reopen_until"].as_str().unwrap().is_empty());
        app.clock.advance(TimeDelta::days(3));
        let (status, _) = app
            .call(
                &member.client,
                "support/reply",
                &[
                    ("slug", "help-lab"),
                    ("number", &number),
                    ("body", "It is back."),
                ],
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(status_of(&app, &member, "help-lab", n).await, "open");

        // Resolved by the member; after the reopen window the sweep closes it, and a reply is
        // refused with the reason.
        let (status, body) = app
            .call(
                &member.client,
                "support/resolve",
                &[("slug", "help-lab"), ("number", &number)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        app.clock.advance(TimeDelta::days(15));
        app.run_worker().await;
        assert_eq!(status_of(&app, &member, "help-lab", n).await, "closed");
        let (status, body) = app
            .call(
                &member.client,
                "support/reply",
                &[
                    ("slug", "help-lab"),
                    ("number", &number),
                    ("body", "Again?"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(body.to_string().contains("closed"), "{body}");

        // No mail to the member ever carried the note.
        let mails = all_mail_to(&app, &member.email).await;
        assert!(mails.len() >= 3, "{mails:?}");
        assert!(mails.iter().all(|m| !m.contains("INTERNAL-NOTE")));
        // The community's audit log has the ticket.
        let (_, audit) = app
            .call(
                &owner.client,
                "audit/community",
                &[("slug", "help-lab"), ("action", ""), ("actor", "")],
            )
            .await;
        assert!(audit.to_string().contains("ticket.opened"), "{audit}");
    }
);

/// Business time is wall time here (every day, all day), so the test does not depend on
/// when it runs; the calendar's working hours, holidays and time zones are unit-tested in
/// `stoa_support`.
fn around_the_clock(settings: &mut stoa_server::config::Settings) {
    settings.support.business_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .map(str::to_owned)
        .to_vec();
    settings.support.opens = "00:00".into();
    settings.support.closes = "24:00".into();
}

on_both!(
    the_sla_clock_pauses_while_pending_and_a_breach_is_flagged_once,
    settings = around_the_clock,
    |app| {
        require_peers();
        let owner = person(&app, "sla-owner").await;
        create_community(&app, &owner, "sla-lab", "invite").await;
        let grace = staff(&app, "sla-staff").await;
        let other_staff = staff(&app, "sla-staff-2").await;
        // The lab plan's critical targets by default: first response 4 h, resolution 16 h.
        let n = open(&app, &owner, "sla-lab", "critical", "Hub down").await;
        let number = n.to_string();
        let (_, view) = app
            .call(
                &owner.client,
                "support/get",
                &[("slug", "sla-lab"), ("number", &number)],
            )
            .await;
        assert_eq!(view["ticket"]["sla"]["first_response"], "4 h left");
        assert_eq!(view["ticket"]["sla"]["resolution"], "16 h left");

        // Staff take it and answer after 1 h, waiting on the community.
        let (status, _) = app
            .call(
                &grace.client,
                "support/update",
                &[("number", &number), ("assignee", &grace.id.to_string())],
            )
            .await;
        assert_eq!(status, 200);
        app.clock.advance(TimeDelta::hours(1));
        let (status, _) = app
            .call(
                &grace.client,
                "support/answer",
                &[
                    ("number", &number),
                    ("body", "Which hub?"),
                    ("status", "pending"),
                ],
            )
            .await;
        assert_eq!(status, 200);
        // A week waiting on the community counts nothing.
        app.clock.advance(TimeDelta::days(7));
        assert_eq!(app.run_worker().await.sla_breaches, 0);
        let (_, view) = app
            .call(
                &owner.client,
                "support/get",
                &[("slug", "sla-lab"), ("number", &number)],
            )
            .await;
        let sla = &view["ticket"]["sla"];
        assert_eq!(sla["first_response"], "Answered");
        assert_eq!(
            sla["resolution"],
            "Paused while waiting on the community: 15 h left"
        );
        assert_eq!(sla["breached"], false);

        // The community answers: 15 h left. At 14 h nothing; past 15 h the breach is flagged
        // and mailed to the assignee only, once.
        let (status, _) = app
            .call(
                &owner.client,
                "support/reply",
                &[
                    ("slug", "sla-lab"),
                    ("number", &number),
                    ("body", "The big one."),
                ],
            )
            .await;
        assert_eq!(status, 200);
        app.clock.advance(TimeDelta::hours(14));
        assert_eq!(app.run_worker().await.sla_breaches, 0);
        app.clock
            .advance(TimeDelta::hours(1) + TimeDelta::minutes(1));
        assert_eq!(app.run_worker().await.sla_breaches, 1);
        assert_eq!(app.run_worker().await.sla_breaches, 0, "flagged once");
        let breach = mail_to(&app, &grace.email, "SLA breached", 0).await;
        assert!(breach.contains("resolution target") && breach.contains(&format!("#{n}")));
        assert!(
            all_mail_to(&app, &other_staff.email)
                .await
                .iter()
                .all(|m| !m.contains("SLA breached")),
            "only the assignee hears of it"
        );

        // Members and staff both see it; the queue lists it under "breached".
        let (_, view) = app
            .call(
                &owner.client,
                "support/get",
                &[("slug", "sla-lab"), ("number", &number)],
            )
            .await;
        assert_eq!(view["ticket"]["sla"]["resolution"], "Overdue by 1 min");
        assert_eq!(view["ticket"]["sla"]["breached"], true);
        let (_, queue) = app
            .call(&grace.client, "support/queue", &[("breached", "on")])
            .await;
        assert_eq!(queue["total"], 1, "{queue}");
        let (_, queue) = app
            .call(
                &grace.client,
                "support/queue",
                &[("assignee", "me"), ("q", "hub down")],
            )
            .await;
        assert_eq!(queue["total"], 1, "{queue}");
        let (_, queue) = app
            .call(&grace.client, "support/queue", &[("q", "nothing like it")])
            .await;
        assert_eq!(queue["total"], 0);

        // A higher impact later sets new targets, counting what was spent.
        let (status, _) = app
            .call(
                &grace.client,
                "support/update",
                &[("number", &number), ("impact", "low")],
            )
            .await;
        assert_eq!(status, 200);
        let (_, view) = app
            .call(
                &owner.client,
                "support/get",
                &[("slug", "sla-lab"), ("number", &number)],
            )
            .await;
        assert_eq!(view["ticket"]["sla"]["resolution"], "63 h 59 min left");
    }
);

on_both!(
    bad_input_is_refused_and_tickets_stay_in_their_community,
    |app| {
        require_peers();
        let owner = person(&app, "bad-owner").await;
        create_community(&app, &owner, "bad-lab", "invite").await;
        let stranger = person(&app, "bad-stranger").await;
        create_community(&app, &stranger, "other-bad-lab", "invite").await;
        let grace = staff(&app, "bad-staff").await;
        let n = open(&app, &owner, "bad-lab", "low", "A question").await;
        let number = n.to_string();

        for (field, form) in [
            (
                "kind",
                [
                    ("kind", "rant"),
                    ("impact", "low"),
                    ("hub", ""),
                    ("title", "Fine title"),
                    ("body", "x"),
                ],
            ),
            (
                "impact",
                [
                    ("kind", "guidance"),
                    ("impact", "apocalyptic"),
                    ("hub", ""),
                    ("title", "Fine title"),
                    ("body", "x"),
                ],
            ),
            (
                "hub",
                [
                    ("kind", "guidance"),
                    ("impact", "low"),
                    ("hub", "not-ours"),
                    ("title", "Fine title"),
                    ("body", "x"),
                ],
            ),
            (
                "title",
                [
                    ("kind", "guidance"),
                    ("impact", "low"),
                    ("hub", ""),
                    ("title", "x"),
                    ("body", "x"),
                ],
            ),
            (
                "body",
                [
                    ("kind", "guidance"),
                    ("impact", "low"),
                    ("hub", ""),
                    ("title", "Fine title"),
                    ("body", "  "),
                ],
            ),
        ] {
            let mut all = vec![("slug", "bad-lab")];
            all.extend(form);
            let (status, body) = app.call(&owner.client, "support/open", &all).await;
            assert_eq!(status, 422, "{field}: {body}");
            assert!(body.to_string().contains(field), "{field}: {body}");
        }
        let (status, body) = app
            .call(
                &grace.client,
                "support/answer",
                &[
                    ("number", &number),
                    ("body", "x"),
                    ("internal", "on"),
                    ("status", "pending"),
                ],
            )
            .await;
        assert_eq!(status, 422, "{body}");
        let (status, _) = app
            .call(
                &grace.client,
                "support/update",
                &[("number", &number), ("assignee", &owner.id.to_string())],
            )
            .await;
        assert_eq!(status, 422, "only staff may be assigned");
        let (status, _) = app
            .call(
                &grace.client,
                "support/update",
                &[("number", &number), ("status", "open")],
            )
            .await;
        assert_eq!(status, 200);
        let (status, body) = app
            .call(
                &grace.client,
                "support/update",
                &[("number", &number), ("status", "new")],
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert!(body.to_string().contains("back to new"), "{body}");
        let (_, list) = app
            .call(&owner.client, "support/list", &[("slug", "bad-lab")])
            .await;
        assert_eq!(list["total"], 1, "nothing was opened by the refused forms");
        assert_eq!(status_of(&app, &owner, "bad-lab", n).await, "open");

        // Opening is capped per community and day (each ticket mails the whole team).
        for i in 1..stoa_domain::support::MAX_TICKETS_PER_DAY {
            open(&app, &owner, "bad-lab", "low", &format!("Question {i}")).await;
        }
        let (status, body) = app
            .call(
                &owner.client,
                "support/open",
                &[
                    ("slug", "bad-lab"),
                    ("kind", "guidance"),
                    ("impact", "low"),
                    ("title", "One too many"),
                    ("body", "x"),
                ],
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert!(body.to_string().contains("last 24 hours"), "{body}");
        app.clock.advance(chrono::TimeDelta::days(1));
        open(&app, &owner, "bad-lab", "low", "The next day").await;

        // Another community's slug with this ticket's number: not found, for its own owner too.
        for (who, slug) in [
            (&stranger, "other-bad-lab"),
            (&stranger, "bad-lab"),
            (&owner, "other-bad-lab"),
        ] {
            let (status, _) = app
                .call(
                    &who.client,
                    "support/get",
                    &[("slug", slug), ("number", &number)],
                )
                .await;
            assert_eq!(status, 404, "{slug}");
            let (status, _) = app
                .call(
                    &who.client,
                    "support/reply",
                    &[("slug", slug), ("number", &number), ("body", "hi")],
                )
                .await;
            assert_eq!(status, 404, "{slug}");
        }
        assert_eq!(status_of(&app, &owner, "bad-lab", n).await, "open");
    }
);

on_both!(
    view_as_needs_consent_is_read_only_ends_and_is_audited,
    |app| {
        require_peers();
        let owner = person(&app, "va-owner").await;
        create_community(&app, &owner, "va-lab", "invite").await;
        let member = person(&app, "va-member").await;
        add_member(&app, "va-lab", member.id, "member").await;
        let grace = staff(&app, "va-staff").await;
        let n = open(
            &app,
            &member,
            "va-lab",
            "medium",
            "The hub page looks wrong",
        )
        .await;
        let number = n.to_string();
        let view_as = || async {
            app.call(&grace.client, "support/view_as", &[("number", &number)])
                .await
        };

        // No consent yet: refused. Only the person who opened the ticket may give it.
        let (status, body) = view_as().await;
        assert_eq!(status, 422, "{body}");
        let (status, body) = app
            .call(
                &owner.client,
                "support/consent",
                &[("slug", "va-lab"), ("number", &number), ("allow", "true")],
            )
            .await;
        assert_eq!(status, 422, "{body}");
        let (status, body) = app
            .call(
                &member.client,
                "support/consent",
                &[("slug", "va-lab"), ("number", &number), ("allow", "true")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (_, ticket) = app
            .call(
                &grace.client,
                "support/get",
                &[("slug", "va-lab"), ("number", &number)],
            )
            .await;
        assert_eq!(ticket["consent"], true);

        // Started: every page is the member's, with the banner; staff pages are not theirs.
        let (status, body) = view_as().await;
        assert_eq!(status, 200, "{body}");
        let (status, html) = page(&app, &grace.client, "/dashboard").await;
        assert_eq!(status, 200);
        assert!(
            html.contains("data-testid=\"view-as-banner\"")
                && html.contains("you are viewing Stoa as")
        );
        assert!(
            html.contains("href=\"/communities/va-lab\""),
            "the member's communities"
        );
        let (status, _) = page(&app, &grace.client, "/staff/tickets").await;
        assert_eq!(status, 403, "the member is not staff");
        let (status, html) = page(&app, &grace.client, "/communities/va-lab/support").await;
        assert_eq!(status, 200);
        assert!(html.contains("The hub page looks wrong"));

        // Read-only: every write refused, whatever the route; never the member's hubs.
        for (endpoint, form) in [
            ("account/rename", vec![("name", "Not Them")]),
            (
                "support/reply",
                vec![
                    ("slug", "va-lab"),
                    ("number", number.as_str()),
                    ("body", "hi"),
                ],
            ),
            ("community/leave", vec![("slug", "va-lab")]),
            (
                "support/answer",
                vec![("number", number.as_str()), ("body", "hi")],
            ),
        ] {
            let (status, _) = app.call(&grace.client, endpoint, &form).await;
            assert_eq!(status, 403, "{endpoint}");
        }
        let res = grace
            .client
            .post(app.url("/communities/va-lab/logo/remove"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        let res = grace
            .client
            .get(app.url("/oauth/authorize?client_id=x&response_type=code"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "no hub login as the member");
        let (_, view) = app
            .call(
                &member.client,
                "support/get",
                &[("slug", "va-lab"), ("number", &number)],
            )
            .await;
        assert_eq!(
            view["messages"].as_array().unwrap().len(),
            1,
            "nothing was written"
        );

        // Stopped by the staff member: themselves again.
        let (status, body) = app.call(&grace.client, "support/stop_view_as", &[]).await;
        assert_eq!(status, 200, "{body}");
        let (status, _) = page(&app, &grace.client, "/staff/tickets").await;
        assert_eq!(status, 200);

        // Ends by itself after an hour.
        let (status, _) = view_as().await;
        assert_eq!(status, 200);
        let (status, _) = page(&app, &grace.client, "/staff/tickets").await;
        assert_eq!(status, 403);
        app.clock.advance(TimeDelta::minutes(61));
        let (status, _) = page(&app, &grace.client, "/staff/tickets").await;
        assert_eq!(status, 200, "the hour is over");

        // Withdrawn: no new session.
        let (status, _) = app
            .call(
                &member.client,
                "support/consent",
                &[("slug", "va-lab"), ("number", &number), ("allow", "false")],
            )
            .await;
        assert_eq!(status, 200);
        let (status, _) = view_as().await;
        assert_eq!(status, 422);

        // All of it in the community's audit log, with the ticket.
        let (_, audit) = app
            .call(
                &owner.client,
                "audit/community",
                &[("slug", "va-lab"), ("action", ""), ("actor", "")],
            )
            .await;
        let audit = audit.to_string();
        for action in [
            "ticket.view_as_allowed",
            "ticket.view_as_started",
            "ticket.view_as_ended",
            "ticket.view_as_withdrawn",
        ] {
            assert!(audit.contains(action), "{action}: {audit}");
        }
        assert!(audit.contains(&format!("#{n} The hub page looks wrong")));
    }
);

async fn quota(app: &TestApp, who: &Person, slug: &str, fields: &[(&str, &str)]) -> (u16, Value) {
    let mut form = vec![
        ("slug", slug),
        ("impact", "low"),
        ("body", "Our course moves to **larger** datasets."),
    ];
    form.extend_from_slice(fields);
    app.call(&who.client, "support/request_quota", &form).await
}

async fn ticket_count(app: &TestApp) -> i64 {
    let mut tx = app.db.begin().await.unwrap();
    let n = stoa_db::tickets::list(tx.conn(), &stoa_db::tickets::Filter::default())
        .await
        .unwrap()
        .total;
    tx.commit().await.unwrap();
    n
}

// A quota request: only who may change the hub asks; values the community may set itself,
// or that are not numbers, are refused by field with nothing filed; the ticket carries the
// values and the price difference from the plans; staff see what approval changes, must give
// a reason to decline, and approving makes the revision (raised bounds and the values) and
// answers the ticket, once.
on_both!(a_quota_request_is_filed_priced_and_approved_once, |app| {
    require_peers();
    let owner = person(&app, "quota-owner").await;
    create_community(&app, &owner, "quota-lab", "invite").await;
    let member = person(&app, "quota-member").await;
    add_member(&app, "quota-lab", member.id, "member").await;
    let grace = staff(&app, "quota-staff").await;

    let (status, _) = quota(&app, &member, "quota-lab", &[("home_quota_gib", "100")]).await;
    assert_eq!(status, 403, "a member does not change the hub's settings");
    for (fields, field, words) in [
        (vec![], "form", "at least one value"),
        (
            vec![("home_quota_gib", "5")],
            "home_quota_gib",
            "up to 10 GiB",
        ),
        (
            vec![("home_quota_gib", "lots")],
            "home_quota_gib",
            "not a whole number",
        ),
        (
            vec![("custom_domain", "my hub")],
            "custom_domain",
            "host name",
        ),
        (
            vec![("gpus", "1")],
            "gpu_environment",
            "Choose the environment",
        ),
        (
            vec![("environments", "1000")],
            "environments",
            "between 1 and 100",
        ),
    ] {
        let (status, body) = quota(&app, &owner, "quota-lab", &fields).await;
        assert_eq!(status, 422, "{fields:?}: {body}");
        let text = body.to_string();
        assert!(
            text.contains(field) && text.contains(words),
            "{fields:?}: {body}"
        );
    }
    assert_eq!(ticket_count(&app).await, 0, "nothing was filed");

    let (status, opened) = quota(
        &app,
        &owner,
        "quota-lab",
        &[
            ("home_quota_gib", "100"),
            ("event_users", "500"),
            ("custom_domain", "Hub.Quota.Example.EDU"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{opened}");
    let number = opened["number"].as_i64().unwrap().to_string();
    let (_, view) = app
        .call(
            &owner.client,
            "support/get",
            &[("slug", "quota-lab"), ("number", &number)],
        )
        .await;
    assert_eq!(view["ticket"]["kind"], "quota");
    let q = &view["quota"];
    assert_eq!(
        q["requested"],
        serde_json::json!([
            "Home quota: 100 GiB",
            "People at an event: 500 at once",
            "Custom domain: hub.quota.example.edu"
        ])
    );
    let prices = q["prices"].to_string();
    assert!(
        prices.contains("Lab (the community's plan): €600.00 a year")
            && prices.contains("Consortium: €9,600.00 a year, €9,000.00 more")
            && prices.contains("No plan prices a GPU or a custom domain"),
        "{prices}"
    );
    assert_eq!(q["can_decide"], false);
    assert_eq!(
        q["changes"],
        serde_json::json!([]),
        "only staff see the preview"
    );

    // Staff: what approval makes, first.
    let (_, view) = app
        .call(
            &grace.client,
            "support/get",
            &[("slug", "quota-lab"), ("number", &number)],
        )
        .await;
    let q = &view["quota"];
    assert_eq!(q["can_decide"], true, "{q}");
    assert!(
        q["apply_note"]
            .as_str()
            .unwrap()
            .contains("Revision 1 will be made, not applied: the hub is not deployed yet"),
        "{q}"
    );
    let changes = q["changes"].to_string();
    assert!(
        changes.contains("100") && changes.contains("hub.quota.example.edu"),
        "{changes}"
    );

    let decide = |who: &Person, decision: &str, reason: &str| {
        let (client, number) = (who.client.clone(), number.clone());
        let (decision, reason) = (decision.to_owned(), reason.to_owned());
        let app = &app;
        async move {
            app.call(
                &client,
                "support/decide_quota",
                &[
                    ("number", number.as_str()),
                    ("decision", decision.as_str()),
                    ("reason", reason.as_str()),
                ],
            )
            .await
        }
    };
    let (status, _) = decide(&owner, "approve", "").await;
    assert_eq!(status, 403, "a community does not approve its own request");
    let (status, body) = decide(&grace, "decline", " ").await;
    assert_eq!(status, 422);
    assert!(body.to_string().contains("Say why"), "{body}");
    let (status, body) = decide(&grace, "maybe", "").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        status_of(&app, &owner, "quota-lab", number.parse().unwrap()).await,
        "new"
    );

    let (status, body) = decide(&grace, "approve", "Enjoy the room.").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = decide(&grace, "decline", "Changed my mind.").await;
    assert_eq!(status, 422);
    assert!(body.to_string().contains("approved already"), "{body}");

    let (_, hub) = app
        .call(&owner.client, "hub/get", &[("slug", "quota-lab")])
        .await;
    assert_eq!(hub["latest"], 1, "{hub}");
    let mut tx = app.db.begin().await.unwrap();
    let c = stoa_db::communities::by_slug(tx.conn(), "quota-lab")
        .await
        .unwrap()
        .unwrap();
    let h = stoa_db::hubs::of_community(tx.conn(), c.id)
        .await
        .unwrap()
        .remove(0);
    let rev = stoa_db::hubs::revision(tx.conn(), h.id, 1)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    let spec = stoa_hubs::HubSpec::from_json(&rev.spec).unwrap();
    assert_eq!(spec.home_quota_gib, 100);
    assert_eq!(spec.staff.bounds.max_home_quota_gib, Some(100));
    assert_eq!(spec.staff.bounds.max_event_users, Some(500));
    assert_eq!(
        spec.staff.bounds.max_idle_timeout_seconds, None,
        "not asked for"
    );
    assert_eq!(
        spec.staff.custom_domain.as_deref(),
        Some("hub.quota.example.edu")
    );

    let (_, view) = app
        .call(
            &owner.client,
            "support/get",
            &[("slug", "quota-lab"), ("number", &number)],
        )
        .await;
    assert_eq!(view["ticket"]["status"], "resolved");
    assert!(
        view["quota"]["decision_words"]
            .as_str()
            .unwrap()
            .starts_with("Approved by Stoa support"),
        "{view}"
    );
    let told = mail_to(&app, &owner.email, &format!("#{number}"), 1).await;
    assert!(
        told.contains("Approved. Revision 1") && told.contains("Home quota: 100 GiB"),
        "{told}"
    );
    // Within its new bounds, the community sets the values itself from now on.
    let (status, body) = quota(&app, &owner, "quota-lab", &[("home_quota_gib", "80")]).await;
    assert_eq!(status, 422);
    assert!(body.to_string().contains("up to 100 GiB"), "{body}");
});
