//! Hub settings over HTTP on both engines: revisions saved section by section, refused input
//! that changes nothing, stale saves refused with what changed meanwhile, diffs, rollback,
//! apply requests, the audit trail, staff-only settings and the sanitised preview.

use serde_json::Value;

use crate::communities::{Person, add_member, audit_actions, create_community, person};
use crate::helpers::{TestApp, on_both, require_peers};

const IMAGE: &str = "quay.io/jupyter/scipy-notebook:2024-03-18";

/// Every (field, message) of a refusal.
fn messages(body: &Value) -> Vec<(String, String)> {
    match body["errors"].as_array() {
        Some(errors) => errors
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().to_owned(),
                    e["message"].as_str().unwrap().to_owned(),
                )
            })
            .collect(),
        None => vec![(
            body["field"].as_str().unwrap_or_default().to_owned(),
            body["message"].as_str().unwrap_or_default().to_owned(),
        )],
    }
}

async fn hub(app: &TestApp, who: &Person, slug: &str) -> Value {
    let (status, body) = app.call(&who.client, "hub/get", &[("slug", slug)]).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn save_homepage(
    app: &TestApp,
    who: &Person,
    slug: &str,
    base: i32,
    org_name: &str,
    announcement: &str,
) -> (u16, Value) {
    let base = base.to_string();
    let form = [
        ("slug", slug),
        ("base", &base),
        ("message", ""),
        ("org_name", org_name),
        ("org_url", "https://ocean.example.edu"),
        ("funded_by_name", ""),
        ("funded_by_url", ""),
        ("announcement", announcement),
    ];
    app.call(&who.client, "hub/save_homepage", &form).await
}

/// Saves the server section with `idle` minutes, `quota` GiB and `extra` fields.
async fn save_server(
    app: &TestApp,
    who: &Person,
    slug: &str,
    base: i32,
    (idle, quota): (&str, &str),
    extra: &[(&str, &str)],
) -> (u16, Value) {
    let base = base.to_string();
    let mut form = vec![
        ("slug", slug),
        ("base", base.as_str()),
        ("message", ""),
        ("interface", "lab"),
        ("git_repo", ""),
        ("git_branch", ""),
        ("git_path", ""),
        ("idle_timeout_minutes", idle),
        ("max_age_hours", "8"),
        ("home_quota_gib", quota),
    ];
    form.extend_from_slice(extra);
    app.call(&who.client, "hub/save_server", &form).await
}

async fn add_environment(
    app: &TestApp,
    who: &Person,
    slug: &str,
    base: i32,
    env_slug: &str,
    image: &str,
) -> (u16, Value) {
    let base = base.to_string();
    let form = [
        ("slug", slug),
        ("base", base.as_str()),
        ("message", "Pangeo for the course"),
        ("original", ""),
        ("env_slug", env_slug),
        ("display_name", "Pangeo"),
        ("description", "Geoscience stack"),
        ("image", image),
        ("size", "medium"),
        ("roles[admin]", "true"),
    ];
    app.call(&who.client, "hub/save_environment", &form).await
}

on_both!(revisions_diff_roll_back_and_are_audited, |app| {
    require_peers();
    let ada = person(&app, "hub-ada").await;
    create_community(&app, &ada, "ocean-hub", "invite").await;
    let fresh = hub(&app, &ada, "ocean-hub").await;
    assert_eq!(fresh["latest"], 0, "{fresh}");
    assert_eq!(fresh["detail"]["history_total"], 0);

    let (status, body) =
        save_homepage(&app, &ada, "ocean-hub", 0, "Ocean University", "Welcome!").await;
    assert_eq!((status, &body["number"]), (200, &Value::from(1)), "{body}");
    let (status, body) = add_environment(
        &app,
        &ada,
        "ocean-hub",
        1,
        "pangeo",
        "pangeo/pangeo-notebook:2025.01.10",
    )
    .await;
    assert_eq!((status, &body["number"]), (200, &Value::from(2)), "{body}");
    let h = hub(&app, &ada, "ocean-hub").await;
    assert_eq!(
        h["summary"]["environments"][1]["roles"],
        serde_json::json!(["admin"]),
        "{h}"
    );
    // A new image tag for Pangeo: the diff says so in words.
    let base = "2".to_owned();
    let (status, body) = app
        .call(
            &ada.client,
            "hub/save_environment",
            &[
                ("slug", "ocean-hub"),
                ("base", base.as_str()),
                ("message", ""),
                ("original", "pangeo"),
                ("env_slug", "pangeo"),
                ("display_name", "Pangeo"),
                ("description", "Geoscience stack"),
                ("image", "pangeo/pangeo-notebook:2026.04.29"),
                ("size", "medium"),
            ],
        )
        .await;
    assert_eq!((status, &body["number"]), (200, &Value::from(3)), "{body}");
    let (status, diff) = app
        .call(
            &ada.client,
            "hub/diff",
            &[("slug", "ocean-hub"), ("from", "2"), ("to", "3")],
        )
        .await;
    assert_eq!(status, 200, "{diff}");
    let changes = diff["changes"].to_string();
    assert!(
        changes.contains("2025.01.10") && changes.contains("2026.04.29"),
        "{changes}"
    );
    assert!(diff["yaml"].as_str().unwrap().contains("+"), "{diff}");
    // The Helm values the revisions render to: the image line of the profile changes.
    let rendered = diff["rendered"].as_str().unwrap();
    assert!(
        rendered.contains("+") && rendered.contains("pangeo/pangeo-notebook:2026.04.29"),
        "{rendered}"
    );

    // Roll back to revision 1: a new revision 4 with revision 1's settings.
    let (status, body) = app
        .call(
            &ada.client,
            "hub/rollback",
            &[("slug", "ocean-hub"), ("base", "3"), ("to", "1")],
        )
        .await;
    assert_eq!((status, &body), (200, &Value::from(4)));
    let (_, back) = app
        .call(
            &ada.client,
            "hub/diff",
            &[("slug", "ocean-hub"), ("from", "1"), ("to", "4")],
        )
        .await;
    assert_eq!(back["changes"], Value::Array(vec![]), "{back}");
    let h = hub(&app, &ada, "ocean-hub").await;
    assert_eq!(h["latest"], 4);
    assert_eq!(h["detail"]["history"][0]["rollback_of"], 1);
    assert_eq!(h["summary"]["environments"].as_array().unwrap().len(), 1);

    // Apply revision 2; applying it again is refused.
    let (status, _) = app
        .call(
            &ada.client,
            "hub/apply",
            &[("slug", "ocean-hub"), ("number", "2")],
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .call(
            &ada.client,
            "hub/apply",
            &[("slug", "ocean-hub"), ("number", "2")],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app
        .call(
            &ada.client,
            "hub/apply",
            &[("slug", "ocean-hub"), ("number", "9")],
        )
        .await;
    assert_eq!(status, 404, "a revision that does not exist");
    let h = hub(&app, &ada, "ocean-hub").await;
    assert_eq!(h["applied"][0], 2, "{h}");

    let actions = audit_actions(&app, "ocean-hub").await;
    for action in [
        "hub.revision_saved",
        "hub.rolled_back",
        "hub.apply_requested",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "hub.revision_saved")
            .count(),
        3
    );
});

on_both!(
    bad_input_is_refused_field_by_field_and_saves_nothing,
    |app| {
        require_peers();
        let ada = person(&app, "hub-bad").await;
        create_community(&app, &ada, "bad-hub", "invite").await;
        save_homepage(&app, &ada, "bad-hub", 0, "Bad Hub", "").await;

        let (status, body) =
            add_environment(&app, &ada, "bad-hub", 1, "Not A Slug", "not an image").await;
        assert_eq!(status, 422, "{body}");
        let fields: Vec<String> = messages(&body).into_iter().map(|(f, _)| f).collect();
        assert!(
            fields.contains(&"env_slug".to_owned()) && fields.contains(&"image".to_owned()),
            "{body}"
        );
        // The starter environment's slug is `default`: a second one is refused.
        let (status, body) = add_environment(&app, &ada, "bad-hub", 1, "default", IMAGE).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            messages(&body).iter().any(|(f, _)| f == "env_slug"),
            "{body}"
        );
        // Numbers that are not numbers, a quota above the bound.
        let (status, body) = save_server(&app, &ada, "bad-hub", 1, ("soon", "5000"), &[]).await;
        assert_eq!(status, 422, "{body}");
        let fields: Vec<String> = messages(&body).into_iter().map(|(f, _)| f).collect();
        assert!(
            fields.contains(&"idle_timeout_minutes".to_owned()),
            "{body}"
        );
        // Only the typing errors come first; fix them and the bound is checked.
        let (status, body) = save_server(&app, &ada, "bad-hub", 1, ("60", "5000"), &[]).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            messages(&body).iter().any(|(f, _)| f == "home_quota_gib"),
            "{body}"
        );
        let (status, body) = save_homepage(&app, &ada, "bad-hub", 1, "Bad Hub", "").await;
        assert_eq!(status, 422, "nothing changed: {body}");
        assert_eq!(
            hub(&app, &ada, "bad-hub").await["latest"],
            1,
            "nothing was saved"
        );
    }
);

