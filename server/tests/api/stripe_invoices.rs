//! Paying by invoice through Stripe, on both engines: the request is checked and queued,
//! and its job makes the institution's customer once and a `send_invoice` subscription per
//! community, with the exact parameters Stripe documents. localstripe refuses
//! `collection_method` and `days_until_due` (it emulates 2017), so a local stand-in records
//! what Stoa sends and answers with Stripe's documented examples.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use stoa_db::communities::CommunityId;

use crate::communities::{create_community, person};
use crate::helpers::{TestApp, remember_secret, require_peers};

#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    idempotency_key: String,
    form: BTreeMap<String, String>,
}

/// A stand-in for the Stripe API: plans are unknown until made; customers and subscriptions
/// get fixed ids.
async fn stand_in() -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
    let log = Arc::clone(&seen);
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let log = Arc::clone(&log);
        async move {
            let path = uri.path().to_owned();
            let idempotency_key = headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let form: BTreeMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
            log.lock().unwrap().push(Seen { method: method.clone(), path: path.clone(), idempotency_key, form: form.clone() });
            let (status, json) = match (method.as_str(), path.as_str()) {
                ("GET", p) if p.starts_with("/v1/plans/") => (
                    404,
                    r#"{"error": {"type": "invalid_request_error", "code": "resource_missing", "message": "No such plan"}}"#.to_owned(),
                ),
                ("POST", "/v1/plans") => (200, format!(r#"{{"id": "{}", "object": "plan"}}"#, form["id"])),
                ("POST", "/v1/customers") => (200, r#"{"id": "cus_Institution01", "object": "customer"}"#.to_owned()),
                ("POST", "/v1/subscriptions") => (
                    200,
                    format!(
                        r#"{{"id": "sub_test_{}", "object": "subscription", "customer": "{}",
                            "created": 1795740000, "start_date": 1795740000,
                            "status": "active", "collection_method": "send_invoice", "days_until_due": 30,
                            "metadata": {{"community": "{}"}}, "items": {{"object": "list", "data": [
                                    {{"id": "si_1", "current_period_end": 1827276000, "price": {{"id": "stoa-lab-eur-60000"}}}}]}}}}"#,
                            form["metadata[community]"], form["customer"], form["metadata[community]"]
                    ),
                ),
                _ => (404, r#"{"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}}"#.to_owned()),
            };
            (StatusCode::from_u16(status).unwrap(), [("content-type", "application/json")], json)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

async fn community_id(app: &TestApp, slug: &str) -> CommunityId {
    let mut conn = app.db.read().await.unwrap();
    stoa_db::communities::by_slug(conn.conn(), slug)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn pending_jobs(app: &TestApp) -> i64 {
    let mut conn = app.db.read().await.unwrap();
    stoa_db::jobs::pending_count(conn.conn()).await.unwrap()
}

fn pairs(list: &[(&str, &str)]) -> BTreeMap<String, String> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

async fn invoice_terms(backend: stoa_db::Backend) {
    require_peers();
    let (base, seen) = stand_in().await;
    remember_secret("sk_test_invoice_terms");
    remember_secret("whsec_invoice_terms");
    let app = TestApp::spawn_with(backend, |s| {
        s.stripe_secret_key = Some("sk_test_invoice_terms".into());
        s.stripe_webhook_secrets = Some("whsec_invoice_terms".into());
        s.stripe_api_url = base.clone();
    })
    .await;
    let owner = person(&app, "uni-owner").await;
    create_community(&app, &owner, "uni-lab", "invite").await;
    let c = community_id(&app, "uni-lab").await;
    let ask = |po: &'static str, grant: &'static str, slug: &'static str| {
        let (app, owner) = (&app, &owner);
        async move {
            app.call(
                &owner.client,
                "billing/invoice_terms",
                &[("slug", slug), ("po_number", po), ("grant_number", grant)],
            )
            .await
        }
    };

    let (status, body) = ask("PO-1", "", "uni-lab").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("institution")),
        "{body}"
    );
    let institution = {
        let mut tx = app.db.begin().await.unwrap();
        let fields = stoa_db::institutions::InstitutionFields {
            legal_name: "Université Claude Bernard Lyon 1",
            address: "43 boulevard du 11 novembre 1918\n69100 Villeurbanne",
            country: "FR",
            tax_id: "FR61196917744",
            billing_contacts: "factures@example.test\ncompta@example.test",
        };
        let account = stoa_db::accounts::AccountId(owner.id);
        let id = stoa_db::institutions::create(tx.conn(), &fields, account, app.clock.now())
            .await
            .unwrap();
        stoa_db::communities::set_institution(tx.conn(), c, Some(id), app.clock.now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    };
    let (status, body) = ask(
        "PO-2027-0042-ABCDEFGHIJKLMNOPQRSTUVWXYZ-TOO-LONG",
        "",
        "uni-lab",
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("po_number")),
        "{body}"
    );
    assert_eq!(pending_jobs(&app).await, 0, "a refusal queues nothing");

    let (status, body) = ask("PO-2027-0042", "ANR-22-CE01-0001", "uni-lab").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.as_str()
            .unwrap()
            .contains("Université Claude Bernard Lyon 1 will receive each one"),
        "{body}"
    );
    // Asked again while it waits: told so, and nothing more is queued.
    let (status, body) = ask("PO-2027-0042", "ANR-22-CE01-0001", "uni-lab").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("payment")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("being set up already"),
        "{body}"
    );
    assert_eq!(pending_jobs(&app).await, 1, "asked twice, set up once");

    app.run_worker().await;
    let requests = seen.lock().unwrap().clone();
    let paths: Vec<(String, String)> = requests
        .iter()
        .map(|r| (r.method.to_string(), r.path.clone()))
        .collect();
    assert_eq!(
        paths,
        [
            ("POST".into(), "/v1/customers".into()),
            ("GET".into(), "/v1/plans/stoa-lab-eur-60000".into()),
            ("POST".into(), "/v1/plans".into()),
            ("POST".into(), "/v1/subscriptions".into()),
        ]
    );
    let (customer, subscription) = (&requests[0], &requests[3]);
    assert_eq!(
        customer.idempotency_key,
        format!("customer-institution-{institution}")
    );
    assert_eq!(
        customer.form,
        pairs(&[
            ("name", "Université Claude Bernard Lyon 1"),
            ("email", "factures@example.test"),
            ("address[line1]", "43 boulevard du 11 novembre 1918"),
            ("address[line2]", "69100 Villeurbanne"),
            ("address[country]", "FR"),
            ("tax_id_data[0][type]", "eu_vat"),
            ("tax_id_data[0][value]", "FR61196917744"),
            ("metadata[institution]", &institution.to_string()),
        ])
    );
    assert!(
        subscription
            .idempotency_key
            .starts_with(&format!("invoice-terms-{}-", c.0))
    );
    let community = c.0.to_string();
    assert_eq!(
        subscription.form,
        pairs(&[
            ("customer", "cus_Institution01"),
            ("items[0][plan]", "stoa-lab-eur-60000"),
            ("collection_method", "send_invoice"),
            ("days_until_due", "30"),
            ("pending_invoice_item_interval[interval]", "month"),
            ("invoice_settings[custom_fields][0][name]", "PO number"),
            ("invoice_settings[custom_fields][0][value]", "PO-2027-0042"),
            ("invoice_settings[custom_fields][1][name]", "Grant"),
            (
                "invoice_settings[custom_fields][1][value]",
                "ANR-22-CE01-0001"
            ),
            (
                "invoice_settings[description]",
                "Stoa membership of Test community"
            ),
            ("description", "Stoa membership of Test community"),
            ("metadata[community]", &community),
        ])
    );
    app.run_worker().await;
    assert_eq!(seen.lock().unwrap().len(), 4, "done once");
    // Stoa records the subscription from Stripe's answer: asking again is refused at once,
    // before its webhook arrives.
    let (status, body) = ask("PO-2027-0042", "", "uni-lab").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("payment")),
        "{body}"
    );
    {
        let mut conn = app.db.read().await.unwrap();
        let s = stoa_db::billing::subscription(conn.conn(), c)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.status, "active");
    }

    // A second community the institution pays for is billed on the same customer.
    create_community(&app, &owner, "uni-course", "invite").await;
    let second = community_id(&app, "uni-course").await;
    {
        let mut tx = app.db.begin().await.unwrap();
        stoa_db::communities::set_institution(
            tx.conn(),
            second,
            Some(institution),
            app.clock.now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let (status, body) = ask("", "", "uni-course").await;
    assert_eq!(status, 200, "{body}");
    app.run_worker().await;
    let requests = seen.lock().unwrap().clone();
    let more: Vec<&str> = requests[4..].iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        more,
        [
            "/v1/plans/stoa-lab-eur-60000",
            "/v1/plans",
            "/v1/subscriptions"
        ],
        "no second customer"
    );
    let last = requests.last().unwrap();
    assert_eq!(
        last.form.get("customer").map(String::as_str),
        Some("cus_Institution01")
    );
    assert!(
        !last
            .form
            .keys()
            .any(|k| k.starts_with("invoice_settings[custom_fields]")),
        "no empty custom fields"
    );
}

mod invoice_terms_make_one_customer_per_institution_and_a_send_invoice_subscription {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::invoice_terms(stoa_db::Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::invoice_terms(stoa_db::Backend::Postgres).await;
    }
}
