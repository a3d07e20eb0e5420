//! The benchmark of `PERFORMANCE.md`: a deterministic corpus streamed by a loopback server through
//! the real pipeline (OpenAI client → events → update → render cache → frames drawn into a 200x60
//! backend by the app's own loop), with the loop's own instrumentation, at several sizes, against
//! a naive renderer that re-renders the whole answer on every line. It reports; it asserts nothing.

pub mod check;
pub mod corpus;
#[cfg(feature = "local")]
pub mod first_token;
pub mod inbox;
pub mod measure;
pub mod server;

use crate::app::{drive, Instruments, Wiring};
use crate::event::Event;
use crate::input::Input;
use crate::provider::openai::OpenAiProvider;
use crate::provider::{Params, ProviderInfo};
use crate::render::{AnswerDoc, MdStyles, WrappedView};
use crate::reviewer::Reviewer;
use crate::role::RoleBook;
use crate::state::{Phase, Session, State};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use futures_util::StreamExt;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

const WIDTH: u16 = 200;
const HEIGHT: u16 = 60;

/// What to measure.
#[derive(Debug, Clone)]
pub struct Config {
    /// Answer sizes in tokens, smallest first.
    pub sizes: Vec<usize>,
    /// Sizes at which the naive baseline runs too (it is quadratic: keep them small).
    pub naive_sizes: Vec<usize>,
    /// Runs per size; figures are medians.
    pub runs: usize,
    /// Also measure at this paced rate (tokens a second), besides unlimited.
    pub paced_rate: Option<f64>,
    /// Measure peak memory by running this executable as `bench --memory-probe N`.
    pub memory_probe: Option<std::path::PathBuf>,
}

/// Figures at one size (medians over the runs).
#[derive(Debug, Clone, Default)]
pub struct SizeFigures {
    pub tokens: usize,
    /// Pipeline CPU (this thread: client, parsing, update, render, frames) per 1k tokens.
    pub stream_cpu_per_1k: Duration,
    /// CPU to render the final text once (parse, highlight, wrap, one frame).
    pub once_cpu: Duration,
    pub stream_cpu: Duration,
    /// Tokens a second from the first token to the last, unlimited rate.
    pub throughput: f64,
    pub frame_p99: Duration,
    pub frame_max: Duration,
    pub key_p99: Duration,
    pub key_max: Duration,
    pub update_max: Duration,
    /// Frames drawn and keys measured during the run.
    pub frame_count: usize,
    pub key_count: usize,
    /// Renderer alone, fed token by token: incremental and naive CPU per 1k tokens.
    pub incremental_render_per_1k: Duration,
    pub naive_render_per_1k: Option<Duration>,
    /// Re-measuring every line of the whole answer at a new width (a resize).
    pub resize: Duration,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub sizes: Vec<SizeFigures>,
    pub start_to_first_frame: Duration,
    pub paced: Option<(f64, SizeFigures)>,
    pub peak_rss_kb: Option<u64>,
}

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own; the clock id is a valid constant.
    unsafe {
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts);
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Peak resident memory of this process, in KiB: `VmHWM`, which belongs to this address space
/// (`getrusage`'s figure carries over the parent's peak across fork and exec).
pub fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("VmHWM:")
                    .map(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            })
        })
        .flatten()
        .unwrap_or(0)
}

