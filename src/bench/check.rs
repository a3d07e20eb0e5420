//! The SQL check's figures (issue 14): the throwaway server ready from nothing, a 200-statement
//! schema parsed, applied and linted on a warm server, parsing alone, and the workbench's frames
//! and keys (P4, P5) measured while checks run beside them.

use super::{measure_size, ms, Config};
use crate::check::server::{CheckServer, ServerSpec};
use crate::check::{Options, Source};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A schema of `tables` tables, each with its key, a foreign key to the one before, an index
/// and a comment: four statements a table (so 50 tables make 200 statements).
pub fn schema(tables: usize) -> String {
    let mut sql = String::new();
    for t in 0..tables {
        sql.push_str(&format!(
            "CREATE TABLE t{t} (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  parent_id bigint{},\n  name text NOT NULL,\n  created_at timestamptz NOT NULL DEFAULT now()\n);\n",
            if t == 0 { String::new() } else { format!(" REFERENCES t{} (id)", t - 1) }
        ));
        sql.push_str(&format!(
            "CREATE INDEX t{t}_parent_idx ON t{t} (parent_id);\n"
        ));
        sql.push_str(&format!(
            "CREATE INDEX t{t}_name_idx ON t{t} (name, created_at);\n"
        ));
        sql.push_str(&format!("COMMENT ON TABLE t{t} IS 'table {t}';\n"));
    }
    sql
}

