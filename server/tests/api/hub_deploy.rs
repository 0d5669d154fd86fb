//! Real hubs: a revision applied in Stoa runs on a real JupyterHub (local backend, started
//! by the test's own Stoa), and the faults a change must survive: the hub killed during a
//! change, the hub's port held by another program for a while, Stoa killed during a change.
//! Every requested change ends applied once or superseded, never out of order, and the hub
//! ends on the newest applied revision.

use std::time::{Duration, Instant};

use serde_json::Value;
use stoa_server::config::Settings;

use crate::communities::{Person, create_community, person};
use crate::helpers::{TestApp, on_both, require_peers, workspace_root};

/// Hubs of this app live in a folder of their own, on ports the system gives, run by the
/// checkout's JupyterHub environment (`scripts/hub-env.sh`).
pub fn real_hubs(settings: &mut Settings) {
    // Each test app gets ports of its own (30: ten hubs). With random blocks from one shared
    // range, two apps of this process (separate databases, so neither knows the other's
    // hubs) could pick the same block, and a hub restarting in one found its port "taken by
    // another program" now and then in CI.
    static NEXT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
    let slot = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 300;
    let first = 20_000 + slot * 30;
    let local = &mut settings.hubs.local;
    local.ports = Some((first, first + 29));
    local.python_env = workspace_root().join("target/hub-venv");
    local.proxy_command = workspace_root().join("node_modules/.bin/configurable-http-proxy");
    local.start_timeout_seconds = 120;
    assert!(
        local.python_env.join("bin/jupyterhub").exists(),
        "the JupyterHub environment is missing: run scripts/hub-env.sh (make setup does)"
    );
}

async fn hub(app: &TestApp, who: &Person, slug: &str) -> Value {
    let (status, body) = app.call(&who.client, "hub/get", &[("slug", slug)]).await;
    assert_eq!(status, 200, "{body}");
    body
}

pub(crate) async fn save_homepage(
    app: &TestApp,
    who: &Person,
    slug: &str,
    base: i64,
    announcement: &str,
) {
    let base = base.to_string();
    let form = [
        ("slug", slug),
        ("base", base.as_str()),
        ("message", ""),
        ("org_name", "Ocean Lab at Example University"),
        ("org_url", "https://ocean.example.edu"),
        ("funded_by_name", ""),
        ("funded_by_url", ""),
        ("announcement", announcement),
    ];
    let (status, body) = app.call(&who.client, "hub/save_homepage", &form).await;
    assert_eq!(status, 200, "{body}");
}