fn percentile(values: &[Duration], p: f64) -> Duration {
    if values.is_empty() {
        return Duration::ZERO;
    }
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn median_by<T: Clone>(mut runs: Vec<T>, key: impl Fn(&T) -> Duration) -> T {
    runs.sort_by_key(|r| key(r));
    runs[runs.len() / 2].clone()
}

pub(super) fn session() -> Result<Session, String> {
    let book = RoleBook::load(None).map_err(|e| e.to_string())?;
    let role = book
        .get("database_architect")
        .cloned()
        .ok_or("no database_architect role")?;
    Ok(Session {
        price: None,
        chain: crate::state::Chain::start(
            &role.id,
            std::sync::Arc::new(book),
            crate::sink::SinkPlan::default(),
        ),
        role,
        provider: ProviderInfo {
            kind: "openai".into(),
            model: "bench".into(),
            endpoint: String::new(),
        },
        params: Params::default(),
        reviewer: Reviewer {
            name: "bench".into(),
            email: None,
            source: "os".into(),
        },
        chain_id: "bench".into(),
    })
}

/// One streamed run through the real pipeline.
struct StreamRun {
    cpu: Duration,
    throughput: f64,
    instruments: Instruments,
}

fn stream_run(tokens: usize, rate: Option<f64>, press_keys: bool) -> Result<StreamRun, String> {
    let text = corpus::corpus(tokens);
    let pieces: Vec<String> = corpus::tokens(&text)
        .into_iter()
        .map(str::to_string)
        .collect();
    let count = pieces.len();
    let url = server::start(pieces, rate, 1).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let outbox = std::env::temp_dir().join("archbench-bench-outbox");
    runtime.block_on(async move {
        let provider = Arc::new(
            OpenAiProvider::new(
                &url,
                "bench",
                None,
                "none".into(),
                Default::default(),
                Default::default(),
            )
            .map_err(|e| e.to_string())?,
        );
        let mut wiring = Wiring::new(provider, outbox);
        let mut state = State::new(session()?, "Design the data layer.", WIDTH, HEIGHT);
        let mut terminal =
            Terminal::new(TestBackend::new(WIDTH, HEIGHT)).map_err(|e| e.to_string())?;
        let start = futures_util::stream::iter(
            [
                Event::Resize {
                    width: WIDTH,
                    height: HEIGHT,
                },
                Event::Action(crate::action::Action::Run),
            ]
            .map(Input::Event),
        );
        // While the answer streams, a reader scrolls up and back to the end every 10 ms.
        let keys = futures_util::stream::unfold(0u64, move |n| async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            let code = if n % 2 == 0 {
                KeyCode::Up
            } else {
                KeyCode::End
            };
            Some((
                Input::Event(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))),
                n + 1,
            ))
        });
        let keys = if press_keys {
            keys.boxed()
        } else {
            futures_util::stream::pending().boxed()
        };
        let inputs = start.chain(keys);
        let mut instruments = Instruments::default();
        let cpu_before = thread_cpu();
        let done = |s: &State| s.latest().is_some_and(|a| !a.phase.is_live());
        drive(
            &mut state,
            &mut terminal,
            inputs,
            &mut wiring,
            std::future::pending(),
            done,
            &mut instruments,
        )
        .await
        .map_err(|e| e.to_string())?;
        let cpu = thread_cpu() - cpu_before;
        let attempt = state.latest().ok_or("no attempt")?;
        if !matches!(attempt.phase, Phase::Complete(_)) || attempt.text() != text {
            return Err(format!(
                "the streamed answer is not the corpus ({:?})",
                attempt.phase
            ));
        }
        let wall = match (attempt.first_token_at, attempt.completed_at) {
            (Some(a), Some(b)) => (b - a).to_std().unwrap_or_default(),
            _ => Duration::ZERO,
        };
        Ok(StreamRun {
            cpu,
            throughput: count as f64 / wall.as_secs_f64().max(1e-9),
            instruments,
        })
    })
}

/// CPU to render the final text once and draw one frame.
fn render_once(text: &str) -> Duration {
    let before = thread_cpu();
    let doc = AnswerDoc::render_whole(text, MdStyles::default());
    let mut view = WrappedView::default();
    view.sync(&doc, WIDTH - 2);
    let rows = view.visible(
        &doc,
        view.total_rows().saturating_sub(HEIGHT as usize),
        HEIGHT as usize,
    );
    let Ok(mut terminal) = Terminal::new(TestBackend::new(WIDTH, HEIGHT));
    let _ = terminal.draw(|f| f.render_widget(ratatui::widgets::Paragraph::new(rows), f.area()));
    thread_cpu() - before
}

/// The renderer alone fed token by token: incremental, or naive (everything again on every line).
fn render_fed(text: &str, naive: bool) -> Duration {
    let before = thread_cpu();
    let mut doc = AnswerDoc::new(MdStyles::default());
    let mut view = WrappedView::default();
    let mut so_far = String::new();
    for (i, token) in corpus::tokens(text).into_iter().enumerate() {
        if naive {
            so_far.push_str(token);
            if token.contains('\n') {
                doc = AnswerDoc::render_whole(&so_far, MdStyles::default());
                view = WrappedView::default();
                view.sync(&doc, WIDTH - 2);
            }
        } else {
            doc.push(token);
            view.sync(&doc, WIDTH - 2);
            // At an unlimited rate a frame comes every hundred or so tokens.
            if i % 100 == 0 {
                doc.refresh();
                view.sync(&doc, WIDTH - 2);
            }
        }
    }
    thread_cpu() - before
}

/// Wall time to re-wrap the whole answer for a new width, as a resize does.
fn resize_cost(text: &str) -> Duration {
    let doc = AnswerDoc::render_whole(text, MdStyles::default());
    let mut view = WrappedView::default();
    view.sync(&doc, WIDTH - 2);
    let started = Instant::now();
    view.sync(&doc, WIDTH / 2);
    started.elapsed()
}

