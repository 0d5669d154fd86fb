//! Hubs and revisions on SQLite and PostgreSQL: numbering, history, the optimistic lock
//! (also under real concurrency), and apply requests.

use chrono::{DateTime, Utc};
use stoa_db::accounts::{self, AccountId};
use stoa_db::communities::{self, CommunityId, NewCommunity};
use stoa_db::db_on_both as on_both;
use stoa_db::hubs::{self, HubId, NewRevision, Saved};
use stoa_db::{Db, DbError, Timestamp};
use stoa_model::{JoinPolicy, Slug};

fn at(secs: i64) -> Timestamp {
    Timestamp::from(DateTime::<Utc>::from_timestamp(1_800_000_000 + secs, 0).unwrap())
}

/// A community with a hub, and an author.
async fn arrange(db: &Db) -> (CommunityId, HubId, AccountId) {
    let mut tx = db.begin().await.unwrap();
    let slug = Slug::parse("ocean-lab").unwrap();
    let community = communities::insert(
        tx.conn(),
        &NewCommunity {
            slug: &slug,
            name: "Ocean Lab",
            description: "",
            field: "",
            website: None,
            logo_url: None,
            institution_id: None,
            join_policy: JoinPolicy::Invite,
        },
        at(0),
    )
    .await
    .unwrap();
    let author = accounts::create(tx.conn(), "Ada", Some("ada@example.org"), at(0))
        .await
        .unwrap();
    let hub = hubs::create(tx.conn(), community, "ocean-lab", at(0))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (community, hub, author)
}

fn revision<'a>(base: i32, author: AccountId, message: &'a str, spec: &'a str) -> NewRevision<'a> {
    NewRevision {
        base,
        rollback_of: None,
        author,
        message,
        spec,
    }
}

async fn save(db: &Db, hub: HubId, new: &NewRevision<'_>, secs: i64) -> Saved {
    let mut tx = db.begin().await.unwrap();
    let saved = hubs::add_revision(tx.conn(), hub, new, at(secs))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    saved
}

on_both!(revisions_are_numbered_listed_and_kept, |db| {
    let (community, hub, ada) = arrange(&db).await;
    assert_eq!(
        save(&db, hub, &revision(0, ada, "First", r#"{"v":1}"#), 1).await,
        Saved::As(1)
    );
    assert_eq!(
        save(&db, hub, &revision(1, ada, "Second", r#"{"v":2}"#), 2).await,
        Saved::As(2)
    );
    let restore = NewRevision {
        rollback_of: Some(1),
        ..revision(2, ada, "Back to the first", r#"{"v":1}"#)
    };
    assert_eq!(save(&db, hub, &restore, 3).await, Saved::As(3));

    let mut conn = db.read().await.unwrap();
    let list = hubs::of_community(conn.conn(), community).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].latest_revision, list[0].applied_revision),
        (3, None)
    );
    let history = hubs::revisions(conn.conn(), hub, 2, 0).await.unwrap();
    assert_eq!(history.total, 3);
    let numbers: Vec<i32> = history.items.iter().map(|r| r.number).collect();
    assert_eq!(numbers, [3, 2], "newest first, paged");
    assert_eq!(history.items[0].rollback_of, Some(1));
    assert_eq!(history.items[0].base, Some(2));
    assert_eq!(history.items[0].author_name.as_deref(), Some("Ada"));
    let first = hubs::revision(conn.conn(), hub, 1).await.unwrap().unwrap();
    assert_eq!(first.spec, r#"{"v":1}"#);
    assert_eq!(first.summary.base, None, "the first revision has no base");
    assert_eq!(first.summary.created_at, at(1));
    assert!(hubs::revision(conn.conn(), hub, 4).await.unwrap().is_none());
});

on_both!(
    a_save_from_an_old_base_is_refused_and_writes_nothing,
    |db| {
        let (_, hub, ada) = arrange(&db).await;
        save(&db, hub, &revision(0, ada, "First", "{}"), 1).await;
        save(&db, hub, &revision(1, ada, "Second", "{}"), 2).await;
        assert_eq!(
            save(&db, hub, &revision(1, ada, "Also from the first", "{}"), 3).await,
            Saved::Stale { latest: 2 }
        );
        assert_eq!(
            save(&db, hub, &revision(5, ada, "From the future", "{}"), 3).await,
            Saved::Stale { latest: 2 }
        );
        let mut conn = db.read().await.unwrap();
        assert_eq!(
            hubs::revisions(conn.conn(), hub, 10, 0)
                .await
                .unwrap()
                .total,
            2
        );
        let mut tx = db.begin().await.unwrap();
        let missing =
            hubs::add_revision(tx.conn(), HubId(9_999), &revision(0, ada, "x", "{}"), at(4)).await;
        assert!(matches!(missing, Err(DbError::NotFound)), "{missing:?}");
    }
);

on_both!(
    of_two_concurrent_saves_from_one_base_exactly_one_wins,
    |db| {
        let (_, hub, ada) = arrange(&db).await;
        save(&db, hub, &revision(0, ada, "First", "{}"), 1).await;
        let attempt = |message: &'static str| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut tx = db.begin().await.unwrap();
                let saved =
                    hubs::add_revision(tx.conn(), hub, &revision(1, ada, message, "{}"), at(2))
                        .await
                        .unwrap();
                tx.commit().await.unwrap();
                saved
            })
        };
        let (a, b) = (attempt("A"), attempt("B"));
        let mut outcomes = [a.await.unwrap(), b.await.unwrap()];
        outcomes.sort_by_key(|s| matches!(s, Saved::Stale { .. }));
        assert_eq!(outcomes, [Saved::As(2), Saved::Stale { latest: 2 }]);
    }
);

