//! The inbox's figures (issue 16): 10,000 pending reviews listed and one opened, in both stores;
//! 8 producers and 4 reviewers on one PostgreSQL for a while, every review handed off exactly
//! once, with the claim's latency; a review enqueued on one connection heard on another (NOTIFY);
//! a piece of an answer on one machine seen by a watcher following through the team store.
//! The PostgreSQL is a throwaway server, started by the same code the check uses.

use super::ms;
use crate::check::server::{CheckServer, ServerSpec};
use crate::store::deferred::{DeferredReview, SavedAttempt, SavedPhase, FORMAT};
use crate::store::inbox::{Filter, Inbox, Origin, LEASE};
use chrono::Utc;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PENDING: usize = 10_000;

/// A review of a typical size: a brief of a few lines, an answer of about 4 KB.
fn review(id: String) -> DeferredReview {
    let answer = format!(
        "# Design\n\n{}\nDECISION: backup_disaster_specialist\n",
        "A paragraph of the design, its tables and their keys. ".repeat(70)
    );
    DeferredReview {
        format: FORMAT.into(),
        id,
        saved_at: Utc::now(),
        reviewer: crate::reviewer::Reviewer {
            name: "pipeline".into(),
            email: None,
            source: "os".into(),
        },
        chain_id: uuid::Uuid::now_v7().to_string(),
        parent_id: None,
        breadcrumb: vec!["database_architect".into()],
        role_id: "database_architect".into(),
        role_prompt_sha256: "0".repeat(64),
        provider: crate::provider::ProviderInfo {
            kind: "openai".into(),
            model: "m".into(),
            endpoint: "e".into(),
        },
        parameters: Default::default(),
        brief: "# Bookstore\n\n340 tenants, 12M editions, 45k orders a day; RPO 5 min.".into(),
        attempts: vec![SavedAttempt {
            number: 1,
            feedback: None,
            text: answer,
            phase: SavedPhase::Complete(crate::provider::FinishReason::Stop),
            model: Some("m".into()),
            usage: None,
            decision: None,
            reviewed_sha256: None,
            started_at: Utc::now(),
            first_token_at: None,
            completed_at: None,
            reask: None,
            comments: Vec::new(),
        }],
        selected_option: None,
        payload_brief: None,
    }
}

