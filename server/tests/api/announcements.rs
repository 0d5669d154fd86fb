//! Announcements (issue 14) on both engines: targeted to chosen communities or everyone,
//! shown within their window only (driven by the test clock), dismissed or acknowledged
//! once, the acknowledgements listed for staff, mailed to the audience only; bad input and
//! non-staff refused.

use chrono::TimeDelta;
use serde_json::Value;

use crate::communities::{Person, add_member, create_community, mail_to, person, staff};
use crate::forms::page;
use crate::helpers::{TestApp, on_both, require_peers};

fn at(app: &TestApp, from_now: TimeDelta) -> String {
    (app.clock.now() + from_now)
        .as_datetime()
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

async fn titles(app: &TestApp, who: &Person) -> Vec<String> {
    let (status, body) = app.call(&who.client, "announcements/current", &[]).await;
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|b| b["title"].as_str().unwrap().to_owned())
        .collect()
}

on_both!(
    announcements_reach_their_audience_within_their_window,
    |app| {
        require_peers();
        let lead = person(&app, "ann-lead").await;
        create_community(&app, &lead, "ann-lab", "invite").await;
        let member = person(&app, "ann-member").await;
        add_member(&app, "ann-lab", member.id, "member").await;
        let outsider = person(&app, "ann-outsider").await;
        create_community(&app, &outsider, "ann-other", "invite").await;
        let grace = staff(&app, "ann-staff").await;

        // Required, for one community, mailed; and one for everyone from tomorrow.
        let ends = at(&app, TimeDelta::days(2));
        let (status, body) = app
            .call(
                &grace.client,
                "announcements/create",
                &[
                    ("title", "Maintenance on Saturday"),
                    ("body", "Hubs restart at **08:00 UTC**."),
                    ("severity", "warning"),
                    ("required", "on"),
                    ("audience", "communities"),
                    ("communities", "ann-lab"),
                    ("ends", &ends),
                    ("mail", "on"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let required = body.as_i64().unwrap().to_string();
        let (starts, ends) = (at(&app, TimeDelta::days(1)), at(&app, TimeDelta::days(3)));
        let (status, body) = app
            .call(
                &grace.client,
                "announcements/create",
                &[
                    ("title", "New GPU sizes"),
                    ("severity", "info"),
                    ("audience", "everyone"),
                    ("starts", &starts),
                    ("ends", &ends),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let info = body.as_i64().unwrap().to_string();

        let mailed = mail_to(&app, &member.email, "[Stoa] Maintenance on Saturday", 0).await;
        assert!(
            mailed.contains("Hubs restart at **08:00 UTC**."),
            "{mailed}"
        );
        mail_to(&app, &lead.email, "[Stoa] Maintenance on Saturday", 0).await;
        let maildev = std::env::var("STOA_TEST_MAILDEV_URL").unwrap();
        let all: Vec<Value> = reqwest::get(format!("{maildev}/api/email"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            !all.iter()
                .any(|m| m["to"][0]["address"] == outsider.email.as_str()
                    && m["subject"].as_str().unwrap_or("").contains("Maintenance")),
            "not mailed outside its audience"
        );
        // A batch run again (a worker that died before marking it done) mails nobody twice.
        let mut tx = app.db.begin().await.unwrap();
        let again = stoa_domain::announcements::mail_batch(
            &mut tx,
            required.parse().unwrap(),
            0,
            "[Stoa] Maintenance on Saturday",
            "Hubs restart at **08:00 UTC**.",
            app.clock.now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(again, 0, "that batch went out already");
        app.run_worker().await;
        let all: Vec<Value> = reqwest::get(format!("{maildev}/api/email"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let to_member = all
            .iter()
            .filter(|m| {
                m["to"][0]["address"] == member.email.as_str()
                    && m["subject"].as_str().unwrap_or("").contains("Maintenance")
            })
            .count();
        assert_eq!(to_member, 1, "one mail per person");

        // Now: the community's members see the required one; others nothing; nobody the
        // scheduled one.
        assert_eq!(titles(&app, &member).await, ["Maintenance on Saturday"]);
        assert_eq!(titles(&app, &outsider).await, Vec::<String>::new());
        let (_, html) = page(&app, &member.client, "/dashboard").await;
        assert!(html.contains("data-testid=\"announcement\"") && html.contains("I have read this"));
        assert!(html.contains("<strong>08:00 UTC</strong>"));
        let (_, anonymous) = app
            .call(&reqwest::Client::new(), "announcements/current", &[])
            .await;
        assert_eq!(anonymous, serde_json::json!([]));

        // Tomorrow both are shown, critical first then newest; the outsider sees the one for
        // everyone.
        app.clock
            .advance(TimeDelta::days(1) + TimeDelta::minutes(1));
        assert_eq!(
            titles(&app, &member).await,
            ["Maintenance on Saturday", "New GPU sizes"]
        );
        assert_eq!(titles(&app, &outsider).await, ["New GPU sizes"]);

        // A required one is acknowledged, not dismissed; one not addressed to you is not found.
        let (status, body) = app
            .call(
                &member.client,
                "announcements/read",
                &[("announcement", &required)],
            )
            .await;
        assert_eq!(status, 422, "{body}");
        let (status, _) = app
            .call(
                &outsider.client,
                "announcements/read",
                &[("announcement", &required), ("acknowledge", "true")],
            )
            .await;
        assert_eq!(status, 404);
        for (who, id, ack) in [
            (&member, &required, "true"),
            (&member, &info, ""),
            (&lead, &required, "true"),
        ] {
            let (status, body) = app
                .call(
                    &who.client,
                    "announcements/read",
                    &[("announcement", id), ("acknowledge", ack)],
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }
        assert_eq!(titles(&app, &member).await, Vec::<String>::new());
        assert_eq!(titles(&app, &lead).await, ["New GPU sizes"]);

        // Staff see who acknowledged.
        let (status, detail) = app
            .call(
                &grace.client,
                "announcements/get",
                &[("announcement", &required)],
            )
            .await;
        assert_eq!(status, 200, "{detail}");
        assert_eq!(detail["audience_size"], 2);
        assert_eq!(detail["row"]["acknowledged"], 2);
        let readers: Vec<&str> = detail["reads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["email"].as_str().unwrap())
            .collect();
        assert_eq!(readers, [member.email.as_str(), lead.email.as_str()]);
        let (_, html) = page(
            &app,
            &grace.client,
            &format!("/staff/announcements/{required}"),
        )
        .await;
        assert!(html.contains("2 of 2 people acknowledged it"), "{html}");
        let (_, list) = app.call(&grace.client, "announcements/list", &[]).await;
        assert_eq!(list["total"], 2);

        // After its window nothing is shown.
        app.clock.advance(TimeDelta::days(3));
        assert_eq!(titles(&app, &outsider).await, Vec::<String>::new());
    }
);

on_both!(bad_announcements_are_refused, |app| {
    require_peers();
    let lead = person(&app, "bad-ann-lead").await;
    let grace = staff(&app, "bad-ann-staff").await;
    let ends = at(&app, TimeDelta::days(1));
    let past = at(&app, TimeDelta::days(-1));
    let far = at(&app, TimeDelta::days(400));
    let base = [
        ("title", "Fine title"),
        ("severity", "info"),
        ("audience", "everyone"),
        ("ends", ends.as_str()),
    ];
    for (field, change) in [
        ("title", ("title", "x")),
        ("severity", ("severity", "apocalyptic")),
        ("audience", ("audience", "martians")),
        ("ends", ("ends", past.as_str())),
        ("ends", ("ends", far.as_str())),
        ("ends", ("ends", "tomorrow")),
        ("starts", ("starts", "soon")),
    ] {
        let form: Vec<(&str, &str)> = base
            .iter()
            .map(|(k, v)| {
                if *k == change.0 {
                    (*k, change.1)
                } else {
                    (*k, *v)
                }
            })
            .chain((change.0 == "starts").then_some(change))
            .collect();
        let (status, body) = app.call(&grace.client, "announcements/create", &form).await;
        assert_eq!(status, 422, "{field}: {body}");
        assert_eq!(body["field"], field, "{body}");
    }
    let mut targeted = base.to_vec();
    targeted[2] = ("audience", "communities");
    targeted.push(("communities", "no-such-lab"));
    let (status, body) = app
        .call(&grace.client, "announcements/create", &targeted)
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("communities")),
        "{body}"
    );
    let (status, _) = app.call(&lead.client, "announcements/create", &base).await;
    assert_eq!(status, 403);
    let (_, list) = app.call(&grace.client, "announcements/list", &[]).await;
    assert_eq!(list["total"], 0, "nothing was made");
});
