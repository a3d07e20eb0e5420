//! The local engine's first-token times (issue 17): a first run of the database architect on the
//! sample brief, a second run of the role on another brief, a revision, and a fresh process
//! with the role's prompt on disk (and, beside it, a fresh process without). Each goes through the
//! real provider (worker thread, channel); the fresh processes are this executable started
//! again as `bench --first-token-probe`, timed from the spawn to the first token it prints.
//! Also the prompt-reading rate by chunk size, which set [`CHUNK`].

use crate::provider::local::{default_threads, CacheFolder, Engine, LocalProvider, CHUNK};
use crate::provider::{AgentEvent, ChatRequest, EventSink, Message, Params, Provider, Speaker};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::unbounded_channel;
use tokio_util::sync::CancellationToken;

pub const SAMPLE_BRIEF: &str = include_str!("../../examples/briefs/multi_tenant_bookstore.md");
pub const OTHER_BRIEF: &str = include_str!("../../examples/briefs/saas_billing.md");
const FEEDBACK: &str = "Add the retention policy for orders and say how it is enforced.";

fn role_prompt() -> Result<String, String> {
    let book = crate::role::RoleBook::load(None).map_err(|e| e.to_string())?;
    book.get(crate::cli::DEFAULT_ROLE)
        .map(|r| r.prompt.clone())
        .ok_or_else(|| "no database_architect role".into())
}

fn request(messages: Vec<Message>, max_tokens: u32) -> ChatRequest {
    ChatRequest {
        messages,
        params: Params {
            temperature: Some(0.0),
            max_tokens: Some(max_tokens),
            seed: Some(1),
            stop: Vec::new(),
        },
    }
}

fn brief(role: &str, brief: &str) -> Vec<Message> {
    vec![
        Message::new(Speaker::System, role),
        Message::new(Speaker::User, brief),
    ]
}

/// A run through `provider`: the time to its first piece, the tokens it found kept, its text.
fn timed(provider: &dyn Provider, request: ChatRequest) -> Result<(Duration, u32, String), String> {
    let (tx, mut rx) = unbounded_channel();
    let started = Instant::now();
    let _handle = provider.start(request, EventSink::new(1, tx));
    let mut first = None;
    let mut kept = 0;
    let mut text = String::new();
    while let Some((_, event)) = rx.blocking_recv() {
        match event {
            AgentEvent::Reading { read, kept: k, .. } if read == k => kept = k,
            AgentEvent::Delta(piece) => {
                first.get_or_insert_with(|| started.elapsed());
                text.push_str(&piece);
            }
            AgentEvent::Finished(_) => break,
            AgentEvent::Failed(e) => return Err(e.to_string()),
            _ => {}
        }
    }
    let first = first.ok_or("the model answered nothing")?;
    Ok((first, kept, text))
}

/// `bench --first-token-probe`: one run of the sample brief's role on the other brief, with the
/// prompt cache in `cache` (none when `None`); prints `first-token` the moment the first piece
/// arrives, then the tokens it found kept.
pub fn probe(model: &Path, cache: Option<&Path>) -> Result<(), String> {
    let folder = cache.map(|dir| CacheFolder {
        dir: dir.to_path_buf(),
        limit: crate::provider::local::DEFAULT_CACHE_LIMIT,
    });
    let provider = LocalProvider::with_cache(model.to_path_buf(), default_threads(), folder);
    let (tx, mut rx) = unbounded_channel();
    let _handle = provider.start(
        request(brief(&role_prompt()?, OTHER_BRIEF), 4),
        EventSink::new(1, tx),
    );
    let mut kept = 0;
    while let Some((_, event)) = rx.blocking_recv() {
        match event {
            AgentEvent::Reading { read, kept: k, .. } if read == k => kept = k,
            AgentEvent::Delta(_) => {
                println!("first-token");
                println!("kept {kept}");
                return Ok(());
            }
            AgentEvent::Failed(e) => return Err(e.to_string()),
            AgentEvent::Finished(_) => break,
            _ => {}
        }
    }
    Err("the model answered nothing".into())
}