/// A query a table: the table joined to its parent, by a parameter (planned, not run).
pub fn queries(tables: usize) -> String {
    (1..tables)
        .map(|t| {
            format!(
                "SELECT c.id, p.name FROM t{t} c JOIN t{p} p ON p.id = c.parent_id WHERE c.name = $1 ORDER BY c.created_at DESC LIMIT 20;\n",
                p = t - 1
            )
        })
        .collect()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// Measures and returns the figures as markdown table rows.
pub fn run(progress: impl Fn(&str)) -> Result<String, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let sql = schema(50);
    let options = Options {
        time_limit: Duration::from_secs(60),
        ..Options::default()
    };

    progress("throwaway server, from nothing (3 starts)…");
    let mut starts = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let server = runtime.block_on(CheckServer::start(&ServerSpec::Throwaway))?;
        starts.push(started.elapsed());
        drop(server);
    }
    let server = Arc::new(runtime.block_on(CheckServer::start(&ServerSpec::Throwaway))?);

    progress("200-statement schema, parse + apply + lint (1 warm-up, 5 runs)…");
    let mut checks = Vec::new();
    let mut statements = 0;
    for i in 0..6 {
        let started = Instant::now();
        let report = runtime.block_on(crate::check::check(
            &sql,
            Source::Sql,
            Some(&server),
            &options,
        ));
        if !report.errors.is_empty() {
            return Err(format!(
                "the bench schema did not apply: {:?}",
                report.errors[0]
            ));
        }
        statements = report.applied;
        if i > 0 {
            checks.push(started.elapsed());
        }
    }

    progress("the same schema and a query a table, planned (1 warm-up, 5 runs)…");
    let tables = 50;
    let with_queries = format!("{sql}{}", queries(tables));
    let mut planned = Vec::new();
    let mut schema_reads = Vec::new();
    let mut plans = 0;
    for i in 0..6 {
        let report = runtime.block_on(crate::check::check(
            &with_queries,
            Source::Sql,
            Some(&server),
            &options,
        ));
        plans = report.plans.len();
        if i > 0 {
            planned.push(report.timings.plans);
            schema_reads.push(report.timings.schema);
        }
    }

    progress("the schema view of a 100-table schema at 160x48 (1 warm-up, 50 frames)…");
    let view_frame = schema_view_frame(&server, &runtime)?;

    progress("parsing alone (20 runs)…");
    let mut parses = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let plan = crate::check::prepare(&sql, Source::Sql, None);
        std::hint::black_box(&plan);
        parses.push(started.elapsed());
    }

    progress("P4 and P5 while checks run beside them…");
    let running = Arc::new(AtomicBool::new(true));
    let done = Arc::new(AtomicUsize::new(0));
    let background = {
        let (running, done, server, sql) =
            (running.clone(), done.clone(), server.clone(), sql.clone());
        let handle = runtime.handle().clone();
        std::thread::spawn(move || {
            while running.load(Ordering::Relaxed) {
                handle.block_on(crate::check::check(
                    &sql,
                    Source::Sql,
                    Some(&server),
                    &Options::default(),
                ));
                done.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let config = Config {
        sizes: vec![20_000],
        naive_sizes: Vec::new(),
        runs: 3,
        paced_rate: None,
        memory_probe: None,
    };
    let beside = measure_size(20_000, &config, None);
    running.store(false, Ordering::Relaxed);
    let _ = background.join();
    let beside = beside?;

    let start = median(starts);
    let check = median(checks);
    let per_query = median(planned) / plans.max(1) as u32;
    let schema_read = median(schema_reads);
    let parse = median(parses);
    let mark = |ok: bool| if ok { "met" } else { "NOT MET" };
    let mut out = String::new();
    out.push_str(&format!(
        "| C1 throwaway server ready from nothing ({}) | {} | ≤ 3 s | {} |\n",
        server.version,
        ms(start),
        mark(start <= Duration::from_secs(3))
    ));
    out.push_str(&format!("| C2 {statements}-statement schema: parse, apply, lints, warm server | {} | ≤ 1 s | {} |\n", ms(check), mark(check <= Duration::from_secs(1))));
    out.push_str(&format!(
        "| C5 each of {plans} queries (a join with a parameter) planned twice, with its claims | {} | | |\n",
        ms(per_query)
    ));
    out.push_str(&format!(
        "| C6 the {tables}-table schema read from the catalog (part of C2) | {} | | |\n",
        ms(schema_read)
    ));
    out.push_str(&format!(
        "| C7 schema view frame, 100-table schema read from the catalog, 160x48 (median of 50) | {} | | |\n",
        ms(view_frame)
    ));
    out.push_str(&format!(
        "| C3 parsing alone, same schema | {} | ≤ 50 ms | {} |\n",
        ms(parse),
        mark(parse <= Duration::from_millis(50))
    ));
    out.push_str(&format!(
        "| C4 P4 frame while {} checks ran beside it | p99 {} · max {} | p99 ≤ 8 ms, max ≤ 16.7 ms | {} |\n",
        done.load(Ordering::Relaxed),
        ms(beside.frame_p99),
        ms(beside.frame_max),
        mark(beside.frame_p99 <= Duration::from_millis(8) && beside.frame_max <= Duration::from_micros(16_700))
    ));
    out.push_str(&format!(
        "| C4 P5 key → changed screen, same time | p99 {} · max {} | p99 ≤ 33 ms | {} |\n",
        ms(beside.key_p99),
        ms(beside.key_max),
        mark(beside.key_p99 <= Duration::from_millis(33))
    ));
    Ok(out)
}

/// The median time to draw the schema view of a 100-table schema (built by the server and read
/// from its catalog, as the workbench gets it) at 160x48, the last table chosen so the list
/// scrolls and the drawing has keys in and out.
fn schema_view_frame(
    server: &CheckServer,
    runtime: &tokio::runtime::Runtime,
) -> Result<Duration, String> {
    use ratatui::{backend::TestBackend, Terminal};
    let report = runtime.block_on(crate::check::check(
        &schema(100),
        Source::Sql,
        Some(server),
        &Options::default(),
    ));
    let tables = match &report.schema {
        Some(Ok(schema)) => schema.tables.len(),
        other => return Err(format!("the 100-table schema was not read: {other:?}")),
    };
    let mut state = crate::state::State::new(super::session()?, "Design.", 160, 48);
    let mut attempt = crate::state::Attempt::new(1, 1, None, state.styles.clone(), state.now);
    attempt.doc.push("# Schema\n");
    attempt.doc.finish();
    attempt.phase = crate::state::Phase::Complete(crate::provider::FinishReason::Stop);
    attempt.check = Some(crate::state::checks::SqlCheck::Done(Box::new(report)));
    state.attempts.push(attempt);
    let key = |state: &mut crate::state::State, c: char| {
        state.handle(crate::event::Timed {
            at: state.now,
            event: crate::event::Event::Key(crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char(c),
                crossterm::event::KeyModifiers::NONE,
            )),
        });
    };
    state.focus = crate::state::Focus::Answer;
    key(&mut state, 'S');
    for _ in 1..tables {
        key(&mut state, 'j');
    }
    if state.schema_view.is_none() {
        return Err("the schema view did not open".into());
    }
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).map_err(|e| e.to_string())?;
    let mut frames = Vec::new();
    for i in 0..51 {
        let started = Instant::now();
        terminal
            .draw(|f| crate::ui::draw(f, &state))
            .map_err(|e| e.to_string())?;
        if i > 0 {
            frames.push(started.elapsed());
        }
    }
    Ok(median(frames))
}
