//! Stripe's webhooks at `POST /stripe/webhook`, on both engines: signatures checked on the
//! raw body (forged, missing, stale, altered → 400 and nothing written), both secrets of a
//! rotation accepted, each event applied once however often it is delivered (also 20 times
//! at once), and the newer state kept when an older event arrives late. Events are built in
//! the shape of Stripe's documented examples and signed as Stripe signs them.

use chrono::TimeDelta;
use serde_json::json;
use stoa_db::communities::CommunityId;
use stoa_domain::stripe::sign;

use crate::communities::{create_community, person};
use crate::helpers::{TestApp, on_both, remember_secret, require_peers};

const OLD_SECRET: &str = "whsec_test_old_0123456789abcdef";
const NEW_SECRET: &str = "whsec_test_new_fedcba9876543210";

fn with_webhooks(s: &mut stoa_server::config::Settings) {
    remember_secret(OLD_SECRET);
    remember_secret(NEW_SECRET);
    s.stripe_webhook_secrets = Some(format!("{OLD_SECRET}, {NEW_SECRET}").into());
}

/// Delivers `body` with `signature` (or none); returns the status.
async fn deliver(app: &TestApp, body: &[u8], signature: Option<&str>) -> u16 {
    let mut req = reqwest::Client::new()
        .post(app.url("/stripe/webhook"))
        .header("content-type", "application/json; charset=utf-8")
        .body(body.to_vec());
    if let Some(sig) = signature {
        req = req.header("Stripe-Signature", sig);
    }
    req.send().await.expect("delivery").status().as_u16()
}

/// Delivers `event` signed with `secret` now, as Stripe does.
async fn send(app: &TestApp, event: &serde_json::Value, secret: &str) -> u16 {
    let body = serde_json::to_vec(event).unwrap();
    let now = app.clock.now().as_datetime().timestamp();
    deliver(app, &body, Some(&sign(&body, secret, now))).await
}

fn now_secs(app: &TestApp) -> i64 {
    app.clock.now().as_datetime().timestamp()
}

/// An event of `kind` about `object`, made at `created`.
fn event(id: &str, kind: &str, created: i64, object: serde_json::Value) -> serde_json::Value {
    json!({
        "id": id, "object": "event", "api_version": stoa_stripe::api_version(),
        "created": created, "livemode": false, "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": kind, "data": {"object": object}
    })
}

/// A subscription in the 2026 shape (period end on its item).
fn subscription(
    id: &str,
    community: CommunityId,
    status: &str,
    period_end: i64,
) -> serde_json::Value {
    json!({
        "id": id, "object": "subscription", "customer": "cus_NffrFeUfNV2Hib", "status": status,
        "start_date": period_end - 365 * 86_400,
        "collection_method": "charge_automatically", "metadata": {"community": community.0.to_string()},
        "items": {"object": "list", "has_more": false, "data": [{
            "id": "si_NcLYdDxLHxlFo7", "object": "subscription_item",
            "current_period_start": period_end - 365 * 86_400, "current_period_end": period_end,
            "price": {"id": "stoa-lab-eur-60000", "object": "price"}}]}
    })
}

async fn community(app: &TestApp, slug: &str) -> CommunityId {
    require_peers();
    let owner = person(app, "owner").await;
    create_community(app, &owner, slug, "invite").await;
    let mut conn = app.db.read().await.unwrap();
    stoa_db::communities::by_slug(conn.conn(), slug)
        .await
        .unwrap()
        .expect("community")
        .id
}

async fn stored_events(app: &TestApp) -> Vec<stoa_db::stripe::StoredEvent> {
    let mut conn = app.db.read().await.unwrap();
    stoa_db::stripe::events(conn.conn(), 1000).await.unwrap()
}

async fn standing(app: &TestApp, c: CommunityId) -> stoa_db::billing::Subscription {
    let mut conn = app.db.read().await.unwrap();
    stoa_db::billing::subscription(conn.conn(), c)
        .await
        .unwrap()
        .expect("a standing")
}

async fn pending_jobs(app: &TestApp) -> i64 {
    let mut conn = app.db.read().await.unwrap();
    stoa_db::jobs::pending_count(conn.conn()).await.unwrap()
}

