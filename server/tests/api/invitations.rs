//! Invitation mail limits (per community, per account, in total, resend cooldown; staff
//! raise one community's limit) at their exact boundaries, and invitations bound to the
//! invited address with no usable token at rest, against real mail (maildev).

use serde_json::Value;
use stoa_db::Backend;
use stoa_db::mail_counts::{self, Scope};
use stoa_server::config::Settings;

use crate::auth::{browser, latest_link, link_from_mail_after, location, token_of, unique_email};
use crate::communities::{
    create_community, field_of, invitation_token, invite, mail_to, person, reference_of, role_of,
};
use crate::helpers::{TestApp, on_both, require_peers};

/// Small limits, so that each boundary is a few mails away.
fn small_limits(s: &mut Settings) {
    s.mail_per_community_per_day = 3;
    s.mail_per_account_per_day = 5;
    s.mail_per_day = 8;
    s.invitation_resend_cooldown_mins = 10;
}

async fn pending_jobs(app: &TestApp) -> i64 {
    let mut conn = app.db.read().await.unwrap();
    stoa_db::jobs::pending_count(conn.conn()).await.unwrap()
}

async fn total_today(app: &TestApp) -> i64 {
    let mut conn = app.db.read().await.unwrap();
    let day = stoa_domain::date_of(app.clock.now());
    mail_counts::sent(conn.conn(), Scope::Total, &day)
        .await
        .unwrap()
}

/// How many mails maildev holds for `email`, after a worker pass (nothing queued is left).
async fn mails_to(app: &TestApp, email: &str) -> usize {
    app.run_worker().await;
    mails_held_for(email).await
}

/// How many mails maildev holds for `email` now.
async fn mails_held_for(email: &str) -> usize {
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
        .count()
}

fn message(body: &Value) -> &str {
    body["message"].as_str().unwrap_or_default()
}

async fn invitation_id(
    app: &TestApp,
    owner: &crate::communities::Person,
    slug: &str,
    email: &str,
) -> String {
    let (_, list) = app
        .call(&owner.client, "invitations/list", &[("slug", slug)])
        .await;
    list.as_array()
        .unwrap()
        .iter()
        .find(|i| i["email"] == email)
        .unwrap_or_else(|| panic!("{email} in {list}"))["id"]
        .to_string()
}

