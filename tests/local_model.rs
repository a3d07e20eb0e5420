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
    // No prompt cache: the test process's cache folder is the user's own.
    let provider = Arc::new(LocalProvider::with_cache(
        model(),
        archbench::provider::local::default_threads(),
        None,
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

#[test]
fn the_workbench_counts_the_prompt_being_read_and_esc_stops_it() {
    let home = Home::new();
    let brief = home.path().join("brief.md");
    std::fs::write(&brief, "Design a schema for a small bookstore.").unwrap();
    let command = home.shell(&format!(
        "--provider local --threads 1 --no-prompt-cache --run --model-path {} --brief {}",
        model().display(),
        brief.display()
    ));
    let tmux = common::tmux::Tmux::start(&command, 140, 36);
    // A first report at once, then the count with its estimate as chunks are read.
    tmux.wait_for("Reading the prompt: ");
    let screen = tmux.wait_for(" s left. Esc cancels.");
    assert!(screen.contains(" tokens · about "), "{screen}");
    tmux.keys(&["Escape"]);
    let screen = tmux.wait_for("Cancelled.");
    assert!(!screen.contains("Reading the prompt"), "{screen}");
}

/// A headless greedy run of the real binary on `brief`; its answer and what it told on stderr.
fn headless_greedy(home: &Home, brief: &str, extra: &[&str]) -> (String, String) {
    let file = home.path().join("brief.md");
    std::fs::write(&file, brief).unwrap();
    let out = home
        .command()
        .args([
            "run",
            "--provider",
            "local",
            "--approve",
            "backup_disaster_specialist",
        ])
        .args([
            "--json",
            "--max-tokens",
            "16",
            "--temperature",
            "0",
            "--model-path",
        ])
        .arg(model())
        .arg("--brief")
        .arg(&file)
        .arg("--outbox")
        .arg(home.path().join("outbox"))
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let envelope: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = envelope["response"]["text"].as_str().unwrap().to_string();
    (text, stderr)
}

#[test]
fn the_next_process_skips_the_roles_prompt_and_answers_the_same() {
    let home = Home::new();
    let (_, first) = headless_greedy(&home, "A schema for a library.", &[]);
    assert!(
        first.contains("archbench: reading the prompt: ") && !first.contains("kept"),
        "{first}"
    );
    let (warm, second) = headless_greedy(&home, "A schema for a clinic.", &[]);
    let told = second
        .lines()
        .find(|l| l.starts_with("archbench: reading the prompt: "))
        .unwrap_or_else(|| panic!("{second}"));
    let kept: u32 = told
        .split(", ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{told}"));
    assert!(kept > 1000, "the role's prompt came from disk: {told}");
    let (cold, third) = headless_greedy(&home, "A schema for a clinic.", &["--no-prompt-cache"]);
    assert!(!third.contains("kept"), "{third}");
    assert_eq!(warm, cold, "token for token");
}

/// Greedy runs on the real role prompt, for the prompt-reuse tests.
mod reuse {
    use super::model;
    // One thread each: these tests run beside each other on two cores, and llama.cpp with more
    // threads than cores crawls.
    use archbench::provider::local::{Engine, PromptCache, Warm};
    use archbench::provider::{ChatRequest, Message, Params, Speaker};
    use tokio_util::sync::CancellationToken;

    fn role_prompt() -> String {
        let book = archbench::role::RoleBook::load(None).unwrap();
        book.get("database_architect").unwrap().prompt.clone()
    }

    fn request(messages: &[(Speaker, &str)]) -> ChatRequest {
        let mut all = vec![Message::new(Speaker::System, role_prompt())];
        all.extend(messages.iter().map(|(who, text)| Message::new(*who, *text)));
        ChatRequest {
            messages: all,
            params: Params {
                temperature: Some(0.0),
                max_tokens: Some(24),
                seed: Some(7),
                stop: Vec::new(),
            },
        }
    }

    /// The answer, and the tokens the run found already held.
    fn answer(warm: &mut Warm<'_>, request: &ChatRequest) -> (String, u32) {
        let mut text = String::new();
        let mut kept = None;
        warm.generate(
            request,
            &CancellationToken::new(),
            |r| {
                kept.get_or_insert(r.kept);
            },
            |piece| text.push_str(piece),
        )
        .unwrap();
        (text, kept.unwrap())
    }

    const FIRST: &str = "Design a schema for a library: books, members, loans.";
    const SECOND: &str = "Design a schema for a clinic: patients, doctors, visits.";

    #[test]
    fn a_second_brief_of_the_role_reuses_its_prompt_and_answers_the_same() {
        let engine = Engine::load(&model(), 1).unwrap();
        let second = request(&[(Speaker::User, SECOND)]);
        let (cold, kept) = answer(&mut engine.warm(None), &second);
        assert_eq!(kept, 0);
        let mut warm = engine.warm(None);
        answer(&mut warm, &request(&[(Speaker::User, FIRST)]));
        let (reused, kept) = answer(&mut warm, &second);
        assert!(kept > 1000, "the role's prompt was kept: {kept} tokens");
        assert_eq!(reused, cold, "token for token");
    }

    #[test]
    fn a_revision_reads_only_what_is_new() {
        let engine = Engine::load(&model(), 1).unwrap();
        let mut warm = engine.warm(None);
        let first = request(&[(Speaker::User, FIRST)]);
        let (draft, _) = answer(&mut warm, &first);
        let held = warm.held();
        let revision = request(&[
            (Speaker::User, FIRST),
            (Speaker::Assistant, &draft),
            (Speaker::User, "Add a table for fines."),
        ]);
        let (revised, kept) = answer(&mut warm, &revision);
        assert!(
            kept as usize + 12 >= held,
            "all but the answer's last tokens were kept: {kept} of {held}"
        );
        let (cold, _) = answer(&mut engine.warm(None), &revision);
        assert_eq!(revised, cold, "token for token");
    }

    #[test]
    fn a_new_process_starts_from_the_saved_role_prompt() {
        let engine = Engine::load(&model(), 1).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cache = || PromptCache::open(dir.path(), 1 << 30, &model(), &engine.shape());
        answer(
            &mut engine.warm(cache()),
            &request(&[(Speaker::User, FIRST)]),
        );
        let second = request(&[(Speaker::User, SECOND)]);
        // A new context, as in a new process: only the disk holds the role's prompt.
        let (warm_start, kept) = answer(&mut engine.warm(cache()), &second);
        assert!(kept > 1000, "read from disk: {kept} tokens");
        let (cold, _) = answer(&mut engine.warm(None), &second);
        assert_eq!(warm_start, cold, "token for token");

        // Damaged or of another model: ignored, the answer is the same.
        for entry in std::fs::read_dir(dir.path()).unwrap().flatten() {
            if entry.path().extension().is_some_and(|x| x == "kv") {
                let mut bytes = std::fs::read(entry.path()).unwrap();
                let middle = bytes.len() / 2;
                bytes[middle] ^= 0xff;
                std::fs::write(entry.path(), bytes).unwrap();
            }
        }
        let (damaged, kept) = answer(&mut engine.warm(cache()), &second);
        assert_eq!((damaged.as_str(), kept), (cold.as_str(), 0));
        let other = dir.path().join("other.gguf");
        std::fs::write(&other, b"not this model").unwrap();
        let foreign = PromptCache::open(dir.path(), 1 << 30, &other, &engine.shape());
        let (foreign_start, kept) = answer(&mut engine.warm(foreign), &second);
        assert_eq!((foreign_start.as_str(), kept), (cold.as_str(), 0));
    }

    #[test]
    fn cancel_while_the_prompt_is_read_stops_at_the_next_chunk() {
        let engine = Engine::load(&model(), 1).unwrap();
        let mut warm = engine.warm(None);
        let cancel = CancellationToken::new();
        let mut reports = Vec::new();
        let mut pieces = 0;
        let (finish, _) = warm
            .generate(
                &request(&[(Speaker::User, FIRST)]),
                &cancel,
                |r| {
                    reports.push(r);
                    if r.read > 0 {
                        cancel.cancel();
                    }
                },
                |_| pieces += 1,
            )
            .unwrap();
        assert_eq!(finish.as_wire(), "cancelled");
        assert_eq!(pieces, 0, "no answer after a cancel");
        let last = reports.last().unwrap();
        assert!(last.read < last.total, "{reports:?}");
        assert_eq!(
            reports.len(),
            2,
            "nothing read after the chunk during which Esc came: {reports:?}"
        );
        assert_eq!(warm.held(), last.read as usize);
        assert!(last.read as usize <= archbench::provider::local::CHUNK);
        // What was read before the cancel is kept for the next run.
        let (_, kept) = answer(&mut warm, &request(&[(Speaker::User, FIRST)]));
        assert_eq!(kept, last.read);
    }
}
