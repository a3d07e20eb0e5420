//! Each API as its documentation shows it, and each fault of a real network, against loopback
//! servers: what the provider reports (and so what the reviewer sees), and what is kept.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use archbench::provider::anthropic::AnthropicProvider;
use archbench::provider::http::{RetryPolicy, Timeouts};
use archbench::provider::openai::OpenAiProvider;
use archbench::provider::{
    AgentEvent, ChatRequest, EventSink, FinishReason, Message, Params, Provider, ProviderError,
    Speaker, Usage,
};
use common::home::Home;
use common::server::{anthropic_sse, openai_sse, openai_sse_partial, split, Reply, Server};
use std::time::Duration;

const ANSWER: &str = "# Data layer\n\n## 1. Data modeling\n\nTenants own listings.\n\nDECISION: completed: Go to backup_disaster_specialist\n";

/// Retries at once; timeouts far beyond any pause a loaded machine makes between two pieces of
/// a stream (only the stall test, which waits for one, shortens the idle timeout).
fn quick() -> (Timeouts, RetryPolicy) {
    (
        Timeouts {
            connect: Duration::from_secs(30),
            first_token: Duration::from_secs(30),
            idle: Duration::from_secs(30),
        },
        RetryPolicy {
            max_tries: 3,
            base: Duration::from_millis(20),
            max: Duration::from_millis(40),
        },
    )
}

fn request() -> ChatRequest {
    ChatRequest {
        messages: vec![
            Message::new(Speaker::System, "You are the database architect."),
            Message::new(Speaker::User, "Design the data layer."),
        ],
        params: Params {
            temperature: Some(0.2),
            max_tokens: Some(2000),
            seed: None,
            stop: vec!["\nEND".into()],
        },
    }
}

fn anthropic(server: &Server) -> AnthropicProvider {
    let (timeouts, retry) = quick();
    AnthropicProvider::new(
        &server.base_url().replace("/v1", ""),
        "claude-test-1",
        Some("sk-ant-canary".into()),
        "the environment variable ANTHROPIC_API_KEY".into(),
        timeouts,
        retry,
    )
    .unwrap()
}

fn openai(server: &Server) -> OpenAiProvider {
    openai_with(server, quick().0)
}

fn openai_with(server: &Server, timeouts: Timeouts) -> OpenAiProvider {
    let retry = quick().1;
    OpenAiProvider::new(
        &server.base_url(),
        "arch-model",
        Some("sk-canary".into()),
        "the environment variable OPENAI_API_KEY".into(),
        timeouts,
        retry,
    )
    .unwrap()
}

/// Every event of one run, until it finishes or fails.
fn run(provider: &dyn Provider) -> Vec<AgentEvent> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let _handle = provider.start(request(), EventSink::new(1, tx));
        let mut out = Vec::new();
        loop {
            let (_, event) = tokio::time::timeout(Duration::from_secs(20), rx.recv())
                .await
                .expect("the run never ended")
                .expect("the provider went away");
            let last = matches!(event, AgentEvent::Finished(_) | AgentEvent::Failed(_));
            out.push(event);
            if last {
                return out;
            }
        }
    })
}

