#![doc = include_str!("../README.md")]
#![recursion_limit = "256"]

pub mod auth;
pub mod components;
pub mod error;
pub mod pages;
pub mod serverfns;
pub use stoa_model::{policy, validate};
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::components::layout::{Footer, Header};
use crate::pages::*;

/// Name of the compiled site files: `pkg/stoa.<hash>.js`, `.wasm`, `.css` (see the Makefile).
pub const OUTPUT_NAME: &str = "stoa";

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                // `pkg/stoa.<hash>.css` when the site was built with hashed names (`make site`).
                <HashedStylesheet options=options.clone() id="stoa-css" />
                <AutoReload options=options.clone() />
                // Islands: only `#[island]` components are hydrated; the rest of every page
                // is server-rendered HTML (docs/ARCHITECTURE.md, "The browser side").
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body class="min-h-screen bg-white text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
                <App />
            </body>
        </html>
    }
}

/// Escapes text for an HTML text node or attribute.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The application: header, routed main content, footer.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Title formatter=|text: String| {
            let title = if text.is_empty() { "Stoa".to_string() } else { format!("{text} · Stoa") };
            // leptos_meta 0.8 writes the server-rendered <title> without escaping, so a name
            // like `</title><img …>` would become markup. Escape it on the server; in the
            // browser the title is set as text and must stay unescaped.
            if cfg!(feature = "ssr") { escape_html(&title) } else { title }
        } />
        <Router>
            // `data-hydrated="true"` is set on <body> by the browser side once the islands
            // are live (frontend/src/lib.rs); end-to-end tests wait for it.
            <div class="flex min-h-screen flex-col">
                <a
                    href="#main"
                    class="sr-only focus:not-sr-only focus:absolute focus:left-4 focus:top-4 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:text-slate-900"
                >
                    "Skip to content"
                </a>
                <Header />
                <main id="main" tabindex="-1" class="mx-auto w-full max-w-6xl flex-1 px-4 py-8 sm:px-6 lg:px-8">
                    <ViewAsBanner />
                    <Announcements />
                    // Async: data routes render completely before the first byte, so they carry
                    // the right status code (404/500) and work with JavaScript disabled.
                    <Routes fallback=|| view! { <NotFoundPage /> }>
                        <Route path=path!("") view=HomePage ssr=SsrMode::Async />
                        <Route path=path!("communities") view=CommunitiesPage ssr=SsrMode::Async />
                        <Route path=path!("pricing") view=PricingPage ssr=SsrMode::Async />
                        <Route path=path!("catalog") view=CatalogPage ssr=SsrMode::Async />
                        <Route path=path!("catalog/publish") view=CatalogPublishPage ssr=SsrMode::Async />
                        <Route path=path!("catalog/:slug") view=CatalogEntryPage ssr=SsrMode::Async />
                        <Route path=path!("signin") view=SignInPage ssr=SsrMode::Async />
                        <Route path=path!("signin/email-sent") view=EmailSentPage ssr=SsrMode::Async />
                        <Route path=path!("signin/link") view=SignInLinkPage ssr=SsrMode::Async />
                        <Route path=path!("account") view=AccountPage ssr=SsrMode::Async />
                        <Route path=path!("dashboard") view=DashboardPage ssr=SsrMode::Async />
                        <Route path=path!("communities/new") view=NewCommunityPage ssr=SsrMode::Async />
                        <Route path=path!("communities/:slug") view=|| view! { <CommunityFrame glance=true><CommunityHomePage /></CommunityFrame> } ssr=SsrMode::Async />
                        <Route path=path!("communities/:slug/hub") view=|| view! { <CommunityFrame><HubPage /></CommunityFrame> } ssr=SsrMode::Async />
                        <Route path=path!("communities/:slug/hub/diff") view=|| view! { <CommunityFrame><HubDiffPage /></CommunityFrame> } ssr=SsrMode::Async />
                        <Route path=path!("communities/:slug/hub/preview") view=|| view! { <CommunityFrame><HubPreviewPage /></CommunityFrame> } ssr=SsrMode::Async />
                        <Route path=path!("communities/:slug/members") view=|| view! { <CommunityFrame><MembersPage /></CommunityFrame> } ssr=SsrMode::Async />
                        <Route path=path!("communities/:slug/invitations") view=|| view! { <CommunityFrame><InvitationsPage /></CommunityFrame> } ssr=SsrMode::Async />
                        <Route path=path!("communities/:slug/requests") view=|| view! { <CommunityFrame><JoinRequestsPage /></CommunityFrame> } ssr=SsrMode::Async />
                        <Route path=path!("communities/:slug/support") view=|| view! { <CommunityFrame><SupportPage /></CommunityFrame> } ssr=SsrMode::Async />
                        <Route path=path!("communities/:slug/support/:number") view=|| view! { <CommunityFrame><TicketPage /></CommunityFrame> } ssr=SsrMode::Async />
                        <Route path=path!("communities/:slug/usage") view=|| view! { <CommunityFrame><UsagePage /></CommunityFrame> } ssr=SsrMode::Async />
                        <Route path=path!("communities/:slug/billing") view=|| view! { <CommunityFrame><BillingPage /></CommunityFrame> } ssr=SsrMode::Async />
                        <Route path=path!("communities/:slug/settings") view=|| view! { <CommunityFrame><CommunitySettingsPage /></CommunityFrame> } ssr=SsrMode::Async />
                        <Route path=path!("communities/:slug/audit") view=|| view! { <CommunityFrame><CommunityAuditPage /></CommunityFrame> } ssr=SsrMode::Async />
                        <Route path=path!("invitations/accept") view=AcceptInvitationPage ssr=SsrMode::Async />
                        <Route path=path!("institutions/new") view=NewInstitutionPage ssr=SsrMode::Async />
                        <Route path=path!("institutions/:id") view=InstitutionPage ssr=SsrMode::Async />
                        <Route path=path!("staff") view=StaffPage ssr=SsrMode::Async />
                        <Route path=path!("staff/communities") view=StaffCommunitiesPage ssr=SsrMode::Async />
                        <Route path=path!("staff/hubs") view=StaffHubsPage ssr=SsrMode::Async />
                        <Route path=path!("staff/changes") view=StaffChangesPage ssr=SsrMode::Async />
                        <Route path=path!("staff/audit") view=StaffAuditPage ssr=SsrMode::Async />
                        <Route path=path!("staff/tickets") view=StaffTicketsPage ssr=SsrMode::Async />
                        <Route path=path!("staff/announcements") view=StaffAnnouncementsPage ssr=SsrMode::Async />
                        <Route path=path!("staff/announcements/:id") view=StaffAnnouncementPage ssr=SsrMode::Async />
                    </Routes>
                </main>
                <Footer />
            </div>
        </Router>
    }
}
