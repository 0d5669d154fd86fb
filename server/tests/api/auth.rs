//! Sign-in, sessions and CSRF against the real peers: oidc-provider (OpenID Connect) and
//! maildev (SMTP), started by scripts/peers.sh.

use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::{Client, Response, redirect};

use crate::helpers::{TestApp, on_both, require_peers};

const COOKIE_NAME: &str = "stoa_session";

/// A second browser, with its own cookies.
pub(crate) fn browser() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

pub(crate) fn location(res: &Response) -> String {
    res.headers()
        .get(LOCATION)
        .unwrap_or_else(|| panic!("no Location on {}", res.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

fn session_cookie(res: &Response) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (name, value) = pair.split_once('=')?;
            (name == COOKIE_NAME).then(|| value.to_owned())
        })
}

/// Starts a provider sign-in in `browser` and drives the provider's login form as `login`,
/// returning the callback URL the provider sends the browser back to (not yet visited).
async fn provider_login(
    app: &TestApp,
    browser: &Client,
    login: &str,
    form: &[(&str, &str)],
) -> String {
    provider_login_at(app, "test", browser, login, form).await
}

/// [`provider_login`] with the configured provider `provider`.
pub(crate) async fn provider_login_at(
    app: &TestApp,
    provider: &str,
    browser: &Client,
    login: &str,
    form: &[(&str, &str)],
) -> String {
    let res = browser
        .post(app.url(&format!("/auth/oidc/{provider}")))
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let mut url = location(&res);
    let issuer = app
        .settings
        .oidc_providers
        .iter()
        .find(|p| p.id == provider)
        .expect("a configured provider")
        .issuer_url
        .clone();
    // The provider's own pages: its redirects, then its login form.
    let op = browser_for_provider();
    for _ in 0..10 {
        if url.starts_with(&app.url("/")) {
            return url;
        }
        let absolute = if url.starts_with('/') {
            format!("{issuer}{url}")
        } else {
            url.clone()
        };
        let res = op.get(&absolute).send().await.unwrap();
        if res.status().is_redirection() {
            url = location(&res);
            continue;
        }
        assert_eq!(
            res.status(),
            200,
            "provider page {absolute}: {}",
            res.text().await.unwrap_or_default()
        );
        let res = op
            .post(&absolute)
            .form(&[("prompt", "login"), ("login", login), ("password", "any")])
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_redirection(),
            "login form: {}",
            res.status()
        );
        url = location(&res);
    }
    panic!("the provider never sent the browser back");
}

thread_local! {
    static OP_BROWSER: Client = Client::builder().redirect(redirect::Policy::none()).cookie_store(true).build().unwrap();
}

fn browser_for_provider() -> Client {
    OP_BROWSER.with(Clone::clone)
}

async fn signed_in_name(app: &TestApp, browser: &Client) -> Option<String> {
    let res = browser.get(app.url("/account")).send().await.unwrap();
    if res.status().is_redirection() {
        assert!(location(&res).starts_with("/signin?next=/account"));
        return None;
    }
    let body = res.text().await.unwrap();
    let start = body
        .find("data-testid=\"user-name\"")
        .unwrap_or_else(|| panic!("name in header: {body}"));
    let rest = &body[start..];
    let name = &rest[rest.find('>').unwrap() + 1..rest.find('<').unwrap()];
    Some(name.to_owned())
}

on_both!(
    oidc_sign_in_rotates_the_session_and_sign_out_ends_it,
    |app| {
        require_peers();
        let browser = browser();
        let start = browser
            .post(app.url("/auth/oidc/test"))
            .form(&[("next", "/account")])
            .send()
            .await
            .unwrap();
        let before = session_cookie(&start).expect("a pre-sign-in session holds the state");
        let provider_url = location(&start);
        for needle in [
            "code_challenge_method=S256",
            "code_challenge=",
            "state=",
            "nonce=",
            "scope=openid",
        ] {
            assert!(
                provider_url.contains(needle),
                "{needle} missing: {provider_url}"
            );
        }

        let callback = provider_login(&app, &browser, "alice", &[("next", "/account")]).await;
        let res = browser.get(&callback).send().await.unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), "/account");
        let after = session_cookie(&res).expect("new session cookie");
        let raw = res
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join("\n");
        for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(raw.contains(flag), "{flag} missing from {raw}");
        }
        assert!(!raw.contains("Secure"), "no Secure flag over plain http");
        assert_ne!(before, after, "session id changes on sign-in");
        assert_eq!(
            signed_in_name(&app, &browser).await.as_deref(),
            Some("Test alice")
        );

        // The pre-sign-in id no longer authenticates.
        let stale = app
            .client
            .get(app.url("/account"))
            .header(COOKIE, format!("{COOKIE_NAME}={before}"))
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), 303, "old session id must not authenticate");

        // The same callback again (a replayed code) is refused and signs nobody in.
        let replay = app.client.get(&callback).send().await.unwrap();
        assert!(
            location(&replay).starts_with("/signin?error=failed"),
            "{}",
            location(&replay)
        );
        assert_eq!(signed_in_name(&app, &app.client).await, None);

        let out = browser.post(app.url("/auth/signout")).send().await.unwrap();
        assert_eq!((out.status().as_u16(), location(&out).as_str()), (303, "/"));
        assert_eq!(signed_in_name(&app, &browser).await, None);
        let reused = app
            .client
            .get(app.url("/account"))
            .header(COOKIE, format!("{COOKIE_NAME}={after}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            reused.status(),
            303,
            "the signed-out cookie no longer works"
        );
    }
);

