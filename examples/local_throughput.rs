//! Tokens per second of the local model: the bare llama.cpp loop against the same model, prompt
//! and greedy sampling through the workbench (worker thread, channel, update, render, frames
//! drawn at 200x60 at most every 16 ms). Prints each run and the median ratio (PERFORMANCE.md, P8).
//!
//!     cargo run --example local_throughput -- [MODEL.gguf] [RUNS] [TOKENS]
//!
//! Each side runs on a thread that ends with its run. llama.cpp's OpenMP keeps a team of threads
//! per calling thread; a team left behind by a side run on the main thread slows the other side's
//! team by a fifth, which would be measuring the harness, not the workbench.

use archbench::app::EffectRunner;
use archbench::event::{Event, Timed};
use archbench::provider::local::{default_threads, Engine, LocalProvider};
use archbench::provider::{AgentEvent, ChatRequest, Message, Params, ProviderInfo, Speaker};
use archbench::reviewer::Reviewer;
use archbench::role::{Role, RoleBook};
use archbench::state::{update, Session, State};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::unbounded_channel;
use tokio_util::sync::CancellationToken;

const BRIEF: &str = include_str!("briefs/multi_tenant_bookstore.md");

/// Tokens and the time from the first token to the last.
type Rate = (usize, Duration);

fn bare(engine: &Engine, request: &ChatRequest) -> Result<Rate, String> {
    let mut first: Option<Instant> = None;
    let (_, usage) = engine
        .warm(None)
        .generate(
            request,
            &CancellationToken::new(),
            |_| {},
            |_| {
                first.get_or_insert_with(Instant::now);
            },
        )
        .map_err(|e| e.to_string())?;
    Ok((
        usage.completion_tokens as usize,
        first.map(|f| f.elapsed()).unwrap_or_default(),
    ))
}

async fn workbench(
    path: PathBuf,
    request: ChatRequest,
    role: Role,
) -> Result<(Rate, usize), Box<dyn Error>> {
    let provider = Arc::new(LocalProvider::new(path, default_threads()));
    let (agent_tx, mut agent_rx) = unbounded_channel();
    let (internal_tx, _internal_rx) = unbounded_channel();
    let mut runner = EffectRunner::new(
        provider,
        std::env::temp_dir().join("archbench-throughput"),
        agent_tx,
        internal_tx,
    );
    let session = Session {
        price: None,
        chain: archbench::state::Chain::start(
            &role.id,
            Arc::new(archbench::role::RoleBook::load(None)?),
            archbench::sink::SinkPlan::default(),
        ),
        role,
        provider: ProviderInfo {
            kind: "local".into(),
            model: "m".into(),
            endpoint: String::new(),
        },
        params: request.params.clone(),
        reviewer: Reviewer {
            name: "bench".into(),
            email: None,
            source: "os".into(),
        },
        chain_id: "bench".into(),
    };
    let mut state = State::new(session, BRIEF, 200, 60);
    let mut terminal = Terminal::new(TestBackend::new(200, 60))?;
    let now = chrono::Utc::now;
    for event in [
        Event::Resize {
            width: 200,
            height: 60,
        },
        Event::Action(archbench::action::Action::Run),
    ] {
        for effect in update(&mut state, Timed { at: now(), event }) {
            runner.run(effect);
        }
    }
    let mut first: Option<Instant> = None;
    let mut last_frame = Instant::now();
    let mut frames = 0;
    while state.running.is_some() {
        let Some((run_id, event)) = agent_rx.recv().await else {
            break;
        };
        if matches!(event, AgentEvent::Delta(_)) {
            first.get_or_insert_with(Instant::now);
        }
        for effect in update(
            &mut state,
            Timed {
                at: now(),
                event: Event::Agent { run_id, event },
            },
        ) {
            runner.run(effect);
        }
        if last_frame.elapsed() >= Duration::from_millis(16) {
            terminal.draw(|f| archbench::ui::draw(f, &state))?;
            last_frame = Instant::now();
            frames += 1;
        }
    }
    let tokens = state
        .latest()
        .and_then(|a| a.usage)
        .map(|u| u.completion_tokens as usize)
        .unwrap_or(0);
    Ok((
        (tokens, first.map(|f| f.elapsed()).unwrap_or_default()),
        frames,
    ))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn rate((tokens, time): Rate) -> f64 {
    tokens as f64 / time.as_secs_f64().max(1e-9)
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .filter(|a| !a.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(archbench::paths::default_model_path);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let tokens: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(256);
    let role = RoleBook::load(None)?
        .get("database_architect")
        .ok_or("no role")?
        .clone();
    let request = ChatRequest {
        messages: vec![
            Message::new(Speaker::System, role.prompt.clone()),
            Message::new(Speaker::User, BRIEF),
        ],
        params: Params {
            temperature: Some(0.0),
            max_tokens: Some(tokens),
            seed: Some(1),
            stop: Vec::new(),
        },
    };
    println!(
        "model {} · threads {} · {tokens} tokens max · greedy",
        path.display(),
        default_threads()
    );
    let engine = Engine::load(&path, default_threads())?;
    let (mut bare_rates, mut bench_rates) = (Vec::new(), Vec::new());
    for run in 1..=runs {
        let plain = std::thread::scope(|s| s.spawn(|| bare(&engine, &request)).join())
            .map_err(|_| "bare run panicked")??;
        let (path, request, role) = (path.clone(), request.clone(), role.clone());
        let (bench, frames) = std::thread::spawn(move || -> Result<(Rate, usize), String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime
                .block_on(workbench(path, request, role))
                .map_err(|e| e.to_string())
        })
        .join()
        .map_err(|_| "workbench run panicked")??;
        println!(
            "run {run}: bare {} tokens {:.1} tok/s · workbench {} tokens {:.1} tok/s ({frames} frames)",
            plain.0,
            rate(plain),
            bench.0,
            rate(bench)
        );
        bare_rates.push(rate(plain));
        bench_rates.push(rate(bench));
    }
    let (b, w) = (median(bare_rates), median(bench_rates));
    println!(
        "median: bare {b:.1} tok/s · workbench {w:.1} tok/s · ratio {:.2}",
        w / b
    );
    Ok(())
}
