//! Paying through Stripe end to end, against the localstripe emulator (pinned in
//! peers/stripe/requirements.txt, one instance per test), on both engines: Stoa makes its
//! plan at Stripe, a subscription with a card on file is paid, localstripe's signed webhooks
//! make the community active and list the invoice in Stoa, a closed month's usage fee goes
//! onto the customer's next invoice once (idempotency key, recorded charge), and that
//! invoice comes back through the webhooks too.
//!
//! localstripe has no Checkout, so the test plays Checkout's part where the real flow needs
//! it: it creates the customer, the card and the subscription Checkout would create, with
//! the metadata Stoa's Checkout request carries (`contract.rs` in `stoa_stripe` checks that
//! request). Everything else is Stoa talking to the emulator and the emulator to Stoa.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::{Datelike as _, TimeDelta};
use serde_json::Value;
use stoa_db::Timestamp;
use stoa_db::communities::CommunityId;
use stoa_db::usage::UsageEvent;

use crate::communities::{create_community, person};
use crate::helpers::{TestApp, remember_secret, require_peers, workspace_root};

const KEY: &str = "sk_test_stoa_localstripe";
const WEBHOOK_SECRET: &str = "whsec_stoa_localstripe_test";

/// A localstripe of this test's own, stopped when dropped.
struct LocalStripe {
    url: String,
    child: Child,
    http: reqwest::Client,
}