on_both!(a_stale_save_is_refused_with_what_changed_meanwhile, |app| {
    require_peers();
    let ada = person(&app, "hub-stale-a").await;
    let grace = person(&app, "hub-stale-b").await;
    create_community(&app, &ada, "stale-hub", "invite").await;
    add_member(&app, "stale-hub", grace.id, "admin").await;
    save_homepage(&app, &ada, "stale-hub", 0, "Stale Hub", "").await;
    // Both open the page at revision 1; Ada saves first.
    let (status, _) = add_environment(&app, &ada, "stale-hub", 1, "pangeo", IMAGE).await;
    assert_eq!(status, 200);
    let (status, body) = save_homepage(&app, &grace, "stale-hub", 1, "Grace's name", "").await;
    assert_eq!(status, 422, "{body}");
    let (field, message) = messages(&body).remove(0);
    assert_eq!(field, "form");
    assert!(
        message.contains("Revision 2 was saved since you started from revision 1"),
        "{message}"
    );
    assert!(message.contains("Pangeo"), "names what changed: {message}");
    assert_eq!(hub(&app, &ada, "stale-hub").await["latest"], 2);
});

on_both!(staff_settings_are_staff_only_and_raise_the_bounds, |app| {
    require_peers();
    let ada = person(&app, "hub-staff-owner").await;
    let grace = person(&app, "hub-staff").await;
    create_community(&app, &ada, "gpu-hub", "invite").await;
    let mut tx = app.db.begin().await.unwrap();
    stoa_db::accounts::set_staff(tx.conn(), &grace.email, true, app.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    save_homepage(&app, &ada, "gpu-hub", 0, "GPU Hub", "").await;
    let staff_form = |base: &'static str| {
        [
            ("slug", "gpu-hub"),
            ("base", base),
            ("message", "Bigger homes for the course"),
            ("custom_domain", ""),
            (
                "node_selectors",
                "default node.kubernetes.io/instance-type=g4dn.xlarge",
            ),
            ("extra_resource_limits", "default nvidia.com/gpu=1"),
            ("bounds", "max_home_quota_gib=200"),
        ]
    };
    let (status, _) = app
        .call(&ada.client, "hub/save_staff", &staff_form("1"))
        .await;
    assert_eq!(status, 403, "the owner cannot change staff settings");
    let (status, body) = app
        .call(&grace.client, "hub/save_staff", &staff_form("1"))
        .await;
    assert_eq!((status, &body["number"]), (200, &Value::from(2)), "{body}");
    let h = hub(&app, &ada, "gpu-hub").await;
    assert_eq!(h["can_edit_staff"], false);
    assert!(
        h["detail"]["staff"]["extra_resource_limits"]
            .as_str()
            .unwrap()
            .contains("nvidia.com/gpu=1")
    );
    assert!(h["detail"]["bounds"].to_string().contains("200 GiB"), "{h}");
    // The owner may now use the raised bound; a rollback keeps the staff settings.
    let (status, body) = save_server(
        &app,
        &ada,
        "gpu-hub",
        2,
        ("60", "150"),
        &[("options[named_servers]", "true")],
    )
    .await;
    assert_eq!((status, &body["number"]), (200, &Value::from(3)), "{body}");
    let server = &hub(&app, &ada, "gpu-hub").await["detail"]["form"]["server"];
    assert_eq!(
        (&server["named_servers"], &server["bring_your_own_image"]),
        (&Value::Bool(true), &Value::Bool(false))
    );
    let (status, body) = app
        .call(
            &ada.client,
            "hub/rollback",
            &[("slug", "gpu-hub"), ("base", "3"), ("to", "1")],
        )
        .await;
    assert_eq!((status, &body), (200, &Value::from(4)));
    let h = hub(&app, &ada, "gpu-hub").await;
    assert_eq!(h["detail"]["form"]["server"]["home_quota_gib"], "10");
    assert!(
        h["detail"]["staff"]["bounds"]
            .as_str()
            .unwrap()
            .contains("max_home_quota_gib=200"),
        "{h}"
    );
    assert!(
        audit_actions(&app, "gpu-hub")
            .await
            .iter()
            .any(|a| a == "hub.revision_saved")
    );

    // Staff settings follow an environment the community renames, and go with one it removes.
    let (status, _) = add_environment(&app, &ada, "gpu-hub", 4, "pangeo", IMAGE).await;
    assert_eq!(status, 200);
    let gpu_form = [
        ("slug", "gpu-hub"),
        ("base", "5"),
        ("message", ""),
        ("custom_domain", ""),
        ("node_selectors", ""),
        ("extra_resource_limits", "pangeo nvidia.com/gpu=1"),
        ("bounds", "max_home_quota_gib=200"),
    ];
    let (status, body) = app.call(&grace.client, "hub/save_staff", &gpu_form).await;
    assert_eq!((status, &body["number"]), (200, &Value::from(6)), "{body}");
    let (status, body) = app
        .call(
            &ada.client,
            "hub/save_environment",
            &[
                ("slug", "gpu-hub"),
                ("base", "6"),
                ("message", ""),
                ("original", "pangeo"),
                ("env_slug", "pangeo-gpu"),
                ("display_name", "Pangeo GPU"),
                ("description", ""),
                ("image", IMAGE),
                ("size", "medium"),
            ],
        )
        .await;
    assert_eq!((status, &body["number"]), (200, &Value::from(7)), "{body}");
    let staff = &hub(&app, &ada, "gpu-hub").await["detail"]["staff"];
    assert_eq!(
        staff["extra_resource_limits"], "pangeo-gpu nvidia.com/gpu=1",
        "{staff}"
    );
    let (status, body) = app
        .call(
            &ada.client,
            "hub/remove_environment",
            &[
                ("slug", "gpu-hub"),
                ("base", "7"),
                ("message", ""),
                ("env_slug", "pangeo-gpu"),
            ],
        )
        .await;
    assert_eq!((status, &body["number"]), (200, &Value::from(8)), "{body}");
    let staff = &hub(&app, &ada, "gpu-hub").await["detail"]["staff"];
    assert_eq!(staff["extra_resource_limits"], "", "{staff}");
    assert_eq!(
        staff["bounds"], "max_home_quota_gib=200",
        "the other staff settings stay"
    );
});

