//! Where approved work goes, end to end through the binary: the webhook (success, a 500 then
//! success, final failure left pending and `outbox retry`), the command sink fed hostile text,
//! and a chain of three roles run headless with envelopes linked by their parent ids.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::server::{openai_sse, Reply, Server};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ANSWER: &str = "# Data layer\n\n## Data modeling\n\nTenants and listings.\n\nDECISION: completed: Go to backup_disaster_specialist\n";

/// A fresh home with a brief and a configuration whose webhook retries are quick.
struct Home {
    dir: common::home::Home,
}

impl Home {
    fn new(config: &str) -> Self {
        let dir = common::home::Home::new();
        std::fs::write(
            dir.path().join("brief.md"),
            "Design the data layer for a multi-tenant bookstore.",
        )
        .unwrap();
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        Self { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn outbox(&self) -> PathBuf {
        self.path().join("outbox")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = self.dir.command();
        cmd.args(args)
            .arg("--outbox")
            .arg(self.outbox())
            .arg("--config")
            .arg(self.path().join("config.toml"))
            .env("OPENAI_API_KEY", "sk-test");
        cmd
    }

    /// `archbench run` against the model `server` with these extra flags.
    fn run(&self, server: &Server, extra: &[&str]) -> Output {
        let brief = self.path().join("brief.md");
        let base = server.base_url();
        let mut args = vec![
            "run",
            "--provider",
            "openai",
            "--model",
            "m",
            "--base-url",
            &base,
            "--brief",
            brief.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        self.command(&args).output().unwrap()
    }

    /// `archbench run` handing off to `sink`, which fails: exit 6, `said` in the message, the
    /// envelope left pending.
    fn run_left_pending(&self, sink: &str, said: &str) -> Output {
        let out = self.run(&model(&[ANSWER]), &["--sink", sink]);
        assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
        assert!(stderr(&out).contains(said), "{said}: {}", stderr(&out));
        assert_eq!(self.pending().len(), 1, "left pending");
        out
    }

    fn envelopes(&self) -> Vec<Value> {
        let mut out: Vec<Value> = std::fs::read_dir(self.outbox())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
            .collect();
        out.sort_by_key(|e| e["timestamps"]["handed_off"].as_str().unwrap().to_string());
        out
    }

    fn pending(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.outbox().join("pending"))
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default()
    }
}

const QUICK: &str =
    "[handoff]\nwebhook_retries = 2\nwebhook_backoff_ms = 1\nwebhook_timeout_secs = 5\n";

fn model(answers: &[&str]) -> Server {
    Server::start(
        answers
            .iter()
            .map(|a| Reply::Stream(vec![openai_sse(a, 5, "stop")]))
            .collect(),
    )
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok() -> Reply {
    Reply::Status(200, "{\"ok\":true}".into())
}

fn failing() -> Reply {
    Reply::Status(500, "{\"error\":\"busy\"}".into())
}

#[test]
fn a_webhook_receives_the_envelope_with_its_id_as_the_idempotency_key() {
    let home = Home::new(QUICK);
    let hook = Server::start(vec![ok()]);
    let sink = format!("webhook:http://127.0.0.1:{}/handoffs", hook.port);
    let out = home.run(&model(&[ANSWER]), &["--sink", "outbox", "--sink", &sink]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let [envelope] = home.envelopes().try_into().unwrap();
    let posted: Value = serde_json::from_str(&hook.requests.lock().unwrap()[0]).unwrap();
    assert_eq!(
        posted, envelope,
        "the webhook gets the envelope the outbox holds"
    );
    assert_eq!(
        hook.header(0, "idempotency-key").as_deref(),
        envelope["id"].as_str()
    );
    assert_eq!(
        hook.header(0, "content-type").as_deref(),
        Some("application/json")
    );
    assert!(
        stderr(&out).contains("HTTP 200 after 1 try"),
        "{}",
        stderr(&out)
    );
    assert!(home.pending().is_empty());
}

#[test]
fn a_500_is_retried_with_the_same_key() {
    let home = Home::new(QUICK);
    let hook = Server::start(vec![failing(), ok()]);
    let sink = format!("webhook:http://127.0.0.1:{}/h", hook.port);
    let out = home.run(&model(&[ANSWER]), &["--sink", &sink]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(hook.requests.lock().unwrap().len(), 2);
    let key = hook.header(0, "idempotency-key").unwrap();
    assert_eq!(hook.header(1, "idempotency-key").unwrap(), key);
    assert_eq!(
        hook.header(1, "archbench-delivery-attempt").as_deref(),
        Some("2")
    );
    assert!(stderr(&out).contains("after 2 tries"));
}

#[test]
fn a_webhook_that_keeps_failing_leaves_the_envelope_pending_until_outbox_retry() {
    let home = Home::new(QUICK);
    // Three tries fail during the run; the fourth request, from `outbox retry`, succeeds.
    let hook = Server::start(vec![failing(), failing(), failing(), ok()]);
    let sink = format!("webhook:http://127.0.0.1:{}/h", hook.port);
    let out = home.run_left_pending(&sink, "failed 3 times");
    assert!(stderr(&out).contains("archbench outbox retry"));
    let [envelope] = home.envelopes().try_into().unwrap();

    let listed = home.command(&["outbox", "list"]).output().unwrap();
    let listing = String::from_utf8_lossy(&listed.stdout);
    assert!(listing.contains("1 delivery(ies) pending"), "{listing}");
    assert!(listing.contains(envelope["id"].as_str().unwrap()));

    let retried = home.command(&["outbox", "retry"]).output().unwrap();
    let report = String::from_utf8_lossy(&retried.stdout);
    assert_eq!(
        retried.status.code(),
        Some(0),
        "{report}{}",
        stderr(&retried)
    );
    assert!(report.contains("delivered"), "{report}");
    assert!(home.pending().is_empty(), "delivered: no longer pending");
    let keys: Vec<String> = (0..4)
        .map(|i| hook.header(i, "idempotency-key").unwrap())
        .collect();
    assert!(
        keys.iter().all(|k| k == envelope["id"].as_str().unwrap()),
        "{keys:?}"
    );
    let last: Value = serde_json::from_str(&hook.requests.lock().unwrap()[3]).unwrap();
    assert_eq!(last, envelope);

    let again = home.command(&["outbox", "retry"]).output().unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("Nothing pending"));
}

/// An envelope another process is still writing (the outbox's temporary file, half written) is
/// neither listed, retried nor read by `audit verify`: readers see whole envelopes or none.
#[test]
fn an_envelope_still_being_written_is_invisible_to_every_reader() {
    let home = Home::new(QUICK);
    let hook = Server::start(vec![failing(), failing(), failing(), ok()]);
    let sink = format!("webhook:http://127.0.0.1:{}/h", hook.port);
    let out = home.run(&model(&[ANSWER]), &["--sink", &sink]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let [envelope] = home.envelopes().try_into().unwrap();
    // What write_atomic leaves while it writes: a hidden temporary beside the envelopes.
    let whole = serde_json::to_vec(&envelope).unwrap();
    std::fs::write(
        home.outbox().join(".0000-being-written.json.tmp-4242"),
        &whole[..whole.len() / 2],
    )
    .unwrap();
    let listed = home.command(&["outbox", "list"]).output().unwrap();
    let listing = String::from_utf8_lossy(&listed.stdout);
    assert!(listing.contains(": 1 envelope(s)"), "{listing}");
    assert!(!listing.contains("being-written"), "{listing}");
    let retried = home.command(&["outbox", "retry"]).output().unwrap();
    assert_eq!(retried.status.code(), Some(0), "{}", stderr(&retried));
    let verified = home
        .dir
        .command()
        .args(["audit", "verify", "--outbox"])
        .arg(home.outbox())
        .output()
        .unwrap();
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
}

/// 408 and 429 are worth another try, like a 5xx: the third try is delivered, every try with the
/// same idempotency key.
#[test]
fn a_408_and_a_429_are_tried_again() {
    let home = Home::new(QUICK);
    let hook = Server::start(vec![
        Reply::Status(408, "{\"error\":\"slow\"}".into()),
        Reply::Status(429, "{\"error\":\"busy\"}".into()),
        ok(),
    ]);
    let sink = format!("webhook:http://127.0.0.1:{}/h", hook.port);
    let out = home.run(&model(&[ANSWER]), &["--sink", &sink]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let [envelope] = home.envelopes().try_into().unwrap();
    let attempts: Vec<String> = (0..3)
        .map(|i| {
            assert_eq!(
                hook.header(i, "idempotency-key").as_deref(),
                envelope["id"].as_str()
            );
            hook.header(i, "archbench-delivery-attempt").unwrap()
        })
        .collect();
    assert_eq!(attempts, ["1", "2", "3"]);
    assert!(home.pending().is_empty());
}

/// No connection and no answer are worth another try too; when every try fails the envelope is
/// pending, with what happened last.
#[test]
fn no_connection_and_no_answer_are_tried_again_then_left_pending() {
    // Port 9 (discard) has no listener on a test machine: the connection is refused.
    let home = Home::new(QUICK);
    home.run_left_pending(
        "webhook:http://127.0.0.1:9/h",
        "failed 3 times (last: cannot connect)",
    );

    // A server that takes the request and never answers: each try ends at the timeout, which
    // is what this test waits for (1 s, three times).
    let home = Home::new(
        "[handoff]\nwebhook_retries = 2\nwebhook_backoff_ms = 1\nwebhook_timeout_secs = 1\n",
    );
    let hook = Server::start(vec![Reply::Silent, Reply::Silent, Reply::Silent]);
    let sink = format!("webhook:http://127.0.0.1:{}/h", hook.port);
    home.run_left_pending(&sink, "failed 3 times (last: no answer within 1.0 s)");
    assert_eq!(hook.requests.lock().unwrap().len(), 3, "three tries");
}

#[test]
fn a_webhook_that_redirects_is_a_failed_delivery_naming_where_it_pointed() {
    for status in [301, 302, 307, 308] {
        let home = Home::new(QUICK);
        let elsewhere = Server::start(vec![ok(), ok()]);
        let moved = format!("http://127.0.0.1:{}/stolen", elsewhere.port);
        let hook = Server::start(vec![Reply::StatusHeaders(
            status,
            vec![("Location", moved.clone())],
            String::new(),
        )]);
        let sink = format!("webhook:http://127.0.0.1:{}/h", hook.port);
        let out = home.run_left_pending(&sink, &format!("HTTP {status} pointing to {moved}"));
        assert!(!stderr(&out).contains("HTTP 200"), "{}", stderr(&out));
        assert!(
            elsewhere.requests.lock().unwrap().is_empty(),
            "{status}: nothing reaches the other origin"
        );
    }
}

#[test]
fn a_4xx_is_final_at_once() {
    let home = Home::new(QUICK);
    let hook = Server::start(vec![Reply::Status(422, "{\"error\":\"schema\"}".into())]);
    let sink = format!("webhook:http://127.0.0.1:{}/h", hook.port);
    let out = home.run(&model(&[ANSWER]), &["--sink", &sink]);
    assert_eq!(out.status.code(), Some(6));
    assert_eq!(
        hook.requests.lock().unwrap().len(),
        1,
        "no retry of a refusal"
    );
    assert!(
        stderr(&out).contains("refused the envelope (HTTP 422"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_command_sink_gets_the_envelope_on_stdin_and_interprets_nothing() {
    let home = Home::new(QUICK);
    let hostile = "# Plan\n\nRun `$(touch PWNED1)` then ; touch PWNED2 | sh && echo $HOME > PWNED3 \"'\n\nDECISION: completed: Go to backup_disaster_specialist\n";
    let received = home.path().join("received.json");
    // A shell would run `$(touch PWNED4)`; split into words it is two more files for tee.
    let sink = format!("exec:tee '{}' $(touch PWNED4)", received.display());
    // The variables the command gets, written by a shell the configuration asks for by name.
    let seen = home.path().join("seen.txt");
    let env_sink = format!(
        "exec:sh -c 'echo \"$ARCHBENCH_ENVELOPE_ID $ARCHBENCH_ENVELOPE_FILE\" > {}'",
        seen.display()
    );
    let mut cmd = home.command(&[
        "run",
        "--provider",
        "openai",
        "--model",
        "m",
        "--base-url",
        &model(&[hostile]).base_url(),
        "--brief",
        home.path().join("brief.md").to_str().unwrap(),
        "--sink",
        &sink,
        "--sink",
        &env_sink,
    ]);
    let out = cmd.current_dir(home.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got: Value = serde_json::from_slice(&std::fs::read(&received).unwrap()).unwrap();
    assert_eq!(
        got["response"]["text"], hostile,
        "the text arrives as it was written"
    );
    assert_eq!(got, home.envelopes()[0]);
    for name in ["PWNED1", "PWNED2", "PWNED3", "PWNED4"] {
        assert!(
            !home.path().join(name).exists(),
            "{name} was created: something was interpreted"
        );
    }
    assert!(
        home.path().join("$(touch").exists() && home.path().join("PWNED4)").exists(),
        "the command's words reached it as written"
    );
    let envelope = &home.envelopes()[0];
    let seen = std::fs::read_to_string(&seen).unwrap();
    let (id, file) = seen.trim().split_once(' ').unwrap();
    assert_eq!(id, envelope["id"].as_str().unwrap());
    let named: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    assert_eq!(
        &named, envelope,
        "ARCHBENCH_ENVELOPE_FILE names the envelope"
    );
}

#[test]
fn a_failing_command_is_pending_and_named() {
    let home = Home::new(QUICK);
    home.run_left_pending(
        "exec:sh -c 'echo no ticket queue >&2; exit 3'",
        "no ticket queue",
    );
}

#[test]
fn a_bad_sink_is_refused_before_any_work() {
    let home = Home::new(QUICK);
    let out = home.run(&model(&[]), &["--sink", "carrier-pigeon"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is not a sink"), "{}", stderr(&out));
}

#[test]
fn a_config_error_names_its_line() {
    let home = Home::new("[handoff]\nsinks = [\"outbox\",\n  \"webhook:not a url\"]\n");
    let out = home.run(&model(&[]), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("config.toml:3:"), "{}", stderr(&out));
    let check = home.command(&["config", "check"]).output().unwrap();
    assert_eq!(check.status.code(), Some(2));
    assert!(
        stderr(&check).contains("config.toml:3: webhook `not a url` is not a URL"),
        "{}",
        stderr(&check)
    );
}

#[test]
fn three_roles_chain_headless_with_linked_envelopes() {
    let home = Home::new("[handoff]\nsinks = [\"outbox\", \"chain\"]\n");
    let server = model(&[
        "# Data layer\n\nCatalog tables.\n\nDECISION: product_catalog_manager\n",
        "# Catalog\n\nTaxonomy.\n\nDECISION: fullstack_developer\n",
        "# App\n\nEndpoints.\n\nDECISION: end\n",
    ]);
    let out = home.run(&server, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let written = home.envelopes();
    assert_eq!(
        printed, written,
        "one JSON line per envelope, as in the outbox"
    );
    let roles: Vec<&str> = written
        .iter()
        .map(|e| e["role"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        [
            "database_architect",
            "product_catalog_manager",
            "fullstack_developer"
        ]
    );
    assert_eq!(written[0]["parent_id"], Value::Null);
    assert_eq!(written[1]["parent_id"], written[0]["id"]);
    assert_eq!(written[2]["parent_id"], written[1]["id"]);
    assert!(written
        .iter()
        .all(|e| e["chain_id"] == written[0]["chain_id"]));
    assert_eq!(written[2]["route"]["target"], "end");
    for e in &written {
        common::assert_valid_envelope(e);
    }
    // Each role received the brief composed by the step before it.
    for step in 1..3 {
        let request = server.request_json(step);
        assert_eq!(
            request["messages"][1]["content"],
            written[step - 1]["payload"]["brief"]
        );
        assert_eq!(
            written[step]["brief"],
            written[step - 1]["payload"]["brief"]
        );
    }
    assert!(
        stderr(&out).contains(
            "chain step 3: database_architect → product_catalog_manager → fullstack_developer"
        ),
        "{}",
        stderr(&out)
    );
    let audit = std::fs::read_to_string(home.path().join("data/archbench/audit.jsonl")).unwrap();
    assert_eq!(audit.matches("\"chain_opened\"").count(), 2);
}

#[test]
fn a_headless_chain_stops_before_revisiting_a_role() {
    let home = Home::new("[handoff]\nsinks = [\"outbox\", \"chain\"]\n");
    let server = model(&[
        "A.\n\nDECISION: backup_disaster_specialist\n",
        "B.\n\nDECISION: fullstack_developer\n",
        "C.\n\nDECISION: backup_disaster_specialist\n",
    ]);
    let out = home.run(&server, &[]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("a person must confirm a revisit"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        home.envelopes().len(),
        2,
        "the guard decides before anything is written: no envelope for the revisit"
    );
}

#[test]
fn a_headless_chain_stops_at_its_depth_limit() {
    let home = Home::new("[handoff]\nsinks = [\"outbox\", \"chain\"]\nmax_chain_depth = 2\n");
    let server = model(&[
        "A.\n\nDECISION: product_catalog_manager\n",
        "B.\n\nDECISION: fullstack_developer\n",
    ]);
    let out = home.run(&server, &[]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("its limit"), "{}", stderr(&out));
    assert_eq!(
        home.envelopes().len(),
        1,
        "nothing handed off past the limit"
    );
}

#[test]
fn a_forced_route_cannot_drive_a_chain() {
    let home = Home::new("[handoff]\nsinks = [\"outbox\", \"chain\"]\n");
    let out = home.run(&model(&[]), &["--approve", "fullstack_developer"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot drive a chain"));
}

#[test]
fn a_headless_run_whose_audit_log_cannot_be_written_says_so_hands_nothing_off_and_exits_8() {
    let home = Home::new(QUICK);
    // A folder where the log file should be: no record can be appended.
    std::fs::create_dir_all(home.path().join("data/archbench/audit.jsonl")).unwrap();
    let out = home.run(&model(&[ANSWER]), &[]);
    assert_eq!(out.status.code(), Some(8), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("could not be written") && stderr(&out).contains("record is missing"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("cannot record the handoff")
            && stderr(&out).contains("nothing was handed off"),
        "{}",
        stderr(&out)
    );
    assert!(
        !home.outbox().exists(),
        "a handoff the log cannot record is not made"
    );
}

/// The log is checked against what it cannot rewrite: the session store's record of its head and
/// the envelopes naming their handoff's record. Deleting the log with its head file, or cutting
/// its end and the head file, is found.
#[test]
fn a_log_deleted_or_cut_with_its_head_file_is_found_by_the_store_and_the_envelopes() {
    let home = Home::new(QUICK);
    let out = home.run(&model(&[ANSWER]), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let [envelope] = home.envelopes().try_into().unwrap();
    let log = home.path().join("data/archbench/audit.jsonl");
    let head = home.path().join("data/archbench/audit.jsonl.head");
    let seq = envelope["audit"]["seq"].as_u64().unwrap();
    let records: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let claimed = &records[seq as usize - 1];
    assert_eq!(claimed["kind"], "handoff_claimed");
    assert_eq!(claimed["data"]["envelope_id"], envelope["id"]);
    let verify = |home: &Home| {
        // audit takes no run options (--config): only the outbox to check against.
        let out = home
            .dir
            .command()
            .args(["audit", "verify", "--outbox"])
            .arg(home.outbox())
            .output()
            .unwrap();
        (
            out.status.code(),
            format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out)),
        )
    };
    let (code, text) = verify(&home);
    assert_eq!(code, Some(0), "{text}");

    // Cut after the handoff's record, head file and all: the envelope and the store still know.
    let kept: String = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .take(seq as usize - 1)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&log, kept).unwrap();
    std::fs::remove_file(&head).unwrap();
    let (code, text) = verify(&home);
    assert_eq!(code, Some(5), "{text}");
    assert!(
        text.contains("the log does not hold it: records were deleted"),
        "{text}"
    );
    assert!(text.contains("session store"), "{text}");

    // Deleted outright, head file and all.
    std::fs::remove_file(&log).unwrap();
    let (code, text) = verify(&home);
    assert_eq!(code, Some(5), "{text}");
    assert!(text.contains("deleted or replaced"), "{text}");
}

#[test]
fn an_outbox_that_is_a_file_says_what_to_do_and_exits_as_storage() {
    let home = Home::new(QUICK);
    std::fs::write(home.outbox(), "not a folder").unwrap();
    let out = home.run(&model(&[ANSWER]), &[]);
    assert_eq!(out.status.code(), Some(9), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("is a file, not a folder") && said.contains("--outbox"),
        "{said}"
    );
    assert!(!said.contains("os error 17"), "{said}");
}
