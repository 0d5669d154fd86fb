//! The calls Stoa makes, each built with async-stripe's request types.

use std::collections::HashMap;

use stoa_billing::{Currency, Money, Plan};
use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_billing::invoice_item::CreateInvoiceItem;
use stripe_billing::plan::{
    CreatePlan, CreatePlanInlineProductParams, CreatePlanProduct, RetrievePlan,
};
use stripe_billing::subscription::{
    CreateSubscription, CreateSubscriptionInvoiceSettings, CreateSubscriptionItems,
    CreateSubscriptionPendingInvoiceItemInterval,
    CreateSubscriptionPendingInvoiceItemIntervalInterval, CustomFieldParams, RetrieveSubscription,
    UpdateSubscription, UpdateSubscriptionItems,
};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionSubscriptionData,
    CreateCheckoutSessionSubscriptionDataPendingInvoiceItemInterval,
    CreateCheckoutSessionSubscriptionDataPendingInvoiceItemIntervalInterval,
    CreateCheckoutSessionTaxIdCollection,
};
use stripe_core::customer::{
    CreateCustomer, CreateCustomerTaxIdData, OptionalFieldsCustomerAddress,
};
use stripe_shared::{
    CheckoutSessionBillingAddressCollection, CheckoutSessionMode, PlanInterval,
    SubscriptionCollectionMethod,
};

use crate::{Client, Created, HostedPage, StripeError, Subscription};

/// The metadata key every Stoa object carries: the community's id.
pub const COMMUNITY: &str = "community";

/// The Stripe plan of a Stoa plan at its current fee: `stoa-lab-eur-60000`. A new fee makes
/// a new id, so subscriptions already running keep the price they agreed to until they
/// change plan.
pub fn plan_id(plan: &Plan, currency: &Currency) -> String {
    format!("stoa-{}-{}-{}", plan.id, currency.code(), plan.annual_fee.0)
}

fn stripe_currency(currency: &Currency) -> stripe_types::Currency {
    // Unknown codes become `Unknown(code)`, sent as written, which Stripe then refuses by name.
    let Ok(code) = currency.code().parse();
    code
}

fn community_metadata(community: i64) -> HashMap<String, String> {
    HashMap::from([(COMMUNITY.to_owned(), community.to_string())])
}

/// Stripe's tax ID type for a VAT or business number of `country` (ISO 3166-1 alpha-2), for
/// the countries Stoa's institutions come from; `None` elsewhere (the number is then left
/// for the customer to add in the Customer Portal, where Stripe checks it).
pub fn tax_id_type(country: &str) -> Option<&'static str> {
    const EU: &[&str] = &[
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
        "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    ];
    let country = country.trim().to_ascii_uppercase();
    match country.as_str() {
        c if EU.contains(&c) => Some("eu_vat"),
        "CH" | "LI" => Some("ch_vat"),
        "GB" => Some("gb_vat"),
        "NO" => Some("no_vat"),
        "US" => Some("us_ein"),
        "CA" => Some("ca_bn"),
        "AU" => Some("au_abn"),
        _ => None,
    }
}

/// A card subscription through Stripe's hosted Checkout page.
#[derive(Debug, Clone)]
pub struct CheckoutRequest<'a> {
    /// The community paying (`client_reference_id` and metadata).
    pub community: i64,
    /// The Stripe plan (see [`plan_id`]).
    pub plan: &'a str,
    /// The account's customer, when it has one; otherwise Checkout creates one.
    pub customer: Option<&'a str>,
    /// Prefilled on a new customer.
    pub email: Option<&'a str>,
    /// Back to Stoa after paying (`{CHECKOUT_SESSION_ID}` is filled in by Stripe).
    pub success_url: &'a str,
    /// Back to Stoa when the person gives up.
    pub cancel_url: &'a str,
}

/// Who receives the invoices, and what they print.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Customer {
    /// The legal name invoices are made out to.
    pub name: String,
    /// Where invoices are mailed.
    pub email: String,
    /// Billing address.
    pub line1: String,
    /// Second line.
    pub line2: String,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// Stripe's tax id type (`eu_vat`, `ch_vat`, `gb_vat`, `us_ein`, …) and the number.
    pub tax_id: Option<(String, String)>,
}