/// A fresh process's first-token time, from spawn to the probe's line; and what it kept.
fn fresh_process(
    exe: &Path,
    model: &Path,
    cache: Option<&Path>,
) -> Result<(Duration, u32), String> {
    let mut command = Command::new(exe);
    command
        .args(["bench", "--first-token-probe", "--model-path"])
        .arg(model)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(dir) = cache {
        command.arg("--cache-dir").arg(dir);
    }
    let started = Instant::now();
    let mut child = command.spawn().map_err(|e| e.to_string())?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().and_then(Result::ok);
    let elapsed = started.elapsed();
    let kept = lines
        .next()
        .and_then(Result::ok)
        .and_then(|l| l.strip_prefix("kept ").and_then(|k| k.parse().ok()))
        .unwrap_or(0);
    let _ = child.wait();
    match first.as_deref() {
        Some("first-token") => Ok((elapsed, kept)),
        other => Err(format!("the probe said {other:?}")),
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// Measures `runs` times and returns the figures as markdown table rows.
pub fn run(model: &Path, runs: usize, progress: impl Fn(&str)) -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let role = role_prompt()?;
    let runs = runs.max(1);
    let (mut first, mut second, mut revision, mut warm, mut cold) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut kept = [0u32; 4];
    for i in 0..runs {
        progress(&format!(
            "run {} of {runs}: first run, second brief, revision…",
            i + 1
        ));
        let dir = Scratch::new(i)?;
        let folder = CacheFolder {
            dir: dir.path().to_path_buf(),
            limit: crate::provider::local::DEFAULT_CACHE_LIMIT,
        };
        let provider =
            LocalProvider::with_cache(model.to_path_buf(), default_threads(), Some(folder));
        let (t, _, _) = timed(&provider, request(brief(&role, SAMPLE_BRIEF), 4))?;
        first.push(t);
        let (t, k, answer) = timed(&provider, request(brief(&role, OTHER_BRIEF), 300))?;
        second.push(t);
        kept[0] = k;
        let mut conversation = brief(&role, OTHER_BRIEF);
        conversation.push(Message::new(Speaker::Assistant, answer));
        conversation.push(Message::new(Speaker::User, FEEDBACK));
        let (t, k, _) = timed(&provider, request(conversation, 4))?;
        revision.push(t);
        kept[1] = k;
        drop(provider);
        progress(&format!(
            "run {} of {runs}: fresh processes, warm cache and none…",
            i + 1
        ));
        let (t, k) = fresh_process(&exe, model, Some(dir.path()))?;
        warm.push(t);
        kept[2] = k;
        let (t, k) = fresh_process(&exe, model, None)?;
        cold.push(t);
        kept[3] = k;
    }
    let base = median(first.clone());
    let row = |name: &str, times: Vec<Duration>, kept: Option<u32>, goal: &str| {
        let m = median(times);
        let share = m.as_secs_f64() / base.as_secs_f64().max(1e-9);
        let kept = kept.map_or(String::new(), |k| format!("{k} tokens kept"));
        format!(
            "| {name} | {} | {:.0}% | {kept} | {goal} |",
            ms(m),
            share * 100.0
        )
    };
    let mut rows = vec![
        row(
            "F1 first run, sample brief (model load included)",
            first,
            None,
            "baseline",
        ),
        row(
            "F2 second run of the role, another brief",
            second,
            Some(kept[0]),
            "≤ 25% of F1",
        ),
        row(
            "F3 revision (conversation + feedback)",
            revision,
            Some(kept[1]),
            "≤ 25% of F1",
        ),
        row(
            "F4 fresh process, role prompt on disk",
            warm,
            Some(kept[2]),
            "≤ 25% of F1",
        ),
        row(
            "F5 fresh process, no cache (for comparison)",
            cold,
            Some(kept[3]),
            "",
        ),
    ];
    progress("prompt reading rate by chunk size…");
    rows.extend(reading_rates(model, &role)?);
    Ok(rows.join("\n"))
}

/// Tokens a second reading the sample brief's prompt from nothing, by chunk size.
fn reading_rates(model: &Path, role: &str) -> Result<Vec<String>, String> {
    let engine = Engine::load(model, default_threads()).map_err(|e| e.to_string())?;
    let request = request(brief(role, SAMPLE_BRIEF), 1);
    let mut rows = Vec::new();
    for chunk in [64, CHUNK, 256, 512] {
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..3 {
            let mut warm = engine.warm(None).chunked(chunk);
            let started = Instant::now();
            warm.generate(
                &request,
                &CancellationToken::new(),
                |r| total = r.total,
                |_| {},
            )
            .map_err(|e| e.to_string())?;
            times.push(started.elapsed());
        }
        let m = median(times);
        let chosen = if chunk == CHUNK { " (chosen)" } else { "" };
        rows.push(format!(
            "| F6 prompt read in chunks of {chunk}{chosen} | {:.0} tokens/s | | {total} tokens, {} | |",
            f64::from(total) / m.as_secs_f64(),
            ms(m)
        ));
    }
    Ok(rows)
}

/// An empty cache folder for one round, removed after it.
struct Scratch(PathBuf);

impl Scratch {
    fn new(round: usize) -> Result<Self, String> {
        let dir = std::env::temp_dir().join(format!(
            "archbench-first-token-{}-{round}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Self(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
