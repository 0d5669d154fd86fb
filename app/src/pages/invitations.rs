//! Inviting people (one or many), the pending invitations, and accepting one.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::forms::{
    BUTTON, FieldError, FormError, HINT, INPUT, LABEL, PRIMARY, TABLE, Typed, form_action, guarded,
    urlencode,
};
use crate::pages::community::use_slug;
use crate::policy::Role;
use crate::serverfns::invitations::{
    AcceptInvitation, CreateInvitations, DEFAULT_EXPIRY_DAYS, InvitationDetails, InvitationStatus,
    InvitationTarget, InvitationView, InviteOutcome, MAX_BULK, ResendInvitation, RevokeInvitation,
    Viewer, get_invitation, list_invitations,
};

/// Invite form, the per-address result of the last paste, and the pending invitations.
#[component]
pub fn InvitationsPage() -> impl IntoView {
    let slug = use_slug();
    let invite = form_action::<CreateInvitations>();
    let revoke = form_action::<RevokeInvitation>();
    let resend = form_action::<ResendInvitation>();
    let pending = Resource::new(
        move || {
            (
                slug(),
                invite.version().get() + revoke.version().get() + resend.version().get(),
            )
        },
        |(slug, _)| list_invitations(slug),
    );
    let slug = use_slug();
    let form_slug = slug();
    let value = invite.value();
    let typed = Typed::of::<CreateInvitations>();
    let role = typed.get("role", Role::Member.as_str());
    view! {
        <h2 class="text-lg font-semibold">"Invite people"</h2>
        <ActionForm action=invite attr:class="mt-3 max-w-xl space-y-3" attr:data-testid="invite-form">
            <input type="hidden" name="slug" value=form_slug />
            <div>
                <label for="emails" class=LABEL>"Email addresses"</label>
                <textarea id="emails" name="emails" rows="4" required class=INPUT placeholder="one@university.edu, or paste a list: one per line">{typed.get("emails", "")}</textarea>
                <p class=HINT>{format!("One address, or up to {MAX_BULK} separated by new lines, commas or spaces.")}</p>
                <FieldError value field="emails" />
            </div>
            <div class="grid gap-3 sm:grid-cols-3">
                <div>
                    <label for="invite-role" class=LABEL>"Role"</label>
                    <select id="invite-role" name="role" class=INPUT>
                        {Role::GRANTABLE.into_iter().map(|r| view! { <option value=r.as_str() selected=role == r.as_str()>{r.label()}</option> }).collect_view()}
                    </select>
                    <FieldError value field="role" />
                </div>
                <div>
                    <label for="expires_days" class=LABEL>"Link works for (days)"</label>
                    <input id="expires_days" name="expires_days" type="number" min="1" max="30" value=typed.get("expires_days", DEFAULT_EXPIRY_DAYS.to_string()) class=INPUT />
                    <FieldError value field="expires_days" />
                </div>
                <div>
                    <label for="ends_on" class=LABEL>"Membership ends on"</label>
                    <input id="ends_on" name="ends_on" type="date" class=INPUT value=typed.get("ends_on", "") />
                    <p class=HINT>"Optional: for courses and workshops."</p>
                    <FieldError value field="ends_on" />
                </div>
            </div>
            <button type="submit" class=PRIMARY>"Send invitations"</button>
            <FormError value fields=&["emails", "role", "expires_days", "ends_on"] />
        </ActionForm>
        {move || value.get().and_then(Result::ok).map(|rows| {
            let invited = rows.iter().filter(|r| r.outcome == InviteOutcome::Invited).count();
            view! {
                <section class="mt-4 max-w-xl" aria-live="polite">
                    <p class="text-sm font-medium" data-testid="invite-summary">{format!("{invited} of {} invited", rows.len())}</p>
                    <table class=TABLE data-testid="invite-results">
                        <thead><tr><th>"Address"</th><th>"Result"</th></tr></thead>
                        <tbody>
                            {rows.into_iter().map(|r| view! {
                                <tr class="border-t border-slate-200 dark:border-slate-800">
                                    <td class="py-1 font-mono">{r.input}</td>
                                    <td class="py-1" data-outcome=r.outcome.label()>{r.outcome.label()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </section>
            }
        })}
        <h2 class="mt-8 text-lg font-semibold">"Pending invitations"</h2>
        <FormError value=revoke.value() />
        <FormError value=resend.value() />
        {guarded(pending, move |rows| {
            let slug = slug();
            if rows.is_empty() {
                return view! { <p class="mt-2 text-sm">"None."</p> }.into_any();
            }
            view! {
                <table class=TABLE data-testid="pending-invitations">
                    <thead><tr><th>"Address"</th><th>"Role"</th><th>"Status"</th><th>"Expires"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                    <tbody>
                        {rows.into_iter().map(|i| {
                            let (id_a, id_b) = (i.id.to_string(), i.id.to_string());
                            let (slug_a, slug_b) = (slug.clone(), slug.clone());
                            let email = i.email.clone();
                            view! {
                                <tr class="border-t border-slate-200 dark:border-slate-800" data-invitation=email>
                                    <td class="py-2 font-mono">{i.email}</td>
                                    <td class="py-2">{i.role.label()}</td>
                                    <td class="py-2">{i.status.label()}</td>
                                    <td class="py-2">{i.expires_on}</td>
                                    <td class="py-2">
                                        <div class="flex gap-1">
                                            <ActionForm action=resend>
                                                <input type="hidden" name="slug" value=slug_a />
                                                <input type="hidden" name="id" value=id_a />
                                                <button type="submit" class=BUTTON>"Resend"</button>
                                            </ActionForm>
                                            <ActionForm action=revoke>
                                                <input type="hidden" name="slug" value=slug_b />
                                                <input type="hidden" name="id" value=id_b />
                                                <button type="submit" class=BUTTON>"Revoke"</button>
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

/// Where an invitation link leads (`?token=`, from the mail) or, after signing in, its
/// reference (`?ref=`): what it is for, and a button to accept for the person it was sent
/// to. Signing in carries only the reference, never the token.
#[component]
pub fn AcceptInvitationPage() -> impl IntoView {
    let query = use_query_map();
    let key = move || {
        let q = query.read();
        (
            q.get("token").unwrap_or_default(),
            q.get("ref").unwrap_or_default(),
        )
    };
    let invitation = Resource::new(key, |(token, reference)| get_invitation(token, reference));
    // An accepted invitation opens what it was for (`accept_invitation` redirects there).
    let accept = form_action::<AcceptInvitation>();
    view! {
        <Title text="Invitation" />
        <h1 class="text-2xl font-bold tracking-tight">"Invitation"</h1>
        {move || guarded(invitation, move |inv| invitation_body(inv, accept))}
    }
}

fn invitation_body(inv: InvitationView, accept: ServerAction<AcceptInvitation>) -> AnyView {
    let next = format!("/invitations/accept?ref={}", inv.reference);
    let sign_in = format!("/signin?next={}", urlencode(&next));
    let Some(InvitationDetails {
        target,
        email,
        status,
        already_in,
    }) = inv.details
    else {
        // A reference opened by someone who is not the invitee (or by nobody signed in):
        // nothing about the invitation is shown.
        return match inv.viewer {
            Viewer::Anonymous => view! {
                <p class="mt-4">"Sign in to see this invitation."</p>
                <p class="mt-4"><a class=PRIMARY href=sign_in>"Sign in"</a></p>
            }
            .into_any(),
            _ => wrong_account(None),
        };
    };
    let (what, place, button) = match &target {
        InvitationTarget::Community { slug, name, role } => (
            format!("join {name} as {}", role.label().to_lowercase()),
            format!("/communities/{slug}"),
            "Accept and join",
        ),
        InvitationTarget::Institution { id, name } => (
            format!("become an admin of {name}"),
            format!("/institutions/{id}"),
            "Accept and become an admin",
        ),
    };
    let body = match (status, inv.viewer, already_in) {
        (InvitationStatus::Accepted, _, _) => view! { <p class="mt-4" data-testid="invitation-state">"This invitation has been used already."</p> }.into_any(),
        (InvitationStatus::Revoked, _, _) => view! { <p class="mt-4" data-testid="invitation-state">"This invitation was withdrawn."</p> }.into_any(),
        (InvitationStatus::Expired, _, _) => view! { <p class="mt-4" data-testid="invitation-state">"This invitation has expired. Ask for a new one."</p> }.into_any(),
        (_, Viewer::Invitee, true) => view! {
            <p class="mt-4">"You are in already. " <A href=place attr:class="underline">"Go there"</A></p>
        }.into_any(),
        (_, Viewer::Invitee, false) => view! {
            <ActionForm action=accept attr:class="mt-6">
                <input type="hidden" name="reference" value=inv.reference.clone() />
                <button type="submit" class=PRIMARY>{button}</button>
                <FormError value=accept.value() />
            </ActionForm>
        }.into_any(),
        (_, Viewer::Anonymous, _) => view! {
            <p class="mt-6"><a class=PRIMARY href=sign_in>"Sign in to accept"</a></p>
            <p class=HINT>{format!("Sign in with {email}: only that address can accept. New to Stoa? An email link to it creates your account.")}</p>
        }.into_any(),
        (_, Viewer::OtherAccount, _) => wrong_account(Some(email.clone())),
    };
    view! {
        <p class="mt-4" data-testid="invitation-summary">"You are invited to " {what} "."</p>
        <p class="text-sm text-slate-600 dark:text-slate-400">"Sent to " {email}</p>
        {body}
    }
    .into_any()
}

/// The page for a signed-in person without the invited address: what to do instead.
fn wrong_account(email: Option<String>) -> AnyView {
    let to = email.unwrap_or_else(|| "the address the invitation was sent to".to_owned());
    view! {
        <section class="mt-6 max-w-xl" data-testid="invitation-wrong-account">
            <h2 class="text-lg font-semibold">"This invitation is for another email address"</h2>
            <p class="mt-2">"Only the person it was sent to can accept it, and the account you are signed in with does not have that address."</p>
            <ol class="mt-2 list-decimal pl-6">
                <li>"Sign out."</li>
                <li>{format!("Sign in with {to}: ask for an email link to it on the sign-in page (that creates an account if there is none).")}</li>
                <li>"Open the invitation link again and accept."</li>
            </ol>
            <p class="mt-2 text-sm">"If you want this account to join instead, ask whoever invited you to invite this account's address."</p>
        </section>
    }
    .into_any()
}
