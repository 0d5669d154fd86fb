//! The `stoa` binary itself: subcommands, exit codes, logs and signals.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use stoa_db::Backend;
use stoa_db::testing::TestDb;

const STOA: &str = env!("CARGO_BIN_EXE_stoa");

/// Runs the `stoa` binary with only `PATH` and `env` in its environment.
pub(crate) fn stoa(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(STOA);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run stoa");
    // Its log (stderr) joins the run's logs for the log-hygiene scan; stdout is what the
    // command prints for the operator, not a log.
    crate::helpers::save_process_log(&out.stderr);
    out
}

#[test]
fn help_lists_every_subcommand() {
    let out = stoa(&["--help"], &[]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for cmd in ["serve", "migrate", "check-config", "seed"] {
        assert!(text.contains(cmd), "{cmd} missing from --help");
    }
    for cmd in ["serve", "migrate", "check-config", "seed"] {
        assert!(stoa(&[cmd, "--help"], &[]).status.success(), "{cmd} --help");
    }
}

#[test]
fn check_config_prints_settings_without_secrets() {
    let out = stoa(
        &["check-config"],
        &[
            (
                "DATABASE_URL",
                "postgres://stoa:hunter2@db.internal:5432/stoa",
            ),
            ("STOA_LISTEN", "127.0.0.1:8080"),
        ],
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("listen                   = 127.0.0.1:8080"));
    assert!(
        stdout.contains("postgres://stoa:***@db.internal:5432/stoa"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("hunter2") && !stderr.contains("hunter2"),
        "password printed"
    );
    assert!(stdout.contains("configuration OK"));
}

#[test]
fn bad_configuration_exits_2_naming_the_setting() {
    let out = stoa(&["check-config"], &[("STOA_LISTEN", "everywhere")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("listen"), "{stderr}");
    let out = stoa(&["check-config"], &[("STOA_REQUEST_TIMEOUT_SECS", "0")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("request_timeout_secs")
    );
}

async fn migrate_up_and_down(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let url = test_db.url.clone();
    let out = tokio::task::spawn_blocking(move || stoa(&["migrate"], &[("DATABASE_URL", &url)]))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = stoa_db::Db::connect(&test_db.url, &Default::default())
        .await
        .unwrap();
    assert!(db.migration_status().await.unwrap().is_current());
    let url = test_db.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        stoa(&["migrate", "--down-to", "0"], &[("DATABASE_URL", &url)])
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(db.migration_status().await.unwrap().applied, 0);
    db.close().await;
}

#[tokio::test]
async fn migrate_applies_and_reverts_on_sqlite() {
    migrate_up_and_down(Backend::Sqlite).await;
}

#[tokio::test]
async fn migrate_applies_and_reverts_on_postgres() {
    migrate_up_and_down(Backend::Postgres).await;
}

/// A `stoa serve` child process with JSON logs, and the address it announced.
struct Served {
    child: std::process::Child,
    addr: String,
    lines: std::sync::mpsc::Receiver<String>,
}

fn serve(database_url: &str) -> Served {
    serve_with(database_url, &[])
}

/// [`serve`] with more environment variables.
#[expect(
    clippy::zombie_processes,
    reason = "the child is returned; every test waits on it"
)]
fn serve_with(database_url: &str, env: &[(&str, &str)]) -> Served {
    let mut child = Command::new(STOA)
        .arg("serve")
        .env_clear()
        .envs(env.iter().copied())
        .env("DATABASE_URL", database_url)
        .env("STOA_LISTEN", "127.0.0.1:0")
        .env("STOA_LOG_FORMAT", "json")
        .env("STOA_SHUTDOWN_TIMEOUT_SECS", "20")
        .env(
            "STOA_SITE_ROOT",
            crate::helpers::workspace_root().join("target/site"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn stoa");
    let (tx, lines) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            crate::helpers::save_process_log(line.as_bytes());
            // Read to the end even when the test stopped listening: the last lines (the
            // shutdown) belong in the saved log too.
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let line = lines
            .recv_timeout(deadline - Instant::now())
            .expect("stoa announced its address");
        let event: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if let Some(addr) = event["address"].as_str() {
            return Served {
                child,
                addr: addr.to_owned(),
                lines,
            };
        }
    }
}

fn sigterm(child: &std::process::Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn serve_logs_json_with_request_ids_and_stops_cleanly_on_sigterm() {
    let test_db = TestDb::new(Backend::Sqlite).await;
    let mut served = serve(&test_db.url);
    let res = reqwest::get(format!("http://{}/healthz", served.addr))
        .await
        .unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    sigterm(&served.child);
    let status = tokio::task::spawn_blocking(move || {
        let status = served.child.wait().unwrap();
        (status, served.lines.iter().collect::<Vec<_>>())
    });
    let (status, lines) = tokio::time::timeout(Duration::from_secs(30), status)
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit status {status}");
    let events: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let finished = events
        .iter()
        .find(|e| e["message"] == "request finished")
        .expect("the request was logged");
    assert_eq!(finished["span"]["request.id"], id.as_str(), "{finished}");
    assert_eq!(finished["http.status"], 200);
    assert!(
        events.iter().any(|e| e["message"] == "stopped"),
        "{lines:?}"
    );
}

#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish() {
    // PostgreSQL lets the test hold a lock that makes a page request wait mid-flight.
    let test_db = TestDb::new(Backend::Postgres).await;
    let key = stoa_auth::SecretBox::generate_key_text();
    let mut served = serve_with(&test_db.url, &[("STOA_SECRET_KEY", key.as_str())]);
    let db = stoa_db::Db::connect(&test_db.url, &Default::default())
        .await
        .unwrap();
    let mut lock = db.begin().await.unwrap();
    stoa_db::on!(lock.conn(), c => sqlx::query("LOCK TABLE communities IN ACCESS EXCLUSIVE MODE").execute(c).await.map(|r| r.rows_affected())).unwrap();

    let url = format!("http://{}/communities", served.addr);
    let in_flight =
        tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status().as_u16()) });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!in_flight.is_finished(), "the request waits on the lock");
    sigterm(&served.child);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(served.child.try_wait().unwrap().is_none(), "still draining");
    drop(lock); // rolls back, releasing the table

    assert_eq!(in_flight.await.unwrap().expect("response arrives"), 200);
    let status = tokio::task::spawn_blocking(move || served.child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "exit status {status}");
    db.close().await;
}

