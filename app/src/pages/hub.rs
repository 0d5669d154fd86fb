//! A community's hub: what members get (environments, how to log in), and for its admins the
//! settings by section, each saved as a new revision, the history with diffs, the homepage
//! preview, rollback and apply. Every form is a plain HTML form (no page code runs in the
//! browser); Markdown, diffs and YAML are made on the server.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::forms::{
    BUTTON, FieldError, FormError, HINT, INPUT, LABEL, PRIMARY, Saved, TABLE, Typed, form_action,
    guarded,
};
use crate::error::AppError;
use crate::pages::community::use_slug;
use crate::policy::Role;
use crate::serverfns::hub::{
    ApplyRevision, EnvironmentForm, HubView, InterveneHubChange, RemoveEnvironment, RollbackHub,
    SaveEnvironment, SaveEvent, SaveHomepage, SaveLogin, SaveServer, SaveStaff, SetHubRunning,
    UseReplacement, get_hub, get_hub_diff, get_hub_preview,
};
use stoa_model::hub::{CatalogNotice, HubDetail, HubPreview, HubSaved, HubStatus};

const SECTION: &str = "mt-8 space-y-3";
const H3: &str = "text-base font-semibold";
const DETAILS: &str = "rounded-md border border-slate-200 p-4 dark:border-slate-800";
const SUMMARY: &str = "cursor-pointer font-medium";

/// The hub tab.
#[component]
pub fn HubPage() -> impl IntoView {
    let slug = use_slug();
    let hub = Resource::new(slug, get_hub);
    view! {
        <h2 class="text-lg font-semibold">"Hub"</h2>
        {guarded(hub, move |h: HubView| view! { <Hub h /> })}
    }
    .into_any()
}

