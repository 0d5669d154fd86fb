//! Announcements: the banners above every page, and the staff's pages.

use crate::pages::StaffNav;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::forms::{
    BUTTON, FieldError, FormError, HINT, INPUT, LABEL, PRIMARY, TABLE, Typed, form_action, guarded,
};
use crate::serverfns::announcements::{
    AnnouncementDetail, AnnouncementsView, Banner, CreateAnnouncement, ReadAnnouncement,
    current_announcements, get_announcement, list_announcements,
};

fn tone(severity: &str) -> &'static str {
    match severity {
        "critical" => "border-red-600 bg-red-50 dark:bg-red-950",
        "warning" => "border-amber-500 bg-amber-50 dark:bg-amber-950",
        _ => "border-teal-600 bg-teal-50 dark:bg-teal-950",
    }
}

/// The announcements the signed-in person has not dismissed or acknowledged yet.
#[component]
pub fn Announcements() -> impl IntoView {
    let banners = Resource::new(|| (), |_| current_announcements());
    let read = form_action::<ReadAnnouncement>();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let banners = banners.await.unwrap_or_default();
                (!banners.is_empty()).then(|| view! {
                    <section aria-label="Announcements" class="mb-6 space-y-2" data-testid="announcements">
                        {banners.into_iter().map(|b: Banner| view! {
                            <div class=format!("rounded-md border-l-4 p-3 text-sm {}", tone(&b.severity))
                                role=if b.severity == "critical" { "alert" } else { "status" }
                                data-testid="announcement" data-severity=b.severity>
                                <p class="font-semibold">{b.title}</p>
                                <div class="prose prose-sm mt-1 dark:prose-invert" inner_html=b.body_html></div>
                                <ActionForm action=read attr:class="mt-2">
                                    <input type="hidden" name="announcement" value=b.id.to_string() />
                                    {if b.required {
                                        view! {
                                            <input type="hidden" name="acknowledge" value="true" />
                                            <button type="submit" class=PRIMARY>"I have read this"</button>
                                        }.into_any()
                                    } else {
                                        view! { <button type="submit" class=BUTTON>"Dismiss"</button> }.into_any()
                                    }}
                                </ActionForm>
                            </div>
                        }).collect_view()}
                        <FormError value=read.value() />
                    </section>
                })
            })}
        </Suspense>
    }
}