/// `stoa seed --demo` adds people, roles and an institution once; `--scale` makes the bulk
/// data the benchmarks use, once. On both engines.
#[tokio::test]
async fn seed_demo_and_scale_on_both_engines() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let test_db = TestDb::new(backend).await;
        let env = [("DATABASE_URL", test_db.url.as_str())];
        for _ in 0..2 {
            let out = stoa(&["seed", "--demo", "--apply", "2"], &env);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let out = stoa(&["seed", "--scale", "20,200"], &env);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let again = stoa(&["seed", "--scale", "20,200"], &env);
        assert!(!again.status.success(), "bulk data is inserted once");
        let out = stoa(&["seed", "--catalog", "300"], &env);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !stoa(&["seed", "--catalog", "300"], &env).status.success(),
            "once"
        );
        assert_eq!(
            stoa(&["seed", "--scale", "20,10"], &env).status.code(),
            Some(2)
        );

        let db = stoa_db::Db::connect(&test_db.url, &stoa_db::PoolSettings::default())
            .await
            .unwrap();
        let mut conn = db.read().await.unwrap();
        let total = stoa_db::communities::search(conn.conn(), "", 1, 0)
            .await
            .unwrap()
            .total;
        assert_eq!(
            total,
            14 + 20,
            "{backend:?}: the demo's and the bulk communities, once"
        );
        let ada = stoa_db::accounts::find_by_email(conn.conn(), "ada@demo.stoa.example")
            .await
            .unwrap()
            .unwrap();
        let mine = stoa_db::memberships::of_account(conn.conn(), ada.id)
            .await
            .unwrap();
        assert_eq!(mine.len(), 14);
        assert!(mine.iter().all(|m| m.role == stoa_model::Role::Owner));
        assert_eq!(
            stoa_db::institutions::of_admin(conn.conn(), ada.id)
                .await
                .unwrap()
                .len(),
            1
        );
        // A staff member, and tickets in several states, once.
        let margaret = stoa_db::accounts::find_by_email(conn.conn(), "margaret@demo.stoa.example")
            .await
            .unwrap()
            .unwrap();
        assert!(margaret.is_staff);
        let tickets = stoa_db::tickets::list(
            conn.conn(),
            &stoa_db::tickets::Filter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(tickets.total, 6, "{backend:?}");
        let quota = tickets.items.iter().find(|t| t.kind == "quota").unwrap();
        assert!(
            stoa_db::tickets::quota_request(conn.conn(), quota.id)
                .await
                .unwrap()
                .is_some_and(|q| q.decision.is_none()),
            "a quota request waits for staff"
        );
        let states: std::collections::BTreeSet<&str> =
            tickets.items.iter().map(|t| t.status.as_str()).collect();
        assert_eq!(
            states,
            ["new", "open", "pending", "resolved"].into(),
            "{backend:?}"
        );
        // The starter catalog, loaded by each run, is there once.
        let anyone = stoa_db::catalog::Viewer {
            account: None,
            staff: false,
            now: stoa_db::Timestamp::now(),
        };
        let listing = stoa_db::catalog::Listing {
            search: "",
            language: None,
            tag: None,
            sort: stoa_db::catalog::Sort::Name,
            limit: 100,
            offset: 0,
        };
        let catalog = stoa_db::catalog::list(conn.conn(), &anyone, &listing)
            .await
            .unwrap();
        assert_eq!(
            catalog.total,
            8 + 300,
            "{backend:?}: the starter set once, and the bulk"
        );
        // The demo hubs use it; the first two applied theirs (Pangeo, Rocker): the catalog
        // counts them.
        let popular = stoa_db::catalog::Listing {
            sort: stoa_db::catalog::Sort::Popular,
            ..listing
        };
        let used: Vec<(String, i64)> = stoa_db::catalog::list(conn.conn(), &anyone, &popular)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|e| (e.slug, e.used_by))
            .take(3)
            .collect();
        assert_eq!(
            used[..2],
            [("pangeo".into(), 1), ("rocker-binder".into(), 1)],
            "{backend:?}"
        );
        assert_eq!(
            used[2].1, 0,
            "{backend:?}: the other demo hubs applied nothing"
        );
        let big = stoa_db::communities::by_slug(conn.conn(), "bench-1")
            .await
            .unwrap()
            .unwrap();
        // 200 people: person 1 owns bench-1; of persons 21..=200 every tenth (18) joins it,
        // and of the others those spread onto it (21, 41, …, 181: 9).
        assert_eq!(
            stoa_db::memberships::count(conn.conn(), big.id)
                .await
                .unwrap(),
            1 + 18 + 9
        );
        assert_eq!(
            stoa_db::memberships::count_owners(conn.conn(), big.id)
                .await
                .unwrap(),
            1
        );
        drop(conn);
        db.close().await;
    }
}

