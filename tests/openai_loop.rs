//! The whole loop against a real HTTP server on 127.0.0.1 streaming OpenAI-style events:
//! run → decision → handoff, headless (the binary) and in the workbench (update + effect runner).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use archbench::app::EffectRunner;
use archbench::effect::Effect;
use archbench::event::Event;
use archbench::provider::openai::OpenAiProvider;
use archbench::provider::AgentEvent;
use archbench::role::RoleBook;
use archbench::state::{HandoffStatus, Phase};
use common::home::Home;
use common::server::{openai_sse, split, Reply, Server};
use common::Driver;
use crossterm::event::KeyCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use tokio::sync::mpsc::unbounded_channel;

const CANARY: &str = "sk-canary-9f2c1e7d0b";
const UNIQUE: &str = "# Data layer — multi-tenant bookstore\n\n## 1. Data modeling\n\nShared `edition` reference data; per-tenant `listing`.\n\n```sql\nCREATE TABLE listing (tenant_id bigint, edition_id bigint, price_cents int);\n```\n\nDECISION: completed: Go to backup_disaster_specialist\n";
const AMBIGUOUS: &str = "# Data layer\n\nRow-level security for tenants – naïve approaches fail 😀.\n\nDECISION: completed\n";

fn sha(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

struct Run {
    out: Output,
    home: Home,
}

impl Run {
    fn outbox(&self) -> std::path::PathBuf {
        self.home.path().join("outbox")
    }
    fn envelopes(&self) -> Vec<Value> {
        let Ok(entries) = std::fs::read_dir(self.outbox()) else {
            return Vec::new();
        };
        entries
            .map(|e| serde_json::from_slice(&std::fs::read(e.unwrap().path()).unwrap()).unwrap())
            .collect()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
    fn code(&self) -> i32 {
        self.out.status.code().unwrap()
    }
}

/// Runs `archbench run` headless against `server` with a brief, in a fresh home.
fn headless(server: Option<&Server>, extra: &[&str]) -> Run {
    let home = Home::new();
    let brief = home.path().join("brief.md");
    std::fs::write(
        &brief,
        "Design the data layer for a multi-tenant bookstore.",
    )
    .unwrap();
    let base = server
        .map(Server::base_url)
        .unwrap_or_else(|| "http://127.0.0.1:9/v1".into());
    let mut cmd = home.command();
    cmd.args([
        "run",
        "--provider",
        "openai",
        "--model",
        "arch-model",
        "--base-url",
        &base,
        "--brief",
    ])
    .arg(&brief)
    .arg("--outbox")
    .arg(home.path().join("outbox"))
    .args(extra)
    .env("OPENAI_API_KEY", CANARY);
    let out = cmd.output().unwrap();
    Run { out, home }
}

fn no_file_holds_the_key(root: &Path) {
    for entry in walk(root) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(CANARY),
            "the key leaked into {}",
            entry.display()
        );
    }
}

fn walk(root: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(root) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                files.extend(walk(&p))
            } else {
                files.push(p)
            }
        }
    }
    files
}

