//! Servers that try to take the key or make it leak, each on loopback, each answering a bounded
//! number of requests: a redirect to a key thief, a server that echoes the key in its errors, a
//! base URL that carries a password. Each test asserts the safe outcome and greps every file the
//! run wrote for the key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::home::Home;
use common::server::{Reply, Server};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const KEY: &str = "sk-hostile-canary-5e1d9a";

/// `archbench run` with `provider` against `base`, the key in the provider's variable, in a fresh
/// home whose every folder is the test's.
fn run(provider: &str, base: &str) -> (Output, Home) {
    run_with(provider, base, "")
}

/// [`run`] with more configuration.
fn run_with(provider: &str, base: &str, more_config: &str) -> (Output, Home) {
    run_args(provider, base, more_config, &[])
}

/// [`run`] with more configuration and more flags.
fn run_args(provider: &str, base: &str, more_config: &str, more_args: &[&str]) -> (Output, Home) {
    let (mut command, home) = run_command(provider, base, more_config, more_args);
    (command.output().unwrap(), home)
}

/// The command [`run_args`] runs.
fn run_command(
    provider: &str,
    base: &str,
    more_config: &str,
    more_args: &[&str],
) -> (Command, Home) {
    let home = Home::new();
    let brief = home.path().join("brief.md");
    std::fs::write(&brief, "Design the data layer.").unwrap();
    // Refusals worth another try are tried again at once: the test waits for no backoff.
    // The default timeouts: only the keepalive test, which waits for them, shortens them.
    home.write_config(&format!(
        "[retry]\nmax_tries = 3\nbase_ms = 1\nmax_ms = 2\n{more_config}"
    ));
    let variable = if provider == "anthropic" {
        "ANTHROPIC_API_KEY"
    } else {
        "OPENAI_API_KEY"
    };
    let mut command = home.command();
    command
        .args([
            "run",
            "--provider",
            provider,
            "--model",
            "m",
            "--base-url",
            base,
        ])
        .arg("--brief")
        .arg(&brief)
        .arg("--outbox")
        .arg(home.path().join("outbox"))
        .args(more_args)
        .env(variable, KEY);
    (command, home)
}

/// Runs `command` to its end, with the most memory it held resident (its peak RSS, in bytes).
// wait4 reaps the child (clippy only knows std's wait).
#[allow(clippy::zombie_processes)]
fn output_and_peak(mut command: Command) -> (Output, u64) {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).unwrap();
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for the child this test spawned (std never waits for it after this: `child`
    // is only dropped, which neither waits nor kills).
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    let out = Output {
        status: std::process::ExitStatus::from_raw(status),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    // Linux reports ru_maxrss in KiB.
    (out, usage.ru_maxrss as u64 * 1024)
}

fn files(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push(path);
        }
    }
    found
}

fn no_file_holds(root: &Path, secret: &str) {
    let written = files(root);
    assert!(!written.is_empty(), "the run wrote nothing to check");
    for file in written {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "the secret reached {}",
            file.display()
        );
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_redirect_to_another_origin_never_carries_the_key() {
    for provider in ["openai", "anthropic"] {
        for status in [301, 302, 307, 308] {
            let thief = Server::start(vec![Reply::Status(200, "{}".into())]);
            let stolen = format!("{}/chat/completions", thief.base_url());
            let server = Server::start(vec![Reply::StatusHeaders(
                status,
                vec![("Location", stolen.clone())],
                String::new(),
            )]);
            let (out, home) = run(provider, &server.base_url());
            let said = stderr(&out);
            assert_eq!(out.status.code(), Some(3), "{provider} {status}: {said}");
            assert!(said.contains("follows no redirect"), "{said}");
            assert!(said.contains(&stolen), "names where it pointed: {said}");
            assert!(
                thief.requests.lock().unwrap().is_empty(),
                "{provider} {status}: the thief got a request"
            );
            assert!(!said.contains(KEY));
            no_file_holds(home.path(), KEY);
        }
    }
}

#[test]
fn a_server_that_echoes_the_key_in_its_errors_does_not_put_it_anywhere() {
    for provider in ["openai", "anthropic"] {
        for status in [400, 404, 500] {
            let body = format!("{{\"error\":{{\"message\":\"bad key {KEY} for model m\"}}}}");
            // A 500 is tried again: every try echoes.
            let server = Server::start(vec![Reply::Status(status, body); 6]);
            let (out, home) = run(provider, &server.base_url());
            let said = stderr(&out);
            assert_eq!(out.status.code(), Some(3), "{provider} {status}: {said}");
            assert!(!said.contains(KEY), "{provider} {status}: {said}");
            // A 404 naming the model is said in archbench's words; the others quote the server.
            if status != 404 {
                assert!(
                    said.contains("[key withheld]"),
                    "{provider} {status}: {said}"
                );
            }
            no_file_holds(home.path(), KEY);
        }
    }
}

#[test]
fn a_base_url_that_carries_a_password_is_refused_and_written_nowhere() {
    let server = Server::start(Vec::new());
    let base = format!("http://user:{KEY}@127.0.0.1:{}/v1", server.port);
    let (out, home) = run("openai", &base);
    let said = stderr(&out);
    assert_ne!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("carries a user name or password"), "{said}");
    assert!(!said.contains(KEY), "{said}");
    assert!(server.requests.lock().unwrap().is_empty());
    for file in files(home.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(!text.contains(KEY), "{}", file.display());
    }
}

