use super::*;
use crate::provider::{Params, ProviderInfo, Usage};
use chrono::TimeZone;

fn new_run(key: &str, brief: &str) -> NewRun {
    NewRun {
        key: key.into(),
        session_id: "s1".into(),
        chain_id: "c1".into(),
        parent_id: None,
        role_id: "database_architect".into(),
        prompt_sha256: "ab".repeat(32),
        provider: ProviderInfo {
            kind: "openai".into(),
            model: "m1".into(),
            endpoint: "http://x/v1".into(),
        },
        parameters: Params {
            temperature: Some(0.2),
            max_tokens: None,
            seed: Some(3),
            stop: Vec::new(),
        },
        brief: brief.into(),
        attempt: 1,
        feedback: None,
        reviewer: "Ada".into(),
        started_at: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
    }
}

fn end() -> RunEnd {
    RunEnd {
        status: "complete".into(),
        finish_reason: Some("stop".into()),
        usage: Some(Usage {
            prompt_tokens: 10,
            completion_tokens: 20,
        }),
        decision: Some(serde_json::json!({"status": "unique"})),
        first_token_at: None,
        completed_at: Utc.timestamp_opt(1_700_000_010, 0).unwrap(),
    }
}

#[test]
fn a_run_is_kept_whole_and_found_by_its_words() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.db")).unwrap();
    let id = store
        .begin_run(&new_run("s1:1", "A bookstore with tenants"))
        .unwrap();
    store
        .append(id, &["## Partitioning\n".into(), "by tenant_id".into()])
        .unwrap();
    store.append(id, &["\nDECISION: end".into()]).unwrap();
    store
        .event(
            Some(id),
            Utc::now(),
            "review_action",
            &serde_json::json!({"action": "confirm"}),
        )
        .unwrap();
    store.end_run(id, &end()).unwrap();
    let answer = crate::store::outcomes::AnswerId::new(
        "c1",
        None,
        1,
        "## Partitioning\nby tenant_id\nDECISION: end",
    );
    let handoff = crate::store::outcomes::Outcome::handoff(
        "confirm",
        "end",
        true,
        "env-1",
        "Ada",
        None,
        Utc::now(),
    );
    store.settle(&answer, &handoff).unwrap();
    let run = store.get(id).unwrap().unwrap();
    assert_eq!(run.answer, "## Partitioning\nby tenant_id\nDECISION: end");
    assert_eq!(run.status, "complete");
    assert_eq!(run.completion_tokens, Some(20));
    assert_eq!(run.envelope_id.as_deref(), Some("env-1"));
    assert_eq!(run.parameters["seed"], 3);
    assert_eq!(run.events[0].kind, "review_action");
    assert_eq!(
        store.search("tenant_id", 10).unwrap()[0].id,
        id,
        "words of the answer"
    );
    assert_eq!(
        store.search("bookstore", 10).unwrap()[0].id,
        id,
        "words of the brief"
    );
    assert!(store.search("kubernetes", 10).unwrap().is_empty());
    assert!(
        store.search("\"unbalanced -quote:", 10).is_ok(),
        "search text is never FTS syntax"
    );
    assert_eq!(
        store.list(10).unwrap()[0].brief_first_line,
        "A bookstore with tenants"
    );
}

#[test]
fn the_same_run_key_is_one_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.db")).unwrap();
    let a = store.begin_run(&new_run("k", "b")).unwrap();
    let b = store.begin_run(&new_run("k", "b")).unwrap();
    assert_eq!(a, b);
}

#[test]
fn a_store_holding_data_migrates_from_the_first_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    {
        let mut old = Store::open_at_version(&path, 1).unwrap();
        assert_eq!(old.version().unwrap(), 1);
        let id = old
            .begin_run(&new_run("old:1", "Legacy warehouse brief"))
            .unwrap();
        old.append(id, &["Star schema ".into(), "with facts".into()])
            .unwrap();
        old.conn
            .execute("UPDATE runs SET status = 'complete' WHERE id = ?1", [id])
            .unwrap();
        let running = old.begin_run(&new_run("old:2", "Unfinished")).unwrap();
        old.append(running, &["half".into()]).unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.version().unwrap(), SCHEMA_VERSION);
    let hits = store.search("facts", 10).unwrap();
    assert_eq!(hits.len(), 1, "the old answers are indexed");
    let run = store.get(hits[0].id).unwrap().unwrap();
    assert_eq!(run.answer, "Star schema with facts");
    // Migration 3 gave the kept answer its hash, so its outcome can be found.
    assert_eq!(
        run.response_sha256.as_deref(),
        Some(crate::routing::envelope::sha256_hex("Star schema with facts").as_str())
    );
    assert_eq!(store.search("legacy", 10).unwrap().len(), 1);
    let unfinished = store.search("unfinished", 10).unwrap();
    assert_eq!(store.get(unfinished[0].id).unwrap().unwrap().answer, "half");
}

#[test]
fn a_store_newer_than_this_archbench_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    {
        let store = Store::open(&path).unwrap();
        store
            .conn
            .pragma_update(None, "user_version", (SCHEMA_VERSION + 1) as i64)
            .unwrap();
    }
    let Err(err) = Store::open(&path) else {
        panic!("opened a newer store")
    };
    assert!(err.to_string().contains("update archbench"), "{err}");
}

