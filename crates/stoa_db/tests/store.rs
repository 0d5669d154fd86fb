//! The store's behaviour, run identically on SQLite and PostgreSQL.

use std::sync::Arc;
use stoa_model::{JoinPolicy, Role, Slug};

use chrono::{DateTime, Utc};
use stoa_db::accounts::{self, AccountId};
use stoa_db::communities::{self, CommunityId, NewCommunity};
use stoa_db::testing::TestDb;
use stoa_db::{Backend, Db, DbError, PoolSettings, Timestamp};
use stoa_db::{audit, invitations, jobs, join_requests, memberships};

use stoa_db::db_on_both as on_both;

fn community<'a>(slug: &'a str, name: &'a str) -> NewCommunity<'a> {
    NewCommunity {
        // Leaked: a test's few slugs live as long as the test.
        slug: Box::leak(Box::new(Slug::parse(slug).expect("a valid slug"))),
        name,
        description: "d",
        field: "Physics",
        website: None,
        logo_url: None,
        institution_id: None,
        join_policy: JoinPolicy::Invite,
    }
}

fn at(secs: i64, micros: u32) -> Timestamp {
    Timestamp::from(DateTime::<Utc>::from_timestamp(secs, micros * 1000).unwrap())
}

on_both!(migrations_go_up_down_and_up_again, |db| {
    let status = db.migration_status().await.unwrap();
    assert!(status.is_current(), "{status:?}");
    assert!(status.applied >= 1);
    db.migrate_down(0).await.unwrap();
    let status = db.migration_status().await.unwrap();
    assert_eq!(status.applied, 0);
    assert!(status.pending >= 1);
    assert!(!status.is_current());
    db.migrate().await.unwrap();
    assert!(db.migration_status().await.unwrap().is_current());
});

on_both!(insert_then_search, |db| {
    let mut tx = db.begin().await.unwrap();
    communities::insert(
        tx.conn(),
        &community("ocean-lab", "Ocean Lab"),
        at(1_700_000_000, 0),
    )
    .await
    .unwrap();
    communities::insert(
        tx.conn(),
        &community("glacier-group", "Glacier Group"),
        at(1_700_000_100, 0),
    )
    .await
    .unwrap();
    communities::insert(
        tx.conn(),
        &community("pct-lab", "100% Science_Lab"),
        at(1_700_000_200, 0),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mut conn = db.read().await.unwrap();
    let all = communities::search(conn.conn(), "", 10, 0).await.unwrap();
    assert_eq!(all.total, 3);
    let slugs: Vec<_> = all.items.iter().map(|c| c.slug.as_str()).collect();
    assert_eq!(
        slugs,
        ["pct-lab", "glacier-group", "ocean-lab"],
        "newest first"
    );

    let found = communities::search(conn.conn(), "OCEAN", 10, 0)
        .await
        .unwrap();
    assert_eq!(
        (found.total, found.items[0].slug.as_str()),
        (1, "ocean-lab"),
        "case-insensitive"
    );
    // Word prefixes, not substrings; `%` and `_` are no wildcards (they separate words).
    let count = async |conn: &mut stoa_db::ReadConn, q: &str| {
        communities::search(conn.conn(), q, 10, 0)
            .await
            .unwrap()
            .total
    };
    assert_eq!(count(&mut conn, "oce").await, 1, "a word prefix");
    assert_eq!(count(&mut conn, "cean").await, 0, "not a substring");
    assert_eq!(count(&mut conn, "%").await, 0);
    assert_eq!(count(&mut conn, "n_l").await, 0, "`_` is no wildcard");
    assert_eq!(count(&mut conn, "science_l").await, 1);
    assert_eq!(count(&mut conn, "lab").await, 2);
    assert_eq!(
        count(&mut conn, "LAB 100").await,
        1,
        "every word must match"
    );
    // Paging.
    let second = communities::search(conn.conn(), "", 2, 2).await.unwrap();
    assert_eq!(
        (
            second.total,
            second.items.len(),
            second.items[0].slug.as_str()
        ),
        (3, 1, "ocean-lab")
    );
});

on_both!(duplicate_slug_is_a_conflict_and_changes_nothing, |db| {
    let mut tx = db.begin().await.unwrap();
    communities::insert(tx.conn(), &community("dup", "First"), Timestamp::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let err = communities::insert(tx.conn(), &community("dup", "Second"), Timestamp::now())
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::Conflict), "{err:?}");
    drop(tx);
    let mut conn = db.read().await.unwrap();
    let page = communities::search(conn.conn(), "", 10, 0).await.unwrap();
    assert_eq!((page.total, page.items[0].name.as_str()), (1, "First"));
});

