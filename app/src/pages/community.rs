//! A community: its layout (name and tabs), home, settings, billing and join requests, and
//! the sign-up form.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::components::forms::{
    BUTTON, FieldError, FormError, HINT, INPUT, LABEL, PRIMARY, Saved, TABLE, Typed, form_action,
    guarded,
};
use crate::policy::{Action, Role};
use crate::serverfns::billing::{
    ChangePlan, ManagePayment, PayByCard, PlanChangeView, RecordInvoice, RecordPayment,
    RequestInvoiceTerms,
};
use crate::serverfns::community::{
    CommunityHome, CommunityView, CreateCommunity, JoinPolicy, LeaveCommunity, RequestToJoin,
    SetCatalogListing, UpdateCommunity, community_settings, get_community, my_dashboard,
};
use crate::serverfns::institutions::{SetBillingInstitution, get_billing};
use crate::serverfns::join_requests::{DecideJoinRequest, list_join_requests};
use stoa_model::billing::{PaymentView, PlanSummary};

/// The `:slug` of the current route.
pub fn use_slug() -> impl Fn() -> String + Clone + Send + Sync + 'static {
    let params = use_params_map();
    move || params.read().get("slug").unwrap_or_default()
}

/// Tabs: (path suffix, label, the action that shows it).
const TABS: &[(&str, &str, Action)] = &[
    ("", "Overview", Action::ViewCommunityPage),
    ("/hub", "Hub", Action::ViewHub),
    ("/members", "Members", Action::ViewMembers),
    ("/invitations", "Invitations", Action::ViewInvitations),
    ("/requests", "Join requests", Action::ViewJoinRequests),
    ("/support", "Support", Action::ViewTickets),
    ("/usage", "Usage", Action::ViewUsage),
    ("/billing", "Billing", Action::ViewBilling),
    ("/settings", "Settings", Action::UpdateCommunity),
    ("/audit", "Audit log", Action::ViewAuditLog),
];

/// Name, logo and the tabs the viewer may open, above the tab's page (`children`).
///
/// Each tab is its own flat route wrapping its page in this frame, rather than a nested
/// route with an `<Outlet/>`: in leptos 0.8 a resource created under an outlet inside a
/// `Suspend` can lose its owner chain, and its server function then runs without the
/// request's context (leptos-rs/leptos#4088). The tab's page is rendered beside the
/// header, not inside its suspense, and reports errors (404, 403, sign-in) itself.
///
/// `glance` asks for the at-a-glance block with the community (the home tab shows it), in
/// the same call.
#[component]
pub fn CommunityFrame(children: Children, #[prop(optional)] glance: bool) -> impl IntoView {
    let slug = use_slug();
    let community = Resource::new(slug, move |slug| get_community(slug, glance));
    provide_context(community);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                community.await.ok().map(|c| {
                    let base = format!("/communities/{}", c.slug);
                    view! {
                        <Title text=c.name.clone() />
                        <header class="flex items-center gap-4">
                            {c.logo.clone().map(|src| view! { <img src=src alt="" width="48" height="48" class="h-12 w-12 rounded object-cover" data-testid="community-logo" /> })}
                            <div>
                                <h1 class="text-2xl font-bold tracking-tight" data-testid="community-name">{c.name.clone()}</h1>
                                <p class="text-sm text-slate-600 dark:text-slate-400">
                                    {c.field.clone()}
                                    {c.my_role.map(|r| view! { " · you are " <span data-testid="my-role">{r.label().to_lowercase()}</span> })}
                                </p>
                            </div>
                        </header>
                        <nav aria-label="Community" class="mt-4 flex flex-wrap gap-1 border-b border-slate-200 dark:border-slate-800">
                            {TABS.iter().filter(|(_, _, a)| *a == Action::ViewCommunityPage || c.may(*a)).map(|(suffix, label, _)| {
                                view! {
                                    <A href=format!("{base}{suffix}") exact=true attr:class="rounded-t-md px-3 py-2 text-sm font-medium aria-[current=page]:border-b-2 aria-[current=page]:border-teal-600">
                                        {*label}
                                    </A>
                                }
                            }).collect_view()}
                        </nav>
                    }
                })
            })}
        </Suspense>
        <div class="mt-6">{children()}</div>
    }
}

/// The community's layout data, for the tab pages.
fn use_community() -> Resource<Result<CommunityView, crate::error::AppError>> {
    expect_context()
}