fn per_1k(cpu: Duration, tokens: usize) -> Duration {
    cpu.mul_f64(1000.0 / tokens.max(1) as f64)
}

fn measure_size(tokens: usize, config: &Config, rate: Option<f64>) -> Result<SizeFigures, String> {
    let text = corpus::corpus(tokens);
    let count = corpus::tokens(&text).len();
    let mut runs = Vec::new();
    for _ in 0..config.runs.max(1) {
        let run = stream_run(tokens, rate, true)?;
        let once = render_once(&text);
        let incremental = render_fed(&text, false);
        let naive = config
            .naive_sizes
            .contains(&tokens)
            .then(|| render_fed(&text, true));
        let i = &run.instruments;
        runs.push(SizeFigures {
            tokens: count,
            stream_cpu_per_1k: per_1k(run.cpu, count),
            stream_cpu: run.cpu,
            once_cpu: once,
            throughput: run.throughput,
            frame_p99: percentile(&i.frames, 0.99),
            frame_max: percentile(&i.frames, 1.0),
            key_p99: percentile(&i.key_to_frame, 0.99),
            key_max: percentile(&i.key_to_frame, 1.0),
            update_max: percentile(&i.updates, 1.0),
            frame_count: i.frames.len(),
            key_count: i.key_to_frame.len(),
            incremental_render_per_1k: per_1k(incremental, count),
            naive_render_per_1k: naive.map(|n| per_1k(n, count)),
            resize: resize_cost(&text),
        });
    }
    Ok(median_by(runs, |r| r.stream_cpu))
}

/// Start to first frame, in process: roles loaded, state built, the first frame drawn.
fn start_to_first_frame() -> Result<Duration, String> {
    let started = Instant::now();
    let state = State::new(
        session()?,
        include_str!("../../examples/briefs/multi_tenant_bookstore.md"),
        WIDTH,
        HEIGHT,
    );
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).map_err(|e| e.to_string())?;
    terminal
        .draw(|f| crate::ui::draw(f, &state))
        .map_err(|e| e.to_string())?;
    Ok(started.elapsed())
}

/// Runs the whole benchmark.
pub fn run(config: &Config, progress: impl Fn(&str)) -> Result<Report, String> {
    let mut report = Report {
        start_to_first_frame: start_to_first_frame()?,
        ..Report::default()
    };
    // Grammars load once per process, off the UI's path (the app warms them up at start); one
    // untimed run pays the other first-time costs (connections, allocator growth).
    crate::render::highlight::warm_up();
    if let Some(&size) = config.sizes.first() {
        stream_run(size, None, false)?;
    }
    for &size in &config.sizes {
        progress(&format!("{size} tokens…"));
        report.sizes.push(measure_size(size, config, None)?);
    }
    if let (Some(rate), Some(&size)) = (config.paced_rate, config.sizes.last()) {
        progress(&format!("{size} tokens at {rate} tokens/s…"));
        let paced = Config {
            runs: 1,
            naive_sizes: Vec::new(),
            ..config.clone()
        };
        report.paced = Some((rate, measure_size(size, &paced, Some(rate))?));
    }
    if let (Some(exe), Some(&size)) = (&config.memory_probe, config.sizes.last()) {
        progress("peak memory…");
        let out = std::process::Command::new(exe)
            .args(["bench", "--memory-probe", &size.to_string()])
            .output()
            .map_err(|e| e.to_string())?;
        report.peak_rss_kb = String::from_utf8_lossy(&out.stdout).trim().parse().ok();
    }
    Ok(report)
}

/// Serves the corpus of `tokens` on loopback (paced at `rate` tokens a second when given), prints
/// the base URL on standard output, and answers requests until the process is stopped.
pub fn serve(tokens: usize, rate: Option<f64>) -> Result<(), String> {
    let text = corpus::corpus(tokens);
    let pieces: Vec<String> = corpus::tokens(&text)
        .into_iter()
        .map(str::to_string)
        .collect();
    let url = server::start(pieces, rate, usize::MAX).map_err(|e| e.to_string())?;
    crate::say!("{url}");
    loop {
        std::thread::park();
    }
}