on_both!(uncommitted_transactions_roll_back, |db| {
    let mut tx = db.begin().await.unwrap();
    communities::insert(tx.conn(), &community("gone", "Gone"), Timestamp::now())
        .await
        .unwrap();
    drop(tx);
    let mut conn = db.read().await.unwrap();
    assert_eq!(
        communities::search(conn.conn(), "", 10, 0)
            .await
            .unwrap()
            .total,
        0
    );
});

on_both!(timestamps_round_trip_and_order, |db| {
    let times = [
        at(1_700_000_000, 999_999),
        at(1_700_000_000, 5),
        at(1_700_000_001, 0),
        at(0, 0),
    ];
    let mut tx = db.begin().await.unwrap();
    for (i, t) in times.iter().enumerate() {
        let slug = format!("c{i}");
        communities::insert(tx.conn(), &community(&slug, "x"), *t)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let mut conn = db.read().await.unwrap();
    let page = communities::search(conn.conn(), "", 10, 0).await.unwrap();
    let got: Vec<Timestamp> = page.items.iter().map(|c| c.created_at).collect();
    let mut want = times.to_vec();
    want.sort_by(|a, b| b.cmp(a));
    assert_eq!(got, want, "exact values, ordered by time");
});

on_both!(concurrent_write_transactions_all_succeed, |db| {
    // 64 tasks, each a read-then-write transaction: on SQLite a naive setup fails some of
    // these with "database is locked"; here every one must commit.
    let db = Arc::new(db);
    let mut tasks = Vec::new();
    for i in 0..64 {
        let db = Arc::clone(&db);
        tasks.push(tokio::spawn(async move {
            let mut tx = db.begin().await?;
            let mut conn = tx.conn();
            let before = communities::search(conn.reborrow(), "", 1, 0).await?.total;
            let slug = format!("c{i}");
            communities::insert(conn, &community(&slug, "x"), Timestamp::now()).await?;
            tx.commit().await?;
            Ok::<i64, DbError>(before)
        }));
    }
    let readers: Vec<_> = (0..16)
        .map(|_| {
            let db = Arc::clone(&db);
            tokio::spawn(async move {
                let mut conn = db.read().await?;
                communities::search(conn.conn(), "", 5, 0)
                    .await
                    .map(|p| p.total)
            })
        })
        .collect();
    for task in tasks {
        task.await
            .unwrap()
            .expect("every write transaction commits");
    }
    for reader in readers {
        reader.await.unwrap().expect("reads succeed during writes");
    }
    let mut conn = db.read().await.unwrap();
    assert_eq!(
        communities::search(conn.conn(), "", 1, 0)
            .await
            .unwrap()
            .total,
        64
    );
});

#[tokio::test]
async fn rejects_unusable_urls_clearly() {
    let settings = PoolSettings::default();
    let err = Db::connect("mysql://localhost/x", &settings)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("sqlite:// or postgres://"),
        "{err}"
    );
    let err = Db::connect("sqlite::memory:", &settings).await.unwrap_err();
    assert!(err.to_string().contains("in-memory"), "{err}");
}

#[tokio::test]
async fn sqlite_is_configured_for_concurrency() {
    let test_db = TestDb::new(Backend::Sqlite).await;
    let db = Db::connect(&test_db.url, &PoolSettings::default())
        .await
        .unwrap();
    let mut conn = db.read().await.unwrap();
    let stoa_db::Conn::Sqlite(c) = conn.conn() else {
        panic!("sqlite")
    };
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert_eq!((mode.as_str(), fk), ("wal", 1));
    assert!(busy >= 1000, "busy_timeout {busy}");
}