on_both!(the_preview_renders_markdown_and_never_raw_html, |app| {
    require_peers();
    let ada = person(&app, "hub-preview").await;
    create_community(&app, &ada, "preview-hub", "invite").await;
    let announcement = "**Welcome** to [the docs](https://docs.example.org).\n\n<script>alert(1)</script><img src=x onerror=alert(2)>";
    let (status, _) = save_homepage(
        &app,
        &ada,
        "preview-hub",
        0,
        "Preview <b>Hub</b>",
        announcement,
    )
    .await;
    assert_eq!(status, 200);
    let (status, p) = app
        .call(
            &ada.client,
            "hub/preview",
            &[("slug", "preview-hub"), ("number", "1")],
        )
        .await;
    assert_eq!(status, 200, "{p}");
    let html = p["announcement_html"].as_str().unwrap();
    assert!(html.contains("<strong>Welcome</strong>"), "{html}");
    assert!(html.contains("href=\"https://docs.example.org\""), "{html}");
    // Raw HTML in the Markdown stays text: shown, never run.
    assert!(
        !html.contains("<script") && !html.contains("<img"),
        "{html}"
    );
    assert!(html.contains("&lt;script&gt;"), "{html}");
    // On the page the organisation's name is text.
    let page = ada
        .client
        .get(app.url("/communities/preview-hub/hub/preview?revision=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let body = page.text().await.unwrap();
    assert!(body.contains("Preview &lt;b&gt;Hub&lt;/b&gt;"), "escaped");
    assert!(!body.contains("<script>alert(1)"));
});

on_both!(show_changes_checks_everything_and_saves_nothing, |app| {
    require_peers();
    let ada = person(&app, "hub-check").await;
    create_community(&app, &ada, "check-hub", "invite").await;
    save_homepage(&app, &ada, "check-hub", 0, "Check Hub", "").await;
    let homepage = |announcement: &'static str, intent: &'static str| {
        [
            ("slug", "check-hub"),
            ("base", "1"),
            ("message", ""),
            ("intent", intent),
            ("org_name", "Check Hub"),
            ("org_url", "https://ocean.example.edu"),
            ("funded_by_name", "NSF"),
            ("funded_by_url", ""),
            ("announcement", announcement),
        ]
    };
    let (status, body) = app
        .call(
            &ada.client,
            "hub/save_homepage",
            &homepage("*Hello*", "check"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["number"], Value::Null, "not saved");
    assert!(body["changes"].to_string().contains("NSF"), "{body}");
    assert!(
        body["preview"]["announcement_html"]
            .as_str()
            .unwrap()
            .contains("<em>Hello</em>"),
        "{body}"
    );
    assert_eq!(
        hub(&app, &ada, "check-hub").await["latest"],
        1,
        "nothing written"
    );
    // A check is validated like a save.
    let mut bad = homepage("", "check");
    bad[4] = ("org_name", "");
    let (status, body) = app.call(&ada.client, "hub/save_homepage", &bad).await;
    assert_eq!(status, 422, "{body}");
    // Then the save itself.
    let (status, body) = app
        .call(&ada.client, "hub/save_homepage", &homepage("*Hello*", ""))
        .await;
    assert_eq!((status, &body["number"]), (200, &Value::from(2)), "{body}");
    assert!(!audit_actions(&app, "check-hub").await.is_empty());
});

on_both!(revisions_per_hub_are_capped_per_day, |app| {
    require_peers();
    let ada = person(&app, "hub-cap").await;
    create_community(&app, &ada, "cap-hub", "invite").await;
    save_homepage(&app, &ada, "cap-hub", 0, "Cap Hub", "").await;
    // Revisions 2..=199 straight into the store (a script's worth of saves).
    let mut tx = app.db.begin().await.unwrap();
    let c = stoa_db::communities::by_slug(tx.conn(), "cap-hub")
        .await
        .unwrap()
        .unwrap();
    let hub = stoa_db::hubs::of_community(tx.conn(), c.id)
        .await
        .unwrap()
        .remove(0);
    let spec = stoa_db::hubs::revision(tx.conn(), hub.id, 1)
        .await
        .unwrap()
        .unwrap()
        .spec;
    for base in 1..199 {
        let new = stoa_db::hubs::NewRevision {
            base,
            rollback_of: None,
            author: stoa_db::accounts::AccountId(ada.id),
            message: "scripted",
            spec: &spec,
        };
        stoa_db::hubs::add_revision(tx.conn(), hub.id, &new, app.clock.now())
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let max = stoa_domain::hubs::MAX_REVISIONS_PER_DAY;
    assert_eq!(max, 200);
    let (status, body) = save_homepage(&app, &ada, "cap-hub", 199, "Cap Hub 200", "").await;
    assert_eq!(
        (status, &body["number"]),
        (200, &Value::from(200)),
        "{body}"
    );
    let (status, body) = save_homepage(&app, &ada, "cap-hub", 200, "Cap Hub 201", "").await;
    assert_eq!(status, 422, "{body}");
    assert!(
        messages(&body)[0]
            .1
            .contains("200 revisions in the last 24 hours"),
        "{body}"
    );
    assert_eq!(
        hub_latest(&app, &ada, "cap-hub").await,
        200,
        "nothing was saved"
    );
    app.clock.advance(chrono::TimeDelta::hours(25));
    let (status, body) = save_homepage(&app, &ada, "cap-hub", 200, "Cap Hub 201", "").await;
    assert_eq!(
        (status, &body["number"]),
        (200, &Value::from(201)),
        "{body}"
    );
});

async fn hub_latest(app: &TestApp, who: &Person, slug: &str) -> i64 {
    hub(app, who, slug).await["latest"].as_i64().unwrap()
}