on_both!(
    forged_missing_stale_and_altered_deliveries_are_refused_and_change_nothing,
    settings = with_webhooks,
    |app| {
        let body = serde_json::to_vec(&event(
            "evt_1",
            "customer.created",
            now_secs(&app),
            json!({"id": "cus_1"}),
        ))
        .unwrap();
        let now = now_secs(&app);
        let mut altered = body.clone();
        let at = altered.iter().position(|b| *b == b'1').unwrap();
        altered[at] = b'2';
        let signed_text = b"not an event".to_vec();
        let cases: Vec<(&str, Vec<u8>, Option<String>)> = vec![
            ("no signature", body.clone(), None),
            ("an empty signature", body.clone(), Some(String::new())),
            (
                "a timestamp and no v1",
                body.clone(),
                Some(format!("t={now}")),
            ),
            (
                "forged with another secret",
                body.clone(),
                Some(sign(&body, "whsec_someone_else", now)),
            ),
            // Clear of the edge: the request reaches the server a moment after `now`. The exact
            // boundary (300 s in, 301 s out) is tested in stoa_billing::webhook with a fixed clock.
            (
                "signed 330 s ago",
                body.clone(),
                Some(sign(&body, OLD_SECRET, now - 330)),
            ),
            (
                "signed 330 s ahead",
                body.clone(),
                Some(sign(&body, OLD_SECRET, now + 330)),
            ),
            (
                "one byte changed after signing",
                altered,
                Some(sign(&body, OLD_SECRET, now)),
            ),
            (
                "signed, but not JSON",
                signed_text.clone(),
                Some(sign(&signed_text, OLD_SECRET, now)),
            ),
        ];
        for (what, payload, signature) in cases {
            assert_eq!(
                deliver(&app, &payload, signature.as_deref()).await,
                400,
                "{what}"
            );
        }
        assert!(stored_events(&app).await.is_empty(), "nothing recorded");
        assert_eq!(pending_jobs(&app).await, 0, "nothing queued");

        // Within the tolerance (its exact edge: see above).
        let now = now_secs(&app);
        assert_eq!(
            deliver(&app, &body, Some(&sign(&body, OLD_SECRET, now - 290))).await,
            200
        );
        assert_eq!(stored_events(&app).await.len(), 1);
    }
);

on_both!(
    both_secrets_of_a_rotation_are_accepted,
    settings = with_webhooks,
    |app| {
        let t = now_secs(&app);
        assert_eq!(
            send(
                &app,
                &event("evt_old", "customer.created", t, json!({"id": "cus_1"})),
                OLD_SECRET
            )
            .await,
            200
        );
        assert_eq!(
            send(
                &app,
                &event("evt_new", "customer.created", t, json!({"id": "cus_2"})),
                NEW_SECRET
            )
            .await,
            200
        );
        // A header carrying several v1 values (Stripe signs with each secret during its own
        // rotation) passes when any matches.
        let body = serde_json::to_vec(&event(
            "evt_both",
            "customer.created",
            t,
            json!({"id": "cus_3"}),
        ))
        .unwrap();
        let header = format!(
            "{},v1={}",
            sign(&body, NEW_SECRET, t),
            sign(&body, "whsec_retired", t)
                .rsplit("v1=")
                .next()
                .unwrap()
        );
        assert_eq!(deliver(&app, &body, Some(&header)).await, 200);
        let mut ids: Vec<String> = stored_events(&app)
            .await
            .into_iter()
            .map(|e| e.id)
            .collect();
        ids.sort();
        assert_eq!(ids, ["evt_both", "evt_new", "evt_old"]);
        app.run_worker().await;
        let events = stored_events(&app).await;
        assert!(
            events.iter().all(|e| e.processed_at.is_some()),
            "{events:?}"
        );
        assert!(
            events
                .iter()
                .all(|e| e.outcome == "customer.created: not used by Stoa"),
            "{events:?}"
        );
    }
);

