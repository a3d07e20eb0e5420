use super::*;
use crate::store::outcomes::OutcomeKind;
use crate::store::sessions::{NewRun, RunEnd};
use chrono::{TimeZone, Utc};

fn answer() -> AnswerId {
    AnswerId::new("c1", None, 1, "the answer\nDECISION: end")
}

fn handoff(envelope: &str, reviewer: &str) -> Outcome {
    Outcome::handoff(
        "confirm",
        "fullstack_developer",
        true,
        envelope,
        reviewer,
        None,
        Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
    )
}

fn stored_run(store: &mut Store, text: &str) -> i64 {
    let run = NewRun {
        key: "s1:1".into(),
        session_id: "s1".into(),
        chain_id: "c1".into(),
        parent_id: None,
        role_id: "database_architect".into(),
        prompt_sha256: "ab".repeat(32),
        provider: crate::provider::ProviderInfo {
            kind: "openai".into(),
            model: "m".into(),
            endpoint: String::new(),
        },
        parameters: Default::default(),
        brief: "brief".into(),
        attempt: 1,
        feedback: None,
        reviewer: "Ada".into(),
        started_at: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
    };
    let id = store.begin_run(&run).unwrap();
    store.append(id, &[text.to_string()]).unwrap();
    store
        .end_run(
            id,
            &RunEnd {
                status: "complete".into(),
                finish_reason: Some("stop".into()),
                usage: None,
                decision: None,
                first_token_at: None,
                completed_at: Utc.timestamp_opt(1_700_000_010, 0).unwrap(),
            },
        )
        .unwrap();
    id
}

#[test]
fn a_second_handoff_of_one_answer_is_refused_naming_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.db")).unwrap();
    store.settle(&answer(), &handoff("env-1", "Ada")).unwrap();
    let refused = store
        .settle(&answer(), &handoff("env-2", "Bob"))
        .unwrap_err();
    let SettleError::Settled(first) = &refused else {
        panic!("{refused}");
    };
    assert_eq!(first.envelope_id.as_deref(), Some("env-1"));
    let message = refused.to_string();
    for part in ["fullstack_developer", "env-1", "Ada", "2023-11-14 22:13"] {
        assert!(message.contains(part), "{message}");
    }
    // Another attempt, or another text, is another answer.
    let mut other = answer();
    other.attempt = 2;
    store.settle(&other, &handoff("env-3", "Ada")).unwrap();
}

#[test]
fn a_rejected_answer_cannot_be_handed_off_and_a_deferred_one_can() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.db")).unwrap();
    let at = Utc::now();
    let deferred = Outcome::review(OutcomeKind::Deferred, "Ada", None, at);
    store.settle(&answer(), &deferred).unwrap();
    store.settle(&answer(), &deferred).unwrap();
    assert_eq!(
        store.outcome_of(&answer()).unwrap().unwrap().kind,
        OutcomeKind::Deferred
    );
    store.settle(&answer(), &handoff("env-1", "Ada")).unwrap();
    // The final outcome speaks for the answer, even with a deferral after it.
    store.settle(&answer(), &deferred).unwrap();
    assert_eq!(
        store.outcome_of(&answer()).unwrap().unwrap().kind,
        OutcomeKind::HandedOff
    );

    let mut other = answer();
    other.response_sha256 = "00".repeat(32);
    let rejected = Outcome::review(OutcomeKind::Rejected, "Bob", Some("wrong".into()), at);
    store.settle(&other, &rejected).unwrap();
    assert!(matches!(
        store.settle(&other, &handoff("env-2", "Ada")),
        Err(SettleError::Settled(o)) if o.kind == OutcomeKind::Rejected
    ));
}

#[test]
fn a_handoff_taken_back_can_be_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.db")).unwrap();
    store.settle(&answer(), &handoff("env-1", "Ada")).unwrap();
    store.unsettle("env-1").unwrap();
    assert_eq!(store.outcome_of(&answer()).unwrap(), None);
    store.settle(&answer(), &handoff("env-2", "Ada")).unwrap();
}

#[test]
fn the_unique_index_holds_even_without_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.db")).unwrap();
    let insert =
        "INSERT INTO outcomes (chain_id, step, attempt, response_sha256, kind, reviewer, at)
                  VALUES ('c', '', 1, 'h', 'handed_off', 'x', 't')";
    store.conn.execute(insert, []).unwrap();
    assert!(store.conn.execute(insert, []).is_err());
}

#[test]
fn many_connections_racing_to_settle_one_answer_make_one_handoff() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    Store::open(&path).unwrap();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let path = path.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut store = Store::open(&path).unwrap();
                barrier.wait();
                store
                    .settle(&answer(), &handoff(&format!("env-{i}"), "Ada"))
                    .is_ok()
            })
        })
        .collect();
    let won = threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .filter(|ok| *ok)
        .count();
    assert_eq!(won, 1);
}

#[test]
fn runs_show_the_outcome_of_their_answer() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.db")).unwrap();
    let text = "the answer\nDECISION: end";
    let id = stored_run(&mut store, text);
    let listed = &store.list(10).unwrap()[0];
    assert_eq!(listed.outcome, None);
    store.settle(&answer(), &handoff("env-1", "Ada")).unwrap();
    let listed = &store.list(10).unwrap()[0];
    assert_eq!(
        listed.outcome.as_ref().map(Outcome::label).as_deref(),
        Some("handed off → fullstack_developer")
    );
    let run = store.get(id).unwrap().unwrap();
    assert_eq!(
        run.outcome.and_then(|o| o.envelope_id).as_deref(),
        Some("env-1")
    );
    assert_eq!(store.run_of(&answer()).unwrap(), Some(id));
}

#[test]
fn an_override_is_labelled_as_one() {
    let mut o = handoff("env-1", "Ada");
    o.action = Some("override".into());
    o.target = Some("dba".into());
    assert_eq!(o.label(), "overridden → dba");
}