impl Drop for LocalStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl LocalStripe {
    async fn start() -> LocalStripe {
        let root = workspace_root();
        let python = root.join("target/stripe-venv/bin/python");
        assert!(
            python.exists(),
            "the Stripe emulator is not installed: run scripts/stripe-env.sh (`make setup-test` does)"
        );
        let http = reqwest::Client::new();
        for _ in 0..3 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let child = Command::new(&python)
                .arg(root.join("peers/stripe/localstripe_run.py"))
                .arg(port.to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("localstripe starts");
            let mut stripe = LocalStripe {
                url: format!("http://127.0.0.1:{port}"),
                child,
                http: http.clone(),
            };
            for _ in 0..100 {
                if let Ok(res) = stripe
                    .http
                    .get(format!("{}/v1/plans", stripe.url))
                    .basic_auth(KEY, Some(""))
                    .send()
                    .await
                    && res.status().is_success()
                {
                    return stripe;
                }
                if stripe.child.try_wait().ok().flatten().is_some() {
                    break; // lost its port: try another
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let _ = stripe.child.kill();
        }
        panic!("localstripe did not start");
    }

    async fn call(&self, method: reqwest::Method, path: &str, form: &[(&str, &str)]) -> Value {
        let res = self
            .http
            .request(method, format!("{}{path}", self.url))
            .basic_auth(KEY, Some(""))
            .form(form)
            .send()
            .await
            .expect("localstripe answers");
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Value {
        self.call(reqwest::Method::POST, path, form).await
    }

    async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, &[]).await
    }
}

/// Waits (up to 20 s: localstripe delivers about a second after each change) until Stoa has
/// received `n` events of each kind named.
async fn received(app: &TestApp, wanted: &[(&str, usize)]) {
    for _ in 0..200 {
        let events = {
            let mut conn = app.db.read().await.unwrap();
            stoa_db::stripe::events(conn.conn(), 1000).await.unwrap()
        };
        if wanted
            .iter()
            .all(|(kind, n)| events.iter().filter(|e| e.kind == *kind).count() >= *n)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut conn = app.db.read().await.unwrap();
    let kinds: Vec<String> = stoa_db::stripe::events(conn.conn(), 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    panic!("expected {wanted:?}, received {kinds:?}");
}

/// Runs the worker until every received event is applied. An invoice whose subscription
/// event came after it waits a minute: the clock moves on for it (well within the webhook
/// signature's 5 minutes).
async fn apply_all(app: &TestApp) {
    for _ in 0..5 {
        app.run_worker().await;
        let mut conn = app.db.read().await.unwrap();
        let events = stoa_db::stripe::events(conn.conn(), 1000).await.unwrap();
        if events.iter().all(|e| e.processed_at.is_some()) {
            return;
        }
        app.clock.advance(TimeDelta::seconds(61));
    }
    panic!("events left unapplied");
}

async fn billing_page(app: &TestApp, client: &reqwest::Client, slug: &str) -> String {
    let res = client
        .get(app.url(&format!("/communities/{slug}/billing")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

async fn end_to_end(backend: stoa_db::Backend) {
    require_peers();
    let stripe = LocalStripe::start().await;
    remember_secret(KEY);
    remember_secret(WEBHOOK_SECRET);
    let app = TestApp::spawn_with(backend, |s| {
        s.stripe_secret_key = Some(KEY.into());
        s.stripe_webhook_secrets = Some(WEBHOOK_SECRET.into());
        s.stripe_api_url = stripe.url.clone();
    })
    .await;
    stripe
        .post(
            "/_config/webhooks/stoa",
            &[
                ("url", &app.url("/stripe/webhook")),
                ("secret", WEBHOOK_SECRET),
            ],
        )
        .await;
    let owner = person(&app, "card-owner").await;
    create_community(&app, &owner, "card-lab", "invite").await;
    let community: CommunityId = {
        let mut conn = app.db.read().await.unwrap();
        stoa_db::communities::by_slug(conn.conn(), "card-lab")
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let c = community.0.to_string();
    app.run_worker().await; // the trial starts
    let page = billing_page(&app, &owner.client, "card-lab").await;
    assert!(
        page.contains("data-testid=\"pay-by-card\""),
        "card payment is offered"
    );

    // Paying by card: Stoa makes its plan at Stripe, then asks for a Checkout page, which
    // localstripe lacks (404): the person is told, and nothing else changed.
    let (status, body) = app
        .call(&owner.client, "billing/checkout", &[("slug", "card-lab")])
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "payment", "{body}");
    let plan = stripe.get("/v1/plans/stoa-lab-eur-60000").await;
    assert_eq!(
        (plan["amount"].as_i64(), plan["interval"].as_str()),
        (Some(60_000), Some("year"))
    );
    assert_eq!(plan["currency"], "eur");
    // Asking again finds the plan (no second plan, no error from the look-up).
    let (status, _) = app
        .call(&owner.client, "billing/checkout", &[("slug", "card-lab")])
        .await;
    assert_eq!(status, 422);

    // Last month's usage: 12 people on the Lab plan (10 included, then €4.00 each). The
    // subscription below starts then (backdated), so that month is charged.
    let hub = {
        let mut tx = app.db.begin().await.unwrap();
        let hub = stoa_db::hubs::create(tx.conn(), community, "card-lab", app.clock.now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        hub
    };
    let last_month = {
        let first = app
            .clock
            .now()
            .as_datetime()
            .date_naive()
            .with_day(1)
            .unwrap();
        (first - TimeDelta::days(1))
            .with_day(1)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
            .and_utc()
    };
    let mut tx = app.db.begin().await.unwrap();
    for n in 0..12 {
        let user = format!("person-{n}");
        let e = UsageEvent {
            hub,
            hub_username: &user,
            event: "server_start",
            server_name: "",
            at: Timestamp::from(last_month + TimeDelta::days(n % 5)),
            source: "hook",
        };
        stoa_db::usage::record(tx.conn(), &e, app.clock.now())
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    // Checkout's part: the customer, the card, and the subscription with Stoa's metadata.
    let customer = stripe
        .post(
            "/v1/customers",
            &[("email", "billing@example.test"), ("name", "Card Lab")],
        )
        .await;
    let customer = customer["id"].as_str().unwrap().to_owned();
    let card = stripe
        .post(
            "/v1/payment_methods",
            &[
                ("type", "card"),
                ("card[number]", "4242424242424242"),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2030"),
                ("card[cvc]", "123"),
            ],
        )
        .await;
    let card = card["id"].as_str().unwrap().to_owned();
    stripe
        .post(
            &format!("/v1/payment_methods/{card}/attach"),
            &[("customer", &customer)],
        )
        .await;
    stripe
        .post(
            &format!("/v1/customers/{customer}"),
            &[("invoice_settings[default_payment_method]", &card)],
        )
        .await;
    let sub = stripe
        .post(
            "/v1/subscriptions",
            &[
                ("customer", &customer),
                ("items[0][plan]", "stoa-lab-eur-60000"),
                ("metadata[community]", &c),
                ("backdate_start_date", &last_month.timestamp().to_string()),
            ],
        )
        .await;
    assert_eq!(sub["status"], "active", "{sub}");

    received(
        &app,
        &[
            ("customer.subscription.created", 1),
            ("invoice.payment_succeeded", 1),
        ],
    )
    .await;
    apply_all(&app).await;
    let standing = {
        let mut conn = app.db.read().await.unwrap();
        stoa_db::billing::subscription(conn.conn(), community)
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(standing.status, "active");
    let year_on = last_month + TimeDelta::days(365);
    let paid_until = standing.paid_until.expect("paid until").as_datetime();
    assert!(
        (paid_until - year_on).num_hours().abs() < 48,
        "a year paid from its start: {paid_until}"
    );
    let page = billing_page(&app, &owner.client, "card-lab").await;
    assert!(
        page.contains("data-status=\"active\""),
        "active on the page"
    );
    assert!(page.contains("Through Stripe"), "the method is shown");
    assert!(
        page.contains("€600.00") && page.contains(">Paid"),
        "the paid invoice is listed"
    );
    assert!(
        !page.contains("data-testid=\"pay-by-card\""),
        "no second subscription offered"
    );

    // The passes above queued the charge of the closed month and added it to Stripe; more
    // passes add nothing.
    app.run_worker().await;
    app.run_worker().await;
    let charges = {
        let mut conn = app.db.read().await.unwrap();
        stoa_db::stripe::charges(conn.conn(), community)
            .await
            .unwrap()
    };
    assert_eq!(charges.len(), 1, "{charges:?}");
    assert_eq!((charges[0].active_users, charges[0].amount), (12, 800));
    let item_id = charges[0].stripe_item_id.clone().expect("an invoice item");
    let items = stripe
        .get(&format!("/v1/invoiceitems?customer={customer}"))
        .await;
    let items = items["data"].as_array().unwrap();
    assert_eq!(items.len(), 1, "added once: {items:?}");
    assert_eq!(items[0]["id"], item_id.as_str());
    assert_eq!(items[0]["amount"], 800);
    assert!(
        items[0]["description"]
            .as_str()
            .unwrap()
            .contains("12 monthly active users"),
        "{}",
        items[0]
    );
    assert_eq!(items[0]["metadata"]["community"], c.as_str());

    // A plan change reaches the subscription at Stripe (a job; Stripe prorates).
    let (status, body) = app
        .call(
            &owner.client,
            "billing/change_plan",
            &[
                ("slug", "card-lab"),
                ("plan", "department"),
                ("intent", "confirm"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.run_worker().await;
    let at_stripe = stripe
        .get(&format!(
            "/v1/subscriptions/{}",
            sub["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        at_stripe["items"]["data"][0]["plan"]["id"], "stoa-department-eur-240000",
        "{at_stripe}"
    );
    assert_eq!(
        stripe.get("/v1/plans/stoa-department-eur-240000").await["amount"],
        240_000
    );

    // The next invoice carries it (made and paid now, standing in for the renewal), and comes
    // back through the webhooks into Stoa's list.
    let invoice = stripe
        .post("/v1/invoices", &[("customer", &customer)])
        .await;
    let invoice = invoice["id"].as_str().unwrap().to_owned();
    let paid = stripe
        .post(&format!("/v1/invoices/{invoice}/pay"), &[])
        .await;
    assert_eq!(paid["status"], "paid", "{paid}");
    let total = paid["amount_due"].as_i64().unwrap();
    let lines = stripe.get(&format!("/v1/invoices/{invoice}/lines")).await;
    let usage_line = lines["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["invoice_item"] == item_id.as_str())
        .unwrap_or_else(|| panic!("the usage item is on the invoice: {lines}"));
    assert_eq!(usage_line["amount"], 800);
    received(&app, &[("invoice.payment_succeeded", 2)]).await;
    apply_all(&app).await;
    let invoices = {
        let mut conn = app.db.read().await.unwrap();
        stoa_db::stripe::invoices(conn.conn(), community)
            .await
            .unwrap()
    };
    assert_eq!(invoices.len(), 2, "{invoices:?}");
    assert!(invoices.iter().all(|i| i.status == "paid"), "{invoices:?}");
    assert!(
        invoices
            .iter()
            .any(|i| i.stripe_invoice_id == invoice && i.amount_due == total)
    );
    drop(stripe);
}

mod subscription_usage_and_webhooks_work_end_to_end_with_localstripe {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::end_to_end(stoa_db::Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::end_to_end(stoa_db::Backend::Postgres).await;
    }
}
