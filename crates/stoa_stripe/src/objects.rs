//! Stoa's view of the Stripe objects it reads: only the fields it uses, each read so that
//! the shapes of older and newer API versions both parse (a webhook endpoint's version may
//! differ from the requests', and the localstripe test peer speaks a 2017 version).

use std::collections::HashMap;

use serde::{Deserialize, Deserializer};

/// A field that is an id, or the object itself when expanded.
fn id_of<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Ref {
        Id(String),
        Object { id: String },
    }
    Ok(Option::<Ref>::deserialize(d)?.map(|r| match r {
        Ref::Id(id) | Ref::Object { id } => id,
    }))
}

/// Metadata: absent, null or a map of strings.
fn metadata<'de, D: Deserializer<'de>>(d: D) -> Result<HashMap<String, String>, D::Error> {
    Ok(Option::<HashMap<String, String>>::deserialize(d)?.unwrap_or_default())
}

/// A list object (`{"object": "list", "data": [...]}`).
#[derive(Debug, Clone, Deserialize)]
pub struct List<T> {
    /// The items of this page.
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
    /// Whether more pages follow.
    #[serde(default)]
    pub has_more: bool,
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List {
            data: Vec::new(),
            has_more: false,
        }
    }
}

/// An object known only by its id (customer, plan, product, invoice item, tax id).
#[derive(Debug, Clone, Deserialize)]
pub struct Created {
    /// Its id.
    pub id: String,
}

/// A page Stripe hosts (a Checkout Session or a Customer Portal session).
#[derive(Debug, Clone, Deserialize)]
pub struct HostedPage {
    /// Its id.
    pub id: String,
    /// Where to send the person.
    pub url: String,
}

/// A completed (or expired) Checkout Session, as its webhook brings it.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckoutSession {
    /// Its id.
    pub id: String,
    /// What Stoa passed as `client_reference_id`: the community's id.
    pub client_reference_id: Option<String>,
    /// The customer it created or used.
    #[serde(default, deserialize_with = "id_of")]
    pub customer: Option<String>,
    /// The subscription it created (`mode=subscription`).
    #[serde(default, deserialize_with = "id_of")]
    pub subscription: Option<String>,
    /// `payment`, `setup` or `subscription`.
    #[serde(default)]
    pub mode: String,
    /// Metadata Stoa set.
    #[serde(default, deserialize_with = "metadata")]
    pub metadata: HashMap<String, String>,
}

/// A subscription.
#[derive(Debug, Clone, Deserialize)]
pub struct Subscription {
    /// Its id.
    pub id: String,
    /// The paying customer.
    #[serde(default, deserialize_with = "id_of")]
    pub customer: Option<String>,
    /// `trialing`, `active`, `past_due`, `unpaid`, `canceled`, `incomplete`,
    /// `incomplete_expired`, `paused`.
    pub status: String,
    /// Metadata Stoa set (`community`).
    #[serde(default, deserialize_with = "metadata")]
    pub metadata: HashMap<String, String>,
    /// Before API 2025-03-31: the current period's end, on the subscription.
    #[serde(default)]
    current_period_end: Option<i64>,
    /// Since then: on each item.
    #[serde(default)]
    items: List<SubscriptionItem>,
    /// `charge_automatically` or `send_invoice` (absent in old versions: charged).
    #[serde(default)]
    pub collection_method: Option<String>,
    /// The trial's end, when trialing.
    #[serde(default)]
    pub trial_end: Option<i64>,
    /// When it started (Unix seconds; backdated subscriptions start in the past).
    #[serde(default)]
    pub start_date: Option<i64>,
    /// When Stripe made it (Unix seconds, Stripe's clock).
    #[serde(default)]
    pub created: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
struct SubscriptionItem {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    current_period_end: Option<i64>,
    #[serde(default, deserialize_with = "id_of")]
    plan: Option<String>,
    #[serde(default, deserialize_with = "id_of")]
    price: Option<String>,
}

impl Subscription {
    /// The end of the period paid for (Unix seconds).
    pub fn period_end(&self) -> Option<i64> {
        self.current_period_end.or_else(|| {
            self.items
                .data
                .iter()
                .filter_map(|i| i.current_period_end)
                .max()
        })
    }

