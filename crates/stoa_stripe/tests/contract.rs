//! The exact requests Stoa sends for what the localstripe peer lacks (Checkout, Customer
//! Portal, invoice terms with `collection_method=send_invoice`, `days_until_due` and custom
//! fields), checked against the parameters Stripe documents for them, and the reading of
//! Stripe's documented example answers. A local HTTP server stands in for the API and
//! records each request as it arrived on the wire.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use secrecy::SecretString;
use stoa_billing::{BillingConfig, Money};
use stoa_stripe::{CheckoutRequest, Client, Customer, InvoiceTerms, StripeError, UsageItem};

#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    headers: HeaderMap,
    form: BTreeMap<String, String>,
}

/// Starts the stand-in; answers each path with `answers[path]` (status, JSON).
async fn stand_in(
    answers: Vec<(&'static str, u16, &'static str)>,
) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let log = Arc::clone(&log);
        let answers = answers.clone();
        async move {
            let form = url::form_urlencoded::parse(&body).into_owned().collect();
            let path = uri.path().to_owned();
            log.lock().unwrap().push(Seen { method, path: path.clone(), headers, form });
            let (status, json) = answers
                .iter()
                .find(|(p, _, _)| *p == path)
                .map(|(_, s, j)| (*s, *j))
                .unwrap_or((404, r#"{"error":{"type":"invalid_request_error","message":"Unrecognized request URL"}}"#));
            (StatusCode::from_u16(status).unwrap(), [("content-type", "application/json")], json)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

fn client(base: &str) -> Client {
    Client::new(base, SecretString::from("sk_test_contract")).unwrap()
}

fn pairs(list: &[(&str, &str)]) -> BTreeMap<String, String> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Stripe's documented Checkout Session example, cut.
const CHECKOUT_SESSION: &str = r#"{"id": "cs_test_a11YYufWQzNY63zpQ6QSNRQhkUpVph4WRmzW0zWJO2znZKdVujZ0N0S22u",
  "object": "checkout.session", "mode": "subscription", "status": "open",
  "url": "https://checkout.stripe.com/c/pay/cs_test_a11YYufWQzNY63zpQ6QSNRQhkUpVph4WRmzW0zWJO2znZKdVujZ0N0S22u"}"#;

#[tokio::test]
async fn checkout_sends_the_documented_subscription_parameters() {
    let (base, seen) = stand_in(vec![("/v1/checkout/sessions", 200, CHECKOUT_SESSION)]).await;
    let page = client(&base)
        .checkout(&CheckoutRequest {
            community: 42,
            plan: "stoa-lab-eur-60000",
            customer: None,
            email: Some("lead@example.test"),
            success_url: "https://stoa.example/communities/lab/billing?paid={CHECKOUT_SESSION_ID}",
            cancel_url: "https://stoa.example/communities/lab/billing",
        })
        .await
        .unwrap();
    assert!(
        page.url
            .starts_with("https://checkout.stripe.com/c/pay/cs_test_")
    );
    let seen = seen.lock().unwrap();
    let [req] = seen.as_slice() else {
        panic!("one request, not {}", seen.len())
    };
    assert_eq!(req.method, Method::POST);
    assert_eq!(req.headers["authorization"], "Bearer sk_test_contract");
    assert_eq!(req.headers["stripe-version"], stoa_stripe::api_version());
    assert_eq!(
        req.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    // https://docs.stripe.com/api/checkout/sessions/create
    assert_eq!(
        req.form,
        pairs(&[
            ("mode", "subscription"),
            ("line_items[0][price]", "stoa-lab-eur-60000"),
            ("line_items[0][quantity]", "1"),
            ("client_reference_id", "42"),
            ("customer_email", "lead@example.test"),
            ("metadata[community]", "42"),
            ("subscription_data[metadata][community]", "42"),
            (
                "subscription_data[pending_invoice_item_interval][interval]",
                "month"
            ),
            ("billing_address_collection", "required"),
            ("tax_id_collection[enabled]", "true"),
            (
                "success_url",
                "https://stoa.example/communities/lab/billing?paid={CHECKOUT_SESSION_ID}"
            ),
            ("cancel_url", "https://stoa.example/communities/lab/billing"),
        ])
    );
}

#[tokio::test]
async fn checkout_reuses_the_accounts_customer() {
    let (base, seen) = stand_in(vec![("/v1/checkout/sessions", 200, CHECKOUT_SESSION)]).await;
    client(&base)
        .checkout(&CheckoutRequest {
            community: 7,
            plan: "stoa-department-eur-240000",
            customer: Some("cus_NffrFeUfNV2Hib"),
            email: Some("ignored@example.test"),
            success_url: "https://s/ok",
            cancel_url: "https://s/no",
        })
        .await
        .unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen[0].form.get("customer").map(String::as_str),
        Some("cus_NffrFeUfNV2Hib")
    );
    assert!(
        !seen[0].form.contains_key("customer_email"),
        "customer and customer_email exclude each other"
    );
}

#[tokio::test]
async fn the_customer_portal_gets_the_customer_and_the_way_back() {
    let (base, seen) = stand_in(vec![(
        "/v1/billing_portal/sessions",
        200,
        r#"{"id": "bps_1MrSjzLkdIwHu7ixex0IvU9b", "object": "billing_portal.session",
            "customer": "cus_NciAYcXfLnqBoz", "livemode": false,
            "return_url": "https://example.com/account",
            "url": "https://billing.stripe.com/p/session/test_YWNjdF8xTTJKVGtMa2RJd0h1N2l4LF9OY2lBYjJXcHY4a2NPck96UjBEbFVYRnU5bjlwVUF50100BUtQs3bl"}"#,
    )])
    .await;
    let page = client(&base)
        .portal(
            "cus_NciAYcXfLnqBoz",
            "https://stoa.example/communities/lab/billing",
        )
        .await
        .unwrap();
    assert!(
        page.url
            .starts_with("https://billing.stripe.com/p/session/")
    );
    let seen = seen.lock().unwrap();
    // https://docs.stripe.com/api/customer_portal/sessions/create
    assert_eq!(seen[0].path, "/v1/billing_portal/sessions");
    assert_eq!(
        seen[0].form,
        pairs(&[
            ("customer", "cus_NciAYcXfLnqBoz"),
            ("return_url", "https://stoa.example/communities/lab/billing"),
        ])
    );
}

#[tokio::test]
async fn invoice_terms_send_the_documented_subscription_and_customer_parameters() {
    let (base, seen) = stand_in(vec![
        ("/v1/customers", 200, r#"{"id": "cus_NffrFeUfNV2Hib", "object": "customer"}"#),
        (
            "/v1/subscriptions",
            200,
            r#"{"id": "sub_1MowQVLkdIwHu7ixeRlqHVzs", "object": "subscription", "customer": "cus_NffrFeUfNV2Hib",
                "status": "active", "collection_method": "send_invoice", "days_until_due": 30,
                "metadata": {"community": "42"},
                "items": {"object": "list", "data": [{"id": "si_1", "current_period_end": 1830000000,
                    "price": {"id": "stoa-lab-eur-60000"}}]}}"#,
        ),
    ])
    .await;
    let stripe = client(&base);
    let customer = stripe
        .create_customer(
            &Customer {
                name: "Université de Lyon".into(),
                email: "factures@example.test".into(),
                line1: "92 rue Pasteur".into(),
                line2: String::new(),
                postal_code: "69007".into(),
                city: "Lyon".into(),
                country: "FR".into(),
                tax_id: Some(("eu_vat".into(), "FR12345678901".into())),
            },
            [("institution".to_owned(), "3".to_owned())].into(),
            "customer-institution-3",
        )
        .await
        .unwrap();
    let sub = stripe
        .invoice_subscription(
            &InvoiceTerms {
                community: 42,
                community_name: "Lyon Climate Lab",
                customer: &customer,
                plan: "stoa-lab-eur-60000",
                days_until_due: 30,
                po_number: "PO-2027-0042",
                grant_number: "ANR-22-CE01-0001",
            },
            "invoice-terms-42-1",
        )
        .await
        .unwrap();
    assert_eq!(sub.period_end(), Some(1_830_000_000));
    let seen = seen.lock().unwrap();
    let [make_customer, make_subscription] = seen.as_slice() else {
        panic!("two requests")
    };
    // https://docs.stripe.com/api/customers/create
    assert_eq!(
        make_customer.headers["idempotency-key"],
        "customer-institution-3"
    );
    assert_eq!(
        make_customer.form,
        pairs(&[
            ("name", "Université de Lyon"),
            ("email", "factures@example.test"),
            ("address[line1]", "92 rue Pasteur"),
            ("address[postal_code]", "69007"),
            ("address[city]", "Lyon"),
            ("address[country]", "FR"),
            ("tax_id_data[0][type]", "eu_vat"),
            ("tax_id_data[0][value]", "FR12345678901"),
            ("metadata[institution]", "3"),
        ])
    );
    // https://docs.stripe.com/api/subscriptions/create and
    // https://docs.stripe.com/invoicing/customize#custom-fields
    assert_eq!(
        make_subscription.headers["idempotency-key"],
        "invoice-terms-42-1"
    );
    assert_eq!(
        make_subscription.form,
        pairs(&[
            ("customer", "cus_NffrFeUfNV2Hib"),
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
                "Stoa membership of Lyon Climate Lab"
            ),
            ("description", "Stoa membership of Lyon Climate Lab"),
            ("metadata[community]", "42"),
        ])
    );
}