#[component]
fn Hub(h: HubView) -> impl IntoView {
    let slug = use_slug()();
    let status = match (h.latest, &h.applied) {
        (0, _) => "No settings saved yet: the hub starts from the defaults below.".to_owned(),
        (latest, None) => {
            format!("Revision {latest} is the latest. No revision has been applied yet.")
        }
        (latest, Some((n, at))) if *n == latest => {
            format!("Revision {latest} is the latest and the one applied (asked for on {at}).")
        }
        (latest, Some((n, at))) => format!(
            "Revision {n} is applied (asked for on {at}); revision {latest} is newer and not applied yet."
        ),
    };
    view! {
        <p class="mt-2" data-testid="hub-status">{status}</p>
        <CatalogNotices slug=slug.clone() notices=h.catalog_notices can_edit=h.can_edit />
        <Running slug=slug.clone() status=h.status.clone() />
        <section class=SECTION aria-labelledby="hub-environments">
            <h3 id="hub-environments" class=H3>"Environments"</h3>
            <table class=TABLE data-testid="hub-environments">
                <thead><tr><th>"Name"</th><th>"Image"</th><th>"Size"</th><th>"Who"</th></tr></thead>
                <tbody>
                    {h.summary.environments.into_iter().map(|e| view! {
                        <tr class="border-t border-slate-200 align-top dark:border-slate-800">
                            <td class="py-2 pr-3">
                                <span class="font-medium">{e.display_name}</span>
                                {e.default.then_some(" (default)")}
                                <p class="whitespace-pre-line text-xs text-slate-600 dark:text-slate-400">{e.description}</p>
                            </td>
                            <td class="py-2 pr-3 text-xs break-all"><span class="font-mono">{e.image}</span>
                                {e.catalog.map(|(entry, words)| view! { <br /><a class="underline" href=format!("/catalog/{entry}")>{format!("{words} from the catalog")}</a> })}
                            </td>
                            <td class="py-2 pr-3">{e.size}</td>
                            <td class="py-2">{if e.roles.is_empty() { "Everyone".to_owned() } else { e.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ") }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="text-sm">"A new server opens in: " {h.summary.interface}</p>
        </section>
        <section class=SECTION aria-labelledby="hub-login">
            <h3 id="hub-login" class=H3>"Who may log in"</h3>
            <ul class="list-disc pl-5 text-sm" data-testid="hub-login">
                {h.summary.login.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
            </ul>
        </section>
        {h.detail.map(|d| view! { <Manage slug latest=h.latest applied=h.applied.map(|a| a.0) running=h.status.deployed.filter(|_| h.status.running) can_edit=h.can_edit can_edit_staff=h.can_edit_staff d /> })}
    }
    .into_any()
}

/// Environments on a catalog version that is deprecated or has a security notice, with the
/// recommended version as a one-click new revision.
#[component]
fn CatalogNotices(slug: String, notices: Vec<CatalogNotice>, can_edit: bool) -> impl IntoView {
    let replace = form_action::<UseReplacement>();
    (!notices.is_empty()).then(|| view! {
        <section class="mt-4 space-y-3" aria-label="Catalog notices" data-testid="catalog-notices">
            <FormError value=replace.value() />
            {notices.into_iter().map(|n| {
                let slug = slug.clone();
                let environment = n.environment.clone();
                let action = match (n.replacement.clone(), n.moved_in) {
                    (_, Some(rev)) => Some(view! { <p class="text-sm">{format!("Revision {rev} moves it on; apply it below.")}</p> }.into_any()),
                    (Some(r), None) if can_edit => Some(view! {
                        <ActionForm action=replace attr:class="mt-2">
                            <input type="hidden" name="slug" value=slug />
                            <input type="hidden" name="env_slug" value=environment />
                            <button type="submit" class=PRIMARY>{format!("Move to {r}")}</button>
                        </ActionForm>
                    }.into_any()),
                    (Some(r), None) => Some(view! { <p class="text-sm">{format!("The catalog recommends {r} instead; the hub's admins can move to it.")}</p> }.into_any()),
                    (None, None) => None,
                };
                view! {
                    <div class="rounded-md border border-amber-300 bg-amber-50 p-3 text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100" role="note" data-notice-for=n.environment.clone()>
                        <p class="font-medium">{format!("Environment '{}': {}.", n.environment, n.headline)}
                            " " <a class="underline" href=format!("/catalog/{}", n.entry_slug)>"Catalog entry"</a></p>
                        {(!n.security_notice.is_empty()).then(|| view! { <p class="mt-1 whitespace-pre-line text-sm">{format!("Security notice: {}", n.security_notice)}</p> })}
                        {action}
                    </div>
                }
            }).collect_view()}
        </section>
    })
}

/// The running hub: its address, start and stop, and the timeline of recent changes. While a
/// change is on its way the page refreshes itself every few seconds (a plain meta refresh:
/// no page code runs in the browser, and a reader without JavaScript sees it move too).
#[component]
fn Running(slug: String, status: HubStatus) -> impl IntoView {
    let run = form_action::<SetHubRunning>();
    let intervene = form_action::<InterveneHubChange>();
    let HubStatus {
        url,
        headline,
        in_progress,
        can_operate,
        can_intervene,
        running,
        changes,
        ..
    } = status;
    let slug_run = slug.clone();
    view! {
        {in_progress.then(|| view! { <leptos_meta::Meta http_equiv="refresh" content="3" /> })}
        <section class=SECTION aria-labelledby="hub-running" data-testid="hub-running">
            <h3 id="hub-running" class=H3>"The hub"</h3>
            <p><span class="font-medium" data-testid="hub-headline">{headline}</span>
                {url.map(|u| { let text = format!("Open {u}"); view! { " · " <a class="underline" href=u data-testid="hub-url" rel="noopener">{text}</a> } })}
            </p>
            <Saved value=run.value() text="Requested." />
            <FormError value=run.value() />
            <Saved value=intervene.value() text="Done." />
            <FormError value=intervene.value() />
            {can_operate.then(|| view! {
                <ActionForm action=run attr:class="inline">
                    <input type="hidden" name="slug" value=slug_run />
                    <input type="hidden" name="run" value=(!running).to_string() />
                    <button type="submit" class=BUTTON>{if running { "Stop the hub" } else { "Start the hub" }}</button>
                </ActionForm>
            })}
            {(!changes.is_empty()).then(|| view! {
                <ol class="space-y-3" data-testid="hub-changes">
                    {changes.into_iter().map(|c| {
                        let slug = slug.clone();
                        let staff = can_intervene.then(|| view! {
                            <ActionForm action=intervene attr:class="inline">
                                <input type="hidden" name="slug" value=slug />
                                <input type="hidden" name="change" value=c.id />
                                {if c.finished {
                                    view! { <button type="submit" name="intent" value="rerun" class=BUTTON>"Run again"</button> }.into_any()
                                } else {
                                    view! { <button type="submit" name="intent" value="cancel" class=BUTTON>"Cancel"</button> }.into_any()
                                }}
                            </ActionForm>
                        });
                        view! {
                            <li class=DETAILS data-change=c.id data-state=c.state.clone()>
                                <p><span class="font-medium">{c.what}</span>": "<span data-testid="change-state">{c.state.clone()}</span>
                                    <span class="text-sm text-slate-600 dark:text-slate-400">{format!(" · asked by {} on {}", c.requested_by, c.requested_at)}</span></p>
                                {c.message.map(|m| view! { <p class="text-sm" data-testid="change-message">{m}</p> })}
                                <ol class="mt-1 flex flex-wrap gap-x-4 text-xs text-slate-600 dark:text-slate-400" aria-label="Timeline">
                                    {c.steps.into_iter().map(|(state, at, _)| view! { <li>{format!("{state} {at}")}</li> }).collect_view()}
                                </ol>
                                {staff}
                            </li>
                        }
                    }).collect_view()}
                </ol>
            })}
        </section>
    }
    .into_any()
}

/// History, editing and staff settings, for the community's admins and staff.
#[component]
fn Manage(
    slug: String,
    latest: i32,
    applied: Option<i32>,
    /// The revision the hub runs, when it runs.
    running: Option<i32>,
    can_edit: bool,
    can_edit_staff: bool,
    d: HubDetail,
) -> impl IntoView {
    let rollback = form_action::<RollbackHub>();
    let apply = form_action::<ApplyRevision>();
    let history = d.history.clone();
    let slug2 = slug.clone();
    view! {
        <section class=SECTION aria-labelledby="hub-history">
            <h3 id="hub-history" class=H3>"Revisions"</h3>
            <Saved value=rollback.value() text="Restored as a new revision." />
            <FormError value=rollback.value() />
            <Saved value=apply.value() text="Applied." />
            <FormError value=apply.value() />
            {(history.is_empty()).then(|| view! { <p class="text-sm">"None yet: the first save makes revision 1."</p> })}
            {(latest > 1).then(|| view! {
                <form method="get" action=format!("/communities/{slug}/hub/diff") class="flex flex-wrap items-end gap-2 text-sm" data-testid="hub-compare">
                    <div><label for="compare-from" class=LABEL>"Compare revision"</label>
                        <input id="compare-from" name="from" type="number" min="1" max=latest value=latest - 1 class=INPUT /></div>
                    <div><label for="compare-to" class=LABEL>"with revision"</label>
                        <input id="compare-to" name="to" type="number" min="1" max=latest value=latest class=INPUT /></div>
                    <button type="submit" class=BUTTON>"Compare"</button>
                </form>
            })}
            <table class=TABLE data-testid="hub-history">
                <thead><tr><th>"#"</th><th>"Message"</th><th>"By"</th><th>"When"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                <tbody>
                    {history.into_iter().map(|r| {
                        let slug = slug2.clone();
                        let n = r.number;
                        // A revision may be applied again unless the hub runs it: after a
                        // failed deploy, applying it again is how a community retries.
                        let apply_form = (can_edit && running != Some(n)).then(|| {
                            let slug = slug.clone();
                            view! {
                                <ActionForm action=apply attr:class="inline">
                                    <input type="hidden" name="slug" value=slug />
                                    <input type="hidden" name="number" value=n />
                                    <button type="submit" class=BUTTON>"Apply"</button>
                                </ActionForm>
                            }
                        });
                        let rollback_form = (can_edit && n < latest).then(|| {
                            let slug = slug.clone();
                            view! {
                                <ActionForm action=rollback attr:class="inline">
                                    <input type="hidden" name="slug" value=slug />
                                    <input type="hidden" name="base" value=latest />
                                    <input type="hidden" name="to" value=n />
                                    <button type="submit" class=BUTTON>{format!("Restore #{n}")}</button>
                                </ActionForm>
                            }
                        });
                        view! {
                            <tr class="border-t border-slate-200 align-top dark:border-slate-800" data-revision=n>
                                <td class="py-2 pr-3">{n}{(applied == Some(n)).then(|| view! { <span class="ml-1 rounded bg-teal-100 px-1 text-xs text-teal-900 dark:bg-teal-900 dark:text-teal-100">"applied"</span> })}</td>
                                <td class="py-2 pr-3">{r.message}</td>
                                <td class="py-2 pr-3">{r.author.unwrap_or_else(|| "a former member".into())}</td>
                                <td class="py-2 pr-3 whitespace-nowrap">{r.at}</td>
                                <td class="py-2 space-x-2 whitespace-nowrap">
                                    {(n > 1).then(|| view! { <a class="underline" href=format!("/communities/{slug}/hub/diff?from={}&to={n}", n - 1)>"Changes"</a> })}
                                    <a class="underline" href=format!("/communities/{slug}/hub/preview?revision={n}")>"Preview"</a>
                                    {apply_form}
                                    {rollback_form}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        {can_edit.then(|| view! { <Editors slug=slug.clone() latest d=d.clone() /> })}
        <StaffSettings slug latest editable=can_edit_staff d=d.clone() />
        <section class=SECTION aria-labelledby="hub-bounds">
            <h3 id="hub-bounds" class=H3>"Limits for this community"</h3>
            <ul class="list-disc pl-5 text-sm">{d.bounds.into_iter().map(|b| view! { <li>{b}</li> }).collect_view()}</ul>
        </section>
        <section class=SECTION aria-labelledby="hub-enforcement">
            <h3 id="hub-enforcement" class=H3>"What each setting does on a hub on this machine"</h3>
            <table class=TABLE>
                <thead><tr><th>"Setting"</th><th>"On the local hub"</th><th>"Why"</th></tr></thead>
                <tbody>
                    {d.enforcement.into_iter().map(|(field, meaning, why)| view! {
                        <tr class="border-t border-slate-200 dark:border-slate-800"><td class="py-1 pr-3 font-mono text-xs">{field}</td><td class="py-1 pr-3">{meaning}</td><td class="py-1">{why}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

/// The hidden fields and the message every section's form carries.
#[component]
fn Revision<T>(
    slug: String,
    latest: i32,
    #[prop(into)] value: Signal<Option<Result<T, AppError>>>,
    typed: Typed,
    id: &'static str,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    let field = format!("{id}-message");
    view! {
        <input type="hidden" name="slug" value=slug />
        <input type="hidden" name="base" value=latest />
        <div>
            <label for=field.clone() class=LABEL>"Message (optional)"</label>
            <input id=field name="message" maxlength="200" class=INPUT placeholder="What changed and why" value=typed.get("message", "") />
            <FieldError value field="message" />
        </div>
    }
    .into_any()
}

/// The sections a community admin edits.
#[component]
fn Editors(slug: String, latest: i32, d: HubDetail) -> impl IntoView {
    let f = d.form;
    let homepage = form_action::<SaveHomepage>();
    let login = form_action::<SaveLogin>();
    let server = form_action::<SaveServer>();
    let event = form_action::<SaveEvent>();
    let h = f.homepage;
    let t = Typed::of::<SaveHomepage>();
    let tl = Typed::of::<SaveLogin>();
    let ts = Typed::of::<SaveServer>();
    let te = Typed::of::<SaveEvent>();
    let interface = ts.get("interface", f.server.interface.clone());
    let (s_home, s_login, s_server, s_event) =
        (slug.clone(), slug.clone(), slug.clone(), slug.clone());
    let preview_href = format!("/communities/{slug}/hub/preview?revision=0");
    let checked = |typed: &Typed, field: &str, current: bool| {
        // A refused submission shows what was ticked then: an unticked box is not sent.
        match typed.get("slug", "\u{0}").as_str() {
            "\u{0}" => current,
            _ => typed.get(field, "") == "true",
        }
    };
    view! {
        <section class=SECTION aria-labelledby="hub-edit">
            <h3 id="hub-edit" class=H3>"Change the settings"</h3>
            <p class=HINT>"Each save makes a new revision; nothing is changed in place, and any revision can be restored."</p>
            <details class=DETAILS open=homepage.value().with_untracked(|v| v.is_some())>
                <summary class=SUMMARY>"Homepage"</summary>
                <ActionForm action=homepage attr:class="mt-3 space-y-3" attr:data-testid="hub-homepage">
                    <Revision slug=s_home latest value=homepage.value() typed=t.clone() id="homepage" />
                    <div><label for="org_name" class=LABEL>"Organisation name"</label>
                        <input id="org_name" name="org_name" required maxlength="100" class=INPUT value=t.get("org_name", h.org_name) />
                        <FieldError value=homepage.value() field="org_name" /></div>
                    <div><label for="org_url" class=LABEL>"Organisation web site"</label>
                        <input id="org_url" name="org_url" type="url" class=INPUT placeholder="https://" value=t.get("org_url", h.org_url) />
                        <FieldError value=homepage.value() field="org_url" /></div>
                    <div><label for="funded_by_name" class=LABEL>"Funded by"</label>
                        <input id="funded_by_name" name="funded_by_name" maxlength="100" class=INPUT value=t.get("funded_by_name", h.funded_by_name) />
                        <FieldError value=homepage.value() field="funded_by_name" /></div>
                    <div><label for="funded_by_url" class=LABEL>"Funder's web site"</label>
                        <input id="funded_by_url" name="funded_by_url" type="url" class=INPUT placeholder="https://" value=t.get("funded_by_url", h.funded_by_url) />
                        <FieldError value=homepage.value() field="funded_by_url" /></div>
                    <div><label for="announcement" class=LABEL>"Announcement (Markdown)"</label>
                        <textarea id="announcement" name="announcement" rows="4" class=INPUT>{t.get("announcement", h.announcement)}</textarea>
                        <p class=HINT>"Shown on the hub's front page. Links and emphasis are kept; HTML is shown as text."</p>
                        <FieldError value=homepage.value() field="announcement" /></div>
                    <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="show_logo" value="true" checked=checked(&t, "show_logo", h.show_logo) />"Show the community's logo"</label>
                    <SaveButtons label="Save homepage" />
                    <HubOutcome value=homepage.value() />
                    <FormError value=homepage.value() fields=&["message", "org_name", "org_url", "funded_by_name", "funded_by_url", "announcement"] />
                </ActionForm>
                <p class="mt-2 text-sm"><a class="underline" href=preview_href>"Preview the homepage"</a></p>
            </details>
            <Environments slug=slug latest environments=f.environments sizes=d.sizes pattern=d.image_pattern message=d.image_message />
            <details class=DETAILS open=login.value().with_untracked(|v| v.is_some())>
                <summary class=SUMMARY>"Who may log in"</summary>
                <ActionForm action=login attr:class="mt-3 space-y-3" attr:data-testid="hub-login-form">
                    <Revision slug=s_login latest value=login.value() typed=tl.clone() id="login" />
                    <p class=HINT>"Members of the community can always log in. One rule per line."</p>
                    <div><label for="email_domains" class=LABEL>"Email domains"</label>
                        <textarea id="email_domains" name="email_domains" rows="2" class=INPUT placeholder="example.edu">{tl.get("email_domains", f.login.email_domains)}</textarea>
                        <p class=HINT>"Anyone who signs in to Stoa with a verified address at one of these domains may log in, and joins the community on first login."</p>
                        <FieldError value=login.value() field="email_domains" /></div>
                    <div><label for="cilogon_idps" class=LABEL>"CILogon identity providers"</label>
                        <textarea id="cilogon_idps" name="cilogon_idps" rows="2" class=INPUT placeholder="https://idp.example.edu/idp/shibboleth">{tl.get("cilogon_idps", f.login.cilogon_idps)}</textarea>
                        <FieldError value=login.value() field="cilogon_idps" /></div>
                    <div><label for="github_rules" class=LABEL>"GitHub organisations or teams"</label>
                        <textarea id="github_rules" name="github_rules" rows="2" class=INPUT placeholder="my-org or my-org:my-team">{tl.get("github_rules", f.login.github_rules)}</textarea>
                        <p class=HINT>"Saved and checked now; they take effect once a sign-in provider tells Stoa these facts."</p>
                        <FieldError value=login.value() field="github_rules" /></div>
                    <SaveButtons label="Save login rules" />
                    <HubOutcome value=login.value() />
                    <FormError value=login.value() fields=&["message", "email_domains", "cilogon_idps", "github_rules"] />
                </ActionForm>
            </details>
            <details class=DETAILS open=server.value().with_untracked(|v| v.is_some())>
                <summary class=SUMMARY>"Servers"</summary>
                <ActionForm action=server attr:class="mt-3 space-y-3" attr:data-testid="hub-server">
                    <Revision slug=s_server latest value=server.value() typed=ts.clone() id="server" />
                    <div><label for="interface" class=LABEL>"A new server opens in"</label>
                        <select id="interface" name="interface" class=INPUT>
                            {[("lab", "JupyterLab"), ("classic", "The classic notebook"), ("rstudio", "RStudio"), ("git", "JupyterLab with content from a git repository")].into_iter().map(|(v, l)| view! { <option value=v selected=interface == v>{l}</option> }).collect_view()}
                        </select>
                        <FieldError value=server.value() field="interface" /></div>
                    <fieldset class="space-y-2"><legend class="text-sm">"Content from git (for the last choice)"</legend>
                        <label for="git_repo" class=LABEL>"Repository (https)"</label>
                        <input id="git_repo" name="git_repo" class=INPUT value=ts.get("git_repo", f.server.git_repo) />
                        <FieldError value=server.value() field="git_repo" />
                        <label for="git_branch" class=LABEL>"Branch"</label>
                        <input id="git_branch" name="git_branch" class=INPUT value=ts.get("git_branch", f.server.git_branch) />
                        <FieldError value=server.value() field="git_branch" />
                        <label for="git_path" class=LABEL>"File or folder to open"</label>
                        <input id="git_path" name="git_path" class=INPUT value=ts.get("git_path", f.server.git_path) />
                        <FieldError value=server.value() field="git_path" />
                    </fieldset>
                    <div><label for="idle_timeout_minutes" class=LABEL>"Stop idle servers after (minutes)"</label>
                        <input id="idle_timeout_minutes" name="idle_timeout_minutes" inputmode="numeric" class=INPUT value=ts.get("idle_timeout_minutes", f.server.idle_timeout_minutes) />
                        <FieldError value=server.value() field="idle_timeout_minutes" /></div>
                    <div><label for="max_age_hours" class=LABEL>"Stop every server after (hours)"</label>
                        <input id="max_age_hours" name="max_age_hours" inputmode="numeric" class=INPUT value=ts.get("max_age_hours", f.server.max_age_hours) />
                        <FieldError value=server.value() field="max_age_hours" /></div>
                    <div><label for="home_quota_gib" class=LABEL>"Home storage per person (GiB)"</label>
                        <input id="home_quota_gib" name="home_quota_gib" inputmode="numeric" class=INPUT value=ts.get("home_quota_gib", f.server.home_quota_gib) />
                        <FieldError value=server.value() field="home_quota_gib" /></div>
                    <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="options[named_servers]" value="true" checked=checked(&ts, "options[named_servers]", f.server.named_servers) />"People may run several named servers"</label>
                    <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="options[bring_your_own_image]" value="true" checked=checked(&ts, "options[bring_your_own_image]", f.server.bring_your_own_image) />"People may start any image they name"</label>
                    <SaveButtons label="Save server settings" />
                    <HubOutcome value=server.value() />
                    <FormError value=server.value() fields=&["message", "interface", "git_repo", "git_branch", "git_path", "idle_timeout_minutes", "max_age_hours", "home_quota_gib"] />
                </ActionForm>
            </details>
            <details class=DETAILS open=event.value().with_untracked(|v| v.is_some())>
                <summary class=SUMMARY>"Event (a workshop or an exam)"</summary>
                <ActionForm action=event attr:class="mt-3 space-y-3" attr:data-testid="hub-event">
                    <Revision slug=s_event latest value=event.value() typed=te.clone() id="event" />
                    <p class=HINT>"Tell staff ahead how many people will use the hub at once, so it is ready. Leave all three empty for no event."</p>
                    <div><label for="expected_users" class=LABEL>"People at the same time"</label>
                        <input id="expected_users" name="expected_users" inputmode="numeric" class=INPUT value=te.get("expected_users", f.event.expected_users) />
                        <FieldError value=event.value() field="expected_users" /></div>
                    <div><label for="starts_on" class=LABEL>"First day"</label>
                        <input id="starts_on" name="starts_on" type="date" class=INPUT value=te.get("starts_on", f.event.starts_on) />
                        <FieldError value=event.value() field="starts_on" /></div>
                    <div><label for="ends_on" class=LABEL>"Last day"</label>
                        <input id="ends_on" name="ends_on" type="date" class=INPUT value=te.get("ends_on", f.event.ends_on) />
                        <FieldError value=event.value() field="ends_on" /></div>
                    <SaveButtons label="Save event" />
                    <HubOutcome value=event.value() />
                    <FormError value=event.value() fields=&["message", "expected_users", "starts_on", "ends_on"] />
                </ActionForm>
            </details>
        </section>
    }
    .into_any()
}

/// Each environment's form, and one to add an environment.
#[component]
fn Environments(
    slug: String,
    latest: i32,
    environments: Vec<EnvironmentForm>,
    sizes: Vec<(String, String)>,
    pattern: String,
    message: String,
) -> impl IntoView {
    let save = form_action::<SaveEnvironment>();
    let remove = form_action::<RemoveEnvironment>();
    let typed = Typed::of::<SaveEnvironment>();
    // The outcome belongs to the form whose `original` was sent; the others stay quiet.
    let sent_original = typed.get("original", "\u{0}");
    let outcome_for = move |original: &str| -> Signal<Option<Result<HubSaved, AppError>>> {
        let mine = sent_original == original
            || (sent_original == "\u{0}"
                && save.value().with_untracked(|v| v.is_some())
                && original.is_empty());
        if mine {
            save.value().into()
        } else {
            Signal::derive(|| None)
        }
    };
    let new_form = EnvironmentForm::default();
    view! {
        <details class=DETAILS open=save.value().with_untracked(|v| v.is_some()) || remove.value().with_untracked(|v| v.is_some())>
            <summary class=SUMMARY>"Environments"</summary>
            <Saved value=remove.value() text="Removed; saved as a new revision." />
            <FormError value=remove.value() />
            <div class="mt-3 space-y-6">
                {environments.into_iter().map(|e| {
                    let original = e.slug.clone();
                    let value = outcome_for(&original);
                    let mine = value.with_untracked(|v| v.is_some());
                    let typed = if mine { typed.clone() } else { Typed::default() };
                    let (name, marker, remove_slug) = (e.display_name.clone(), original.clone(), original.clone());
                    let (slug_a, slug_b) = (slug.clone(), slug.clone());
                    let (sizes, pattern, message) = (sizes.clone(), pattern.clone(), message.clone());
                    view! {
                        <div class="rounded border border-slate-200 p-3 dark:border-slate-800" data-environment=marker>
                            <h4 class="font-medium">{name}</h4>
                            <EnvironmentFields slug=slug_a latest original e typed value sizes pattern message action=save />
                            <ActionForm action=remove attr:class="mt-2">
                                <input type="hidden" name="slug" value=slug_b />
                                <input type="hidden" name="base" value=latest />
                                <input type="hidden" name="message" value="" />
                                <input type="hidden" name="env_slug" value=remove_slug />
                                <button type="submit" class=BUTTON>"Remove this environment"</button>
                            </ActionForm>
                        </div>
                    }
                }).collect_view()}
                <div class="rounded border border-dashed border-slate-300 p-3 dark:border-slate-700" data-testid="add-environment">
                    <h4 class="font-medium">"Add an environment"</h4>
                    {
                        let value = outcome_for("");
                        let mine = value.with_untracked(|v| v.is_some());
                        let typed = if mine { typed.clone() } else { Typed::default() };
                        view! { <EnvironmentFields slug=slug.clone() latest original=String::new() e=new_form typed value sizes=sizes.clone() pattern=pattern.clone() message=message.clone() action=save /> }
                    }
                </div>
            </div>
        </details>
    }
    .into_any()
}

#[component]
fn EnvironmentFields(
    slug: String,
    latest: i32,
    original: String,
    e: EnvironmentForm,
    typed: Typed,
    value: Signal<Option<Result<HubSaved, AppError>>>,
    sizes: Vec<(String, String)>,
    pattern: String,
    message: String,
    action: ServerAction<SaveEnvironment>,
) -> impl IntoView {
    // Ids must be unique on the page: each environment's form has its own prefix.
    let key = if original.is_empty() {
        "new".to_owned()
    } else {
        format!("env-{original}")
    };
    let id = move |f: &str| format!("{key}-{f}");
    let refused = typed.get("slug", "\u{0}") != "\u{0}";
    let size = typed.get("size", e.size.clone());
    let roles: Vec<(Role, &'static str, bool)> = [
        (Role::Owner, "roles[owner]"),
        (Role::Admin, "roles[admin]"),
        (Role::Billing, "roles[billing]"),
        (Role::Member, "roles[member]"),
    ]
    .into_iter()
    .map(|(role, field)| {
        let on = if refused {
            typed.get(field, "") == "true"
        } else {
            e.roles.contains(&role)
        };
        (role, field, on)
    })
    .collect();
    let default = if refused {
        typed.get("default", "") == "true"
    } else {
        e.default
    };
    let fields = &[
        "message",
        "env_slug",
        "display_name",
        "description",
        "image",
        "size",
        "default",
        "roles",
    ];
    view! {
        <ActionForm action attr:class="mt-2 space-y-3">
            <input type="hidden" name="slug" value=slug />
            <input type="hidden" name="base" value=latest />
            <input type="hidden" name="original" value=original.clone() />
            <div><label for=id("display_name") class=LABEL>"Name"</label>
                <input id=id("display_name") name="display_name" required maxlength="80" class=INPUT value=typed.get("display_name", e.display_name.clone()) />
                <FieldError value field="display_name" /></div>
            <div><label for=id("env_slug") class=LABEL>"Short name"</label>
                <input id=id("env_slug") name="env_slug" required maxlength="63" class=INPUT placeholder="pangeo" value=typed.get("env_slug", e.slug.clone()) />
                <p class=HINT>"Lowercase letters, digits and hyphens; unique on this hub."</p>
                <FieldError value field="env_slug" /></div>
            <div><label for=id("description") class=LABEL>"Description"</label>
                <textarea id=id("description") name="description" rows="2" class=INPUT>{typed.get("description", e.description.clone())}</textarea>
                <FieldError value field="description" /></div>
            <div><label for=id("image") class=LABEL>"Image"</label>
                <input id=id("image") name="image" required class=INPUT pattern=pattern placeholder="quay.io/jupyter/scipy-notebook:2026-04-27" value=typed.get("image", e.image.clone()) />
                <p class=HINT>{message}</p>
                <FieldError value field="image" /></div>
            <div><label for=id("size") class=LABEL>"Size"</label>
                <select id=id("size") name="size" class=INPUT>
                    {sizes.into_iter().map(|(v, l)| { let selected = size == v; view! { <option value=v selected=selected>{l}</option> } }).collect_view()}
                </select>
                <FieldError value field="size" /></div>
            <fieldset><legend class="text-sm font-medium">"Only for (none ticked: everyone)"</legend>
                <div class="flex flex-wrap gap-3 text-sm">
                    {roles.into_iter().map(|(role, field, on)| view! {
                        <label class="flex items-center gap-1"><input type="checkbox" name=field value="true" checked=on />{role.label()}</label>
                    }).collect_view()}
                </div>
                <FieldError value field="roles" />
            </fieldset>
            <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="default" value="true" checked=default />"Preselected (the default)"</label>
            <FieldError value field="default" />
            <div><label for=id("message") class=LABEL>"Message (optional)"</label>
                <input id=id("message") name="message" maxlength="200" class=INPUT value=typed.get("message", "") />
                <FieldError value field="message" /></div>
            <SaveButtons label=if original.is_empty() { "Add environment" } else { "Save environment" } />
            <HubOutcome value />
            <FormError value fields />
        </ActionForm>
    }
    .into_any()
}

/// The staff-only settings: a form for staff, read-only for the community.
#[component]
fn StaffSettings(slug: String, latest: i32, editable: bool, d: HubDetail) -> impl IntoView {
    let save = form_action::<SaveStaff>();
    let t = Typed::of::<SaveStaff>();
    let s = d.staff;
    let value = save.value();
    view! {
        <section class=SECTION aria-labelledby="hub-staff">
            <h3 id="hub-staff" class=H3>"Set by staff"</h3>
            <p class=HINT>"GPUs and machine pools, a custom domain and this community's limits need work by the service team; ask them through support."</p>
            {if editable {
                view! {
                    <ActionForm action=save attr:class="space-y-3" attr:data-testid="hub-staff-form">
                        <Revision slug latest value typed=t.clone() id="staff" />
                        <div><label for="custom_domain" class=LABEL>"Custom domain"</label>
                            <input id="custom_domain" name="custom_domain" class=INPUT placeholder="hub.example.org" value=t.get("custom_domain", s.custom_domain) />
                            <FieldError value field="custom_domain" /></div>
                        <div><label for="node_selectors" class=LABEL>"Node selectors (environment key=value, one per line)"</label>
                            <textarea id="node_selectors" name="node_selectors" rows="2" class=INPUT>{t.get("node_selectors", s.node_selectors)}</textarea>
                            <FieldError value field="node_selectors" /></div>
                        <div><label for="extra_resource_limits" class=LABEL>"Extra resources (environment key=value, one per line)"</label>
                            <textarea id="extra_resource_limits" name="extra_resource_limits" rows="2" class=INPUT placeholder="gpu nvidia.com/gpu=1">{t.get("extra_resource_limits", s.extra_resource_limits)}</textarea>
                            <FieldError value field="extra_resource_limits" /></div>
                        <div><label for="bounds" class=LABEL>"Limits (name=value, one per line; empty: the defaults)"</label>
                            <textarea id="bounds" name="bounds" rows="3" class=INPUT placeholder="max_home_quota_gib=100">{t.get("bounds", s.bounds)}</textarea>
                            <FieldError value field="bounds" /></div>
                        <SaveButtons label="Save staff settings" />
                        <HubOutcome value />
                        <FormError value fields=&["message", "custom_domain", "node_selectors", "extra_resource_limits", "bounds"] />
                    </ActionForm>
                }.into_any()
            } else {
                view! {
                    <dl class="text-sm" data-testid="hub-staff-readonly">
                        <dt class="font-medium">"Custom domain"</dt><dd>{if s.custom_domain.is_empty() { "None".to_owned() } else { s.custom_domain }}</dd>
                        <dt class="mt-2 font-medium">"Node selectors"</dt><dd class="whitespace-pre-line font-mono text-xs">{if s.node_selectors.is_empty() { "None".to_owned() } else { s.node_selectors }}</dd>
                        <dt class="mt-2 font-medium">"Extra resources"</dt><dd class="whitespace-pre-line font-mono text-xs">{if s.extra_resource_limits.is_empty() { "None".to_owned() } else { s.extra_resource_limits }}</dd>
                        <dt class="mt-2 font-medium">"Limits changed for this community"</dt><dd class="whitespace-pre-line font-mono text-xs">{if s.bounds.is_empty() { "None".to_owned() } else { s.bounds }}</dd>
                    </dl>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}

fn query_number(name: &'static str) -> impl Fn() -> i32 + Clone + Send + Sync + 'static {
    let query = use_query_map();
    move || {
        query
            .read()
            .get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

/// What changed between two revisions, in words and as YAML.
#[component]
pub fn HubDiffPage() -> impl IntoView {
    let slug = use_slug();
    let (from, to) = (query_number("from"), query_number("to"));
    let diff = Resource::new(
        move || (slug(), from(), to()),
        |(s, f, t)| get_hub_diff(s, f, t),
    );
    let slug = use_slug();
    view! {
        <Title text="Hub changes" />
        <p><a class="underline" href=move || format!("/communities/{}/hub", slug())>"Back to the hub"</a></p>
        {guarded(diff, |d| view! {
            <h2 class="mt-3 text-lg font-semibold">{format!("From revision {} to revision {}", d.from, d.to)}</h2>
            {d.changes.is_empty().then(|| view! { <p class="mt-2">"No differences."</p> })}
            <ul class="mt-3 list-disc pl-5" data-testid="hub-changes">{d.changes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
            <h3 class="mt-6 text-base font-semibold">"As YAML"</h3>
            <pre class="mt-2 overflow-x-auto rounded bg-slate-100 p-3 text-xs dark:bg-slate-900" data-testid="hub-yaml-diff">{d.yaml}</pre>
            <h3 class="mt-6 text-base font-semibold">"As Zero to JupyterHub Helm values"</h3>
            <p class=HINT>"What would change on a hub on Kubernetes, after the chart's schema check."</p>
            <pre class="mt-2 overflow-x-auto rounded bg-slate-100 p-3 text-xs dark:bg-slate-900" data-testid="hub-rendered-diff">{d.rendered}</pre>
        })}
    }
    .into_any()
}

/// The hub's homepage as a revision would render it.
#[component]
pub fn HubPreviewPage() -> impl IntoView {
    let slug = use_slug();
    let revision = query_number("revision");
    let preview = Resource::new(move || (slug(), revision()), |(s, n)| get_hub_preview(s, n));
    let slug = use_slug();
    view! {
        <Title text="Hub homepage preview" />
        <p><a class="underline" href=move || format!("/communities/{}/hub", slug())>"Back to the hub"</a></p>
        {guarded(preview, |p| view! {
            <p class="mt-3 text-sm text-slate-600 dark:text-slate-400">{format!("Revision {}, as the hub's front page will show it", p.number)}</p>
            <PreviewBox p />
        })}
    }
    .into_any()
}

/// The hub's front page as `p` renders it.
#[component]
fn PreviewBox(p: HubPreview) -> impl IntoView {
    view! {
        <div class="mt-3 rounded-lg border border-slate-200 p-6 dark:border-slate-800" data-testid="hub-preview">
        <div class="flex items-center gap-3">
            {p.logo.map(|src| view! { <img src=src alt="" width="48" height="48" class="h-12 w-12 rounded object-cover" /> })}
            <h2 class="text-xl font-semibold">{match p.org_url { Some(url) => view! { <a class="underline" href=url rel="noopener noreferrer nofollow">{p.org_name}</a> }.into_any(), None => view! { <span>{p.org_name}</span> }.into_any() }}</h2>
        </div>
        // Made by stoa_hubs::announcement_html on the server: Markdown rendered, then
        // sanitised by ammonia (no raw HTML, no scripts, safe links only).
        <div class="prose mt-4 max-w-none dark:prose-invert" data-testid="hub-announcement" inner_html=p.announcement_html></div>
        {p.funded_by_name.map(|name| view! {
            <p class="mt-4 text-sm">"Funded by "{match p.funded_by_url { Some(url) => view! { <a class="underline" href=url rel="noopener noreferrer nofollow">{name}</a> }.into_any(), None => view! { <span>{name}</span> }.into_any() }}</p>
        })}
    </div>
    }
    .into_any()
}

/// After a section's form: the revision saved, or (after "Show changes") what saving would
/// change and, for the homepage, how it would look.
#[component]
fn HubOutcome(#[prop(into)] value: Signal<Option<Result<HubSaved, AppError>>>) -> impl IntoView {
    move || {
        value.with(|v| match v {
            Some(Ok(HubSaved { number: Some(n), .. })) => Some(view! {
                <p role="status" class="mt-2 text-sm text-teal-800 dark:text-teal-300">{format!("Saved as revision {n}.")}</p>
            }.into_any()),
            Some(Ok(HubSaved { number: None, changes, preview })) => {
                let (changes, preview) = (changes.clone(), preview.clone());
                Some(view! {
                    <div role="status" class="mt-2 space-y-2 text-sm" data-testid="hub-check">
                        <p class="font-medium">{if changes.is_empty() { "Nothing would change." } else { "Not saved yet. Saving would change:" }}</p>
                        <ul class="list-disc pl-5">{changes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
                        {preview.map(|p| view! { <PreviewBox p /> })}
                    </div>
                }.into_any())
            }
            _ => None,
        })
    }
}

/// A section's two submit buttons: save, or (`intent=check`) show what saving would change.
#[component]
fn SaveButtons(label: &'static str) -> impl IntoView {
    view! {
        <div class="flex gap-2">
            <button type="submit" class=PRIMARY>{label}</button>
            <button type="submit" name="intent" value="check" class=BUTTON>"Show changes"</button>
        </div>
    }
}