on_both!(
    oidc_refuses_bad_state_nonce_other_browsers_and_offsite_next,
    |app| {
        require_peers();
        // Wrong state.
        let browser1 = browser();
        let callback = provider_login(&app, &browser1, "bob", &[]).await;
        let tampered = callback.replace("state=", "state=x");
        let res = browser1.get(&tampered).send().await.unwrap();
        assert!(location(&res).starts_with("/signin?error=failed"));
        assert_eq!(signed_in_name(&app, &browser1).await, None);

        // The callback completed in another browser than the one that started (login CSRF).
        let browser2 = browser();
        let callback = provider_login(&app, &browser2, "bob", &[]).await;
        let res = browser().get(&callback).send().await.unwrap();
        assert!(location(&res).starts_with("/signin?error=failed"));
        // ...and the attempt is spent: the right browser cannot use it afterwards either.
        let res = browser2.get(&callback).send().await.unwrap();
        assert!(location(&res).starts_with("/signin?error=failed"));
        assert_eq!(signed_in_name(&app, &browser2).await, None);

        // An ID token whose nonce is not the one this attempt stored.
        let browser3 = browser();
        let callback = provider_login(&app, &browser3, "bob", &[]).await;
        let mut tx = app.db.begin().await.unwrap();
        stoa_db::on!(tx.conn(), c => sqlx::query("UPDATE oidc_attempts SET nonce = 'not-the-nonce'").execute(c).await.map(|r| r.rows_affected())).unwrap();
        tx.commit().await.unwrap();
        let res = browser3.get(&callback).send().await.unwrap();
        assert!(location(&res).starts_with("/signin?error=failed"));
        assert_eq!(signed_in_name(&app, &browser3).await, None);

        // Off-site `next` values are ignored.
        for next in ["https://evil.example", "//evil.example", "/\\evil.example"] {
            let b = browser();
            let callback = provider_login(&app, &b, "carol", &[("next", next)]).await;
            let res = b.get(&callback).send().await.unwrap();
            assert_eq!(location(&res), "/", "next={next}");
        }
    }
);

#[tokio::test]
async fn discovery_with_another_issuer_fails_closed() {
    require_peers();
    let issuer = std::env::var("STOA_TEST_OIDC_ISSUER").unwrap();
    // The provider reports http://127.0.0.1:…; configure the same server as localhost.
    let spelled_otherwise = issuer.replace("127.0.0.1", "localhost");
    let app = TestApp::spawn_with(stoa_db::Backend::Sqlite, |settings| {
        settings.oidc_providers[0].issuer_url = spelled_otherwise.clone();
    })
    .await;
    let res = app
        .client
        .post(app.url("/auth/oidc/test"))
        .form(&[("next", "/")])
        .send()
        .await
        .unwrap();
    assert!(
        location(&res).starts_with("/signin?error=failed"),
        "{}",
        location(&res)
    );
}

/// The newest sign-in link mailed to `email`, read from maildev, if any.
pub(crate) async fn latest_link(email: &str) -> Option<String> {
    let maildev = std::env::var("STOA_TEST_MAILDEV_URL").unwrap();
    let mails: Vec<serde_json::Value> = reqwest::get(format!("{maildev}/api/email"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mail = mails.iter().rev().find(|m| {
        m["to"]
            .as_array()
            .is_some_and(|to| to.iter().any(|t| t["address"] == email))
            && m["subject"] == "Your Stoa sign-in link"
    })?;
    let text = mail["text"].as_str().unwrap();
    let start = text.find("http").unwrap();
    Some(text[start..].split_whitespace().next().unwrap().to_owned())
}

/// Waits for a link to `email` other than `previous`.
pub(crate) async fn link_from_mail_after(email: &str, previous: Option<&str>) -> String {
    for _ in 0..100 {
        if let Some(link) = latest_link(email).await
            && Some(link.as_str()) != previous
        {
            return link;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no new mail to {email}");
}

pub(crate) async fn link_from_mail(email: &str) -> String {
    link_from_mail_after(email, None).await
}

pub(crate) fn token_of(link: &str) -> String {
    link.split("token=").nth(1).unwrap().to_owned()
}

pub(crate) async fn request_link(app: &TestApp, browser: &Client, email: &str) -> Response {
    browser
        .post(app.url("/auth/email"))
        .form(&[("email", email), ("next", "/account")])
        .send()
        .await
        .unwrap()
}

pub(crate) fn unique_email(tag: &str) -> String {
    format!("{tag}-{}@example.org", uuid_like())
}

pub(crate) fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed) + u64::from(rand_u32())
    )
}

fn rand_u32() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
}

