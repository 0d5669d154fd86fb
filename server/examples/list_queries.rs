//! Times the list queries behind the paged pages on a database filled by
//! `stoa seed --scale` (bench/run.sh does both). Prints p50/p99 per query; no assertions.
//!
//! Usage: `list_queries DATABASE_URL [ITERATIONS]`

use std::time::Instant;

use stoa_db::communities::{self, CommunityId};
use stoa_db::{Db, PoolSettings, audit, memberships};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: list_queries DATABASE_URL [ITERATIONS]"))?;
    let iterations: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(200);
    let db = Db::connect(&url, &PoolSettings::default()).await?;
    let mut conn = db.read().await?;
    let big = communities::by_slug(conn.conn(), "bench-1")
        .await?
        .ok_or_else(|| anyhow::anyhow!("run `stoa seed --scale` first"))?;
    let small = communities::by_slug(conn.conn(), "bench-500")
        .await?
        .expect("bench-500");
    let big_members = memberships::count(conn.conn(), big.id).await?;
    let total = communities::search(conn.conn(), "", 1, 0).await?.total;
    println!(
        "{:<52} {:>9} {:>9}",
        format!("query ({total} communities, {big_members} in bench-1)"),
        "p50 ms",
        "p99 ms"
    );

    macro_rules! time {
        ($label:expr, $body:expr) => {{
            let mut samples = Vec::with_capacity(iterations);
            for _ in 0..iterations {
                let start = Instant::now();
                let _ = $body;
                samples.push(start.elapsed().as_secs_f64() * 1000.0);
            }
            samples.sort_by(f64::total_cmp);
            let p = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
            println!("{:<52} {:>9.2} {:>9.2}", $label, p(0.5), p(0.99));
        }};
    }
    time!(
        "directory page 1 (count + 50 rows)",
        communities::search(conn.conn(), "", 50, 0).await?
    );
    time!(
        "directory search \"physics\" (2,500 match)",
        communities::search(conn.conn(), "physics", 50, 0).await?
    );
    time!(
        "directory search \"bench\" (all match)",
        communities::search(conn.conn(), "bench", 50, 0).await?
    );
    time!(
        "directory search \"b\" (one-letter prefix)",
        communities::search(conn.conn(), "b", 50, 0).await?
    );
    time!(
        "directory search \"bench 9999\" (one match)",
        communities::search(conn.conn(), "bench 9999", 50, 0).await?
    );
    time!(
        "directory search \"zzz\" (none)",
        communities::search(conn.conn(), "zzz", 50, 0).await?
    );
    time!(
        "directory page 200",
        communities::search(conn.conn(), "", 50, 9950).await?
    );
    time!(
        "staff list page 1 (with member counts)",
        communities::search_with_counts(conn.conn(), "", 50, 0).await?
    );
    time!(
        "staff search \"bench-99\"",
        communities::search_with_counts(conn.conn(), "bench-99", 50, 0).await?
    );
    let per_page = i64::from(stoa_model::members::MEMBERS_PER_PAGE);
    time!(
        format!("members of bench-1, page 1 ({per_page} rows)"),
        memberships::search(conn.conn(), big.id, "", per_page, 0).await?
    );
    time!(
        "members of bench-1, search",
        memberships::search(conn.conn(), big.id, "person 7", per_page, 0).await?
    );
    time!(
        "members of bench-1, middle page",
        memberships::search(conn.conn(), big.id, "", per_page, big_members / 2).await?
    );
    time!(
        "members of bench-1, last page",
        memberships::search(conn.conn(), big.id, "", per_page, big_members - per_page).await?
    );
    time!(
        "members of bench-500, page 1",
        memberships::search(conn.conn(), small.id, "", per_page, 0).await?
    );
    time!(
        "role lookup (every community request)",
        memberships::role_of(conn.conn(), big.id, stoa_db::accounts::AccountId(12345)).await?
    );
    let filter = audit::Filter {
        community: Some(CommunityId(big.id.0)),
        ..Default::default()
    };
    time!(
        "audit log page (community)",
        audit::list(conn.conn(), &filter, 51).await?
    );
    // The staff console (issue 14): every hub, every change.
    use stoa_db::console::{self, ChangeFilter, HubFilter};
    let month = chrono::Utc::now().date_naive();
    let hubs = console::hubs(conn.conn(), "", HubFilter::All, month, 1, 0)
        .await?
        .total;
    time!(
        format!("console hubs page 1 ({hubs} hubs)"),
        console::hubs(conn.conn(), "", HubFilter::All, month, 50, 0).await?
    );
    time!(
        "console hubs, last page",
        console::hubs(conn.conn(), "", HubFilter::All, month, 50, hubs - 50).await?
    );
    time!(
        "console hubs, search \"bench-99\"",
        console::hubs(conn.conn(), "bench-99", HubFilter::All, month, 50, 0).await?
    );
    time!(
        "console hubs, last change failed",
        console::hubs(conn.conn(), "", HubFilter::Failed, month, 50, 0).await?
    );
    time!(
        "console hubs, drift",
        console::hubs(conn.conn(), "", HubFilter::Drift, month, 50, 0).await?
    );
    time!(
        "console changes, failed",
        console::changes(conn.conn(), ChangeFilter::Failed, None, 50, 0).await?
    );
    time!(
        "console changes, open",
        console::changes(conn.conn(), ChangeFilter::Open, None, 50, 0).await?
    );
    time!(
        "console changes of bench-500",
        console::changes(conn.conn(), ChangeFilter::All, Some("bench-500"), 50, 0).await?
    );
    drop(conn);
    db.close().await;
    Ok(())
}
