//! The inbox of pending reviews, the same tests against both stores: this machine's SQLite file
//! and a team's PostgreSQL (a fresh database on the suite's server for each test). Leases are
//! driven by the time each call is given, never by waiting.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use archbench::store::deferred::{DeferredReview, SavedAttempt, SavedPhase, FORMAT};
use archbench::store::inbox::{Filter, Inbox, Origin, Refused};
use chrono::{DateTime, TimeZone, Utc};
use std::time::Duration;

/// Where a test's inbox lives: more handles on it stand for more processes or machines.
enum Place {
    Sqlite(tempfile::TempDir),
    Postgres(String),
}

impl Place {
    async fn new(postgres: bool) -> Place {
        if postgres {
            Place::Postgres(common::pg::fresh_database().await)
        } else {
            Place::Sqlite(tempfile::tempdir().unwrap())
        }
    }

    /// Another process's handle on the same inbox.
    async fn open(&self) -> Inbox {
        match self {
            Place::Sqlite(dir) => Inbox::open(None, &dir.path().join("sessions.db")).await,
            Place::Postgres(url) => {
                Inbox::open(Some(url), std::path::Path::new("/nonexistent")).await
            }
        }
        .unwrap()
    }

    /// `sql` run straight on the store, as someone with its file or its owner's password could.
    async fn tamper(&self, sql: &str) -> Result<(), String> {
        match self {
            Place::Sqlite(dir) => rusqlite::Connection::open(dir.path().join("sessions.db"))
                .and_then(|c| c.execute_batch(sql))
                .map_err(|e| e.to_string()),
            Place::Postgres(url) => {
                let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(connection);
                client.batch_execute(sql).await.map_err(|e| {
                    e.as_db_error()
                        .map_or_else(|| e.to_string(), |d| d.message().to_string())
                })
            }
        }
    }
}

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000 + secs, 0).unwrap()
}

const LEASE: Duration = Duration::from_secs(60);

fn review(id: &str, role: &str, brief: &str) -> DeferredReview {
    serde_json::from_value(serde_json::json!({
        "format": FORMAT,
        "id": id,
        "saved_at": t(0),
        "reviewer": { "name": "pipeline", "email": null, "source": "os" },
        "chain_id": format!("chain-{id}"),
        "parent_id": null,
        "breadcrumb": [role],
        "role_id": role,
        "role_prompt_sha256": "0".repeat(64),
        "provider": { "kind": "openai", "model": "m", "endpoint": "e" },
        "parameters": {},
        "brief": brief,
        "attempts": [],
        "selected_option": null,
        "payload_brief": null
    }))
    .map(|mut r: DeferredReview| {
        r.attempts.push(SavedAttempt {
            number: 1,
            feedback: None,
            text: "# Design\n\nDECISION: backup_disaster_specialist\n".into(),
            phase: SavedPhase::Complete(archbench::provider::FinishReason::Stop),
            model: Some("m".into()),
            usage: None,
            decision: Some(
                serde_json::from_value(serde_json::json!({
                    "status": "unique",
                    "raw_line": "DECISION: backup_disaster_specialist",
                    "line_number": 3,
                    "candidates": ["route:backup_disaster_specialist"],
                    "multiple": false
                }))
                .unwrap(),
            ),
            reviewed_sha256: None,
            started_at: t(0),
            first_token_at: None,
            completed_at: Some(t(1)),
            reask: None,
            comments: Vec::new(),
        });
        r
    })
    .unwrap()
}

fn origin() -> Origin {
    Origin {
        who: "ci@build-7".into(),
        how: "run --approve inbox".into(),
    }
}

/// Three reviews, a second apart: two of the architect, one of another role.
async fn three(inbox: &Inbox) {
    let briefs = [
        ("r-1", "database_architect", "# Bookstore\n\n340 tenants."),
        ("r-2", "fullstack_developer", "Checkout page"),
        ("r-3", "database_architect", "\n\nTelemetry: 2M devices"),
    ];
    for (i, (id, role, brief)) in briefs.iter().enumerate() {
        let check = (i == 0).then(|| "3 statements · 3 applied · 0 errors".to_string());
        inbox
            .enqueue(&review(id, role, brief), &origin(), check, t(i as i64))
            .await
            .unwrap();
    }
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { super::$name(super::Place::new(false).await).await; })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Place::new(true).await).await; })*
        }
    };
}

both!(
    enqueued_reviews_are_listed_oldest_first_with_what_a_reviewer_needs,
    a_claimed_review_says_by_whom_and_an_action_settles_it_once,
    two_reviewers_race_for_one_review_and_one_wins,
    a_dead_reviewers_lease_lapses_and_the_review_returns,
    the_next_review_goes_to_one_reviewer_each,
    filters_by_role_and_age,
    a_review_is_found_by_the_start_of_its_id,
    a_review_enqueued_elsewhere_is_heard_at_once,
    the_audit_chain_stays_one_line_under_concurrent_writers,
    a_review_put_back_takes_its_comments_to_the_next_reviewer,
);

async fn a_review_put_back_takes_its_comments_to_the_next_reviewer(place: Place) {
    use archbench::review::comments::{Anchor, Comment};
    use archbench::store::inbox::Act;
    let ada = place.open().await;
    three(&ada).await;
    let claim = ada.claim("r-1", "ada", LEASE, t(10)).await.unwrap();
    let (_, mut review) = ada.get("r-1").await.unwrap();
    review.attempts[0].comments.push(Comment {
        anchor: Anchor::Lines { first: 3, last: 3 },
        quote: "DECISION: backup_disaster_specialist".into(),
        text: "RPO 5 min needs WAL archiving".into(),
        author: "ada".into(),
        at: t(11),
    });
    let revise = Act::revise(&claim, &review, t(12)).unwrap();
    assert!(ada.write(&revise).await.unwrap().unwrap().fresh);
    // Sent again (a replay): done already, recorded once.
    assert!(!ada.write(&revise).await.unwrap().unwrap().fresh);
    ada.release(&claim).await.unwrap();
    // Kept by a claim that was let go: refused.
    assert_eq!(ada.write(&revise).await.unwrap(), None);

    let bea = place.open().await;
    bea.claim("r-1", "bea", LEASE, t(20)).await.unwrap();
    let (_, opened) = bea.get("r-1").await.unwrap();
    assert_eq!(opened.attempts[0].comments, review.attempts[0].comments);
    let (bytes, _) = bea.audit_chain().await.unwrap();
    let revised = String::from_utf8_lossy(&bytes)
        .lines()
        .filter(|l| l.contains("review_revised"))
        .count();
    assert_eq!(revised, 1);
}