on_both!(magic_link_signs_in_once_and_expires, |app| {
    require_peers();
    let email = unique_email("ada");
    let browser = browser();
    let res = request_link(&app, &browser, &email.to_uppercase()).await;
    assert_eq!(
        (res.status().as_u16(), location(&res).as_str()),
        (303, "/signin/email-sent")
    );
    let link = link_from_mail(&email).await;
    assert!(link.starts_with(&app.url("/signin/link?token=")), "{link}");

    // Opening the link shows a confirmation; it does not use the link up.
    let page = browser
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("Sign in as {email}")), "{page}");
    let token = token_of(&link);
    let res = browser
        .post(app.url("/auth/email/verify"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/account");
    assert_eq!(
        signed_in_name(&app, &browser).await.as_deref(),
        Some(email.split('@').next().unwrap())
    );

    // A second use is refused.
    let other = self::browser();
    let res = other
        .post(app.url("/auth/email/verify"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert!(location(&res).starts_with("/signin?error=link_invalid"));
    assert_eq!(signed_in_name(&app, &other).await, None);
    let page = other.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-testid=\"link-invalid\""));

    // An expired link is refused.
    let res = request_link(&app, &other, &email).await;
    assert_eq!(location(&res), "/signin/email-sent");
    let link = link_from_mail_after(&email, Some(&link)).await;
    app.clock.advance(chrono::TimeDelta::minutes(16));
    let res = other
        .post(app.url("/auth/email/verify"))
        .form(&[("token", token_of(&link).as_str())])
        .send()
        .await
        .unwrap();
    assert!(location(&res).starts_with("/signin?error=link_invalid"));
    assert_eq!(signed_in_name(&app, &other).await, None);
});

on_both!(magic_links_are_validated_and_rate_limited, |app| {
    require_peers();
    let browser = browser();
    for bad in ["not-an-address", "a@b", "x y@example.org", ""] {
        let res = request_link(&app, &browser, bad).await;
        assert!(
            location(&res).starts_with("/signin?error=invalid_email"),
            "{bad:?}: {}",
            location(&res)
        );
    }
    // No trusted proxies here: X-Forwarded-For is the client's own claim and is ignored, so
    // claiming another address every time does not buy more links.
    let email = unique_email("limit");
    let from = |i: usize| {
        browser
            .post(app.url("/auth/email"))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .form(&[("email", email.as_str()), ("next", "/account")])
            .send()
    };
    for i in 0..stoa_auth::LINKS_PER_ADDRESS_AND_CLIENT {
        let res = from(i as usize).await.unwrap();
        assert_eq!(location(&res), "/signin/email-sent", "request {i}");
    }
    let res = from(99).await.unwrap();
    assert!(
        location(&res).starts_with("/signin?error=rate_limited"),
        "the request after the limit is refused: {}",
        location(&res)
    );
    let stored: i64 = {
        let mut conn = app.db.read().await.unwrap();
        stoa_db::on!(conn.conn(), c => sqlx::query_scalar("SELECT COUNT(*) FROM magic_links WHERE email = $1").bind(&email).fetch_one(c).await).unwrap()
    };
    assert_eq!(
        stored,
        stoa_auth::LINKS_PER_ADDRESS_AND_CLIENT,
        "the refused request stored nothing"
    );
    // Per requester too: other addresses from the same client. The links above count (they
    // came from this client): exactly LINKS_PER_CLIENT are sent in the window, the next
    // is refused.
    for n in stoa_auth::LINKS_PER_ADDRESS_AND_CLIENT + 1..=stoa_auth::LINKS_PER_CLIENT {
        let res = request_link(&app, &browser, &unique_email(&format!("r{n}"))).await;
        assert_eq!(
            location(&res),
            "/signin/email-sent",
            "link {n} of {} from this client",
            stoa_auth::LINKS_PER_CLIENT
        );
    }
    let res = request_link(&app, &browser, &unique_email("one-too-many")).await;
    assert!(
        location(&res).starts_with("/signin?error=rate_limited"),
        "link {} from one client is refused: {}",
        stoa_auth::LINKS_PER_CLIENT + 1,
        location(&res)
    );
    // The window passes.
    app.clock.advance(chrono::TimeDelta::minutes(16));
    assert_eq!(
        location(&request_link(&app, &browser, &email).await),
        "/signin/email-sent"
    );
});

