//! The real local model, SmolLM2-135M-Instruct through the embedded llama.cpp engine: a headless
//! run completes and streams tokens, and the workbench handles whatever decision it produces.
//! The model is fetched by `scripts/fetch-model.sh`, which the test command runs first.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "local")]

mod common;

use archbench::app::EffectRunner;
use archbench::effect::Effect;
use archbench::event::Event;
use archbench::provider::local::LocalProvider;
use archbench::provider::AgentEvent;
use archbench::state::{HandoffStatus, Phase};
use common::home::Home;
use common::Driver;
use crossterm::event::KeyCode;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc::unbounded_channel;

fn model() -> PathBuf {
    let path = std::env::var_os("ARCHBENCH_TEST_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(archbench::paths::default_model_path);
    assert!(
        path.is_file(),
        "the local model is missing at {}: run scripts/fetch-model.sh",
        path.display()
    );
    path
}

#[test]
fn headless_run_on_the_local_model_streams_tokens() {
    let home = Home::new();
    let brief = home.path().join("brief.md");
    std::fs::write(
        &brief,
        "Design a PostgreSQL schema for a small bookstore: books, authors, orders.",
    )
    .unwrap();
    let out = home
        .command()
        .args([
            "run",
            "--provider",
            "local",
            "--approve",
            "backup_disaster_specialist",
            "--json",
            "--max-tokens",
            "48",
            "--seed",
            "3",
            "--model-path",
        ])
        .arg(model())
        .arg("--brief")
        .arg(&brief)
        .arg("--outbox")
        .arg(home.path().join("outbox"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("archbench: decision "), "{stderr}");
    let envelope: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    common::assert_valid_envelope(&envelope);
    assert!(
        !envelope["response"]["text"].as_str().unwrap().is_empty(),
        "tokens were generated"
    );
    assert!(
        envelope["response"]["usage"]["completion_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );
    // The parameters really used: the flags, and the local engine's defaults for the rest.
    assert_eq!(envelope["parameters"]["max_tokens"], 48);
    assert_eq!(envelope["parameters"]["seed"], 3);
    assert_eq!(
        envelope["parameters"]["temperature"].as_f64().unwrap() as f32,
        0.7
    );
    assert_eq!(envelope["route"]["decided_by"], "policy");
}

#[test]
fn a_missing_model_file_is_reported_before_any_work() {
    let out = Home::new()
        .command()
        .args([
            "run",
            "--provider",
            "local",
            "--model-path",
            "/no/such/model.gguf",
            "--brief",
            concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no model file at /no/such/model.gguf")
            && stderr.contains("fetch-model.sh"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_workbench_handles_whatever_the_local_model_decides() {
    let outbox = tempfile::tempdir().unwrap();
    let provider = Arc::new(LocalProvider::new(
        model(),
        archbench::provider::local::default_threads(),
    ));
    let (agent_tx, mut agent_rx) = unbounded_channel::<(u64, AgentEvent)>();
    let (internal_tx, mut internal_rx) = unbounded_channel::<Event>();
    let mut runner =
        EffectRunner::new(provider, outbox.path().to_path_buf(), agent_tx, internal_tx);
    let state_dir = tempfile::tempdir().unwrap();
    runner
        .open_session_store(&state_dir.path().join("sessions.db"))
        .unwrap();
    let mut d = Driver::new("Design a schema for a small bookstore.", 120, 40);
    d.state.session.params.max_tokens = Some(64);
    for effect in d.ctrl('s') {
        runner.run(effect);
    }
    let mut deltas = 0;
    while d.state.running.is_some() {
        let (run_id, event) =
            tokio::time::timeout(std::time::Duration::from_secs(300), agent_rx.recv())
                .await
                .expect("no event for 5 minutes")
                .unwrap();
        deltas += usize::from(matches!(event, AgentEvent::Delta(_)));
        for effect in d.send(Event::Agent { run_id, event }) {
            runner.run(effect);
        }
    }
    let attempt = d.state.latest().unwrap();
    assert!(
        matches!(attempt.phase, Phase::Complete(_)),
        "{:?}",
        attempt.phase
    );
    assert!(deltas > 0 && !attempt.text().is_empty(), "tokens streamed");
    let decision = attempt
        .decision
        .clone()
        .expect("a decision, whatever its status");
    // Whatever the status, the reviewer can settle the route.
    if decision.unique_candidate().is_none() {
        d.key(KeyCode::Char('1'));
    }
    let effects = d.key(KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Handoff { .. }]),
        "{effects:?} {:?}",
        d.state.notice
    );
    for effect in effects {
        runner.run(effect);
    }
    d.send(
        tokio::time::timeout(std::time::Duration::from_secs(60), internal_rx.recv())
            .await
            .expect("no handoff result")
            .unwrap(),
    );
    let Some(HandoffStatus::Written { path, .. }) = &d.state.review.handoff else {
        panic!("{:?}", d.state.notice)
    };
    let envelope: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    common::assert_valid_envelope(&envelope);
    assert_eq!(envelope["response"]["text"], attempt_text(&d));
    assert_eq!(envelope["decision"]["status"], decision.status.as_str());
}

fn attempt_text(d: &Driver) -> String {
    d.state.latest().unwrap().text().to_string()
}

#[test]
fn a_brief_too_long_for_the_models_context_is_refused_saying_by_how_much() {
    let home = Home::new();
    let brief = home.path().join("brief.md");
    // About 12k tokens: more than the model's context of 8192.
    std::fs::write(&brief, "tenant partition index replica ".repeat(3000)).unwrap();
    let out = home
        .command()
        .args(["run", "--provider", "local", "--model-path"])
        .arg(model())
        .arg("--brief")
        .arg(&brief)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("but the model's context holds 8192: shorten the brief by about"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing was generated");
}