#[test]
fn https_without_smtp_refuses_to_start_and_says_how_to_configure_it() {
    let https = [("STOA_PUBLIC_URL", "https://stoa.example.org")];
    for cmd in ["serve", "check-config"] {
        let out = stoa_within(&[cmd], &https, Duration::from_secs(20));
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        for needle in ["smtp_url", "STOA_SMTP_URL", "local development only"] {
            assert!(
                stderr.contains(needle),
                "{cmd}: {needle} missing from {stderr}"
            );
        }
    }
    // With SMTP configured it is fine; plain http without SMTP stays a development setup.
    let out = stoa(
        &["check-config"],
        &[https[0], ("STOA_SMTP_URL", "smtp://127.0.0.1:2525")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = stoa(
        &["check-config"],
        &[("STOA_PUBLIC_URL", "http://127.0.0.1:3000")],
    );
    assert!(out.status.success());
}

/// Like [`stoa`], failing (instead of waiting forever) when it does not exit in `limit`:
/// `serve` that should refuse to start, but starts, would never exit on its own.
fn stoa_within(args: &[&str], env: &[(&str, &str)], limit: Duration) -> std::process::Output {
    let mut cmd = Command::new(STOA);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("STOA_LISTEN", "127.0.0.1:0")
        .envs(env.iter().copied())
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run stoa");
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("stoa {args:?} did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// An SMTP server that refuses every recipient, quoting the address as real servers do.
fn refusing_smtp_server() -> u16 {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            std::thread::spawn(move || {
                let mut out = stream.try_clone().unwrap();
                let _ = out.write_all(b"220 refuser ESMTP\r\n");
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply = match verb.as_str() {
                        "EHLO" | "HELO" => "250 refuser".to_owned(),
                        "RCPT" => {
                            let addr = line.split(':').nth(1).unwrap_or("").trim();
                            format!("550 5.1.1 {addr}: Recipient address rejected: User unknown")
                        }
                        "QUIT" => {
                            let _ = out.write_all(b"221 bye\r\n");
                            break;
                        }
                        _ => "250 OK".to_owned(),
                    };
                    if out.write_all(format!("{reply}\r\n").as_bytes()).is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn smtp_errors_on_the_sign_in_path_are_logged_without_the_address() {
    let port = refusing_smtp_server();
    let smtp = format!("smtp://127.0.0.1:{port}");
    let test_db = TestDb::new(Backend::Sqlite).await;
    let mut served = serve_with(&test_db.url, &[("STOA_SMTP_URL", &smtp)]);
    let email = "private.person@example.org";
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("http://{}/auth/email", served.addr))
        .form(&[("email", email)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        "/signin?error=mail_failed"
    );
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let failure = loop {
        let line = served
            .lines
            .recv_timeout(deadline - Instant::now())
            .expect("the failure was logged");
        seen.push(line.clone());
        if line.contains("sending a sign-in link failed") {
            break line;
        }
    };
    sigterm(&served.child);
    let rest = tokio::task::spawn_blocking(move || {
        served.child.wait().unwrap();
        served.lines.iter().collect::<Vec<_>>()
    })
    .await
    .unwrap();
    assert!(
        failure.contains("<address>"),
        "the SMTP reply is logged: {failure}"
    );
    for line in seen.iter().chain(&rest) {
        assert!(!line.contains(email), "address in the log: {line}");
        assert!(
            !line.contains("private.person"),
            "address in the log: {line}"
        );
    }
}

#[test]
fn check_config_prints_the_community_cap() {
    let out = stoa(
        &["check-config"],
        &[("STOA_COMMUNITIES_PER_ACCOUNT_PER_DAY", "5")],
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("communities_per_account_per_day = 5"),
        "{stdout}"
    );
    assert!(!stdout.contains("ignoring unknown"), "{stdout}");
}

/// `stoa rotate-hub-key` signs with a new key and keeps the old one published; on
/// PostgreSQL it refuses to run without `secret_key`, naming it.
#[tokio::test]
async fn rotate_hub_key_adds_a_key_and_needs_a_secret_key_on_postgres() {
    let sqlite = TestDb::new(Backend::Sqlite).await;
    let url = sqlite.url.clone();
    let (migrate, first, second) = tokio::task::spawn_blocking(move || {
        let env = [("DATABASE_URL", url.as_str())];
        (
            stoa(&["migrate"], &env),
            stoa(&["rotate-hub-key"], &env),
            stoa(&["rotate-hub-key"], &env),
        )
    })
    .await
    .unwrap();
    assert!(migrate.status.success());
    for out in [&first, &second] {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("signed with key"));
    }
    let db = stoa_db::Db::connect(&sqlite.url, &Default::default())
        .await
        .unwrap();
    let mut conn = db.read().await.unwrap();
    let keys = stoa_db::hub_login::signing_keys(
        conn.conn(),
        stoa_db::Timestamp::now() - chrono::TimeDelta::days(1),
    )
    .await
    .unwrap();
    assert_eq!(keys.len(), 2, "the new key and the one it retired");
    assert_eq!(keys.iter().filter(|k| k.retired_at.is_none()).count(), 1);
    drop(conn);
    db.close().await;

    let postgres = TestDb::new(Backend::Postgres).await;
    let url = postgres.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        stoa(&["rotate-hub-key"], &[("DATABASE_URL", url.as_str())])
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("secret_key is required"));
}

/// `stoa catalog import FILE`: a file with mistakes is refused whole, each mistake named,
/// nothing written; a good file imports, and again changes nothing.
#[tokio::test]
async fn catalog_import_checks_the_whole_file_and_is_idempotent() {
    let test_db = TestDb::new(Backend::Sqlite).await;
    let env = [("DATABASE_URL", test_db.url.as_str())];
    let dir = std::env::temp_dir().join(format!("stoa-catalog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.yaml");
    std::fs::write(
        &bad,
        "entries:\n  - slug: good-one\n    name: Good\n    versions:\n      - { version: '1', image: 'quay.io/a/b:1', released: 2025-01-01 }\n  - slug: bad-one\n    name: Bad\n    versions:\n      - { version: '1', image: 'Not An Image', released: 2025-01-01 }\n",
    )
    .unwrap();
    let out = stoa(&["catalog", "import", bad.to_str().unwrap()], &env);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("entries[1] (bad-one).versions[0].image"),
        "{err}"
    );
    let good = crate::helpers::workspace_root().join("catalog/starter.yaml");
    let first = stoa(&["catalog", "import", good.to_str().unwrap()], &env);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let said = String::from_utf8_lossy(&first.stdout);
    assert!(said.contains("8 entries added, 0 updated"), "{said}");
    let again = stoa(&["catalog", "import", good.to_str().unwrap()], &env);
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(
        said.contains("0 entries added, 8 updated; 0 versions added"),
        "{said}"
    );
    let db = stoa_db::Db::connect(&test_db.url, &stoa_db::PoolSettings::default())
        .await
        .unwrap();
    let mut conn = db.read().await.unwrap();
    let anyone = stoa_db::catalog::Viewer {
        account: None,
        staff: false,
        now: stoa_db::Timestamp::now(),
    };
    assert!(
        stoa_db::catalog::get(conn.conn(), &anyone, "good-one")
            .await
            .unwrap()
            .is_none(),
        "the refused file wrote nothing"
    );
    let pangeo = stoa_db::catalog::get(conn.conn(), &anyone, "pangeo")
        .await
        .unwrap()
        .unwrap();
    let versions = stoa_db::catalog::versions(conn.conn(), pangeo.id)
        .await
        .unwrap();
    let old = versions.iter().find(|v| v.version == "2025.01.10").unwrap();
    let new = versions.iter().find(|v| v.version == "2025.08.14").unwrap();
    assert!(old.deprecated);
    assert_eq!(
        old.replacement_id,
        Some(new.id),
        "the replacement is resolved by name"
    );
    drop(conn);
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