/// Overview: description, at-a-glance status for members, join or leave.
#[component]
pub fn CommunityHomePage() -> impl IntoView {
    let community = use_community();
    let join = form_action::<RequestToJoin>();
    // Leaving goes to the dashboard (`leave_community` redirects there).
    let leave = form_action::<LeaveCommunity>();
    view! {
        {guarded(community, move |c: CommunityView| view! {
            <div class="grid gap-8 md:grid-cols-3">
                <section class="md:col-span-2">
                    <p class="whitespace-pre-line text-slate-800 dark:text-slate-200" data-testid="community-description">{c.description.clone()}</p>
                    {c.website.clone().filter(|u| u.starts_with("https://") || u.starts_with("http://")).map(|url| view! {
                        <p class="mt-3 text-sm"><a href=url class="underline" rel="noopener noreferrer nofollow">"Website"</a></p>
                    })}
                    <p class="mt-3 text-sm text-slate-600 dark:text-slate-400">"On Stoa since " {c.joined.clone()}</p>
                </section>
                <aside class="space-y-4">
                    {c.glance.clone().map(|h| view! { <AtAGlance h /> })}
                    {c.my_end.clone().map(|end| view! { <p class="text-sm">"Your membership ends on " {end} "."</p> })}
                    {join_box(&c, join)}
                    {c.may(Action::LeaveCommunity).then(|| view! {
                        <ActionForm action=leave>
                            <input type="hidden" name="slug" value=c.slug.to_string() />
                            <button type="submit" class=BUTTON>"Leave community"</button>
                            <FormError value=leave.value() />
                        </ActionForm>
                    })}
                </aside>
            </div>
        })}
    }
}

/// Members, hub and billing status, for those who belong.
#[component]
fn AtAGlance(h: CommunityHome) -> impl IntoView {
    view! {
        <dl class="rounded-lg border border-slate-200 p-4 text-sm dark:border-slate-800" data-testid="at-a-glance">
            <dt class="font-medium">"Members"</dt><dd data-testid="member-count">{h.members}</dd>
            <dt class="mt-2 font-medium">"Hub"</dt><dd>{h.hub_status}</dd>
            <dt class="mt-2 font-medium">"Billing"</dt><dd>{h.billing_status}</dd>
            {h.institution.map(|i| view! { <dt class="mt-2 font-medium">"Paid for by"</dt><dd>{i}</dd> })}
        </dl>
    }
}

const REQUEST_SENT: &str = "Request sent. You will get an email when the admins decide.";

fn join_box(c: &CommunityView, join: ServerAction<RequestToJoin>) -> Option<AnyView> {
    if c.my_role.is_some() || c.join_policy != JoinPolicy::Request {
        return None;
    }
    if !c.signed_in {
        let next = format!("/communities/{}", c.slug);
        return Some(view! {
            <p class="text-sm">"This community welcomes requests to join. "
                <a class="underline" href=format!("/signin?next={next}")>"Sign in"</a> " to ask."</p>
        }.into_any());
    }
    if c.request_pending {
        // Right after asking (the form's post lands here), the note says it went out.
        return Some(view! {
            <Saved value=join.value() text=REQUEST_SENT />
            <p class="text-sm" data-testid="request-pending">"You asked to join; the admins will decide."</p>
        }.into_any());
    }
    let slug = c.slug.to_string();
    let typed = Typed::of::<RequestToJoin>();
    Some(view! {
        <div>
            <ActionForm action=join attr:class="space-y-2">
                <input type="hidden" name="slug" value=slug />
                <label for="join-message" class=LABEL>"Ask to join"</label>
                <textarea id="join-message" name="message" rows="3" maxlength="1000" class=INPUT placeholder="Tell the admins who you are (optional)">{typed.get("message", "")}</textarea>
                <FieldError value=join.value() field="message" />
                <button type="submit" class=PRIMARY>"Send request"</button>
            </ActionForm>
            <Saved value=join.value() text=REQUEST_SENT />
        </div>
    }.into_any())
}

