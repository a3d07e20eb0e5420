use super::*;
use crate::provider::{Params, ProviderInfo, Usage};

fn started(key: &str) -> Record {
    Record::Started(Box::new(NewRun {
        key: key.into(),
        session_id: "w1".into(),
        chain_id: "c1".into(),
        parent_id: None,
        role_id: "database_architect".into(),
        prompt_sha256: "cd".repeat(32),
        provider: ProviderInfo {
            kind: "local".into(),
            model: "tiny".into(),
            endpoint: "/m.gguf".into(),
        },
        parameters: Params::default(),
        brief: "Ledger for a bookstore".into(),
        attempt: 1,
        feedback: None,
        reviewer: "Ada".into(),
        started_at: Utc::now(),
    }))
}

fn delta(key: &str, text: &str) -> Record {
    Record::Delta {
        key: key.into(),
        text: text.into(),
    }
}

#[test]
fn records_are_written_in_the_order_they_happened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let (writer, recovered) = SessionWriter::open(&path, |_| {}).unwrap();
    assert!(recovered.is_empty());
    writer.send(started("w1:1"));
    for piece in [
        "## Schema\n",
        "CREATE TABLE ",
        "book (id bigint);\n",
        "DECISION: end",
    ] {
        writer.send(delta("w1:1", piece));
    }
    writer.send(Record::Ended {
        key: "w1:1".into(),
        end: RunEnd {
            status: "complete".into(),
            finish_reason: Some("stop".into()),
            usage: Some(Usage {
                prompt_tokens: 5,
                completion_tokens: 9,
            }),
            decision: None,
            first_token_at: None,
            completed_at: Utc::now(),
        },
    });
    writer.send(Record::Event {
        key: Some("w1:1".into()),
        answer: None,
        at: Utc::now(),
        kind: "review_action".into(),
        data: serde_json::json!({"action": "confirm"}),
    });
    let answer = crate::store::outcomes::AnswerId::new(
        "c1",
        None,
        1,
        "## Schema\nCREATE TABLE book (id bigint);\nDECISION: end",
    );
    writer.send(Record::Outcome {
        answer: answer.clone(),
        outcome: crate::store::outcomes::Outcome::review(
            crate::store::outcomes::OutcomeKind::Deferred,
            "Ada",
            None,
            Utc::now(),
        ),
    });
    // A review resumed in another process names the run by its answer.
    writer.send(Record::Event {
        key: None,
        answer: Some(answer),
        at: Utc::now(),
        kind: "review_resumed".into(),
        data: serde_json::json!({}),
    });
    writer.close();
    let store = Store::open(&path).unwrap();
    let id = store.row_of("w1:1").unwrap().unwrap();
    let run = store.get(id).unwrap().unwrap();
    assert_eq!(
        run.answer,
        "## Schema\nCREATE TABLE book (id bigint);\nDECISION: end"
    );
    assert_eq!(run.status, "complete");
    assert_eq!(run.completion_tokens, Some(9));
    assert_eq!(run.outcome.map(|o| o.label()).as_deref(), Some("deferred"));
    assert_eq!(run.events.len(), 2);
    assert_eq!(run.events[0].data["action"], "confirm");
    assert_eq!(run.events[1].kind, "review_resumed");
}

/// The batch is written once its window ends even while pieces keep coming (a stream that never
/// pauses, so the channel is never quiet): the store is never more than a window behind. On the
/// batch's own clock, no real time.
#[test]
fn a_stream_that_never_pauses_is_written_one_window_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut batch = Batch::new(Store::open(&path).unwrap(), |_| {});
    let t0 = Instant::now();
    batch.take(started("w1:1"), t0);
    let answer = |path: &Path| {
        let store = Store::open(path).unwrap();
        let row = store.row_of("w1:1").unwrap().unwrap();
        store.get(row).unwrap().unwrap().answer
    };
    let step = BATCH_WINDOW / 4;
    for (i, piece) in ["a ", "b ", "c ", "d "].iter().enumerate() {
        batch.take(delta("w1:1", piece), t0 + step * i as u32);
    }
    assert_eq!(
        answer(&path),
        "",
        "within the window nothing is written yet"
    );
    batch.take(delta("w1:1", "e"), t0 + BATCH_WINDOW);
    assert_eq!(answer(&path), "a b c d e", "the window ended: all of it");
}

#[test]
fn pieces_reach_the_disk_while_the_run_streams() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let (writer, _) = SessionWriter::open(&path, |_| {}).unwrap();
    writer.send(started("w1:1"));
    writer.send(delta("w1:1", "partial "));
    writer.send(delta("w1:1", "answer"));
    // Another connection (another process, or the next start after a crash) sees them while the
    // run is still open: the thread writes when the batch's window ends, nothing forces it. (The
    // window's bound is the test above, on the batch's own clock; here one generous deadline.)
    let other = Store::open(&path).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let run = loop {
        let run = other
            .row_of("w1:1")
            .unwrap()
            .and_then(|row| other.get(row).unwrap());
        if let Some(run) = run.filter(|r| r.answer == "partial answer") {
            break run;
        }
        assert!(
            Instant::now() < deadline,
            "the pieces never reached the store"
        );
        std::thread::park_timeout(Duration::from_millis(10));
    };
    assert_eq!(run.status, "running");
    drop(writer);
}

#[test]
fn a_run_open_when_the_writer_closes_is_kept_as_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let (writer, _) = SessionWriter::open(&path, |_| {}).unwrap();
    writer.send(started("w1:1"));
    writer.send(delta("w1:1", "half an answer"));
    writer.close();
    let store = Store::open(&path).unwrap();
    let run = store
        .get(store.row_of("w1:1").unwrap().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(run.status, "interrupted");
    assert_eq!(run.answer, "half an answer");
}

#[test]
fn deltas_of_an_unknown_run_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let (writer, _) = SessionWriter::open(&path, |_| {}).unwrap();
    writer.send(delta("nobody:1", "stray"));
    writer.close();
    assert!(Store::open(&path).unwrap().list(10).unwrap().is_empty());
}

#[test]
fn a_store_that_cannot_be_opened_says_where() {
    let dir = tempfile::tempdir().unwrap();
    // A folder where the database file should be.
    let path = dir.path().join("s.db");
    std::fs::create_dir(&path).unwrap();
    let Err(err) = SessionWriter::open(&path, |_| {}) else {
        panic!("opened a folder as a store")
    };
    assert!(err.to_string().contains("s.db"), "{err}");
}