/// A community with an owner and a member; returns (community, owner, member).
async fn arrange_members(db: &Db) -> (CommunityId, AccountId, AccountId) {
    let now = at(1_700_000_000, 0);
    let mut tx = db.begin().await.unwrap();
    let c = communities::insert(tx.conn(), &community("lab", "Lab"), now)
        .await
        .unwrap();
    let owner = accounts::create(tx.conn(), "Owner", Some("owner@example.org"), now)
        .await
        .unwrap();
    let member = accounts::create(tx.conn(), "Member", Some("member@example.org"), now)
        .await
        .unwrap();
    memberships::add(tx.conn(), c, owner, Role::Owner, None, now)
        .await
        .unwrap();
    memberships::add(
        tx.conn(),
        c,
        member,
        Role::Member,
        Some(at(1_700_100_000, 0)),
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (c, owner, member)
}

on_both!(membership_ends_are_claimed_once, |db| {
    let (c, owner, member) = arrange_members(&db).await;
    let mut tx = db.begin().await.unwrap();
    assert!(
        matches!(
            memberships::add(tx.conn(), c, member, Role::Admin, None, at(1, 0)).await,
            Err(DbError::Conflict)
        ),
        "a second membership is refused"
    );
    drop(tx);
    // Too early for a notice (lead 1 day, end ~1.16 days away).
    let mut tx = db.begin().await.unwrap();
    let early =
        memberships::claim_end_notices(tx.conn(), at(1_700_000_000, 0), at(1_700_086_400, 0), 10)
            .await
            .unwrap();
    assert!(early.is_empty());
    let notices =
        memberships::claim_end_notices(tx.conn(), at(1_700_050_000, 0), at(1_700_136_400, 0), 10)
            .await
            .unwrap();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].account_id, member);
    let again =
        memberships::claim_end_notices(tx.conn(), at(1_700_050_001, 0), at(1_700_136_401, 0), 10)
            .await
            .unwrap();
    assert!(again.is_empty(), "a notice is claimed once");
    assert!(
        memberships::end_due(tx.conn(), at(1_700_099_999, 0), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let ended = memberships::end_due(tx.conn(), at(1_700_100_000, 0), 10)
        .await
        .unwrap();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].role, Role::Member);
    assert!(
        memberships::end_due(tx.conn(), at(1_700_200_000, 0), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        memberships::role_of(tx.conn(), c, member).await.unwrap(),
        None
    );
    assert_eq!(
        memberships::role_of(tx.conn(), c, owner).await.unwrap(),
        Some(Role::Owner)
    );
    tx.commit().await.unwrap();
});

on_both!(owners_cannot_have_an_end_date, |db| {
    let (c, owner, _) = arrange_members(&db).await;
    let mut tx = db.begin().await.unwrap();
    let result = memberships::update(
        tx.conn(),
        c,
        owner,
        Role::Owner,
        Some(at(1_800_000_000, 0)),
        at(1, 0),
    )
    .await;
    assert!(
        matches!(result, Err(DbError::Sqlx(_))),
        "CHECK constraint: {result:?}"
    );
});