/// The community fields shared by sign-up and settings.
#[component]
fn CommunityFields<T>(
    #[prop(into)] value: Signal<Option<Result<T, crate::error::AppError>>>,
    #[prop(optional)] current: Option<CommunityView>,
    /// What was typed before a refused submission: shown instead of `current`.
    typed: Typed,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    let c = current;
    let policy = typed.get(
        "join_policy",
        c.as_ref()
            .map(|c| c.join_policy)
            .unwrap_or_default()
            .as_str(),
    );
    let get = move |field: &str, f: fn(&CommunityView) -> String| {
        typed.get(field, c.as_ref().map(f).unwrap_or_default())
    };
    view! {
        <div>
            <label for="name" class=LABEL>"Name"</label>
            <input id="name" name="name" required maxlength="100" class=INPUT value=get("name", |c| c.name.clone()) />
            <FieldError value field="name" />
        </div>
        <div>
            <label for="description" class=LABEL>"Description"</label>
            <textarea id="description" name="description" rows="4" maxlength="2000" class=INPUT>{get("description", |c| c.description.clone())}</textarea>
            <FieldError value field="description" />
        </div>
        <div>
            <label for="field" class=LABEL>"Field"</label>
            <input id="field" name="field" maxlength="80" class=INPUT placeholder="Oceanography, Data science education…" value=get("field", |c| c.field.clone()) />
            <FieldError value field="field" />
        </div>
        <div>
            <label for="website" class=LABEL>"Website"</label>
            <input id="website" name="website" type="url" maxlength="300" class=INPUT placeholder="https://" value=get("website", |c| c.website.clone().unwrap_or_default()) />
            <FieldError value field="website" />
        </div>
        <div>
            <label for="join_policy" class=LABEL>"How people join"</label>
            <select id="join_policy" name="join_policy" class=INPUT>
                {JoinPolicy::ALL.iter().map(|p| view! { <option value=p.as_str() selected=policy == p.as_str()>{p.label()}</option> }).collect_view()}
            </select>
            <FieldError value field="join_policy" />
        </div>
    }
}

const COMMUNITY_FIELDS: &[&str] = &[
    "name",
    "slug",
    "description",
    "field",
    "website",
    "join_policy",
    "institution",
    "legal_name",
    "country",
];

/// Sign-up of a new community.
#[component]
pub fn NewCommunityPage() -> impl IntoView {
    // A created community opens its page (`create_community` redirects there).
    let create = form_action::<CreateCommunity>();
    let dashboard = Resource::new(|| (), |_| my_dashboard());
    let value = create.value();
    view! {
        <Title text="New community" />
        <h1 class="text-2xl font-bold tracking-tight">"Sign up a community"</h1>
        <p class="mt-2 text-slate-700 dark:text-slate-300">"A lab, a course or a consortium: you become its owner and can invite the others."</p>
        {guarded(dashboard, move |d| { let typed = Typed::of::<CreateCommunity>(); let institution = typed.get("institution", ""); view! {
            <ActionForm action=create attr:class="mt-6 max-w-xl space-y-4" attr:data-testid="new-community">
                <CommunityFields value typed=typed.clone() />
                <div>
                    <label for="slug" class=LABEL>"Short name"</label>
                    <input id="slug" name="slug" required minlength="2" maxlength="40" class=INPUT placeholder="ocean-lab" value=typed.get("slug", "") />
                    <p class=HINT>"2–40 lowercase letters, digits and hyphens; used in your hub's address and fixed once chosen."</p>
                    <FieldError value field="slug" />
                </div>
                <fieldset class="space-y-2 rounded-md border border-slate-200 p-3 dark:border-slate-800">
                    <legend class="px-1 text-sm font-medium">"Paying institution"</legend>
                    <label for="institution" class="sr-only">"Institution"</label>
                    <select id="institution" name="institution" class=INPUT>
                        <option value="">"Decide later"</option>
                        {d.institutions.iter().map(|(id, name)| view! { <option value=id.to_string() selected=institution == id.to_string()>{name.clone()}</option> }).collect_view()}
                        <option value="new" selected=institution == "new">"A new institution…"</option>
                    </select>
                    <FieldError value field="institution" />
                    <p class=HINT>"For a new institution, give its legal name and country (more details later):"</p>
                    <label for="legal_name" class=LABEL>"Legal name"</label>
                    <input id="legal_name" name="legal_name" maxlength="200" class=INPUT value=typed.get("legal_name", "") />
                    <FieldError value field="legal_name" />
                    <label for="country" class=LABEL>"Country code"</label>
                    <input id="country" name="country" maxlength="2" class=INPUT placeholder="DE" value=typed.get("country", "") />
                    <FieldError value field="country" />
                </fieldset>
                <button type="submit" class=PRIMARY>"Create community"</button>
                <FormError value fields=COMMUNITY_FIELDS />
            </ActionForm>
        }})}
    }
}

