//! Support: a community's tickets and the form to open one, a ticket's page, and the staff
//! queue. Internal notes and the team's controls reach the page only in a staff member's
//! view (the service leaves them out of everyone else's).

use crate::pages::StaffNav;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Form};
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::forms::{
    BUTTON, FieldError, FormError, HINT, INPUT, LABEL, PRIMARY, Saved, TABLE, Typed, form_action,
    guarded, urlencode,
};
use crate::pages::community::use_slug;
use crate::serverfns::support::{
    AnswerTicket, ConsentToViewAs, DecideQuota, OpenTicket, QueueView, ReplyToTicket, RequestQuota,
    ResolveTicket, StopViewAs, TicketList, TicketView, UpdateTicket, ViewAs, get_ticket,
    list_tickets, support_queue,
};
use stoa_model::support::{QuotaChoices, QuotaView, SlaView, TicketSummary};

fn query_value(key: &'static str) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let query = use_query_map();
    move || query.read().get(key).unwrap_or_default()
}

/// The SLA clocks in a line each.
fn sla(s: SlaView) -> impl IntoView {
    let tone = if s.breached {
        "text-red-700 dark:text-red-400"
    } else {
        ""
    };
    view! {
        <span class=tone data-testid="sla" data-breached=s.breached.to_string()>
            {format!("First response: {}. Resolution: {}.", s.first_response, s.resolution)}
        </span>
    }
}

