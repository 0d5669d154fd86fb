//! The environment catalog: a searchable list (a plain GET form, the same without
//! JavaScript) and each entry's page with its versions.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::forms::{
    BUTTON, FieldError, FormError, HINT, INPUT, LABEL, PRIMARY, Saved, Typed, form_action, guarded,
};
use crate::serverfns::catalog::{
    AddToHub, CatalogView, CurateEntry, DeprecateVersion, EntryView, PublishEntry, PublishView,
    ReviewEntry, SetSecurityNotice, get_catalog_entry, get_publish_form, list_catalog,
};
use stoa_model::catalog::EntryCard;

/// `/catalog`: search, filter by language and tag, sort, page.
#[component]
pub fn CatalogPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).unwrap_or_default();
    let catalog = Resource::new(
        move || {
            (
                get("q"),
                get("language"),
                get("tag"),
                get("sort"),
                get("page"),
            )
        },
        |(q, language, tag, sort, page)| list_catalog(q, language, tag, sort, page),
    );
    view! {
        <Title text="Environment catalog" />
        <h1 class="text-2xl font-bold tracking-tight sm:text-3xl">"Environment catalog"</h1>
        <p class="mt-2 max-w-3xl text-slate-700 dark:text-slate-300">
            "Environments the communities share: images maintained by Stoa staff or by a community, each with its versions. "
            <a class="underline" href="/catalog/publish">"Publish your community's environment"</a>
        </p>
        {guarded(catalog, |c: CatalogView| view! { <CatalogList c /> })}
    }
}