#[tokio::test]
async fn a_usage_item_carries_its_idempotency_key_and_lands_on_the_subscription() {
    let (base, seen) = stand_in(vec![(
        "/v1/invoiceitems",
        200,
        r#"{"id": "ii_1MtGUtLkdIwHu7ixBYwjAM00", "object": "invoiceitem"}"#,
    )])
    .await;
    let eur = BillingConfig::default().currency;
    let id = client(&base)
        .usage_item(
            &UsageItem {
                community: 42,
                customer: "cus_1",
                subscription: "sub_1",
                amount: Money(4_200),
                currency: &eur,
                description: "Usage, March 2027: 12 monthly active users",
                month: "2027-03",
            },
            "usage-42-2027-03",
        )
        .await
        .unwrap();
    assert_eq!(id, "ii_1MtGUtLkdIwHu7ixBYwjAM00");
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].headers["idempotency-key"], "usage-42-2027-03");
    // https://docs.stripe.com/api/invoiceitems/create
    assert_eq!(
        seen[0].form,
        pairs(&[
            ("customer", "cus_1"),
            ("subscription", "sub_1"),
            ("amount", "4200"),
            ("currency", "eur"),
            ("description", "Usage, March 2027: 12 monthly active users"),
            ("metadata[community]", "42"),
            ("metadata[month]", "2027-03"),
        ])
    );
}