/// A yearly subscription paid by invoice (bank transfer), for institutions.
#[derive(Debug, Clone)]
pub struct InvoiceTerms<'a> {
    /// The community paid for.
    pub community: i64,
    /// Its name, on each invoice.
    pub community_name: &'a str,
    /// The customer.
    pub customer: &'a str,
    /// The Stripe plan.
    pub plan: &'a str,
    /// Days between an invoice and its due date.
    pub days_until_due: u32,
    /// The institution's purchase order number, if any.
    pub po_number: &'a str,
    /// The grant or award paying, if any.
    pub grant_number: &'a str,
}

/// The usage fee of a month, added to the customer's next invoice.
#[derive(Debug, Clone)]
pub struct UsageItem<'a> {
    /// The community.
    pub community: i64,
    /// The customer.
    pub customer: &'a str,
    /// The subscription whose next invoice carries it.
    pub subscription: &'a str,
    /// The fee.
    pub amount: Money,
    /// Its currency.
    pub currency: &'a Currency,
    /// "Usage, March 2027: 42 monthly active users".
    pub description: &'a str,
    /// `2027-03`.
    pub month: &'a str,
}

impl Client {
    /// Makes sure the Stripe plan of `plan` exists (with its product inline), and returns
    /// its id. Safe to repeat, from several processes: the plan id is fixed and the create
    /// call carries it as its idempotency key.
    pub async fn ensure_plan(
        &self,
        plan: &Plan,
        currency: &Currency,
    ) -> Result<String, StripeError> {
        let id = plan_id(plan, currency);
        match self
            .send::<_, Created>(&RetrievePlan::new(id.as_str()), None)
            .await
        {
            Ok(found) => return Ok(found.id),
            Err(StripeError::Api { status: 404, .. }) => {}
            Err(StripeError::Decode { status: 404, .. }) => {}
            Err(e) => return Err(e),
        }
        let mut product =
            CreatePlanInlineProductParams::new(format!("Stoa {} membership", plan.name));
        product.metadata = Some(HashMap::from([("stoa_plan".to_owned(), plan.id.clone())]));
        let create = CreatePlan::new(stripe_currency(currency), PlanInterval::Year)
            .id(id.as_str())
            .amount(plan.annual_fee.0)
            .nickname(plan.name.as_str())
            .product(CreatePlanProduct::InlineProductParams(product))
            .metadata(HashMap::from([("stoa_plan".to_owned(), plan.id.clone())]));
        match self
            .send::<_, Created>(&create, Some(&format!("plan-{id}")))
            .await
        {
            Ok(created) => Ok(created.id),
            // Another process made it between our look and our create.
            Err(StripeError::Api {
                code: Some(code), ..
            }) if code == "resource_already_exists" => Ok(id),
            Err(e) => Err(e),
        }
    }

    /// A Checkout Session for a card subscription to `plan`.
    pub async fn checkout(&self, r: &CheckoutRequest<'_>) -> Result<HostedPage, StripeError> {
        let mut item = CreateCheckoutSessionLineItems::new();
        item.price = Some(r.plan.to_owned());
        item.quantity = Some(1);
        let mut data = CreateCheckoutSessionSubscriptionData::new();
        data.metadata = Some(community_metadata(r.community));
        // Usage fees are invoice items: invoiced each month, not with the yearly renewal.
        data.pending_invoice_item_interval = Some(
            CreateCheckoutSessionSubscriptionDataPendingInvoiceItemInterval::new(
                CreateCheckoutSessionSubscriptionDataPendingInvoiceItemIntervalInterval::Month,
            ),
        );
        let mut create = CreateCheckoutSession::new()
            .mode(CheckoutSessionMode::Subscription)
            .line_items(vec![item])
            .client_reference_id(r.community.to_string())
            .metadata(community_metadata(r.community))
            .subscription_data(data)
            .billing_address_collection(CheckoutSessionBillingAddressCollection::Required)
            .tax_id_collection(CreateCheckoutSessionTaxIdCollection::new(true))
            .success_url(r.success_url)
            .cancel_url(r.cancel_url);
        create = match (r.customer, r.email) {
            (Some(customer), _) => create.customer(customer),
            (None, Some(email)) => create.customer_email(email),
            (None, None) => create,
        };
        self.send(&create, None).await
    }

    /// A Customer Portal session: payment method, tax id, billing address, invoice history.
    pub async fn portal(
        &self,
        customer: &str,
        return_url: &str,
    ) -> Result<HostedPage, StripeError> {
        let create = CreateBillingPortalSession::new()
            .customer(customer)
            .return_url(return_url);
        self.send(&create, None).await
    }

