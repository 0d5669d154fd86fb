//! Communities, members, invitations, join requests, institutions and the audit log, driven
//! over HTTP like a browser would, with real mail through maildev and the background worker
//! run by the test (the clock is moved, never slept on).

use chrono::TimeDelta;
use reqwest::Client;
use serde_json::Value;

use crate::auth::{browser, sign_in_by_mail, unique_email};
use crate::helpers::{TestApp, on_both, require_peers};

/// A signed-in person.
pub struct Person {
    pub client: Client,
    pub email: String,
    pub id: i64,
}

/// Signs a new person in by email link (creating their account).
pub async fn person(app: &TestApp, tag: &str) -> Person {
    let client = browser();
    let email = unique_email(tag);
    sign_in_by_mail(app, &client, &email).await;
    let mut conn = app.db.read().await.unwrap();
    let id = stoa_db::accounts::find_by_email(conn.conn(), &email)
        .await
        .unwrap()
        .expect("account")
        .id
        .0;
    Person { client, email, id }
}

/// Signs up a community as `owner`.
pub async fn create_community(app: &TestApp, owner: &Person, slug: &str, join_policy: &str) {
    let (status, body) = app
        .call(
            &owner.client,
            "community/create",
            &community_form(slug, "Test community", join_policy),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, Value::String(slug.into()));
}

/// The sign-up form's fields.
pub fn community_form<'a>(
    slug: &'a str,
    name: &'a str,
    join_policy: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("slug", slug),
        ("description", "A community for tests."),
        ("field", "Testing"),
        ("website", ""),
        ("join_policy", join_policy),
        ("institution", ""),
        ("legal_name", ""),
        ("country", ""),
    ]
}

