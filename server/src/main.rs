//! `stoa`: the member portal of the managed JupyterHub service.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use stoa_server::config::{Loaded, Settings};
use stoa_server::startup::{self, Application};
use stoa_server::{seed, telemetry};

/// Stoa: the member portal of the managed JupyterHub service.
#[derive(Parser)]
#[command(name = "stoa", version, about, long_about = None)]
struct Cli {
    /// Configuration file (TOML). Default: ./stoa.toml when it exists.
    #[arg(long, global = true, env = "STOA_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (the default). Applies pending migrations first.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate {
        /// Revert migrations instead, down to (excluding) this version; 0 reverts all.
        #[arg(long, value_name = "VERSION")]
        down_to: Option<i64>,
    },
    /// Validate the configuration, print the effective settings (secrets redacted) and exit.
    CheckConfig {
        /// Also connect to the database and report its migration status.
        #[arg(long)]
        connect: bool,
    },
    /// Grant or revoke staff rights (operations and support pages).
    Staff {
        #[command(subcommand)]
        action: StaffAction,
    },
    /// Hubs on this machine (the local backend).
    Hubs {
        #[command(subcommand)]
        action: HubsAction,
    },
    /// Hub login: sign ID tokens with a new key from now on. The old key stays published
    /// for a week, so hubs still verify the tokens it signed.
    RotateHubKey,
    /// Fill the database with data.
    Seed {
        /// Realistic demo communities, people and an institution for a local portal (never
        /// on a production database).
        #[arg(long, required_unless_present_any = ["scale", "catalog"])]
        demo: bool,
        /// With --demo: apply the settings of the first N demo hubs, so that a running
        /// portal starts them as real JupyterHubs (and the catalog counts them as users).
        #[arg(long, value_name = "N", default_value_t = 0, requires = "demo")]
        apply: usize,
        /// Bulk data for benchmarks: COMMUNITIES,MEMBERS (e.g. 10000,100000).
        #[arg(long, value_name = "COMMUNITIES,MEMBERS", value_parser = parse_scale)]
        scale: Option<(i64, i64)>,
        /// Bulk catalog entries for benchmarks (e.g. 10000), once.
        #[arg(long, value_name = "ENTRIES", value_parser = clap::value_parser!(i64).range(1..=1_000_000))]
        catalog: Option<i64>,
    },
    /// The shared catalog of environments.
    Catalog {
        #[command(subcommand)]
        action: CatalogAction,
    },
}