    /// Its first item (the membership).
    pub fn item(&self) -> Option<&str> {
        self.items.data.first()?.id.as_deref()
    }

    /// The plan (or price) of its first item.
    pub fn plan(&self) -> Option<&str> {
        let item = self.items.data.first()?;
        item.plan.as_deref().or(item.price.as_deref())
    }
}

/// An invoice.
#[derive(Debug, Clone, Deserialize)]
pub struct Invoice {
    /// Its id.
    pub id: String,
    /// The customer billed.
    #[serde(default, deserialize_with = "id_of")]
    pub customer: Option<String>,
    /// Before API 2025-03-31: the subscription it bills.
    #[serde(default, deserialize_with = "id_of")]
    subscription: Option<String>,
    /// Since then: under `parent.subscription_details`.
    #[serde(default)]
    parent: Option<InvoiceParent>,
    /// The number printed on it (set when finalized).
    #[serde(default)]
    pub number: Option<String>,
    /// `draft`, `open`, `paid`, `uncollectible`, `void`.
    #[serde(default)]
    pub status: Option<String>,
    /// What is due, in the currency's minor unit.
    #[serde(default)]
    pub amount_due: i64,
    /// Lower-case ISO code.
    #[serde(default)]
    pub currency: String,
    /// When it is due (`send_invoice`), Unix seconds.
    #[serde(default)]
    pub due_date: Option<i64>,
    /// When it was created, Unix seconds.
    #[serde(default)]
    pub created: i64,
    /// Its PDF.
    #[serde(default)]
    pub invoice_pdf: Option<String>,
    /// Its page on Stripe, where it can be paid.
    #[serde(default)]
    pub hosted_invoice_url: Option<String>,
    /// Metadata.
    #[serde(default, deserialize_with = "metadata")]
    pub metadata: HashMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
struct InvoiceParent {
    #[serde(default)]
    subscription_details: Option<SubscriptionDetails>,
}

#[derive(Debug, Clone, Deserialize)]
struct SubscriptionDetails {
    #[serde(default, deserialize_with = "id_of")]
    subscription: Option<String>,
    #[serde(default, deserialize_with = "metadata")]
    metadata: HashMap<String, String>,
}

impl Invoice {
    /// The subscription it bills, in either API shape.
    pub fn subscription(&self) -> Option<&str> {
        self.subscription.as_deref().or_else(|| {
            self.parent
                .as_ref()?
                .subscription_details
                .as_ref()?
                .subscription
                .as_deref()
        })
    }

    /// A metadata value of the invoice, or of the subscription it bills (newer versions copy
    /// the subscription's metadata under `parent.subscription_details`).
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).map(String::as_str).or_else(|| {
            self.parent
                .as_ref()?
                .subscription_details
                .as_ref()?
                .metadata
                .get(key)
                .map(String::as_str)
        })
    }
}

/// A webhook event: its envelope, with the object left to read by type.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    /// `evt_…`: each is processed once.
    pub id: String,
    /// `customer.subscription.updated`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// When Stripe made it (Unix seconds): among events about one object, the later wins.
    pub created: i64,
    /// `data.object`.
    pub data: EventData,
}

/// An event's data.
#[derive(Debug, Clone, Deserialize)]
pub struct EventData {
    /// The object as it was when the event happened.
    pub object: serde_json::Value,
}