/// Keepalives, comments and a line trickled a byte at a time are not content: the first-token
/// and idle timeouts run through them, and the message says what was seen. (The trickles last
/// far longer than the timeouts: a run that ends with these messages ended on the timeout.)
#[test]
fn keepalives_and_a_slow_loris_do_not_hold_a_run_open() {
    let every = std::time::Duration::from_millis(100);
    let pings = vec![b": ping\n\n".to_vec(); 60];
    let line = "data: {\"choices\":[{\"delta\":{\"content\":\"never whole\"}}]}\n\n";
    let loris: Vec<Vec<u8>> = line.bytes().map(|b| vec![b]).collect();
    let mut first = openai_delta("Partition by tenant.");
    first.extend(pings.clone());
    for (pieces, expected) in [
        (
            pings,
            "no answer began: only keepalives or partial lines for 0.4 s",
        ),
        (
            loris,
            "no answer began: only keepalives or partial lines for 0.4 s",
        ),
        (
            first,
            "the answer stopped arriving: only keepalives or partial lines for 0.4 s",
        ),
    ] {
        let server = Server::start(vec![Reply::Trickle(pieces, every)]);
        let (out, _home) = run_with(
            "openai",
            &server.base_url(),
            "[timeouts]\nfirst_token_secs = 0.4\nidle_secs = 0.4\n",
        );
        let said = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{said}");
        assert!(said.contains(expected), "{expected}: {said}");
    }
}

fn openai_delta(text: &str) -> Vec<Vec<u8>> {
    vec![
        format!("data: {{\"choices\":[{{\"delta\":{{\"content\":\"{text}\"}}}}]}}\n\n")
            .into_bytes(),
    ]
}

/// A stream that never ends is cut off at the answer limit: kept up to it, finished as a
/// length stop, never handed off by `--approve agent`.
#[test]
fn an_endless_answer_is_cut_off_at_its_limit_and_not_handed_off() {
    // 9 MiB of answer in 64 KiB deltas, then a decision the policy would take: never reached.
    let delta = "x".repeat(64 * 1024);
    let mut pieces: Vec<Vec<u8>> = (0..144).flat_map(|_| openai_delta(&delta)).collect();
    pieces.extend(openai_delta(
        "\\nDECISION: completed: Go to fullstack_developer\\n",
    ));
    pieces.push(b"data: [DONE]\n\n".to_vec());
    let server = Server::start(vec![Reply::Stall(pieces)]);
    let (out, home) = run("openai", &server.base_url());
    let said = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{said}");
    assert!(said.contains("cut off"), "{said}");
    assert!(!home.path().join("outbox").exists(), "nothing handed off");
    let printed = out.stdout.len() as u64;
    assert!(
        (8 * 1024 * 1024..=9 * 1024 * 1024).contains(&printed),
        "kept up to the limit: {printed} bytes"
    );
}

