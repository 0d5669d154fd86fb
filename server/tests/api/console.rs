//! The staff console's operations lists (issue 14), on both engines: hubs with their
//! revision, health and drift, filtered; provisioning changes by state, cancelled and run
//! again from the list; communities with plan, billing state and hubs; staff only.

use serde_json::Value;

use crate::communities::{create_community, person, staff};
use crate::forms::page;
use crate::helpers::{TestApp, on_both};
use crate::hub_deploy::save_homepage;

async fn console(
    app: &TestApp,
    who: &crate::communities::Person,
    endpoint: &str,
    form: &[(&str, &str)],
) -> Value {
    let (status, body) = app.call(&who.client, endpoint, form).await;
    assert_eq!(status, 200, "{endpoint} {form:?}: {body}");
    body
}

fn slugs(list: &Value, key: &str, field: &str) -> Vec<String> {
    list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h[field].as_str().unwrap().to_owned())
        .collect()
}

on_both!(staff_see_every_hub_and_change_and_act_on_changes, |app| {
    let owner = person(&app, "console-owner").await;
    let grace = staff(&app, "console-staff").await;
    for slug in ["console-a", "console-b", "console-c"] {
        create_community(&app, &owner, slug, "invite").await;
    }
    // a: revision 1 saved and applied (its change is on its way; nothing runs yet);
    // b: revision 1 saved, not applied; c: no hub.
    save_homepage(&app, &owner, "console-a", 0, "Hello.").await;
    let (status, body) = app
        .call(
            &owner.client,
            "hub/apply",
            &[("slug", "console-a"), ("number", "1")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    save_homepage(&app, &owner, "console-b", 0, "Hello.").await;

    let (status, _) = app.call(&owner.client, "console/hubs", &[]).await;
    assert_eq!(status, 403, "members are not staff");

    let all = console(&app, &grace, "console/hubs", &[("q", "console-")]).await;
    assert_eq!(all["total"], 2, "{all}");
    assert_eq!(slugs(&all, "hubs", "slug"), ["console-a", "console-b"]);
    let a = &all["hubs"][0];
    assert_eq!(a["revision"], "1 of 1 asked for, none running", "{a}");
    assert_eq!(a["health"], "requested");
    assert_eq!(a["drift"], true, "asked for, not running");
    assert!(
        a["last_change"]
            .as_str()
            .unwrap()
            .starts_with("apply revision 1, requested"),
        "{a}"
    );
    assert_eq!(all["hubs"][1]["revision"], "1 saved, none applied");
    for (show, expected) in [
        ("drift", vec!["console-a"]),
        ("busy", vec!["console-a"]),
        ("unapplied", vec!["console-b"]),
        ("failed", vec![]),
    ] {
        let l = console(
            &app,
            &grace,
            "console/hubs",
            &[("q", "console-"), ("show", show)],
        )
        .await;
        assert_eq!(slugs(&l, "hubs", "slug"), expected, "{show}");
    }
    let (status, body) = app
        .call(&grace.client, "console/hubs", &[("show", "sideways")])
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app
        .call(&grace.client, "console/hubs", &[("page", "0")])
        .await;
    assert_eq!(status, 422);

    // The open change, cancelled from the list, then run again.
    let changes_of_a = async |show: &str| {
        let form = [("community", "console-a"), ("show", show)];
        console(&app, &grace, "console/changes", &form).await
    };
    let open = changes_of_a("open").await;
    assert_eq!(open["total"], 1, "{open}");
    let change = &open["changes"][0];
    assert_eq!(
        (change["what"].as_str(), change["state"].as_str()),
        (Some("apply revision 1"), Some("requested"))
    );
    assert_eq!(
        (
            change["can_cancel"].as_bool(),
            change["can_rerun"].as_bool()
        ),
        (Some(true), Some(false))
    );
    let id = change["id"].as_i64().unwrap().to_string();
    let intervene = async |intent: &str| {
        let form = [("slug", "console-a"), ("change", &id), ("intent", intent)];
        console(&app, &grace, "hub/intervene", &form).await
    };
    intervene("cancel").await;
    let open = changes_of_a("open").await;
    assert_eq!(open["total"], 0, "{open}");
    let all = changes_of_a("all").await;
    assert_eq!(all["changes"][0]["state"], "cancelled");
    assert_eq!(all["changes"][0]["can_rerun"], true);
    intervene("rerun").await;
    let all = changes_of_a("all").await;
    assert_eq!(all["total"], 2);
    assert_eq!(
        all["changes"][0]["state"], "requested",
        "the re-run is the newest"
    );

    // Communities: plan, billing state, hubs.
    let list = console(
        &app,
        &grace,
        "staff/communities",
        &[("query", "console"), ("page", "1"), ("per_page", "50")],
    )
    .await;
    let rows = list["items"].as_array().unwrap();
    let row = |slug: &str| rows.iter().find(|r| r["slug"] == slug).unwrap().clone();
    assert_eq!(row("console-a")["hubs"], 1);
    assert_eq!(row("console-c")["hubs"], 0);
    assert_eq!(row("console-a")["plan"], "Lab");

    // The pages: one console, every section linked; nothing of a member's.
    let (status, html) = page(&app, &grace.client, "/staff/hubs?q=console-&show=drift").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("data-testid=\"staff-nav\"") && html.contains("Not running what was asked")
    );
    assert!(
        html.contains("console-a") && !html.contains(">console-b<"),
        "{html}"
    );
    let (status, html) = page(
        &app,
        &grace.client,
        "/staff/changes?show=all&community=console-a",
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("apply revision 1") && html.contains("Re-run") && html.contains("Cancel")
    );
});