/// Settings: the editable fields.
#[component]
pub fn CommunitySettingsPage() -> impl IntoView {
    let slug = use_slug();
    let update = form_action::<UpdateCommunity>();
    let community = Resource::new(
        move || (slug(), update.version().get()),
        |(slug, _)| community_settings(slug),
    );
    let value = update.value();
    view! {
        {guarded(community, move |c: CommunityView| {
            let slug = c.slug.to_string();
            let logo = c.logo.clone();
            let logo_slug = slug.clone();
            let slug2 = slug.clone();
            let listed = c.listed_in_catalog;
            view! {
                <h2 class="text-lg font-semibold">"Settings"</h2>
                <ActionForm action=update attr:class="mt-4 max-w-xl space-y-4">
                    <input type="hidden" name="slug" value=slug />
                    <CommunityFields value current=c typed={Typed::of::<UpdateCommunity>()} />
                    <button type="submit" class=PRIMARY>"Save"</button>
                    <Saved value text="Saved." />
                    <FormError value fields=COMMUNITY_FIELDS />
                </ActionForm>
                <LogoForms slug=logo_slug logo />
                <CatalogListing slug=slug2 listed=listed />
            }.into_any()
        })}
    }
}

/// Whether the environment catalog may name the community on the pages of the environments
/// its hub uses (off by default: using an image says something about a community's work).
#[component]
fn CatalogListing(slug: String, listed: bool) -> impl IntoView {
    let save = form_action::<SetCatalogListing>();
    view! {
        <section class="mt-8 max-w-xl" aria-labelledby="catalog-listing">
            <h3 id="catalog-listing" class="text-base font-semibold">"Environment catalog"</h3>
            <ActionForm action=save attr:class="mt-2 space-y-2" attr:data-testid="catalog-listing-form">
                <input type="hidden" name="slug" value=slug />
                <label class="flex items-center gap-2 text-sm">
                    <input type="checkbox" name="listed" value="true" checked=listed />
                    "Name this community on the catalog pages of the environments its hub uses"
                </label>
                <button type="submit" class=BUTTON>"Save the catalog choice"</button>
                <Saved value=save.value() text="Saved." />
                <FormError value=save.value() />
            </ActionForm>
        </section>
    }
}

/// The logo: upload (or replace) and remove. Plain multipart forms posted to the server's
/// logo routes, so they work with and without JavaScript; the server answers with a redirect
/// back here, or with a page that says why the logo was refused.
#[component]
fn LogoForms(slug: String, logo: Option<String>) -> impl IntoView {
    let upload = format!("/communities/{slug}/logo");
    let remove = format!("/communities/{slug}/logo/remove");
    view! {
        <section id="logo-settings" class="mt-10 max-w-xl space-y-3" aria-labelledby="logo-heading">
            <h3 id="logo-heading" class="text-base font-semibold">"Logo"</h3>
            {logo.clone().map(|src| view! { <img src=src alt="The current logo" width="48" height="48" class="h-12 w-12 rounded object-cover" /> })}
            <form method="post" action=upload enctype="multipart/form-data" class="space-y-2" data-testid="logo-form">
                <label for="logo" class=LABEL>{if logo.is_some() { "Replace the logo" } else { "Upload a logo" }}</label>
                <input id="logo" name="logo" type="file" required accept="image/png,image/jpeg,image/webp,image/gif" class=INPUT />
                <p class=HINT>"A square PNG, JPEG, WebP or GIF image, at most 256 KiB and 1024×1024 pixels. It is served from Stoa, so no other site learns who visits."</p>
                <button type="submit" class=BUTTON>"Upload logo"</button>
            </form>
            {logo.map(|_| view! {
                <form method="post" action=remove>
                    <button type="submit" class=BUTTON>"Remove the logo"</button>
                </form>
            })}
        </section>
    }
}

