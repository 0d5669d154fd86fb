//! What the institution and billing pages show.

use serde::{Deserialize, Serialize};

/// An institution's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionView {
    /// Id.
    pub id: i64,
    /// Legal name.
    pub legal_name: String,
    /// Postal address.
    pub address: String,
    /// Country code.
    pub country: String,
    /// Tax id.
    pub tax_id: String,
    /// Billing contacts, one per line.
    pub billing_contacts: String,
    /// Admins: (account id, name).
    pub admins: Vec<(i64, String)>,
    /// Open admin invitations (for those who may edit): (id, address, expiry YYYY-MM-DD).
    pub invitations: Vec<(i64, String, String)>,
    /// Communities it pays for, with their billing status: (slug, name, status).
    pub communities: Vec<(String, String, String)>,
    /// The viewer may edit.
    pub can_edit: bool,
}

/// A community's billing page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingView {
    /// Community name.
    pub community: String,
    /// Billing status in words (payment arrives with the billing milestone).
    pub status: String,
    /// The paying institution: (id, legal name).
    pub institution: Option<(i64, String)>,
    /// Institutions the viewer may choose (those they administer), when they may choose.
    pub choices: Option<Vec<(i64, String)>>,
    /// The plan, this month's usage so far, and the plans on offer.
    pub plan: crate::billing::PlanSummary,
    /// Where it stands with paying.
    pub standing: crate::billing::StandingView,
    /// Its invoices, newest first.
    pub invoices: Vec<crate::billing::InvoiceRow>,
    /// Whether the viewer may record invoices and payments (staff).
    pub may_record: bool,
    /// How it pays: method, next invoice, card and portal.
    pub payment: crate::billing::PaymentView,
}

/// The institution form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionForm {
    /// Legal name.
    pub legal_name: String,
    /// Address.
    pub address: String,
    /// Country code.
    pub country: String,
    /// Tax id.
    pub tax_id: String,
    /// Billing contacts, one per line (commas also separate).
    pub billing_contacts: String,
}

/// A community's invitation mail allowance, for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailLimitView {
    /// Community slug.
    pub slug: String,
    /// Invitation mail it may send per UTC day now.
    pub per_day: i64,
    /// Whether staff raised it above the default.
    pub raised: bool,
    /// Sent (or queued) today.
    pub sent_today: i64,
}