async fn apply(app: &TestApp, who: &Person, slug: &str, number: i64) {
    let number = number.to_string();
    let (status, body) = app
        .call(
            &who.client,
            "hub/apply",
            &[("slug", slug), ("number", &number)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// Runs worker passes until no change of the hub is open (or the deadline).
async fn settle(app: &TestApp, who: &Person, slug: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        app.run_worker().await;
        let h = hub(app, who, slug).await;
        if !h["status"]["in_progress"].as_bool().unwrap_or(true) {
            return h;
        }
        assert!(Instant::now() < deadline, "changes did not finish: {h}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A community `slug` owned by a new person, its hub deployed with `announcement` (revision
/// 1, healthy). Returns the owner and the hub's address.
async fn deployed_hub(app: &TestApp, slug: &str, announcement: &str) -> (Person, String) {
    let owner = person(app, &format!("{slug}-owner")).await;
    create_community(app, &owner, slug, "invite").await;
    save_homepage(app, &owner, slug, 0, announcement).await;
    apply(app, &owner, slug, 1).await;
    let h = settle(app, &owner, slug).await;
    assert_eq!(h["status"]["headline"], "Running revision 1", "{h}");
    let url = h["status"]["url"].as_str().unwrap().to_owned();
    (owner, url)
}

/// Waits until `user`'s default server on the hub is ready.
async fn server_ready(app: &TestApp, slug: &str, user: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, model) = hub_api(
            app,
            slug,
            reqwest::Method::GET,
            &format!("/users/{user}"),
            None,
        )
        .await;
        if model["servers"][""]["ready"] == true {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the server never became ready: {model}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The page `path` of the hub at `url`, asked through 127.0.0.1 with the hub's own host name
/// (the test's resolver may not know `*.localhost`).
pub async fn hub_get(url: &str, path: &str) -> (u16, String) {
    let parsed = url::Url::parse(url).unwrap();
    let port = parsed.port().unwrap();
    let host = format!("{}:{port}", parsed.host_str().unwrap());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .get(format!("http://127.0.0.1:{port}{path}"))
        .header("Host", host)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

on_both!(
    an_applied_revision_runs_on_a_real_hub,
    settings = real_hubs,
    |app| {
        require_peers();
        let ada = person(&app, "deploy-ada").await;
        create_community(&app, &ada, "ocean-deploy", "invite").await;
        save_homepage(
            &app,
            &ada,
            "ocean-deploy",
            0,
            "Homework **3** is due Friday.",
        )
        .await;
        apply(&app, &ada, "ocean-deploy", 1).await;
        let h = hub(&app, &ada, "ocean-deploy").await;
        assert_eq!(h["status"]["changes"][0]["state"], "requested", "{h}");

        let h = settle(&app, &ada, "ocean-deploy").await;
        let change = &h["status"]["changes"][0];
        assert_eq!(change["state"], "healthy", "{h}");
        let states: Vec<&str> = change["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s[0].as_str().unwrap())
            .collect();
        assert_eq!(
            states,
            ["requested", "validated", "deploying", "deployed", "healthy"]
        );
        assert_eq!(h["status"]["headline"], "Running revision 1");
        let url = h["status"]["url"].as_str().unwrap().to_owned();
        assert!(
            url.starts_with("http://ocean-deploy.hub.localhost:"),
            "{url}"
        );
        assert!(
            !url.contains(&app.addr.to_string()),
            "a hub never shares Stoa's host"
        );
        let (status, page) = hub_get(&url, "/hub/login").await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Ocean Lab at Example University"), "{page}");
        assert!(
            page.contains("Homework <strong>3</strong> is due Friday."),
            "{page}"
        );

        // A new announcement, applied: the running hub shows it.
        save_homepage(&app, &ada, "ocean-deploy", 1, "Exam on Monday.").await;
        apply(&app, &ada, "ocean-deploy", 2).await;
        let h = settle(&app, &ada, "ocean-deploy").await;
        assert_eq!(h["status"]["headline"], "Running revision 2", "{h}");
        let (_, page) = hub_get(&url, "/hub/login").await;
        assert!(page.contains("Exam on Monday."), "{page}");
        assert!(!page.contains("Homework"), "{page}");

        // Rolled back to revision 1 (a new revision 3) and applied: the old text is back.
        let (status, body) = app
            .call(
                &ada.client,
                "hub/rollback",
                &[("slug", "ocean-deploy"), ("base", "2"), ("to", "1")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        apply(&app, &ada, "ocean-deploy", 3).await;
        let h = settle(&app, &ada, "ocean-deploy").await;
        assert_eq!(h["status"]["headline"], "Running revision 3", "{h}");
        let (_, page) = hub_get(&url, "/hub/login").await;
        assert!(
            page.contains("Homework <strong>3</strong> is due Friday."),
            "{page}"
        );

        // Stopped: the hub no longer answers; started again: it does, with revision 3.
        let (status, body) = app
            .call(
                &ada.client,
                "hub/run",
                &[("slug", "ocean-deploy"), ("run", "false")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let h = settle(&app, &ada, "ocean-deploy").await;
        assert_eq!(h["status"]["headline"], "Stopped", "{h}");
        assert_eq!(h["status"]["changes"][0]["state"], "stopped", "{h}");
        let parsed = url::Url::parse(&url).unwrap();
        assert!(
            tokio::net::TcpStream::connect(("127.0.0.1", parsed.port().unwrap()))
                .await
                .is_err(),
            "nothing listens on a stopped hub's port"
        );
        let (status, body) = app
            .call(
                &ada.client,
                "hub/run",
                &[("slug", "ocean-deploy"), ("run", "true")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let h = settle(&app, &ada, "ocean-deploy").await;
        assert_eq!(h["status"]["headline"], "Running revision 3", "{h}");
        let (_, page) = hub_get(&url, "/hub/login").await;
        assert!(page.contains("Homework"), "{page}");
    }
);

/// The hub's folder (local backend) of `slug`.
fn hub_dir(app: &TestApp, slug: &str) -> std::path::PathBuf {
    app.settings.hubs.local.hubs_dir.join(slug)
}

fn pid_in(path: &std::path::Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The state of change `n` (1 = oldest) of the hub, as the tab shows it.
fn change_states(h: &Value) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = h["status"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["what"].as_str().unwrap().to_owned(),
                c["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    rows.reverse();
    rows
}

async fn deployed_audits(app: &TestApp, slug: &str) -> usize {
    crate::communities::audit_actions(app, slug)
        .await
        .iter()
        .filter(|a| *a == "hub.deployed")
        .count()
}

// Three revisions applied while no worker runs: the two older ones end superseded, never
// applied; the newest runs.
on_both!(
    older_changes_behind_a_newer_one_are_superseded,
    settings = real_hubs,
    |app| {
        require_peers();
        let ada = person(&app, "order-ada").await;
        create_community(&app, &ada, "ocean-order", "invite").await;
        for (n, text) in [(1, "One."), (2, "Two."), (3, "Three.")] {
            save_homepage(&app, &ada, "ocean-order", n - 1, text).await;
            apply(&app, &ada, "ocean-order", n).await;
        }
        let h = settle(&app, &ada, "ocean-order").await;
        assert_eq!(
            change_states(&h),
            [
                ("Apply revision 1".to_owned(), "superseded".to_owned()),
                ("Apply revision 2".to_owned(), "superseded".to_owned()),
                ("Apply revision 3".to_owned(), "healthy".to_owned()),
            ]
        );
        assert_eq!(h["status"]["headline"], "Running revision 3");
        let (_, page) = hub_get(h["status"]["url"].as_str().unwrap(), "/hub/login").await;
        assert!(page.contains("Three."), "{page}");
        assert_eq!(
            deployed_audits(&app, "ocean-order").await,
            1,
            "applied once"
        );
    }
);

// The hub process killed while a change starts it: the change waits (the hub runs its
// previous revision meanwhile) and lands on the next try.
on_both!(
    a_hub_killed_during_a_change_gets_it_on_the_next_try,
    settings = real_hubs,
    |app| {
        require_peers();
        let (ada, url) = deployed_hub(&app, "ocean-kill", "Before.").await;
        let pid_file = hub_dir(&app, "ocean-kill").join("hub.pid");
        let old = pid_in(&pid_file).expect("hub.pid");

        save_homepage(&app, &ada, "ocean-kill", 1, "After.").await;
        apply(&app, &ada, "ocean-kill", 2).await;
        let worker = app.worker();
        let pass = tokio::spawn(async move { worker.run_once().await.unwrap() });
        // The new hub process, killed as soon as it exists.
        let deadline = Instant::now() + Duration::from_secs(60);
        let new = loop {
            if let Some(pid) = pid_in(&pid_file).filter(|p| *p != old) {
                break pid;
            }
            if pass.is_finished() || Instant::now() > deadline {
                let h = hub(&app, &ada, "ocean-kill").await;
                panic!("the pass ended without restarting the hub: {h}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(new),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        pass.await.unwrap();
        let h = hub(&app, &ada, "ocean-kill").await;
        let change = &h["status"]["changes"][0];
        assert_eq!(change["state"], "deploying", "{h}");
        assert!(
            change["message"]
                .as_str()
                .unwrap()
                .starts_with("Waiting to try again"),
            "{h}"
        );
        let (status, page) = hub_get(&url, "/hub/login").await;
        assert_eq!(status, 200);
        assert!(
            page.contains("Before."),
            "the previous revision runs meanwhile: {page}"
        );

        app.clock.advance(chrono::TimeDelta::minutes(6));
        let h = settle(&app, &ada, "ocean-kill").await;
        assert_eq!(h["status"]["changes"][0]["state"], "healthy", "{h}");
        assert_eq!(h["status"]["headline"], "Running revision 2");
        let (_, page) = hub_get(&url, "/hub/login").await;
        assert!(page.contains("After."), "{page}");
        assert_eq!(
            deployed_audits(&app, "ocean-kill").await,
            2,
            "each revision applied once"
        );
    }
);

// The hub cannot start for a while (another program holds its port): the change waits with
// the reason in words, and lands once the port is free.
on_both!(
    a_hub_refusing_for_a_while_gets_the_change_later,
    settings = real_hubs,
    |app| {
        require_peers();
        let (ada, url) = deployed_hub(&app, "ocean-refuse", "Before.").await;
        let dir = hub_dir(&app, "ocean-refuse");
        let placement: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("placement.json")).unwrap())
                .unwrap();
        let hub_port = u16::try_from(placement["hub_port"].as_u64().unwrap()).unwrap();
        // The hub dies and something else takes its port.
        let pid = pid_in(&dir.join("hub.pid")).unwrap();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        let squatter = loop {
            if let Ok(listener) = std::net::TcpListener::bind(("127.0.0.1", hub_port)) {
                break listener;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        save_homepage(&app, &ada, "ocean-refuse", 1, "After.").await;
        apply(&app, &ada, "ocean-refuse", 2).await;
        for _ in 0..2 {
            app.run_worker().await;
            app.clock.advance(chrono::TimeDelta::minutes(6));
        }
        let h = hub(&app, &ada, "ocean-refuse").await;
        let change = &h["status"]["changes"][0];
        assert_eq!(change["state"], "deploying", "{h}");
        let message = change["message"].as_str().unwrap();
        assert!(message.contains("taken by another program"), "{message}");
        drop(squatter);
        let h = settle(&app, &ada, "ocean-refuse").await;
        assert_eq!(h["status"]["changes"][0]["state"], "healthy", "{h}");
        let (_, page) = hub_get(&url, "/hub/login").await;
        assert!(page.contains("After."), "{page}");
    }
);

// Stoa killed (SIGKILL) in the middle of a change: another process takes the job over once
// its lease runs out and finishes it; the change is applied once.
on_both!(
    stoa_killed_during_a_change_loses_nothing,
    settings = real_hubs,
    |app| {
        require_peers();
        let (ada, url) = deployed_hub(&app, "ocean-crash", "Before.").await;

        // A second Stoa on the same database runs the jobs, with a short lease.
        let local = &app.settings.hubs.local;
        let config =
            std::env::temp_dir().join(format!("stoa-crash-{}.toml", stoa_auth::random_token()));
        std::fs::write(
        &config,
        format!(
            "[hubs.local]\nhubs_dir = {:?}\npython_env = {:?}\nproxy_command = {:?}\nstart_timeout_seconds = 120\n",
            local.hubs_dir, local.python_env, local.proxy_command
        ),
    )
    .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let key = app
            .settings
            .secret_key
            .as_ref()
            .map(|k| secrecy::ExposeSecret::expose_secret(k).to_owned());
        let mut other = std::process::Command::new(env!("CARGO_BIN_EXE_stoa"));
        other
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("STOA_CONFIG", &config)
            .env("STOA_DATABASE_URL", &app.database_url)
            .env("STOA_LISTEN", format!("127.0.0.1:{port}"))
            .env("STOA_PUBLIC_URL", &app.settings.public_url)
            .env("STOA_SITE_ROOT", &app.settings.site_root)
            .env("STOA_JOB_LEASE_SECS", "3")
            .env("STOA_LOG_FILTER", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        if let Some(key) = &key {
            other.env("STOA_SECRET_KEY", key);
        } else {
            // SQLite: the key file beside the database file serves both processes.
        }
        let mut other = other.spawn().unwrap();

        save_homepage(&app, &ada, "ocean-crash", 1, "After.").await;
        apply(&app, &ada, "ocean-crash", 2).await;
        // Killed as soon as it is working on the change.
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let h = hub(&app, &ada, "ocean-crash").await;
            if h["status"]["changes"][0]["state"] == "deploying" {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the other Stoa never took the change: {h}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        other.kill().unwrap();
        other.wait().unwrap();
        std::fs::remove_file(&config).unwrap();

        // This process takes over once the 3-second lease has run out.
        tokio::time::sleep(Duration::from_secs(4)).await;
        let h = settle(&app, &ada, "ocean-crash").await;
        let change = &h["status"]["changes"][0];
        assert_eq!(change["state"], "healthy", "{h}");
        let states: Vec<&str> = change["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s[0].as_str().unwrap())
            .collect();
        assert_eq!(
            states,
            ["requested", "validated", "deploying", "deployed", "healthy"]
        );
        assert_eq!(h["status"]["headline"], "Running revision 2");
        let (_, page) = hub_get(&url, "/hub/login").await;
        assert!(page.contains("After."), "{page}");
        assert_eq!(
            deployed_audits(&app, "ocean-crash").await,
            2,
            "each revision applied once"
        );
    }
);

/// The hub's REST API as Stoa's service uses it (token from the hub's secrets folder).
async fn hub_api(
    app: &TestApp,
    slug: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let dir = hub_dir(app, slug);
    let placement: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("placement.json")).unwrap())
            .unwrap();
    let token = std::fs::read_to_string(dir.join("secrets/api_token")).unwrap();
    let url = format!(
        "http://127.0.0.1:{}/hub/api{path}",
        placement["port"].as_u64().unwrap()
    );
    let mut request = reqwest::Client::new()
        .request(method, url)
        .header("Authorization", format!("token {}", token.trim()));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn set_hub_username(app: &TestApp, account: i64, name: &str) {
    let mut tx = app.db.begin().await.unwrap();
    stoa_db::on!(tx.conn(), c => sqlx::query("UPDATE accounts SET hub_username = $1 WHERE id = $2")
        .bind(name).bind(account).execute(c).await.map(drop))
    .unwrap();
    tx.commit().await.unwrap();
}

// People on the hub follow the community: a removed member loses access within one sync,
// admin follows the role, and someone the community does not know is removed; what was
// repaired is in the community's audit log.
on_both!(
    membership_changes_reach_the_hub_within_one_sync,
    settings = real_hubs,
    |app| {
        require_peers();
        let ada = person(&app, "sync-ada").await;
        let bob = person(&app, "sync-bob").await;
        let carol = person(&app, "sync-carol").await;
        create_community(&app, &ada, "ocean-sync", "invite").await;
        crate::communities::add_member(&app, "ocean-sync", bob.id, "member").await;
        crate::communities::add_member(&app, "ocean-sync", carol.id, "admin").await;
        save_homepage(&app, &ada, "ocean-sync", 0, "Hello.").await;
        apply(&app, &ada, "ocean-sync", 1).await;
        settle(&app, &ada, "ocean-sync").await;
        // As if each had logged in to the hub (names as Stoa gave them), with drift: Bob holds
        // admin he should not, Carol lacks it, and a stranger is there.
        for (who, name) in [(&ada, "ada"), (&bob, "bob"), (&carol, "carol")] {
            set_hub_username(&app, who.id, name).await;
        }
        let (status, body) = hub_api(
            &app,
            "ocean-sync",
            reqwest::Method::POST,
            "/users",
            Some(serde_json::json!({"usernames": ["ada", "bob", "carol", "mallory"]})),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        for (name, admin) in [("ada", true), ("bob", true)] {
            let (status, body) = hub_api(
                &app,
                "ocean-sync",
                reqwest::Method::PATCH,
                &format!("/users/{name}"),
                Some(serde_json::json!({ "admin": admin })),
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }

        // Bob is removed from the community: the sync queued with it removes him from the hub.
        let (status, body) = app
            .call(
                &ada.client,
                "members/remove",
                &[("slug", "ocean-sync"), ("account_id", &bob.id.to_string())],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        app.run_worker().await;
        let (_, users) = hub_api(&app, "ocean-sync", reqwest::Method::GET, "/users", None).await;
        let mut on_hub: Vec<(String, bool)> = users
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                (
                    u["name"].as_str().unwrap().to_owned(),
                    u["admin"].as_bool().unwrap(),
                )
            })
            .collect();
        on_hub.sort();
        assert_eq!(
            on_hub,
            [("ada".to_owned(), true), ("carol".to_owned(), true)],
            "bob and the stranger removed, carol made admin"
        );
        let actions = crate::communities::audit_actions(&app, "ocean-sync").await;
        assert!(
            actions.iter().any(|a| a == "hub.members_synced"),
            "{actions:?}"
        );

        // Carol demoted to member: admin goes at the next sync.
        let (status, body) = app
            .call(
                &ada.client,
                "members/update",
                &[
                    ("slug", "ocean-sync"),
                    ("account_id", &carol.id.to_string()),
                    ("role", "member"),
                    ("ends_on", ""),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        app.run_worker().await;
        let (_, carol_on_hub) = hub_api(
            &app,
            "ocean-sync",
            reqwest::Method::GET,
            "/users/carol",
            None,
        )
        .await;
        assert_eq!(carol_on_hub["admin"], false, "{carol_on_hub}");
    }
);

/// A browser-like client that reaches the hub's host name on 127.0.0.1 (the system resolver
/// may not know `*.localhost`), with its own cookies, signed in to Stoa as a new person.
async fn person_at_hub(app: &TestApp, tag: &str, hub_url: &str) -> (reqwest::Client, i64) {
    let parsed = url::Url::parse(hub_url).unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], parsed.port().unwrap()));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .resolve(parsed.host_str().unwrap(), addr)
        .build()
        .unwrap();
    let email = crate::auth::unique_email(tag);
    crate::auth::sign_in_by_mail(app, &client, &email).await;
    let mut conn = app.db.read().await.unwrap();
    let id = stoa_db::accounts::find_by_email(conn.conn(), &email)
        .await
        .unwrap()
        .unwrap()
        .id
        .0;
    (client, id)
}

/// Follows redirects from `url` (at most 10), each with `client`'s cookies; returns the
/// last response's URL, status and body.
async fn follow(client: &reqwest::Client, url: &str) -> (String, u16, String) {
    let mut url = url.to_owned();
    for _ in 0..10 {
        let res = client.get(&url).send().await.unwrap();
        if res.status().is_redirection() {
            let next = crate::auth::location(&res);
            url = url::Url::parse(&url)
                .unwrap()
                .join(&next)
                .unwrap()
                .to_string();
            continue;
        }
        let status = res.status().as_u16();
        return (url, status, res.text().await.unwrap());
    }
    panic!("too many redirects from {url}");
}

async fn hub_username(app: &TestApp, account: i64) -> Option<String> {
    let mut conn = app.db.read().await.unwrap();
    stoa_db::on!(conn.conn(), c => sqlx::query_scalar("SELECT hub_username FROM accounts WHERE id = $1")
        .bind(account).fetch_one(c).await)
    .unwrap()
}

// People log in to the hub with their Stoa account: a member lands in the hub as their hub
// username, its owner as a hub admin; a member's server start is reported to Stoa; someone
// who is not a member is stopped at Stoa with a page saying how to join. Stoa's session
// cookie is never sent to the hub.
/// Real hubs, and a plan whose usage fee starts with the first user (€2.50 each), so that
/// what people do on the hub shows in the fee.
pub fn real_hubs_priced(settings: &mut Settings) {
    real_hubs(settings);
    let lab = settings
        .billing
        .plans
        .iter_mut()
        .find(|p| p.id == settings.billing.default_plan)
        .unwrap();
    lab.usage.bands = vec![stoa_domain::billing::UsageBand {
        up_to: None,
        unit_amount: stoa_domain::billing::Money(250),
    }];
}

on_both!(
    members_log_in_to_the_hub_through_stoa,
    settings = real_hubs_priced,
    |app| {
        require_peers();
        let (_creator, url) = deployed_hub(&app, "ocean-login", "Hello.").await;
        let login = format!("{url}/hub/oauth_login?next=%2Fhub%2Fhome");

        let (owner, owner_id) = person_at_hub(&app, "login-owner", &url).await;
        let (member, member_id) = person_at_hub(&app, "login-member", &url).await;
        let (stranger, _) = person_at_hub(&app, "login-stranger", &url).await;
        let mut tx = app.db.begin().await.unwrap();
        let community = stoa_db::communities::by_slug(tx.conn(), "ocean-login")
            .await
            .unwrap()
            .unwrap();
        tx.commit().await.unwrap();
        for (id, role) in [(owner_id, "owner"), (member_id, "member")] {
            crate::communities::add_member(&app, "ocean-login", id, role).await;
        }

        let (landed, status, page) = follow(&member, &login).await;
        assert_eq!(
            (landed.as_str(), status),
            (format!("{url}/hub/home").as_str(), 200),
            "{page}"
        );
        let name = hub_username(&app, member_id).await.expect("a hub username");
        assert!(page.contains(&name), "the hub knows them as {name}");
        let (_, user) = hub_api(
            &app,
            "ocean-login",
            reqwest::Method::GET,
            &format!("/users/{name}"),
            None,
        )
        .await;
        assert_eq!(user["admin"], false, "{user}");
        let groups: Vec<&str> = user["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_str().unwrap())
            .collect();
        assert!(
            groups.contains(&"stoa-members") && groups.contains(&"stoa-role-member"),
            "{groups:?}"
        );

        let (_, status, _) = follow(&owner, &login).await;
        assert_eq!(status, 200);
        let owner_name = hub_username(&app, owner_id).await.unwrap();
        let (_, user) = hub_api(
            &app,
            "ocean-login",
            reqwest::Method::GET,
            &format!("/users/{owner_name}"),
            None,
        )
        .await;
        assert_eq!(user["admin"], true, "owners are hub admins: {user}");

        // The member starts a server (through the hub's API); the hub reports it to Stoa.
        let (status, body) = hub_api(
            &app,
            "ocean-login",
            reqwest::Method::POST,
            &format!("/users/{name}/server"),
            None,
        )
        .await;
        assert!(status == 201 || status == 202, "{status} {body}");
        server_ready(&app, "ocean-login", &name).await;
        // Their browser opens it (the server's own sign-in with the hub happens on the way).
        let (landed, status, _) = follow(&member, &format!("{url}/user/{name}/lab")).await;
        assert_eq!(
            (landed, status),
            (format!("{url}/user/{name}/lab"), 200),
            "the member reaches their own server"
        );
        // The owner starts one too; the community's creator and the stranger do not.
        let (status, body) = hub_api(
            &app,
            "ocean-login",
            reqwest::Method::POST,
            &format!("/users/{owner_name}/server"),
            None,
        )
        .await;
        assert!(status == 201 || status == 202, "{status} {body}");
        server_ready(&app, "ocean-login", &owner_name).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mut conn = app.db.read().await.unwrap();
            let day = chrono::TimeDelta::days(1);
            let now = app.clock.now().as_datetime();
            let hub_id = stoa_db::hubs::of_community(conn.conn(), community.id)
                .await
                .unwrap()[0]
                .id;
            let starts = stoa_db::usage::server_starts(
                conn.conn(),
                hub_id,
                stoa_db::Timestamp::from(now - day),
                stoa_db::Timestamp::from(now + day),
            )
            .await
            .unwrap();
            if starts == 2 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the hub never reported both starts ({starts})"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // Two monthly active users: on the usage page, its chart and the fee.
        let (status, u) = app
            .call(&owner, "billing/usage", &[("slug", "ocean-login")])
            .await;
        assert_eq!(status, 200, "{u}");
        assert_eq!(u["monthly_active"], 2, "{u}");
        assert_eq!(u["fee"], "€5.00", "{u}");
        assert_eq!(u["hubs"], serde_json::json!([["ocean-login", 2]]));
        let today = app.clock.now().as_datetime().format("%Y-%m-%d").to_string();
        let page = owner
            .get(app.url("/communities/ocean-login/usage"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&format!("<title>{today}: 2 people</title>")),
            "the day's bar"
        );
        assert!(page.contains("2 users × €2.50 (users 1 and up) = €5.00"));

        // Not a member: Stoa's page, not the hub.
        let (landed, status, page) = follow(&stranger, &login).await;
        assert!(landed.starts_with(&app.settings.public_url), "{landed}");
        assert_eq!(status, 403, "{page}");
        assert!(page.contains("You are not a member of"), "{page}");
        assert!(page.contains("ask-to-join"), "{page}");

        // The hub has a host of its own: Stoa's host-only session cookie is never sent there
        // (the browser test checks the cookies a real browser holds).
        let stoa_host = url::Url::parse(&app.settings.public_url).unwrap();
        let hub_host = url::Url::parse(&url).unwrap();
        assert_ne!(stoa_host.host_str(), hub_host.host_str());
    }
);

// Environments and the default interface, applied, are what the running hub offers: its
// spawn page lists the environments, and a new server opens where the community chose;
// rolling back restores both.
on_both!(
    environments_and_interface_reach_the_running_hub,
    settings = real_hubs,
    |app| {
        require_peers();
        let (ada, url) = deployed_hub(&app, "ocean-envs", "Hello.").await;
        let (member, member_id) = person_at_hub(&app, "envs-member", &url).await;
        crate::communities::add_member(&app, "ocean-envs", member_id, "member").await;
        let (_, status, _) = follow(
            &member,
            &format!("{url}/hub/oauth_login?next=%2Fhub%2Fhome"),
        )
        .await;
        assert_eq!(status, 200);
        let name = hub_username(&app, member_id).await.unwrap();

        // Revision 2: a second environment for everyone; revision 3: the classic interface.
        let form = [
            ("slug", "ocean-envs"),
            ("base", "1"),
            ("message", "Pangeo"),
            ("original", ""),
            ("env_slug", "pangeo"),
            ("display_name", "Pangeo for geoscience"),
            ("description", "Geoscience stack"),
            ("image", "pangeo/pangeo-notebook:2025.01.10"),
            ("size", "medium"),
        ];
        let (status, body) = app.call(&ada.client, "hub/save_environment", &form).await;
        assert_eq!(status, 200, "{body}");
        let form = [
            ("slug", "ocean-envs"),
            ("base", "2"),
            ("message", "Classic"),
            ("interface", "classic"),
            ("git_repo", ""),
            ("git_branch", ""),
            ("git_path", ""),
            ("idle_timeout_minutes", "60"),
            ("max_age_hours", "8"),
            ("home_quota_gib", "10"),
        ];
        let (status, body) = app.call(&ada.client, "hub/save_server", &form).await;
        assert_eq!(status, 200, "{body}");
        apply(&app, &ada, "ocean-envs", 3).await;
        settle(&app, &ada, "ocean-envs").await;

        let (_, status, spawn) = follow(&member, &format!("{url}/hub/spawn")).await;
        assert_eq!(status, 200);
        assert!(spawn.contains("Pangeo for geoscience"), "{spawn}");
        let (status, body) = hub_api(
            &app,
            "ocean-envs",
            reqwest::Method::POST,
            &format!("/users/{name}/server"),
            Some(serde_json::json!({"profile": "default"})),
        )
        .await;
        assert!(status == 201 || status == 202, "{status} {body}");
        server_ready(&app, "ocean-envs", &name).await;
        // The server's own sign-in with the hub first, then its front door: the interface.
        let _ = follow(&member, &format!("{url}/user/{name}/lab")).await;
        let res = member
            .get(format!("{url}/user/{name}/"))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_redirection(), "{}", res.status());
        let opens = crate::auth::location(&res);
        assert!(
            opens
                .trim_end_matches('?')
                .ends_with(&format!("/user/{name}/tree")),
            "{opens}"
        );

        // Rolled back to revision 1 and applied: one environment again.
        let (status, body) = app
            .call(
                &ada.client,
                "hub/rollback",
                &[("slug", "ocean-envs"), ("base", "3"), ("to", "1")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        apply(&app, &ada, "ocean-envs", 4).await;
        settle(&app, &ada, "ocean-envs").await;
        let (_, user) = hub_api(
            &app,
            "ocean-envs",
            reqwest::Method::GET,
            &format!("/users/{name}"),
            None,
        )
        .await;
        assert_eq!(
            user["servers"][""]["ready"], true,
            "the server outlived two hub restarts: {user}"
        );
        let (status, _) = hub_api(
            &app,
            "ocean-envs",
            reqwest::Method::DELETE,
            &format!("/users/{name}/server"),
            None,
        )
        .await;
        assert!(status == 202 || status == 204, "{status}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (_, spawn) = (0, follow(&member, &format!("{url}/hub/spawn")).await);
            if !spawn.2.contains("Pangeo for geoscience") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "still offered after the rollback: {}",
                spawn.2
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
);

// Hubs keep running when Stoa stops; a starting Stoa adopts those that run (no restart)
// and starts those that should run and do not (after a machine restart, say).
on_both!(
    a_starting_stoa_adopts_its_hubs,
    settings = real_hubs,
    |app| {
        require_peers();
        let (_owner, url) = deployed_hub(&app, "ocean-adopt", "Still here.").await;
        let dir = hub_dir(&app, "ocean-adopt");
        let running = pid_in(&dir.join("hub.pid")).unwrap();
        // A new process's worker checks its hubs: the running one is adopted as it is.
        let worker = app.worker();
        assert_eq!(worker.check_hubs(false).await.unwrap(), 1);
        app.run_worker().await;
        assert_eq!(
            pid_in(&dir.join("hub.pid")),
            Some(running),
            "adopted, not restarted"
        );
        // Everything of the hub dies (the machine restarted); the next check starts it again.
        stoa_provision::local::process::kill_all_under(&dir);
        let parsed = url::Url::parse(&url).unwrap();
        assert!(
            tokio::net::TcpStream::connect(("127.0.0.1", parsed.port().unwrap()))
                .await
                .is_err()
        );
        worker.check_hubs(false).await.unwrap();
        app.run_worker().await;
        let (status, page) = hub_get(&url, "/hub/login").await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Still here."), "{page}");
    }
);

// Staff cancel a change that has not run (its job then does nothing) and run a finished one
// again as a new change; the community's admins can do neither.
on_both!(staff_cancel_and_rerun_changes, |app| {
    require_peers();
    let ada = person(&app, "staff-ada").await;
    let grace = person(&app, "staff-grace").await;
    let mut tx = app.db.begin().await.unwrap();
    stoa_db::accounts::set_staff(tx.conn(), &grace.email, true, app.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    create_community(&app, &ada, "ocean-staff", "invite").await;
    save_homepage(&app, &ada, "ocean-staff", 0, "Hello.").await;
    apply(&app, &ada, "ocean-staff", 1).await;
    let h = hub(&app, &ada, "ocean-staff").await;
    let change = h["status"]["changes"][0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let form = |intent: &'static str| {
        vec![
            ("slug", "ocean-staff".to_owned()),
            ("change", change.clone()),
            ("intent", intent.to_owned()),
        ]
    };
    let app = &app;
    let call = |who: &Person, form: Vec<(&'static str, String)>| {
        let client = who.client.clone();
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.call(&client, "hub/intervene", &form).await
        }
    };
    assert_eq!(
        call(&ada, form("cancel")).await.0,
        403,
        "not for the community's admins"
    );
    assert_eq!(call(&grace, form("rerun")).await.0, 422, "not finished yet");
    assert_eq!(call(&grace, form("sideways")).await.0, 422);
    let (status, body) = call(&grace, form("cancel")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        call(&grace, form("cancel")).await.0,
        422,
        "finished already"
    );
    app.run_worker().await;
    let h = hub(app, &ada, "ocean-staff").await;
    assert_eq!(
        change_states(&h),
        [("Apply revision 1".to_owned(), "cancelled".to_owned())]
    );
    assert_eq!(
        h["status"]["headline"], "Being deployed for the first time",
        "{h}"
    );
    let (status, body) = call(&grace, form("rerun")).await;
    assert_eq!(status, 200, "{body}");
    let h = hub(app, &ada, "ocean-staff").await;
    assert_eq!(
        change_states(&h),
        [
            ("Apply revision 1".to_owned(), "cancelled".to_owned()),
            ("Apply revision 1".to_owned(), "requested".to_owned()),
        ]
    );
    let actions = crate::communities::audit_actions(app, "ocean-staff").await;
    for action in ["hub.change_cancelled", "hub.change_rerun"] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
});

/// Hubs whose people's servers run as `stoa-hubuser` when the tests run as root (as CI
/// does; `make setup-test` adds the account).
fn hubs_as_another_account(settings: &mut Settings) {
    real_hubs(settings);
    if nix::unistd::Uid::effective().is_root() {
        settings.hubs.local.user_server_user = Some("stoa-hubuser".into());
    }
}

/// Whether `user` can read `path` (as that account, through runuser).
fn readable_by(user: &str, path: &std::path::Path) -> bool {
    std::process::Command::new("runuser")
        .args(["-u", user, "--", "cat"])
        .arg(path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success()
}

// People's servers on a local hub cannot read Stoa's database or the hub's secrets: the files
// are Stoa's account's only, and when Stoa runs as root the servers run as another account.
on_both!(
    peoples_servers_cannot_read_stoas_files,
    settings = hubs_as_another_account,
    |app| {
        use std::os::unix::fs::PermissionsExt as _;
        require_peers();
        let (_creator, url) = deployed_hub(&app, "ocean-private", "Hello.").await;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let secrets = hub_dir(&app, "ocean-private").join("secrets");
        assert_eq!(mode(&secrets), 0o700);
        assert_eq!(mode(&secrets.join("api_token")), 0o600);
        let database = app
            .database_url
            .strip_prefix("sqlite://")
            .map(std::path::PathBuf::from);
        if let Some(file) = &database {
            assert_eq!(mode(file), 0o600, "the SQLite file is Stoa's only");
        }
        let Some(account) = app.settings.hubs.local.user_server_user.clone() else {
            // Not root: servers run as Stoa's own account; the modes above are the guard.
            return;
        };
        let (member, member_id) = person_at_hub(&app, "private-member", &url).await;
        crate::communities::add_member(&app, "ocean-private", member_id, "member").await;
        let (_, status, _) = follow(
            &member,
            &format!("{url}/hub/oauth_login?next=%2Fhub%2Fhome"),
        )
        .await;
        assert_eq!(status, 200);
        let name = hub_username(&app, member_id).await.unwrap();
        let (status, body) = hub_api(
            &app,
            "ocean-private",
            reqwest::Method::POST,
            &format!("/users/{name}/server"),
            None,
        )
        .await;
        assert!(status == 201 || status == 202, "{status} {body}");
        server_ready(&app, "ocean-private", &name).await;
        let (_, model) = hub_api(
            &app,
            "ocean-private",
            reqwest::Method::GET,
            &format!("/users/{name}"),
            None,
        )
        .await;
        let pid = model["servers"][""]["state"]["pid"]
            .as_i64()
            .expect("the server's pid");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let uid = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().next())
            .unwrap()
            .to_owned();
        let expected = nix::unistd::User::from_name(&account)
            .unwrap()
            .expect("the account exists (make setup-test adds it)")
            .uid;
        assert_eq!(uid, expected.to_string(), "the server runs as {account}");
        assert!(!readable_by(&account, &secrets.join("api_token")));
        assert!(!readable_by(&account, &secrets.join("client_secret")));
        if let Some(file) = &database {
            assert!(!readable_by(&account, file));
        }
        // The check itself works: the account reads what is meant for everyone.
        assert!(readable_by(
            &account,
            &hub_dir(&app, "ocean-private").join("hub.json")
        ));
    }
);

// An environment added from the catalog, applied, is offered by the running hub.
on_both!(
    a_catalog_environment_reaches_the_running_hub,
    settings = real_hubs,
    |app| {
        require_peers();
        let mut tx = app.db.begin().await.unwrap();
        stoa_domain::catalog::import(&mut tx, stoa_server::seed::STARTER_CATALOG, app.clock.now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let (ada, url) = deployed_hub(&app, "ocean-catalog", "Hello.").await;
        let (member, member_id) = person_at_hub(&app, "catalog-member", &url).await;
        crate::communities::add_member(&app, "ocean-catalog", member_id, "member").await;
        let (_, status, _) = follow(
            &member,
            &format!("{url}/hub/oauth_login?next=%2Fhub%2Fhome"),
        )
        .await;
        assert_eq!(status, 200);

        let form = [
            ("entry", "pangeo"),
            ("community", "ocean-catalog"),
            ("version", "2025.08.14"),
            ("display_name", "Pangeo from the catalog"),
        ];
        let (status, body) = app.call(&ada.client, "catalog/add_to_hub", &form).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["number"], 2);
        apply(&app, &ada, "ocean-catalog", 2).await;
        let h = settle(&app, &ada, "ocean-catalog").await;
        assert_eq!(h["status"]["headline"], "Running revision 2", "{h}");
        let (_, status, spawn) = follow(&member, &format!("{url}/hub/spawn")).await;
        assert_eq!(status, 200);
        assert!(spawn.contains("Pangeo from the catalog"), "{spawn}");
    }
);

// A quota request approved applies its revision to the real hub: the community asks for a
// longer idle timeout than its plan allows (48 hours; the Lab plan's bound is 24), staff
// approve, and the running hub's idle culler is restarted with the new timeout.
on_both!(
    an_approved_quota_request_reaches_the_running_hub,
    settings = real_hubs,
    |app| {
        require_peers();
        let (owner, _url) = deployed_hub(&app, "ocean-quota", "Hello.").await;
        let grace = crate::communities::staff(&app, "quota-hub-staff").await;
        let culler_timeout = async || {
            let (status, service) = hub_api(
                &app,
                "ocean-quota",
                reqwest::Method::GET,
                "/services/idle-culler",
                None,
            )
            .await;
            assert_eq!(status, 200, "{service}");
            assert_ne!(service["pid"], 0, "the culler runs: {service}");
            service["command"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|a| a.as_str()?.strip_prefix("--timeout="))
                .map(str::to_owned)
                .next()
        };
        assert_eq!(culler_timeout().await.as_deref(), Some("3600"));

        let (status, opened) = app
            .call(
                &owner.client,
                "support/request_quota",
                &[
                    ("slug", "ocean-quota"),
                    ("idle_timeout_hours", "48"),
                    ("impact", "low"),
                    ("body", "Week-long simulations sit idle overnight."),
                ],
            )
            .await;
        assert_eq!(status, 200, "{opened}");
        let number = opened["number"].as_i64().unwrap().to_string();
        let (_, view) = app
            .call(
                &grace.client,
                "support/get",
                &[("slug", "ocean-quota"), ("number", &number)],
            )
            .await;
        assert!(
            view["quota"]["apply_note"]
                .as_str()
                .unwrap()
                .contains("Revision 2 will be made and applied to the hub at once"),
            "{view}"
        );
        let (status, body) = app
            .call(
                &grace.client,
                "support/decide_quota",
                &[("number", number.as_str()), ("decision", "approve")],
            )
            .await;
        assert_eq!(status, 200, "{body}");

        let h = settle(&app, &owner, "ocean-quota").await;
        assert_eq!(h["status"]["headline"], "Running revision 2", "{h}");
        assert_eq!(culler_timeout().await.as_deref(), Some("172800"));
        let changes = change_states(&h);
        assert!(
            changes
                .iter()
                .any(|(what, state)| what.to_lowercase().contains("revision 2")
                    && state == "healthy"),
            "{changes:?}"
        );
    }
);