on_both!(an_invitation_is_accepted_once, |db| {
    let (c, owner, member) = arrange_members(&db).await;
    let now = at(1_700_000_000, 0);
    let mut tx = db.begin().await.unwrap();
    let new = invitations::NewInvitation {
        community_id: c,
        email: &stoa_model::Email::parse("new@example.org").unwrap(),
        role: Role::Member,
        membership_ends_at: None,
        invited_by: owner,
        expires_at: at(1_700_600_000, 0),
    };
    let id = invitations::create(tx.conn(), &new, now).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    assert!(
        matches!(
            invitations::create(tx.conn(), &new, now).await,
            Err(DbError::Conflict)
        ),
        "one open invitation per address"
    );
    drop(tx); // PostgreSQL aborts a transaction after a constraint error
    let mut tx = db.begin().await.unwrap();
    assert!(
        invitations::set_token(tx.conn(), id, "hash-1", now)
            .await
            .unwrap()
    );
    assert!(
        invitations::set_token(tx.conn(), id, "hash-2", now)
            .await
            .unwrap()
    );
    assert!(
        invitations::by_token_hash(tx.conn(), "hash-1")
            .await
            .unwrap()
            .is_none(),
        "resending replaces the link"
    );
    assert_eq!(
        invitations::by_token_hash(tx.conn(), "hash-2")
            .await
            .unwrap()
            .unwrap()
            .id,
        id
    );
    assert!(
        !invitations::accept(tx.conn(), id, member, at(1_700_600_000, 0))
            .await
            .unwrap(),
        "expired"
    );
    assert!(
        invitations::accept(tx.conn(), id, member, now)
            .await
            .unwrap()
    );
    assert!(
        !invitations::accept(tx.conn(), id, owner, now)
            .await
            .unwrap(),
        "used"
    );
    assert!(
        !invitations::revoke(tx.conn(), id, now).await.unwrap(),
        "accepted, not revocable"
    );
    assert!(
        !invitations::set_token(tx.conn(), id, "hash-3", now)
            .await
            .unwrap(),
        "no new link after acceptance"
    );
    // Once resolved, the address may be invited again.
    invitations::create(tx.conn(), &new, now).await.unwrap();
    tx.commit().await.unwrap();
});