/// Billing: status and the paying institution.
#[component]
pub fn BillingPage() -> impl IntoView {
    let slug = use_slug();
    let set = form_action::<SetBillingInstitution>();
    let change = form_action::<ChangePlan>();
    let invoice = form_action::<RecordInvoice>();
    let payment = form_action::<RecordPayment>();
    let billing = Resource::new(
        move || {
            (
                slug(),
                set.version().get(),
                change.version().get(),
                invoice.version().get() + payment.version().get(),
            )
        },
        |(slug, ..)| get_billing(slug),
    );
    let slug = use_slug();
    view! {
        <h2 class="text-lg font-semibold">"Billing"</h2>
        {guarded(billing, move |b| {
            let slug = slug();
            view! {
                <p class="mt-2 text-sm" data-testid="standing" data-status=b.standing.status.clone()>{b.standing.headline.clone()}</p>
                <PaymentSection payment=b.payment.clone() slug=slug.clone() />
                <PlanSection plan=b.plan.clone() slug=slug.clone() change />
                <Invoices rows=b.invoices.clone() slug=slug.clone() may_record=b.may_record invoice payment />
                <p class="mt-2" data-testid="billing-status">{b.status.clone()}</p>
                <p class="mt-2 text-sm">"Paying institution: "
                    {match b.institution.clone() {
                        Some((id, name)) => view! { <A href=format!("/institutions/{id}") attr:class="underline">{name}</A> }.into_any(),
                        None => view! { <span>"none yet"</span> }.into_any(),
                    }}
                </p>
                {b.choices.clone().map(|choices| {
                    let stored = b.institution.as_ref().map(|(id, _)| id.to_string()).unwrap_or_default();
                    let current = Typed::of::<SetBillingInstitution>().get("institution", stored);
                    view! {
                        <ActionForm action=set attr:class="mt-4 flex max-w-xl items-end gap-2">
                            <input type="hidden" name="slug" value=slug.clone() />
                            <div class="flex-1">
                                <label for="institution" class=LABEL>"Choose one of your institutions"</label>
                                <select id="institution" name="institution" class=INPUT>
                                    <option value="">"None"</option>
                                    {choices.into_iter().map(|(id, name)| view! { <option value=id.to_string() selected=current == id.to_string()>{name}</option> }).collect_view()}
                                </select>
                            </div>
                            <button type="submit" class=BUTTON>"Save"</button>
                        </ActionForm>
                        <FieldError value=set.value() field="institution" />
                        <FormError value=set.value() fields=&["institution"] />
                        <p class=HINT><A href="/institutions/new" attr:class="underline">"Register an institution"</A> " to pay by invoice, PO or bank transfer."</p>
                    }
                })}
            }
        })}
    }
}

/// How the community pays: the method, the next invoice, the billing contacts, and (with
/// Stripe) paying by card through Checkout or managing it in the Customer Portal. Both
/// buttons post a plain form; the server sends the browser on to Stripe's page.
#[component]
fn PaymentSection(payment: PaymentView, slug: String) -> impl IntoView {
    let card = form_action::<PayByCard>();
    let manage = form_action::<ManagePayment>();
    let terms = form_action::<RequestInvoiceTerms>();
    let typed = Typed::of::<RequestInvoiceTerms>();
    let (slug_card, slug_manage, slug_terms) = (slug.clone(), slug.clone(), slug);
    view! {
        <section class="mt-4 max-w-3xl" aria-labelledby="payment-heading" data-testid="payment">
            <h3 id="payment-heading" class="text-base font-semibold">"Payment"</h3>
            <dl class="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
                <dt class="text-slate-600 dark:text-slate-400">"How"</dt>
                <dd data-testid="payment-method">{payment.method}</dd>
                <dt class="text-slate-600 dark:text-slate-400">"Next invoice"</dt>
                <dd data-testid="next-invoice">{payment.next_invoice}</dd>
                {(!payment.contacts.is_empty()).then(|| view! {
                    <dt class="text-slate-600 dark:text-slate-400">"Billing contacts"</dt>
                    <dd data-testid="billing-contacts">{payment.contacts.join(", ")}</dd>
                })}
            </dl>
            <div class="mt-3 flex flex-wrap gap-2">
                {payment.may_pay_by_card.then(|| view! {
                    <ActionForm action=card>
                        <input type="hidden" name="slug" value=slug_card />
                        <button type="submit" class=BUTTON data-testid="pay-by-card">"Pay by card"</button>
                    </ActionForm>
                })}
                {payment.may_manage.then(|| view! {
                    <ActionForm action=manage>
                        <input type="hidden" name="slug" value=slug_manage />
                        <button type="submit" class=BUTTON data-testid="manage-payment">"Card, tax ID and invoices at Stripe"</button>
                    </ActionForm>
                })}
            </div>
            <FormError value=card.value() fields=&["payment"] />
            <FieldError value=card.value() field="payment" />
            <FormError value=manage.value() fields=&["payment"] />
            <FieldError value=manage.value() field="payment" />
            {payment.may_request_invoices.then(|| view! {
                <ActionForm action=terms attr:class="mt-4 grid max-w-3xl gap-3 sm:grid-cols-3" attr:data-testid="invoice-terms">
                    <input type="hidden" name="slug" value=slug_terms />
                    <p class="sm:col-span-3 text-sm font-medium">"Or pay by invoice: Stripe mails each invoice to the paying institution, payable by bank transfer."</p>
                    <div>
                        <label for="po_number" class=LABEL>"PO number (optional)"</label>
                        <input id="po_number" name="po_number" maxlength="40" class=INPUT value=typed.get("po_number", "") />
                        <FieldError value=terms.value() field="po_number" />
                    </div>
                    <div>
                        <label for="grant_number" class=LABEL>"Grant or award (optional)"</label>
                        <input id="grant_number" name="grant_number" maxlength="40" class=INPUT value=typed.get("grant_number", "") />
                        <FieldError value=terms.value() field="grant_number" />
                    </div>
                    <div class="flex items-end">
                        <button type="submit" class=BUTTON>"Pay by invoice"</button>
                    </div>
                </ActionForm>
                <FormError value=terms.value() fields=&["po_number", "grant_number"] />
                {move || terms.value().get().and_then(Result::ok).map(|note| view! {
                    <p class="mt-2 text-sm" role="status" data-testid="invoice-terms-note">{note}</p>
                })}
            })}
        </section>
    }
}