impl Event {
    /// Reads the event's object as `T`.
    pub fn object<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.data.object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stripe's documented subscription example (API 2026), cut to what matters.
    const SUBSCRIPTION_2026: &str = r#"{
      "id": "sub_1MowQVLkdIwHu7ixeRlqHVzs", "object": "subscription",
      "customer": "cus_Na6dX7aXxi11N4", "status": "active", "collection_method": "send_invoice",
      "metadata": {"community": "7"}, "billing_cycle_anchor": 1679609767,
      "items": {"object": "list", "data": [{"id": "si_Na6dzxczY5fwHx", "object": "subscription_item",
        "current_period_end": 1711232167, "current_period_start": 1679609767,
        "plan": {"id": "stoa-lab-eur-60000", "object": "plan"},
        "price": {"id": "stoa-lab-eur-60000", "object": "price"}}], "has_more": false}
    }"#;

    /// localstripe's shape (API 2017-08-15).
    const SUBSCRIPTION_2017: &str = r#"{
      "id": "sub_4kqtq0cb", "object": "subscription", "customer": "cus_ezvmrlw5",
      "status": "active", "current_period_end": 1827269429, "billing_cycle_anchor": null,
      "metadata": {"community": "7"}, "plan": {"id": "stoa-lab-eur-60000"},
      "items": {"object": "list", "data": [{"id": "si_1", "plan": {"id": "stoa-lab-eur-60000"}}]}
    }"#;

    #[test]
    fn subscriptions_of_both_shapes_read_the_same() {
        for raw in [SUBSCRIPTION_2026, SUBSCRIPTION_2017] {
            let s: Subscription = serde_json::from_str(raw).unwrap();
            assert_eq!(s.status, "active");
            assert_eq!(s.metadata.get("community").map(String::as_str), Some("7"));
            assert_eq!(s.plan(), Some("stoa-lab-eur-60000"));
            assert!(s.customer.is_some());
        }
        let new: Subscription = serde_json::from_str(SUBSCRIPTION_2026).unwrap();
        assert_eq!(new.period_end(), Some(1_711_232_167));
        let old: Subscription = serde_json::from_str(SUBSCRIPTION_2017).unwrap();
        assert_eq!(old.period_end(), Some(1_827_269_429));
    }

    #[test]
    fn invoices_find_their_subscription_in_either_shape() {
        let new: Invoice = serde_json::from_str(
            r#"{"id": "in_1", "customer": {"id": "cus_1", "object": "customer"}, "status": "open",
               "amount_due": 60000, "currency": "eur", "number": "ABC-0001", "due_date": 1700000000,
               "created": 1690000000, "invoice_pdf": "https://pay.stripe.com/invoice/x/pdf",
               "metadata": null,
               "parent": {"type": "subscription_details",
                          "subscription_details": {"subscription": "sub_1", "metadata": {"community": "3"}}}}"#,
        )
        .unwrap();
        assert_eq!(new.subscription(), Some("sub_1"));
        assert_eq!(new.customer.as_deref(), Some("cus_1"));
        assert_eq!(new.meta("community"), Some("3"));
        let old: Invoice = serde_json::from_str(
            r#"{"id": "in_2", "customer": "cus_1", "subscription": "sub_2", "status": "paid",
               "amount_due": 3500, "currency": "eur", "created": 1690000000}"#,
        )
        .unwrap();
        assert_eq!(old.subscription(), Some("sub_2"));
        assert_eq!(old.number, None);
        assert_eq!(old.meta("community"), None);
    }

    #[test]
    fn an_event_keeps_its_object_for_later() {
        let e: Event = serde_json::from_str(
            r#"{"id": "evt_1", "type": "customer.subscription.updated", "created": 5,
               "api_version": "2017-08-15", "data": {"object": {"id": "sub_1", "status": "past_due"}}}"#,
        )
        .unwrap();
        assert_eq!(e.kind, "customer.subscription.updated");
        let s: Subscription = e.object().unwrap();
        assert_eq!(s.status, "past_due");
        assert_eq!(s.period_end(), None);
    }
}
