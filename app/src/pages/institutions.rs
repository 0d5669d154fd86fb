//! Institutions: register one, see and edit it with the communities it pays for.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::components::forms::{
    BUTTON, FieldError, FormError, HINT, INPUT, LABEL, PRIMARY, Saved, TABLE, Typed, form_action,
    guarded,
};
use crate::error::AppError;
use crate::serverfns::institutions::{
    CreateInstitution, InstitutionView, InviteInstitutionAdmin, RemoveInstitutionAdmin,
    RevokeInstitutionInvitation, UpdateInstitution, get_institution,
};

const FIELDS: &[&str] = &[
    "legal_name",
    "address",
    "country",
    "tax_id",
    "billing_contacts",
];

#[component]
fn InstitutionFields<T>(
    #[prop(into)] value: Signal<Option<Result<T, AppError>>>,
    #[prop(optional)] current: Option<InstitutionView>,
    /// What was typed before a refused submission: shown instead of `current`.
    typed: Typed,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    let get = move |field: &str, f: fn(&InstitutionView) -> String| {
        typed.get(field, current.as_ref().map(f).unwrap_or_default())
    };
    view! {
        <div>
            <label for="legal_name" class=LABEL>"Legal name"</label>
            <input id="legal_name" name="legal_name" required maxlength="200" class=INPUT value=get("legal_name", |i| i.legal_name.clone()) />
            <FieldError value field="legal_name" />
        </div>
        <div>
            <label for="address" class=LABEL>"Address"</label>
            <textarea id="address" name="address" rows="3" maxlength="500" class=INPUT>{get("address", |i| i.address.clone())}</textarea>
            <FieldError value field="address" />
        </div>
        <div>
            <label for="country" class=LABEL>"Country code"</label>
            <input id="country" name="country" required maxlength="2" class=INPUT placeholder="DE" value=get("country", |i| i.country.clone()) />
            <FieldError value field="country" />
        </div>
        <div>
            <label for="tax_id" class=LABEL>"Tax or VAT id"</label>
            <input id="tax_id" name="tax_id" maxlength="50" class=INPUT value=get("tax_id", |i| i.tax_id.clone()) />
            <FieldError value field="tax_id" />
        </div>
        <div>
            <label for="billing_contacts" class=LABEL>"Billing contacts"</label>
            <textarea id="billing_contacts" name="billing_contacts" rows="3" class=INPUT placeholder="accounts@university.edu">{get("billing_contacts", |i| i.billing_contacts.clone())}</textarea>
            <p class=HINT>"Up to 10 addresses, one per line: invoices go there."</p>
            <FieldError value field="billing_contacts" />
        </div>
    }
}

/// Registers an institution; the person becomes its admin.
#[component]
pub fn NewInstitutionPage() -> impl IntoView {
    // A registered institution opens its page (`create_institution` redirects there).
    let create = form_action::<CreateInstitution>();
    let value = create.value();
    // Loaded only to send an anonymous visitor to sign in first.
    let me = Resource::new(|| (), |_| crate::serverfns::community::my_dashboard());
    view! {
        <Title text="New institution" />
        <h1 class="text-2xl font-bold tracking-tight">"Register an institution"</h1>
        <p class="mt-2 text-slate-700 dark:text-slate-300">"The legal entity that pays for one or more communities. You become its admin."</p>
        {guarded(me, move |_| view! {
            <ActionForm action=create attr:class="mt-6 max-w-xl space-y-4">
                <InstitutionFields value typed={Typed::of::<CreateInstitution>()} />
                <button type="submit" class=PRIMARY>"Register"</button>
                <FormError value fields=FIELDS />
            </ActionForm>
        })}
    }
}