/// The plan: what it costs, this month's usage so far, and moving to another plan (its
/// effect shown first, then confirmed).
#[component]
fn PlanSection(plan: PlanSummary, slug: String, change: ServerAction<ChangePlan>) -> impl IntoView {
    let typed = Typed::of::<ChangePlan>().get("plan", plan.id.clone());
    let usage = format!("/communities/{slug}/usage");
    let people = if plan.monthly_active == 1 {
        "person"
    } else {
        "people"
    };
    view! {
        <section class="mt-4 max-w-3xl" aria-labelledby="plan-heading" data-testid="plan">
            <h3 id="plan-heading" class="text-base font-semibold">"Plan"</h3>
            <dl class="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
                <dt class="text-slate-600 dark:text-slate-400">"Plan"</dt>
                <dd data-testid="plan-name">{plan.name.clone()}" · "<A href="/pricing" attr:class="underline">"compare plans"</A></dd>
                <dt class="text-slate-600 dark:text-slate-400">"Membership"</dt>
                <dd>{format!("{} a year", plan.annual_fee)}</dd>
                <dt class="text-slate-600 dark:text-slate-400">"Usage this month so far"</dt>
                <dd data-testid="usage-so-far">{format!("{} ({} {people} active)", plan.usage_so_far, plan.monthly_active)}" · "<A href=usage attr:class="underline">"usage"</A></dd>
            </dl>
            {plan.choices.map(|choices| {
                let slug_confirm = slug.clone();
                view! {
                    <ActionForm action=change attr:class="mt-4 flex max-w-xl items-end gap-2">
                        <input type="hidden" name="slug" value=slug.clone() />
                        <input type="hidden" name="intent" value="check" />
                        <div class="flex-1">
                            <label for="plan" class=LABEL>"Move to another plan"</label>
                            <select id="plan" name="plan" class=INPUT>
                                {choices.into_iter().map(|(id, name, fee)| {
                                    let selected = typed == id;
                                    view! { <option value=id selected=selected>{format!("{name} ({fee} a year)")}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                        <button type="submit" class=BUTTON>"See what changes"</button>
                    </ActionForm>
                    <FieldError value=change.value() field="plan" />
                    <FormError value=change.value() fields=&["plan"] />
                    {move || change.value().get().and_then(Result::ok).map(|v| view! { <PlanChangeEffect v slug=slug_confirm.clone() change /> })}
                }
            })}
        </section>
    }
}

/// Invoices (newest first) and, for staff, recording an invoice and its payment (manual
/// billing: bank transfer or PO).
#[component]
fn Invoices(
    rows: Vec<stoa_model::billing::InvoiceRow>,
    slug: String,
    may_record: bool,
    invoice: ServerAction<RecordInvoice>,
    payment: ServerAction<RecordPayment>,
) -> impl IntoView {
    let typed = Typed::of::<RecordInvoice>();
    let slug_pay = slug.clone();
    view! {
        <section class="mt-6 max-w-4xl" aria-labelledby="invoices-heading">
            <h3 id="invoices-heading" class="text-base font-semibold">"Invoices"</h3>
            {if rows.is_empty() {
                view! { <p class="mt-1 text-sm" data-testid="no-invoices">"No invoices yet."</p> }.into_any()
            } else {
                view! {
                    <table class=TABLE data-testid="invoices">
                        <thead><tr><th>"Number"</th><th>"For"</th><th>"Amount"</th><th>"PO"</th><th>"Issued"</th><th>"State"</th>{may_record.then(|| view! { <th><span class="sr-only">"Payment"</span></th> })}</tr></thead>
                        <tbody>
                            {rows.into_iter().map(|r| {
                                let open = r.status == "open";
                                let slug = slug_pay.clone();
                                let pay_label = format!("Record payment of {}", r.number);
                                view! {
                                    <tr class="border-t border-slate-200 align-top dark:border-slate-800" data-testid=format!("invoice-{}", r.number)>
                                        <td class="py-2">{r.number.clone()}</td>
                                        <td class="py-2">{r.description}</td>
                                        <td class="py-2">{r.amount}</td>
                                        <td class="py-2">{r.po_number}</td>
                                        <td class="py-2">{r.issued_on}</td>
                                        <td class="py-2" data-testid="invoice-state">
                                            {r.state}
                                            {(!r.pdf_url.is_empty()).then(|| view! { " · " <a href=r.pdf_url.clone() class="underline" rel="noreferrer">"PDF"</a> })}
                                            {(!r.pay_url.is_empty() && open).then(|| view! { " · " <a href=r.pay_url.clone() class="underline" rel="noreferrer">"Pay online"</a> })}
                                        </td>
                                        {(may_record && open && r.manual).then(|| view! {
                                            <td class="py-2">
                                                <ActionForm action=payment attr:class="flex flex-wrap items-end gap-2">
                                                    <input type="hidden" name="slug" value=slug />
                                                    <input type="hidden" name="invoice_id" value=r.id.to_string() />
                                                    <label class="sr-only" for=format!("paid-on-{}", r.id)>"Paid on"</label>
                                                    <input id=format!("paid-on-{}", r.id) name="paid_on" type="date" class=INPUT />
                                                    <label class="sr-only" for=format!("reference-{}", r.id)>"Transfer reference"</label>
                                                    <input id=format!("reference-{}", r.id) name="reference" placeholder="Transfer reference" class=INPUT />
                                                    <button type="submit" class=BUTTON>{pay_label}</button>
                                                </ActionForm>
                                            </td>
                                        })}
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <FormError value=payment.value() fields=&["paid_on", "reference"] />
            <FieldError value=payment.value() field="paid_on" />
            <FieldError value=payment.value() field="reference" />
            {may_record.then(|| view! {
                <ActionForm action=invoice attr:class="mt-4 grid max-w-3xl gap-3 sm:grid-cols-2" attr:data-testid="record-invoice">
                    <input type="hidden" name="slug" value=slug.clone() />
                    <p class="sm:col-span-2 text-sm font-medium">"Record an invoice (staff)"</p>
                    <div>
                        <label for="number" class=LABEL>"Invoice number"</label>
                        <input id="number" name="number" required class=INPUT value=typed.get("number", "") />
                        <FieldError value=invoice.value() field="number" />
                    </div>
                    <div>
                        <label for="amount" class=LABEL>"Amount"</label>
                        <input id="amount" name="amount" required inputmode="decimal" placeholder="1,200.00" class=INPUT value=typed.get("amount", "") />
                        <FieldError value=invoice.value() field="amount" />
                    </div>
                    <div class="sm:col-span-2">
                        <label for="description" class=LABEL>"For"</label>
                        <input id="description" name="description" required placeholder="Membership 2027" class=INPUT value=typed.get("description", "") />
                        <FieldError value=invoice.value() field="description" />
                    </div>
                    <div>
                        <label for="po_number" class=LABEL>"PO number"</label>
                        <input id="po_number" name="po_number" class=INPUT value=typed.get("po_number", "") />
                        <FieldError value=invoice.value() field="po_number" />
                    </div>
                    <div>
                        <label for="due_on" class=LABEL>"Due on"</label>
                        <input id="due_on" name="due_on" type="date" class=INPUT value=typed.get("due_on", "") />
                        <p class=HINT>"Empty: the configured terms after today."</p>
                        <FieldError value=invoice.value() field="due_on" />
                    </div>
                    <div class="sm:col-span-2">
                        <button type="submit" class=PRIMARY>"Record invoice"</button>
                        <FormError value=invoice.value() fields=&["number", "amount", "description", "po_number", "due_on", "issued_on"] />
                    </div>
                </ActionForm>
            })}
        </section>
    }
}

/// A plan change's effect: before confirming, what changes and what would not fit, with the
/// button that makes it; after, what was done.
#[component]
fn PlanChangeEffect(
    v: PlanChangeView,
    slug: String,
    change: ServerAction<ChangePlan>,
) -> impl IntoView {
    if v.changed {
        return view! {
            <p role="status" class="mt-3 text-sm text-teal-800 dark:text-teal-300" data-testid="plan-changed">
                {format!("Moved from {} to {}. The new limits apply to the hub's next change.", v.from, v.to)}
            </p>
        }.into_any();
    }
    view! {
        <div class="mt-4 rounded-md border border-slate-300 p-4 dark:border-slate-700" data-testid="plan-effect">
            <p class="text-sm font-medium">{format!("From {} to {}: membership {} a year instead of {}.", v.from, v.to, v.annual_to, v.annual_from)}</p>
            <table class=TABLE>
                <thead><tr><th>"Limit"</th><th>{v.from.clone()}</th><th>{v.to.clone()}</th></tr></thead>
                <tbody>
                    {v.limits.into_iter().map(|l| view! {
                        <tr class="border-t border-slate-200 dark:border-slate-800">
                            <td class="py-1">{l.what}</td>
                            <td class="py-1">{l.from}</td>
                            <td class=if l.changed { "py-1 font-semibold" } else { "py-1" }>{l.to}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {(!v.misfits.is_empty()).then(|| view! {
                <div role="alert" class="mt-3 text-sm text-amber-800 dark:text-amber-300" data-testid="plan-misfits">
                    <p class="font-medium">"The hub's current settings do not fit this plan. The hub keeps running them, but its next change must fit:"</p>
                    <ul class="mt-1 list-disc pl-5">
                        {v.misfits.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
                    </ul>
                </div>
            })}
            <ActionForm action=change attr:class="mt-3">
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="plan" value=v.to_id />
                <input type="hidden" name="intent" value="confirm" />
                <button type="submit" class=PRIMARY>{format!("Move to {}", v.to)}</button>
            </ActionForm>
        </div>
    }.into_any()
}

/// Join requests: approve or deny.
#[component]
pub fn JoinRequestsPage() -> impl IntoView {
    let slug = use_slug();
    let decide = form_action::<DecideJoinRequest>();
    let requests = Resource::new(
        move || (slug(), decide.version().get()),
        |(slug, _)| list_join_requests(slug),
    );
    let slug = use_slug();
    view! {
        <h2 class="text-lg font-semibold">"Join requests"</h2>
        <FormError value=decide.value() />
        {guarded(requests, move |rows| {
            let slug = slug();
            if rows.is_empty() {
                return view! { <p class="mt-2 text-sm" data-testid="no-requests">"No pending requests."</p> }.into_any();
            }
            view! {
                <table class=TABLE data-testid="join-requests">
                    <thead><tr><th>"Who"</th><th>"Message"</th><th>"Asked"</th><th><span class="sr-only">"Decision"</span></th></tr></thead>
                    <tbody>
                        {rows.into_iter().map(|r| {
                            let (slug_a, slug_b) = (slug.clone(), slug.clone());
                            view! {
                                <tr class="border-t border-slate-200 align-top dark:border-slate-800">
                                    <td class="py-2">{r.name}<br /><span class="text-xs text-slate-600 dark:text-slate-400">{r.email.unwrap_or_default()}</span></td>
                                    <td class="py-2 whitespace-pre-line">{r.message}</td>
                                    <td class="py-2">{r.created_on}</td>
                                    <td class="py-2">
                                        <div class="flex gap-2">
                                            <ActionForm action=decide>
                                                <input type="hidden" name="slug" value=slug_a />
                                                <input type="hidden" name="id" value=r.id.to_string() />
                                                <input type="hidden" name="approve" value="true" />
                                                <button type="submit" class=PRIMARY>"Approve"</button>
                                            </ActionForm>
                                            <ActionForm action=decide>
                                                <input type="hidden" name="slug" value=slug_b />
                                                <input type="hidden" name="id" value=r.id.to_string() />
                                                <input type="hidden" name="approve" value="false" />
                                                <button type="submit" class=BUTTON>"Deny"</button>
                                            </ActionForm>
                                        </div>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        })}
    }
}

/// Role names for selects.
pub fn role_options(current: Role, include_owner: bool) -> impl IntoView {
    Role::ALL
        .into_iter()
        .filter(move |r| include_owner || *r != Role::Owner || current == Role::Owner)
        .map(move |r| view! { <option value=r.as_str() selected=r == current>{r.label()}</option> })
        .collect_view()
}