fn text(events: &[AgentEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Delta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

fn failure(events: &[AgentEvent]) -> &ProviderError {
    match events.last() {
        Some(AgentEvent::Failed(e)) => e,
        other => panic!("the run did not fail: {other:?}"),
    }
}

#[test]
fn anthropic_streams_the_answer_with_the_role_prompt_as_system() {
    let server = Server::start(vec![Reply::Stream(split(
        &anthropic_sse(ANSWER, 7, "end_turn"),
        23,
    ))]);
    let events = run(&anthropic(&server));
    assert_eq!(text(&events), ANSWER, "every piece, in order, cut anywhere");
    assert_eq!(
        events[0],
        AgentEvent::Started {
            model: "claude-test-1".into()
        }
    );
    assert!(events.contains(&AgentEvent::Usage(Usage {
        prompt_tokens: 1250,
        completion_tokens: 415
    })));
    assert_eq!(
        events.last(),
        Some(&AgentEvent::Finished(FinishReason::Stop))
    );
    assert_eq!(
        server.header(0, ":request").as_deref(),
        Some("POST /v1/messages")
    );
    assert_eq!(
        server.header(0, "x-api-key").as_deref(),
        Some("sk-ant-canary")
    );
    assert_eq!(
        server.header(0, "anthropic-version").as_deref(),
        Some("2023-06-01")
    );
    assert_eq!(
        server.header(0, "authorization"),
        None,
        "the key goes only where Anthropic wants it"
    );
    let body = server.request_json(0);
    assert_eq!(body["system"], "You are the database architect.");
    assert_eq!(
        body["messages"].as_array().unwrap().len(),
        1,
        "no system message among them"
    );
    assert_eq!(body["messages"][0]["role"], "user");
    assert_eq!(body["max_tokens"], 2000);
    assert_eq!(body["stream"], true);
    assert_eq!(body["stop_sequences"][0], "\nEND");
}

#[test]
fn anthropic_max_tokens_is_a_cut_off_answer() {
    let server = Server::start(vec![Reply::Stream(split(
        &anthropic_sse("# Partial", 3, "max_tokens"),
        50,
    ))]);
    let events = run(&anthropic(&server));
    assert_eq!(
        events.last(),
        Some(&AgentEvent::Finished(FinishReason::Length))
    );
}

#[test]
fn anthropic_error_mid_stream_fails_the_run_and_keeps_what_arrived() {
    let mut body = anthropic_sse("## Schema\nCREATE TABLE", 4, "end_turn");
    let cut = String::from_utf8(body.clone())
        .unwrap()
        .find("event: content_block_stop")
        .unwrap();
    body.truncate(cut);
    body.extend_from_slice(b"event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n");
    let server = Server::start(vec![Reply::Stream(split(&body, 40))]);
    let events = run(&anthropic(&server));
    assert_eq!(text(&events), "## Schema\nCREATE TABLE");
    assert_eq!(
        failure(&events).to_string(),
        "the stream broke off: the server reported overloaded_error: Overloaded"
    );
}

#[test]
fn anthropic_thinking_is_reasoning_never_the_answer() {
    let thinking = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"DECISION: end is tempting\"}}\n\n";
    let mut body = thinking.as_bytes().to_vec();
    body.extend(anthropic_sse("The answer.", 5, "end_turn"));
    // message_start must come first: move the thinking after it.
    let text_body = String::from_utf8(body).unwrap();
    let start_end = text_body.find("event: content_block_start").unwrap();
    let reordered = format!(
        "{}{}{}",
        &text_body[thinking.len()..start_end],
        thinking,
        &text_body[start_end..]
    );
    let server = Server::start(vec![Reply::Stream(split(reordered.as_bytes(), 64))]);
    let events = run(&anthropic(&server));
    assert_eq!(text(&events), "The answer.");
    assert!(events.contains(&AgentEvent::Reasoning("DECISION: end is tempting".into())));
}

#[test]
fn openai_reasoning_deltas_are_kept_apart() {
    let mut body = String::new();
    for (field, value) in [
        ("reasoning_content", "Weighing "),
        ("reasoning", "partitions."),
        ("content", "Partition by tenant."),
    ] {
        body.push_str(&format!(
            "data: {}\n\n",
            serde_json::json!({"choices":[{"index":0,"delta":{field: value},"finish_reason":null}]})
        ));
    }
    body.push_str("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
    let server = Server::start(vec![Reply::Stream(split(body.as_bytes(), 33))]);
    let events = run(&openai(&server));
    assert_eq!(text(&events), "Partition by tenant.");
    let reasoning: String = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Reasoning(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(reasoning, "Weighing partitions.");
    let sent = server.request_json(0);
    assert_eq!(
        sent["stream_options"]["include_usage"], true,
        "usage is asked for"
    );
    assert_eq!(sent["stop"][0], "\nEND");
}

#[test]
fn a_refused_key_names_where_it_came_from() {
    let server = Server::start(vec![Reply::Status(
        401,
        "{\"error\":{\"message\":\"invalid x-api-key\"}}".into(),
    )]);
    let events = run(&anthropic(&server));
    assert_eq!(
        failure(&events).to_string(),
        "the server refused the key (HTTP 401); check the key in the environment variable ANTHROPIC_API_KEY"
    );
    let server = Server::start(vec![Reply::Status(403, "{}".into())]);
    let events = run(&openai(&server));
    assert!(failure(&events).to_string().contains("OPENAI_API_KEY"));
}

#[test]
fn an_unknown_model_is_named_with_what_the_server_offers() {
    let server = Server::start(vec![
        Reply::Status(
            404,
            "{\"error\":{\"message\":\"The model `arch-model` does not exist\"}}".into(),
        ),
        Reply::Status(
            200,
            "{\"data\":[{\"id\":\"qwen2.5:7b\"},{\"id\":\"llama3.1:8b\"}]}".into(),
        ),
    ]);
    let events = run(&openai(&server));
    assert_eq!(
        failure(&events).to_string(),
        "the server has no model `arch-model`; it offers: llama3.1:8b, qwen2.5:7b (pick one with --model)"
    );
    assert_eq!(
        server.header(1, ":request").as_deref(),
        Some("GET /v1/models")
    );
    let server = Server::start(vec![
        Reply::Status(404, "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":\"model: claude-test-1\"}}".into()),
        Reply::Status(200, "{\"data\":[{\"id\":\"claude-sonnet-4-5\"}]}".into()),
    ]);
    let events = run(&anthropic(&server));
    assert!(failure(&events)
        .to_string()
        .contains("it offers: claude-sonnet-4-5"));
    assert_eq!(
        server.header(1, ":request").as_deref(),
        Some("GET /v1/models")
    );
}

#[test]
fn rate_limits_and_server_errors_are_retried_then_the_answer_streams() {
    let server = Server::start(vec![
        Reply::StatusHeaders(
            429,
            vec![("Retry-After", "0".into())],
            "{\"error\":\"slow down\"}".into(),
        ),
        Reply::Status(500, "oops".into()),
        Reply::Stream(split(&openai_sse(ANSWER, 9, "stop"), 40)),
    ]);
    let events = run(&openai(&server));
    let retries: Vec<&AgentEvent> = events
        .iter()
        .filter(|e| matches!(e, AgentEvent::Retrying { .. }))
        .collect();
    assert_eq!(retries.len(), 2);
    let AgentEvent::Retrying {
        try_number,
        of,
        wait,
        why,
    } = retries[0]
    else {
        unreachable!()
    };
    assert_eq!(
        (*try_number, *of, *wait),
        (2, 3, Duration::ZERO),
        "Retry-After: 0 honoured"
    );
    assert_eq!(why, "HTTP 429: {\"error\":\"slow down\"}");
    let AgentEvent::Retrying { wait, why, .. } = retries[1] else {
        unreachable!()
    };
    assert!(
        *wait <= Duration::from_millis(40),
        "backoff within the policy: {wait:?}"
    );
    assert_eq!(why, "HTTP 500: oops");
    assert_eq!(text(&events), ANSWER);
    assert_eq!(
        events.last(),
        Some(&AgentEvent::Finished(FinishReason::Stop))
    );
}

#[test]
fn tries_run_out_with_a_clear_message() {
    let server = Server::start(vec![
        Reply::Status(429, "no Retry-After here".into()),
        Reply::StatusHeaders(529, vec![], "overloaded".into()),
        Reply::Status(502, "bad gateway".into()),
    ]);
    let events = run(&anthropic(&server));
    assert_eq!(
        failure(&events).to_string(),
        "gave up after 3 tries; the last: HTTP 502: bad gateway"
    );
}

#[test]
fn a_connection_cut_mid_answer_keeps_the_partial_answer() {
    let server = Server::start(vec![Reply::Stream(split(
        &openai_sse_partial(ANSWER, 6),
        25,
    ))]);
    let events = run(&openai(&server));
    assert!(ANSWER.starts_with(&text(&events)) && !text(&events).is_empty());
    assert_eq!(
        failure(&events).to_string(),
        "the stream broke off: the server closed the connection before the answer finished"
    );
}

#[test]
fn a_stalled_stream_times_out_and_names_the_setting() {
    let server = Server::start(vec![Reply::Stall(split(
        &openai_sse_partial(ANSWER, 6),
        25,
    ))]);
    // The stall never ends but by this timeout; the first piece is waited for 30 s.
    let timeouts = Timeouts {
        idle: Duration::from_millis(300),
        ..quick().0
    };
    let events = run(&openai_with(&server, timeouts));
    assert!(
        !text(&events).is_empty(),
        "what arrived before the stall is kept"
    );
    assert_eq!(
        failure(&events).to_string(),
        "the answer stopped arriving: nothing for 0.3 s (timeouts.idle_secs in the configuration sets this)"
    );
}

#[test]
fn a_malformed_event_fails_the_run_clearly() {
    let mut body = openai_sse_partial("Some text", 4);
    body.extend_from_slice(b"data: {\"choices\": [oops\n\n");
    let server = Server::start(vec![Reply::Stream(vec![body])]);
    let events = run(&openai(&server));
    let message = failure(&events).to_string();
    assert!(
        message.starts_with("the server sent an event archbench cannot read"),
        "{message}"
    );
    assert!(message.contains("{\"choices\": [oops"), "{message}");
}

/// Every file under `root`.
fn files(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(root) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(files(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

fn archbench(home: &Home, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = home.command();
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

const CANARY: &str = "sk-ant-canary-7d1e9";

/// Writes the configuration file of the home `home`; returns its path.
fn write_config(home: &std::path::Path, text: impl AsRef<str>) -> std::path::PathBuf {
    let config = home.join("config/archbench/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, text.as_ref()).unwrap();
    config
}

#[test]
fn a_headless_anthropic_run_hands_off_and_writes_the_key_nowhere() {
    let server = Server::start(vec![Reply::Stream(split(
        &anthropic_sse(ANSWER, 11, "end_turn"),
        40,
    ))]);
    let home = Home::new();
    let brief = home.path().join("brief.md");
    std::fs::write(&brief, "Design the data layer.").unwrap();
    let base = server.base_url().replace("/v1", "");
    let out = archbench(
        &home,
        &[
            "run",
            "--provider",
            "anthropic",
            "--base-url",
            &base,
            "--brief",
            brief.to_str().unwrap(),
            "--json",
        ],
        &[("ANTHROPIC_API_KEY", CANARY)],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let envelope: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    common::assert_valid_envelope(&envelope);
    assert_eq!(envelope["provider"]["kind"], "anthropic");
    assert_eq!(envelope["provider"]["model"], "claude-sonnet-4-5");
    assert_eq!(envelope["response"]["text"], ANSWER);
    assert_eq!(envelope["response"]["usage"]["prompt_tokens"], 1250);
    assert_eq!(
        envelope["parameters"]["max_tokens"], 16000,
        "the default actually sent is recorded"
    );
    assert_eq!(server.header(0, "x-api-key").as_deref(), Some(CANARY));
    let written = files(home.path());
    assert!(
        written.iter().any(|p| p.ends_with("sessions.db")),
        "{written:?}"
    );
    for file in written {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(CANARY),
            "the key leaked into {}",
            file.display()
        );
    }
}

#[test]
fn a_refused_key_is_named_headless_with_exit_3() {
    let server = Server::start(vec![Reply::Status(401, "{\"type\":\"error\"}".into())]);
    let home = Home::new();
    let brief = home.path().join("brief.md");
    std::fs::write(&brief, "Design.").unwrap();
    let base = server.base_url().replace("/v1", "");
    let out = archbench(
        &home,
        &[
            "run",
            "--provider",
            "anthropic",
            "--base-url",
            &base,
            "--brief",
            brief.to_str().unwrap(),
        ],
        &[("ANTHROPIC_API_KEY", CANARY)],
    );
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refused the key (HTTP 401); check the key in the environment variable ANTHROPIC_API_KEY"), "{stderr}");
    assert!(!stderr.contains(CANARY));
}

#[test]
fn config_show_prints_each_setting_with_its_source_and_masks_the_key() {
    let home = Home::new();
    write_config(home.path(), "default_profile = \"gpt\"\n[profiles.gpt]\nprovider = \"openai\"\nmodel = \"gpt-file\"\n[params]\ntemperature = 0.4\n",
    );
    let out = archbench(
        &home,
        &["config", "show", "--seed", "9"],
        &[("ARCHBENCH_MODEL", "gpt-env"), ("OPENAI_API_KEY", CANARY)],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} missing:\n{text}"))
            .to_string()
    };
    assert!(
        line("profile").contains("gpt") && line("profile").contains("config default_profile"),
        "{text}"
    );
    assert!(line("provider").contains("config profile `gpt`"), "{text}");
    assert!(
        line("model ").contains("gpt-env")
            && line("model ").contains("environment ARCHBENCH_MODEL"),
        "{text}"
    );
    assert!(
        line("temperature").contains("0.4") && line("temperature").contains("config [params]"),
        "{text}"
    );
    assert!(
        line("seed").contains('9') && line("seed").contains("flag --seed"),
        "{text}"
    );
    assert!(
        line("key").contains("$OPENAI_API_KEY (set, masked)"),
        "{text}"
    );
    assert!(!text.contains(CANARY));
    // A profile that does not exist is bad input, with what does.
    let out = archbench(&home, &["config", "show", "--profile", "claude"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no profile `claude` (defined: gpt)"));
}

#[test]
fn a_key_command_from_the_profile_is_used_and_never_stored() {
    let server = Server::start(vec![Reply::Stream(split(
        &openai_sse(ANSWER, 9, "stop"),
        40,
    ))]);
    let home = Home::new();
    write_config(home.path(), format!(
            "default_profile = \"srv\"\n[profiles.srv]\nprovider = \"openai\"\nbase_url = \"{}\"\nmodel = \"m\"\napi_key_cmd = \"printf '%s' {CANARY}\"\n",
            server.base_url()
        ),
    );
    let brief = home.path().join("brief.md");
    std::fs::write(&brief, "Design.").unwrap();
    let out = archbench(
        &home,
        &[
            "run",
            "--approve",
            "never",
            "--brief",
            brief.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        server.header(0, "authorization"),
        Some(format!("Bearer {CANARY}"))
    );
    for file in files(home.path())
        .into_iter()
        .filter(|f| !f.ends_with("config.toml"))
    {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(CANARY),
            "the key leaked into {}",
            file.display()
        );
    }
}

#[test]
fn a_malformed_event_fails_headless_and_its_raw_line_goes_to_the_log_file() {
    let mut body = openai_sse_partial("Some text", 4);
    body.extend_from_slice(b"data: {\"choices\": [garbled-7f3\n\n");
    let server = Server::start(vec![Reply::Stream(vec![body])]);
    let home = Home::new();
    let brief = home.path().join("brief.md");
    std::fs::write(&brief, "Design.").unwrap();
    let out = archbench(
        &home,
        &[
            "run",
            "--provider",
            "openai",
            "--base-url",
            &server.base_url(),
            "--brief",
            brief.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the server sent an event archbench cannot read"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let log = std::fs::read_to_string(home.path().join("state/archbench/archbench.log")).unwrap();
    assert!(log.contains("garbled-7f3"), "the raw line is logged: {log}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Some text",
        "the partial answer was shown"
    );
}

/// A model file server that honours `Range`, and cuts its first answer after `cut_at` bytes.
fn model_server(
    content: Vec<u8>,
    cut_at: usize,
    connections: usize,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/models/tiny-test.gguf",
        listener.local_addr().unwrap().port()
    );
    let ranges = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = ranges.clone();
    std::thread::spawn(move || {
        for n in 0..connections {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut range = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("range:") {
                    range = v.trim().to_string();
                }
            }
            seen.lock().unwrap().push(range.clone());
            let from: usize = range
                .strip_prefix("bytes=")
                .and_then(|r| r.trim_end_matches('-').parse().ok())
                .unwrap_or(0);
            let body = &content[from..];
            let head = if from > 0 {
                format!("HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {from}-{}/{}\r\nConnection: close\r\n\r\n", body.len(), content.len() - 1, content.len())
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
            };
            let _ = stream.write_all(head.as_bytes());
            let send = if n == 0 {
                &body[..cut_at.min(body.len())]
            } else {
                body
            };
            for piece in send.chunks(4096) {
                let _ = stream.write_all(piece);
            }
            let _ = stream.flush();
        }
    });
    (url, ranges)
}

#[test]
fn a_model_download_shows_progress_resumes_after_a_cut_and_checks_its_sum() {
    use sha2::Digest;
    let mut content = b"GGUF".to_vec();
    content.extend((0..400_000u32).map(|i| (i * 7 % 251) as u8));
    let sum = hex::encode(sha2::Sha256::digest(&content));
    let (url, ranges) = model_server(content.clone(), 150_000, 2);
    let home = Home::new();
    let models = home.path().join("cache/archbench/models");

    let first = archbench(&home, &["models", "pull", &url, "--sha256", &sum], &[]);
    assert_eq!(
        first.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(
        stderr.contains("pull:   0% 0.0 of 0.4 MB") && stderr.contains("% "),
        "progress is shown: {stderr}"
    );
    assert!(
        stderr.contains("stopped at 150000 of 400004 bytes"),
        "{stderr}"
    );
    assert!(
        stderr.contains("run the same command again to resume"),
        "{stderr}"
    );
    assert!(
        !models.join("tiny-test.gguf").exists(),
        "nothing half-written is installed"
    );
    assert_eq!(
        std::fs::metadata(models.join("tiny-test.gguf.partial"))
            .unwrap()
            .len(),
        150_000
    );

    let second = archbench(&home, &["models", "pull", &url, "--sha256", &sum], &[]);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "{stderr}");
    assert!(stderr.contains("resumed at 0.1 MB"), "{stderr}");
    assert_eq!(
        ranges.lock().unwrap().clone(),
        vec![String::new(), "bytes=150000-".to_string()]
    );
    assert_eq!(
        std::fs::read(models.join("tiny-test.gguf")).unwrap(),
        content
    );
    assert!(!models.join("tiny-test.gguf.partial").exists());
    let listed = archbench(&home, &["models"], &[]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("tiny-test.gguf"));

    // Again: refused while it is there; a wrong sum is refused and nothing is installed.
    let again = archbench(&home, &["models", "pull", &url], &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already there; pass --force"));
    let (url, _) = model_server(content, usize::MAX, 1);
    let wrong = "0".repeat(64);
    let bad = archbench(
        &home,
        &[
            "models",
            "pull",
            &url,
            "--sha256",
            &wrong,
            "--name",
            "other.gguf",
        ],
        &[],
    );
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains(&format!(
            "checksum does not match: expected {wrong}, the file has {sum}"
        )),
        "{stderr}"
    );
    assert!(!models.join("other.gguf").exists() && !models.join("other.gguf.partial").exists());
}

#[test]
fn a_server_lists_its_models() {
    let server = Server::start(vec![Reply::Status(
        200,
        "{\"data\":[{\"id\":\"b-model\"},{\"id\":\"a-model\"}]}".into(),
    )]);
    let home = Home::new();
    let out = archbench(
        &home,
        &[
            "models",
            "list",
            "--server",
            "--preset",
            "ollama",
            "--base-url",
            &server.base_url(),
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a-model\nb-model\n");
    assert_eq!(
        server.header(0, ":request").as_deref(),
        Some("GET /v1/models")
    );
}

#[test]
fn the_outbox_comes_from_the_flag_then_the_environment_then_the_file() {
    let home = Home::new();
    let config = write_config(home.path(), "outbox = \"/file/outbox\"\n");
    let outbox_line = |args: &[&str], env: &[(&str, &str)]| {
        let out = archbench(&home, args, env);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find(|l| l.starts_with("outbox"))
            .unwrap()
            .to_string()
    };
    let env = [("ARCHBENCH_OUTBOX", "/env/outbox")];
    let line = outbox_line(&["config", "show", "--outbox", "/flag/outbox"], &env);
    assert!(
        line.contains("/flag/outbox") && line.contains("flag --outbox"),
        "{line}"
    );
    let line = outbox_line(&["config", "show"], &env);
    assert!(
        line.contains("/env/outbox") && line.contains("environment ARCHBENCH_OUTBOX"),
        "{line}"
    );
    let line = outbox_line(&["config", "show"], &[]);
    assert!(
        line.contains("/file/outbox") && line.contains("config outbox"),
        "{line}"
    );
    std::fs::remove_file(&config).unwrap();
    let line = outbox_line(&["config", "show"], &[]);
    assert!(
        line.contains("data/archbench/outbox") && line.ends_with("default"),
        "{line}"
    );
}

#[test]
fn key_overrides_from_the_configuration_are_listed_and_conflicts_reported() {
    let home = Home::new();
    write_config(
        home.path(),
        "[keys]\nrun = [\"f9\"]\n\"answer.copy_block\" = [\"j\"]\n",
    );
    let out = archbench(&home, &["keys"], &[]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let run = text.lines().find(|l| l.starts_with("global.run ")).unwrap();
    assert!(run.contains("F9") && !run.contains("Ctrl-S"), "{run}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`j` is bound to both"), "{stderr}");
}

#[test]
fn a_key_command_printing_two_lines_is_named_without_quoting_them() {
    let server = Server::start(Vec::new());
    let home = Home::new();
    write_config(
        home.path(),
        format!(
            "default_profile = \"srv\"\n[profiles.srv]\nprovider = \"openai\"\nbase_url = \"{}\"\nmodel = \"m\"\napi_key_cmd = \"printf '%s\\\\nsecond' \\\"$TEST_KEY_VALUE\\\"\"\n",
            server.base_url()
        ),
    );
    let brief = home.path().join("brief.md");
    std::fs::write(&brief, "Design.").unwrap();
    let out = archbench(
        &home,
        &["run", "--brief", brief.to_str().unwrap()],
        &[("TEST_KEY_VALUE", CANARY)],
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(
        said.contains("printed 2 line(s)") && said.contains("on one line"),
        "{said}"
    );
    assert!(
        !said.contains(CANARY) && !said.contains("builder error"),
        "{said}"
    );
    assert!(server.requests.lock().unwrap().is_empty());
}