on_both!(
    mail_limits_hold_at_their_exact_boundaries,
    settings = small_limits,
    |app| {
        require_peers();
        // Limits count per UTC day and the test moves the clock 10 minutes on: start it at
        // 01:00 tomorrow so a run at 23:55 does not cross midnight (it did, and failed).
        let now = app.clock.now().as_datetime();
        let one_am = (now.date_naive() + chrono::Days::new(1))
            .and_hms_opt(1, 0, 0)
            .unwrap()
            .and_utc();
        app.clock.advance(one_am - now);
        let owner = person(&app, "owner").await;
        create_community(&app, &owner, "lim-a", "invite").await;
        let first: Vec<String> = (0..3).map(|_| unique_email("a")).collect();

        // The community's limit: 3 go, the 4th is refused and nothing of it is queued or sent.
        let (status, rows) = invite(&app, &owner, "lim-a", &first.join("\n"), "member").await;
        assert_eq!(status, 200, "{rows}");
        assert_eq!(pending_jobs(&app).await, 3);
        let fourth = unique_email("a4");
        let (status, body) = invite(&app, &owner, "lim-a", &fourth, "member").await;
        assert_eq!((status, field_of(&body)), (422, "emails"), "{body}");
        assert!(
            message(&body)
                .starts_with("This community can send 3 invitation emails a day; 3 went out today"),
            "{body}"
        );
        assert_eq!(pending_jobs(&app).await, 3, "nothing queued");
        for email in &first {
            mail_to(&app, email, "Invitation to join", 0).await;
        }
        assert_eq!(mails_to(&app, &fourth).await, 0, "nothing sent");
        let (_, list) = app
            .call(&owner.client, "invitations/list", &[("slug", "lim-a")])
            .await;
        assert_eq!(list.as_array().unwrap().len(), 3, "nothing created");

        // Resending waits 10 minutes after the last mail, then counts like a new one.
        let id = invitation_id(&app, &owner, "lim-a", &first[0]).await;
        let form = [("slug", "lim-a"), ("id", id.as_str())];
        let resend = || app.call(&owner.client, "invitations/resend", &form);
        let (status, body) = resend().await;
        assert_eq!((status, field_of(&body)), (422, "id"));
        assert!(
            message(&body).contains("less than 10 minutes ago"),
            "{body}"
        );
        // Measured from when it was queued, not from now: the clock is real time plus an
        // offset, and the mails above may take a while on a loaded machine.
        let queued_at: stoa_db::Timestamp = {
            let mut conn = app.db.read().await.unwrap();
            stoa_db::on!(conn.conn(), c => sqlx::query_scalar("SELECT queued_at FROM invitations WHERE id = $1")
                .bind(id.parse::<i64>().unwrap()).fetch_one(c).await)
            .unwrap()
        };
        let advance_to = |at: stoa_db::Timestamp| {
            let by = at.as_datetime() - app.clock.now().as_datetime();
            if by > chrono::TimeDelta::zero() {
                app.clock.advance(by);
            }
        };
        advance_to(queued_at + chrono::TimeDelta::minutes(9));
        assert_eq!(resend().await.0, 422, "9 minutes are not 10");
        advance_to(queued_at + chrono::TimeDelta::minutes(10));
        let (status, body) = resend().await;
        assert_eq!(status, 422, "{body}");
        assert!(
            message(&body).starts_with("This community can send 3"),
            "{body}"
        );
        assert_eq!(
            pending_jobs(&app).await,
            0,
            "a refused resend queues nothing"
        );
        assert_eq!(mails_to(&app, &first[0]).await, 1);

        // Staff raise the community's limit (only staff may); the next resend goes through.
        let staff = person(&app, "staff").await;
        let mut tx = app.db.begin().await.unwrap();
        stoa_db::accounts::set_staff(tx.conn(), &staff.email, true, app.clock.now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let raise = [("slug", "lim-a"), ("per_day", "4")];
        assert_eq!(
            app.call(&owner.client, "staff/set_mail_limit", &raise)
                .await
                .0,
            403
        );
        let (status, body) = app
            .call(
                &staff.client,
                "staff/set_mail_limit",
                &[("slug", "lim-a"), ("per_day", "0")],
            )
            .await;
        assert_eq!((status, field_of(&body)), (422, "per_day"));
        let (status, body) = app
            .call(&staff.client, "staff/set_mail_limit", &raise)
            .await;
        assert_eq!(status, 200, "{body}");
        let (_, view) = app
            .call(&staff.client, "staff/mail_limit", &[("slug", "lim-a")])
            .await;
        assert_eq!(
            (&view["per_day"], &view["raised"], &view["sent_today"]),
            (&Value::from(4), &Value::Bool(true), &Value::from(3))
        );
        let (status, body) = resend().await;
        assert_eq!(status, 200, "{body}");
        mail_to(&app, &first[0], "Invitation to join", 1).await;

        // The account's limit (5 a day, whatever the community): 4 used, so 2 more at once are
        // refused in another community, 1 goes, and then none.
        create_community(&app, &owner, "lim-b", "invite").await;
        let pair = format!("{}\n{}", unique_email("b"), unique_email("b"));
        let (status, body) = invite(&app, &owner, "lim-b", &pair, "member").await;
        assert_eq!((status, field_of(&body)), (422, "emails"));
        assert!(
        message(&body).starts_with("You can have 5 invitation emails sent a day across your communities and institutions; 4 went out today"),
        "{body}"
    );
        assert_eq!(pending_jobs(&app).await, 0);
        let fifth = unique_email("b5");
        assert_eq!(invite(&app, &owner, "lim-b", &fifth, "member").await.0, 200);
        let (status, body) = invite(&app, &owner, "lim-b", &unique_email("b6"), "member").await;
        assert_eq!(status, 422);
        assert!(message(&body).starts_with("You can have 5"), "{body}");
        mail_to(&app, &fifth, "Invitation to join", 0).await;

        // Stoa's total (8 a day): someone else's 3 reach it exactly; a 9th is refused.
        let other = person(&app, "other").await;
        create_community(&app, &other, "lim-c", "invite").await;
        let third: Vec<String> = (0..3).map(|_| unique_email("c")).collect();
        assert_eq!(
            invite(&app, &other, "lim-c", &third.join("\n"), "member")
                .await
                .0,
            200
        );
        assert_eq!(total_today(&app).await, 8);
        let (status, body) = invite(&app, &other, "lim-c", &unique_email("c4"), "member").await;
        assert_eq!((status, field_of(&body)), (422, "emails"));
        assert!(
            message(&body).starts_with("Stoa has reached its limit"),
            "{body}"
        );
        assert_eq!(
            pending_jobs(&app).await,
            3,
            "only the 3 that fitted are queued"
        );

        // Counted on mail actually sent: one revoked before the worker ran is never sent and no
        // longer counts, so one more fits.
        let revoked = invitation_id(&app, &other, "lim-c", &third[0]).await;
        assert_eq!(
            app.call(
                &other.client,
                "invitations/revoke",
                &[("slug", "lim-c"), ("id", &revoked)]
            )
            .await
            .0,
            200
        );
        assert_eq!(mails_to(&app, &third[0]).await, 0);
        assert_eq!(total_today(&app).await, 7);
        let last = unique_email("c5");
        assert_eq!(invite(&app, &other, "lim-c", &last, "member").await.0, 200);
        mail_to(&app, &last, "Invitation to join", 0).await;
        assert_eq!(total_today(&app).await, 8);

        // Stoa's own notices are not counted: with the total reached, sign-in links still go
        // out and the count does not move.
        person(&app, "newcomer").await;
        assert_eq!(total_today(&app).await, 8);

        // A new UTC day starts a new count.
        app.clock.advance(chrono::TimeDelta::days(1));
        assert_eq!(
            invite(&app, &other, "lim-c", &unique_email("d"), "member")
                .await
                .0,
            200
        );
        assert_eq!(total_today(&app).await, 1);

        // Institution admin invitations are invitation mail too: counted for the account and
        // in total (no community).
        let (status, institution) = app
            .call(
                &other.client,
                "institutions/create",
                &[
                    ("legal_name", "Limits University"),
                    ("address", ""),
                    ("country", "DE"),
                    ("tax_id", ""),
                    ("billing_contacts", ""),
                ],
            )
            .await;
        assert_eq!(status, 200);
        let institution = institution.to_string();
        for n in 0..4 {
            let (status, body) = app
                .call(
                    &other.client,
                    "institutions/invite_admin",
                    &[("id", &institution), ("email", &unique_email("adm"))],
                )
                .await;
            assert_eq!(status, 200, "invitation {n}: {body}");
        }
        let (status, body) = app
            .call(
                &other.client,
                "institutions/invite_admin",
                &[("id", &institution), ("email", &unique_email("adm"))],
            )
            .await;
        assert_eq!((status, field_of(&body)), (422, "email"));
        assert!(message(&body).starts_with("You can have 5"), "{body}");
        assert_eq!(total_today(&app).await, 5);
    }
);

/// Undoes the page's percent-encoding of a `next` path.
fn percent_decode(text: &str) -> String {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Every text column of the sign-in state and session tables, as text.
async fn sign_in_state(app: &TestApp) -> Vec<String> {
    let mut conn = app.db.read().await.unwrap();
    let mut rows = Vec::new();
    for sql in [
        "SELECT token_hash || ' ' || email || ' ' || next_path FROM magic_links",
        "SELECT state || ' ' || nonce || ' ' || pkce_verifier || ' ' || next_path FROM oidc_attempts",
    ] {
        let found: Vec<String> =
            stoa_db::on!(conn.conn(), c => sqlx::query_scalar(sql).fetch_all(c).await).unwrap();
        rows.extend(found);
    }
    // Session data is MessagePack (bytes): compared as lossy text, a token would show.
    let sessions = match app.backend {
        Backend::Sqlite => "SELECT data FROM tower_sessions",
        Backend::Postgres => "SELECT data FROM tower_sessions.session",
    };
    let data: Vec<Vec<u8>> =
        stoa_db::on!(conn.conn(), c => sqlx::query_scalar(sessions).fetch_all(c).await).unwrap();
    assert!(!data.is_empty(), "the signed-in session is there");
    rows.extend(data.iter().map(|d| String::from_utf8_lossy(d).into_owned()));
    rows
}

crate::helpers::on_both!(
    invitations_are_bound_to_the_invited_address_and_no_token_is_at_rest,
    |app| {
        require_peers();
        let owner = person(&app, "owner").await;
        create_community(&app, &owner, "bound-lab", "invite").await;
        let invitee_email = unique_email("invitee");
        assert_eq!(
            invite(&app, &owner, "bound-lab", &invitee_email, "admin")
                .await
                .0,
            200
        );
        let mail = mail_to(&app, &invitee_email, "Invitation to join", 0).await;
        assert!(
            mail.contains(&format!("The invitation is for {invitee_email}")),
            "{mail}"
        );
        let token = invitation_token(&mail);

        // A forwarded link opened by someone signed in with another address: they see what
        // it is and what to do, and cannot accept; nothing changes.
        let forwarded = person(&app, "forwarded").await;
        let page = forwarded
            .client
            .get(app.url(&format!("/invitations/accept?token={token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("invitation-wrong-account"), "{html}");
        assert!(html.contains("This invitation is for another email address"));
        assert!(!html.contains("Accept and join"));
        let reference = reference_of(&app, &forwarded.client, &token).await;
        let (status, body) = app
            .call(
                &forwarded.client,
                "invitations/accept",
                &[("reference", &reference)],
            )
            .await;
        assert_eq!((status, field_of(&body)), (422, "reference"));
        assert!(message(&body).contains("different email address"), "{body}");
        assert_eq!(role_of(&app, "bound-lab", forwarded.id).await, None);
        // By reference alone they learn nothing, exactly as for one that does not exist.
        let (_, by_ref) = app
            .call(
                &forwarded.client,
                "invitations/get",
                &[("token", ""), ("reference", &reference)],
            )
            .await;
        let (_, missing) = app
            .call(
                &forwarded.client,
                "invitations/get",
                &[("token", ""), ("reference", "community-999999")],
            )
            .await;
        assert_eq!(by_ref["details"], Value::Null);
        assert_eq!(by_ref["viewer"], missing["viewer"]);
        let (status, missing_accept) = app
            .call(
                &forwarded.client,
                "invitations/accept",
                &[("reference", "community-999999")],
            )
            .await;
        assert_eq!(
            (status, &missing_accept),
            (422, &body),
            "same answer as someone else's"
        );

        // The invitee, not signed in: the page's sign-in link carries the reference, never
        // the token, through the whole email sign-in round trip.
        let invitee = browser();
        let html = invitee
            .get(app.url(&format!("/invitations/accept?token={token}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        // The `next` of the page's own sign-in link.
        let start = html.find("href=\"/signin?next=").expect("a sign-in link") + 19;
        let next = percent_decode(&html[start..start + html[start..].find('"').unwrap()]);
        let previous = latest_link(&invitee_email).await;
        let res = invitee
            .post(app.url("/auth/email"))
            .form(&[("email", invitee_email.as_str()), ("next", next.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(location(&res), "/signin/email-sent");
        // A provider sign-in started from the same page stores its `next` too.
        let res = invitee
            .post(app.url("/auth/oidc/test"))
            .form(&[("next", next.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let link = link_from_mail_after(&invitee_email, previous.as_deref()).await;
        let res = invitee
            .post(app.url("/auth/email/verify"))
            .form(&[("token", token_of(&link).as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(location(&res), next);
        let state = sign_in_state(&app).await;
        assert!(
            state.iter().all(|row| !row.contains(&token)),
            "a usable invitation token is at rest in the sign-in state"
        );
        assert_eq!(next, format!("/invitations/accept?ref={reference}"));
        assert!(
            state.iter().any(|row| row.contains(&reference)),
            "the reference travels"
        );
        assert_eq!(
            html.matches(&token).count(),
            0,
            "the page never repeats the token"
        );

        // Signed in with the invited address: the reference shows the invitation and accepts.
        let page = invitee.get(app.url(&next)).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(
            html.contains("Accept and join") && html.contains("join Test community as admin"),
            "{html}"
        );
        let (status, body) = app
            .call(&invitee, "invitations/accept", &[("reference", &reference)])
            .await;
        assert_eq!((status, body), (200, Value::from("/communities/bound-lab")));
        let mut conn = app.db.read().await.unwrap();
        let id = stoa_db::accounts::find_by_email(conn.conn(), &invitee_email)
            .await
            .unwrap()
            .unwrap()
            .id
            .0;
        drop(conn);
        assert_eq!(
            role_of(&app, "bound-lab", id).await.as_deref(),
            Some("admin")
        );
        assert_eq!(role_of(&app, "bound-lab", forwarded.id).await, None);
    }
);

// An id from another community or institution, with one's own slug or id, is not found and
// changes nothing.
crate::helpers::on_both!(ids_from_elsewhere_are_not_found, |app| {
    require_peers();
    let alice = person(&app, "alice").await;
    let bob = person(&app, "bob").await;
    create_community(&app, &alice, "alice-lab", "invite").await;
    create_community(&app, &bob, "bob-lab", "invite").await;
    let invited = unique_email("bobs");
    assert_eq!(
        invite(&app, &bob, "bob-lab", &invited, "member").await.0,
        200
    );
    let id = invitation_id(&app, &bob, "bob-lab", &invited).await;
    for endpoint in ["invitations/revoke", "invitations/resend"] {
        let (status, _) = app
            .call(
                &alice.client,
                endpoint,
                &[("slug", "alice-lab"), ("id", &id)],
            )
            .await;
        assert_eq!(status, 404, "{endpoint}");
    }
    let mut institutions = Vec::new();
    for who in [&alice, &bob] {
        let (status, id) = app
            .call(
                &who.client,
                "institutions/create",
                &[
                    ("legal_name", "Some University"),
                    ("address", ""),
                    ("country", "DE"),
                    ("tax_id", ""),
                    ("billing_contacts", ""),
                ],
            )
            .await;
        assert_eq!(status, 200);
        institutions.push(id.to_string());
    }
    let (status, _) = app
        .call(
            &bob.client,
            "institutions/invite_admin",
            &[("id", &institutions[1]), ("email", &unique_email("adm"))],
        )
        .await;
    assert_eq!(status, 200);
    let (_, view) = app
        .call(&bob.client, "institutions/get", &[("id", &institutions[1])])
        .await;
    let invitation = view["invitations"][0][0].to_string();
    let (status, _) = app
        .call(
            &alice.client,
            "institutions/revoke_invitation",
            &[("id", &institutions[0]), ("invitation", &invitation)],
        )
        .await;
    assert_eq!(status, 404);
    let (_, view) = app
        .call(&bob.client, "institutions/get", &[("id", &institutions[1])])
        .await;
    assert_eq!(view["invitations"].as_array().unwrap().len(), 1);
    let (_, list) = app
        .call(&bob.client, "invitations/list", &[("slug", "bob-lab")])
        .await;
    assert_eq!(list[0]["status"], "sending");
});

/// Links an identity to `account` directly in the store.
async fn add_identity(app: &TestApp, account: i64, issuer: &str, subject: &str, email: &str) {
    let mut tx = app.db.begin().await.unwrap();
    let identity = stoa_db::accounts::NewIdentity {
        issuer,
        subject,
        provider: "test",
        email: Some(email),
    };
    stoa_db::accounts::add_identity(
        tx.conn(),
        stoa_db::accounts::AccountId(account),
        &identity,
        app.clock.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

// The address a provider put on an identity does not prove the mailbox (a provider not
// trusted for email may assert any address); an email-link identity does.
crate::helpers::on_both!(only_a_proven_address_accepts_an_invitation, |app| {
    require_peers();
    let owner = person(&app, "owner").await;
    create_community(&app, &owner, "proof-lab", "invite").await;
    let holder = person(&app, "holder").await;
    let invited = unique_email("second");
    add_identity(&app, holder.id, "https://idp.example", "sub-1", &invited).await;
    assert_eq!(
        invite(&app, &owner, "proof-lab", &invited, "admin").await.0,
        200
    );
    let token = invitation_token(&mail_to(&app, &invited, "Invitation to join", 0).await);
    let reference = reference_of(&app, &holder.client, &token).await;
    let (status, body) = app
        .call(
            &holder.client,
            "invitations/accept",
            &[("reference", &reference)],
        )
        .await;
    assert_eq!((status, field_of(&body)), (422, "reference"), "{body}");
    assert_eq!(role_of(&app, "proof-lab", holder.id).await, None);

    add_identity(
        &app,
        holder.id,
        stoa_db::accounts::EMAIL_ISSUER,
        &invited,
        &invited,
    )
    .await;
    let (status, body) = app
        .call(
            &holder.client,
            "invitations/accept",
            &[("reference", &reference)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        role_of(&app, "proof-lab", holder.id).await.as_deref(),
        Some("admin")
    );
});

fn runs_jobs(s: &mut Settings) {
    s.run_jobs = true;
}

// Tests run background passes themselves (`run_jobs = false`); a production process runs its
// own worker, which alone mails a queued invitation.
on_both!(
    the_process_mails_invitations_itself_when_it_runs_jobs,
    settings = runs_jobs,
    |app| {
        require_peers();
        let owner = person(&app, "worker-owner").await;
        create_community(&app, &owner, "own-worker", "invite").await;
        let email = unique_email("own-worker");
        let (status, body) = invite(&app, &owner, "own-worker", &email, "member").await;
        assert_eq!(status, 200, "{body}");
        // The worker polls every 2 s; give it several rounds.
        for _ in 0..100 {
            if mails_held_for(&email).await == 1 {
                assert_eq!(pending_jobs(&app).await, 0, "the job is done");
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the app's own worker did not mail the invitation within 10 s");
    }
);
