//! Plain HTML form posts to server functions (what a browser sends for an `ActionForm`, with
//! JavaScript or without): Post/Redirect/Get with the outcome shown on the page, typed values
//! kept after a refusal; calls from the server-function client are untouched.

use reqwest::Client;
use reqwest::header::{ACCEPT, LOCATION, REFERER};

use crate::auth::location;
use crate::communities::{community_form, create_community, person};
use crate::helpers::{TestApp, on_both, require_peers};

const HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// Posts `form` to `/api/{endpoint}` as a browser submitting an HTML form on `page`.
pub(crate) async fn post_form(
    app: &TestApp,
    client: &Client,
    page: &str,
    endpoint: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url(&format!("/api/{endpoint}")))
        .header(ACCEPT, HTML)
        .header(REFERER, app.url(page))
        .header("origin", app.url(""))
        .form(form)
        .send()
        .await
        .expect("form post")
}

pub(crate) async fn page(app: &TestApp, client: &Client, path: &str) -> (u16, String) {
    let res = client
        .get(app.url(path))
        .header(ACCEPT, HTML)
        .send()
        .await
        .expect("GET");
    (res.status().as_u16(), res.text().await.unwrap())
}

fn settings_form<'a>(slug: &'a str, name: &'a str, website: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("slug", slug),
        ("name", name),
        ("description", "Described."),
        ("field", "Testing"),
        ("website", website),
        ("join_policy", "invite"),
    ]
}

on_both!(
    a_refused_form_comes_back_with_its_messages_and_values,
    |app| {
        require_peers();
        let owner = person(&app, "forms-owner").await;
        create_community(&app, &owner, "form-lab", "invite").await;
        let settings = "/communities/form-lab/settings";
        let hostile = "<b>\"Lab\"</b> & co";
        let res = post_form(
            &app,
            &owner.client,
            settings,
            "community/update",
            &settings_form("form-lab", hostile, "http://localhost"),
        )
        .await;
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), settings);

        let (status, body) = page(&app, &owner.client, settings).await;
        assert_eq!(status, 200);
        assert!(
            body.contains("data-error-for=\"website\"")
                && body.contains(">That does not look like a web address.</p>"),
            "{body}"
        );
        // What was typed is back in the fields, escaped, never markup.
        assert!(body.contains("value=\"http://localhost\""), "{body}");
        assert!(
            body.contains("value=\"&lt;b&gt;&quot;Lab&quot;&lt;/b&gt; &amp; co\""),
            "{body}"
        );
        assert!(!body.contains("<b>\"Lab\"</b>"));
        // Nothing was saved.
        let (_, body) = page(&app, &owner.client, "/communities/form-lab").await;
        assert!(body.contains("Test community") && !body.contains("&lt;b&gt;"));

        // The outcome is shown once: the next view is the plain form again.
        let (_, body) = page(&app, &owner.client, settings).await;
        assert!(!body.contains("data-error-for"), "{body}");
        assert!(!body.contains("value=\"http://localhost\""));
    }
);

on_both!(an_accepted_form_lands_where_the_client_call_would, |app| {
    require_peers();
    let owner = person(&app, "forms-owner").await;
    create_community(&app, &owner, "saved-lab", "invite").await;
    let settings = "/communities/saved-lab/settings";
    let res = post_form(
        &app,
        &owner.client,
        settings,
        "community/update",
        &settings_form("saved-lab", "Saved Lab", "https://saved.example.org"),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), settings);
    let (_, body) = page(&app, &owner.client, settings).await;
    assert!(body.contains(">Saved.</p>"), "{body}");
    assert!(body.contains("value=\"Saved Lab\""));

    // A function that sends the person on: a new community opens its page.
    let res = post_form(
        &app,
        &owner.client,
        "/communities/new",
        "community/create",
        &community_form("second-lab", "Second Lab", "invite"),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/communities/second-lab");
    let (status, body) = page(&app, &owner.client, "/communities/second-lab").await;
    assert_eq!(status, 200);
    assert!(body.contains("Second Lab"));
});

on_both!(the_server_function_client_still_gets_json, |app| {
    require_peers();
    let owner = person(&app, "forms-owner").await;
    create_community(&app, &owner, "json-lab", "invite").await;
    let (status, body) = app
        .call(
            &owner.client,
            "community/update",
            &settings_form("json-lab", "Json Lab", "http://localhost"),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["field"], "website");
    // A function that navigates tells the client where, and still answers with its value.
    let res = owner
        .client
        .post(app.url("/api/community/create"))
        .form(&community_form("json-two", "Json Two", "invite"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(location(&res), "/communities/json-two");
    assert!(res.headers().contains_key("serverfnredirect"));
    assert_eq!(res.text().await.unwrap(), "\"json-two\"");
});

on_both!(
    refusals_without_a_page_to_return_to_get_their_own_page,
    |app| {
        require_peers();
        let owner = person(&app, "forms-owner").await;
        create_community(&app, &owner, "lost-lab", "invite").await;
        // No Referer (or another site's): nothing to send the person back to.
        let res = owner
            .client
            .post(app.url("/api/community/update"))
            .header(ACCEPT, HTML)
            .header(REFERER, "https://elsewhere.example/form")
            .form(&settings_form("lost-lab", "Lost Lab", "http://localhost"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        assert!(res.headers().get(LOCATION).is_none());
        let body = res.text().await.unwrap();
        assert!(body.contains("Your changes were not saved"), "{body}");
        assert!(body.contains("That does not look like a web address."));
    }
);

on_both!(
    a_form_posted_after_the_session_ended_goes_to_sign_in_and_back,
    |app| {
        let anonymous = crate::auth::browser();
        let res = post_form(
            &app,
            &anonymous,
            "/communities/x/settings",
            "community/update",
            &settings_form("x", "X", ""),
        )
        .await;
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), "/signin?next=%2Fcommunities%2Fx%2Fsettings");
    }
);