/// Email sign-in limits behind a reverse proxy: each client counts on its own (taken from
/// X-Forwarded-For because the peer, 127.0.0.1, is a trusted proxy), a stranger cannot lock
/// a person out, one client cannot mail many people, and many clients together cannot flood
/// one mailbox.
async fn email_limits_behind_a_proxy(backend: stoa_db::Backend) {
    require_peers();
    let app = TestApp::spawn_with(backend, |s| {
        s.trusted_proxies = vec!["127.0.0.0/8".into()];
    })
    .await;
    let victim = unique_email("victim");
    let ask = |client: String, email: String| {
        let app = &app;
        async move {
            let res = browser()
                .post(app.url("/auth/email"))
                .header("x-forwarded-for", format!("6.6.6.6, {client}"))
                .form(&[("email", email.as_str())])
                .send()
                .await
                .unwrap();
            location(&res)
        }
    };
    let sent = "/signin/email-sent";
    let refused = "/signin?error=rate_limited";
    let pair = stoa_auth::LINKS_PER_ADDRESS_AND_CLIENT;
    // A stranger asks for the victim's links until refused...
    for i in 0..pair {
        assert_eq!(
            ask("198.51.100.1".into(), victim.clone()).await,
            sent,
            "{i}"
        );
    }
    assert_eq!(ask("198.51.100.1".into(), victim.clone()).await, refused);
    // ...and the victim, from their own network, still gets one.
    assert_eq!(ask("203.0.113.5".into(), victim.clone()).await, sent);
    // The stranger's client has its own budget across addresses: exactly this many more.
    for i in pair..stoa_auth::LINKS_PER_CLIENT {
        assert_eq!(
            ask("198.51.100.1".into(), unique_email(&format!("other{i}"))).await,
            sent,
            "{i}"
        );
    }
    assert_eq!(
        ask("198.51.100.1".into(), unique_email("one-too-many")).await,
        refused
    );
    // Many networks together: the generous per-address cap, exactly.
    let mut asked = pair + 1;
    let mut network = 0;
    while asked < stoa_auth::LINKS_PER_ADDRESS {
        network += 1;
        for _ in 0..pair.min(stoa_auth::LINKS_PER_ADDRESS - asked) {
            assert_eq!(
                ask(format!("192.0.2.{network}"), victim.clone()).await,
                sent
            );
            asked += 1;
        }
    }
    assert_eq!(ask("192.0.2.200".into(), victim.clone()).await, refused);
    // IPv6 clients count per /64: another address in the same /64 is the same client.
    let v6 = unique_email("six");
    for _ in 0..pair {
        assert_eq!(ask("2001:db8:1:2::1".into(), v6.clone()).await, sent);
    }
    assert_eq!(ask("2001:db8:1:2::ffff".into(), v6.clone()).await, refused);
    assert_eq!(ask("2001:db8:1:3::1".into(), v6.clone()).await, sent);
}

mod email_limits_behind_a_proxy {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::email_limits_behind_a_proxy(stoa_db::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::email_limits_behind_a_proxy(stoa_db::Backend::Postgres).await;
    }
}