/// `/staff/announcements`: every announcement, and the form to make one.
#[component]
pub fn StaffAnnouncementsPage() -> impl IntoView {
    let query = use_query_map();
    let list = Resource::new(
        move || query.read().get("page").unwrap_or_default(),
        list_announcements,
    );
    view! {
        <Title text="Announcements" />
        <StaffNav current="/staff/announcements" />
        <h1 class="mt-2 text-2xl font-bold tracking-tight">"Announcements"</h1>
        {guarded(list, |v: AnnouncementsView| view! {
            <p class="mt-3 text-sm">{format!("{} announcements", v.total)}</p>
            <table class=TABLE data-testid="announcement-list">
                <thead><tr><th>"Title"</th><th>"Severity"</th><th>"For"</th><th>"When"</th><th>"State"</th><th>"Acknowledged"</th></tr></thead>
                <tbody>
                    {v.items.into_iter().map(|a| view! {
                        <tr class="border-t border-slate-200 dark:border-slate-800">
                            <td class="py-2"><A href=format!("/staff/announcements/{}", a.id) attr:class="underline">{a.title}</A></td>
                            <td class="py-2">{a.severity}{a.required.then_some(", required")}</td>
                            <td class="py-2">{a.audience}</td>
                            <td class="py-2">{a.window}</td>
                            <td class="py-2">{a.state}</td>
                            <td class="py-2">{format!("{} (dismissed: {})", a.acknowledged, a.dismissed)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        })}
        <NewAnnouncement />
    }
}

#[component]
fn NewAnnouncement() -> impl IntoView {
    let create = form_action::<CreateAnnouncement>();
    let typed = Typed::of::<CreateAnnouncement>();
    let (severity, audience) = (
        typed.get("severity", "info"),
        typed.get("audience", "everyone"),
    );
    let fields = &[
        "title",
        "body",
        "severity",
        "audience",
        "communities",
        "starts",
        "ends",
    ];
    view! {
        <section class="mt-8 max-w-2xl" aria-labelledby="new-announcement">
            <h2 id="new-announcement" class="text-lg font-semibold">"New announcement"</h2>
            <ActionForm action=create attr:class="mt-2 space-y-3" attr:data-testid="announcement-form">
                <label class=LABEL>"Title"<input name="title" required maxlength="150" value=typed.get("title", "") class=INPUT /></label>
                <FieldError value=create.value() field="title" />
                <label class=LABEL>"Text (Markdown)"<textarea name="body" rows="4" maxlength="5000" class=INPUT>{typed.get("body", "")}</textarea></label>
                <FieldError value=create.value() field="body" />
                <label class=LABEL>"Severity"
                    <select name="severity" class=INPUT>
                        {["info", "warning", "critical"].into_iter().map(|s| view! { <option value=s selected=s == severity>{s}</option> }).collect_view()}
                    </select>
                </label>
                <FieldError value=create.value() field="severity" />
                <fieldset class="text-sm"><legend class=LABEL>"For"</legend>
                    <label class="mr-4"><input type="radio" name="audience" value="everyone" checked=audience == "everyone" />" everyone"</label>
                    <label><input type="radio" name="audience" value="communities" checked=audience == "communities" />" these communities:"</label>
                </fieldset>
                <FieldError value=create.value() field="audience" />
                <label class=LABEL>"Communities (short names, separated by commas)"<input name="communities" maxlength="20000" value=typed.get("communities", "") class=INPUT /></label>
                <FieldError value=create.value() field="communities" />
                <div class="flex gap-4">
                    <label class=LABEL>"From (UTC; empty: now)"<input type="datetime-local" name="starts" value=typed.get("starts", "") class=INPUT /></label>
                    <label class=LABEL>"Until (UTC)"<input type="datetime-local" name="ends" required value=typed.get("ends", "") class=INPUT /></label>
                </div>
                <FieldError value=create.value() field="starts" />
                <FieldError value=create.value() field="ends" />
                <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="required" />"Required: people acknowledge it (recorded) instead of dismissing it"</label>
                <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="mail" />"Also mail it to everyone it is for, now"</label>
                <p class=HINT>"Shown on every page to the signed-in people it is for, within its window."</p>
                <button type="submit" class=PRIMARY>"Announce"</button>
                <FormError value=create.value() fields=fields />
            </ActionForm>
        </section>
    }
}

/// `/staff/announcements/:id`: one announcement, its audience and who acknowledged it.
#[component]
pub fn StaffAnnouncementPage() -> impl IntoView {
    let params = use_params_map();
    let detail = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        get_announcement,
    );
    view! {
        <p class="text-sm"><A href="/staff/announcements" attr:class="underline">"Announcements"</A></p>
        {guarded(detail, |d: AnnouncementDetail| view! {
            <Title text=d.row.title.clone() />
            <h1 class="mt-2 text-2xl font-bold tracking-tight">{d.row.title.clone()}</h1>
            <p class="mt-1 text-sm">{format!("{}{} · {} · {} · {}", d.row.severity, if d.row.required { ", required" } else { "" }, d.row.audience, d.row.window, d.row.state)}</p>
            <div class="prose mt-3 dark:prose-invert" inner_html=d.body_html></div>
            {(!d.communities.is_empty()).then(|| view! {
                <p class="mt-3 text-sm">"For: "{d.communities.into_iter().map(|(slug, name)| view! { <A href=format!("/communities/{slug}") attr:class="mr-2 underline">{name}</A> }).collect_view()}</p>
            })}
            <p class="mt-3 text-sm" data-testid="read-counts">{format!("{} of {} people acknowledged it; {} dismissed it.", d.row.acknowledged, d.audience_size, d.row.dismissed)}</p>
            <table class=TABLE data-testid="reads">
                <thead><tr><th>"Who"</th><th>"Answer"</th><th>"When"</th></tr></thead>
                <tbody>
                    {d.reads.into_iter().map(|r| view! {
                        <tr class="border-t border-slate-200 dark:border-slate-800">
                            <td class="py-2">{r.name}" "<span class="text-xs text-slate-600 dark:text-slate-400">{r.email}</span></td>
                            <td class="py-2">{if r.acknowledged { "Acknowledged" } else { "Dismissed" }}</td>
                            <td class="py-2">{r.at}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        })}
    }
}