on_both!(
    an_event_delivered_twice_or_twenty_times_at_once_has_one_effect,
    settings = with_webhooks,
    |app| {
        let c = community(&app, "paying-lab").await;
        let t = now_secs(&app);
        let year = t + 365 * 86_400;
        let created = event(
            "evt_created",
            "customer.subscription.created",
            t,
            subscription("sub_1", c, "active", year),
        );
        assert_eq!(send(&app, &created, OLD_SECRET).await, 200);
        assert_eq!(
            send(&app, &created, OLD_SECRET).await,
            200,
            "a repeat is acknowledged"
        );
        assert_eq!(pending_jobs(&app).await, 1, "and queues nothing more");
        assert_eq!(app.run_worker().await.jobs_done, 1);
        assert_eq!(standing(&app, c).await.status, "active");

        let overdue = event(
            "evt_overdue",
            "customer.subscription.updated",
            t + 60,
            subscription("sub_1", c, "past_due", year),
        );
        let body = serde_json::to_vec(&overdue).unwrap();
        let signature = sign(&body, NEW_SECRET, now_secs(&app));
        let mut deliveries = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let (url, body, signature) =
                (app.url("/stripe/webhook"), body.clone(), signature.clone());
            deliveries.spawn(async move {
                let res = reqwest::Client::new()
                    .post(url)
                    .header("Stripe-Signature", signature)
                    .body(body)
                    .send()
                    .await;
                res.expect("delivery").status().as_u16()
            });
        }
        let statuses = deliveries.join_all().await;
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        assert_eq!(stored_events(&app).await.len(), 2, "each event once");

        // A second job for the same event (as a job retried after its lease ran out would be),
        // and two workers taking one each at once: the event is applied once.
        {
            let mut tx = app.db.begin().await.unwrap();
            let task = stoa_db::jobs::Task::ApplyStripeEvent {
                event_id: "evt_overdue".into(),
            };
            stoa_db::jobs::enqueue_task(tx.conn(), &task, app.clock.now())
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let (a, b) = (app.worker(), app.worker());
        let (pa, pb) = tokio::join!(a.run_once(), b.run_once());
        assert_eq!(
            pa.unwrap().jobs_done + pb.unwrap().jobs_done,
            2,
            "both jobs end"
        );
        let s = standing(&app, c).await;
        assert_eq!(s.status, "past_due");
        let since = s.past_due_since.expect("overdue since");
        assert_eq!(
            since.as_datetime().timestamp(),
            t + 60,
            "since Stripe said so"
        );
        assert_eq!(
            s.changes_paused_from.unwrap().as_datetime() - since.as_datetime(),
            TimeDelta::days(i64::from(app.settings.billing.grace_days)),
            "changes pause after the grace period"
        );
        let mut conn = app.db.read().await.unwrap();
        let filter = stoa_db::audit::Filter {
            community: Some(c),
            action_prefix: Some("billing.standing_changed".into()),
            ..Default::default()
        };
        let changes: Vec<String> = stoa_db::audit::list(conn.conn(), &filter, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.target)
            .collect();
        assert_eq!(
            changes,
            [
                "Test community (Stripe): active → past_due",
                "Test community (Stripe): trialing → active"
            ],
            "one audit entry per change"
        );
    }
);