/// Signs `browser` in by magic link as `email`.
pub(crate) async fn sign_in_by_mail(app: &TestApp, browser: &Client, email: &str) {
    let previous = latest_link(email).await;
    assert_eq!(
        location(&request_link(app, browser, email).await),
        "/signin/email-sent"
    );
    let link = link_from_mail_after(email, previous.as_deref()).await;
    let res = browser
        .post(app.url("/auth/email/verify"))
        .form(&[("token", token_of(&link).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/account");
}

pub(crate) async fn account_name(app: &TestApp, email: &str) -> String {
    let mut conn = app.db.read().await.unwrap();
    stoa_db::accounts::find_by_email(conn.conn(), email)
        .await
        .unwrap()
        .expect("account")
        .name
}

on_both!(cross_site_posts_are_refused_and_change_nothing, |app| {
    require_peers();
    let email = unique_email("csrf");
    let browser = browser();
    sign_in_by_mail(&app, &browser, &email).await;
    let rename = |origin: Option<&'static str>, site: Option<&'static str>| {
        let mut req = browser
            .post(app.url("/api/account/rename"))
            .form(&[("name", "Renamed")]);
        if let Some(origin) = origin {
            req = req.header(ORIGIN, origin);
        }
        if let Some(site) = site {
            req = req.header("sec-fetch-site", site);
        }
        req.send()
    };
    let original = account_name(&app, &email).await;
    assert_eq!(
        rename(Some("https://evil.example"), None)
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        rename(None, Some("cross-site")).await.unwrap().status(),
        403
    );
    assert_eq!(
        rename(Some("https://evil.example"), Some("same-site"))
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        account_name(&app, &email).await,
        original,
        "nothing changed"
    );
    // Plain form posts are covered too.
    let res = browser
        .post(app.url("/auth/signout"))
        .header(ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(
        signed_in_name(&app, &browser).await.is_some(),
        "still signed in"
    );

    let own_origin: &'static str = Box::leak(app.url("").into_boxed_str());
    let res = rename(Some(own_origin), Some("same-origin")).await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(account_name(&app, &email).await, "Renamed");

    // State-changing server functions do not answer GET.
    let res = browser
        .get(app.url("/api/account/rename?name=ViaGet"))
        .send()
        .await
        .unwrap();
    assert!(!res.status().is_success(), "{}", res.status());
    assert_eq!(account_name(&app, &email).await, "Renamed");
});

on_both!(
    sign_out_everywhere_and_absolute_timeout_end_sessions,
    |app| {
        require_peers();
        let email = unique_email("everywhere");
        let (laptop, phone) = (browser(), browser());
        sign_in_by_mail(&app, &laptop, &email).await;
        sign_in_by_mail(&app, &phone, &email).await;
        assert!(signed_in_name(&app, &phone).await.is_some());
        let res = laptop
            .post(app.url("/auth/signout-everywhere"))
            .send()
            .await
            .unwrap();
        assert_eq!(location(&res), "/signin?notice=signed_out_everywhere");
        assert_eq!(signed_in_name(&app, &laptop).await, None);
        assert_eq!(
            signed_in_name(&app, &phone).await,
            None,
            "the other device is signed out too"
        );

        sign_in_by_mail(&app, &phone, &email).await;
        assert!(signed_in_name(&app, &phone).await.is_some());
        app.clock.advance(chrono::TimeDelta::days(31));
        assert_eq!(
            signed_in_name(&app, &phone).await,
            None,
            "absolute lifetime"
        );
    }
);

on_both!(staff_pages_refuse_everyone_but_staff, |app| {
    require_peers();
    let email = unique_email("staff");
    let browser = browser();
    let res = browser.get(app.url("/staff")).send().await.unwrap();
    assert_eq!(location(&res), "/signin?next=/staff");
    sign_in_by_mail(&app, &browser, &email).await;
    let res = browser.get(app.url("/staff")).send().await.unwrap();
    assert_eq!(res.status(), 403);

    let stoa = |args: Vec<String>| {
        let url = app.database_url.clone();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            crate::cli::stoa(
                &args,
                &[("DATABASE_URL", &url), ("STOA_LOG_FILTER", "warn")],
            )
        })
    };
    let out = stoa(vec!["staff".into(), "add".into(), email.to_uppercase()])
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let res = browser.get(app.url("/staff")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(body.contains("Staff members") && body.contains(&email));
    let out = stoa(vec!["staff".into(), "remove".into(), email.clone()])
        .await
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        browser
            .get(app.url("/staff"))
            .send()
            .await
            .unwrap()
            .status(),
        403,
        "revoked on the next request"
    );
    let out = stoa(vec![
        "staff".into(),
        "add".into(),
        "nobody@example.org".into(),
    ])
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no account has that email"));
});

on_both!(
    identities_link_to_one_account_and_the_last_cannot_be_removed,
    |app| {
        require_peers();
        let browser = browser();
        // Provider sign-in as dave gives dave…@example.test, verified. The login is unique:
        // the SQLite and PostgreSQL runs share the mail catcher, and a fixed address let one
        // pick up the other's link.
        let login = format!("dave{}", uuid_like());
        let email = format!("{login}@example.test");
        let callback = provider_login(&app, &browser, &login, &[]).await;
        browser.get(&callback).send().await.unwrap();
        // A magic link to the same verified address lands in the same account.
        let other = self::browser();
        sign_in_by_mail(&app, &other, &email).await;
        assert_eq!(
            signed_in_name(&app, &other).await,
            Some(format!("Test {login}"))
        );
        let identities = {
            let mut conn = app.db.read().await.unwrap();
            let account = stoa_db::accounts::find_by_email(conn.conn(), &email)
                .await
                .unwrap()
                .unwrap();
            stoa_db::accounts::identities(conn.conn(), account.id)
                .await
                .unwrap()
        };
        assert_eq!(identities.len(), 2);
        let unlink = |id: i64| {
            other
                .post(app.url("/api/account/unlink"))
                .form(&[("identity_id", id.to_string())])
                .send()
        };
        assert_eq!(unlink(identities[0].id).await.unwrap().status(), 200);
        let res = unlink(identities[1].id).await.unwrap();
        assert!(!res.status().is_success());
        assert!(res.text().await.unwrap().contains("only way to sign in"));
    }
);

on_both!(
    a_signed_in_person_links_a_provider_identity_but_not_someone_elses,
    |app| {
        require_peers();
        let email = unique_email("linker");
        let browser = browser();
        sign_in_by_mail(&app, &browser, &email).await;
        let login = format!("gina{}", uuid_like());
        let callback = provider_login(
            &app,
            &browser,
            &login,
            &[("link", "1"), ("next", "/account")],
        )
        .await;
        let res = browser.get(&callback).send().await.unwrap();
        assert_eq!(location(&res), "/account");
        let account = {
            let mut conn = app.db.read().await.unwrap();
            stoa_db::accounts::find_by_email(conn.conn(), &email)
                .await
                .unwrap()
                .unwrap()
        };
        let identities = {
            let mut conn = app.db.read().await.unwrap();
            stoa_db::accounts::identities(conn.conn(), account.id)
                .await
                .unwrap()
        };
        let providers: Vec<_> = identities.iter().map(|i| i.provider.as_str()).collect();
        assert_eq!(
            providers,
            ["email", "test"],
            "both identities on the one account"
        );
        let page = browser
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("Test University") && page.contains(&format!("{login}@example.test"))
        );

        // Someone else cannot link the same provider identity to their account.
        let intruder = self::browser();
        sign_in_by_mail(&app, &intruder, &unique_email("intruder")).await;
        let callback = provider_login(&app, &intruder, &login, &[("link", "1")]).await;
        let res = intruder.get(&callback).send().await.unwrap();
        assert!(
            location(&res).starts_with("/signin?error=identity_taken"),
            "{}",
            location(&res)
        );

        // Linking needs a signed-in person.
        let anonymous = self::browser();
        let res = anonymous
            .post(app.url("/auth/oidc/test"))
            .form(&[("link", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(location(&res), "/signin?next=/account");
    }
);

/// Issue 8: an SMTP refusal on the sign-in path was logged with the server's answer, which
/// quotes the recipient (`AuthError::log_detail` of `Mail`, logged by `log_failure` in
/// server/src/auth/routes.rs). The person is told, and the log holds no address.
#[tokio::test]
async fn a_refused_sign_in_mail_is_logged_without_the_address() {
    let smtp = crate::helpers::smtp_refusing_recipients().await;
    let app = TestApp::spawn_with(stoa_db::Backend::Sqlite, |settings| {
        settings.smtp_url = Some(secrecy::SecretString::from(smtp));
    })
    .await;
    let email = unique_email("refused");
    let res = request_link(&app, &browser(), &email).await;
    assert!(
        location(&res).starts_with("/signin?error=mail_failed"),
        "{}",
        location(&res)
    );
    let log = crate::helpers::captured_log();
    assert!(
        log.contains("sending a sign-in link failed"),
        "the failure is logged"
    );
    assert!(!log.contains(&email), "the recipient is not");
}

/// Request counters of a provider started with `helpers::new_issuer`.
async fn provider_stats(issuer: &str) -> (u64, u64) {
    let stats: serde_json::Value = reqwest::get(format!("{issuer}/_test/stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        stats["discovery"].as_u64().unwrap(),
        stats["jwks"].as_u64().unwrap(),
    )
}

on_both!(
    provider_metadata_is_cached_and_rotated_keys_still_verify,
    |_app| {
        require_peers();
        // A provider of this test's own, so the counts are this test's requests only.
        let issuer = crate::helpers::new_issuer().await;
        let app = TestApp::spawn_with_providers(
            _app.backend,
            &[crate::helpers::ExtraProvider {
                id: "own",
                issuer: issuer.clone(),
                trust_email: true,
            }],
            |_| {},
        )
        .await;
        for _ in 0..3 {
            let res = browser()
                .post(app.url("/auth/oidc/own"))
                .form(&[("next", "/")])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 303, "{:?}", res.headers().get("location"));
        }
        assert_eq!(
            provider_stats(&issuer).await,
            (1, 1),
            "discovery and keys fetched once for three sign-in starts"
        );
        let login = format!("rot{}", uuid_like());
        let first = browser();
        let callback = provider_login_at(&app, "own", &first, &login, &[]).await;
        let res = first.get(&callback).send().await.unwrap();
        assert_eq!(location(&res), "/");
        assert!(signed_in_name(&app, &first).await.is_some());
        assert_eq!(provider_stats(&issuer).await, (1, 1));

        // The provider rotates its signing key: the next ID token names a key id Stoa has
        // not seen; Stoa fetches the keys again (once) and the sign-in still works.
        let rotated = reqwest::Client::new()
            .post(format!("{issuer}/_test/rotate"))
            .send()
            .await
            .unwrap();
        assert_eq!(rotated.status(), 200);
        let second = browser();
        let callback = provider_login_at(&app, "own", &second, &login, &[]).await;
        let res = second.get(&callback).send().await.unwrap();
        assert_eq!(
            location(&res),
            "/",
            "a token signed with the new key verifies"
        );
        assert!(signed_in_name(&app, &second).await.is_some());
        assert_eq!(
            provider_stats(&issuer).await,
            (1, 2),
            "keys fetched again, discovery not"
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_metadata_is_fetched_again_after_its_ttl() {
    require_peers();
    let issuer = crate::helpers::new_issuer().await;
    let app = TestApp::spawn_with_providers(
        stoa_db::Backend::Sqlite,
        &[crate::helpers::ExtraProvider {
            id: "own",
            issuer: issuer.clone(),
            trust_email: true,
        }],
        |s| s.oidc_metadata_ttl_secs = 1,
    )
    .await;
    let begin = || {
        browser()
            .post(app.url("/auth/oidc/own"))
            .form(&[("next", "/")])
            .send()
    };
    assert_eq!(begin().await.unwrap().status(), 303);
    assert_eq!(begin().await.unwrap().status(), 303);
    assert_eq!(provider_stats(&issuer).await.0, 1);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(begin().await.unwrap().status(), 303);
    assert_eq!(
        provider_stats(&issuer).await.0,
        2,
        "stale metadata is fetched again"
    );
}

async fn account_count(app: &TestApp) -> i64 {
    let mut conn = app.db.read().await.unwrap();
    stoa_db::accounts::count(conn.conn()).await.unwrap()
}

on_both!(
    only_providers_trusted_for_email_link_accounts_by_address,
    |_app| {
        require_peers();
        let app = TestApp::spawn_with_providers(
            _app.backend,
            &[crate::helpers::ExtraProvider {
                id: "loose",
                issuer: crate::helpers::new_issuer().await,
                trust_email: false,
            }],
            |_| {},
        )
        .await;
        // Someone has an account with this address (signed in by email link).
        let login = format!("erin{}", uuid_like());
        let email = format!("{login}@example.test");
        let owner = browser();
        sign_in_by_mail(&app, &owner, &email).await;
        let accounts = account_count(&app).await;

        // A provider not trusted for email asserts the same (verified) address: refused with
        // a message saying what to do, and nothing is created or linked.
        let stranger = browser();
        let callback = provider_login_at(&app, "loose", &stranger, &login, &[]).await;
        let res = stranger.get(&callback).send().await.unwrap();
        let to = location(&res);
        assert!(to.starts_with("/signin?error=email_in_use"), "{to}");
        let page = stranger
            .get(app.url(&to))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("then link this provider on your account page"),
            "the sign-in page explains what to do"
        );
        assert_eq!(signed_in_name(&app, &stranger).await, None);
        assert_eq!(account_count(&app).await, accounts, "no account made");
        let identities = |email: String| {
            let db = app.db.clone();
            async move {
                let mut conn = db.read().await.unwrap();
                let account = stoa_db::accounts::find_by_email(conn.conn(), &email)
                    .await
                    .unwrap()
                    .unwrap();
                stoa_db::accounts::identities(conn.conn(), account.id)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(identities(email.clone()).await.len(), 1, "nothing linked");

        // The trusted provider with the same address signs in to that account.
        let trusted = browser();
        let callback = provider_login(&app, &trusted, &login, &[]).await;
        trusted.get(&callback).send().await.unwrap();
        assert!(signed_in_name(&app, &trusted).await.is_some());
        let linked = identities(email.clone()).await;
        assert_eq!(
            linked
                .iter()
                .map(|i| i.provider.as_str())
                .collect::<Vec<_>>(),
            ["email", "test"]
        );

        // An untrusted provider's address with no account yet: a new account without an
        // address, so a later email sign-in with that address is not handed this account.
        let login = format!("fay{}", uuid_like());
        let first = browser();
        let callback = provider_login_at(&app, "loose", &first, &login, &[]).await;
        assert_eq!(location(&first.get(&callback).send().await.unwrap()), "/");
        assert_eq!(account_count(&app).await, accounts + 1);
        let by_mail = browser();
        sign_in_by_mail(&app, &by_mail, &format!("{login}@example.test")).await;
        assert_eq!(
            account_count(&app).await,
            accounts + 2,
            "a separate account"
        );
        assert_eq!(
            identities(format!("{login}@example.test")).await.len(),
            1,
            "the untrusted identity is not on the email account"
        );
    }
);

async fn active_sessions_slide_and_idle_ones_end(backend: stoa_db::Backend) {
    require_peers();
    let app = TestApp::spawn_with(backend, |s| {
        s.session_idle_timeout_mins =
            stoa_server::config::Settings::default().session_idle_timeout_mins;
    })
    .await;
    assert_eq!(app.settings.session_idle_timeout_mins, 7 * 24 * 60);
    let email = unique_email("slide");
    let browser = browser();
    sign_in_by_mail(&app, &browser, &email).await;
    let seen = |b: &Client| {
        let b = b.clone();
        let url = app.url("/account");
        async move {
            let res = b.get(url).send().await.unwrap();
            let saved = session_cookie(&res).is_some();
            (res.status().as_u16(), saved)
        }
    };
    // Within the hour nothing is written (no Set-Cookie: the session was not saved).
    app.clock.advance(chrono::TimeDelta::minutes(30));
    assert_eq!(seen(&browser).await, (200, false));
    // Later, one request refreshes the last-seen time (and the cookie).
    app.clock.advance(chrono::TimeDelta::minutes(31));
    assert_eq!(seen(&browser).await, (200, true));
    assert_eq!(seen(&browser).await, (200, false), "once an hour at most");
    // Active every few days for two weeks: still signed in, past the 7-day idle timeout
    // counted from sign-in.
    for _ in 0..4 {
        app.clock.advance(chrono::TimeDelta::days(4));
        assert_eq!(seen(&browser).await.0, 200);
    }
    // Then unused longer than the idle timeout: signed out.
    app.clock.advance(chrono::TimeDelta::days(7));
    assert_eq!(signed_in_name(&app, &browser).await, None);
}

mod active_sessions_slide_and_idle_ones_end {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::active_sessions_slide_and_idle_ones_end(stoa_db::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::active_sessions_slide_and_idle_ones_end(stoa_db::Backend::Postgres).await;
    }
}

on_both!(a_session_survives_a_restart, |app| {
    require_peers();
    let mut app = app;
    let email = unique_email("restart");
    let browser = browser();
    sign_in_by_mail(&app, &browser, &email).await;
    let name = signed_in_name(&app, &browser).await;
    assert!(name.is_some());
    app.restart().await;
    assert_eq!(
        signed_in_name(&app, &browser).await,
        name,
        "the same cookie is still signed in on the new process"
    );
});

on_both!(concurrent_unlinks_leave_one_identity, |app| {
    use stoa_db::accounts::{self, NewIdentity, UnlinkOutcome};
    let now = app.clock.now();
    let mut tx = app.db.begin().await.unwrap();
    let account = accounts::create(tx.conn(), "Two ways", None, now)
        .await
        .unwrap();
    for subject in ["a", "b"] {
        let identity = NewIdentity {
            issuer: "https://op.example",
            subject,
            provider: "test",
            email: None,
        };
        accounts::add_identity(tx.conn(), account, &identity, now)
            .await
            .unwrap();
    }
    let ids: Vec<i64> = accounts::identities(tx.conn(), account)
        .await
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    tx.commit().await.unwrap();

    // The first unlink holds its transaction open while the second runs: on PostgreSQL the
    // second would count both identities (the first has not committed) and delete too.
    let (started_tx, started) = tokio::sync::oneshot::channel();
    let first = tokio::spawn({
        let db = app.db.clone();
        let id = ids[0];
        async move {
            let mut tx = db.begin().await.unwrap();
            let outcome = accounts::unlink_identity(tx.conn(), account, id)
                .await
                .unwrap();
            let _ = started_tx.send(());
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            tx.commit().await.unwrap();
            outcome
        }
    });
    let second = tokio::spawn({
        let db = app.db.clone();
        let id = ids[1];
        async move {
            started.await.unwrap();
            let mut tx = db.begin().await.unwrap();
            let outcome = accounts::unlink_identity(tx.conn(), account, id)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            outcome
        }
    });
    let outcomes = [first.await.unwrap(), second.await.unwrap()];
    assert_eq!(
        outcomes,
        [UnlinkOutcome::Removed, UnlinkOutcome::LastIdentity],
        "exactly one succeeds"
    );
    let mut conn = app.db.read().await.unwrap();
    assert_eq!(
        accounts::identities(conn.conn(), account)
            .await
            .unwrap()
            .len(),
        1
    );
});

on_both!(a_non_ascii_next_is_encoded_before_the_link_is_used, |app| {
    require_peers();
    let email = unique_email("umlaut");
    let browser = browser();
    let res = browser
        .post(app.url("/auth/email"))
        .form(&[("email", email.as_str()), ("next", "/communities/ü?q=café")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/signin/email-sent");
    let link = link_from_mail(&email).await;
    let res = browser
        .post(app.url("/auth/email/verify"))
        .form(&[("token", token_of(&link).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/communities/%C3%BC?q=caf%C3%A9");
    assert!(signed_in_name(&app, &browser).await.is_some());
});
