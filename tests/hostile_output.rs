//! Text from outside reaches no terminal as control sequences, through any subcommand: a model
//! answer and a brief full of escapes, a webhook whose error body carries them, a server whose model
//! names and error bodies carry them. Every subcommand that prints what was kept (`sessions`,
//! `outbox`, `audit`, `models`) is run on it, and every byte it writes is checked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::home::Home;
use common::server::{openai_sse, Reply, Server};
use std::process::Output;

/// Clear screen, window title, clipboard, cursor move, C1 CSI, bidi override.
const EVIL: &str =
    "\u{1b}[2J\u{1b}]0;owned\u{7}\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}[10;10H\u{9b}31m\u{202e}";
/// The same characters as JSON escapes, for bodies a server sends.
const EVIL_JSON: &str =
    "\\u001b[2J\\u001b]0;owned\\u0007\\u001b]52;c;cHduZWQ=\\u0007\\u001b[10;10H\\u009b31m\\u202e";

/// Neither stream carries a control sequence.
fn assert_inert(what: &str, out: &Output) {
    assert_clean(what, "stderr", &out.stderr);
    assert_clean(what, "stdout", &out.stdout);
}

/// `bytes`, written to `stream`, carry no control sequence. (Standard output of `run`, `sessions
/// show` and `sessions export` is the answer byte for byte when it is a pipe, for pipelines; on
/// a terminal it is sanitized, which tests/tmux.rs checks in a real terminal.)
fn assert_clean(what: &str, stream: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for c in ['\u{1b}', '\u{9b}', '\u{7}', '\u{202e}'] {
        assert!(
            !text.contains(c),
            "{what}: {c:?} reached {stream}: {text:?}"
        );
    }
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn what_was_kept_from_hostile_servers_prints_as_text_in_every_subcommand() {
    let home = Home::new();
    home.write_config(
        "[handoff]\nwebhook_retries = 1\nwebhook_backoff_ms = 1\nwebhook_timeout_secs = 5\n",
    );
    let brief = home.path().join("brief.md");
    std::fs::write(&brief, format!("Evil brief {EVIL} tenants")).unwrap();
    let answer = format!(
        "# Plan {EVIL}\n\nTenants {EVIL} first.\n\nDECISION: completed: Go to fullstack_developer\n"
    );
    let model = Server::start(vec![Reply::Stream(vec![openai_sse(&answer, 5, "stop")])]);
    // Raw control characters in the body: a hostile server need not send valid JSON.
    let failing = || Reply::Status(500, format!("{{\"error\":\"busy {EVIL}\"}}"));
    // The run's one try and `outbox retry`'s one try both fail with the hostile body.
    let hook = Server::start(vec![failing(), failing()]);
    let outbox = home.path().join("outbox");
    let run = home
        .command()
        .args(["run", "--approve", "agent", "--provider", "openai"])
        .args(["--model", "m", "--base-url", &model.base_url()])
        .arg("--brief")
        .arg(&brief)
        .arg("--outbox")
        .arg(&outbox)
        .args([
            "--sink",
            &format!("webhook:http://127.0.0.1:{}/h", hook.port),
        ])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(6), "{}", said(&run));
    assert!(
        said(&run).contains("busy"),
        "the body is quoted: {}",
        said(&run)
    );
    assert_clean("run", "stderr", &run.stderr);

    let outbox = outbox.to_str().unwrap();
    for args in [
        &["sessions", "list"][..],
        &["sessions", "show", "1"],
        &["sessions", "search", "tenants"],
        &["sessions", "export", "1", "--format", "markdown"],
        &["outbox", "--outbox", outbox, "list"],
        &["outbox", "--outbox", outbox, "retry"],
        &["audit", "show"],
        &["audit", "show", "--json"],
        &["audit", "verify"],
    ] {
        let out = home.command().args(args).output().unwrap();
        assert!(
            matches!(out.status.code(), Some(0) | Some(6)),
            "{args:?}: {}",
            said(&out)
        );
        let exact = args[0] == "sessions" && matches!(args[1], "show" | "export");
        if exact {
            assert_clean(&format!("{args:?}"), "stderr", &out.stderr);
        } else {
            assert_inert(&format!("{args:?}"), &out);
        }
        if args[0] == "sessions" && args[1] != "list" {
            assert!(
                said(&out).contains("Tenants") || said(&out).contains("tenants"),
                "{args:?} printed what was kept: {}",
                said(&out)
            );
        }
    }
}

#[test]
fn model_names_and_error_bodies_from_a_server_print_as_text() {
    let listing =
        format!("{{\"data\":[{{\"id\":\"good-model\"}},{{\"id\":\"evil{EVIL_JSON}\"}}]}}");
    let server = Server::start(vec![
        Reply::Status(200, listing),
        Reply::Status(403, format!("{{\"error\":\"denied {EVIL}\"}}")),
    ]);
    let home = Home::new();
    let list = || {
        home.command()
            .args(["models", "list", "--server", "--preset", "ollama"])
            .args(["--base-url", &server.base_url()])
            .output()
            .unwrap()
    };
    let listed = list();
    assert_eq!(listed.status.code(), Some(0), "{}", said(&listed));
    assert!(said(&listed).contains("good-model"), "{}", said(&listed));
    eprintln!("{}", said(&listed));
    assert_inert("models list --server", &listed);
    let refused = list();
    assert_ne!(refused.status.code(), Some(0));
    assert!(
        said(&refused).contains("denied"),
        "the body is quoted: {}",
        said(&refused)
    );
    assert_inert("models list --server (refused)", &refused);
}