#[component]
fn CatalogList(c: CatalogView) -> impl IntoView {
    let link = {
        let (q, language, tag, sort) = (
            c.search.clone(),
            c.language.clone(),
            c.tag.clone(),
            c.sort.clone(),
        );
        move |page: i64| {
            let mut url = url_query(&[
                ("q", &q),
                ("language", &language),
                ("tag", &tag),
                ("sort", &sort),
            ]);
            if page > 1 {
                url.push_str(if url.contains('?') { "&" } else { "?" });
                url.push_str(&format!("page={page}"));
            }
            url
        }
    };
    let people = if c.total == 1 {
        "environment"
    } else {
        "environments"
    };
    let (previous, next) = (
        (c.page > 1).then(|| link(c.page - 1)),
        (c.page < c.pages).then(|| link(c.page + 1)),
    );
    view! {
        <form method="get" action="/catalog" class="mt-6 grid gap-3 sm:grid-cols-[2fr_1fr_1fr_1fr_auto]" role="search">
            <div>
                <label for="q" class=LABEL>"Search"</label>
                <input id="q" name="q" type="search" maxlength="200" class=INPUT value=c.search.clone() placeholder="pangeo, tidyverse, gpu…" />
            </div>
            <div>
                <label for="language" class=LABEL>"Language"</label>
                <select id="language" name="language" class=INPUT>
                    <option value="">"Any"</option>
                    {c.languages.iter().map(|(v, n)| view! {
                        <option value=v.clone() selected=*v == c.language>{format!("{v} ({n})")}</option>
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="tag" class=LABEL>"Tag"</label>
                <select id="tag" name="tag" class=INPUT>
                    <option value="">"Any"</option>
                    {c.tags.iter().map(|(v, n)| view! {
                        <option value=v.clone() selected=*v == c.tag>{format!("{v} ({n})")}</option>
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="sort" class=LABEL>"Sort"</label>
                <select id="sort" name="sort" class=INPUT>
                    <option value="name" selected=c.sort == "name">"Name"</option>
                    <option value="newest" selected=c.sort == "newest">"Newest"</option>
                    <option value="popular" selected=c.sort == "popular">"Most used"</option>
                </select>
            </div>
            <div class="flex items-end"><button type="submit" class=BUTTON>"Show"</button></div>
        </form>
        {(!c.waiting.is_empty()).then(|| view! {
            <section class="mt-6 rounded-md border border-amber-300 p-3 dark:border-amber-700" aria-labelledby="waiting" data-testid="catalog-waiting">
                <h2 id="waiting" class="font-semibold">"Waiting for review"</h2>
                <ul class="mt-1 list-disc pl-5 text-sm">
                    {c.waiting.iter().map(|(slug, name, by)| view! {
                        <li><a class="underline" href=format!("/catalog/{slug}")>{name.clone()}</a>{format!(" · from {by}")}</li>
                    }).collect_view()}
                </ul>
            </section>
        })}
        <p class="mt-4 text-sm" data-testid="catalog-total" role="status">{format!("{} {people}", c.total)}</p>
        <ul class="mt-2 grid gap-4 md:grid-cols-2" data-testid="catalog-entries">
            {c.entries.into_iter().map(|e| view! { <Card e /> }).collect_view()}
        </ul>
        <nav aria-label="Pages" class="mt-4 flex gap-4 text-sm">
            {previous.map(|href| view! { <a href=href class="underline" rel="prev">"Previous"</a> })}
            <span>{format!("Page {} of {}", c.page, c.pages)}</span>
            {next.map(|href| view! { <a href=href class="underline" rel="next">"Next"</a> })}
        </nav>
    }
}

/// `/catalog?q=…&tag=…`, with the empty ones left out; values percent-encoded.
fn url_query(pairs: &[(&str, &String)]) -> String {
    let encoded: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            let v: String = url_escape(v);
            format!("{k}={v}")
        })
        .collect();
    if encoded.is_empty() {
        "/catalog".to_owned()
    } else {
        format!("/catalog?{}", encoded.join("&"))
    }
}

fn url_escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
fn Card(e: EntryCard) -> impl IntoView {
    let href = format!("/catalog/{}", e.slug);
    let labels = e
        .languages
        .iter()
        .chain(e.tags.iter())
        .cloned()
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <li class="rounded-lg border border-slate-200 p-4 dark:border-slate-800" data-testid=format!("entry-{}", e.slug)>
            <h2 class="text-base font-semibold"><A href=href attr:class="underline">{e.name}</A></h2>
            <p class="mt-1 text-sm text-slate-700 dark:text-slate-300">{e.summary}</p>
            <p class="mt-2 text-xs text-slate-600 dark:text-slate-400">{labels}</p>
            <p class="mt-1 text-xs text-slate-600 dark:text-slate-400">
                {format!("Maintained by {}", e.maintainer)}
                {e.private.then_some(" · private to its community")}
                {e.state.map(|s| format!(" · {s}"))}
                {format!(" · {}", used_by(e.used_by))}
            </p>
        </li>
    }
}

/// "Used by 3 hubs", for a count of hubs.
fn used_by(hubs: i64) -> String {
    match hubs {
        0 => "not used by any hub yet".to_owned(),
        1 => "used by 1 hub".to_owned(),
        n => format!("used by {n} hubs"),
    }
}

/// `/catalog/<slug>`: the entry, how to use it, and its versions.
#[component]
pub fn CatalogEntryPage() -> impl IntoView {
    let params = use_params_map();
    let entry = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        get_catalog_entry,
    );
    view! {
        {guarded(entry, |e: EntryView| view! { <Entry e /> })}
    }
}

#[component]
fn Entry(e: EntryView) -> impl IntoView {
    let card = e.card;
    // Versions a hub may start using: deprecated ones are not offered.
    let usable: Vec<String> = e
        .versions
        .iter()
        .filter(|v| !v.deprecated)
        .map(|v| v.version.clone())
        .collect();
    let labels = card
        .languages
        .iter()
        .chain(card.tags.iter())
        .cloned()
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <Title text=card.name.clone() />
        <p class="text-sm"><A href="/catalog" attr:class="underline">"Environment catalog"</A></p>
        <h1 class="mt-2 text-2xl font-bold tracking-tight sm:text-3xl" data-testid="entry-name">{card.name.clone()}</h1>
        <p class="mt-1 text-slate-700 dark:text-slate-300">{card.summary.clone()}</p>
        <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
            {format!("Maintained by {}", card.maintainer)}
            {card.private.then_some(" · private to its community")}
            {card.state.map(|s| format!(" · {s}"))}
            {(!labels.is_empty()).then(|| format!(" · {labels}"))}
            <span data-testid="entry-used-by">{format!(" · {}", used_by(card.used_by))}</span>
        </p>
        {(!e.review_message.is_empty()).then(|| view! {
            <p class="mt-3 whitespace-pre-line rounded-md border border-amber-300 p-3 text-sm dark:border-amber-700" data-testid="review-message">{format!("Staff review: {}", e.review_message)}</p>
        })}
        {e.can_publish.then(|| view! {
            <p class="mt-3 text-sm"><a class="underline" href=format!("/catalog/publish?entry={}", card.slug)>"Publish a new version"</a></p>
        })}
        {e.can_manage.then(|| view! { <Curate slug=card.slug.clone() status=e.status.clone() featured=e.featured /> })}
        <div class="prose mt-4 max-w-none dark:prose-invert" data-testid="entry-description" inner_html=e.description_html></div>
        <p class="mt-3 flex gap-4 text-sm">
            {(!e.source_url.is_empty()).then(|| view! { <a href=e.source_url.clone() class="underline" rel="noreferrer">"Source"</a> })}
            {(!e.docs_url.is_empty()).then(|| view! { <a href=e.docs_url.clone() class="underline" rel="noreferrer">"Documentation"</a> })}
        </p>
        {(!e.used_by_communities.is_empty()).then(|| view! {
            <p class="mt-3 text-sm" data-testid="entry-communities">"Used by "
                {e.used_by_communities.iter().enumerate().map(|(i, (name, slug))| view! {
                    {(i > 0).then_some(", ")}
                    <a class="underline" href=format!("/communities/{slug}")>{name.clone()}</a>
                }).collect_view()}
            </p>
        })}
        <AddToHub slug=card.slug.clone() name=card.name.clone() versions=usable.clone() hubs=e.hub_choices />
        <h2 class="mt-8 text-lg font-semibold">"Versions"</h2>
        <ul class="mt-3 grid gap-3" data-testid="versions">
            {e.versions.into_iter().map(|v| {
                let replacement = v.replacement.clone();
                let manage = e.can_manage.then(|| view! {
                    <ManageVersion slug=card.slug.clone() version=v.version.clone() deprecated=v.deprecated others=usable.iter().filter(|o| **o != v.version).cloned().collect() notice=v.security_notice.clone() />
                });
                view! {
                    <li class="rounded border border-slate-200 p-3 dark:border-slate-800" data-testid=format!("version-{}", v.version)>
                        <p class="font-medium">{format!("{} · released {}", v.version, v.released_on)}
                            {v.deprecated.then(|| view! { <span class="ml-2 rounded bg-amber-100 px-1.5 text-xs text-amber-900 dark:bg-amber-900 dark:text-amber-100">"deprecated"</span> })}
                        </p>
                        <p class="mt-1 font-mono text-sm break-all">{v.image}</p>
                        {replacement.map(|r| view! { <p class="mt-1 text-sm">{format!("Use {r} instead.")}</p> })}
                        {(!v.security_notice.is_empty()).then(|| view! {
                            <p class="mt-1 text-sm text-red-700 dark:text-red-400" role="note">{format!("Security notice: {}", v.security_notice)}</p>
                        })}
                        <div class="prose mt-2 max-w-none text-sm dark:prose-invert" inner_html=v.notes_html></div>
                        {manage}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// "Add to my hub": a version and a display name make a new revision of one of the caller's
/// hubs; the answer is the hub's diff page, where it is reviewed and applied.
#[component]
fn AddToHub(
    slug: String,
    name: String,
    versions: Vec<String>,
    hubs: Vec<(String, String)>,
) -> impl IntoView {
    let add = form_action::<AddToHub>();
    let typed = Typed::of::<AddToHub>();
    if hubs.is_empty() || versions.is_empty() {
        return view! {
            <p class="mt-6 text-sm text-slate-700 dark:text-slate-300" data-testid="add-to-hub-help">
                "Owners and admins of a community add an environment from the catalog to their hub here; signed in, they see a form to do it."
            </p>
        }
        .into_any();
    }
    let placeholder = format!("{name} {}", versions[0]);
    view! {
        <section class="mt-6 rounded-lg border border-slate-200 p-4 dark:border-slate-800" aria-labelledby="add-to-hub">
            <h2 id="add-to-hub" class="text-lg font-semibold">"Add to my hub"</h2>
            <p class=HINT>"This saves a new revision of the hub's settings with the environment added. You see the change, then apply it from the hub page."</p>
            <ActionForm action=add attr:class="mt-3 grid gap-3 sm:grid-cols-3" attr:data-testid="add-to-hub-form">
                <input type="hidden" name="entry" value=slug />
                <div>
                    <label for="add-community" class=LABEL>"Hub of"</label>
                    <select id="add-community" name="community" class=INPUT>
                        {hubs.into_iter().map(|(s, n)| { let chosen = typed.get("community", "") == s; view! { <option value=s selected=chosen>{n}</option> } }).collect_view()}
                    </select>
                    <FieldError value=add.value() field="community" />
                </div>
                <div>
                    <label for="add-version" class=LABEL>"Version"</label>
                    <select id="add-version" name="version" class=INPUT>
                        {versions.into_iter().map(|v| { let chosen = typed.get("version", "") == v; let label = v.clone(); view! { <option value=v selected=chosen>{label}</option> } }).collect_view()}
                    </select>
                    <FieldError value=add.value() field="version" />
                </div>
                <div>
                    <label for="add-name" class=LABEL>"Name in the spawn menu"</label>
                    <input id="add-name" name="display_name" maxlength="100" class=INPUT placeholder=placeholder value=typed.get("display_name", "") />
                    <FieldError value=add.value() field="display_name" />
                </div>
                <div class="sm:col-span-3"><button type="submit" class=PRIMARY>"Add to the hub"</button></div>
                <FormError value=add.value() fields=&["community", "version", "display_name"] />
            </ActionForm>
        </section>
    }
    .into_any()
}

/// Staff: deprecate a version (recommending another) or attach a security notice; each is
/// mailed once to the admins of the hubs using it.
#[component]
fn ManageVersion(
    slug: String,
    version: String,
    deprecated: bool,
    others: Vec<String>,
    notice: String,
) -> impl IntoView {
    let deprecate = form_action::<DeprecateVersion>();
    let secure = form_action::<SetSecurityNotice>();
    let (slug2, version2) = (slug.clone(), version.clone());
    view! {
        <details class="mt-2 text-sm">
            <summary class="cursor-pointer">"Staff: deprecate or add a security notice"</summary>
            {(!deprecated).then(|| view! {
                <ActionForm action=deprecate attr:class="mt-2 flex flex-wrap items-end gap-2">
                    <input type="hidden" name="entry" value=slug />
                    <input type="hidden" name="version" value=version />
                    <div>
                        <label class=LABEL>"Recommend instead"
                            <select name="replacement" class=INPUT>
                                <option value="">"No replacement"</option>
                                {others.into_iter().map(|o| { let label = o.clone(); view! { <option value=o>{label}</option> } }).collect_view()}
                            </select>
                        </label>
                    </div>
                    <button type="submit" class=BUTTON>"Deprecate"</button>
                </ActionForm>
            })}
            <Saved value=deprecate.value() text="Deprecated; the hubs using it are told." />
            <FormError value=deprecate.value() />
            <ActionForm action=secure attr:class="mt-2 space-y-2">
                <input type="hidden" name="entry" value=slug2 />
                <input type="hidden" name="version" value=version2 />
                <label class=LABEL>"Security notice (plain text; empty removes it)"
                    <textarea name="notice" rows="2" maxlength="2000" class=INPUT>{notice}</textarea>
                </label>
                <button type="submit" class=BUTTON>"Save the notice"</button>
            </ActionForm>
            <Saved value=secure.value() text="Saved; the hubs using it are told of a new notice." />
            <FormError value=secure.value() />
        </details>
    }
}

/// Staff: the review of an entry waiting for it, and featuring or unpublishing any entry.
#[component]
fn Curate(slug: String, status: String, featured: bool) -> impl IntoView {
    let review = form_action::<ReviewEntry>();
    let curate = form_action::<CurateEntry>();
    let slug2 = slug.clone();
    let (listing, feature) = (
        if status == "unpublished" {
            ("republish", "Republish")
        } else {
            ("unpublish", "Unpublish")
        },
        if featured {
            ("unfeature", "Stop featuring")
        } else {
            ("feature", "Feature")
        },
    );
    view! {
        <section class="mt-4 rounded-md border border-slate-200 p-3 text-sm dark:border-slate-800" aria-label="Staff" data-testid="entry-staff">
            {(status == "in_review").then(|| view! {
                <ActionForm action=review attr:class="space-y-2" attr:data-testid="review-form">
                    <input type="hidden" name="entry" value=slug.clone() />
                    <label class=LABEL>"Message to the community (required to ask for changes or reject)"
                        <textarea name="message" rows="3" maxlength="2000" class=INPUT></textarea>
                    </label>
                    <FieldError value=review.value() field="message" />
                    <div class="flex flex-wrap gap-2">
                        <button type="submit" name="decision" value="approve" class=PRIMARY>"Approve"</button>
                        <button type="submit" name="decision" value="changes" class=BUTTON>"Ask for changes"</button>
                        <button type="submit" name="decision" value="reject" class=BUTTON>"Reject"</button>
                    </div>
                    <FormError value=review.value() fields=&["message"] />
                </ActionForm>
            })}
            <Saved value=review.value() text="Reviewed; the community is told." />
            <ActionForm action=curate attr:class="mt-2 flex flex-wrap gap-2">
                <input type="hidden" name="entry" value=slug2 />
                <button type="submit" name="action" value=feature.0 class=BUTTON>{feature.1}</button>
                <button type="submit" name="action" value=listing.0 class=BUTTON>{listing.1}</button>
            </ActionForm>
            <Saved value=curate.value() text="Done." />
            <FormError value=curate.value() />
        </section>
    }
}

/// `/catalog/publish`: a community's owners and admins publish an environment they maintain
/// (`?entry=<slug>`: a new version of one).
#[component]
pub fn CatalogPublishPage() -> impl IntoView {
    let query = use_query_map();
    let view = Resource::new(
        move || query.read().get("entry").unwrap_or_default(),
        get_publish_form,
    );
    view! {
        <Title text="Publish an environment" />
        <p class="text-sm"><A href="/catalog" attr:class="underline">"Environment catalog"</A></p>
        <h1 class="mt-2 text-2xl font-bold tracking-tight">"Publish an environment"</h1>
        {guarded(view, |v: PublishView| view! { <PublishFormView v /> })}
    }
}

#[component]
fn PublishFormView(v: PublishView) -> impl IntoView {
    let publish = form_action::<PublishEntry>();
    let typed = Typed::of::<PublishEntry>();
    if v.communities.is_empty() {
        return view! {
            <p class="mt-4" data-testid="publish-none">"Owners and admins of a community publish its environments here. You run no community yet."</p>
        }
        .into_any();
    }
    let f = v.form;
    let field =
        move |name: &'static str, label: &'static str, current: String, hint: &'static str| {
            let id = format!("publish-{name}");
            view! {
                <div>
                    <label for=id.clone() class=LABEL>{label}</label>
                    <input id=id name=name class=INPUT value=typed.get(name, current) />
                    {(!hint.is_empty()).then(|| view! { <p class=HINT>{hint}</p> })}
                    <FieldError value=publish.value() field=name />
                </div>
            }
        };
    let typed2 = Typed::of::<PublishEntry>();
    let typed3 = Typed::of::<PublishEntry>();
    let visibility = typed2.get("visibility", f.visibility.clone());
    let community = typed2.get("community", f.community.clone());
    view! {
        <p class="mt-2 max-w-3xl text-sm text-slate-700 dark:text-slate-300">
            "A private environment is listed for your community at once. A public one is listed for every community after Stoa's staff review it; new versions of it are listed at once."
        </p>
        <ActionForm action=publish attr:class="mt-4 grid max-w-3xl gap-4" attr:data-testid="publish-form">
            <div>
                <label for="publish-community" class=LABEL>"Maintained by"</label>
                <select id="publish-community" name="community" class=INPUT>
                    {v.communities.into_iter().map(|(s, n)| { let chosen = s == community; view! { <option value=s selected=chosen>{n}</option> } }).collect_view()}
                </select>
                <FieldError value=publish.value() field="community" />
            </div>
            {field("slug", "Short name (its address: /catalog/<short name>)", f.slug.clone(), "Lowercase letters, digits and hyphens.")}
            {field("name", "Name", f.name.clone(), "")}
            {field("summary", "Summary", f.summary.clone(), "One line.")}
            <div>
                <label for="publish-description" class=LABEL>"Description"</label>
                <textarea id="publish-description" name="description" rows="5" class=INPUT>{typed3.get("description", f.description.clone())}</textarea>
                <p class=HINT>"Markdown: what is inside, what it is good for."</p>
                <FieldError value=publish.value() field="description" />
            </div>
            {field("languages", "Languages", f.languages.clone(), "Separated by commas: python, r, julia.")}
            {field("tags", "Tags", f.tags.clone(), "Separated by commas: geoscience, gpu, teaching.")}
            {field("source", "Source repository", f.source.clone(), "")}
            {field("docs", "Documentation", f.docs.clone(), "")}
            <fieldset>
                <legend class=LABEL>"Who sees it"</legend>
                <label class="mr-4 text-sm"><input type="radio" name="visibility" value="public" checked=visibility == "public" />" Every community (after review)"</label>
                <label class="text-sm"><input type="radio" name="visibility" value="private" checked=visibility == "private" />" My community only"</label>
                <FieldError value=publish.value() field="visibility" />
            </fieldset>
            {field("version", "Version", String::new(), "As people name it: 2026.04, 1.2.0.")}
            {field("image", "Image", String::new(), "registry/name:tag or @sha256: digest.")}
            <div>
                <label for="publish-notes" class=LABEL>"Release notes"</label>
                <textarea id="publish-notes" name="notes" rows="3" class=INPUT>{typed3.get("notes", String::new())}</textarea>
                <FieldError value=publish.value() field="notes" />
            </div>
            <div><button type="submit" class=PRIMARY>"Publish"</button></div>
            <FormError value=publish.value() fields=&["community", "slug", "name", "summary", "description", "languages", "tags", "source", "docs", "visibility", "version", "image", "notes"] />
        </ActionForm>
    }
    .into_any()
}
