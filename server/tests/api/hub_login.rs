//! Hub login: Stoa as the OpenID provider of its hubs, driven as a hub would drive it, with the
//! `openidconnect` crate as the client (discovery, authorize with PKCE, token, ID-token
//! signature against the published keys, userinfo, refresh), on both engines.

use openidconnect::core::{CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthType, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, OAuth2TokenResponse as _, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RefreshToken, Scope, TokenResponse as _,
};
use reqwest::Client;
use secrecy::ExposeSecret as _;
use serde_json::Value;
use stoa_db::accounts::AccountId;
use stoa_domain::hub_login::{self, ClientCredentials, Provider};

use crate::auth::{browser, location};
use crate::communities::{Person, add_member, audit_actions, create_community, person};
use crate::helpers::{TestApp, on_both, remember_secret, require_peers};

const REDIRECT: &str = "http://test-hub.hub.localhost:9/hub/oauth_callback";
const LOGOUT: &str = "http://test-hub.hub.localhost:9/hub/";

fn provider(app: &TestApp) -> Provider {
    Provider::new(
        &app.settings.public_url,
        stoa_server::startup::secret_box(&app.settings).expect("the app's key"),
    )
}

/// A community `slug` owned by `owner`, its hub (made by saving the homepage section), and
/// the hub's client.
async fn hub_with_client(app: &TestApp, owner: &Person, slug: &str) -> ClientCredentials {
    create_community(app, owner, slug, "invite").await;
    let (status, body) = app
        .call(
            &owner.client,
            "hub/save_homepage",
            &[
                ("slug", slug),
                ("base", "0"),
                ("message", ""),
                ("org_name", "Test Org"),
                ("org_url", ""),
                ("funded_by_name", ""),
                ("funded_by_url", ""),
                ("announcement", ""),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut tx = app.db.begin().await.unwrap();
    let community = stoa_db::communities::by_slug(tx.conn(), slug)
        .await
        .unwrap()
        .unwrap();
    let hub = stoa_db::hubs::of_community(tx.conn(), community.id)
        .await
        .unwrap()[0]
        .id;
    let creds = hub_login::ensure_client(
        &provider(app),
        &mut tx,
        hub,
        REDIRECT,
        LOGOUT,
        app.clock.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    remember_secret(creds.client_secret.expose_secret());
    assert_eq!(creds.client_id, format!("hub-{slug}"));
    creds
}

fn http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

type Rp = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// The hub's view of Stoa: discovery, then a client with its credentials.
async fn relying_party(app: &TestApp, creds: &ClientCredentials) -> Rp {
    let issuer = IssuerUrl::new(app.settings.public_url.clone()).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer, &http())
        .await
        .expect("discovery");
    CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(creds.client_id.clone()),
        Some(ClientSecret::new(
            creds.client_secret.expose_secret().to_owned(),
        )),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap())
}

/// A login started by the hub: the authorize URL (as a path on Stoa) and what the hub keeps.
struct Started {
    path: String,
    state: CsrfToken,
    nonce: Nonce,
    verifier: PkceCodeVerifier,
}

fn start(app: &TestApp, rp: &Rp) -> Started {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = rp
        .authorize_url(
            AuthenticationFlow::<openidconnect::core::CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("groups".into()))
        .set_pkce_challenge(challenge)
        .url();
    let base = app.url("");
    let path = url.as_str().strip_prefix(&base).unwrap().to_owned();
    Started {
        path,
        state,
        nonce,
        verifier,
    }
}

/// Follows `path` as `who`; returns the code from the redirect back to the hub, checking
/// `state` and `iss`.
async fn code_for(app: &TestApp, who: &Client, started: &Started) -> String {
    let res = who.get(app.url(&started.path)).send().await.unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let back = url::Url::parse(&location(&res)).unwrap();
    assert!(back.as_str().starts_with(REDIRECT), "{back}");
    let param = |k: &str| {
        back.query_pairs()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(
        param("state").as_deref(),
        Some(started.state.secret().as_str())
    );
    assert_eq!(
        param("iss").as_deref(),
        Some(app.settings.public_url.as_str())
    );
    let code = param("code").expect("a code");
    remember_secret(&code);
    code
}

/// The JSON payload of a JWT (not verified: for reading claims of a verified token).
fn payload(jwt: &str) -> Value {
    use base64::Engine as _;
    let part = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

async fn userinfo(app: &TestApp, access_token: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A raw token request with client_secret_post; `(status, body)`.
async fn token_post(
    app: &TestApp,
    creds: &ClientCredentials,
    secret: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, Value, Option<String>) {
    let mut fields: Vec<(&str, &str)> = vec![
        ("client_id", creds.client_id.as_str()),
        (
            "client_secret",
            secret.unwrap_or(creds.client_secret.expose_secret()),
        ),
    ];
    fields.extend_from_slice(form);
    let res = reqwest::Client::new()
        .post(app.url("/oauth/token"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let cache = res
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, res.json().await.unwrap_or(Value::Null), cache)
}

on_both!(a_member_logs_in_with_pkce_and_refreshes, |app| {
    require_peers();
    let ada = person(&app, "hub-owner").await;
    let creds = hub_with_client(&app, &ada, "flow-lab").await;
    let rp = relying_party(&app, &creds).await;

    // Not signed in: to Stoa's sign-in page, then back to the same request.
    let started = start(&app, &rp);
    let anonymous = browser();
    let res = anonymous.get(app.url(&started.path)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert!(
        to.starts_with("/signin?next=%2Foauth%2Fauthorize%3F"),
        "{to}"
    );

    // The owner logs in: code, token (client_secret_basic), verified ID token.
    let code = code_for(&app, &ada.client, &started).await;
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(started.verifier)
        .request_async(&http())
        .await
        .expect("token exchange");
    remember_secret(tokens.access_token().secret());
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token
        .claims(&rp.id_token_verifier(), &started.nonce)
        .expect("the ID token verifies against the published keys");
    let sub = claims.subject().as_str().to_owned();
    assert_ne!(sub, ada.id.to_string(), "the subject is opaque");
    let raw = payload(&id_token.to_string());
    assert_eq!(raw["aud"], serde_json::json!([creds.client_id]));
    assert_eq!(raw["email"], ada.email.as_str());
    assert_eq!(raw["email_verified"], true);
    assert_eq!(
        raw["groups"],
        serde_json::json!(["stoa-members", "stoa-role-owner", "stoa-hub-admins"])
    );
    assert_eq!(raw["hub_admin"], true);
    let username = raw["preferred_username"].as_str().unwrap().to_owned();

    // Userinfo: the same person, read fresh; no caching of tokens or claims.
    let (status, info) = userinfo(&app, tokens.access_token().secret()).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["sub"], sub.as_str());
    assert_eq!(info["preferred_username"], username.as_str());
    assert_eq!(info["email"], ada.email.as_str());
    assert_eq!(info["hub_admin"], true);
    let (status, _) = userinfo(&app, "not-a-token").await;
    assert_eq!(status, 401);

    // Refresh: new tokens; the old refresh token again is refused and ends the grant.
    let old_refresh = tokens.refresh_token().expect("a refresh token").clone();
    remember_secret(old_refresh.secret());
    let refreshed = rp
        .exchange_refresh_token(&old_refresh)
        .unwrap()
        .request_async(&http())
        .await
        .expect("refresh");
    remember_secret(refreshed.access_token().secret());
    let new_refresh = refreshed.refresh_token().unwrap().clone();
    remember_secret(new_refresh.secret());
    assert_ne!(new_refresh.secret(), old_refresh.secret());
    assert_eq!(
        userinfo(&app, refreshed.access_token().secret()).await.0,
        200
    );
    let (status, body, cache) = token_post(
        &app,
        &creds,
        None,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", old_refresh.secret()),
        ],
    )
    .await;
    assert_eq!(
        (status, &body["error"]),
        (400, &Value::from("invalid_grant"))
    );
    assert_eq!(cache.as_deref(), Some("no-store"));
    for token in [tokens.access_token(), refreshed.access_token()] {
        assert_eq!(userinfo(&app, token.secret()).await.0, 401, "grant revoked");
    }
    let again = rp
        .exchange_refresh_token(&RefreshToken::new(new_refresh.secret().clone()))
        .unwrap()
        .request_async(&http())
        .await;
    assert!(
        again.is_err(),
        "the newest refresh token died with the grant"
    );

    // A second login, client_secret_post this time: same subject and username.
    let rp_post = relying_party(&app, &creds)
        .await
        .set_auth_type(AuthType::RequestBody);
    let started = start(&app, &rp_post);
    let code = code_for(&app, &ada.client, &started).await;
    let tokens = rp_post
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(started.verifier)
        .request_async(&http())
        .await
        .expect("client_secret_post");
    remember_secret(tokens.access_token().secret());
    let raw = payload(&tokens.id_token().unwrap().to_string());
    assert_eq!(
        (raw["sub"].as_str(), raw["preferred_username"].as_str()),
        (Some(sub.as_str()), Some(username.as_str()))
    );

    // Without `secret_key`, the embedded database's key file was made, private.
    if app.backend == stoa_db::Backend::Sqlite {
        use std::os::unix::fs::PermissionsExt as _;
        let db_file = app.database_url.trim_start_matches("sqlite://");
        let key =
            std::path::Path::new(db_file).with_file_name(stoa_server::startup::SECRET_KEY_FILE);
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", key.display());
    }
});

on_both!(bad_requests_are_refused, |app| {
    require_peers();
    let ada = person(&app, "hub-owner").await;
    let creds = hub_with_client(&app, &ada, "strict-lab").await;
    let rp = relying_party(&app, &creds).await;

    // An unregistered redirect URI or an unknown client: a page, never a redirect.
    let started = start(&app, &rp);
    for path in [
        started
            .path
            .replace("test-hub.hub.localhost", "evil.example"),
        started
            .path
            .replace("client_id=hub-strict-lab", "client_id=hub-nope"),
    ] {
        let res = ada.client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.headers().get("location").is_none());
        assert!(res.text().await.unwrap().contains("hub-login-message"));
    }
    // Without PKCE: back to the hub with an error (the redirect URI is known by then).
    let no_pkce = started
        .path
        .split('&')
        .filter(|p| !p.starts_with("code_challenge"))
        .collect::<Vec<_>>()
        .join("&");
    let res = ada.client.get(app.url(&no_pkce)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert!(
        to.starts_with(REDIRECT) && to.contains("error=invalid_request"),
        "{to}"
    );

    // A wrong code_verifier: invalid_grant, and the code is used up.
    let code = code_for(&app, &ada.client, &started).await;
    let wrong = PkceCodeChallenge::new_random_sha256().1;
    let (status, body, cache) = token_post(
        &app,
        &creds,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", wrong.secret()),
        ],
    )
    .await;
    assert_eq!(
        (status, &body["error"]),
        (400, &Value::from("invalid_grant")),
        "{body}"
    );
    assert_eq!(cache.as_deref(), Some("no-store"));

    // A wrong client secret: 401 invalid_client.
    let started = start(&app, &rp);
    let code = code_for(&app, &ada.client, &started).await;
    let verifier = started.verifier.secret().clone();
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let (status, body, _) = token_post(&app, &creds, Some("wrong-secret"), &exchange).await;
    assert_eq!(
        (status, &body["error"]),
        (401, &Value::from("invalid_client"))
    );
    // The right one works once; the same code again is refused and revokes what it gave.
    let (status, first, _) = token_post(&app, &creds, None, &exchange).await;
    assert_eq!(status, 200, "{first}");
    let access = first["access_token"].as_str().unwrap().to_owned();
    remember_secret(&access);
    assert_eq!(userinfo(&app, &access).await.0, 200);
    let (status, body, _) = token_post(&app, &creds, None, &exchange).await;
    assert_eq!(
        (status, &body["error"]),
        (400, &Value::from("invalid_grant"))
    );
    assert_eq!(
        userinfo(&app, &access).await.0,
        401,
        "the reused code's grant is revoked"
    );
    // Codes last 60 seconds.
    let started = start(&app, &rp);
    let code = code_for(&app, &ada.client, &started).await;
    app.clock.advance(chrono::TimeDelta::seconds(61));
    let (status, body, _) = token_post(
        &app,
        &creds,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", started.verifier.secret()),
        ],
    )
    .await;
    assert_eq!(
        (status, &body["error"]),
        (400, &Value::from("invalid_grant"))
    );
    let (status, body, _) = token_post(&app, &creds, None, &[("grant_type", "password")]).await;
    assert_eq!(
        (status, &body["error"]),
        (400, &Value::from("unsupported_grant_type"))
    );
});

on_both!(only_members_and_email_domains_get_in, |app| {
    require_peers();
    let ada = person(&app, "hub-owner").await;
    let creds = hub_with_client(&app, &ada, "gate-lab").await;
    let rp = relying_party(&app, &creds).await;

    // A stranger gets a page saying so, with the way to ask to join.
    let stranger = person(&app, "stranger").await;
    let res = stranger
        .client
        .get(app.url(&start(&app, &rp).path))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("You are not a member of Test community"),
        "{html}"
    );
    assert!(
        html.contains("href=\"/communities/gate%2Dlab\"")
            || html.contains("href=\"/communities/gate-lab\""),
        "{html}"
    );

    // A course member until tomorrow: in today, out after the end, userinfo refuses.
    let student = person(&app, "student").await;
    add_member(&app, "gate-lab", student.id, "member").await;
    {
        let mut tx = app.db.begin().await.unwrap();
        let c = stoa_db::communities::by_slug(tx.conn(), "gate-lab")
            .await
            .unwrap()
            .unwrap();
        stoa_db::memberships::update(
            tx.conn(),
            c.id,
            AccountId(student.id),
            stoa_model::Role::Member,
            Some(app.clock.now() + chrono::TimeDelta::days(1)),
            app.clock.now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let started = start(&app, &rp);
    let code = code_for(&app, &student.client, &started).await;
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(started.verifier)
        .request_async(&http())
        .await
        .unwrap();
    remember_secret(tokens.access_token().secret());
    let raw = payload(&tokens.id_token().unwrap().to_string());
    assert_eq!(
        raw["groups"],
        serde_json::json!(["stoa-members", "stoa-role-member"])
    );
    assert_eq!(raw["hub_admin"], false);
    assert_eq!(userinfo(&app, tokens.access_token().secret()).await.0, 200);
    app.clock.advance(chrono::TimeDelta::days(2));
    let (status, body) = userinfo(&app, tokens.access_token().secret()).await;
    assert_eq!(
        (status, &body["error"]),
        (401, &Value::from("invalid_token"))
    );
    let res = student
        .client
        .get(app.url(&start(&app, &rp).path))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let html = res.text().await.unwrap();
    assert!(html.contains("Your membership ended on"), "{html}");
    let refresh = tokens.refresh_token().unwrap();
    remember_secret(refresh.secret());
    assert!(
        rp.exchange_refresh_token(refresh)
            .unwrap()
            .request_async(&http())
            .await
            .is_err(),
        "no refresh after the end"
    );

    // The owner lets example.org in (the tests' addresses) and applies it: the stranger
    // joins by logging in, with an audit entry.
    let (status, body) = app
        .call(
            &ada.client,
            "hub/save_login",
            &[
                ("slug", "gate-lab"),
                ("base", "1"),
                ("message", ""),
                ("email_domains", "example.org"),
                ("cilogon_idps", ""),
                ("github_rules", ""),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .call(
            &ada.client,
            "hub/apply",
            &[("slug", "gate-lab"), ("number", "2")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    code_for(&app, &stranger.client, &start(&app, &rp)).await;
    let mut conn = app.db.read().await.unwrap();
    let c = stoa_db::communities::by_slug(conn.conn(), "gate-lab")
        .await
        .unwrap()
        .unwrap();
    let role = stoa_db::memberships::role_of(conn.conn(), c.id, AccountId(stranger.id))
        .await
        .unwrap();
    assert_eq!(role, Some(stoa_model::Role::Member));
    drop(conn);
    assert!(
        audit_actions(&app, "gate-lab")
            .await
            .contains(&"membership.joined_by_login_rule".to_owned())
    );
});

on_both!(hub_usernames_are_stable_and_unique, |app| {
    require_peers();
    let ada = person(&app, "hub-owner").await;
    let creds = hub_with_client(&app, &ada, "names-lab").await;
    let rp = relying_party(&app, &creds).await;
    let twin = person(&app, "twin").await;
    add_member(&app, "names-lab", twin.id, "member").await;
    for who in [&ada, &twin] {
        let mut tx = app.db.begin().await.unwrap();
        stoa_db::accounts::rename(
            tx.conn(),
            AccountId(who.id),
            "Ada Lovelace",
            app.clock.now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let mut names = Vec::new();
    for who in [&ada, &twin, &ada] {
        let started = start(&app, &rp);
        let code = code_for(&app, &who.client, &started).await;
        let tokens = rp
            .exchange_code(AuthorizationCode::new(code))
            .unwrap()
            .set_pkce_verifier(started.verifier)
            .request_async(&http())
            .await
            .unwrap();
        remember_secret(tokens.access_token().secret());
        let raw = payload(&tokens.id_token().unwrap().to_string());
        names.push(raw["preferred_username"].as_str().unwrap().to_owned());
        // A new name later changes nothing.
        let mut tx = app.db.begin().await.unwrap();
        stoa_db::accounts::rename(
            tx.conn(),
            AccountId(who.id),
            "Someone Else",
            app.clock.now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(names, ["ada-lovelace", "ada-lovelace-2", "ada-lovelace"]);
});

on_both!(rotated_keys_keep_old_id_tokens_verifiable, |app| {
    require_peers();
    let ada = person(&app, "hub-owner").await;
    let creds = hub_with_client(&app, &ada, "keys-lab").await;
    let rp = relying_party(&app, &creds).await;
    let started = start(&app, &rp);
    let code = code_for(&app, &ada.client, &started).await;
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(started.verifier)
        .request_async(&http())
        .await
        .unwrap();
    remember_secret(tokens.access_token().secret());
    let old = tokens.id_token().unwrap().clone();
    let old_kid = serde_json::from_slice::<Value>(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            old.to_string().split('.').next().unwrap(),
        )
        .unwrap(),
    )
    .unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut tx = app.db.begin().await.unwrap();
    let new_kid = hub_login::rotate_signing_key(&provider(&app), tx.conn(), app.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_ne!(new_kid, old_kid);

    // A hub that discovers again after the rotation still verifies the old token.
    let rp = relying_party(&app, &creds).await;
    old.claims(&rp.id_token_verifier(), &started.nonce)
        .expect("the retired key is still published");
    let jwks: Value = reqwest::get(app.url("/oauth/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [new_kid.as_str(), old_kid.as_str()]);

    // New tokens are signed with the new key; after a week the old key is gone.
    let started = start(&app, &rp);
    let code = code_for(&app, &ada.client, &started).await;
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(started.verifier)
        .request_async(&http())
        .await
        .unwrap();
    remember_secret(tokens.access_token().secret());
    let header = tokens.id_token().unwrap().to_string();
    assert!(
        payload(&format!("x.{}", header.split('.').next().unwrap()))["kid"] == new_kid.as_str()
    );
    app.clock
        .advance(hub_login::RETIRED_KEYS_PUBLISHED + chrono::TimeDelta::hours(1));
    let jwks: Value = reqwest::get(app.url("/oauth/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
});

on_both!(end_session_ends_the_hub_grant_only, |app| {
    require_peers();
    let ada = person(&app, "hub-owner").await;
    let creds = hub_with_client(&app, &ada, "bye-lab").await;
    let rp = relying_party(&app, &creds).await;
    let started = start(&app, &rp);
    let code = code_for(&app, &ada.client, &started).await;
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(started.verifier)
        .request_async(&http())
        .await
        .unwrap();
    remember_secret(tokens.access_token().secret());
    let access = tokens.access_token().secret().clone();

    let query = |uri: &str| {
        format!(
            "/oauth/end-session?client_id={}&post_logout_redirect_uri={}&state=s1",
            creds.client_id,
            percent_encoding::utf8_percent_encode(uri, percent_encoding::NON_ALPHANUMERIC)
        )
    };
    // An unregistered return address: refused, no redirect.
    let res = ada
        .client
        .get(app.url(&query("http://evil.example/")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
    // Without a hint the signed-in person confirms (a link elsewhere cannot log them out).
    let res = ada
        .client
        .get(app.url(&query(LOGOUT)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("confirm-hub-sign-out"));
    assert_eq!(userinfo(&app, &access).await.0, 200, "nothing ended yet");
    let res = ada
        .client
        .post(app.url("/oauth/end-session"))
        .header("origin", app.settings.public_origin())
        .form(&[
            ("client_id", creds.client_id.as_str()),
            ("post_logout_redirect_uri", LOGOUT),
            ("state", "s1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("{LOGOUT}?state=s1"));
    assert_eq!(
        userinfo(&app, &access).await.0,
        401,
        "the hub's tokens are dead"
    );
    // Still signed in to Stoa.
    let res = ada.client.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), 200);

    // With the ID token as hint, no question is asked.
    let started = start(&app, &rp);
    let code = code_for(&app, &ada.client, &started).await;
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(started.verifier)
        .request_async(&http())
        .await
        .unwrap();
    remember_secret(tokens.access_token().secret());
    let hint = tokens.id_token().unwrap().to_string();
    let res = browser()
        .get(app.url(&format!("{}&id_token_hint={hint}", query(LOGOUT))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(userinfo(&app, tokens.access_token().secret()).await.0, 401);
});

// A hub reports server starts with its client credentials: recorded once however often it
// is sent; bad credentials, a bad event or a far-off time change nothing.
on_both!(hubs_report_server_starts_with_their_credentials, |app| {
    require_peers();
    let owner = person(&app, "usage-owner").await;
    let creds = hub_with_client(&app, &owner, "usage-lab").await;
    let url = format!("{}/api/hubs/usage", app.settings.public_url);
    let http = reqwest::Client::new();
    let now = app.clock.now().as_datetime().to_rfc3339();
    let report =
        serde_json::json!({"user": "ada", "server": "", "event": "server_start", "at": now});
    let secret = creds.client_secret.expose_secret().to_owned();
    let send = |body: serde_json::Value, secret: String| {
        let http = http.clone();
        let url = url.clone();
        let id = creds.client_id.clone();
        async move {
            let res = http
                .post(&url)
                .basic_auth(id, Some(secret))
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.text().await.unwrap())
        }
    };
    assert_eq!(send(report.clone(), secret.clone()).await.0, 204);
    assert_eq!(
        send(report.clone(), secret.clone()).await.0,
        204,
        "again: known"
    );
    assert_eq!(send(report.clone(), "wrong".into()).await.0, 401);
    let (status, body) = send(
        serde_json::json!({"user": "ada", "event": "server_stop"}),
        secret.clone(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("\"field\":\"event\""), "{body}");
    let (status, body) = send(
        serde_json::json!({"user": "ada", "event": "server_start", "at": "2001-01-01T00:00:00Z"}),
        secret.clone(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = send(serde_json::json!({"user": ""}), secret.clone()).await;
    assert_eq!(status, 422);
    let mut conn = app.db.read().await.unwrap();
    let community = stoa_db::communities::by_slug(conn.conn(), "usage-lab")
        .await
        .unwrap()
        .unwrap();
    let hub = stoa_db::hubs::of_community(conn.conn(), community.id)
        .await
        .unwrap()[0]
        .id;
    let day = chrono::TimeDelta::days(1);
    let (from, to) = (
        stoa_db::Timestamp::from(app.clock.now().as_datetime() - day),
        stoa_db::Timestamp::from(app.clock.now().as_datetime() + day),
    );
    assert_eq!(
        stoa_db::usage::server_starts(conn.conn(), hub, from, to)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        stoa_db::usage::active_people(conn.conn(), hub, from, to)
            .await
            .unwrap(),
        1
    );
});