fn origin() -> Origin {
    Origin {
        who: "bench@here".into(),
        how: "bench".into(),
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn percentile(mut times: Vec<Duration>, p: f64) -> Duration {
    if times.is_empty() {
        return Duration::ZERO;
    }
    times.sort();
    times[((times.len() as f64 - 1.0) * p).round() as usize]
}

/// A fresh database on `server`, as a connection string.
async fn database(server: &CheckServer, name: &str) -> Result<String, String> {
    let admin = server.url().ok_or("the throwaway server has no URL")?;
    let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .map_err(|e| e.to_string())?;
    Ok(admin.replace("dbname=postgres", &format!("dbname={name}")))
}

/// Lists and opens: the list of 10,000 waiting (median of 20), one opened — claimed and read —
/// (median of 50).
async fn list_and_open(inbox: &Inbox) -> Result<(Duration, Duration, usize), String> {
    let mut ids = Vec::new();
    for _ in 0..PENDING {
        let review = review(uuid::Uuid::now_v7().to_string());
        ids.push(inbox.enqueue(&review, &origin(), None, Utc::now()).await?);
    }
    let mut lists = Vec::new();
    let mut listed = 0;
    for _ in 0..21 {
        let started = Instant::now();
        let rows = inbox.list(&Filter::default(), Utc::now()).await?;
        lists.push(started.elapsed());
        listed = rows.len();
    }
    lists.remove(0);
    let mut opens = Vec::new();
    for id in ids.iter().take(50) {
        let started = Instant::now();
        let claim = inbox
            .claim(id, "bench", LEASE, Utc::now())
            .await
            .map_err(|e| e.to_string())?;
        let found = inbox.get(&claim.id).await?;
        std::hint::black_box(&found);
        opens.push(started.elapsed());
    }
    Ok((median(lists), median(opens), listed))
}

/// What the team's run measured.
struct Team {
    enqueued: usize,
    settled: usize,
    twice: usize,
    claims: Vec<Duration>,
    /// The audit chain afterwards: its records, or what `verify` found wrong.
    chain: Result<usize, String>,
}

/// 8 producers enqueue and 4 reviewers claim the next, read it and settle it, for `seconds`;
/// then the reviewers finish what is left. Each settlement the store accepts is counted by
/// review: exactly once means every review enqueued was accepted once and none twice.
async fn team(url: &str, seconds: u64) -> Result<Team, String> {
    let running = Arc::new(AtomicBool::new(true));
    let enqueued = Arc::new(AtomicUsize::new(0));
    let mut producers = Vec::new();
    for _ in 0..8 {
        let inbox = Inbox::open(Some(url), std::path::Path::new("/nonexistent")).await?;
        let (running, enqueued) = (running.clone(), enqueued.clone());
        producers.push(tokio::spawn(async move {
            while running.load(Ordering::Relaxed) {
                let review = review(uuid::Uuid::now_v7().to_string());
                if inbox
                    .enqueue(&review, &origin(), None, Utc::now())
                    .await
                    .is_ok()
                {
                    enqueued.fetch_add(1, Ordering::Relaxed);
                }
                // A pipeline's pace: an answer every few milliseconds per producer.
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
    }
    let settled: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let claims: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let producing = running.clone();
    let mut reviewers = Vec::new();
    for n in 0..4 {
        let inbox = Inbox::open(Some(url), std::path::Path::new("/nonexistent")).await?;
        let (settled, claims, producing) = (settled.clone(), claims.clone(), producing.clone());
        reviewers.push(tokio::spawn(async move {
            let me = format!("reviewer-{n}");
            loop {
                let started = Instant::now();
                let claim = inbox.claim_next(&me, None, LEASE, Utc::now()).await;
                let took = started.elapsed();
                match claim {
                    Ok(Some(claim)) => {
                        claims.lock().unwrap_or_else(|e| e.into_inner()).push(took);
                        let _ = inbox.get(&claim.id).await;
                        if inbox.settle(&claim, "handed off", Utc::now()).await.is_ok() {
                            *settled
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .entry(claim.id)
                                .or_default() += 1;
                        }
                    }
                    Ok(None) if !producing.load(Ordering::Relaxed) => break,
                    Ok(None) => tokio::time::sleep(Duration::from_millis(2)).await,
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    running.store(false, Ordering::Relaxed);
    for p in producers {
        let _ = p.await;
    }
    for r in reviewers {
        let _ = r.await;
    }
    let settled = settled.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let claims = claims.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let (bytes, head) = Inbox::open(Some(url), std::path::Path::new("/nonexistent"))
        .await?
        .audit_chain()
        .await?;
    let chain = crate::store::audit::verify_bytes(&bytes, Some(head))
        .map(|v| v.records)
        .map_err(|problems| format!("{} problem(s)", problems.len()));
    Ok(Team {
        chain,
        enqueued: enqueued.load(Ordering::Relaxed),
        settled: settled.len(),
        twice: settled.values().filter(|n| **n > 1).count(),
        claims,
    })
}

/// A review enqueued on one connection, heard on another: 30 times, a little apart.
async fn heard(url: &str) -> Result<(Duration, Duration), String> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let listening = {
        let url = url.to_string();
        tokio::spawn(async move {
            crate::store::inbox::watch(Some(&url), std::path::Path::new("/x"), move || {
                tx.send(Instant::now()).is_ok()
            })
            .await
        })
    };
    // Listening.
    tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .map_err(|_| "the listener never started")?;
    let producer = Inbox::open(Some(url), std::path::Path::new("/x")).await?;
    let mut latencies = Vec::new();
    for _ in 0..30 {
        let sent = Instant::now();
        let review = review(uuid::Uuid::now_v7().to_string());
        producer
            .enqueue(&review, &origin(), None, Utc::now())
            .await?;
        let at = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .map_err(|_| "an enqueue was never heard")?
            .ok_or("the listener stopped")?;
        latencies.push(at - sent);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    listening.abort();
    let max = latencies.iter().max().copied().unwrap_or_default();
    Ok((median(latencies), max))
}

/// A piece of an answer committed to one machine's session store, seen by a watcher following
/// the session through the team store (copied, announced, read): 30 times, a little apart.
async fn followed(url: &str) -> Result<(Duration, Duration), String> {
    use crate::store::follow::{follow_team, Watch};
    use crate::store::inbox::copying::{join, keep_copying};
    use crate::store::sessions::{NewRun, Store};
    let dir = std::env::temp_dir().join(format!("archbench-bench-{}", uuid::Uuid::new_v4()));
    let path = dir.join("sessions.db");
    join(&path, url)?;
    let copying = tokio::spawn(keep_copying(url.to_string(), path.clone(), |_| {}));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let follower = tokio::spawn(follow_team(
        url.to_string(),
        Some("bench-follow".into()),
        move |w| tx.send((Instant::now(), w)).is_ok(),
    ));
    let measured = async {
        let mut store = Store::open(&path).map_err(|e| e.to_string())?;
        let run = NewRun {
            key: "bench-follow:1".into(),
            session_id: "bench-follow".into(),
            chain_id: uuid::Uuid::now_v7().to_string(),
            parent_id: None,
            role_id: "database_architect".into(),
            prompt_sha256: String::new(),
            provider: crate::provider::ProviderInfo {
                kind: "bench".into(),
                model: "none".into(),
                endpoint: String::new(),
            },
            parameters: crate::provider::Params::default(),
            brief: "# Followed".into(),
            attempt: 1,
            feedback: None,
            reviewer: "bench".into(),
            started_at: Utc::now(),
        };
        let id = store.begin_run(&run).map_err(|e| e.to_string())?;
        let mut latencies = Vec::new();
        for i in 0..31 {
            let sent = Instant::now();
            let piece = format!("piece {i}\n");
            store
                .append(id, std::slice::from_ref(&piece))
                .map_err(|e| e.to_string())?;
            let at = loop {
                match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
                    Ok(Some((at, Watch::Pieces(p)))) if p.concat().ends_with(&piece) => break at,
                    Ok(Some(_)) => {}
                    _ => return Err("a piece was never seen by the watcher".to_string()),
                }
            };
            // The first includes the watch finding the run.
            if i > 0 {
                latencies.push(at - sent);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(latencies)
    }
    .await;
    follower.abort();
    copying.abort();
    let _ = std::fs::remove_dir_all(&dir);
    let latencies = measured?;
    let max = latencies.iter().max().copied().unwrap_or_default();
    Ok((median(latencies), max))
}

pub fn run(seconds: u64, progress: impl Fn(&str)) -> Result<String, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        progress("throwaway PostgreSQL…");
        let server = CheckServer::start(&ServerSpec::Throwaway).await?;
        let mut out = String::new();
        let mark = |ok: bool| if ok { "met" } else { "NOT MET" };

        progress("10,000 pending reviews in PostgreSQL: listed (20 runs), opened (50)…");
        let url = database(&server, "bench_list").await?;
        let pg = Inbox::open(Some(&url), std::path::Path::new("/x")).await?;
        let (list, open, listed) = list_and_open(&pg).await?;
        out.push_str(&format!("| I1 inbox list, {listed} pending, PostgreSQL ({}) | {} | ≤ 50 ms | {} |\n", server.version, ms(list), mark(list <= Duration::from_millis(50))));
        out.push_str(&format!("| I2 one opened (claimed and read), PostgreSQL | {} | ≤ 100 ms | {} |\n", ms(open), mark(open <= Duration::from_millis(100))));

        progress("10,000 pending reviews in SQLite: listed (20 runs), opened (50)…");
        let dir = std::env::temp_dir().join(format!("archbench-bench-{}", uuid::Uuid::new_v4()));
        let sqlite = Inbox::open(None, &dir.join("sessions.db")).await?;
        let measured = list_and_open(&sqlite).await;
        drop(sqlite);
        let _ = std::fs::remove_dir_all(&dir);
        let (list, open, listed) = measured?;
        out.push_str(&format!("| I1 inbox list, {listed} pending, SQLite | {} | ≤ 50 ms | {} |\n", ms(list), mark(list <= Duration::from_millis(50))));
        out.push_str(&format!("| I2 one opened (claimed and read), SQLite | {} | ≤ 100 ms | {} |\n", ms(open), mark(open <= Duration::from_millis(100))));

        progress(&format!("8 producers and 4 reviewers on one PostgreSQL for {seconds} s…"));
        let url = database(&server, "bench_team").await?;
        let team = team(&url, seconds).await?;
        // Each review enqueued, claimed and settled once: three records each, one line.
        let records = team.enqueued * 3;
        let linear = team.chain == Ok(records);
        out.push_str(&format!(
            "| I3 the inbox's audit chain afterwards: records / verified | {} / {} | one line, a record for each act | {} |\n",
            team.chain.as_ref().map_or(0, |n| *n),
            match &team.chain {
                Ok(_) => "intact".to_string(),
                Err(e) => e.clone(),
            },
            mark(linear)
        ));
        let once = team.settled == team.enqueued && team.twice == 0;
        out.push_str(&format!(
            "| I3 8 producers, 4 reviewers, {seconds} s: reviews enqueued / handed off once / twice | {} / {} / {} | every one exactly once | {} |\n",
            team.enqueued, team.settled, team.twice, mark(once)
        ));
        out.push_str(&format!(
            "| I3 claim latency (next review, SKIP LOCKED), p50 / p99 of {} | {} / {} | reported | |\n",
            team.claims.len(),
            ms(percentile(team.claims.clone(), 0.5)),
            ms(percentile(team.claims, 0.99))
        ));

        progress("enqueued on one connection, heard on another (NOTIFY), 30 times…");
        let url = database(&server, "bench_notify").await?;
        Inbox::open(Some(&url), std::path::Path::new("/x")).await?;
        let (typical, worst) = heard(&url).await?;
        out.push_str(&format!("| I4 enqueued → heard in another inbox (NOTIFY), median / max of 30 | {} / {} | ≤ 1 s | {} |\n", ms(typical), ms(worst), mark(worst <= Duration::from_secs(1))));

        progress("a piece of an answer on one machine, seen by a watcher on another, 30 times…");
        let url = database(&server, "bench_follow").await?;
        Inbox::open(Some(&url), std::path::Path::new("/x")).await?;
        let (typical, worst) = followed(&url).await?;
        out.push_str(&format!("| I5 a piece committed on one machine → seen by `watch` on another (copied, NOTIFY), median / max of 30 | {} / {} | ≤ 1 s | {} |\n", ms(typical), ms(worst), mark(worst <= Duration::from_secs(1))));
        Ok(out)
    })
}