on_both!(the_audit_log_is_append_only, |db| {
    let (c, owner, _) = arrange_members(&db).await;
    let mut tx = db.begin().await.unwrap();
    let entry = audit::Entry {
        actor: Some(owner),
        actor_name: "Owner",
        community: Some(c),
        institution: None,
        action: "membership.updated",
        target: "Member",
        before: Some(r#"{"role":"member"}"#.into()),
        after: Some(r#"{"role":"admin"}"#.into()),
    };
    audit::record(tx.conn(), &entry, at(1_700_000_000, 0))
        .await
        .unwrap();
    audit::record(
        tx.conn(),
        &audit::Entry {
            action: "invitation.created",
            actor_name: "Other 50%_",
            ..entry.clone()
        },
        at(1_700_000_001, 0),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut conn = db.read().await.unwrap();
    let all = audit::list(
        conn.conn(),
        &audit::Filter {
            community: Some(c),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].action, "invitation.created", "newest first");
    assert_eq!(all[0].community_slug.as_deref(), Some("lab"));
    let filtered = audit::list(
        conn.conn(),
        &audit::Filter {
            action_prefix: Some("membership.".into()),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    assert_eq!(filtered.len(), 1);
    let by_actor = audit::list(
        conn.conn(),
        &audit::Filter {
            actor: Some("50%".into()),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    assert_eq!(by_actor.len(), 1, "wildcards in the filter are literal");
    let older = audit::list(
        conn.conn(),
        &audit::Filter {
            before_id: Some(all[0].id),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    assert_eq!(older.len(), 1);
    let other = audit::list(
        conn.conn(),
        &audit::Filter {
            community: Some(CommunityId(c.0 + 1)),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    assert!(other.is_empty());
    drop(conn);
    for sql in ["UPDATE audit_log SET target = 'x'", "DELETE FROM audit_log"] {
        let mut tx = db.begin().await.unwrap();
        let result = stoa_db::on!(tx.conn(), c => sqlx::query(sql).execute(c).await.map(|_| ()));
        let message = result.expect_err(sql).to_string();
        assert!(message.contains("append-only"), "{sql}: {message}");
    }
});

on_both!(jobs_are_claimed_leased_retried_and_completed, |db| {
    let now = at(1_700_000_000, 0);
    let lease = chrono::TimeDelta::minutes(5);
    let mut tx = db.begin().await.unwrap();
    let task = jobs::Task::SendNotice {
        to: "a@example.org".into(),
        subject: "s".into(),
        body: "b".into(),
    };
    let id = jobs::enqueue_task(tx.conn(), &task, now).await.unwrap();
    let job = jobs::claim(tx.conn(), now, lease, &me())
        .await
        .unwrap()
        .expect("due");
    assert_eq!((job.id, job.attempts), (id, 1));
    assert_eq!(job.task().unwrap(), task);
    assert!(
        jobs::claim(tx.conn(), now, lease, &me())
            .await
            .unwrap()
            .is_none(),
        "leased"
    );
    let later = now + chrono::TimeDelta::minutes(6);
    let again = jobs::claim(tx.conn(), later, lease, &me())
        .await
        .unwrap()
        .expect("lease ran out");
    assert_eq!(again.attempts, 2);
    jobs::fail(
        tx.conn(),
        id,
        "w1",
        "smtp down",
        Some(later + chrono::TimeDelta::minutes(2)),
        later,
    )
    .await
    .unwrap();
    assert!(
        jobs::claim(tx.conn(), later, lease, &me())
            .await
            .unwrap()
            .is_none(),
        "backing off"
    );
    let retry = jobs::claim(
        tx.conn(),
        later + chrono::TimeDelta::minutes(2),
        lease,
        &me(),
    )
    .await
    .unwrap()
    .expect("retry");
    jobs::fail(tx.conn(), retry.id, "w1", "gave up", None, later)
        .await
        .unwrap();
    assert!(
        jobs::claim(tx.conn(), later + chrono::TimeDelta::days(1), lease, &me())
            .await
            .unwrap()
            .is_none(),
        "failed for good"
    );
    assert_eq!(
        jobs::failed(tx.conn(), 10).await.unwrap()[0]
            .last_error
            .as_deref(),
        Some("gave up")
    );
    let second = jobs::enqueue_task(tx.conn(), &task, now).await.unwrap();
    jobs::claim(tx.conn(), now, lease, &me())
        .await
        .unwrap()
        .expect("due");
    assert!(jobs::complete(tx.conn(), second, "w1").await.unwrap());
    assert_eq!(jobs::pending_count(tx.conn()).await.unwrap(), 0);
    tx.commit().await.unwrap();
});

fn me() -> jobs::Claimer {
    jobs::Claimer {
        worker: "w1".into(),
        runner: "here".into(),
    }
}

fn worker(name: &str, runner: &str) -> jobs::Claimer {
    jobs::Claimer {
        worker: name.into(),
        runner: runner.into(),
    }
}

async fn enqueue_in(
    db: &stoa_db::Db,
    queue: Option<&str>,
    runner: Option<&str>,
    key: Option<&str>,
    now: stoa_db::Timestamp,
) -> Option<i64> {
    let mut tx = db.begin().await.unwrap();
    let placement = jobs::Placement {
        queue: queue.map(str::to_owned),
        runner: runner.map(str::to_owned),
        idempotency_key: key.map(str::to_owned),
    };
    let task = jobs::Task::DeployHub { deployment_id: 1 };
    let id = jobs::enqueue_task_placed(tx.conn(), &task, &placement, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn claim_as(
    db: &stoa_db::Db,
    claimer: &jobs::Claimer,
    now: stoa_db::Timestamp,
) -> Option<i64> {
    let mut tx = db.begin().await.unwrap();
    let job = jobs::claim(tx.conn(), now, chrono::TimeDelta::seconds(30), claimer)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    job.map(|j| j.id)
}

// One queue runs one job at a time, oldest first; other queues and unqueued jobs go on.
on_both!(jobs_of_one_queue_run_one_at_a_time_in_order, |db| {
    let now = at(1_700_000_000, 0);
    let first = enqueue_in(&db, Some("hub:1"), None, None, now)
        .await
        .unwrap();
    let second = enqueue_in(&db, Some("hub:1"), None, None, now)
        .await
        .unwrap();
    let other = enqueue_in(&db, Some("hub:2"), None, None, now)
        .await
        .unwrap();
    let a = worker("a", "here");
    let b = worker("b", "here");
    assert_eq!(claim_as(&db, &a, now).await, Some(first));
    assert_eq!(claim_as(&db, &b, now).await, Some(other), "hub:1 is busy");
    assert_eq!(claim_as(&db, &b, now).await, None, "second waits for first");
    let mut tx = db.begin().await.unwrap();
    assert!(jobs::complete(tx.conn(), other, "b").await.unwrap());
    tx.commit().await.unwrap();
    // A retry scheduled later still holds the queue: order is kept.
    let mut tx = db.begin().await.unwrap();
    assert!(
        jobs::fail(
            tx.conn(),
            first,
            "a",
            "hub down",
            Some(now + chrono::TimeDelta::minutes(1)),
            now
        )
        .await
        .unwrap()
    );
    tx.commit().await.unwrap();
    assert_eq!(
        claim_as(&db, &b, now).await,
        None,
        "second never overtakes first"
    );
    let later = now + chrono::TimeDelta::minutes(1);
    assert_eq!(claim_as(&db, &b, later).await, Some(first));
    let mut tx = db.begin().await.unwrap();
    assert!(jobs::complete(tx.conn(), first, "b").await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(claim_as(&db, &a, later).await, Some(second));
});

// A job placed on a runner is claimed by that runner's workers only.
on_both!(jobs_on_a_runner_are_claimed_by_it_alone, |db| {
    let now = at(1_700_000_000, 0);
    let id = enqueue_in(&db, None, Some("machine-a"), None, now)
        .await
        .unwrap();
    assert_eq!(claim_as(&db, &worker("x", "machine-b"), now).await, None);
    assert_eq!(
        claim_as(&db, &worker("y", "machine-a"), now).await,
        Some(id)
    );
});

// The same idempotency key enqueues one job.
on_both!(an_idempotency_key_enqueues_once, |db| {
    let now = at(1_700_000_000, 0);
    let id = enqueue_in(&db, None, None, Some("deploy:7"), now).await;
    assert!(id.is_some());
    assert_eq!(
        enqueue_in(&db, None, None, Some("deploy:7"), now).await,
        None
    );
    assert!(enqueue_in(&db, None, None, None, now).await.is_some());
    assert!(
        enqueue_in(&db, None, None, None, now).await.is_some(),
        "no key, no dedup"
    );
});

// A renewed lease keeps the job; a lapsed one is taken over, and the first worker can then
// neither renew, complete nor fail it.
on_both!(leases_are_renewed_and_taken_over_when_they_lapse, |db| {
    let now = at(1_700_000_000, 0);
    let id = enqueue_in(&db, Some("hub:1"), None, None, now)
        .await
        .unwrap();
    let a = worker("a", "here");
    let b = worker("b", "here");
    assert_eq!(claim_as(&db, &a, now).await, Some(id));
    let t20 = now + chrono::TimeDelta::seconds(20);
    let mut tx = db.begin().await.unwrap();
    assert!(
        jobs::renew(tx.conn(), id, "a", t20 + chrono::TimeDelta::seconds(30))
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let t40 = now + chrono::TimeDelta::seconds(40);
    assert_eq!(claim_as(&db, &b, t40).await, None, "renewed past 40 s");
    let t60 = now + chrono::TimeDelta::seconds(60);
    assert_eq!(claim_as(&db, &b, t60).await, Some(id), "lapsed: taken over");
    let mut tx = db.begin().await.unwrap();
    assert!(!jobs::renew(tx.conn(), id, "a", t60).await.unwrap());
    assert!(!jobs::complete(tx.conn(), id, "a").await.unwrap());
    assert!(
        !jobs::fail(tx.conn(), id, "a", "late", None, t60)
            .await
            .unwrap()
    );
    assert!(jobs::complete(tx.conn(), id, "b").await.unwrap());
    tx.commit().await.unwrap();
});

// Two workers claiming at once never get the same job (PostgreSQL: SKIP LOCKED; SQLite:
// the single writer).
on_both!(concurrent_claims_never_share_a_job, |db| {
    let now = at(1_700_000_000, 0);
    let mut tx = db.begin().await.unwrap();
    for _ in 0..40 {
        let task = jobs::Task::SendInvitation {
            invitation_id: 1,
            charge: None,
        };
        jobs::enqueue_task(tx.conn(), &task, now).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut workers = Vec::new();
    for _ in 0..4 {
        let db = db.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let mut tx = db.begin().await.unwrap();
                let job = jobs::claim(tx.conn(), now, chrono::TimeDelta::minutes(5), &me())
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                match job {
                    Some(job) => mine.push(job.id),
                    None => break mine,
                }
            }
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let n = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!((n, all.len()), (40, 40));
});

on_both!(one_pending_join_request_per_person, |db| {
    let (c, owner, _) = arrange_members(&db).await;
    let now = at(1_700_000_000, 0);
    let mut tx = db.begin().await.unwrap();
    let asker = accounts::create(tx.conn(), "Asker", None, now)
        .await
        .unwrap();
    let id = join_requests::create(tx.conn(), c, asker, "please", now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    assert!(matches!(
        join_requests::create(tx.conn(), c, asker, "again", now).await,
        Err(DbError::Conflict)
    ));
    drop(tx);
    let mut tx = db.begin().await.unwrap();
    let decided = join_requests::decide(
        tx.conn(),
        c,
        id,
        stoa_model::JoinRequestStatus::Approved,
        owner,
        now,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(decided.status, stoa_model::JoinRequestStatus::Approved);
    assert!(
        join_requests::decide(
            tx.conn(),
            c,
            id,
            stoa_model::JoinRequestStatus::Denied,
            owner,
            now
        )
        .await
        .unwrap()
        .is_none(),
        "decided once"
    );
    // Another community's request is unknown here, whatever its state.
    let elsewhere = communities::insert(tx.conn(), &community("elsewhere", "Elsewhere"), now)
        .await
        .unwrap();
    assert!(matches!(
        join_requests::decide(
            tx.conn(),
            elsewhere,
            id,
            stoa_model::JoinRequestStatus::Denied,
            owner,
            now
        )
        .await,
        Err(DbError::NotFound)
    ));
    join_requests::create(tx.conn(), c, asker, "after a decision, again", now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
});

// The daily mail count never passes its limit, however many transactions charge at once
// (PostgreSQL: the UPSERT's row lock; SQLite: the single writer): 30 concurrent charges of 1
// against a limit of 10 let exactly 10 through, and a refund makes room for one more.
on_both!(mail_counts_hold_their_limit_under_concurrency, |db| {
    use stoa_db::mail_counts::{self, Scope};
    let mut tasks = Vec::new();
    for _ in 0..30 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = db.begin().await.unwrap();
            let ok = mail_counts::charge(tx.conn(), Scope::Total, "2026-11-26", 1, 10)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            ok
        }));
    }
    let mut passed = 0;
    for t in tasks {
        passed += usize::from(t.await.unwrap());
    }
    assert_eq!(passed, 10);
    let mut tx = db.begin().await.unwrap();
    assert_eq!(
        mail_counts::sent(tx.conn(), Scope::Total, "2026-11-26")
            .await
            .unwrap(),
        10
    );
    assert!(
        !mail_counts::charge(tx.conn(), Scope::Total, "2026-11-26", 1, 10)
            .await
            .unwrap()
    );
    // Another day, another count; more than the limit at once never passes.
    assert!(
        mail_counts::charge(tx.conn(), Scope::Total, "2026-11-27", 10, 10)
            .await
            .unwrap()
    );
    assert!(
        !mail_counts::charge(tx.conn(), Scope::Total, "2026-11-28", 11, 10)
            .await
            .unwrap()
    );
    mail_counts::refund(tx.conn(), Scope::Total, "2026-11-26", 1)
        .await
        .unwrap();
    assert!(
        mail_counts::charge(tx.conn(), Scope::Total, "2026-11-26", 1, 10)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
});