async fn the_audit_chain_stays_one_line_under_concurrent_writers(place: Place) {
    use archbench::store::audit;
    // Four producers and four reviewers, each its own connection, all at once.
    let mut producers = Vec::new();
    let mut reviewers = Vec::new();
    for _ in 0..4 {
        producers.push(std::sync::Arc::new(place.open().await));
        reviewers.push(std::sync::Arc::new(place.open().await));
    }
    let mut tasks = Vec::new();
    for (p, inbox) in producers.iter().enumerate() {
        let inbox = inbox.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                let id = format!("p{p}-{i}");
                inbox
                    .enqueue(
                        &review(&id, "database_architect", "b"),
                        &origin(),
                        None,
                        t(i),
                    )
                    .await
                    .unwrap();
            }
            0
        }));
    }
    for (n, inbox) in reviewers.iter().enumerate() {
        let inbox = inbox.clone();
        tasks.push(tokio::spawn(async move {
            let mut settled = 0;
            // Until all forty are settled: some claims come before their review is enqueued.
            for _ in 0..2000 {
                match inbox
                    .claim_next(&format!("r{n}"), None, LEASE, t(100))
                    .await
                    .unwrap()
                {
                    Some(claim) => {
                        inbox.settle(&claim, "handed off", t(101)).await.unwrap();
                        settled += 1;
                    }
                    None if inbox
                        .list(&Filter::default(), t(102))
                        .await
                        .unwrap()
                        .is_empty()
                        && inbox
                            .list(
                                &Filter {
                                    all: true,
                                    ..Filter::default()
                                },
                                t(102),
                            )
                            .await
                            .unwrap()
                            .len()
                            == 40 =>
                    {
                        break
                    }
                    None => tokio::task::yield_now().await,
                }
            }
            settled
        }));
    }
    let settled: usize = futures_util::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .sum();
    assert_eq!(settled, 40, "every review settled once");

    // One line of records: 40 enqueued, 40 claimed, 40 settled, each after the one before.
    let inbox = place.open().await;
    let (bytes, head) = inbox.audit_chain().await.unwrap();
    let verified = audit::verify_bytes(&bytes, Some(head.clone())).unwrap();
    assert_eq!(verified.records, 120);
    assert!(verified.crashes.is_empty());
    // Every line a record: the verifier said so.
    let records = audit::records(&bytes);
    let kinds = |kind: &str| records.iter().filter(|r| r.kind == kind).count();
    assert_eq!(
        (
            kinds("review_enqueued"),
            kinds("review_claimed"),
            kinds("review_settled")
        ),
        (40, 40, 40)
    );
    for r in records.iter().filter(|r| r.kind == "review_settled") {
        let id = r.data["review"].as_str().unwrap();
        assert_eq!(r.chain_id, format!("chain-{id}"));
        assert_eq!(r.role, "database_architect");
        let claimed = records
            .iter()
            .position(|c| c.kind == "review_claimed" && c.data["review"] == r.data["review"]);
        assert!(
            claimed.unwrap() < (r.seq - 1) as usize,
            "claimed before settled"
        );
    }

    // The store refuses to change a record; one changed behind its back is found out.
    let table = match &place {
        Place::Sqlite(_) => "inbox_audit",
        Place::Postgres(_) => "archbench_audit",
    };
    let refused = place
        .tamper(&format!("UPDATE {table} SET line = line WHERE seq = 5"))
        .await;
    assert!(refused.unwrap_err().contains("append-only"));
    let edit = match &place {
        Place::Sqlite(_) => {
            "DROP TRIGGER inbox_audit_no_update;
             UPDATE inbox_audit SET line = replace(line, 'handed off', 'rejected') WHERE seq = (SELECT min(seq) FROM inbox_audit WHERE line LIKE '%review_settled%');"
        }
        Place::Postgres(_) => {
            "ALTER TABLE archbench_audit DISABLE TRIGGER archbench_audit_append_only;
             UPDATE archbench_audit SET line = replace(line, 'handed off', 'rejected') WHERE seq = (SELECT min(seq) FROM archbench_audit WHERE line LIKE '%review_settled%');"
        }
    };
    place.tamper(edit).await.unwrap();
    let (bytes, head) = inbox.audit_chain().await.unwrap();
    let problems = audit::verify_bytes(&bytes, Some(head)).unwrap_err();
    assert!(!problems.is_empty());
}

async fn enqueued_reviews_are_listed_oldest_first_with_what_a_reviewer_needs(place: Place) {
    let inbox = place.open().await;
    three(&inbox).await;
    let rows = inbox.list(&Filter::default(), t(10)).await.unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["r-1", "r-2", "r-3"]);
    let first = &rows[0];
    assert_eq!(first.role, "database_architect");
    assert_eq!(first.title, "Bookstore");
    assert_eq!(rows[2].title, "Telemetry: 2M devices");
    assert_eq!(first.status, "pending");
    assert_eq!(first.decision, "unique");
    assert_eq!(
        first.check.as_deref(),
        Some("3 statements · 3 applied · 0 errors")
    );
    assert_eq!(rows[1].check, None);
    assert_eq!(first.created_at, t(0));
    assert_eq!(first.origin, origin());
    assert_eq!(first.claimed_by, None);
    // Everything the workbench needs to open it is kept whole.
    let (_, kept) = inbox.get("r-1").await.unwrap();
    assert_eq!(
        kept,
        review("r-1", "database_architect", "# Bookstore\n\n340 tenants.")
    );
    // The same review left again (a replay) is left once; another under its id is refused.
    let same = review("r-1", "database_architect", "# Bookstore\n\n340 tenants.");
    assert_eq!(
        inbox.enqueue(&same, &origin(), None, t(1)).await.unwrap(),
        "r-1"
    );
    assert_eq!(inbox.list(&Filter::default(), t(5)).await.unwrap().len(), 3);
    let again = inbox
        .enqueue(
            &review("r-1", "database_architect", "x"),
            &origin(),
            None,
            t(5),
        )
        .await;
    assert!(again.unwrap_err().contains("another review has its id r-1"));
}

async fn a_claimed_review_says_by_whom_and_an_action_settles_it_once(place: Place) {
    let inbox = place.open().await;
    three(&inbox).await;
    let claim = inbox.claim("r-1", "ada", LEASE, t(10)).await.unwrap();
    let rows = inbox.list(&Filter::default(), t(11)).await.unwrap();
    assert_eq!(rows[0].status, "claimed");
    assert_eq!(rows[0].claimed_by.as_deref(), Some("ada"));
    assert_eq!(rows[0].claimed_at, Some(t(10)));
    inbox
        .settle(&claim, "handed off to backup_disaster_specialist", t(12))
        .await
        .unwrap();
    // The same settlement again (a replay) is done already; another is refused.
    inbox
        .settle(&claim, "handed off to backup_disaster_specialist", t(13))
        .await
        .unwrap();
    let again = inbox.settle(&claim, "handed off again", t(13)).await;
    assert_eq!(
        again,
        Err(Refused::Settled {
            by: "ada".into(),
            outcome: "handed off to backup_disaster_specialist".into()
        })
    );
    let left: Vec<String> = inbox
        .list(&Filter::default(), t(14))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(left, ["r-2", "r-3"], "a settled review leaves the inbox");
    let all = inbox
        .list(
            &Filter {
                all: true,
                ..Filter::default()
            },
            t(14),
        )
        .await
        .unwrap();
    assert_eq!(all[0].status, "settled");
    assert_eq!(
        inbox.claim("r-1", "bea", LEASE, t(15)).await,
        Err(Refused::Settled {
            by: "ada".into(),
            outcome: "handed off to backup_disaster_specialist".into()
        })
    );
    assert_eq!(
        inbox.claim("r-9", "bea", LEASE, t(15)).await,
        Err(Refused::Missing)
    );
}

async fn two_reviewers_race_for_one_review_and_one_wins(place: Place) {
    let (ada, bea) = (place.open().await, place.open().await);
    three(&ada).await;
    let (a, b) = tokio::join!(
        ada.claim("r-2", "ada", LEASE, t(10)),
        bea.claim("r-2", "bea", LEASE, t(10))
    );
    let (winner, loser, refused) = match (a, b) {
        (Ok(claim), Err(refused)) => (claim, "bea", refused),
        (Err(refused), Ok(claim)) => (claim, "ada", refused),
        other => panic!("exactly one claim must win: {other:?}"),
    };
    assert_eq!(
        refused,
        Refused::Taken {
            by: winner.by.clone(),
            since: t(10)
        },
        "{loser} is told who has it"
    );
    assert!(refused
        .to_string()
        .starts_with(&format!("being reviewed by {} since", winner.by)));
    // The loser cannot act on it with a claim of their own making either.
    let forged = archbench::store::inbox::Claim {
        by: loser.into(),
        token: "guessed".into(),
        ..winner.clone()
    };
    let handle = if loser == "ada" { &ada } else { &bea };
    assert!(matches!(
        handle.settle(&forged, "rejected", t(11)).await,
        Err(Refused::Taken { .. })
    ));
    let handle = if loser == "ada" { &bea } else { &ada };
    handle.settle(&winner, "rejected", t(12)).await.unwrap();
}