on_both!(
    an_older_state_arriving_after_a_newer_one_is_ignored,
    settings = with_webhooks,
    |app| {
        let c = community(&app, "late-events").await;
        let t = now_secs(&app);
        let (first_year, second_year) = (t + 365 * 86_400, t + 2 * 365 * 86_400);
        // Renewed (newer), then the earlier past-due report arrives.
        let renewed = event(
            "evt_renewed",
            "customer.subscription.updated",
            t + 100,
            subscription("sub_9", c, "active", second_year),
        );
        let late = event(
            "evt_late",
            "customer.subscription.updated",
            t + 50,
            subscription("sub_9", c, "past_due", first_year),
        );
        assert_eq!(send(&app, &renewed, OLD_SECRET).await, 200);
        app.run_worker().await;
        assert_eq!(send(&app, &late, OLD_SECRET).await, 200);
        app.run_worker().await;
        let s = standing(&app, c).await;
        assert_eq!(s.status, "active", "the newer state stays");
        assert_eq!(s.paid_until.unwrap().as_datetime().timestamp(), second_year);
        let events = stored_events(&app).await;
        let late = events.iter().find(|e| e.id == "evt_late").unwrap();
        assert!(
            late.outcome.contains("older than the state kept"),
            "{}",
            late.outcome
        );

        // At the same second a cancellation stays (it is final); the end of a replaced
        // subscription does not end the one that replaced it.
        let canceled = event(
            "evt_cancel",
            "customer.subscription.deleted",
            t + 200,
            subscription("sub_9", c, "canceled", second_year),
        );
        let same_second = event(
            "evt_same",
            "customer.subscription.updated",
            t + 200,
            subscription("sub_9", c, "active", second_year),
        );
        assert_eq!(send(&app, &canceled, OLD_SECRET).await, 200);
        app.run_worker().await;
        assert_eq!(send(&app, &same_second, OLD_SECRET).await, 200);
        app.run_worker().await;
        assert_eq!(standing(&app, c).await.status, "canceled");
        let replacement = event(
            "evt_new_sub",
            "customer.subscription.created",
            t + 300,
            subscription("sub_10", c, "active", second_year),
        );
        let old_end = event(
            "evt_old_end",
            "customer.subscription.deleted",
            t + 400,
            subscription("sub_9", c, "canceled", second_year),
        );
        // A late update of the old subscription (not a cancellation) does not bring it back.
        let old_update = event(
            "evt_old_update",
            "customer.subscription.updated",
            t + 450,
            subscription("sub_9", c, "past_due", second_year),
        );
        assert_eq!(send(&app, &replacement, OLD_SECRET).await, 200);
        assert_eq!(send(&app, &old_end, OLD_SECRET).await, 200);
        assert_eq!(send(&app, &old_update, OLD_SECRET).await, 200);
        app.run_worker().await;
        {
            let mut conn = app.db.read().await.unwrap();
            let ids = stoa_db::stripe::stripe_ids(conn.conn(), c).await.unwrap();
            assert_eq!(ids.map(|(sub, _)| sub).as_deref(), Some("sub_10"));
        }
        // A second live subscription beside it (two Checkouts completed) is flagged, not taken.
        let second = event(
            "evt_second",
            "customer.subscription.created",
            t + 460,
            subscription("sub_11", c, "active", second_year),
        );
        assert_eq!(send(&app, &second, OLD_SECRET).await, 200);
        app.run_worker().await;
        {
            let mut conn = app.db.read().await.unwrap();
            let ids = stoa_db::stripe::stripe_ids(conn.conn(), c).await.unwrap();
            assert_eq!(
                ids.map(|(sub, _)| sub).as_deref(),
                Some("sub_10"),
                "the first stays"
            );
            let filter = stoa_db::audit::Filter {
                community: Some(c),
                action_prefix: Some("billing.second_subscription".into()),
                ..Default::default()
            };
            let flagged = stoa_db::audit::list(conn.conn(), &filter, 10)
                .await
                .unwrap();
            assert_eq!(flagged.len(), 1, "staff see it once");
            assert!(flagged[0].target.contains("sub_11"));
        }
        assert_eq!(
            standing(&app, c).await.status,
            "active",
            "the new subscription stands"
        );

        // Invoices: paid is final, even against a `finalized` of the same second delivered after.
        let invoice = |status: &str| {
            json!({"id": "in_1MtHbELkdIwHu7ixl4OzzPMv", "object": "invoice", "customer": "cus_NffrFeUfNV2Hib",
               "status": status, "amount_due": 60000, "currency": "eur", "number": "F2A1B3C4-0001",
               "created": t, "due_date": null, "invoice_pdf": "https://pay.stripe.com/invoice/acct_1/test_1/pdf",
               "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/test_1",
               "parent": {"type": "subscription_details", "subscription_details": {"subscription": "sub_10", "metadata": {}}}})
        };
        assert_eq!(
            send(
                &app,
                &event("evt_paid", "invoice.paid", t + 500, invoice("paid")),
                OLD_SECRET
            )
            .await,
            200
        );
        app.run_worker().await;
        assert_eq!(
            send(
                &app,
                &event("evt_final", "invoice.finalized", t + 500, invoice("open")),
                OLD_SECRET
            )
            .await,
            200
        );
        app.run_worker().await;
        let mut conn = app.db.read().await.unwrap();
        let invoices = stoa_db::stripe::invoices(conn.conn(), c).await.unwrap();
        assert_eq!(invoices.len(), 1);
        assert_eq!(invoices[0].status, "paid");
        assert_eq!(invoices[0].number, "F2A1B3C4-0001");
    }
);