/// Streams `tokens` through the pipeline with no keys and returns the process's peak RSS (KiB).
pub fn memory_probe(tokens: usize) -> Result<u64, String> {
    stream_run(tokens, None, false)?;
    Ok(peak_rss_kb())
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

impl Report {
    /// The figures as markdown, each against its goal.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let (Some(first), Some(last)) = (self.sizes.first(), self.sizes.last()) else {
            return out;
        };
        out.push_str("| size (tokens) | pipeline CPU / 1k tokens | stream CPU / render once | throughput (tok/s) | frame p99 / max (frames) | key→frame p99 / max (keys) | max update | render / 1k: incremental | render / 1k: naive | re-wrap on resize |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for s in &self.sizes {
            out.push_str(&format!(
                "| {} | {} | {:.2}x | {:.0} | {} / {} ({}) | {} / {} ({}) | {} | {} | {} | {} |\n",
                s.tokens,
                ms(s.stream_cpu_per_1k),
                s.stream_cpu.as_secs_f64() / s.once_cpu.as_secs_f64().max(1e-9),
                s.throughput,
                ms(s.frame_p99),
                ms(s.frame_max),
                s.frame_count,
                ms(s.key_p99),
                ms(s.key_max),
                s.key_count,
                ms(s.update_max),
                ms(s.incremental_render_per_1k),
                s.naive_render_per_1k
                    .map(ms)
                    .unwrap_or_else(|| "not run".into()),
                ms(s.resize),
            ));
        }
        let growth =
            last.stream_cpu_per_1k.as_secs_f64() / first.stream_cpu_per_1k.as_secs_f64().max(1e-9);
        let overhead = last.stream_cpu.as_secs_f64() / last.once_cpu.as_secs_f64().max(1e-9);
        let mark = |ok: bool| if ok { "met" } else { "NOT met" };
        out.push_str("\n| goal | figure | target | |\n|---|---|---|---|\n");
        out.push_str(&format!(
            "| P1 growth, CPU/1k at {} vs {} tokens | {growth:.2}x | ≤ 1.2x | {} |\n",
            last.tokens,
            first.tokens,
            mark(growth <= 1.2)
        ));
        out.push_str(&format!(
            "| P2 streaming overhead at {} tokens | {overhead:.2}x | ≤ 3x (aim 1.5x) | {} |\n",
            last.tokens,
            mark(overhead <= 3.0)
        ));
        out.push_str(&format!(
            "| P3 throughput, unlimited rate | {:.0} tok/s | ≥ 100,000 | {} |\n",
            last.throughput,
            mark(last.throughput >= 100_000.0)
        ));
        out.push_str(&format!(
            "| P4 frame at {WIDTH}x{HEIGHT}, {} tokens | p99 {} · max {} | p99 ≤ 8 ms, max ≤ 16.7 ms | {} |\n",
            last.tokens,
            ms(last.frame_p99),
            ms(last.frame_max),
            mark(last.frame_p99 <= Duration::from_millis(8) && last.frame_max <= Duration::from_micros(16_700))
        ));
        out.push_str(&format!(
            "| P5 key → changed screen, max-rate stream | p99 {} · max {} | p99 ≤ 33 ms | {} |\n",
            ms(last.key_p99),
            ms(last.key_max),
            mark(last.key_p99 <= Duration::from_millis(33))
        ));
        out.push_str(&format!(
            "| P6 start → first frame (in process) | {} | ≤ 50 ms | {} |\n",
            ms(self.start_to_first_frame),
            mark(self.start_to_first_frame <= Duration::from_millis(50))
        ));
        let worst = self
            .sizes
            .iter()
            .map(|s| s.update_max)
            .max()
            .unwrap_or_default();
        out.push_str(&format!(
            "| P7 longest single update (corpus holds an 8 KB bash line) | {} | ≤ 16 ms | {} |\n",
            ms(worst),
            mark(worst <= Duration::from_millis(16))
        ));
        match self.peak_rss_kb {
            Some(kb) => out.push_str(&format!(
                "| P9 peak memory, {} tokens, no local model | {:.1} MB | < 60 MB | {} |\n",
                last.tokens,
                kb as f64 / 1024.0,
                mark(kb < 60 * 1024)
            )),
            None => out.push_str("| P9 peak memory | not measured | < 60 MB | |\n"),
        }
        if let Some((rate, paced)) = &self.paced {
            out.push_str(&format!(
                "\nAt a paced {rate:.0} tokens/s ({} tokens): frame p99 {} · max {} ({} frames); key→frame p99 {} · max {} ({} keys); pipeline CPU {} per 1k tokens.\n",
                paced.tokens,
                ms(paced.frame_p99),
                ms(paced.frame_max),
                paced.frame_count,
                ms(paced.key_p99),
                ms(paced.key_max),
                paced.key_count,
                ms(paced.stream_cpu_per_1k)
            ));
        }
        out
    }
}