/// The newest mail to `email` whose subject contains `subject`, after running the worker
/// until it shows up (maildev receives asynchronously).
pub async fn mail_to(app: &TestApp, email: &str, subject: &str, skip: usize) -> String {
    let maildev = std::env::var("STOA_TEST_MAILDEV_URL").unwrap();
    for _ in 0..100 {
        app.run_worker().await;
        let mails: Vec<Value> = reqwest::get(format!("{maildev}/api/email"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let matching: Vec<&Value> = mails
            .iter()
            .filter(|m| {
                m["to"]
                    .as_array()
                    .is_some_and(|to| to.iter().any(|t| t["address"] == email))
                    && m["subject"].as_str().is_some_and(|s| s.contains(subject))
            })
            .collect();
        if matching.len() > skip {
            return matching.last().unwrap()["text"]
                .as_str()
                .unwrap()
                .to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no mail “{subject}” #{} to the test address", skip + 1);
}

/// Signs a new person in and makes them staff (as `stoa staff add` does).
pub async fn staff(app: &TestApp, tag: &str) -> Person {
    let p = person(app, tag).await;
    let mut tx = app.db.begin().await.unwrap();
    stoa_db::accounts::set_staff(tx.conn(), &p.email, true, app.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    p
}

/// The subject and text of every mail maildev holds for `email` (after a worker pass).
pub async fn all_mail_to(app: &TestApp, email: &str) -> Vec<String> {
    app.run_worker().await;
    let maildev = std::env::var("STOA_TEST_MAILDEV_URL").unwrap();
    let mails: Vec<Value> = reqwest::get(format!("{maildev}/api/email"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    mails
        .iter()
        .filter(|m| {
            m["to"]
                .as_array()
                .is_some_and(|to| to.iter().any(|t| t["address"] == email))
        })
        .map(|m| format!("{}\n{}", m["subject"], m["text"]))
        .collect()
}

/// Invites `emails` to `slug` as `role`, links working 7 days.
pub async fn invite(
    app: &TestApp,
    by: &Person,
    slug: &str,
    emails: &str,
    role: &str,
) -> (u16, Value) {
    let form = [
        ("slug", slug),
        ("emails", emails),
        ("role", role),
        ("expires_days", "7"),
        ("ends_on", ""),
    ];
    app.call(&by.client, "invitations/create", &form).await
}

/// The reference the invitation page carries through sign-in, for the link's `token`.
pub async fn reference_of(app: &TestApp, client: &reqwest::Client, token: &str) -> String {
    let (status, view) = app
        .call(
            client,
            "invitations/get",
            &[("token", token), ("reference", "")],
        )
        .await;
    assert_eq!(status, 200, "{view}");
    view["reference"].as_str().unwrap().to_owned()
}

/// The token of the invitation link in a mail.
pub fn invitation_token(text: &str) -> String {
    let start = text.find("/invitations/accept?token=").expect("a link")
        + "/invitations/accept?token=".len();
    text[start..].split_whitespace().next().unwrap().to_owned()
}

pub async fn role_of(app: &TestApp, slug: &str, account: i64) -> Option<String> {
    let mut conn = app.db.read().await.unwrap();
    let c = stoa_db::communities::by_slug(conn.conn(), slug)
        .await
        .unwrap()
        .unwrap();
    stoa_db::memberships::role_of(conn.conn(), c.id, stoa_db::accounts::AccountId(account))
        .await
        .unwrap()
        .map(|role| role.as_str().to_owned())
}

pub async fn audit_actions(app: &TestApp, slug: &str) -> Vec<String> {
    let mut conn = app.db.read().await.unwrap();
    let c = stoa_db::communities::by_slug(conn.conn(), slug)
        .await
        .unwrap()
        .unwrap();
    let filter = stoa_db::audit::Filter {
        community: Some(c.id),
        ..Default::default()
    };
    stoa_db::audit::list(conn.conn(), &filter, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect()
}

pub fn field_of(body: &Value) -> &str {
    body["field"]
        .as_str()
        .unwrap_or_else(|| panic!("not a validation error: {body}"))
}

on_both!(
    sign_up_validates_on_the_server_and_shows_names_as_text,
    |app| {
        require_peers();
        let owner = person(&app, "owner").await;
        let anonymous = browser();
        let (status, _) = app
            .call(
                &anonymous,
                "community/create",
                &community_form("anon-lab", "Anon", "invite"),
            )
            .await;
        assert_eq!(status, 401);
        for (slug, name, policy, field) in [
            ("new", "Reserved", "invite", "slug"),
            ("Ocean", "Upper", "invite", "slug"),
            ("a", "Short", "invite", "slug"),
            ("ok-lab", " ", "invite", "name"),
            ("ok-lab", "Fine", "everyone", "join_policy"),
        ] {
            let (status, body) = app
                .call(
                    &owner.client,
                    "community/create",
                    &community_form(slug, name, policy),
                )
                .await;
            assert_eq!((status, field_of(&body)), (422, field), "{slug} {name}");
        }
        // Every invalid field is reported at once, each with its own message.
        let (status, body) = app
            .call(
                &owner.client,
                "community/create",
                &community_form("Bad Slug", "", "everyone"),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["slug", "name", "join_policy"]);
        let mut bad_site = community_form("ok-lab", "Fine", "invite");
        bad_site[4] = ("website", "javascript:alert(1)");
        let (status, body) = app.call(&owner.client, "community/create", &bad_site).await;
        assert_eq!((status, field_of(&body)), (422, "website"));
        let mut new_institution = community_form("ok-lab", "Fine", "invite");
        new_institution[6] = ("institution", "new");
        new_institution[8] = ("country", "XX");
        let (status, body) = app
            .call(&owner.client, "community/create", &new_institution)
            .await;
        let errors: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!((status, errors), (422, vec!["legal_name", "country"]));
        {
            let mut conn = app.db.read().await.unwrap();
            let page = stoa_db::communities::search(conn.conn(), "", 10, 0)
                .await
                .unwrap();
            assert_eq!(page.total, 0, "refused sign-ups change nothing");
        }

        let hostile = r#"</title><script>alert("x")</script> & 'quotes'"#;
        let (status, body) = app
            .call(
                &owner.client,
                "community/create",
                &community_form("hostile", hostile, "invite"),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = app
            .call(
                &owner.client,
                "community/create",
                &community_form("hostile", "Again", "invite"),
            )
            .await;
        assert_eq!((status, field_of(&body)), (422, "slug"), "taken");
        assert_eq!(
            role_of(&app, "hostile", owner.id).await.as_deref(),
            Some("owner")
        );
        assert_eq!(
            audit_actions(&app, "hostile").await,
            ["membership.added", "community.created"]
        );

        for path in ["/communities/hostile", "/communities", "/dashboard"] {
            let html = owner
                .client
                .get(app.url(path))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(
                !html.contains("<script>alert"),
                "{path} renders the name as HTML"
            );
            assert!(
                html.contains("&lt;script&gt;alert"),
                "{path} shows the name as text"
            );
        }
        let home = owner
            .client
            .get(app.url("/communities/hostile"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            home.contains(r#"data-testid="member-count">1<"#),
            "at a glance: one member"
        );
        assert!(home.contains("Not deployed yet") && home.contains("No paying institution yet"));
    }
);

on_both!(
    invitations_work_once_for_the_right_person_with_real_mail,
    |app| {
        require_peers();
        let owner = person(&app, "owner").await;
        create_community(&app, &owner, "inv-lab", "invite").await;
        // The invitee has no account yet.
        let invitee_email = unique_email("invitee");
        let (status, body) = invite(&app, &owner, "inv-lab", &invitee_email, "admin").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body[0]["outcome"], "invited");
        let mail = mail_to(
            &app,
            &invitee_email,
            "Invitation to join a community on Stoa",
            0,
        )
        .await;
        assert!(mail.contains("as admin"), "{mail}");
        let token = invitation_token(&mail);
        {
            let mut conn = app.db.read().await.unwrap();
            let stored = stoa_db::invitations::by_token_hash(conn.conn(), &token)
                .await
                .unwrap();
            assert!(stored.is_none(), "the token itself is never stored");
        }

        // Anyone with the link sees what it is for; accepting needs a signed-in person.
        let anonymous = browser();
        let page = anonymous
            .get(app.url(&format!("/invitations/accept?token={token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("Test community") && html.contains("Sign in to accept"));
        let reference = reference_of(&app, &anonymous, &token).await;
        let (status, _) = app
            .call(
                &anonymous,
                "invitations/accept",
                &[("reference", &reference)],
            )
            .await;
        assert_eq!(status, 401);

        // Signing in creates the account; accepting binds the invitation to it.
        let invitee = browser();
        sign_in_by_mail(&app, &invitee, &invitee_email).await;
        let (status, body) = app
            .call(&invitee, "invitations/accept", &[("reference", &reference)])
            .await;
        assert_eq!(
            (status, body.clone()),
            (200, Value::String("/communities/inv-lab".into())),
            "{body}"
        );
        let invitee_id = {
            let mut conn = app.db.read().await.unwrap();
            stoa_db::accounts::find_by_email(conn.conn(), &invitee_email)
                .await
                .unwrap()
                .unwrap()
                .id
                .0
        };
        assert_eq!(
            role_of(&app, "inv-lab", invitee_id).await.as_deref(),
            Some("admin")
        );

        // Used: dead for everybody, including someone else.
        let other = person(&app, "other").await;
        let (status, body) = app
            .call(
                &other.client,
                "invitations/accept",
                &[("reference", &reference)],
            )
            .await;
        assert_eq!((status, field_of(&body)), (422, "reference"));
        assert_eq!(role_of(&app, "inv-lab", other.id).await, None);
        let (status, body) = app
            .call(&invitee, "invitations/accept", &[("reference", &reference)])
            .await;
        assert_eq!(status, 422, "{body}");

        // Revoked: the link stops working.
        let revoked_email = unique_email("revoked");
        invite(&app, &owner, "inv-lab", &revoked_email, "member").await;
        let revoked_token = invitation_token(&mail_to(&app, &revoked_email, "Invitation", 0).await);
        let (_, list) = app
            .call(&owner.client, "invitations/list", &[("slug", "inv-lab")])
            .await;
        let id = list
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["email"] == revoked_email.as_str())
            .unwrap()["id"]
            .to_string();
        let (status, _) = app
            .call(
                &owner.client,
                "invitations/revoke",
                &[("slug", "inv-lab"), ("id", &id)],
            )
            .await;
        assert_eq!(status, 200);
        let (status, _) = app
            .call(
                &owner.client,
                "invitations/revoke",
                &[("slug", "inv-lab"), ("id", &id)],
            )
            .await;
        assert_eq!(status, 422, "revoked twice");
        let (_, view) = app
            .call(
                &other.client,
                "invitations/get",
                &[("token", &revoked_token), ("reference", "")],
            )
            .await;
        assert_eq!(view["details"]["status"], "revoked");
        let revoked_ref = view["reference"].as_str().unwrap().to_owned();
        let (status, _) = app
            .call(
                &other.client,
                "invitations/accept",
                &[("reference", &revoked_ref)],
            )
            .await;
        assert_eq!(status, 422);
        assert_eq!(role_of(&app, "inv-lab", other.id).await, None);

        // Expired: refused after seven days; resending gives a new link and a new expiry, and
        // the old link stays dead.
        let late = person(&app, "late").await;
        invite(&app, &owner, "inv-lab", &late.email, "member").await;
        let old_token = invitation_token(&mail_to(&app, &late.email, "Invitation", 0).await);
        app.clock
            .advance(TimeDelta::days(7) + TimeDelta::minutes(1));
        let (_, view) = app
            .call(
                &late.client,
                "invitations/get",
                &[("token", &old_token), ("reference", "")],
            )
            .await;
        assert_eq!(view["details"]["status"], "expired");
        let late_ref = view["reference"].as_str().unwrap().to_owned();
        let (status, _) = app
            .call(
                &late.client,
                "invitations/accept",
                &[("reference", &late_ref)],
            )
            .await;
        assert_eq!(status, 422);
        let (_, list) = app
            .call(&owner.client, "invitations/list", &[("slug", "inv-lab")])
            .await;
        let row = list
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["email"] == late.email.as_str())
            .unwrap()
            .clone();
        assert_eq!(row["status"], "expired");
        let (status, _) = app
            .call(
                &owner.client,
                "invitations/resend",
                &[("slug", "inv-lab"), ("id", &row["id"].to_string())],
            )
            .await;
        assert_eq!(status, 200);
        let new_token = invitation_token(&mail_to(&app, &late.email, "Invitation", 1).await);
        assert_ne!(new_token, old_token);
        let (status, _) = app
            .call(
                &late.client,
                "invitations/get",
                &[("token", &old_token), ("reference", "")],
            )
            .await;
        assert_eq!(status, 404, "the old link stays dead");
        let (status, _) = app
            .call(
                &late.client,
                "invitations/accept",
                &[("reference", &late_ref)],
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            role_of(&app, "inv-lab", late.id).await.as_deref(),
            Some("member")
        );

        let actions = audit_actions(&app, "inv-lab").await;
        for expected in [
            "invitation.created",
            "invitation.accepted",
            "invitation.revoked",
            "invitation.resent",
            "membership.added",
        ] {
            assert!(
                actions.iter().any(|a| a == expected),
                "{expected} missing from {actions:?}"
            );
        }
        let mut conn = app.db.read().await.unwrap();
        assert_eq!(
            stoa_db::jobs::pending_count(conn.conn()).await.unwrap(),
            0,
            "no job left behind"
        );
    }
);

on_both!(bulk_paste_reports_every_row_and_caps_at_500, |app| {
    require_peers();
    let owner = person(&app, "owner").await;
    create_community(&app, &owner, "bulk-lab", "invite").await;
    let first = unique_email("first");
    invite(&app, &owner, "bulk-lab", &first, "member").await;
    let (a, b) = (unique_email("a"), unique_email("b"));
    let paste = format!(
        "{a}\n{b}, {}\nnot-an-address\n{first}\n{}\n\n",
        a.to_uppercase(),
        owner.email
    );
    let (status, rows) = app
        .call(
            &owner.client,
            "invitations/create",
            &[
                ("slug", "bulk-lab"),
                ("emails", &paste),
                ("role", "billing"),
                ("expires_days", "3"),
                ("ends_on", ""),
            ],
        )
        .await;
    assert_eq!(status, 200, "{rows}");
    let outcomes: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "invited",
            "invited",
            "duplicate",
            "invalid_address",
            "already_invited",
            "already_member"
        ]
    );
    mail_to(&app, &b, "Invitation", 0).await;

    let too_many = (0..501)
        .map(|i| format!("p{i}@example.org"))
        .collect::<Vec<_>>()
        .join("\n");
    let (status, body) = invite(&app, &owner, "bulk-lab", &too_many, "member").await;
    assert_eq!((status, field_of(&body)), (422, "emails"));
    let (status, body) = invite(&app, &owner, "bulk-lab", "x@example.org", "owner").await;
    assert_eq!(
        (status, field_of(&body)),
        (422, "role"),
        "ownership is transferred, not invited"
    );
    let (_, list) = app
        .call(&owner.client, "invitations/list", &[("slug", "bulk-lab")])
        .await;
    assert_eq!(
        list.as_array().unwrap().len(),
        3,
        "refused pastes create nothing"
    );

    // 500 exactly is fine, and quick enough for a request (on a new day: the three above
    // count against today's limit of 500 mails; the limits have their own tests).
    app.clock.advance(TimeDelta::days(1));
    let five_hundred = (0..500)
        .map(|i| format!("bulk{i}-{}", unique_email("x")))
        .collect::<Vec<_>>()
        .join("\n");
    let (status, rows) = invite(&app, &owner, "bulk-lab", &five_hundred, "member").await;
    assert_eq!(status, 200, "{rows}");
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| r["outcome"] == "invited")
    );
});

on_both!(
    owners_are_protected_ownership_moves_and_demotion_is_immediate,
    |app| {
        require_peers();
        let owner = person(&app, "owner").await;
        let admin = person(&app, "admin").await;
        create_community(&app, &owner, "own-lab", "invite").await;
        add_member(&app, "own-lab", admin.id, "admin").await;
        let me = owner.id.to_string();
        let update = |who: &Person, target: &str, role: &str| {
            let form = vec![
                ("slug", "own-lab".to_owned()),
                ("account_id", target.to_owned()),
                ("role", role.to_owned()),
                ("ends_on", String::new()),
            ];
            let client = who.client.clone();
            let url = app.url("/api/members/update");
            async move {
                let res = client.post(url).form(&form).send().await.unwrap();
                let status = res.status().as_u16();
                (status, res.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        // The last owner can neither step down, leave nor be removed.
        assert_eq!(update(&owner, &me, "admin").await.0, 422);
        assert_eq!(
            app.call(&owner.client, "community/leave", &[("slug", "own-lab")])
                .await
                .0,
            422
        );
        assert_eq!(
            app.call(
                &owner.client,
                "members/remove",
                &[("slug", "own-lab"), ("account_id", &me)]
            )
            .await
            .0,
            422
        );
        // Admins cannot touch owners or make new ones.
        assert_eq!(update(&admin, &me, "member").await.0, 403);
        assert_eq!(update(&admin, &admin.id.to_string(), "owner").await.0, 403);
        assert_eq!(
            app.call(
                &admin.client,
                "members/remove",
                &[("slug", "own-lab"), ("account_id", &me)]
            )
            .await
            .0,
            403
        );
        assert_eq!(
            app.call(
                &admin.client,
                "members/transfer",
                &[("slug", "own-lab"), ("account_id", &admin.id.to_string())]
            )
            .await
            .0,
            403
        );
        assert_eq!(
            role_of(&app, "own-lab", owner.id).await.as_deref(),
            Some("owner")
        );

        // Transfer: the admin becomes owner, the owner an admin.
        let (status, body) = app
            .call(
                &owner.client,
                "members/transfer",
                &[("slug", "own-lab"), ("account_id", &admin.id.to_string())],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            role_of(&app, "own-lab", admin.id).await.as_deref(),
            Some("owner")
        );
        assert_eq!(
            role_of(&app, "own-lab", owner.id).await.as_deref(),
            Some("admin")
        );
        assert_eq!(
            app.call(
                &owner.client,
                "members/transfer",
                &[("slug", "own-lab"), ("account_id", &me)]
            )
            .await
            .0,
            403,
            "no longer owner"
        );

        // Demotion takes effect on the very next request.
        assert_eq!(
            app.call(
                &owner.client,
                "members/list",
                &[("slug", "own-lab"), ("query", ""), ("page", "1")]
            )
            .await
            .0,
            200
        );
        assert_eq!(update(&admin, &me, "member").await.0, 200);
        assert_eq!(
            app.call(
                &owner.client,
                "members/list",
                &[("slug", "own-lab"), ("query", ""), ("page", "1")]
            )
            .await
            .0,
            403
        );
        let page = owner
            .client
            .get(app.url("/communities/own-lab/members"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 403);

        // A second owner may be made, and then the first may step down.
        assert_eq!(update(&admin, &me, "owner").await.0, 200);
        assert_eq!(update(&admin, &admin.id.to_string(), "member").await.0, 200);
        assert_eq!(
            role_of(&app, "own-lab", admin.id).await.as_deref(),
            Some("member")
        );
        let actions = audit_actions(&app, "own-lab").await;
        assert!(actions.contains(&"community.ownership_transferred".to_owned()));
        assert_eq!(
            actions
                .iter()
                .filter(|a| *a == "membership.updated")
                .count(),
            3
        );
    }
);

/// Adds a membership directly (arranging a test, not the feature under test).
pub async fn add_member(app: &TestApp, slug: &str, account: i64, role: &str) {
    let mut tx = app.db.begin().await.unwrap();
    let c = stoa_db::communities::by_slug(tx.conn(), slug)
        .await
        .unwrap()
        .unwrap();
    stoa_db::memberships::add(
        tx.conn(),
        c.id,
        stoa_db::accounts::AccountId(account),
        stoa_model::Role::parse(role).expect("a role"),
        None,
        app.clock.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

on_both!(memberships_end_on_their_date_after_a_notice, |app| {
    require_peers();
    let owner = person(&app, "owner").await;
    let student = person(&app, "student").await;
    create_community(&app, &owner, "course", "invite").await;
    add_member(&app, "course", student.id, "member").await;
    let today = app.clock.now().as_datetime().date_naive();
    let in_days = |n: i64| (today + TimeDelta::days(n)).format("%Y-%m-%d").to_string();
    let set_end = |date: String, account: i64| {
        let client = owner.client.clone();
        let url = app.url("/api/members/update");
        async move {
            let res = client
                .post(url)
                .form(&[
                    ("slug", "course".to_owned()),
                    ("account_id", account.to_string()),
                    ("role", "member".to_owned()),
                    ("ends_on", date),
                ])
                .send()
                .await
                .unwrap();
            res.status().as_u16()
        }
    };
    assert_eq!(
        set_end(in_days(-1), student.id).await,
        422,
        "dates in the past are refused"
    );
    assert_eq!(set_end("2027-02-30".into(), student.id).await, 422);
    assert_eq!(set_end(in_days(6), student.id).await, 200);
    let (_, members) = app
        .call(
            &owner.client,
            "members/list",
            &[("slug", "course"), ("query", "student"), ("page", "1")],
        )
        .await;
    assert_eq!(members["items"][0]["ends_on"], in_days(6));

    // Two days in: nothing yet.
    app.clock.advance(TimeDelta::days(2));
    let pass = app.run_worker().await;
    assert_eq!((pass.notices, pass.ended), (0, 0));
    // Within three days of the end: the notice goes out, once.
    app.clock.advance(TimeDelta::days(1));
    let notice = mail_to(
        &app,
        &student.email,
        "Your membership of Test community ends",
        0,
    )
    .await;
    assert!(notice.contains("/communities/course"), "{notice}");
    assert_eq!(app.run_worker().await.notices, 0, "one notice");
    assert_eq!(
        role_of(&app, "course", student.id).await.as_deref(),
        Some("member")
    );
    // On the date the membership grants nothing at once, and ends by itself.
    app.clock
        .advance(TimeDelta::days(3) + TimeDelta::minutes(1));
    let (status, body) = app
        .call(
            &student.client,
            "community/get",
            &[("slug", "course"), ("glance", "true")],
        )
        .await;
    assert_eq!((status, &body["my_role"]), (200, &Value::Null), "{body}");
    assert_eq!(body["glance"], Value::Null, "members only");
    app.run_worker().await;
    assert_eq!(role_of(&app, "course", student.id).await, None);
    let mut conn = app.db.read().await.unwrap();
    let c = stoa_db::communities::by_slug(conn.conn(), "course")
        .await
        .unwrap()
        .unwrap();
    let filter = stoa_db::audit::Filter {
        community: Some(c.id),
        action_prefix: Some("membership.ended".into()),
        ..Default::default()
    };
    let entries = stoa_db::audit::list(conn.conn(), &filter, 10)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].actor_name, "Stoa");
    drop(conn);
    let (status, _) = app
        .call(&student.client, "community/get", &[("slug", "course")])
        .await;
    assert_eq!(status, 200, "the public page stays visible");
    let (_, view) = app
        .call(&student.client, "community/get", &[("slug", "course")])
        .await;
    assert_eq!(view["my_role"], Value::Null);
    // Owners never end.
    assert_eq!(set_end(in_days(30), owner.id).await, 422);
});

on_both!(
    audit_entries_are_recorded_and_stay_inside_their_community,
    |app| {
        require_peers();
        let alice = person(&app, "alice").await;
        let bob = person(&app, "bob").await;
        create_community(&app, &alice, "alice-lab", "invite").await;
        create_community(&app, &bob, "bob-lab", "request").await;
        let settings = [
            ("slug", "alice-lab"),
            ("name", "Alice Lab"),
            ("description", "New words"),
            ("field", "Testing"),
            ("website", "https://alice.example.org"),
            ("join_policy", "request"),
        ];
        assert_eq!(
            app.call(&alice.client, "community/update", &settings)
                .await
                .0,
            200
        );
        let (status, page) = app
            .call(
                &alice.client,
                "audit/community",
                &[("slug", "alice-lab"), ("action", ""), ("actor", "")],
            )
            .await;
        assert_eq!(status, 200);
        let first = &page["items"][0];
        assert_eq!(first["action"], "community.updated");
        assert!(first["before"].as_str().unwrap().contains("Test community"));
        assert!(first["after"].as_str().unwrap().contains("Alice Lab"));
        assert!(
            !first["after"].as_str().unwrap().contains("Testing"),
            "only changed fields: {first}"
        );
        let (_, only) = app
            .call(
                &alice.client,
                "audit/community",
                &[
                    ("slug", "alice-lab"),
                    ("action", "membership."),
                    ("actor", ""),
                ],
            )
            .await;
        assert!(
            only["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["action"].as_str().unwrap().starts_with("membership."))
        );
        // Bob's log holds nothing of Alice's, and Alice's is a 404 to Bob.
        let (_, bobs) = app
            .call(
                &bob.client,
                "audit/community",
                &[("slug", "bob-lab"), ("action", ""), ("actor", "")],
            )
            .await;
        assert!(
            bobs["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["community"] == "bob-lab")
        );
        let (status, body) = app
            .call(
                &bob.client,
                "audit/community",
                &[("slug", "alice-lab"), ("action", ""), ("actor", "")],
            )
            .await;
        let (missing, missing_body) = app
            .call(
                &bob.client,
                "audit/community",
                &[("slug", "no-such-lab"), ("action", ""), ("actor", "")],
            )
            .await;
        assert_eq!(
            (status, &body),
            (missing, &missing_body),
            "the same answer as for nothing"
        );
        assert_eq!(status, 404);
        assert_eq!(
            app.call(
                &bob.client,
                "audit/all",
                &[("community", ""), ("action", ""), ("actor", "")]
            )
            .await
            .0,
            403
        );
        // Staff see everything, filtered by community.
        let staff = person(&app, "staff").await;
        let mut tx = app.db.begin().await.unwrap();
        stoa_db::accounts::set_staff(tx.conn(), &staff.email, true, app.clock.now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let (status, all) = app
            .call(
                &staff.client,
                "audit/all",
                &[("community", "alice-lab"), ("action", ""), ("actor", "")],
            )
            .await;
        assert_eq!(status, 200);
        let rows = all["items"].as_array().unwrap();
        assert!(rows.len() >= 3 && rows.iter().all(|r| r["community"] == "alice-lab"));
        let html = staff
            .client
            .get(app.url("/staff/audit?community=bob-lab"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("community.created"));
    }
);

on_both!(join_requests_are_decided_and_answered_by_mail, |app| {
    require_peers();
    let admin = person(&app, "admin").await;
    let asker = person(&app, "asker").await;
    let denied = person(&app, "denied").await;
    create_community(&app, &admin, "open-lab", "request").await;
    create_community(&app, &admin, "closed-lab", "invite").await;
    let ask = |p: &Person, slug: &'static str| {
        let client = p.client.clone();
        let url = app.url("/api/community/request_join");
        async move {
            client
                .post(url)
                .form(&[("slug", slug), ("message", "I study <b>ice</b>")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(ask(&asker, "closed-lab").await, 422, "invitation only");
    assert_eq!(ask(&asker, "open-lab").await, 200);
    assert_eq!(ask(&asker, "open-lab").await, 422, "asked already");
    assert_eq!(ask(&admin, "open-lab").await, 422, "a member already");
    assert_eq!(ask(&denied, "open-lab").await, 200);
    let (status, list) = app
        .call(&admin.client, "requests/list", &[("slug", "open-lab")])
        .await;
    assert_eq!(status, 200);
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["message"], "I study <b>ice</b>");
    let html = admin
        .client
        .get(app.url("/communities/open-lab/requests"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("I study &lt;b&gt;ice&lt;/b&gt;"));
    let id_of = |email: &str| rows.iter().find(|r| r["email"] == email).unwrap()["id"].to_string();
    let (asker_id, denied_id) = (id_of(&asker.email), id_of(&denied.email));
    assert_eq!(
        app.call(
            &asker.client,
            "requests/decide",
            &[("slug", "open-lab"), ("id", &asker_id), ("approve", "true")]
        )
        .await
        .0,
        404
    );
    assert_eq!(
        app.call(
            &admin.client,
            "requests/decide",
            &[("slug", "open-lab"), ("id", &asker_id), ("approve", "true")]
        )
        .await
        .0,
        200
    );
    assert_eq!(
        app.call(
            &admin.client,
            "requests/decide",
            &[
                ("slug", "open-lab"),
                ("id", &asker_id),
                ("approve", "false")
            ]
        )
        .await
        .0,
        422,
        "decided once"
    );
    assert_eq!(
        app.call(
            &admin.client,
            "requests/decide",
            &[
                ("slug", "open-lab"),
                ("id", &denied_id),
                ("approve", "false")
            ]
        )
        .await
        .0,
        200
    );
    assert_eq!(
        role_of(&app, "open-lab", asker.id).await.as_deref(),
        Some("member")
    );
    assert_eq!(role_of(&app, "open-lab", denied.id).await, None);
    assert!(
        mail_to(&app, &asker.email, "Welcome to Test community", 0)
            .await
            .contains("/communities/open-lab")
    );
    assert!(
        mail_to(&app, &denied.email, "Your request to join", 0)
            .await
            .contains("did not approve")
    );
    let actions = audit_actions(&app, "open-lab").await;
    for expected in [
        "join_request.created",
        "join_request.approved",
        "join_request.denied",
    ] {
        assert!(actions.iter().any(|a| a == expected), "{expected}");
    }
});

on_both!(
    institutions_pay_for_communities_and_see_their_billing,
    |app| {
        require_peers();
        let owner = person(&app, "owner").await;
        let bursar = person(&app, "bursar").await;
        let stranger = person(&app, "stranger").await;
        create_community(&app, &owner, "paid-lab", "invite").await;
        let form = |name: &'static str, country: &'static str, contacts: &'static str| {
            vec![
                ("legal_name", name),
                ("address", "1 Road\nTown"),
                ("country", country),
                ("tax_id", "DE123"),
                ("billing_contacts", contacts),
            ]
        };
        let (status, body) = app
            .call(
                &bursar.client,
                "institutions/create",
                &form("University of Tests", "ZZ", ""),
            )
            .await;
        assert_eq!((status, field_of(&body)), (422, "country"));
        let (status, body) = app
            .call(
                &bursar.client,
                "institutions/create",
                &form("University of Tests", "de", "ap@uni.example, nope"),
            )
            .await;
        assert_eq!((status, field_of(&body)), (422, "billing_contacts"));
        let (status, id) = app
            .call(
                &bursar.client,
                "institutions/create",
                &form(
                    "University of Tests",
                    "de",
                    "AP@uni.example\nap@uni.example",
                ),
            )
            .await;
        assert_eq!(status, 200, "{id}");
        let id = id.to_string();
        let (_, view) = app
            .call(&bursar.client, "institutions/get", &[("id", &id)])
            .await;
        assert_eq!(
            (view["country"].as_str(), view["billing_contacts"].as_str()),
            (Some("DE"), Some("ap@uni.example"))
        );
        assert_eq!(
            app.call(&stranger.client, "institutions/get", &[("id", &id)])
                .await
                .0,
            404
        );
        assert_eq!(
            app.call(&stranger.client, "institutions/get", &[("id", "999999")])
                .await
                .0,
            404
        );

        // Only an admin of the institution can make it pay for a community.
        assert_eq!(
            app.call(
                &owner.client,
                "billing/set_institution",
                &[("slug", "paid-lab"), ("institution", &id)]
            )
            .await
            .0,
            422
        );
        add_member(&app, "paid-lab", bursar.id, "billing").await;
        assert_eq!(
            app.call(
                &bursar.client,
                "billing/set_institution",
                &[("slug", "paid-lab"), ("institution", &id)]
            )
            .await
            .0,
            200
        );
        // The institution's admin keeps seeing the billing after leaving the community, not the members.
        let mut tx = app.db.begin().await.unwrap();
        let c = stoa_db::communities::by_slug(tx.conn(), "paid-lab")
            .await
            .unwrap()
            .unwrap();
        stoa_db::memberships::remove(tx.conn(), c.id, stoa_db::accounts::AccountId(bursar.id))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let (status, billing) = app
            .call(&bursar.client, "billing/get", &[("slug", "paid-lab")])
            .await;
        assert_eq!(status, 200);
        assert_eq!(billing["institution"][1], "University of Tests");
        assert_eq!(
            app.call(
                &bursar.client,
                "members/list",
                &[("slug", "paid-lab"), ("query", ""), ("page", "1")]
            )
            .await
            .0,
            403
        );
        assert_eq!(
            app.call(&stranger.client, "billing/get", &[("slug", "paid-lab")])
                .await
                .0,
            404
        );
        let (_, view) = app
            .call(&bursar.client, "institutions/get", &[("id", &id)])
            .await;
        assert_eq!(view["communities"][0][0], "paid-lab");
        let (_, owner_view) = app
            .call(&owner.client, "billing/get", &[("slug", "paid-lab")])
            .await;
        assert_eq!(
            owner_view["choices"],
            serde_json::json!([]),
            "the owner administers no institution"
        );
        let mut conn = app.db.read().await.unwrap();
        let filter = stoa_db::audit::Filter {
            institution: Some(id.parse().unwrap()),
            ..Default::default()
        };
        let actions: Vec<String> = stoa_db::audit::list(conn.conn(), &filter, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect();
        assert_eq!(
            actions,
            ["community.institution_changed", "institution.created"]
        );
        drop(conn);

        // Admins invite admins (who accept, see tests/api/institutions.rs) and remove
        // them; an institution keeps at least one.
        let (status, body) = app
            .call(
                &bursar.client,
                "institutions/invite_admin",
                &[("id", &id), ("email", &owner.email)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            app.call(
                &stranger.client,
                "institutions/invite_admin",
                &[("id", &id), ("email", &stranger.email)]
            )
            .await
            .0,
            404
        );
        let token =
            invitation_token(&mail_to(&app, &owner.email, "Invitation to administer", 0).await);
        let reference = reference_of(&app, &owner.client, &token).await;
        let (status, body) = app
            .call(
                &owner.client,
                "invitations/accept",
                &[("reference", &reference)],
            )
            .await;
        assert_eq!(
            (status, body.as_str()),
            (200, Some(format!("/institutions/{id}").as_str()))
        );
        let (status, view) = app
            .call(&owner.client, "institutions/get", &[("id", &id)])
            .await;
        assert_eq!((status, view["can_edit"].as_bool()), (200, Some(true)));
        let remove = |who: &Person, account: i64| {
            let form = [("id", id.clone()), ("account_id", account.to_string())];
            let client = who.client.clone();
            let url = app.url("/api/institutions/remove_admin");
            async move {
                client
                    .post(url)
                    .form(&form)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(remove(&owner, bursar.id).await, 200);
        assert_eq!(remove(&owner, owner.id).await, 422, "the last admin stays");
        assert_eq!(
            app.call(&bursar.client, "institutions/get", &[("id", &id)])
                .await
                .0,
            404
        );
    }
);