/// A stream far past every limit keeps memory and the store bounded: 64 MiB of answer, and of
/// reasoning, are cut off at the 8 MiB limit they share, one 64 MiB line at the 1 MiB event
/// limit, a 64 MiB error page at the 64 KiB read of an error body. (The test process sends
/// the streams piece by piece and stays small: a child's peak counts its parent's memory until
/// it execs.)
#[test]
fn memory_and_the_store_stay_bounded_past_the_limits() {
    const MIB: u64 = 1024 * 1024;
    let delta = openai_delta(&"x".repeat(64 * 1024)).concat();
    let line_start = b"data: {\"choices\":[{\"delta\":{\"content\":\"".to_vec();
    let reasoning = format!(
        "data: {{\"choices\":[{{\"delta\":{{\"reasoning_content\":\"{}\"}}}}]}}\n\n",
        "r".repeat(64 * 1024)
    );
    let error_page = || Reply::HugeStatus(500, vec![b'e'; 64 * 1024], 1024);
    for (name, replies, code) in [
        ("answer", vec![Reply::Repeat(Vec::new(), delta, 1024)], 4),
        (
            "reasoning",
            vec![Reply::Repeat(Vec::new(), reasoning.into_bytes(), 1024)],
            4,
        ),
        (
            "line",
            vec![Reply::Repeat(line_start, vec![b'y'; 64 * 1024], 1024)],
            3,
        ),
        // Three tries, each refused with a 64 MiB error page.
        (
            "error body",
            vec![error_page(), error_page(), error_page()],
            3,
        ),
    ] {
        let server = Server::start(replies);
        let (command, home) = run_command("openai", &server.base_url(), "", &[]);
        let (out, peak) = output_and_peak(command);
        assert_eq!(out.status.code(), Some(code), "{name}: {}", stderr(&out));
        let store = std::fs::metadata(home.archbench_data().join("sessions.db"))
            .map(|m| m.len())
            .unwrap_or(0);
        let wal = std::fs::metadata(home.archbench_data().join("sessions.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
        eprintln!(
            "{name}: peak {} MiB, store {} KiB + WAL {} KiB, stdout {} KiB",
            peak / MIB,
            store / 1024,
            wal / 1024,
            out.stdout.len() / 1024
        );
        assert!(peak < 96 * MIB, "{name}: peak {} MiB", peak / MIB);
        assert!(
            store + wal < 24 * MIB,
            "{name}: store {} KiB",
            (store + wal) / 1024
        );
        assert!(
            out.stdout.len() as u64 <= 8 * MIB + 128 * 1024,
            "{name}: {} bytes printed",
            out.stdout.len()
        );
    }
}

/// One line that never ends is stopped at the event limit, with what happened said.
#[test]
fn a_line_that_never_ends_is_stopped() {
    let mut line = b"data: {\"choices\":[{\"delta\":{\"content\":\"".to_vec();
    line.extend(std::iter::repeat_n(b'y', 2 * 1024 * 1024));
    let server = Server::start(vec![Reply::Stall(vec![line])]);
    let (out, _home) = run("openai", &server.base_url());
    let said = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(said.contains("an event longer than 1 MB"), "{said}");
}

#[test]
fn a_brief_that_is_a_device_or_too_large_is_refused_at_once() {
    let home = Home::new();
    let big = home.path().join("big.md");
    std::fs::write(&big, "z".repeat(2 * 1024 * 1024)).unwrap();
    for (brief, expected) in [
        (Path::new("/dev/zero"), "is not a file"),
        (big.as_path(), "larger than 1 MB"),
    ] {
        let out = home
            .command()
            .args([
                "run",
                "--provider",
                "openai",
                "--base-url",
                "http://127.0.0.1:9/v1",
            ])
            .arg("--brief")
            .arg(brief)
            .output()
            .unwrap();
        let said = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{said}");
        assert!(said.contains(expected), "{expected}: {said}");
    }
}

/// The answer limit is a setting: `[limits] answer_mb`.
#[test]
fn the_answer_limit_is_a_setting() {
    let delta = "x".repeat(64 * 1024);
    let pieces: Vec<Vec<u8>> = (0..32).flat_map(|_| openai_delta(&delta)).collect();
    let server = Server::start(vec![Reply::Stall(pieces)]);
    let (out, _home) = run_with("openai", &server.base_url(), "[limits]\nanswer_mb = 1\n");
    let said = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{said}");
    assert!(said.contains("cut off"), "{said}");
    let printed = out.stdout.len() as u64;
    assert!(
        (1024 * 1024..=1200 * 1024).contains(&printed),
        "{printed} bytes"
    );
}

/// `--json` prints the envelope, which carries the model's answer: what could act on a terminal
/// in it is escaped, and the JSON value is the answer as streamed.
#[test]
fn the_envelope_on_standard_output_acts_on_no_terminal_and_keeps_the_answer() {
    let answer = "# Plan\n\nEvil \u{9b}31m \u{202e}txt\u{1b}]0;x\u{7}\n\nDECISION: completed: Go to fullstack_developer\n";
    let server = Server::start(vec![Reply::Stream(vec![common::server::openai_sse(
        answer, 8, "stop",
    )])]);
    let (out, _home) = run_args("openai", &server.base_url(), "", &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    for c in ['\u{1b}', '\u{9b}', '\u{202e}', '\u{7}'] {
        assert!(
            !printed.contains(c),
            "{c:?} reached standard output: {printed:?}"
        );
    }
    let envelope: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(envelope["response"]["text"], answer);
}