fn ticket_rows(tickets: Vec<TicketSummary>, with_community: bool) -> impl IntoView {
    view! {
        <table class=TABLE data-testid="tickets">
            <thead><tr>
                <th>"#"</th><th>"Title"</th>
                {with_community.then(|| view! { <th>"Community"</th> })}
                <th>"Impact"</th><th>"Status"</th><th>"Assignee"</th><th>"SLA"</th>
            </tr></thead>
            <tbody>
                {tickets.into_iter().map(|t| {
                    let href = format!("/communities/{}/support/{}", t.community_slug, t.number);
                    view! {
                        <tr class="border-t border-slate-200 align-top dark:border-slate-800" data-testid="ticket-row">
                            <td class="py-2 font-mono">{t.number}</td>
                            <td class="py-2"><A href=href attr:class="underline">{t.title}</A>
                                <br /><span class="text-xs text-slate-600 dark:text-slate-400">{format!("{} · opened by {} · {}", t.kind_label, t.opened_by, t.opened_at)}</span></td>
                            {with_community.then(|| view! { <td class="py-2">{t.community_name.clone()}</td> })}
                            <td class="py-2">{t.impact_label}</td>
                            <td class="py-2" data-testid="ticket-status">{t.status_label}</td>
                            <td class="py-2">{if t.assignee.is_empty() { "—".to_owned() } else { t.assignee }}</td>
                            <td class="py-2 text-xs">{sla(t.sla)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// `/communities/:slug/support`: the community's tickets and the form to open one.
#[component]
pub fn SupportPage() -> impl IntoView {
    let slug = use_slug();
    let (show, page) = (query_value("show"), query_value("page"));
    let list = Resource::new(
        move || (slug(), show(), page()),
        |(slug, show, page)| list_tickets(slug, show, page),
    );
    let slug = use_slug();
    view! {
        <h2 class="text-lg font-semibold">"Support"</h2>
        {guarded(list, move |l: TicketList| {
            let slug = slug();
            let tab = |value: &'static str, text: &'static str| {
                let current = l.show == value;
                view! {
                    <a href=format!("/communities/{slug}/support?show={value}")
                        class=if current { "font-semibold underline" } else { "underline" }
                        aria-current=current.then_some("page")>{text}</a>
                }
            };
            view! {
                <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">
                    {if l.all_of_community { "Every ticket of your community." } else { "The tickets you opened." }}
                </p>
                <nav class="mt-2 flex gap-4 text-sm" aria-label="Tickets">
                    {tab("open", "Open")}{tab("done", "Resolved and closed")}{tab("all", "All")}
                </nav>
                {if l.tickets.is_empty() {
                    view! { <p class="mt-3 text-sm" data-testid="no-tickets">"No tickets here."</p> }.into_any()
                } else {
                    ticket_rows(l.tickets, false).into_any()
                }}
                {(l.pages > 1).then(|| view! {
                    <p class="mt-2 text-sm">{format!("Page {} of {}", l.page, l.pages)} " "
                        {(l.page < l.pages).then(|| view! {
                            <a class="underline" href=format!("/communities/{slug}/support?show={}&page={}", l.show, l.page + 1)>"Next"</a>
                        })}
                    </p>
                })}
                {l.choices.map(|mut c| {
                    let quota = c.quota.take();
                    let impacts = c.impacts.clone();
                    view! {
                        <OpenForm slug=slug.clone() choices=c />
                        {quota.map(|q| view! { <QuotaForm slug=slug.clone() choices=q impacts /> })}
                    }
                })}
            }
        })}
    }
}

#[component]
fn OpenForm(slug: String, choices: stoa_model::support::Choices) -> impl IntoView {
    let open = form_action::<OpenTicket>();
    let typed = Typed::of::<OpenTicket>();
    let (kind, impact, hub) = (
        typed.get("kind", "incident"),
        typed.get("impact", "medium"),
        typed.get("hub", ""),
    );
    view! {
        <section class="mt-8 max-w-2xl" aria-labelledby="open-ticket">
            <h3 id="open-ticket" class="text-base font-semibold">"Open a ticket"</h3>
            <ActionForm action=open attr:class="mt-2 space-y-3" attr:data-testid="open-ticket">
                <input type="hidden" name="slug" value=slug />
                <label class=LABEL>"What is it?"
                    <select name="kind" class=INPUT>
                        {choices.kinds.into_iter().map(|(v, l)| {
                            let selected = v == kind;
                            view! { <option value=v selected=selected>{l}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <FieldError value=open.value() field="kind" />
                <label class=LABEL>"Impact"
                    <select name="impact" class=INPUT>
                        {choices.impacts.into_iter().map(|(v, l)| {
                            let selected = v == impact;
                            view! { <option value=v selected=selected>{l}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <FieldError value=open.value() field="impact" />
                <details class="text-xs text-slate-600 dark:text-slate-400">
                    <summary>"Our targets on your plan"</summary>
                    <ul class="mt-1 list-disc pl-5" data-testid="targets">
                        {choices.targets.into_iter().map(|(i, words)| view! { <li>{format!("{i}: {words}")}</li> }).collect_view()}
                    </ul>
                </details>
                <label class=LABEL>"Hub"
                    <select name="hub" class=INPUT>
                        <option value="" selected=hub.is_empty()>"Not about a hub"</option>
                        {choices.hubs.iter().map(|h| {
                            let selected = h.hub == hub;
                            view! { <option value=h.hub.clone() selected=selected>{h.hub.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <FieldError value=open.value() field="hub" />
                <ul class=HINT data-testid="hub-states">
                    {choices.hubs.into_iter().map(|h| view! {
                        <li>{format!("{}: {}, {}{}", h.hub, h.revision, h.health,
                            if h.last_change.is_empty() { String::new() } else { format!("; last change: {}", h.last_change) })}</li>
                    }).collect_view()}
                </ul>
                <p class=HINT>"The hub's state now is attached to the ticket, so we start with the facts."</p>
                <label class=LABEL>"Title"
                    <input name="title" required maxlength="150" value=typed.get("title", "") class=INPUT />
                </label>
                <FieldError value=open.value() field="title" />
                <label class=LABEL>"What happened, and what did you expect? (Markdown)"
                    <textarea name="body" rows="6" required maxlength="20000" class=INPUT>{typed.get("body", "")}</textarea>
                </label>
                <FieldError value=open.value() field="body" />
                <button type="submit" class=PRIMARY>"Open the ticket"</button>
                <FormError value=open.value() fields=&["kind", "impact", "hub", "title", "body"] />
            </ActionForm>
        </section>
    }
}

/// Owners and admins ask for more than their plan allows: each field empty (not asked for)
/// or the value wanted, with the limit now beside it.
#[component]
fn QuotaForm(slug: String, choices: QuotaChoices, impacts: Vec<(String, String)>) -> impl IntoView {
    let request = form_action::<RequestQuota>();
    let typed = Typed::of::<RequestQuota>();
    let impact = typed.get("impact", "low");
    let gpu_env = typed.get("gpu_environment", "");
    let QuotaChoices {
        now: limits,
        environments,
        custom_domain,
    } = choices;
    let number = {
        let typed = typed.clone();
        move |field: &'static str, label: &'static str| {
            let hint = limits
                .iter()
                .find(|(f, _)| f == field)
                .map(|(_, words)| words.clone())
                .unwrap_or_default();
            view! {
                <label class=LABEL>{label}
                    <input name=field inputmode="numeric" pattern="[0-9]*" maxlength="6" value=typed.get(field, "") class=INPUT />
                    <span class=HINT>{hint}</span>
                </label>
                <FieldError value=request.value() field=field />
            }
        }
    };
    let domain_now = if custom_domain.is_empty() {
        "None now.".to_owned()
    } else {
        format!("Now {custom_domain}.")
    };
    view! {
        <section class="mt-8 max-w-2xl" aria-labelledby="request-quota">
            <h3 id="request-quota" class="text-base font-semibold">"Ask for more than your plan allows"</h3>
            <p class=HINT>"Fill in only what you need. The support team sees the price difference from the plans, and once they approve, your hub gets a new revision with these values."</p>
            <ActionForm action=request attr:class="mt-2 grid gap-3 sm:grid-cols-2" attr:data-testid="quota-form">
                <input type="hidden" name="slug" value=slug />
                {number("memory_gib", "Largest size's memory (GiB)")}
                {number("cpu_cores", "Largest size's CPU (cores)")}
                {number("home_quota_gib", "Home quota (GiB)")}
                {number("idle_timeout_hours", "Idle timeout (hours)")}
                {number("max_age_days", "Longest server lifetime (days)")}
                {number("event_users", "People at an event at once")}
                {number("environments", "Environments in the spawn menu")}
                <label class=LABEL>"GPUs for the environment"
                    <select name="gpu_environment" class=INPUT>
                        <option value="" selected=gpu_env.is_empty()>"No GPU"</option>
                        {environments.into_iter().map(|(slug, name)| {
                            let selected = slug == gpu_env;
                            view! { <option value=slug selected=selected>{name}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <FieldError value=request.value() field="gpu_environment" />
                <label class=LABEL>"GPUs per server"
                    <input name="gpus" inputmode="numeric" pattern="[0-9]*" maxlength="2" value=typed.get("gpus", "") class=INPUT />
                </label>
                <FieldError value=request.value() field="gpus" />
                <label class=LABEL>"Custom domain"
                    <input name="custom_domain" maxlength="253" placeholder="hub.example.org" value=typed.get("custom_domain", "") class=INPUT />
                    <span class=HINT>{domain_now}</span>
                </label>
                <FieldError value=request.value() field="custom_domain" />
                <label class=LABEL>"Impact"
                    <select name="impact" class=INPUT>
                        {impacts.into_iter().map(|(v, l)| {
                            let selected = v == impact;
                            view! { <option value=v selected=selected>{l}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <FieldError value=request.value() field="impact" />
                <label class="block text-sm font-medium sm:col-span-2">"Why do you need it? (Markdown)"
                    <textarea name="body" rows="4" required maxlength="20000" class=INPUT>{typed.get("body", "")}</textarea>
                </label>
                <FieldError value=request.value() field="body" />
                <div class="sm:col-span-2">
                    <button type="submit" class=PRIMARY>"Send the request"</button>
                    <FormError value=request.value() fields=&["memory_gib", "cpu_cores", "home_quota_gib", "idle_timeout_hours", "max_age_days", "event_users", "environments", "gpu_environment", "gpus", "custom_domain", "impact", "body"] />
                </div>
            </ActionForm>
        </section>
    }
}

/// A quota request on its ticket: the values, the price difference, the decision; for staff
/// while undecided, what approval changes and the forms to decide.
#[component]
fn QuotaPanel(number: String, q: QuotaView) -> impl IntoView {
    let decide = form_action::<DecideQuota>();
    let number2 = number.clone();
    view! {
        <section class="mt-4 max-w-2xl rounded-md border border-slate-200 p-3 text-sm dark:border-slate-800" data-testid="quota-request">
            <h3 class="font-medium">"Requested"</h3>
            <ul class="mt-1 list-disc pl-5" data-testid="quota-values">
                {q.requested.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
            </ul>
            <h3 class="mt-3 font-medium">"Price difference"</h3>
            <ul class="mt-1 list-disc pl-5" data-testid="quota-prices">
                {q.prices.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
            </ul>
            {(!q.decision_words.is_empty()).then(|| view! {
                <p class="mt-3 font-medium" data-testid="quota-decision">{q.decision_words}</p>
            })}
            {q.can_decide.then(|| view! {
                <h3 class="mt-3 font-medium">"Approving makes"</h3>
                <p data-testid="quota-apply-note">{q.apply_note}</p>
                {if q.problem.is_empty() {
                    view! {
                        <ul class="mt-1 list-disc pl-5" data-testid="quota-changes">
                            {q.changes.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
                        </ul>
                    }.into_any()
                } else {
                    view! { <p class="mt-1 text-red-700 dark:text-red-400" data-testid="quota-problem">{format!("It cannot be approved as it stands: {}", q.problem)}</p> }.into_any()
                }}
                <ActionForm action=decide attr:class="mt-3 space-y-2" attr:data-testid="quota-approve">
                    <input type="hidden" name="number" value=number />
                    <input type="hidden" name="decision" value="approve" />
                    <label class=LABEL>"Note to the community (optional, Markdown)"
                        <textarea name="reason" rows="2" maxlength="20000" class=INPUT></textarea>
                    </label>
                    <button type="submit" class=PRIMARY>"Approve and make the revision"</button>
                </ActionForm>
                <ActionForm action=decide attr:class="mt-3 space-y-2" attr:data-testid="quota-decline">
                    <input type="hidden" name="number" value=number2 />
                    <input type="hidden" name="decision" value="decline" />
                    <label class=LABEL>"Why it is declined (Markdown)"
                        <textarea name="reason" rows="2" maxlength="20000" class=INPUT></textarea>
                    </label>
                    <button type="submit" class=BUTTON>"Decline"</button>
                </ActionForm>
                <FieldError value=decide.value() field="reason" />
                <FormError value=decide.value() fields=&["reason", "decision"] />
                <Saved value=decide.value() text="Decided; the community is told." />
            })}
        </section>
    }
}

/// `/communities/:slug/support/:number`: a ticket and its conversation.
#[component]
pub fn TicketPage() -> impl IntoView {
    let slug = use_slug();
    let params = use_params_map();
    let number = move || params.read().get("number").unwrap_or_default();
    let ticket = Resource::new(move || (slug(), number()), |(slug, n)| get_ticket(slug, n));
    let slug = use_slug();
    view! {
        {guarded(ticket, move |v: TicketView| view! { <TicketBody slug=slug() v /> })}
    }
}

#[component]
fn TicketBody(slug: String, v: TicketView) -> impl IntoView {
    let t = v.ticket.clone();
    let number = t.number.to_string();
    view! {
        <Title text=format!("#{} {}", t.number, t.title) />
        <p class="text-sm"><A href=format!("/communities/{slug}/support") attr:class="underline">"Support"</A>
            {v.staff.then(|| view! { " · " <A href="/staff/tickets" attr:class="underline">"Queue"</A> })}</p>
        <h2 class="mt-2 text-lg font-semibold" data-testid="ticket-title">{format!("#{} {}", t.number, t.title)}</h2>
        <dl class="mt-2 grid max-w-2xl grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
            <dt class="font-medium">"Status"</dt><dd data-testid="ticket-status">{t.status_label.clone()}</dd>
            <dt class="font-medium">"Kind"</dt><dd>{t.kind_label.clone()}</dd>
            <dt class="font-medium">"Impact"</dt><dd>{t.impact_label.clone()}</dd>
            <dt class="font-medium">"Opened"</dt><dd>{format!("{} by {}", t.opened_at, t.opened_by)}</dd>
            <dt class="font-medium">"Assignee"</dt><dd>{if t.assignee.is_empty() { "Nobody yet".to_owned() } else { t.assignee.clone() }}</dd>
            <dt class="font-medium">"SLA"</dt><dd data-testid="ticket-sla"><span class=HINT>{t.sla.targets.clone()}</span><br />{sla(t.sla)}</dd>
        </dl>
        {v.hub_state.map(|h| view! {
            <section class="mt-3 rounded-md border border-slate-200 p-3 text-sm dark:border-slate-800" data-testid="ticket-hub-state">
                <h3 class="font-medium">{format!("Hub {} when the ticket was opened", h.hub)}</h3>
                <p>{format!("{}; {}", h.revision, h.health)}</p>
                {(!h.last_change.is_empty()).then(|| view! { <p>{format!("Last change: {}", h.last_change)}</p> })}
            </section>
        })}
        {v.quota.map(|q| view! { <QuotaPanel number=number.clone() q /> })}
        <div class="prose mt-4 max-w-2xl dark:prose-invert" data-testid="ticket-body" inner_html=v.body_html></div>
        <ol class="mt-6 max-w-2xl space-y-3" data-testid="messages">
            {v.messages.into_iter().map(|m| {
                let box_class = if m.internal {
                    "rounded-md border border-amber-400 bg-amber-50 p-3 dark:bg-amber-950"
                } else if m.by_staff {
                    "rounded-md border border-teal-300 p-3 dark:border-teal-800"
                } else {
                    "rounded-md border border-slate-200 p-3 dark:border-slate-800"
                };
                view! {
                    <li class=box_class data-testid=if m.internal { "note" } else { "reply" }>
                        <p class="text-xs text-slate-600 dark:text-slate-400">
                            {format!("{} · {}", m.author, m.at)}
                            {m.internal.then(|| view! { <strong class="ml-2">"Internal note"</strong> })}
                        </p>
                        <div class="prose prose-sm mt-1 dark:prose-invert" inner_html=m.body_html></div>
                        {(!m.status_change.is_empty()).then(|| view! { <p class="mt-1 text-xs font-medium">{m.status_change}</p> })}
                    </li>
                }
            }).collect_view()}
        </ol>
        {(!v.reopen_until.is_empty()).then(|| view! {
            <p class="mt-3 text-sm" data-testid="reopen-until">{format!("Resolved. A reply before {} opens it again.", v.reopen_until)}</p>
        })}
        <ViewAsControls slug=slug.clone() number=number.clone() staff=v.staff consent=v.consent can_consent=v.can_consent opened_by=t.opened_by />
        {if v.staff {
            view! { <StaffControls number=number assignees=v.assignees statuses=v.statuses impacts=v.impacts /> }.into_any()
        } else {
            view! { <MemberControls slug=slug number=number can_reply=v.can_reply can_resolve=v.can_resolve /> }.into_any()
        }}
    }
}

#[component]
fn MemberControls(
    slug: String,
    number: String,
    can_reply: bool,
    can_resolve: bool,
) -> impl IntoView {
    let reply = form_action::<ReplyToTicket>();
    let resolve = form_action::<ResolveTicket>();
    let (slug2, number2) = (slug.clone(), number.clone());
    view! {
        {can_reply.then(|| view! {
            <ActionForm action=reply attr:class="mt-6 max-w-2xl space-y-2" attr:data-testid="reply-form">
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="number" value=number />
                <label class=LABEL>"Reply (Markdown)"
                    <textarea name="body" rows="4" required maxlength="20000" class=INPUT></textarea>
                </label>
                <FieldError value=reply.value() field="body" />
                <button type="submit" class=PRIMARY>"Send reply"</button>
                <FormError value=reply.value() fields=&["body"] />
            </ActionForm>
            <Saved value=reply.value() text="Sent; the support team is told." />
        })}
        {can_resolve.then(|| view! {
            <ActionForm action=resolve attr:class="mt-3" attr:data-testid="resolve-form">
                <input type="hidden" name="slug" value=slug2 />
                <input type="hidden" name="number" value=number2 />
                <button type="submit" class=BUTTON>"Mark resolved"</button>
                <FormError value=resolve.value() />
            </ActionForm>
        })}
    }
}

#[component]
fn StaffControls(
    number: String,
    assignees: Vec<(i64, String)>,
    statuses: Vec<(String, String)>,
    impacts: Vec<(String, String)>,
) -> impl IntoView {
    let answer = form_action::<AnswerTicket>();
    let update = form_action::<UpdateTicket>();
    let number2 = number.clone();
    let reply_statuses = statuses.clone();
    view! {
        <ActionForm action=answer attr:class="mt-6 max-w-2xl space-y-2" attr:data-testid="answer-form">
            <input type="hidden" name="number" value=number />
            <label class=LABEL>"Answer (Markdown)"
                <textarea name="body" rows="5" required maxlength="20000" class=INPUT></textarea>
            </label>
            <FieldError value=answer.value() field="body" />
            <label class="flex items-center gap-2 text-sm">
                <input type="checkbox" name="internal" />
                "Internal note: only the support team sees it (no status change, no mail)"
            </label>
            <label class=LABEL>"Status after a public reply"
                <select name="status" class=INPUT>
                    <option value="">"As the rules say (a new ticket becomes open)"</option>
                    {reply_statuses.into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
                </select>
            </label>
            <FieldError value=answer.value() field="status" />
            <button type="submit" class=PRIMARY>"Send"</button>
            <FormError value=answer.value() fields=&["body", "status"] />
        </ActionForm>
        <Saved value=answer.value() text="Sent." />
        <ActionForm action=update attr:class="mt-4 flex max-w-2xl flex-wrap items-end gap-2" attr:data-testid="update-form">
            <input type="hidden" name="number" value=number2 />
            <label class=LABEL>"Status"
                <select name="status" class=INPUT>
                    <option value="">"Unchanged"</option>
                    {statuses.into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
                </select>
            </label>
            <label class=LABEL>"Impact"
                <select name="impact" class=INPUT>
                    <option value="">"Unchanged"</option>
                    {impacts.into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
                </select>
            </label>
            <label class=LABEL>"Assignee"
                <select name="assignee" class=INPUT>
                    <option value="">"Unchanged"</option>
                    <option value="none">"Nobody"</option>
                    {assignees.into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
                </select>
            </label>
            <button type="submit" class=BUTTON>"Update"</button>
        </ActionForm>
        <FieldError value=update.value() field="status" />
        <FieldError value=update.value() field="impact" />
        <FieldError value=update.value() field="assignee" />
        <FormError value=update.value() fields=&["status", "impact", "assignee"] />
        <Saved value=update.value() text="Updated." />
    }
}

/// `/staff/tickets`: the support queue, filtered and searched.
#[component]
pub fn StaffTicketsPage() -> impl IntoView {
    let keys = (
        query_value("status"),
        query_value("impact"),
        query_value("community"),
        query_value("assignee"),
        query_value("breached"),
        query_value("q"),
        query_value("page"),
    );
    let queue = Resource::new(
        move || {
            (
                keys.0(),
                keys.1(),
                keys.2(),
                keys.3(),
                keys.4(),
                keys.5(),
                keys.6(),
            )
        },
        |(status, impact, community, assignee, breached, q, page)| {
            support_queue(status, impact, community, assignee, breached, q, page)
        },
    );
    view! {
        <Title text="Support queue" />
        <StaffNav current="/staff/tickets" />
        <h1 class="mt-2 text-2xl font-bold tracking-tight">"Support queue"</h1>
        {guarded(queue, |v: QueueView| {
            let link = {
                let v = v.clone();
                move |page: i64| format!(
                    "/staff/tickets?status={}&impact={}&community={}&assignee={}&breached={}&q={}&page={page}",
                    urlencode(&v.status), urlencode(&v.impact), urlencode(&v.community),
                    urlencode(&v.assignee), if v.breached { "on" } else { "" }, urlencode(&v.q))
            };
            view! {
                <Form method="GET" action="" attr:class="mt-3 flex flex-wrap items-end gap-2" attr:data-testid="queue-filters">
                    <label class=LABEL>"Status"
                        <select name="status" class=INPUT>
                            <option value="active" selected=v.status == "active">"Needs us (new, open, waiting)"</option>
                            <option value="all" selected=v.status == "all">"All"</option>
                            {v.statuses.iter().map(|(s, l)| view! { <option value=s.clone() selected=*s == v.status>{l.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class=LABEL>"Impact"
                        <select name="impact" class=INPUT>
                            <option value="">"Any"</option>
                            {v.impacts.iter().map(|(s, l)| view! { <option value=s.clone() selected=*s == v.impact>{l.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class=LABEL>"Community (slug)"
                        <input name="community" value=v.community.clone() maxlength="64" class=INPUT />
                    </label>
                    <label class=LABEL>"Assignee"
                        <select name="assignee" class=INPUT>
                            <option value="">"Anyone"</option>
                            <option value="me" selected=v.assignee == "me">"Me"</option>
                            <option value="none" selected=v.assignee == "none">"Nobody"</option>
                            {v.assignees.iter().map(|(id, name)| {
                                let id = id.to_string();
                                let selected = id == v.assignee;
                                view! { <option value=id selected=selected>{name.clone()}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="breached" checked=v.breached />"SLA breached"</label>
                    <label class=LABEL>"Search"
                        <input type="search" name="q" value=v.q.clone() maxlength="200" class=INPUT />
                    </label>
                    <button type="submit" class=BUTTON>"Filter"</button>
                </Form>
                <p class="mt-3 text-sm" data-testid="queue-total">{format!("{} tickets", v.total)}</p>
                {ticket_rows(v.tickets, true)}
                <p class="mt-2 flex gap-4 text-sm">
                    {(v.page > 1).then(|| view! { <a class="underline" href=link(v.page - 1)>"Previous"</a> })}
                    {format!("Page {} of {}", v.page, v.pages)}
                    {(v.page < v.pages).then(|| view! { <a class="underline" href=link(v.page + 1)>"Next"</a> })}
                </p>
            }
        })}
    }
}

#[component]
fn ViewAsControls(
    slug: String,
    number: String,
    staff: bool,
    consent: bool,
    can_consent: bool,
    opened_by: String,
) -> impl IntoView {
    let allow = form_action::<ConsentToViewAs>();
    let start = form_action::<ViewAs>();
    let number2 = number.clone();
    view! {
        {can_consent.then(|| view! {
            <ActionForm action=allow attr:class="mt-4 max-w-2xl text-sm" attr:data-testid="consent-form">
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="number" value=number />
                <input type="hidden" name="allow" value=(!consent).to_string() />
                <p class=HINT>{if consent {
                    "You let the support team see Stoa's pages as you see them (read-only, an hour at a time; never your hub, server or files)."
                } else {
                    "To reproduce what you see, the support team may ask to see Stoa's pages as you see them: read-only, an hour at a time, recorded in your community's audit log; never your hub, server or files."
                }}</p>
                <button type="submit" class=BUTTON>{if consent { "Withdraw permission" } else { "Allow the support team to see Stoa as I do" }}</button>
                <FormError value=allow.value() />
            </ActionForm>
        })}
        {(staff && consent).then(|| view! {
            <ActionForm action=start attr:class="mt-4 max-w-2xl text-sm" attr:data-testid="view-as-form">
                <input type="hidden" name="number" value=number2 />
                <button type="submit" class=BUTTON>{format!("View Stoa as {opened_by} (read-only)")}</button>
                <FormError value=start.value() />
            </ActionForm>
        })}
    }
}

/// While a staff member sees Stoa as a member: who, until when, and the way out.
#[component]
pub fn ViewAsBanner() -> impl IntoView {
    use crate::serverfns::account::get_current_user;
    let user = Resource::new(|| (), |_| get_current_user());
    let stop = form_action::<StopViewAs>();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let user = user.await.ok().flatten()?;
                let v = user.viewing_as?;
                Some(view! {
                    <section aria-label="Viewing as" role="status" data-testid="view-as-banner"
                        class="mb-6 rounded-md border-l-4 border-violet-600 bg-violet-50 p-3 text-sm dark:bg-violet-950">
                        <p>{format!("{}, you are viewing Stoa as {} (ticket #{}), read-only, until {}.", v.staff_name, user.name, v.ticket, v.until)}</p>
                        <ActionForm action=stop attr:class="mt-2">
                            <button type="submit" class=PRIMARY>"Stop viewing as them"</button>
                        </ActionForm>
                    </section>
                })
            })}
        </Suspense>
    }
}
