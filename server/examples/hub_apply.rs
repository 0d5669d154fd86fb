//! How long a change takes to reach a real hub: from "apply" (the request's transaction
//! commits) to the change's timeline saying healthy, through Stoa's whole path (job queue,
//! worker woken by the request, render, the local backend restarting JupyterHub, health).
//! Beside it, in the same run, a bare JupyterHub cold start: `jupyterhub` with a minimal
//! config (its own proxy, dummy login), from spawn to `/hub/api` answering. Prints medians and
//! the ratio; no assertion (bench/README.md).
//!
//! Usage (from the repository root, after `make setup`): `hub_apply [TRIALS]` (default 5).
//! Uses a fresh SQLite file and hubs folder under the system's temp folder.

use std::time::{Duration, Instant};

use stoa_db::deployments::State;
use stoa_db::{Clock, Db, PoolSettings};
use stoa_domain::hubs::{Edit, HubConfig};
use stoa_domain::{Caller, Ctx};
use stoa_model::hub::HomepageForm;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One bare JupyterHub cold start, in seconds.
async fn bare_start(work: &std::path::Path, hubs: &HubConfig, i: usize) -> anyhow::Result<f64> {
    let dir = work.join(format!("bare-{i}"));
    std::fs::create_dir_all(&dir)?;
    let port = free_port();
    let proxy = std::path::absolute(&hubs.local.proxy_command)?;
    let config = format!(
        "c = get_config()\n\
         c.JupyterHub.bind_url = 'http://127.0.0.1:{port}'\n\
         c.JupyterHub.hub_port = {hub_port}\n\
         c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{api}'\n\
         c.ConfigurableHTTPProxy.command = ['{proxy}']\n\
         c.JupyterHub.db_url = 'sqlite:///{db}'\n\
         c.JupyterHub.cookie_secret_file = '{dir}/cookie_secret'\n\
         c.JupyterHub.authenticator_class = 'dummy'\n",
        hub_port = free_port(),
        api = free_port(),
        proxy = proxy.display(),
        db = dir.join("jupyterhub.sqlite").display(),
        dir = dir.display(),
    );
    std::fs::write(dir.join("jupyterhub_config.py"), config)?;
    let python = std::path::absolute(&hubs.local.python_env)?;
    let started = Instant::now();
    let mut child = tokio::process::Command::new(python.join("bin/jupyterhub"))
        .arg("-f")
        .arg(dir.join("jupyterhub_config.py"))
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/hub/api/");
    loop {
        if http
            .get(&url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            anyhow::bail!("the bare hub did not answer in 120 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = started.elapsed().as_secs_f64();
    if let Some(pid) = child.id() {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(pid)?);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    }
    let _ = tokio::time::timeout(Duration::from_secs(20), child.wait()).await;
    Ok(took)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let trials: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(5);
    let work = std::env::temp_dir().join(format!("stoa-hub-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let mut hubs = HubConfig::default();
    hubs.local.hubs_dir = work.join("hubs");
    hubs.local.ports = None;
    let db = Db::connect(
        &format!("sqlite://{}", work.join("stoa.db").display()),
        &PoolSettings::default(),
    )
    .await?;
    db.migrate().await?;
    let clock = Clock::default();
    let public_url = "http://127.0.0.1:9";

    // An owner, a community, and its hub's first revision.
    let mut tx = db.begin().await?;
    let owner = stoa_db::accounts::create(
        tx.conn(),
        "Bench Owner",
        Some("owner@bench.example"),
        clock.now(),
    )
    .await?;
    let slug = stoa_model::Slug::parse("bench-lab").map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let community = stoa_db::communities::insert(
        tx.conn(),
        &stoa_db::communities::NewCommunity {
            slug: &slug,
            name: "Bench Lab",
            description: "",
            field: "",
            website: None,
            logo_url: None,
            institution_id: None,
            join_policy: stoa_model::JoinPolicy::Invite,
        },
        clock.now(),
    )
    .await?;
    stoa_db::memberships::add(
        tx.conn(),
        community,
        owner,
        stoa_model::Role::Owner,
        None,
        clock.now(),
    )
    .await?;
    tx.commit().await?;
    let ctx = || Ctx {
        caller: Some(Caller {
            id: owner,
            name: "Bench Owner".into(),
            email: None,
            staff: false,
        }),
        now: clock.now(),
        public_url: public_url.into(),
        limits: stoa_domain::limits::Limits::default(),
    };

    // This process's worker, woken by each request as in `stoa serve`.
    let wake = stoa_db::jobs::Wake::default();
    let settings = stoa_server::config::Settings {
        hubs: hubs.clone(),
        public_url: public_url.into(),
        ..Default::default()
    };
    let backend = stoa_server::startup::provisioner(&settings);
    let runner = backend.runner();
    let provider = stoa_domain::hub_login::Provider::new(
        public_url,
        stoa_auth::SecretBox::from_key_text(&stoa_auth::SecretBox::generate_key_text())
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    let mailer =
        stoa_auth::Mailer::new(None, "bench <bench@example.org>").map_err(anyhow::Error::msg)?;
    let worker = stoa_server::startup::worker(
        &settings,
        db.clone(),
        clock.clone(),
        mailer,
        backend,
        std::sync::Arc::new(provider),
        wake.clone(),
    );
    let running = tokio::spawn(worker.run());

    let mut first = None;
    let mut applies = Vec::new();
    for i in 0..=trials {
        let mut tx = db.begin().await?;
        let homepage = HomepageForm {
            org_name: "Bench Lab".into(),
            org_url: String::new(),
            funded_by_name: String::new(),
            funded_by_url: String::new(),
            announcement: format!("Trial {i}"),
            show_logo: false,
        };
        let saved = stoa_domain::hubs::save(
            &ctx(),
            &mut tx,
            &hubs,
            &stoa_domain::billing::BillingConfig::default(),
            "bench-lab",
            i32::try_from(i)?,
            "",
            &Edit::Homepage(homepage),
            false,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        tx.commit().await?;
        let number = saved.number.ok_or_else(|| anyhow::anyhow!("not saved"))?;
        let started = Instant::now();
        let mut tx = db.begin().await?;
        stoa_domain::hubs::request_apply(&ctx(), &mut tx, "bench-lab", number, runner.as_deref())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        tx.commit().await?;
        wake.notify();
        loop {
            let mut conn = db.read().await?;
            let hub = stoa_db::hubs::of_community(conn.conn(), community)
                .await?
                .remove(0);
            let latest = stoa_db::deployments::recent(conn.conn(), hub.id, 1)
                .await?
                .remove(0);
            drop(conn);
            match latest.state {
                State::Healthy => break,
                State::Failed => anyhow::bail!("trial {i} failed: {:?}", latest.message),
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        let took = started.elapsed().as_secs_f64();
        if i == 0 {
            first = Some(took);
        } else {
            applies.push(took);
        }
    }
    running.abort();
    let mut bare = Vec::new();
    for i in 0..trials {
        bare.push(bare_start(&work, &hubs, i).await?);
    }
    stoa_provision::local::process::kill_all_under(&hubs.local.hubs_dir);
    let _ = std::fs::remove_dir_all(&work);

    let (apply, bare) = (median(applies), median(bare));
    println!("hub apply → healthy, {trials} trials (medians):");
    if let Some(first) = first {
        println!("  first deploy (proxy + hub start)  {first:6.2} s");
    }
    println!("  apply a new revision (restart)    {apply:6.2} s");
    println!("  bare JupyterHub cold start        {bare:6.2} s");
    println!(
        "  ratio apply / bare                {:6.2} (target ≤ 1.5)",
        apply / bare
    );
    Ok(())
}