/// An institution, its communities and their billing.
#[component]
pub fn InstitutionPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let update = form_action::<UpdateInstitution>();
    let add = form_action::<InviteInstitutionAdmin>();
    let remove = form_action::<RemoveInstitutionAdmin>();
    let withdraw = form_action::<RevokeInstitutionInvitation>();
    let institution = Resource::new(
        move || {
            (
                id(),
                update.version().get()
                    + add.version().get()
                    + remove.version().get()
                    + withdraw.version().get(),
            )
        },
        |(id, _)| get_institution(id),
    );
    let value = update.value();
    view! {
        {guarded(institution, move |i: InstitutionView| { let communities = i.communities.clone(); view! {
            <Title text=i.legal_name.clone() />
            <h1 class="text-2xl font-bold tracking-tight" data-testid="institution-name">{i.legal_name.clone()}</h1>
            <p class="mt-1 text-sm text-slate-600 dark:text-slate-400" data-testid="institution-admins">
                "Admins: " {i.admins.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>().join(", ")}
            </p>
            <h2 class="mt-6 text-lg font-semibold">"Communities it pays for"</h2>
            {if communities.is_empty() {
                view! { <p class="mt-2 text-sm">"None yet. A community's owner or billing contact chooses the paying institution on its billing page."</p> }.into_any()
            } else {
                view! {
                    <table class=TABLE>
                        <thead><tr><th>"Community"</th><th>"Billing"</th></tr></thead>
                        <tbody>
                            {communities.into_iter().map(|(slug, name, status)| view! {
                                <tr class="border-t border-slate-200 dark:border-slate-800">
                                    <td class="py-2"><A href=format!("/communities/{slug}/billing") attr:class="underline">{name}</A></td>
                                    <td class="py-2">{status}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            {i.can_edit.then(|| admin_forms(i.clone(), add, remove, withdraw))}
            <h2 class="mt-8 text-lg font-semibold">"Details"</h2>
            {if i.can_edit {
                let id = i.id.to_string();
                view! {
                    <ActionForm action=update attr:class="mt-3 max-w-xl space-y-4">
                        <input type="hidden" name="id" value=id />
                        <InstitutionFields value current=i.clone() typed={Typed::of::<UpdateInstitution>()} />
                        <button type="submit" class=PRIMARY>"Save"</button>
                        <Saved value text="Saved." />
                        <FormError value fields=FIELDS />
                    </ActionForm>
                }.into_any()
            } else {
                view! {
                    <dl class="mt-3 text-sm">
                        <dt class="font-medium">"Address"</dt><dd class="whitespace-pre-line">{i.address.clone()}</dd>
                        <dt class="mt-2 font-medium">"Country"</dt><dd>{i.country.clone()}</dd>
                        <dt class="mt-2 font-medium">"Tax id"</dt><dd>{i.tax_id.clone()}</dd>
                        <dt class="mt-2 font-medium">"Billing contacts"</dt><dd class="whitespace-pre-line">{i.billing_contacts}</dd>
                    </dl>
                }.into_any()
            }}
        }})}
    }
}

/// Who administers the institution: remove one (never the last), invite one by address
/// (the person accepts from the mail), withdraw an open invitation.
fn admin_forms(
    i: InstitutionView,
    add: ServerAction<InviteInstitutionAdmin>,
    remove: ServerAction<RemoveInstitutionAdmin>,
    withdraw: ServerAction<RevokeInstitutionInvitation>,
) -> impl IntoView {
    let id = i.id;
    let only_one = i.admins.len() < 2;
    let invitations = i.invitations;
    view! {
        <h2 class="mt-8 text-lg font-semibold">"Admins"</h2>
        <ul class="mt-2 max-w-xl divide-y divide-slate-200 dark:divide-slate-800">
            {i.admins.into_iter().map(|(account, name)| view! {
                <li class="flex items-center justify-between py-2">
                    <span>{name}</span>
                    <ActionForm action=remove>
                        <input type="hidden" name="id" value=id.to_string() />
                        <input type="hidden" name="account_id" value=account.to_string() />
                        <button type="submit" class=BUTTON disabled=only_one>"Remove"</button>
                    </ActionForm>
                </li>
            }).collect_view()}
        </ul>
        <FormError value=remove.value() />
        {(!invitations.is_empty()).then(|| view! {
            <h3 class="mt-4 font-medium">"Invited, not yet accepted"</h3>
            <ul class="mt-1 max-w-xl divide-y divide-slate-200 dark:divide-slate-800" data-testid="admin-invitations">
                {invitations.into_iter().map(|(invitation, email, expires)| view! {
                    <li class="flex items-center justify-between py-2">
                        <span><span class="font-mono">{email}</span> <span class=HINT>{format!("until {expires}")}</span></span>
                        <ActionForm action=withdraw>
                            <input type="hidden" name="id" value=id.to_string() />
                            <input type="hidden" name="invitation" value=invitation.to_string() />
                            <button type="submit" class=BUTTON>"Withdraw"</button>
                        </ActionForm>
                    </li>
                }).collect_view()}
            </ul>
        })}
        <FormError value=withdraw.value() />
        <ActionForm action=add attr:class="mt-3 flex max-w-xl items-end gap-2">
            <input type="hidden" name="id" value=id.to_string() />
            <div class="flex-1">
                <label for="admin-email" class=LABEL>"Invite an admin by email"</label>
                <input id="admin-email" name="email" type="email" required class=INPUT value={Typed::of::<InviteInstitutionAdmin>().get("email", "")} />
            </div>
            <button type="submit" class=BUTTON>"Invite"</button>
        </ActionForm>
        <p class=HINT>"They get an email and become an admin when they accept, signed in with that address."</p>
        <Saved value=add.value() text="Invitation sent." />
        <FieldError value=add.value() field="email" />
        <FormError value=add.value() fields=&["email"] />
    }
}