#[tokio::test]
async fn a_plan_is_made_once_with_its_product_inline() {
    let plans = BillingConfig::default();
    let lab = plans.plans.first().unwrap();
    let (base, seen) = stand_in(vec![(
        "/v1/plans",
        200,
        r#"{"id": "stoa-lab-eur-60000", "object": "plan"}"#,
    )])
    .await;
    let id = client(&base)
        .ensure_plan(lab, &plans.currency)
        .await
        .unwrap();
    assert_eq!(id, stoa_stripe::plan_id(lab, &plans.currency));
    let seen = seen.lock().unwrap();
    let [look, make] = seen.as_slice() else {
        panic!("a look, then a create")
    };
    assert_eq!(
        (look.method.clone(), look.path.as_str()),
        (Method::GET, format!("/v1/plans/{id}").as_str())
    );
    assert_eq!(
        make.headers["idempotency-key"],
        format!("plan-{id}").as_str()
    );
    // https://docs.stripe.com/api/plans/create
    assert_eq!(make.form.get("id"), Some(&id));
    assert_eq!(make.form.get("interval").map(String::as_str), Some("year"));
    assert_eq!(make.form.get("currency").map(String::as_str), Some("eur"));
    assert_eq!(make.form.get("amount"), Some(&lab.annual_fee.0.to_string()));
    assert_eq!(
        make.form.get("product[name]"),
        Some(&format!("Stoa {} membership", lab.name))
    );
}

#[tokio::test]
async fn refusals_keep_their_status_and_stripes_words() {
    let (base, _) = stand_in(vec![(
        "/v1/billing_portal/sessions",
        400,
        r#"{"error": {"type": "invalid_request_error", "code": "resource_missing", "param": "customer",
            "message": "No such customer: 'cus_gone'"}}"#,
    )])
    .await;
    let err = client(&base)
        .portal("cus_gone", "https://s/")
        .await
        .unwrap_err();
    match &err {
        StripeError::Api {
            status,
            kind,
            code,
            param,
            message,
        } => {
            assert_eq!(*status, 400);
            assert_eq!(kind, "invalid_request_error");
            assert_eq!(code.as_deref(), Some("resource_missing"));
            assert_eq!(param.as_deref(), Some("customer"));
            assert_eq!(message, "No such customer: 'cus_gone'");
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_transient());
    // Nothing listens here: transient, worth a retry with the same key.
    let gone = client("http://127.0.0.1:9")
        .portal("cus_1", "https://s/")
        .await
        .unwrap_err();
    assert!(gone.is_transient(), "{gone:?}");
}