on_both!(apply_requests_name_an_existing_revision, |db| {
    let (_, hub, ada) = arrange(&db).await;
    let mut tx = db.begin().await.unwrap();
    let none = hubs::request_apply(tx.conn(), hub, 1, ada, at(1)).await;
    assert!(matches!(none, Err(DbError::NotFound)), "no revision yet");
    drop(tx);
    save(&db, hub, &revision(0, ada, "First", "{}"), 1).await;
    save(&db, hub, &revision(1, ada, "Second", "{}"), 2).await;
    let mut tx = db.begin().await.unwrap();
    hubs::request_apply(tx.conn(), hub, 1, ada, at(3))
        .await
        .unwrap();
    let beyond = hubs::request_apply(tx.conn(), hub, 3, ada, at(3)).await;
    assert!(matches!(beyond, Err(DbError::NotFound)), "{beyond:?}");
    tx.commit().await.unwrap();
    let mut conn = db.read().await.unwrap();
    let h = hubs::get(conn.conn(), hub).await.unwrap().unwrap();
    assert_eq!(
        (h.applied_revision, h.applied_at, h.applied_by),
        (Some(1), Some(at(3)), Some(ada))
    );
});

on_both!(hub_slugs_are_unique, |db| {
    let (community, _, _) = arrange(&db).await;
    let mut tx = db.begin().await.unwrap();
    let again = hubs::create(tx.conn(), community, "ocean-lab", at(1)).await;
    assert!(matches!(again, Err(DbError::Conflict)), "{again:?}");
});

// A change's timeline: each state once, in order; a final state stays final (a change
// cancelled while its job ran is not marked healthy afterwards); newer changes are seen.
on_both!(deployments_keep_a_timeline_and_final_states_stay, |db| {
    use stoa_db::deployments::{self, Action, State};
    let (_, hub, author) = arrange(&db).await;
    let mut tx = db.begin().await.unwrap();
    let first = deployments::create(tx.conn(), hub, Action::Apply, Some(1), Some(author), at(1))
        .await
        .unwrap();
    for (state, secs) in [
        (State::Validated, 2),
        (State::Deploying, 3),
        (State::Deployed, 4),
    ] {
        assert!(
            deployments::advance(tx.conn(), first, state, None, at(secs))
                .await
                .unwrap()
        );
    }
    assert!(
        deployments::advance(tx.conn(), first, State::Healthy, Some("up"), at(5))
            .await
            .unwrap()
    );
    assert!(
        !deployments::advance(tx.conn(), first, State::Failed, Some("late"), at(6))
            .await
            .unwrap(),
        "healthy is final"
    );
    let second = deployments::create(tx.conn(), hub, Action::Apply, Some(2), None, at(7))
        .await
        .unwrap();
    assert!(deployments::newer_exists(tx.conn(), first).await.unwrap());
    assert!(!deployments::newer_exists(tx.conn(), second).await.unwrap());
    assert!(
        deployments::advance(tx.conn(), second, State::Cancelled, None, at(8))
            .await
            .unwrap()
    );
    assert!(
        !deployments::newer_exists(tx.conn(), first).await.unwrap(),
        "a cancelled change does not supersede"
    );
    let got = deployments::get(tx.conn(), first).await.unwrap().unwrap();
    assert_eq!(
        (got.state, got.revision, got.requested_by_name.as_deref()),
        (State::Healthy, Some(1), Some("Ada"))
    );
    assert_eq!(got.finished_at, Some(at(5)));
    let steps = deployments::steps(tx.conn(), &[first]).await.unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s.state.as_str()).collect();
    assert_eq!(
        names,
        ["requested", "validated", "deploying", "deployed", "healthy"]
    );
    assert!(deployments::open(tx.conn(), hub).await.unwrap().is_empty());
    let recent = deployments::recent(tx.conn(), hub, 10).await.unwrap();
    assert_eq!(
        recent.iter().map(|d| d.id).collect::<Vec<_>>(),
        [second, first]
    );
    tx.commit().await.unwrap();
});