#[derive(Subcommand)]
enum CatalogAction {
    /// Add or update entries and versions from a YAML file (catalog/starter.yaml is the
    /// starter set; the format is in stoa_domain::catalog). Idempotent; checks the whole
    /// file first and writes all of it or nothing.
    Import {
        /// The YAML file.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum HubsAction {
    /// Stop every hub process on this machine now: hubs, proxies and people's servers under
    /// `hubs.local.hubs_dir` (files stay). Hubs that should run start again with the next
    /// `stoa serve`; to stop one for good, stop it on its hub tab.
    Halt,
}

#[derive(Subcommand)]
enum StaffAction {
    /// Make the account with this verified email staff.
    Add {
        /// The account's email address.
        email: String,
    },
    /// Take staff rights away from the account with this email.
    Remove {
        /// The account's email address.
        email: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Loaded { settings, warnings } = match Settings::load(cli.config.as_deref()) {
        Ok(loaded) => loaded,
        Err(err) => {
            eprintln!("stoa: configuration error: {err}");
            return ExitCode::from(2);
        }
    };
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // Kept until `main` returns: dropping it writes the lines still queued.
    let _log_guard = telemetry::init_non_blocking(settings.log_format, &settings.log_filter, ansi);
    for warning in &warnings {
        tracing::warn!("{warning}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("stoa: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(
        cli.command.unwrap_or(Command::Serve),
        settings,
        warnings,
    ));
    match result {
        Ok(code) => code,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "stoa failed");
            eprintln!("stoa: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(
    command: Command,
    settings: Settings,
    warnings: Vec<String>,
) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve => {
            let start = Instant::now();
            let app = Application::build(&settings).await?;
            tracing::info!(
                address = %app.local_addr(),
                database = %settings.database_url_redacted(),
                startup_ms = startup::elapsed_ms(start),
                "Stoa is listening on http://{}", app.local_addr()
            );
            app.run_until(startup::shutdown_signal()).await?;
        }
        Command::Migrate { down_to } => {
            let db = startup::connect(&settings).await?;
            match down_to {
                Some(target) => {
                    db.migrate_down(target)
                        .await
                        .context("cannot revert migrations")?;
                    tracing::info!(target, "migrations reverted");
                }
                None => {
                    db.migrate().await.context("cannot apply migrations")?;
                    let status = db.migration_status().await?;
                    tracing::info!(version = status.applied, "migrations applied");
                }
            }
            db.close().await;
        }
        Command::CheckConfig { connect } => {
            println!("listen                   = {}", settings.listen);
            println!(
                "database_url             = {}",
                settings.database_url_redacted()
            );
            println!(
                "database_max_connections = {}",
                settings.database_max_connections
            );
            println!("public_url               = {}", settings.public_url);
            println!(
                "site_root                = {}",
                settings.site_root.display()
            );
            println!("log_format               = {:?}", settings.log_format);
            println!("log_filter               = {}", settings.log_filter);
            println!(
                "request_timeout_secs     = {}",
                settings.request_timeout_secs
            );
            println!(
                "shutdown_timeout_secs    = {}",
                settings.shutdown_timeout_secs
            );
            println!(
                "trusted_proxies          = {}",
                settings.trusted_proxies.join(", ")
            );
            println!("proxy_header             = {:?}", settings.proxy_header);
            println!(
                "rate_limit_per_minute    = {}",
                settings.rate_limit_per_minute
            );
            println!(
                "oidc_metadata_ttl_secs   = {}",
                settings.oidc_metadata_ttl_secs
            );
            println!(
                "communities_per_account_per_day = {}",
                settings.communities_per_account_per_day
            );
            println!("run_jobs                 = {}", settings.run_jobs);
            println!(
                "hubs                     = {} sizes ({}), starter image {}",
                settings.hubs.sizes.len(),
                settings
                    .hubs
                    .sizes
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                settings.hubs.default_image
            );
            for warning in &warnings {
                println!("warning: {warning}");
            }
            if connect {
                let db = startup::connect(&settings).await?;
                let status = db.migration_status().await?;
                println!(
                    "database: reachable ({:?}), migrations applied {} of {}{}",
                    db.backend(),
                    status.applied,
                    status.expected,
                    if status.dirty {
                        ", DIRTY (a shipped migration changed)"
                    } else {
                        ""
                    }
                );
                db.close().await;
            }
            println!("configuration OK");
        }
        Command::Hubs {
            action: HubsAction::Halt,
        } => {
            let dir = std::path::absolute(&settings.hubs.local.hubs_dir)?;
            let n = stoa_provision::local::process::kill_all_under(&dir);
            println!("stopped {n} hub processes under {}", dir.display());
        }
        Command::Staff { action } => {
            let (email, grant) = match &action {
                StaffAction::Add { email } => (email, true),
                StaffAction::Remove { email } => (email, false),
            };
            let Some(email) = stoa_auth::normalize_email(email) else {
                eprintln!("stoa: {email:?} is not an email address");
                return Ok(ExitCode::from(2));
            };
            let db = startup::connect(&settings).await?;
            db.migrate().await.context("cannot apply migrations")?;
            let mut tx = db.begin().await?;
            let result =
                stoa_db::accounts::set_staff(tx.conn(), &email, grant, stoa_db::Timestamp::now())
                    .await;
            tx.commit().await?;
            db.close().await;
            match result {
                Ok(id) => {
                    tracing::info!(account.id = id.0, staff = grant, "staff rights changed");
                    println!("{} staff rights", if grant { "granted" } else { "revoked" });
                }
                Err(stoa_db::DbError::NotFound) => {
                    eprintln!(
                        "stoa: no account has that email address; the person must sign in once first"
                    );
                    return Ok(ExitCode::from(1));
                }
                Err(other) => return Err(other.into()),
            }
        }
        Command::RotateHubKey => {
            let db = startup::connect(&settings).await?;
            let provider = stoa_domain::hub_login::Provider::new(
                &settings.public_url,
                startup::secret_box(&settings)?,
            );
            let mut tx = db.begin().await?;
            let kid = stoa_domain::hub_login::rotate_signing_key(
                &provider,
                tx.conn(),
                stoa_db::Timestamp::now(),
            )
            .await
            .map_err(|e| anyhow::Error::new(e).context("cannot rotate the signing key"))?;
            tx.commit().await?;
            println!("hub ID tokens are now signed with key {kid}");
            db.close().await;
        }
        Command::Catalog {
            action: CatalogAction::Import { file },
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let db = startup::connect(&settings).await?;
            db.migrate().await.context("cannot apply migrations")?;
            let mut tx = db.begin().await?;
            let now = stoa_db::Timestamp::now();
            let done = match stoa_domain::catalog::import(&mut tx, &text, now).await {
                Ok(done) => done,
                Err(stoa_domain::DomainError::Invalid(invalid)) => {
                    let all: Vec<String> = invalid.0.into_iter().map(|m| m.message).collect();
                    anyhow::bail!("{} was not imported:\n{}", file.display(), all.join("\n"));
                }
                Err(e) => return Err(anyhow::anyhow!("cannot import {}: {e}", file.display())),
            };
            tx.commit().await?;
            println!(
                "{}: {} entries added, {} updated; {} versions added, {} updated",
                file.display(),
                done.entries_added,
                done.entries_updated,
                done.versions_added,
                done.versions_updated
            );
        }
        Command::Seed {
            demo,
            apply,
            scale,
            catalog,
        } => {
            let db = startup::connect(&settings).await?;
            db.migrate().await.context("cannot apply migrations")?;
            if demo {
                let added = seed::demo(
                    &db,
                    &settings.hubs,
                    &settings.billing,
                    &stoa_server::startup::support_desk(&settings),
                    apply,
                )
                .await
                .context("cannot insert demo data")?;
                tracing::info!(
                    added,
                    total = seed::demo_community_count(),
                    "demo data and the starter catalog seeded"
                );
            }
            if let Some((communities, members)) = scale {
                let start = std::time::Instant::now();
                let made = seed::scale(&db, communities, members)
                    .await
                    .context("cannot insert bulk data (it can be inserted only once)")?;
                tracing::info!(
                    communities = made.communities,
                    accounts = made.accounts,
                    memberships = made.memberships,
                    hubs = made.hubs,
                    elapsed_ms = startup::elapsed_ms(start),
                    "bulk data seeded"
                );
            }
            if let Some(entries) = catalog {
                let start = std::time::Instant::now();
                seed::catalog_scale(&db, entries).await.context(
                    "cannot insert bulk catalog entries (they can be inserted only once)",
                )?;
                tracing::info!(
                    entries,
                    elapsed_ms = startup::elapsed_ms(start),
                    "bulk catalog seeded"
                );
            }
            db.close().await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Parses `COMMUNITIES,MEMBERS` for `stoa seed --scale`.
fn parse_scale(value: &str) -> Result<(i64, i64), String> {
    let (c, m) = value
        .split_once(',')
        .ok_or("expected COMMUNITIES,MEMBERS such as 10000,100000")?;
    let parse = |v: &str| {
        v.trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=10_000_000).contains(n))
    };
    match (parse(c), parse(m)) {
        (Some(c), Some(m)) if m >= c => Ok((c, m)),
        _ => Err(
            "both counts must be between 1 and 10,000,000, with at least one member per community"
                .into(),
        ),
    }
}