async fn a_dead_reviewers_lease_lapses_and_the_review_returns(place: Place) {
    let (ada, bea) = (place.open().await, place.open().await);
    three(&ada).await;
    let dead = ada.claim("r-1", "ada", LEASE, t(10)).await.unwrap();
    // Renewed while ada works…
    let renewed = ada.renew(&dead, LEASE, t(50)).await.unwrap();
    assert_eq!(renewed.until, t(110));
    assert!(matches!(
        bea.claim("r-1", "bea", LEASE, t(100)).await,
        Err(Refused::Taken { .. })
    ));
    // …then ada's process dies: nobody renews, the lease lapses, the review is free again.
    assert_eq!(
        bea.list(&Filter::default(), t(111)).await.unwrap()[0].status,
        "pending"
    );
    let taken = bea.claim("r-1", "bea", LEASE, t(111)).await.unwrap();
    // Ada's claim is lost: her renewal and her action are refused, saying why.
    assert!(matches!(
        ada.renew(&renewed, LEASE, t(112)).await,
        Err(Refused::Taken { ref by, .. }) if by == "bea"
    ));
    assert!(matches!(
        ada.settle(&renewed, "handed off", t(112)).await,
        Err(Refused::Taken { ref by, .. }) if by == "bea"
    ));
    bea.settle(&taken, "handed off", t(113)).await.unwrap();
    // A lease that lapsed with nobody else claiming still lets its holder act.
    let slow = ada.claim("r-3", "ada", LEASE, t(120)).await.unwrap();
    ada.settle(&slow, "rejected", t(500)).await.unwrap();
    // A reviewer whose workbench died opens their review again at once; the old claim is lost.
    let first = bea.claim("r-2", "bea", LEASE, t(130)).await.unwrap();
    let again = bea.claim("r-2", "bea", LEASE, t(131)).await.unwrap();
    assert!(matches!(
        bea.settle(&first, "rejected", t(132)).await,
        Err(Refused::Taken { .. })
    ));
    bea.release(&again).await.unwrap();
    // A claim let go is lost to its holder even if nobody took the review since.
    let let_go = ada.claim("r-2", "ada", LEASE, t(600)).await.unwrap();
    ada.release(&let_go).await.unwrap();
    assert_eq!(
        ada.settle(&let_go, "rejected", t(601)).await,
        Err(Refused::Lost)
    );
}

async fn the_next_review_goes_to_one_reviewer_each(place: Place) {
    let producer = place.open().await;
    for i in 0..12 {
        producer
            .enqueue(
                &review(&format!("q-{i:02}"), "database_architect", "b"),
                &origin(),
                None,
                t(i),
            )
            .await
            .unwrap();
    }
    let mut reviewers = Vec::new();
    for _ in 0..4 {
        reviewers.push(place.open().await);
    }
    // Four reviewers take the next review at the same moment until none is left.
    let settled =
        futures_util::future::join_all(reviewers.iter().enumerate().map(|(n, inbox)| async move {
            let mut mine = Vec::new();
            while let Some(claim) = inbox
                .claim_next(&format!("reviewer-{n}"), None, LEASE, t(100))
                .await
                .unwrap()
            {
                inbox.settle(&claim, "handed off", t(101)).await.unwrap();
                mine.push(claim.id);
            }
            mine
        }))
        .await;
    let mut all: Vec<String> = settled.into_iter().flatten().collect();
    all.sort();
    let expected: Vec<String> = (0..12).map(|i| format!("q-{i:02}")).collect();
    assert_eq!(all, expected, "each review handed off exactly once");
    assert!(producer
        .list(&Filter::default(), t(102))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        producer
            .claim_next("late", None, LEASE, t(103))
            .await
            .unwrap(),
        None
    );
}

async fn filters_by_role_and_age(place: Place) {
    let inbox = place.open().await;
    three(&inbox).await;
    let ids = |rows: Vec<archbench::store::inbox::Row>| {
        rows.into_iter().map(|r| r.id).collect::<Vec<_>>()
    };
    let role = Filter {
        role: Some("database_architect".into()),
        ..Filter::default()
    };
    assert_eq!(ids(inbox.list(&role, t(10)).await.unwrap()), ["r-1", "r-3"]);
    let old = Filter {
        older_than: Some(Duration::from_secs(9)),
        ..Filter::default()
    };
    assert_eq!(ids(inbox.list(&old, t(10)).await.unwrap()), ["r-1"]);
    let first = Filter {
        limit: Some(2),
        ..Filter::default()
    };
    assert_eq!(
        ids(inbox.list(&first, t(10)).await.unwrap()),
        ["r-1", "r-2"]
    );
    let next = inbox
        .claim_next("ada", Some("fullstack_developer"), LEASE, t(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.id, "r-2");
}

async fn a_review_enqueued_elsewhere_is_heard_at_once(place: Place) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (url, sqlite) = match &place {
        Place::Sqlite(dir) => (None, dir.path().join("sessions.db")),
        Place::Postgres(url) => (Some(url.clone()), std::path::PathBuf::from("/nonexistent")),
    };
    // The store exists (and is migrated) before anyone listens, as once any archbench ran.
    let producer = place.open().await;
    let listening = tokio::spawn(async move {
        archbench::store::inbox::watch(url.as_deref(), &sqlite, move || tx.send(()).is_ok()).await
    });
    // Told once listening starts (a listener that reconnects says so), then for each review.
    tokio::time::timeout(common::PATIENCE, rx.recv())
        .await
        .unwrap();
    producer
        .enqueue(
            &review("n-1", "database_architect", "b"),
            &origin(),
            None,
            t(0),
        )
        .await
        .unwrap();
    let heard = tokio::time::timeout(common::PATIENCE, rx.recv()).await;
    assert_eq!(heard.unwrap(), Some(()), "the enqueue was heard");
    listening.abort();
}

async fn a_review_is_found_by_the_start_of_its_id(place: Place) {
    let inbox = place.open().await;
    three(&inbox).await;
    assert_eq!(inbox.get("r-3").await.unwrap().0.id, "r-3");
    let many = inbox.get("r-").await.unwrap_err();
    assert!(many.contains("give more of the id"), "{many}");
    let none = inbox.get("zz").await.unwrap_err();
    assert!(none.contains("archbench inbox list"), "{none}");
}

/// Several archbench meeting a new team store at once: each finds it migrated, none fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_team_store_is_migrated_once_by_whoever_comes_first() {
    let url = common::pg::fresh_database().await;
    let opened = futures_util::future::join_all(
        (0..4).map(|_| Inbox::open(Some(&url), std::path::Path::new("/nonexistent"))),
    )
    .await;
    for inbox in &opened {
        assert!(inbox.is_ok(), "{:?}", inbox.as_ref().err());
    }
    let (admin, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let versions: Vec<i32> = admin
        .query("SELECT version FROM archbench_migrations ORDER BY 1", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, [1, 2, 3], "each version applied once");
}