on_both!(
    a_cancellation_from_stripe_never_cancels_a_community_paying_by_hand,
    settings = with_webhooks,
    |app| {
        let c = community(&app, "by-hand").await;
        app.run_worker().await; // its trial
        let t = now_secs(&app);
        // An abandoned Checkout's subscription that expired.
        let expired = event(
            "evt_exp",
            "customer.subscription.updated",
            t,
            subscription("sub_x", c, "incomplete_expired", t),
        );
        assert_eq!(send(&app, &expired, OLD_SECRET).await, 200);
        app.run_worker().await;
        assert_eq!(
            standing(&app, c).await.status,
            "trialing",
            "the manual standing stays"
        );
    }
);

on_both!(
    past_due_through_stripe_pauses_changes_after_the_grace_period_until_paid,
    settings = with_webhooks,
    |app| {
        let c = community(&app, "grace").await;
        let t = now_secs(&app);
        let year = t + 365 * 86_400;
        let overdue = event(
            "evt_pd",
            "customer.subscription.updated",
            t,
            subscription("sub_g", c, "past_due", year),
        );
        assert_eq!(send(&app, &overdue, OLD_SECRET).await, 200);
        app.run_worker().await;
        let paused = |app: &TestApp| {
            let db = app.db.clone();
            let now = app.clock.now();
            async move {
                let mut conn = db.read().await.unwrap();
                stoa_domain::billing::changes_paused(conn.conn(), c, now)
                    .await
                    .unwrap()
            }
        };
        assert!(paused(&app).await.is_none(), "within the grace period");
        app.clock.advance(
            TimeDelta::days(i64::from(app.settings.billing.grace_days)) + TimeDelta::minutes(1),
        );
        assert!(paused(&app).await.is_some(), "after it");
        // The manual sweep leaves Stripe's standings to Stripe.
        app.run_worker().await;
        assert_eq!(standing(&app, c).await.status, "past_due");
        let paid = event(
            "evt_ok",
            "customer.subscription.updated",
            now_secs(&app),
            subscription("sub_g", c, "active", year),
        );
        assert_eq!(send(&app, &paid, OLD_SECRET).await, 200);
        app.run_worker().await;
        assert!(paused(&app).await.is_none(), "paid: changes resume");
        assert_eq!(standing(&app, c).await.status, "active");
    }
);

on_both!(
    after_a_stripe_cancellation_staff_can_take_over_by_hand,
    settings = with_webhooks,
    |app| {
        let c = community(&app, "back-to-manual").await;
        let t = now_secs(&app);
        let year = t + 365 * 86_400;
        for (id, kind, at, status) in [
            ("evt_s1", "customer.subscription.created", t, "active"),
            (
                "evt_s2",
                "customer.subscription.deleted",
                t + 10,
                "canceled",
            ),
        ] {
            let e = event(id, kind, at, subscription("sub_gone", c, status, year));
            assert_eq!(send(&app, &e, OLD_SECRET).await, 200);
        }
        app.run_worker().await;
        assert_eq!(standing(&app, c).await.status, "canceled");
        let staff = person(&app, "manual-staff").await;
        {
            let mut tx = app.db.begin().await.unwrap();
            stoa_db::accounts::set_staff(tx.conn(), &staff.email, true, app.clock.now())
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let (status, id) = app
            .call(
                &staff.client,
                "billing/record_invoice",
                &[
                    ("slug", "back-to-manual"),
                    ("number", "INV-M-1"),
                    ("description", "Membership"),
                    ("amount", "600"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{id}");
        let id = id.as_i64().unwrap().to_string();
        let (status, body) = app
            .call(
                &staff.client,
                "billing/record_payment",
                &[
                    ("slug", "back-to-manual"),
                    ("invoice_id", id.as_str()),
                    ("paid_on", ""),
                    ("reference", "TRF 9"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(standing(&app, c).await.status, "active");
        let mut conn = app.db.read().await.unwrap();
        assert!(
            stoa_db::stripe::stripe_ids(conn.conn(), c)
                .await
                .unwrap()
                .is_none(),
            "kept by Stoa now: its periods lapse and its usage is not charged at Stripe"
        );
        // A late event of the old subscription changes nothing any more.
        drop(conn);
        let late = event(
            "evt_s3",
            "customer.subscription.deleted",
            t + 20,
            subscription("sub_gone", c, "canceled", year),
        );
        assert_eq!(send(&app, &late, OLD_SECRET).await, 200);
        app.run_worker().await;
        assert_eq!(standing(&app, c).await.status, "active");
    }
);