/// Every file a run leaves (the session store and its journal, the audit log and its head, the
/// envelope, the log) is its owner's only, as the README promises.
#[test]
fn every_file_a_run_writes_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let server = Server::start(vec![Reply::Stream(vec![openai_sse(UNIQUE, 5, "stop")])]);
    let run = headless(Some(&server), &[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let written: Vec<_> = ["data", "state", "outbox"]
        .iter()
        .flat_map(|dir| walk(&run.home.path().join(dir)))
        .collect();
    for name in ["sessions.db", "audit.jsonl", "archbench.log"] {
        assert!(
            written.iter().any(|p| p.ends_with(name)),
            "{name} was written: {written:?}"
        );
    }
    assert_eq!(run.envelopes().len(), 1);
    for file in &written {
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{} is {mode:o}", file.display());
    }
}

#[test]
fn headless_unique_answer_is_handed_off_with_its_envelope() {
    let server = Server::start(vec![Reply::Stream(split(
        &openai_sse(UNIQUE, 3, "stop"),
        17,
    ))]);
    let run = headless(
        Some(&server),
        &["--json", "--temperature", "0.3", "--seed", "11"],
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let printed: Value = serde_json::from_str(&run.stdout()).unwrap();
    let written = run.envelopes();
    assert_eq!(
        written,
        std::slice::from_ref(&printed),
        "stdout and the outbox hold the same envelope"
    );
    let e = &printed;
    common::assert_valid_envelope(e);
    let role = RoleBook::load(None)
        .unwrap()
        .get("database_architect")
        .unwrap()
        .clone();
    assert_eq!(e["schema"], "archbench.handoff/1");
    assert_eq!(
        e["response"]["text"], UNIQUE,
        "the answer is exactly what was streamed"
    );
    assert_eq!(e["response"]["sha256"], sha(UNIQUE));
    assert_eq!(e["response"]["finish_reason"], "stop");
    assert_eq!(e["response"]["usage"]["completion_tokens"], 340);
    assert_eq!(e["role"]["id"], "database_architect");
    assert_eq!(e["role"]["prompt_sha256"], sha(&role.prompt));
    assert_eq!(e["provider"]["kind"], "openai");
    assert_eq!(e["provider"]["model"], "arch-model");
    assert_eq!(e["provider"]["endpoint"], server.base_url());
    assert_eq!(e["parameters"]["temperature"].as_f64().unwrap() as f32, 0.3);
    assert_eq!(e["parameters"]["seed"], 11);
    assert_eq!(e["decision"]["status"], "unique");
    assert_eq!(e["decision"]["line_number"], 11);
    assert_eq!(
        e["decision"]["raw_line"],
        "DECISION: completed: Go to backup_disaster_specialist"
    );
    assert_eq!(e["route"]["target"], "backup_disaster_specialist");
    assert_eq!(e["route"]["decided_by"], "agent");
    assert_eq!(e["route"]["agreed_with_agent"], true);
    assert_eq!(e["review"]["action"], "policy");
    assert_eq!(e["payload"]["role"], "backup_disaster_specialist");
    assert!(e["payload"]["brief"]
        .as_str()
        .unwrap()
        .contains("CREATE TABLE listing"));
    assert!(
        !e["payload"]["brief"]
            .as_str()
            .unwrap()
            .contains("DECISION:"),
        "the routing line is for archbench, not the next role"
    );
    assert_eq!(e["routing"]["options"].as_array().unwrap().len(), 3);
    assert!(e["timestamps"]["handed_off"].is_string());
    // What the server received.
    let request = server.request_json(0);
    assert_eq!(request["model"], "arch-model");
    assert_eq!(request["stream"], true);
    assert_eq!(request["messages"][0]["role"], "system");
    assert_eq!(request["messages"][0]["content"], role.prompt);
    assert_eq!(
        request["messages"][1]["content"],
        "Design the data layer for a multi-tenant bookstore."
    );
    // The session store kept the run whole, with its envelope; the canary check below covers it.
    let sessions = run.home.path().join("data/archbench/sessions.db");
    assert!(
        sessions.is_file(),
        "the run is kept in {}",
        sessions.display()
    );
    let store = archbench::store::sessions::Store::open(&sessions).unwrap();
    let kept = store.list(10).unwrap();
    assert_eq!(kept.len(), 1);
    let detail = store.get(kept[0].id).unwrap().unwrap();
    assert_eq!(detail.answer, UNIQUE, "the answer is kept byte for byte");
    assert_eq!(detail.status, "complete");
    assert_eq!(detail.envelope_id.as_deref(), e["id"].as_str());
    assert!(detail.events.iter().any(|ev| ev.kind == "handoff_sent"));
    no_file_holds_the_key(run.home.path());
    assert!(run.stderr().contains("decision unique"), "{}", run.stderr());
}

#[test]
fn headless_streams_the_answer_to_stdout_exactly() {
    let server = Server::start(vec![Reply::Stream(split(
        &openai_sse(UNIQUE, 5, "stop"),
        64,
    ))]);
    let run = headless(Some(&server), &["--approve", "never"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.stdout(), UNIQUE);
    assert!(
        run.envelopes().is_empty(),
        "--approve never hands nothing off"
    );
}

#[test]
fn headless_ambiguous_answer_needs_a_person() {
    let server = Server::start(vec![Reply::Stream(split(
        &openai_sse(AMBIGUOUS, 4, "stop"),
        9,
    ))]);
    let run = headless(Some(&server), &["--approve", "agent"]);
    assert_eq!(run.code(), 4, "{}", run.stderr());
    assert!(
        run.stderr().contains("decision ambiguous"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("a person must decide"));
    assert!(run.envelopes().is_empty());
}

#[test]
fn headless_forced_route_is_recorded_as_policy() {
    let server = Server::start(vec![Reply::Stream(vec![openai_sse(AMBIGUOUS, 4, "stop")])]);
    let run = headless(Some(&server), &["--approve", "product_catalog_manager"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let e = &run.envelopes()[0];
    common::assert_valid_envelope(e);
    assert_eq!(e["route"]["target"], "product_catalog_manager");
    assert_eq!(e["route"]["decided_by"], "policy");
    assert_eq!(
        e["route"]["agreed_with_agent"], true,
        "the ambiguous line named it among others"
    );
    assert_eq!(e["decision"]["status"], "ambiguous");
}

#[test]
fn headless_cut_off_answer_is_not_handed_off_by_the_agent_policy() {
    let server = Server::start(vec![Reply::Stream(vec![openai_sse(UNIQUE, 4, "length")])]);
    let run = headless(Some(&server), &[]);
    assert_eq!(run.code(), 4, "{}", run.stderr());
    assert!(run.stderr().contains("cut off"));
}

#[test]
fn headless_bad_input_exits_2_with_a_message() {
    let run = headless(None, &["--role", "no_such_role"]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().contains("no role `no_such_role`"),
        "{}",
        run.stderr()
    );
    let run = headless(None, &["--approve", "somebody_else"]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().contains("has no such route"),
        "{}",
        run.stderr()
    );
    let out = run
        .home
        .command()
        .args(["run", "--brief", "/no/such/brief.md"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot read the brief /no/such/brief.md")
    );
    let out = run.home.command().args(["run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("run needs a brief"));
    let out = run
        .home
        .command()
        .args(["run", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
}

#[test]
fn headless_empty_brief_is_bad_input() {
    let dir = Home::new();
    let brief = dir.path().join("empty.md");
    std::fs::write(&brief, "\n  \n").unwrap();
    let out = dir
        .command()
        .args(["run", "--provider", "openai", "--brief"])
        .arg(&brief)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is empty"));
}

#[test]
fn headless_provider_failures_exit_3_and_say_why() {
    let server = Server::start(vec![Reply::Status(
        500,
        "{\"error\":{\"message\":\"overloaded\"}}".into(),
    )]);
    let run = headless(Some(&server), &[]);
    assert_eq!(run.code(), 3);
    assert!(run.stderr().contains("HTTP 500"), "{}", run.stderr());
    let server = Server::start(vec![Reply::Status(401, "{}".into())]);
    let run = headless(Some(&server), &[]);
    assert_eq!(run.code(), 3);
    assert!(
        run.stderr().contains("OPENAI_API_KEY"),
        "names the variable: {}",
        run.stderr()
    );
    assert!(!run.stderr().contains(CANARY), "never the key itself");
    let run = headless(None, &[]);
    assert_eq!(run.code(), 3);
    assert!(run.stderr().contains("cannot reach"), "{}", run.stderr());
}

#[test]
fn headless_stream_cut_mid_answer_exits_3() {
    let full = openai_sse(UNIQUE, 4, "stop");
    let server = Server::start(vec![Reply::Stream(vec![full[..full.len() / 2].to_vec()])]);
    let run = headless(Some(&server), &[]);
    assert_eq!(run.code(), 3, "{}", run.stderr());
    assert!(
        run.stderr().contains("before the answer finished"),
        "{}",
        run.stderr()
    );
}

/// Drives the workbench: keys into `update`, effects into the real runner, provider events back.
/// The workbench's real effect runner against a loopback server streaming `answers` in turn,
/// with an outbox and a session store of its own.
struct Wired {
    server: Server,
    runner: EffectRunner,
    agent_rx: tokio::sync::mpsc::UnboundedReceiver<(u64, AgentEvent)>,
    internal_rx: tokio::sync::mpsc::UnboundedReceiver<Event>,
    outbox: tempfile::TempDir,
    _state_dir: tempfile::TempDir,
}

fn wired(answers: &[&str]) -> Wired {
    let server = Server::start(
        answers
            .iter()
            .map(|a| Reply::Stream(split(&openai_sse(a, 2, "stop"), 11)))
            .collect(),
    );
    let outbox = tempfile::tempdir().unwrap();
    let provider = Arc::new(
        OpenAiProvider::new(
            &server.base_url(),
            "arch-model",
            None,
            "none".into(),
            Default::default(),
            Default::default(),
        )
        .unwrap(),
    );
    let (agent_tx, agent_rx) = unbounded_channel::<(u64, AgentEvent)>();
    let (internal_tx, internal_rx) = unbounded_channel::<Event>();
    let mut runner =
        EffectRunner::new(provider, outbox.path().to_path_buf(), agent_tx, internal_tx);
    let state_dir = tempfile::tempdir().unwrap();
    runner
        .open_session_store(&state_dir.path().join("sessions.db"))
        .unwrap();
    Wired {
        server,
        runner,
        agent_rx,
        internal_rx,
        outbox,
        _state_dir: state_dir,
    }
}

/// Runs `effects`, then feeds the provider's events back until no run is going.
async fn pump(
    d: &mut Driver,
    runner: &mut EffectRunner,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<(u64, AgentEvent)>,
    effects: Vec<Effect>,
) {
    for effect in effects {
        runner.run(effect);
    }
    while d.state.running.is_some() {
        let (run_id, event) = tokio::time::timeout(std::time::Duration::from_secs(60), rx.recv())
            .await
            .expect("no event for a minute")
            .unwrap();
        for effect in d.send(Event::Agent { run_id, event }) {
            runner.run(effect);
        }
    }
}

/// Enter on the chosen route: the handoff runs through the runner and its result comes back.
async fn hand_off(
    d: &mut Driver,
    runner: &mut EffectRunner,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Event>,
) {
    let effects = d.key(KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Handoff { .. }]),
        "{effects:?}"
    );
    for effect in effects {
        runner.run(effect);
    }
    let written = tokio::time::timeout(std::time::Duration::from_secs(60), rx.recv())
        .await
        .expect("no handoff result")
        .unwrap();
    d.send(written);
}

async fn workbench(answer: &str, choose: Option<char>) -> (Driver, tempfile::TempDir) {
    let Wired {
        mut runner,
        mut agent_rx,
        mut internal_rx,
        outbox,
        _state_dir,
        ..
    } = wired(&[answer]);
    let mut d = Driver::new(
        "Design the data layer for a multi-tenant bookstore.",
        120,
        40,
    );
    let effects = d.ctrl('s');
    pump(&mut d, &mut runner, &mut agent_rx, effects).await;
    if let Some(c) = choose {
        d.key(KeyCode::Char(c));
    }
    hand_off(&mut d, &mut runner, &mut internal_rx).await;
    (d, outbox)
}

fn only_envelope(dir: &Path) -> Value {
    let files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn workbench_confirms_a_unique_route_and_writes_the_envelope() {
    let (mut d, outbox) = workbench(UNIQUE, None).await;
    let attempt = d.state.latest().unwrap();
    assert_eq!(
        attempt.text(),
        UNIQUE,
        "the answer is exactly what was streamed"
    );
    assert!(matches!(attempt.phase, Phase::Complete(_)));
    let Some(HandoffStatus::Written { path, target, .. }) = &d.state.review.handoff else {
        panic!("{:?}", d.state.notice)
    };
    assert_eq!(target, "backup_disaster_specialist");
    let e = only_envelope(outbox.path());
    common::assert_valid_envelope(&e);
    assert_eq!(
        path,
        &outbox
            .path()
            .join(format!("{}.json", e["id"].as_str().unwrap()))
    );
    assert_eq!(e["response"]["text"], UNIQUE);
    assert_eq!(e["review"]["action"], "confirm");
    assert_eq!(e["review"]["reviewer"]["name"], "Ada Reviewer");
    assert_eq!(e["route"]["decided_by"], "human");
    assert_eq!(e["chain_id"], "chain-1");
    assert_eq!(e["attempt"], 1);
    assert!(d.screen().contains("Handed off"));
}

#[tokio::test(flavor = "multi_thread")]
async fn workbench_resolves_an_ambiguous_route_by_choice() {
    let (d, outbox) = workbench(AMBIGUOUS, Some('1')).await;
    assert_eq!(d.state.latest().unwrap().text(), AMBIGUOUS);
    let e = only_envelope(outbox.path());
    common::assert_valid_envelope(&e);
    assert_eq!(e["decision"]["status"], "ambiguous");
    assert_eq!(e["decision"]["candidates"].as_array().unwrap().len(), 3);
    assert_eq!(e["review"]["action"], "choose");
    assert_eq!(e["route"]["target"], "fullstack_developer");
    assert_eq!(e["route"]["agreed_with_agent"], true);
}

/// SIGINT, SIGHUP and SIGTERM each stop a headless run the same way: the text printed is the
/// text stored, the run is marked interrupted at once (not by the next start's recovery), the
/// interruption is audited, nothing is handed off, and the exit code names the signal.
#[test]
fn headless_signals_keep_what_was_printed_and_exit_with_their_code() {
    for (signal, code, name) in [
        (libc::SIGINT, 130, "SIGINT"),
        (libc::SIGHUP, 129, "SIGHUP"),
        (libc::SIGTERM, 143, "SIGTERM"),
    ] {
        let started = openai_sse("# Partial answer\n\nTenants first.", 4, "stop");
        let cut = started.windows(6).position(|w| w == b"[DONE]").unwrap();
        let server = Server::start(vec![Reply::Stall(vec![started[..cut - 20].to_vec()])]);
        let home = Home::new();
        let brief = home.path().join("brief.md");
        std::fs::write(&brief, "brief").unwrap();
        let mut child = home
            .command()
            .args([
                "run",
                "--provider",
                "openai",
                "--base-url",
                &server.base_url(),
                "--brief",
            ])
            .arg(&brief)
            .arg("--outbox")
            .arg(home.path().join("outbox"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Signal once the partial answer has reached standard output.
        let mut stdout = child.stdout.take().unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 256];
        while !String::from_utf8_lossy(&seen).contains("Tenants") {
            let n = std::io::Read::read(&mut stdout, &mut buf).unwrap();
            assert!(n > 0, "the answer never started");
            seen.extend_from_slice(&buf[..n]);
        }
        // SAFETY: sends a signal to the child we spawned and still own.
        let sent = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        assert_eq!(sent, 0);
        // Never hang the suite: a child that ignores the signal is killed and the test fails.
        let deadline = std::time::Instant::now() + common::PATIENCE;
        while child.try_wait().unwrap().is_none() {
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("archbench did not stop on {name}");
            }
            std::thread::park_timeout(std::time::Duration::from_millis(20));
        }
        std::io::Read::read_to_end(&mut stdout, &mut seen).unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{name}: {stderr}");
        assert!(
            stderr.contains(name) && stderr.contains("nothing was handed off"),
            "{stderr}"
        );
        assert!(!home.path().join("outbox").exists());
        let db = home.archbench_data().join("sessions.db");
        let conn = stored_run(&db);
        assert_eq!(conn.0, "interrupted", "{name}");
        let printed = String::from_utf8_lossy(&seen);
        assert_eq!(
            printed.trim_end(),
            conn.1.trim_end(),
            "{name}: stored = printed"
        );
        let log = std::fs::read_to_string(home.archbench_data().join("audit.jsonl")).unwrap();
        let last: Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
        assert_eq!(last["kind"], "run_interrupted", "{name}");
        assert_eq!(last["data"]["signal"], name);
    }
}

/// The status and answer of the only run in the store at `db`, read as they are (opening the
/// store does not recover runs; only a workbench or a run starting does).
fn stored_run(db: &Path) -> (String, String) {
    let store = archbench::store::sessions::Store::open(db).unwrap();
    let run = store.get(1).unwrap().unwrap();
    (run.status, run.answer)
}

#[test]
fn headless_runs_are_audited_and_tampering_is_detected() {
    let server = Server::start(vec![Reply::Stream(vec![openai_sse(UNIQUE, 6, "stop")])]);
    let run = headless(Some(&server), &[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let log = run.home.path().join("data/archbench/audit.jsonl");
    let records: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "run_started",
            "answer_complete",
            "decision_parsed",
            "review_action",
            "handoff_claimed",
            "handoff_sent"
        ]
    );
    assert_eq!(records[4]["data"]["envelope_id"], run.envelopes()[0]["id"]);
    assert_eq!(records[5]["data"]["envelope_id"], run.envelopes()[0]["id"]);
    assert_eq!(
        run.envelopes()[0]["audit"]["seq"],
        5,
        "the envelope names its record"
    );
    assert_eq!(records[3]["data"]["policy"], "agent");
    assert_eq!(records[0]["chain_id"], run.envelopes()[0]["chain_id"]);
    let verify = |log: &Path| {
        run.home
            .command()
            .args(["audit", "--log"])
            .arg(log)
            .arg("verify")
            .output()
            .unwrap()
    };
    let out = verify(&log);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("6 records, the chain is intact"));
    let show = run
        .home
        .command()
        .args(["audit", "--log"])
        .arg(&log)
        .args(["show", "--role", "database_architect"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&show.stdout);
    let sent = table.lines().find(|l| l.contains("handoff_sent")).unwrap();
    assert!(sent.contains("backup_disaster_specialist"), "{table}");
    // Every record by default, whatever its role (a record of another role is added by hand,
    // through the log's own append), and as JSON.
    archbench::store::audit::append(
        &log,
        &archbench::store::audit::AuditEntry {
            kind: "review_action".into(),
            chain_id: "other-chain".into(),
            role: "fullstack_developer".into(),
            attempt: 1,
            at: chrono::Utc::now(),
            data: serde_json::json!({"action": "reject", "reason": "no indexes", "reviewer": {"name": "Grace"}}),
        },
    )
    .unwrap();
    let all = run
        .home
        .command()
        .args(["audit", "--log"])
        .arg(&log)
        .args(["show", "--json"])
        .output()
        .unwrap();
    let records: Vec<Value> = serde_json::from_slice(&all.stdout).unwrap();
    assert_eq!(records.len(), 7, "every record, as verify counts them");
    let table = run
        .home
        .command()
        .args(["audit", "--log"])
        .arg(&log)
        .arg("show")
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&table.stdout);
    let rejected = table
        .lines()
        .find(|l| l.contains("fullstack_developer"))
        .unwrap();
    for column in ["Grace", "reject", "no indexes"] {
        assert!(rejected.contains(column), "{table}");
    }
    assert!(
        table.lines().next().unwrap().contains("reviewer"),
        "{table}"
    );
    let verified = verify(&log);
    assert!(
        String::from_utf8_lossy(&verified.stdout).contains("7 records, the chain is intact"),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
    let edited = std::fs::read_to_string(&log)
        .unwrap()
        .replace("\"status\":\"unique\"", "\"status\":\"ambiguous\"");
    std::fs::write(&log, edited).unwrap();
    let out = verify(&log);
    assert_eq!(out.status.code(), Some(5));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            ":4: record 4 does not match the record before it: that record (line 3) was edited"
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_schema_rejects_fields_it_does_not_know() {
    let server = Server::start(vec![Reply::Stream(vec![openai_sse(UNIQUE, 6, "stop")])]);
    let run = headless(Some(&server), &[]);
    let mut e = run.envelopes().remove(0);
    common::assert_valid_envelope(&e);
    e["provider"]["api_key"] = Value::from("sk-should-never-be-here");
    let rejected = std::panic::catch_unwind(|| common::assert_valid_envelope(&e));
    assert!(
        rejected.is_err(),
        "an envelope with a key field must not validate"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_override_is_handed_off_with_its_reason_and_matches_the_schema() {
    let outbox = tempfile::tempdir().unwrap();
    let provider = Arc::new(
        OpenAiProvider::new(
            "http://127.0.0.1:9/v1",
            "m",
            None,
            "none".into(),
            Default::default(),
            Default::default(),
        )
        .unwrap(),
    );
    let mut wiring = archbench::app::Wiring::new(provider, outbox.path().to_path_buf());
    let state_dir = tempfile::tempdir().unwrap();
    wiring
        .runner
        .open_session_store(&state_dir.path().join("sessions.db"))
        .unwrap();
    let mut d = Driver::new("Design the data layer.", 120, 40);
    d.ctrl('s');
    for event in [
        AgentEvent::Delta(AMBIGUOUS.into()),
        AgentEvent::Finished(archbench::provider::FinishReason::Stop),
    ] {
        d.send(Event::Agent { run_id: 1, event });
    }
    d.key(KeyCode::Char('o'));
    d.type_text("security_auditor");
    d.key(KeyCode::Enter);
    // No role file defines it: named again to confirm.
    d.type_text("security_auditor");
    d.key(KeyCode::Enter);
    d.type_text("PCI scope needs review first");
    for effect in d.key(KeyCode::Enter) {
        wiring.runner.run(effect);
    }
    let written = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        wiring.internal_rx.recv(),
    )
    .await
    .unwrap()
    .unwrap();
    d.send(written);
    let mut e = only_envelope(outbox.path());
    common::assert_valid_envelope(&e);
    assert_eq!(e["review"]["action"], "override");
    assert_eq!(e["review"]["reason"], "PCI scope needs review first");
    assert_eq!(e["route"]["target"], "security_auditor");
    assert_eq!(e["route"]["agreed_with_agent"], false);
    assert_eq!(e["payload"]["role"], "security_auditor");
    e["review"]["reason"] = Value::Null;
    assert!(
        std::panic::catch_unwind(|| common::assert_valid_envelope(&e)).is_err(),
        "the schema requires a reason for an override"
    );
}

/// A review like a code review, through the real provider and the real effect runner: a comment
/// on a line, one on a section, a requirement of the brief marked not met; the revision's
/// request carries all three, quoted, beside the free text; the envelope of the revised answer
/// carries its own comments and the checklist as it stood.
#[tokio::test(flavor = "multi_thread")]
async fn comments_and_the_checklist_go_to_the_agent_and_into_the_envelope() {
    let revised = UNIQUE.replace("price_cents int", "price_cents int NOT NULL");
    let Wired {
        server,
        mut runner,
        mut agent_rx,
        mut internal_rx,
        outbox,
        _state_dir,
    } = wired(&[UNIQUE, &revised]);
    let mut d = Driver::new(
        "Design the data layer for a multi-tenant bookstore.\n\n- 340 tenants\n- RPO 5 min\n",
        120,
        40,
    );
    let effects = d.ctrl('s');
    pump(&mut d, &mut runner, &mut agent_rx, effects).await;

    // A line of the answer: the cursor starts on the first line in view, j moves it.
    d.key(KeyCode::BackTab);
    d.key(KeyCode::BackTab);
    d.key(KeyCode::Char('g'));
    d.key(KeyCode::Char('m'));
    for _ in 0..7 {
        d.key(KeyCode::Char('j'));
    }
    d.key(KeyCode::Enter);
    d.type_text("price_cents may not be null");
    d.key(KeyCode::Enter);
    // A section, from the outline.
    d.key(KeyCode::Tab);
    d.key(KeyCode::Down);
    d.key(KeyCode::Char('m'));
    d.type_text("say how tenants are isolated");
    d.key(KeyCode::Enter);
    // The checklist: the first requirement met, the second not.
    d.key(KeyCode::Char('l'));
    d.key(KeyCode::Char('y'));
    d.key(KeyCode::Char('n'));
    d.key(KeyCode::Esc);
    assert_eq!(d.state.latest().unwrap().comments.len(), 2);

    d.key(KeyCode::Tab);
    d.key(KeyCode::Char('r'));
    d.type_text("Tighten the types.");
    let effects = d.ctrl('s');
    pump(&mut d, &mut runner, &mut agent_rx, effects).await;

    let sent: Value = serde_json::from_str(&server.requests.lock().unwrap()[1]).unwrap();
    let messages = sent["messages"].as_array().unwrap();
    let asked = messages.last().unwrap()["content"].as_str().unwrap();
    assert!(asked.starts_with("Tighten the types."), "{asked}");
    assert!(
        asked.contains(
            "On line 8:\n> CREATE TABLE listing (tenant_id bigint, edition_id bigint, price_cents int);\nprice_cents may not be null (Ada Reviewer)"
        ),
        "{asked}"
    );
    assert!(
        asked.contains(
            "On section “1. Data modeling”:\n> ## 1. Data modeling\nsay how tenants are isolated"
        ),
        "{asked}"
    );
    assert!(asked.contains("does not meet yet:\n- RPO 5 min"), "{asked}");
    assert!(
        !asked.contains("340 tenants"),
        "met items are not sent: {asked}"
    );
    assert_eq!(
        messages[messages.len() - 2]["content"],
        UNIQUE,
        "the answer commented on is in the conversation"
    );

    // The revision: one comment of its own, the checklist now met, handed off.
    let attempt = d.state.latest().unwrap();
    assert_eq!(attempt.number, 2);
    assert!(
        attempt.comments.is_empty(),
        "comments stay with the attempt they were made on"
    );
    d.key(KeyCode::BackTab);
    d.key(KeyCode::BackTab);
    d.key(KeyCode::Char('g'));
    d.key(KeyCode::Char('m'));
    d.key(KeyCode::Esc);
    d.key(KeyCode::Char('m'));
    d.key(KeyCode::Char('J'));
    d.key(KeyCode::Enter);
    d.type_text("good title");
    d.key(KeyCode::Enter);
    d.key(KeyCode::Char('l'));
    d.key(KeyCode::Down);
    d.key(KeyCode::Char('y'));
    d.key(KeyCode::Esc);
    d.key(KeyCode::Tab);
    d.key(KeyCode::Tab);
    hand_off(&mut d, &mut runner, &mut internal_rx).await;
    assert!(
        matches!(d.state.review.handoff, Some(HandoffStatus::Written { .. })),
        "{:?}",
        d.state.notice
    );
    let e = only_envelope(outbox.path());
    common::assert_valid_envelope(&e);
    let comments = e["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0]["on"], "lines");
    assert_eq!(
        (comments[0]["first"].as_u64(), comments[0]["last"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(comments[0]["text"], "good title");
    assert_eq!(comments[0]["author"], "Ada Reviewer");
    let checklist: Vec<(String, String)> = e["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["text"].as_str().unwrap().into(),
                i["mark"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        checklist,
        [
            ("340 tenants".into(), "met".into()),
            ("RPO 5 min".into(), "met".into())
        ]
    );
    assert!(e["attempts"][1]["feedback"]
        .as_str()
        .unwrap()
        .contains("price_cents may not be null"));
    let kinds: Vec<&str> = d.state.audit.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "comment").count(),
        3,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"checklist_mark"), "{kinds:?}");
}