#[tokio::test]
async fn a_store_url_that_does_not_parse_or_answer_says_so() {
    let err = Inbox::open(
        Some("postgresql://host:notaport/db"),
        std::path::Path::new("/x"),
    )
    .await
    .err()
    .unwrap();
    assert!(err.contains("does not parse"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "host={} port=1 user=nobody dbname=none connect_timeout=5",
        dir.path().display()
    );
    let err = Inbox::open(Some(&url), std::path::Path::new("/x"))
        .await
        .err()
        .unwrap();
    assert!(err.contains("cannot reach the team store"), "{err}");
}

const ANSWER: &str = "# Design\n\nOne database.\n\nDECISION: backup_disaster_specialist\n";

/// `archbench run --approve inbox` against a loopback model: the exit code, standard error, and
/// standard output.
fn run_to_inbox(home: &common::home::Home, store: &[&str]) -> (i32, String, String) {
    use common::server::{openai_sse, Reply, Server};
    let server = Server::start(vec![Reply::Stream(vec![openai_sse(ANSWER, 50, "stop")])]);
    let brief = home.path().join("brief.md");
    std::fs::write(&brief, "# Bookstore\n\n340 tenants, RPO 5 min.").unwrap();
    let out = home
        .command()
        .args([
            "run",
            "--approve",
            "inbox",
            "--json",
            "--provider",
            "openai",
        ])
        .args(["--model", "m", "--base-url", &server.base_url(), "--brief"])
        .arg(&brief)
        .args(store)
        .env("OPENAI_API_KEY", "k")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The binary with `args`, then `store` (the team store's flag, or none).
fn archbench(home: &common::home::Home, args: &[&str], store: &[&str]) -> std::process::Output {
    home.command().args(args).args(store).output().unwrap()
}

fn inbox_list(home: &common::home::Home, store: &[&str]) -> Vec<serde_json::Value> {
    let out = archbench(home, &["inbox", "list", "--json"], store);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn a_headless_run_leaves_its_review_waiting(store: &[&str]) {
    let home = common::home::Home::new();
    let (code, stderr, stdout) = run_to_inbox(&home, store);
    assert_eq!(code, 12, "{stderr}");
    let told: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let id = told["pending_review"].as_str().unwrap().to_string();
    assert!(
        stderr.contains(&format!("waiting for review: {id}")),
        "{stderr}"
    );
    let rows = inbox_list(&home, store);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!(row["id"], id.as_str());
    assert_eq!(row["role"], "database_architect");
    assert_eq!(row["title"], "Bookstore");
    assert_eq!(row["status"], "pending");
    assert_eq!(row["decision"], "unique");
    assert_eq!(row["claimed_by"], serde_json::Value::Null);
    assert_eq!(row["origin"]["how"], "run --approve inbox");
    assert!(row["created_at"].as_str().unwrap().starts_with("20"));
    // Nothing was handed off: the outbox is empty.
    let outbox = home.archbench_data().join("outbox");
    assert!(std::fs::read_dir(&outbox).map_or(true, |mut d| d.next().is_none()));
    // The store's audit chain tells of it; a team's, of the whole run too: each record of this
    // machine's audit log, then the review left.
    let logged = std::fs::read_to_string(home.archbench_data().join("audit.jsonl"))
        .unwrap()
        .lines()
        .count();
    let chained = if store.is_empty() { 1 } else { logged + 1 };
    let out = archbench(&home, &["inbox", "verify"], store);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains(&format!("{chained} records, the chain is intact")),
        "{logged} in the log: {said}"
    );
    // Read as a table: what the run did, by whom, and the review left.
    let out = archbench(&home, &["inbox", "history"], store);
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{table}");
    let enqueued = table
        .lines()
        .find(|l| l.contains("review_enqueued"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(enqueued.contains(&format!("review={id}")), "{table}");
    if !store.is_empty() {
        let started = table
            .lines()
            .find(|l| l.contains("run_started"))
            .unwrap_or_else(|| panic!("{table}"));
        assert!(started.contains("@"), "who and where it ran: {table}");
        // This machine's log edited after its records were sent: the team's copy finds it.
        let log = home.archbench_data().join("audit.jsonl");
        let mut lines: Vec<String> = std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        // Its second record given a byte more (still JSON): not the line that was sent.
        lines[1] = lines[1].replacen("\"seq\":2", "\"seq\": 2", 1);
        std::fs::write(&log, lines.join("\n") + "\n").unwrap();
        let out = archbench(&home, &["inbox", "verify"], store);
        let told = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{told}");
        assert!(
            told.contains("it copies record 2 of this machine's audit log"),
            "{told}"
        );
    }
    if store.is_empty() {
        // Its record edited behind the store's back: found out, exit 5.
        rusqlite::Connection::open(home.archbench_data().join("sessions.db"))
            .unwrap()
            .execute_batch(
                "DROP TRIGGER inbox_audit_no_update;
                 UPDATE inbox_audit SET line = replace(line, 'Bookstore', 'Bakery');",
            )
            .unwrap();
        let out = archbench(&home, &["inbox", "verify"], &[]);
        let told = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{told}");
        assert!(told.contains("record 1:"), "{told}");
        assert!(told.contains("tampered with (1 problem(s))"), "{told}");
    }
}

#[test]
fn a_headless_run_leaves_its_review_in_this_machines_inbox() {
    a_headless_run_leaves_its_review_waiting(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headless_run_leaves_its_review_in_the_teams_inbox() {
    let url = common::pg::fresh_database().await;
    tokio::task::spawn_blocking(move || {
        a_headless_run_leaves_its_review_waiting(&["--store-url", &url]);
    })
    .await
    .unwrap();
}

#[test]
fn a_store_url_with_a_password_is_refused_before_anything_runs() {
    let home = common::home::Home::new();
    let (code, stderr, _) = run_to_inbox(
        &home,
        &["--store-url", "postgresql://ada:secret@db/archbench"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("holds a password") && stderr.contains("PGPASSWORD"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("secret"),
        "the password is not repeated: {stderr}"
    );
    std::fs::write(
        home.config_dir().join("config.toml"),
        "[store]\nurl = \"postgresql://ada:secret@db/archbench\"\n",
    )
    .unwrap();
    let out = archbench(&home, &["inbox", "list"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("config.toml:2") && stderr.contains("store.url holds a password"),
        "{stderr}"
    );
}

/// What a pipeline left is someone else's text: `inbox list` shows its escapes, never sends them.
#[tokio::test]
async fn the_list_shows_a_hostile_title_without_acting_on_it() {
    let home = common::home::Home::new();
    let inbox = Inbox::open(None, &home.archbench_data().join("sessions.db"))
        .await
        .unwrap();
    let hostile = "\x1b]52;c;cm0gLXJmIH4=\x07Bookstore \x1b[2J\x1b[31mred";
    inbox
        .enqueue(
            &review("h-1", "database_architect", hostile),
            &origin(),
            None,
            Utc::now(),
        )
        .await
        .unwrap();
    let out = archbench(&home, &["inbox", "list"], &[]);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        shown.contains("h-1") && shown.contains("Bookstore"),
        "{shown}"
    );
    assert!(
        !shown.contains('\x1b') && !shown.contains('\x07'),
        "{shown:?}"
    );
}

#[test]
fn an_empty_inbox_says_how_one_is_filled() {
    let home = common::home::Home::new();
    let out = archbench(&home, &["inbox", "list"], &[]);
    assert!(out.status.success());
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("No review waits") && shown.contains("--approve inbox"),
        "{shown}"
    );
}

/// The team store drops every connection mid-review, as a restart or a failover does: the
/// claim lives in the store, so the reviewer's next step goes through on a new connection,
/// once; the listener comes back and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_survives_the_store_dropping_every_connection() {
    let url = common::pg::fresh_database().await;
    let place = Place::Postgres(url.clone());
    let (ada, producer) = (place.open().await, place.open().await);
    three(&producer).await;
    let claim = ada.claim("r-1", "ada", LEASE, t(10)).await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let listening = {
        let url = url.clone();
        tokio::spawn(async move {
            archbench::store::inbox::watch(Some(&url), std::path::Path::new("/x"), move || {
                tx.send(()).is_ok()
            })
            .await
        })
    };
    tokio::time::timeout(common::PATIENCE, rx.recv())
        .await
        .unwrap();

    let (admin, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let dropped: i64 = admin
        .query_one(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()) t",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        dropped >= 3,
        "ada's, the producer's and the listener's: {dropped}"
    );

    // Ada renews and acts as if nothing happened; nothing is done twice.
    let renewed = ada.renew(&claim, LEASE, t(20)).await.unwrap();
    ada.settle(&renewed, "handed off", t(21)).await.unwrap();
    assert!(matches!(
        ada.settle(&renewed, "rejected", t(22)).await,
        Err(Refused::Settled { .. })
    ));
    let left: Vec<String> = producer
        .list(&Filter::default(), t(23))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(left, ["r-2", "r-3"]);
    // The listener is back (it says so), and hears the next review.
    tokio::time::timeout(common::PATIENCE, rx.recv())
        .await
        .unwrap();
    producer
        .enqueue(
            &review("r-4", "database_architect", "b"),
            &origin(),
            None,
            t(24),
        )
        .await
        .unwrap();
    assert_eq!(
        tokio::time::timeout(common::PATIENCE, rx.recv())
            .await
            .unwrap(),
        Some(())
    );
    listening.abort();
}

/// The store's password comes from a command, like a provider's key: one that fails is named,
/// what it printed is not repeated, and nothing is read from the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_password_command_is_named_and_its_output_never_shown() {
    let url = common::pg::fresh_database().await;
    let home = common::home::Home::new();
    std::fs::write(
        home.config_dir().join("config.toml"),
        format!(
            "[store]\nurl = \"{url}\"\npassword_cmd = \"printf hunter2; echo locked >&2; exit 3\"\n"
        ),
    )
    .unwrap();
    let out = tokio::task::spawn_blocking(move || {
        let out = archbench(&home, &["inbox", "list"], &[]);
        drop(home);
        out
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(9), "{stderr}");
    assert!(
        stderr.contains("the team store's password")
            && stderr.contains("printf hunter2; echo locked >&2; exit 3")
            && stderr.contains("locked"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("hunter2").count(),
        1,
        "only in the command's own text: {stderr}"
    );
}

#[test]
fn bad_input_to_inbox_list_says_what_to_write() {
    let home = common::home::Home::new();
    let out = archbench(&home, &["inbox", "list", "--older-than", "two hours"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("write 90s, 30m, 2h or 3d"), "{stderr}");
    // A team store that does not answer: said, with nothing listed.
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "host={} port=1 user=nobody dbname=none connect_timeout=5",
        dir.path().display()
    );
    let out = archbench(&home, &["inbox", "list", "--store-url", &url], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(9), "{stderr}");
    assert!(stderr.contains("cannot reach the team store"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_left_while_the_team_store_is_down_reaches_it_when_it_answers() {
    let home = common::home::Home::new();
    let relay = common::pg::Relay::start().await;
    let url = relay.url(&common::pg::fresh_database().await);
    // Reached once (the schema made), then the store goes away.
    assert!(inbox_list(&home, &["--store-url", &url]).is_empty());
    relay.stop();
    let (code, stderr, stdout) = run_to_inbox(&home, &["--store-url", &url]);
    assert_eq!(code, 12, "{stderr}");
    assert!(
        stderr.contains("the team store cannot be reached: the review is kept on this machine"),
        "{stderr}"
    );
    let told: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let id = told["pending_review"].as_str().unwrap().to_string();
    let out = archbench(&home, &["inbox", "sync", "--store-url", &url], &[]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(9), "{said}");
    assert!(
        said.contains("kept on this machine for the team store, sent when it answers"),
        "{said}"
    );

    relay.restart();
    let out = archbench(&home, &["inbox", "sync", "--store-url", &url], &[]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains(&format!(
            "sent to the team store: review {id} left in the inbox"
        )),
        "{said}"
    );
    // Once: listed once, and a second sync has nothing to send.
    let rows = inbox_list(&home, &["--store-url", &url]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["id"], id.as_str());
    let out = archbench(&home, &["inbox", "sync", "--store-url", &url], &[]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A store that refuses who asks is not waited for: said, the answer kept.
    let wrong = relay
        .url(&common::pg::fresh_database().await)
        .replace("user=", "user=nobody_");
    let (code, stderr, _) = run_to_inbox(&home, &["--store-url", &wrong]);
    assert_eq!(code, 9, "{stderr}");
    assert!(
        stderr.contains("the team store refused the connection")
            && stderr.contains("nothing was handed off; the answer is kept"),
        "{stderr}"
    );
    let sessions = archbench(&home, &["sessions", "list", "--json"], &[]);
    assert!(
        String::from_utf8_lossy(&sessions.stdout).contains("complete"),
        "the answers are in the session store: {}",
        String::from_utf8_lossy(&sessions.stdout)
    );
}

/// A fake store on 127.0.0.1: it records the first message a client sends, answers an SSLRequest
/// with `S` and then bytes that are no TLS handshake, and hangs up. Bounded in time.
fn fake_store() -> (u16, std::sync::mpsc::Receiver<Vec<u8>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut first = [0u8; 8];
        if stream.read_exact(&mut first).is_ok() {
            let _ = tx.send(first.to_vec());
            let ssl_request = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
            if first == ssl_request {
                let _ = stream.write_all(b"Snot a tls handshake at all");
            }
        }
    });
    (port, rx)
}

/// Over the network the team store is asked for TLS, and what answers is held to it: a server
/// that says yes and then speaks no TLS is refused. `sslmode=disable` asks nothing.
#[tokio::test]
async fn over_the_network_the_team_store_is_reached_over_tls() {
    let (port, first) = fake_store();
    let url = format!("host=127.0.0.1 port={port} user=ada dbname=team connect_timeout=5");
    let err = Inbox::open(Some(&url), std::path::Path::new("/x"))
        .await
        .err()
        .unwrap();
    assert!(
        err.contains("the team store refused the connection: error performing TLS handshake"),
        "{err}"
    );
    let asked = first.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(
        asked,
        [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f],
        "an SSLRequest first"
    );

    let (port, first) = fake_store();
    let url = format!(
        "host=127.0.0.1 port={port} user=ada dbname=team sslmode=disable connect_timeout=5"
    );
    assert!(Inbox::open(Some(&url), std::path::Path::new("/x"))
        .await
        .is_err());
    let asked = first.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(
        &asked[4..8],
        &[0, 3, 0, 0],
        "a plain startup message (protocol 3.0)"
    );
}

#[test]
fn a_ca_file_that_cannot_be_read_is_named() {
    let (port, _first) = fake_store();
    let home = common::home::Home::new();
    std::fs::write(
        home.config_dir().join("config.toml"),
        format!(
            "[store]\nurl = \"host=127.0.0.1 port={port} user=ada dbname=team connect_timeout=5\"\nca_file = \"/no/such/ca.pem\"\n"
        ),
    )
    .unwrap();
    let out = archbench(&home, &["inbox", "list"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(9), "{stderr}");
    assert!(
        stderr.contains("cannot read [store] ca_file /no/such/ca.pem"),
        "{stderr}"
    );
}

/// An approved handoff of review `id`'s answer along the architect's first route.
fn approval(id: &str) -> archbench::routing::Envelope {
    use archbench::routing::envelope::{
        sha256_hex, AttemptRecord, DecidedBy, Notes, ReviewAction, RoleRef, Timestamps,
    };
    let role = archbench::role::RoleBook::load(None)
        .unwrap()
        .get("database_architect")
        .unwrap()
        .clone();
    let response = format!("# Design of {id}\n\nDECISION: fullstack_developer\n");
    let request = archbench::routing::HandoffRequest {
        chain_id: format!("chain-{id}"),
        parent_id: None,
        role: RoleRef {
            id: role.id.clone(),
            title: role.title.clone(),
            prompt_sha256: role.prompt_sha256(),
        },
        provider: archbench::provider::ProviderInfo {
            kind: "openai".into(),
            model: "m".into(),
            endpoint: "http://x/v1".into(),
        },
        parameters: Default::default(),
        brief: "Brief.".into(),
        response: response.clone(),
        seen_sha256: sha256_hex(&response),
        finish_reason: Some(archbench::provider::FinishReason::Stop),
        usage: None,
        options: role.routes.clone(),
        decision: archbench::routing::parse_decision(&response, &role.routes),
        reviewer: archbench::reviewer::Reviewer {
            name: "ada".into(),
            email: None,
            source: "os".into(),
        },
        action: ReviewAction::Confirm,
        chosen: role.routes[0].clone(),
        reason: None,
        target_known: true,
        decided_by: DecidedBy::Human,
        attempts: vec![AttemptRecord {
            number: 1,
            feedback: None,
            response_sha256: sha256_hex(&response),
            finish_reason: None,
        }],
        timestamps: Timestamps {
            run_started: None,
            first_token: None,
            response_completed: None,
            decided: t(30),
            handed_off: None,
        },
        reask: None,
        payload_brief: None,
        check: None,
        notes: Notes::default(),
    };
    archbench::routing::Envelope::build(request, format!("env-{id}"), t(30)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_reviewer_does_while_the_store_is_down_reaches_it_once_when_it_returns() {
    use archbench::sink::{deliver, DeliveryOptions, HandoffError, SinkSpec};
    use archbench::store::inbox::queue::{write_or_owe, Kept, Queue};
    use archbench::store::inbox::Act;
    use archbench::store::ledger::{Ledger, PendingClaim};
    use std::sync::Arc;

    let direct = common::pg::fresh_database().await;
    let relay = common::pg::Relay::start().await;
    let url = relay.url(&direct);
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("sessions.db");
    let outbox = dir.path().join("outbox");
    let nowhere = std::path::Path::new("/nonexistent");
    let producer = Inbox::open(Some(&direct), nowhere).await.unwrap();
    for id in ["r-1", "r-2", "r-3", "r-5"] {
        producer
            .enqueue(
                &review(id, "database_architect", "b"),
                &origin(),
                None,
                t(1),
            )
            .await
            .unwrap();
    }
    // Ada reaches the store through the network; she opens four reviews.
    let ada = Arc::new(Inbox::open(Some(&url), &sessions).await.unwrap());
    let queue = Queue::new(&sessions, &url);
    let mut claims = Vec::new();
    for id in ["r-1", "r-2", "r-3", "r-5"] {
        claims.push(ada.claim(id, "ada", LEASE, t(10)).await.unwrap());
    }
    let [reject, approve, put_back, late] = claims.try_into().unwrap();
    let gate = |claim: &archbench::store::inbox::Claim, queue: Option<Queue>| {
        Ledger::new(&sessions).with_pending(Some(PendingClaim {
            inbox: ada.clone(),
            claim: claim.clone(),
            queue,
        }))
    };
    let options = DeliveryOptions::default();

    relay.stop();
    // She works on: a rejection, two approvals, a review put back, and a headless run on her
    // machine leaves a review; each is kept here, nothing is handed off.
    let owe = |act| write_or_owe(Some(&queue), Ok(ada.clone()), act);
    assert_eq!(
        owe(Act::settle(&reject, "rejected", t(20))).await,
        Ok(Kept::Owed)
    );
    for claim in [&approve, &late] {
        let kept = deliver(
            &approval(&claim.id),
            &gate(claim, Some(queue.clone())),
            &outbox,
            &[SinkSpec::Outbox],
            &options,
            false,
        )
        .await;
        let Err(HandoffError::Queued(said)) = &kept else {
            panic!("{kept:?}")
        };
        assert!(said.contains("waits on this machine"), "{said}");
    }
    assert_eq!(owe(Act::release(&put_back, t(22))).await, Ok(Kept::Owed));
    let headless = Inbox::open(Some(&url), &sessions).await.map(Arc::new);
    assert!(headless.is_err(), "the store is down");
    let act = Act::enqueue(
        &review("r-4", "database_architect", "b"),
        &origin(),
        None,
        t(23),
    )
    .unwrap();
    assert_eq!(
        write_or_owe(Some(&queue), headless, act).await,
        Ok(Kept::Owed)
    );
    assert!(
        !outbox.exists(),
        "nothing handed off while the store is down"
    );
    assert_eq!(queue.len(), 5);

    // Meanwhile Bea, who still reaches the store, takes r-5 once Ada's lease lapsed.
    let bea = Inbox::open(Some(&direct), nowhere).await.unwrap();
    let taken = bea.claim("r-5", "bea", LEASE, t(200)).await.unwrap();
    bea.settle(&taken, "handed off by bea", t(201))
        .await
        .unwrap();

    let hand_off = |envelope, claim, sinks: Vec<SinkSpec>| {
        let ledger = gate(&claim, None);
        let (outbox, options) = (outbox.clone(), options.clone());
        Box::pin(async move {
            deliver(&envelope, &ledger, &outbox, &sinks, &options, false)
                .await
                .map(|_| ())
                .map_err(Into::into)
        }) as futures_util::future::BoxFuture<'static, _>
    };
    // Tried while the store is still down: all of it stays, in order.
    let early = ada.replay(&queue, Some(&hand_off)).await;
    assert_eq!((early.applied.len(), early.left), (0, 5), "{early:?}");

    relay.restart();
    let replayed = ada.replay(&queue, Some(&hand_off)).await;
    assert_eq!(replayed.left, 0, "{replayed:?}");
    assert_eq!(
        replayed.applied,
        [
            "review r-1 settled: rejected",
            "review r-2 handed off to fullstack_developer",
            "review r-3 let go",
            "review r-4 left in the inbox",
        ]
    );
    // Taken by Bea meanwhile: Ada's approval of it is refused, not made.
    assert_eq!(replayed.refused.len(), 1, "{replayed:?}");
    assert!(
        replayed.refused[0].starts_with("review r-5 handed off to fullstack_developer:")
            && replayed.refused[0].contains("already settled by bea"),
        "{replayed:?}"
    );
    assert!(queue.is_empty());

    // Each landed once: one envelope (r-2's), the store as Ada left it.
    let envelopes: Vec<_> = std::fs::read_dir(&outbox).unwrap().flatten().collect();
    assert_eq!(envelopes.len(), 1);
    assert!(std::fs::read_to_string(envelopes[0].path())
        .unwrap()
        .contains("env-r-2"));
    let all = Filter {
        all: true,
        ..Filter::default()
    };
    let rows = producer.list(&all, t(300)).await.unwrap();
    let standing: Vec<(&str, &str, Option<&str>)> = rows
        .iter()
        .map(|r| (r.id.as_str(), r.status.as_str(), r.claimed_by.as_deref()))
        .collect();
    assert_eq!(
        standing,
        [
            ("r-1", "settled", Some("ada")),
            ("r-2", "settled", Some("ada")),
            ("r-3", "pending", None),
            ("r-5", "settled", Some("bea")),
            ("r-4", "pending", None),
        ]
    );

    // Replayed again (a crash before the queue forgot them): nothing new takes effect.
    let (before, _) = producer.audit_chain().await.unwrap();
    for act in [
        Act::settle(&reject, "rejected", t(20)),
        Act::settle(
            &approve,
            "handed off to fullstack_developer (envelope env-r-2)",
            t(30),
        ),
        Act::enqueue(
            &review("r-4", "database_architect", "b"),
            &origin(),
            None,
            t(23),
        )
        .unwrap(),
    ] {
        assert!(ada.write(&act).await.unwrap().is_some_and(|d| !d.fresh));
    }
    let (after, head) = producer.audit_chain().await.unwrap();
    assert_eq!(before, after, "no record twice");
    // One chain: 5 enqueued, 5 claimed (4 by Ada, 1 by Bea), 3 settled, 1 let go.
    let verified = archbench::store::audit::verify_bytes(&after, Some(head)).unwrap();
    assert_eq!(verified.records, 14);
}

/// Two machines' audit logs feed one team chain: every record once, each machine's in its own
/// order, each naming the line of the log it copies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_machines_audit_records_join_the_team_chain_once_and_in_order() {
    use archbench::store::audit::{self, AuditEntry, AuditLog};
    use archbench::store::inbox::queue::{Owed, Queue};
    use archbench::store::inbox::Act;
    let url = common::pg::fresh_database().await;
    let machines: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let logs: Vec<AuditLog> = machines
        .iter()
        .map(|dir| {
            let sessions = dir.path().join("sessions.db");
            AuditLog::new(dir.path().join("audit.jsonl"), Some(sessions.clone()))
                .with_team(Some(Queue::new(&sessions, &url)))
        })
        .collect();
    // Both write at once, and send as they go.
    let writers = logs.iter().cloned().enumerate().map(|(m, log)| {
        let url = url.clone();
        tokio::spawn(async move {
            let inbox = Inbox::open(Some(&url), log.store.as_ref().unwrap())
                .await
                .unwrap();
            let queue = log.team.clone().unwrap();
            for i in 0..10 {
                let entry = AuditEntry {
                    kind: "review_action".into(),
                    chain_id: format!("chain-{m}"),
                    role: "database_architect".into(),
                    attempt: 1,
                    at: t(i),
                    data: serde_json::json!({ "n": i }),
                };
                log.append(&entry).unwrap();
                if i % 3 == 0 {
                    assert_eq!(inbox.replay(&queue, None).await.left, 0);
                }
            }
            assert_eq!(inbox.replay(&queue, None).await.left, 0);
        })
    });
    for writer in futures_util::future::join_all(writers).await {
        writer.unwrap();
    }
    let team = Inbox::open(Some(&url), std::path::Path::new("/nonexistent"))
        .await
        .unwrap();
    let (bytes, head) = team.audit_chain().await.unwrap();
    assert_eq!(audit::verify_bytes(&bytes, Some(head)).unwrap().records, 20);
    // Every line a record: the verifier said so.
    let records = audit::records(&bytes);
    for (m, log) in logs.iter().enumerate() {
        let hashes = audit::line_hashes(&log.path).unwrap();
        let copied: Vec<&audit::AuditRecord> = records
            .iter()
            .filter(|r| r.chain_id == format!("chain-{m}"))
            .collect();
        let seqs: Vec<u64> = copied
            .iter()
            .map(|r| r.data["from"]["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(seqs, (1..=10).collect::<Vec<_>>(), "in the log's order");
        for r in copied {
            let seq = r.data["from"]["seq"].as_u64().unwrap();
            assert_eq!(r.data["from"]["sha256"], hashes[&seq].as_str());
            assert_eq!(
                r.data["from"]["log"],
                audit::log_id(&log.path).unwrap().as_str()
            );
            assert_eq!(r.data["n"], seq - 1);
        }
    }
    // A record sent again (a crash before the queue forgot it) is not taken twice.
    let first = audit::read(&logs[0].path).unwrap().remove(0);
    let appended = audit::Appended {
        sha256: audit::line_hashes(&logs[0].path).unwrap()[&1].clone(),
        record: first.clone(),
    };
    let entry = AuditEntry {
        kind: first.kind,
        chain_id: first.chain_id,
        role: first.role,
        attempt: first.attempt,
        at: first.at,
        data: first.data,
    };
    let queue = logs[0].team.clone().unwrap();
    queue
        .push(&Owed::Act {
            act: Act::record(&entry, &appended, audit::log_id(&logs[0].path)),
        })
        .unwrap();
    let again = team.replay(&queue, None).await;
    assert_eq!((again.records, again.applied.len()), (1, 0));
    let (after, _) = team.audit_chain().await.unwrap();
    assert_eq!(after, bytes, "no record twice");
}

/// A private authority and a certificate it signs for `localhost`, made with openssl in `dir`:
/// (the authority's certificate, the server's certificate, its key).
fn certificates(
    dir: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl (scripts/setup.sh installs it)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=team-ca",
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"][..],
            &ec,
            &[
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost",
            ],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    )
}

/// The team store over TLS, a real PostgreSQL behind it: reached when its certificate verifies
/// against `[store] ca_file`; refused, and not waited for, when it does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_team_store_over_tls_is_trusted_through_its_authority_only() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(dir.path());
    let relay = common::pg::Relay::start_tls(&cert, &key).await;
    let database = common::pg::fresh_database().await;
    let url = relay
        .url(&database)
        .replace("host=127.0.0.1", "host=localhost")
        .replace("sslmode=disable", "sslmode=require");
    // Without the team's authority: the certificate is not trusted, nothing is kept for later.
    let home = common::home::Home::new();
    let out = archbench(&home, &["inbox", "list", "--store-url", &url], &[]);
    let told = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(9), "{told}");
    assert!(
        told.contains("the team store refused the connection: error performing TLS handshake")
            && told.contains("UnknownIssuer"),
        "{told}"
    );
    let (code, stderr, _) = run_to_inbox(&home, &["--store-url", &url]);
    assert_eq!(code, 9, "not kept to retry: {stderr}");

    // With it: the real store answers through TLS, migrated, and the review goes there.
    home.write_config(&format!("[store]\nca_file = \"{}\"\n", ca.display()));
    let (code, stderr, _) = run_to_inbox(&home, &["--store-url", &url]);
    assert_eq!(code, 12, "{stderr}");
    let rows = inbox_list(&home, &["--store-url", &url]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let direct = Inbox::open(Some(&database), std::path::Path::new("/nonexistent"))
        .await
        .unwrap();
    assert_eq!(
        direct
            .list(&Filter::default(), Utc::now())
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Two processes of one machine (a workbench and `archbench inbox`) send the same kept records
/// at once: each record is taken once, and neither is told the store refused one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_kept_records_sent_twice_at_once_are_taken_once() {
    use archbench::store::audit::{self, AuditEntry, AuditLog};
    use archbench::store::inbox::queue::Queue;
    let url = common::pg::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("sessions.db");
    let queue = Queue::new(&sessions, &url);
    let log = AuditLog::new(dir.path().join("audit.jsonl"), Some(sessions.clone()))
        .with_team(Some(queue.clone()));
    for i in 0..40 {
        log.append(&AuditEntry {
            kind: "run_started".into(),
            chain_id: "c".into(),
            role: "database_architect".into(),
            attempt: 1,
            at: t(i),
            data: serde_json::json!({ "n": i }),
        })
        .unwrap();
    }
    let first = Inbox::open(Some(&url), &sessions).await.unwrap();
    let second = Inbox::open(Some(&url), &sessions).await.unwrap();
    let (a, b) = tokio::join!(first.replay(&queue, None), second.replay(&queue, None));
    assert!(a.refused.is_empty() && b.refused.is_empty(), "{a:?} {b:?}");
    assert_eq!(a.left + b.left, 0);
    let (bytes, head) = first.audit_chain().await.unwrap();
    assert_eq!(audit::verify_bytes(&bytes, Some(head)).unwrap().records, 40);
}

// ---- The team's history: runs copied from each machine, read and followed from any ----

fn team_run(key: &str, session: &str, brief: &str) -> archbench::store::sessions::NewRun {
    use archbench::provider::{Params, ProviderInfo};
    archbench::store::sessions::NewRun {
        key: key.into(),
        session_id: session.into(),
        chain_id: format!("chain-{key}"),
        parent_id: None,
        role_id: "database_architect".into(),
        prompt_sha256: "ab".repeat(32),
        provider: ProviderInfo {
            kind: "openai".into(),
            model: "m1".into(),
            endpoint: "http://x/v1".into(),
        },
        parameters: Params::default(),
        brief: brief.into(),
        attempt: 1,
        feedback: None,
        reviewer: "Ada".into(),
        started_at: Utc::now(),
    }
}

fn ended() -> archbench::store::sessions::RunEnd {
    archbench::store::sessions::RunEnd {
        status: "complete".into(),
        finish_reason: Some("stop".into()),
        usage: None,
        decision: Some(serde_json::json!({"status": "unique"})),
        first_token_at: None,
        completed_at: Utc::now(),
    }
}

#[tokio::test]
async fn a_runs_copy_reaches_the_team_whole_once_and_never_goes_back() {
    use archbench::store::inbox::copying::{join, Copier};
    use archbench::store::inbox::PgInbox;
    use archbench::store::sessions::{Progress, Store};
    let url = common::pg::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.db");
    let mut store = Store::open(&path).unwrap();
    // A run from before this machine joined the team stays here.
    let mut old = team_run("w0:1", "s-old", "# Old\nkept here");
    old.started_at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
    store.begin_run(&old).unwrap();
    join(&path, &url).unwrap();
    let id = store
        .begin_run(&team_run("w1:1", "s-team", "# Ledger\nfor 40 tenants"))
        .unwrap();
    store
        .append(id, &["## Schema\n".into(), "CREATE TABLE t ();\n".into()])
        .unwrap();
    let mut copier = Copier::new(&url, &path);
    assert_eq!(copier.pass().await.unwrap(), 1, "the new run only");
    let team = PgInbox::connect(&url).await.unwrap();
    let runs = team.runs(10).await.unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].run.status, "running");
    assert_eq!(runs[0].run.bytes, 29);
    assert_eq!(runs[0].run.brief_first_line, "# Ledger");
    let team_id = runs[0].run.id;

    // A copy taken now and sent after the run moved on is older than the store's: not taken.
    let stale = store.copy_of(id, Progress::default()).unwrap().unwrap();
    store.append(id, &["DECISION: end".into()]).unwrap();
    store.end_run(id, &ended()).unwrap();
    store
        .event(
            Some(id),
            Utc::now(),
            "review_action",
            &serde_json::json!({"action": "approve"}),
        )
        .unwrap();
    // Two processes of this machine copying at once take it once.
    let mut other = Copier::new(&url, &path);
    let (a, b) = tokio::join!(copier.pass(), other.pass());
    assert!(a.unwrap() + b.unwrap() >= 1);
    team.put_run(&stale, "someone@else").await.unwrap();

    let (machine, run) = team.run(team_id).await.unwrap().unwrap();
    assert_eq!(machine, Origin::here("").who);
    assert_eq!(run.status, "complete");
    assert_eq!(run.answer, "## Schema\nCREATE TABLE t ();\nDECISION: end");
    assert_eq!(run.events.len(), 1, "{:?}", run.events);
    assert_eq!(run.events[0].data["action"], "approve");
    let pieces = team.pieces_after(team_id, None).await.unwrap();
    assert_eq!(
        pieces.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        [0, 1, 2],
        "each piece once"
    );
    // Nothing changed: nothing sent; the team has the one run.
    assert_eq!(copier.pass().await.unwrap(), 0);
    assert_eq!(team.runs(10).await.unwrap().len(), 1);
    let found = team.search_runs("ledger TABLE", 10).await.unwrap();
    assert_eq!(found.len(), 1);
    assert!(team
        .search_runs("ledger absent", 10)
        .await
        .unwrap()
        .is_empty());
    assert!(team.search_runs("100%", 10).await.unwrap().is_empty());
    // Its second attempt, asked for with feedback: the conversation reads both, in order.
    let second = store
        .begin_run(&archbench::store::sessions::NewRun {
            attempt: 2,
            chain_id: "chain-w1:1".into(),
            feedback: Some("and the indexes?".into()),
            ..team_run("w1:2", "s-team", "# Ledger\nfor 40 tenants")
        })
        .unwrap();
    store.end_run(second, &ended()).unwrap();
    assert_eq!(copier.pass().await.unwrap(), 1);
    let newest = team.runs(1).await.unwrap()[0].run.id;
    let conversation = team.conversation(newest).await.unwrap();
    assert_eq!(
        conversation
            .iter()
            .map(|r| (r.id, r.attempt))
            .collect::<Vec<_>>(),
        [(team_id, 1), (newest, 2)]
    );
}

#[tokio::test]
async fn a_session_running_on_one_machine_is_followed_live_from_another() {
    use archbench::store::follow::{follow_team, Watch};
    use archbench::store::inbox::copying::{join, keep_copying};
    use archbench::store::sessions::Store;
    let url = common::pg::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.db");
    join(&path, &url).unwrap();
    let copying = tokio::spawn(keep_copying(url.clone(), path.clone(), |_| {}));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let follower = tokio::spawn(follow_team(url.clone(), Some("feed".into()), move |w| {
        tx.send(w).is_ok()
    }));
    let mut store = Store::open(&path).unwrap();
    let id = store
        .begin_run(&team_run("w2:1", "feed-42", "# Feed\nfollowed from afar"))
        .unwrap();
    let pieces = [
        "## One\n",
        "rows by tenant\n",
        "## Two\n",
        "DECISION: end\n",
    ];
    let mut seen = String::new();
    let mut started = None;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    // Each piece is written once the follower has seen the one before: live, not at the end.
    for piece in pieces {
        store.append(id, &[piece.to_string()]).unwrap();
        while !seen.ends_with(piece) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match tokio::time::timeout(left, rx.recv()).await {
                Ok(Some(Watch::Started(run))) => started = Some(run),
                Ok(Some(Watch::Pieces(p))) => seen.push_str(&p.concat()),
                Ok(Some(other)) => panic!("{other:?} before the end"),
                _ => panic!("the follower saw {seen:?} of the answer in time"),
            }
        }
    }
    store.end_run(id, &ended()).unwrap();
    let end = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(Watch::Ended { status, .. })) => break status,
            Ok(Some(Watch::Pieces(p))) => panic!("pieces after all were seen: {p:?}"),
            Ok(Some(_)) => {}
            _ => panic!("the end was not seen in time"),
        }
    };
    assert_eq!(end, "complete");
    assert_eq!(seen, pieces.concat());
    let started = started.expect("the run's start");
    assert_eq!(started.session_id, "feed-42");
    assert_eq!(started.brief, "# Feed\nfollowed from afar");
    follower.abort();
    copying.abort();
}

/// A headless run on the machine of `user`, against the team store `url`.
fn run_as(user: &str, url: &str, brief: &str) -> (i32, String) {
    let home = common::home::Home::new();
    let out = run_as_in(&home, user, url, brief);
    std::mem::forget(home);
    out
}

fn run_as_in(home: &common::home::Home, user: &str, url: &str, brief: &str) -> (i32, String) {
    use common::server::{openai_sse, Reply, Server};
    let server = Server::start(vec![Reply::Stream(vec![openai_sse(ANSWER, 50, "stop")])]);
    let file = home.path().join("brief.md");
    std::fs::write(&file, brief).unwrap();
    let out = home
        .command()
        .args(["run", "--approve", "inbox", "--provider", "openai"])
        .args(["--model", "m", "--base-url", &server.base_url(), "--brief"])
        .arg(&file)
        .args(["--store-url", url])
        .env("OPENAI_API_KEY", "k")
        .env("USER", user)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn team_sessions(home: &common::home::Home, args: &[&str]) -> (i32, String, String) {
    let out = home.command().arg("sessions").args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn runs_on_two_machines_are_one_history_read_from_a_third() {
    let url = common::pg::fresh_database().await;
    let (code, said) = run_as("ada", &url, "# Bookstore\n\n340 tenants");
    assert_eq!(code, 12, "{said}");
    let (code, said) = run_as("bea", &url, "# Ledger\n\nRPO 5 min, \u{1b}]0;owned\u{7}");
    assert_eq!(code, 12, "{said}");

    let third = common::home::Home::new();
    let (code, out, err) = team_sessions(&third, &["list", "--json", "--store-url", &url]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let machines: Vec<&str> = rows
        .iter()
        .map(|r| r["machine"].as_str().unwrap())
        .collect();
    assert!(
        machines[0].starts_with("bea@") && machines[1].starts_with("ada@"),
        "{machines:?}"
    );
    assert!(
        rows.iter()
            .all(|r| r["status"] == "complete" && r["bytes"] == ANSWER.len()),
        "{rows:?}"
    );
    // The table names each run's machine, and shows a hostile brief without acting on it.
    let (code, out, err) = team_sessions(&third, &["list", "--store-url", &url]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("machine") && out.contains("ada@") && out.contains("bea@"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'), "{out:?}");
    // One run whole, from the machine that did not make it.
    let id = rows[1]["id"].as_i64().unwrap().to_string();
    let (code, out, err) = team_sessions(&third, &["show", &id, "--json", "--store-url", &url]);
    assert_eq!(code, 0, "{err}");
    let run: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(run["answer"], ANSWER);
    assert_eq!(run["brief"], "# Bookstore\n\n340 tenants");
    assert!(!run["events"].as_array().unwrap().is_empty(), "{run}");
    let (code, out, _) = team_sessions(
        &third,
        &["search", "bookstore", "--json", "--store-url", &url],
    );
    assert_eq!(code, 0);
    let found: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    // This machine's own history is apart, and asked for with --local.
    let (code, _, err) = team_sessions(&third, &["list", "--local"]);
    assert_eq!(code, 0);
    assert!(err.contains("No runs kept yet"), "{err}");
    let (code, _, err) = team_sessions(&third, &["show", "99999", "--store-url", &url]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no run #99999 in the team's history"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_made_while_the_team_store_is_down_joins_its_history_once_when_it_answers() {
    let home = common::home::Home::new();
    let relay = common::pg::Relay::start().await;
    let url = relay.url(&common::pg::fresh_database().await);
    assert!(inbox_list(&home, &["--store-url", &url]).is_empty());
    relay.stop();
    let (code, said) = run_as_in(&home, "ada", &url, "# Offline\n\nmade while away");
    assert_eq!(code, 12, "{said}");
    assert!(
        said.contains("the run is kept on this machine, not yet in the team's history"),
        "{said}"
    );
    let (code, _, err) = team_sessions(&home, &["list", "--store-url", &url]);
    assert_eq!(code, 9, "{err}");
    assert!(
        err.contains("--local reads this machine's history"),
        "{err}"
    );

    relay.restart();
    let out = archbench(&home, &["inbox", "sync", "--store-url", &url], &[]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("sent to the team store: 1 run(s) of this machine's history"),
        "{said}"
    );
    let out = archbench(&home, &["inbox", "sync", "--store-url", &url], &[]);
    assert!(
        out.stderr.is_empty(),
        "nothing more to send: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, out, err) = team_sessions(&home, &["list", "--json", "--store-url", &url]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["status"], "complete");
    assert_eq!(rows[0]["bytes"], ANSWER.len());
}

#[tokio::test]
async fn a_comment_from_a_watcher_on_another_machine_reaches_the_reviewers_workbench() {
    use archbench::review::comments::{Anchor, Comment};
    use archbench::store::follow::shared_comments_in_team;
    use archbench::store::inbox::copying::{join, Copier};
    use archbench::store::inbox::PgInbox;
    use archbench::store::sessions::Store;
    let url = common::pg::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.db");
    join(&path, &url).unwrap();
    let mut store = Store::open(&path).unwrap();
    store
        .begin_run(&team_run("wb-7:1", "s-wb-7", "# Commented\nfrom afar"))
        .unwrap();
    Copier::new(&url, &path).pass().await.unwrap();
    // The reviewer's workbench (instance wb-7) listens; a watcher elsewhere writes.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let listening = tokio::spawn(shared_comments_in_team(
        url.clone(),
        "wb-7".into(),
        move |key, comment| tx.send((key, comment)).is_ok(),
    ));
    let watcher = PgInbox::connect(&url).await.unwrap();
    let comment = Comment {
        anchor: Anchor::Lines { first: 2, last: 3 },
        quote: "rows by tenant".into(),
        text: "partition by month too?".into(),
        author: "bea@laptop".into(),
        at: Utc::now(),
    };
    watcher
        .share_comment(
            "wb-7:1",
            &comment.at.to_rfc3339(),
            &serde_json::json!(comment),
        )
        .await
        .unwrap();
    let (key, got) = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("the comment in time")
        .unwrap();
    assert_eq!(key, "wb-7:1");
    assert_eq!(got, comment);
    // Another workbench's run is not this one's; a run the team does not hold is said.
    let err = watcher
        .share_comment(
            "wb-8:1",
            &comment.at.to_rfc3339(),
            &serde_json::json!(comment),
        )
        .await
        .unwrap_err();
    assert!(err.contains("holds no run wb-8:1"), "{err}");
    assert!(
        tokio::time::timeout(Duration::from_millis(300), rx.recv())
            .await
            .is_err(),
        "one comment, once"
    );
    listening.abort();
}
