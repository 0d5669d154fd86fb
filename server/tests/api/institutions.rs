//! Institution admins are invited, never looked up: the same answer whatever the address,
//! and the person becomes an admin by accepting, signed in with the invited address.

use serde_json::Value;

use crate::auth::{sign_in_by_mail, unique_email};
use crate::communities::{field_of, invitation_token, mail_to, person, reference_of};
use crate::helpers::{on_both, require_peers};

on_both!(institution_admins_are_invited_whatever_the_address, |app| {
    require_peers();
    let bursar = person(&app, "bursar").await;
    let known = person(&app, "known").await;
    let (status, id) = app
        .call(
            &bursar.client,
            "institutions/create",
            &[
                ("legal_name", "University of Invitations"),
                ("address", ""),
                ("country", "FR"),
                ("tax_id", ""),
                ("billing_contacts", ""),
            ],
        )
        .await;
    assert_eq!(status, 200, "{id}");
    let id = id.to_string();
    let invite = |email: String| {
        let form = [("id", id.clone()), ("email", email)];
        let client = bursar.client.clone();
        let url = app.url("/api/institutions/invite_admin");
        async move {
            let res = client.post(url).form(&form).send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.text().await.unwrap())
        }
    };

    // An address with an account and one without get the very same answer.
    let unknown = unique_email("unknown");
    let for_known = invite(known.email.clone()).await;
    let for_unknown = invite(unknown.clone()).await;
    assert_eq!(for_known.0, 200, "{}", for_known.1);
    assert_eq!(for_known, for_unknown);
    let again = invite(known.email.clone()).await;
    let again_unknown = invite(unknown.clone()).await;
    assert_eq!((again.0, &again.1), (again_unknown.0, &again_unknown.1));
    assert_eq!(again.0, 422, "an open invitation already");
    let (status, body) = invite("not an address".into()).await;
    assert_eq!(status, 422);
    assert_eq!(field_of(&serde_json::from_str(&body).unwrap()), "email");
    let (_, view) = app
        .call(&bursar.client, "institutions/get", &[("id", &id)])
        .await;
    assert_eq!(view["invitations"].as_array().unwrap().len(), 2);
    assert_eq!(
        view["admins"].as_array().unwrap().len(),
        1,
        "nobody added yet"
    );

    // Someone else holding the link cannot accept it.
    let mail = mail_to(
        &app,
        &known.email,
        "Invitation to administer an institution on Stoa",
        0,
    )
    .await;
    assert!(
        mail.contains(&format!("The invitation is for {}", known.email)),
        "{mail}"
    );
    let token = invitation_token(&mail);
    let reference = reference_of(&app, &bursar.client, &token).await;
    let intruder = person(&app, "intruder").await;
    let (status, body) = app
        .call(
            &intruder.client,
            "invitations/accept",
            &[("reference", &reference)],
        )
        .await;
    assert_eq!((status, field_of(&body)), (422, "reference"));
    assert_eq!(
        app.call(&intruder.client, "institutions/get", &[("id", &id)])
            .await
            .0,
        404
    );

    // The invited person accepts and is an admin; the link then is used up.
    let (status, body) = app
        .call(
            &known.client,
            "invitations/accept",
            &[("reference", &reference)],
        )
        .await;
    assert_eq!(
        (status, body),
        (200, Value::from(format!("/institutions/{id}")))
    );
    let (status, view) = app
        .call(&known.client, "institutions/get", &[("id", &id)])
        .await;
    assert_eq!((status, view["can_edit"].as_bool()), (200, Some(true)));
    assert_eq!(view["admins"].as_array().unwrap().len(), 2);
    let (status, _) = app
        .call(
            &known.client,
            "invitations/accept",
            &[("reference", &reference)],
        )
        .await;
    assert_eq!(status, 422);

    // Someone new signs up with the invited address and accepts too.
    let mail = mail_to(&app, &unknown, "Invitation to administer", 0).await;
    let newcomer = crate::auth::browser();
    sign_in_by_mail(&app, &newcomer, &unknown).await;
    let reference = reference_of(&app, &newcomer, &invitation_token(&mail)).await;
    let (status, _) = app
        .call(
            &newcomer,
            "invitations/accept",
            &[("reference", &reference)],
        )
        .await;
    assert_eq!(status, 200);
    let (_, view) = app
        .call(&bursar.client, "institutions/get", &[("id", &id)])
        .await;
    assert_eq!(view["admins"].as_array().unwrap().len(), 3);
    assert_eq!(view["invitations"], serde_json::json!([]));

    // Withdrawn invitations cannot be accepted.
    let late = person(&app, "late").await;
    assert_eq!(invite(late.email.clone()).await.0, 200);
    let mail = mail_to(&app, &late.email, "Invitation to administer", 0).await;
    let reference = reference_of(&app, &late.client, &invitation_token(&mail)).await;
    let (_, view) = app
        .call(&bursar.client, "institutions/get", &[("id", &id)])
        .await;
    let invitation = view["invitations"][0][0].to_string();
    assert_eq!(
        app.call(
            &bursar.client,
            "institutions/revoke_invitation",
            &[("id", &id), ("invitation", &invitation)]
        )
        .await
        .0,
        200
    );
    let (status, _) = app
        .call(
            &late.client,
            "invitations/accept",
            &[("reference", &reference)],
        )
        .await;
    assert_eq!(status, 422);
    let (_, view) = app
        .call(&bursar.client, "institutions/get", &[("id", &id)])
        .await;
    assert_eq!(view["admins"].as_array().unwrap().len(), 3);
});

on_both!(registering_institutions_is_capped_per_day, |app| {
    require_peers();
    // The sign-up cap (3 by default) covers registering institutions: a write anyone signed
    // in could otherwise repeat without end.
    let cap = stoa_domain::limits::Limits::default().communities_per_account_per_day;
    let bursar = person(&app, "registrar").await;
    let register = |n: i64| {
        let client = bursar.client.clone();
        let url = app.url("/api/institutions/create");
        async move {
            let name = format!("Institution number {n}");
            let form = [
                ("legal_name", name.as_str()),
                ("address", ""),
                ("country", "FR"),
                ("tax_id", ""),
                ("billing_contacts", ""),
            ];
            let res = client.post(url).form(&form).send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap())
        }
    };
    for n in 1..=cap {
        let (status, body) = register(n).await;
        assert_eq!(status, 200, "registration {n}: {body}");
    }
    let (status, body) = register(cap + 1).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains(&format!("You have registered {cap} institutions")),
        "{body}"
    );
    let mut conn = app.db.read().await.unwrap();
    let mine =
        stoa_db::institutions::of_admin(conn.conn(), stoa_db::accounts::AccountId(bursar.id))
            .await
            .unwrap();
    assert_eq!(mine.len() as i64, cap, "nothing registered over the cap");
    // A day later the window has moved on.
    app.clock.advance(chrono::TimeDelta::hours(24));
    assert_eq!(register(cap + 2).await.0, 200);
});