    /// Creates the customer invoices go to. `key`: the same on every retry.
    pub async fn create_customer(
        &self,
        c: &Customer,
        metadata: HashMap<String, String>,
        key: &str,
    ) -> Result<String, StripeError> {
        let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let mut address = OptionalFieldsCustomerAddress::new();
        address.line1 = non_empty(&c.line1);
        address.line2 = non_empty(&c.line2);
        address.postal_code = non_empty(&c.postal_code);
        address.city = non_empty(&c.city);
        address.country = non_empty(&c.country);
        let mut create = CreateCustomer::new()
            .name(c.name.as_str())
            .email(c.email.as_str())
            .address(address)
            .metadata(metadata);
        if let Some((kind, value)) = &c.tax_id {
            let Ok(kind): Result<stripe_core::customer::CreateCustomerTaxIdDataType, _> =
                kind.parse();
            create = create.tax_id_data(vec![CreateCustomerTaxIdData::new(kind, value.as_str())]);
        }
        Ok(self.send::<_, Created>(&create, Some(key)).await?.id)
    }

    /// A yearly subscription paid by invoice: Stripe mails each invoice, due after
    /// `days_until_due`, with the PO and grant numbers printed on it. `key`: the same on
    /// every retry.
    pub async fn invoice_subscription(
        &self,
        t: &InvoiceTerms<'_>,
        key: &str,
    ) -> Result<Subscription, StripeError> {
        let mut item = CreateSubscriptionItems::new();
        item.plan = Some(t.plan.to_owned());
        let mut fields = Vec::new();
        if !t.po_number.is_empty() {
            fields.push(CustomFieldParams::new("PO number", t.po_number));
        }
        if !t.grant_number.is_empty() {
            fields.push(CustomFieldParams::new("Grant", t.grant_number));
        }
        let mut settings = CreateSubscriptionInvoiceSettings::new();
        settings.custom_fields = (!fields.is_empty()).then_some(fields);
        settings.description = Some(format!("Stoa membership of {}", t.community_name));
        let create = CreateSubscription::new()
            .customer(t.customer)
            .items(vec![item])
            .collection_method(SubscriptionCollectionMethod::SendInvoice)
            .days_until_due(t.days_until_due)
            .invoice_settings(settings)
            // Usage fees are invoice items: invoiced each month, not with the yearly renewal.
            .pending_invoice_item_interval(CreateSubscriptionPendingInvoiceItemInterval::new(
                CreateSubscriptionPendingInvoiceItemIntervalInterval::Month,
            ))
            .description(format!("Stoa membership of {}", t.community_name))
            .metadata(community_metadata(t.community));
        self.send(&create, Some(key)).await
    }

    /// Moves the subscription's membership item to `plan` (no-op when it is on it already).
    /// Stripe prorates by default: the difference for the rest of the year goes on the next
    /// invoice. `key`: the same on every retry.
    pub async fn change_plan(
        &self,
        subscription: &str,
        plan: &str,
        key: &str,
    ) -> Result<Subscription, StripeError> {
        let current: Subscription = self
            .send(&RetrieveSubscription::new(subscription), None)
            .await?;
        if current.plan() == Some(plan) {
            return Ok(current);
        }
        let item_id = current.item().ok_or_else(|| StripeError::Decode {
            status: 200,
            detail: format!("subscription {subscription} has no item"),
        })?;
        let mut item = UpdateSubscriptionItems::new();
        item.id = Some(item_id.to_owned());
        item.plan = Some(plan.to_owned());
        let update = UpdateSubscription::new(subscription).items(vec![item]);
        self.send(&update, Some(key)).await
    }

    /// Adds a month's usage fee to the subscription's pending items, which Stripe invoices
    /// monthly (`pending_invoice_item_interval`). `key`: the same on every retry, so a job
    /// that crashed after the call adds it once.
    pub async fn usage_item(&self, u: &UsageItem<'_>, key: &str) -> Result<String, StripeError> {
        let mut metadata = community_metadata(u.community);
        metadata.insert("month".to_owned(), u.month.to_owned());
        let create = CreateInvoiceItem::new()
            .customer(u.customer)
            .subscription(u.subscription)
            .amount(u.amount.0)
            .currency(stripe_currency(u.currency))
            .description(u.description)
            .metadata(metadata);
        Ok(self.send::<_, Created>(&create, Some(key)).await?.id)
    }
}
