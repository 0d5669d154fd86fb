//! Many Stoa servers in one process, as the test suite runs them in parallel.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use stoa_db::Backend;
use stoa_server::rate_limit::RateLimiter;
use stoa_server::startup;

use crate::helpers::TestApp;

/// Building a server while another one renders must not stall the render. Building the
/// router generates Leptos's route list, which renders the app once with resource loading
/// suppressed by a process-wide flag (leptos_server's `SuppressResourceLoad`); a resource
/// that another server's render polled for the first time meanwhile never loaded, and that
/// page waited for the 30 s request timeout. This was the "occasional stall" that kept the
/// suite on one test thread. The route list is now generated once per process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn building_servers_never_stalls_another_servers_render() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.seed_demo().await;
    let done = Arc::new(AtomicBool::new(false));
    let rendered = Arc::new(AtomicUsize::new(0));
    // A stalled render waits for the request timeout (30 s); a healthy one takes
    // milliseconds. Ten seconds tells them apart on a loaded machine.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let renders: Vec<_> = (0..4)
        .map(|i| {
            let (client, done, rendered) =
                (client.clone(), Arc::clone(&done), Arc::clone(&rendered));
            // Pages whose data comes from resources: the directory and the home page.
            let url = app.url(if i % 2 == 0 { "/communities" } else { "/" });
            tokio::spawn(async move {
                while !done.load(Ordering::Relaxed) {
                    let res = client.get(&url).send().await.unwrap_or_else(|e| {
                        panic!("a render stalled while other servers were built: {e}")
                    });
                    assert_eq!(res.status(), 200);
                    let body = res.text().await.unwrap();
                    assert!(
                        body.contains("Ocean Modelling Lab"),
                        "rendered with its data"
                    );
                    rendered.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    // Meanwhile, build one server after another (what every test's TestApp::spawn does).
    let settings = app.settings.clone();
    let (db, clock) = (app.db.clone(), app.clock.clone());
    let builds = 200;
    tokio::task::spawn_blocking(move || {
        for _ in 0..builds {
            let auth = startup::build_auth(&settings, db.clone(), clock.clone()).unwrap();
            let limiter = RateLimiter::new(db.clone(), clock.clone(), 30);
            drop(startup::router(&settings, db.clone(), auth, limiter).unwrap());
        }
    })
    .await
    .unwrap();
    // Let every render loop finish at least one more page after the last build.
    let seen = rendered.load(Ordering::Relaxed);
    while rendered.load(Ordering::Relaxed) < seen + 4 && !renders.iter().any(|r| r.is_finished()) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    done.store(true, Ordering::Relaxed);
    for render in renders {
        render.await.expect("every render completes");
    }
}