#[test]
fn runs_of_a_process_that_is_gone_are_recovered_as_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.db")).unwrap();
    // A child that has exited but is not reaped yet: a zombie, as a killed archbench is until its
    // parent (the shell, tmux) collects it. It is gone, though kill(pid, 0) still succeeds.
    let mut zombie = std::process::Command::new("true").spawn().unwrap();
    let dead = zombie.id();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !std::fs::read_to_string(format!("/proc/{dead}/stat")).is_ok_and(|s| {
        s.rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    }) {
        assert!(
            std::time::Instant::now() < deadline,
            "the child never exited"
        );
        std::thread::park_timeout(std::time::Duration::from_millis(5));
    }
    let orphan = store.begin_run(&new_run("gone:1", "brief")).unwrap();
    store
        .append(orphan, &["partial ".into(), "answer".into()])
        .unwrap();
    store
        .conn
        .execute(
            "UPDATE runs SET owner_pid = ?2 WHERE id = ?1",
            params![orphan, dead],
        )
        .unwrap();
    let alive = store.begin_run(&new_run("alive:1", "brief")).unwrap();
    store
        .conn
        .execute("UPDATE runs SET owner_pid = 1 WHERE id = ?1", [alive])
        .unwrap();
    let recovered = store.recover_interrupted().unwrap();
    assert_eq!(recovered.len(), 1);
    assert_eq!(recovered[0].id, orphan);
    assert_eq!(recovered[0].status, "interrupted");
    assert_eq!(store.get(orphan).unwrap().unwrap().answer, "partial answer");
    assert_eq!(
        store.get(alive).unwrap().unwrap().status,
        "running",
        "another live process's run is left alone"
    );
    zombie.wait().unwrap();
}

#[cfg(unix)]
#[test]
fn the_store_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut store = Store::open(&path).unwrap();
    store.begin_run(&new_run("k", "b")).unwrap();
    for name in ["s.db", "s.db-wal"] {
        let mode = std::fs::metadata(dir.path().join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{name} is readable by others: {mode:o}");
    }
}

#[test]
fn a_conversation_is_the_attempts_that_led_to_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.db")).unwrap();
    let mut run = |key: &str, attempt: u32, feedback: Option<&str>| {
        let mut r = new_run(key, "brief");
        r.attempt = attempt;
        r.feedback = feedback.map(str::to_string);
        store.begin_run(&r).unwrap()
    };
    // A first conversation abandoned (Ctrl-S anew), then one with two revisions.
    let _abandoned = run("k1", 1, None);
    let first = run("k2", 1, None);
    let second = run("k3", 2, Some("add indexes"));
    let third = run("k4", 3, Some("and backups"));
    let ids: Vec<i64> = store
        .conversation(third)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, [first, second, third]);
    let ids: Vec<i64> = store
        .conversation(first)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, [first]);
    assert!(store.conversation(999).unwrap().is_empty());
}

#[test]
fn a_listed_runs_size_is_in_bytes_as_its_column_says() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.db")).unwrap();
    let id = store.begin_run(&new_run("s1:1", "brief")).unwrap();
    // Nine characters, 27 bytes: counted while streaming and once ended.
    store.append(id, &["数据库数据库数据库".into()]).unwrap();
    assert_eq!(store.list(1).unwrap()[0].bytes, 27);
    store.end_run(id, &end()).unwrap();
    assert_eq!(store.list(1).unwrap()[0].bytes, 27);
}

#[test]
fn a_team_copy_looks_again_only_at_runs_that_moved_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.db")).unwrap();
    let before = store.begin_run(&new_run("w:0", "before joining")).unwrap();
    store.join_team("team").unwrap();
    let now = |key: &str| NewRun {
        started_at: Utc::now(),
        ..new_run(key, "after joining")
    };
    let (done, running) = (
        store.begin_run(&now("w:1")).unwrap(),
        store.begin_run(&now("w:2")).unwrap(),
    );
    store.append(done, &["answer".into()]).unwrap();
    store.end_run(done, &end()).unwrap();
    let copy_all = |store: &Store| {
        let marks = store.marks().unwrap();
        for (id, since) in store.runs_to_copy("team", 10).unwrap() {
            let copy = store.copy_of(id, since).unwrap().unwrap();
            store.copied("team", id, copy.progress).unwrap();
        }
        store.marks_copied("team", marks).unwrap();
    };
    let ids = |store: &Store| -> Vec<i64> {
        store
            .runs_to_copy("team", 10)
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    };
    assert_eq!(
        ids(&store),
        [done, running],
        "not the run from before joining"
    );
    copy_all(&store);
    assert!(ids(&store).is_empty(), "nothing moved on");
    // An event on the ended run, the running one's end: each looked at again, once.
    store
        .event(Some(done), Utc::now(), "handed_off", &serde_json::json!({}))
        .unwrap();
    store.end_run(running, &end()).unwrap();
    store
        .event(
            Some(before),
            Utc::now(),
            "handed_off",
            &serde_json::json!({}),
        )
        .unwrap();
    assert_eq!(ids(&store), [done, running]);
    copy_all(&store);
    assert!(ids(&store).is_empty());
}
