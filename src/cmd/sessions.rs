//! `archbench sessions`: the runs the session store keeps — list, show, search, export (markdown
//! or JSON). Text from the store is model output and briefs: untrusted, so on a terminal its
//! control sequences are shown, never run.

use crate::cli::{exit, ExportFormat};
use crate::sanitize::{sanitize, sanitize_line};
use crate::store::inbox::TeamRun;
use crate::store::sessions::{RunDetail, RunSummary, Store};
use std::io::IsTerminal;
use std::path::Path;

fn fail(code: i32, message: &str) -> i32 {
    crate::tell!("archbench: {message}");
    code
}

/// Prints stored text: on a terminal its control sequences are shown, never run.
fn print_text(text: &str) {
    if std::io::stdout().is_terminal() {
        print!("{}", sanitize(text));
    } else {
        print!("{text}");
    }
}

/// Opens the store for reading; a missing store is no history yet, not an error.
fn open(path: &Path) -> Result<Option<Store>, i32> {
    if !path.exists() {
        return Ok(None);
    }
    let mut store = Store::open(path).map_err(|e| fail(exit::BAD_INPUT, &e.to_string()))?;
    // A run whose process is gone is shown as what it is: interrupted, its answer kept.
    if let Err(e) = store.recover_interrupted() {
        tracing::warn!("{e}");
    }
    Ok(Some(store))
}

/// The runs as a table; with `machines` (the team's history), each run's machine too.
fn table(rows: &[RunSummary], machines: Option<&[String]>) {
    let states: Vec<String> = rows.iter().map(RunSummary::state).collect();
    let width = |longest: Option<usize>, header: &str| longest.unwrap_or(0).max(header.len());
    let role_w = width(rows.iter().map(|r| r.role_id.chars().count()).max(), "role");
    let state_w = width(states.iter().map(|s| s.chars().count()).max(), "outcome");
    let machine_w = machines.map_or(0, |m| {
        width(m.iter().map(|m| m.chars().count().min(24)).max(), "machine")
    });
    let machine = |m: &str| match machines {
        Some(_) => format!(
            "{:<machine_w$}  ",
            sanitize_line(&m.chars().take(24).collect::<String>())
        ),
        None => String::new(),
    };
    crate::say!(
        "{:>5}  {:<16}  {}{:<role_w$}  {:>3}  {:<state_w$}  {:>7}  {:<18}  brief",
        "id",
        "started (UTC)",
        machine("machine"),
        "role",
        "try",
        "outcome",
        "bytes",
        "model"
    );
    for (i, (r, state)) in rows.iter().zip(&states).enumerate() {
        let started: String = r.started_at.replace('T', " ").chars().take(16).collect();
        let model: String = r.model.chars().take(18).collect();
        let on = machines.and_then(|m| m.get(i)).map_or("", String::as_str);
        crate::say!(
            "{:>5}  {:<16}  {}{:<role_w$}  {:>3}  {:<state_w$}  {:>7}  {:<18}  {}",
            r.id,
            started,
            machine(on),
            sanitize_line(&r.role_id),
            r.attempt,
            sanitize_line(state),
            r.bytes,
            sanitize_line(&model),
            sanitize_line(&r.brief_first_line)
        );
    }
}

/// `archbench sessions list`: the latest runs, newest first.
pub fn list(path: &Path, limit: usize, json: bool) -> i32 {
    let rows = match open(path) {
        Ok(Some(store)) => match store.list(limit) {
            Ok(rows) => rows,
            Err(e) => return fail(exit::BAD_INPUT, &e.to_string()),
        },
        Ok(None) => Vec::new(),
        Err(code) => return code,
    };
    print_rows(
        &rows,
        json,
        "No runs kept yet: every run of the workbench or `archbench run` is kept here.",
        |rows| table(rows, None),
    )
}

/// `rows` as one JSON array, else as `table` prints them, else `empty` when there are none.
fn print_rows<T: serde::Serialize>(
    rows: &[T],
    json: bool,
    empty: &str,
    table: impl FnOnce(&[T]),
) -> i32 {
    if json {
        crate::say::json(&serde_json::to_string(rows).unwrap_or_default());
    } else if rows.is_empty() {
        crate::tell!("{empty}");
    } else {
        table(rows);
    }
    exit::OK
}

/// The team's runs as a table, each with its machine.
fn team_table(rows: &[TeamRun]) {
    let machines: Vec<String> = rows.iter().map(|r| r.machine.clone()).collect();
    let runs: Vec<RunSummary> = rows.iter().map(|r| r.run.clone()).collect();
    table(&runs, Some(&machines));
}

/// `archbench sessions search WORDS`: runs whose brief or answer hold every word.
pub fn search(path: &Path, words: &str, limit: usize, json: bool) -> i32 {
    if words.trim().is_empty() {
        return fail(
            exit::BAD_INPUT,
            "search needs words: archbench sessions search partitioning tenant",
        );
    }
    let rows = match open(path) {
        Ok(Some(store)) => match store.search(words, limit) {
            Ok(rows) => rows,
            Err(e) => return fail(exit::BAD_INPUT, &e.to_string()),
        },
        Ok(None) => Vec::new(),
        Err(code) => return code,
    };
    print_rows(&rows, json, &format!("No run mentions {words}."), |rows| {
        table(rows, None)
    })
}

fn find(path: &Path, id: i64) -> Result<RunDetail, i32> {
    let missing = || {
        fail(
            exit::BAD_INPUT,
            &format!(
                "no run #{id} in {}: archbench sessions list shows the ids",
                path.display()
            ),
        )
    };
    match open(path)? {
        Some(store) => match store.get(id) {
            Ok(Some(run)) => Ok(run),
            Ok(None) => Err(missing()),
            Err(e) => Err(fail(exit::BAD_INPUT, &e.to_string())),
        },
        None => Err(missing()),
    }
}

/// `archbench sessions show ID`: everything kept about one run.
pub fn show(found: Result<RunDetail, i32>, json: bool) -> i32 {
    let run = match found {
        Ok(run) => run,
        Err(code) => return code,
    };
    if json {
        crate::say::json(&serde_json::to_string_pretty(&run).unwrap_or_default());
        return exit::OK;
    }
    print_text(&markdown(&run));
    exit::OK
}

/// `archbench sessions export ID`: the run as markdown (front matter, brief, answer, review) or
/// JSON, to a file (written atomically, owner-only) or standard output.
pub fn export(found: Result<RunDetail, i32>, format: ExportFormat, output: Option<&Path>) -> i32 {
    let run = match found {
        Ok(run) => run,
        Err(code) => return code,
    };
    let id = run.id;
    let text = match format {
        ExportFormat::Markdown => markdown(&run),
        ExportFormat::Json => serde_json::to_string_pretty(&run).unwrap_or_default() + "\n",
    };
    match output {
        None => {
            print_text(&text);
            exit::OK
        }
        Some(file) => {
            let dir = file
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.is_empty() {
                return fail(exit::BAD_INPUT, "--output needs a file name");
            }
            match crate::store::outbox::write_atomic(dir, &name, text.as_bytes()) {
                Ok(written) => {
                    crate::tell!("archbench: run #{id} exported to {}", written.display());
                    exit::OK
                }
                Err(e) => fail(
                    exit::BAD_INPUT,
                    &format!("cannot write {}: {e}", file.display()),
                ),
            }
        }
    }
}

/// A run as a markdown document: front matter of what ran, then the brief, the answer and the
/// review's events.
pub fn markdown(run: &RunDetail) -> String {
    let mut out = String::from("---\n");
    let field = |out: &mut String, key: &str, value: &str| {
        out.push_str(&format!(
            "{key}: {}\n",
            serde_json::Value::String(value.to_string())
        ));
    };
    field(&mut out, "run", &run.id.to_string());
    field(&mut out, "role", &run.role_id);
    field(&mut out, "prompt_sha256", &run.prompt_sha256);
    field(
        &mut out,
        "provider",
        run.provider
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or(""),
    );
    field(&mut out, "model", &run.model);
    out.push_str(&format!("parameters: {}\n", run.parameters));
    field(&mut out, "attempt", &run.attempt.to_string());
    field(&mut out, "status", &run.status);
    field(&mut out, "outcome", &run.state());
    if let Some(outcome) = &run.outcome {
        if let Some(target) = &outcome.target {
            field(&mut out, "target", target);
        }
        field(&mut out, "reviewed_by", &outcome.reviewer);
        field(&mut out, "reviewed_at", &outcome.at);
        if let Some(reason) = &outcome.reason {
            field(&mut out, "reason", reason);
        }
    }
    field(&mut out, "started", &run.started_at);
    if let Some(done) = &run.completed_at {
        field(&mut out, "completed", done);
    }
    if let Some(reason) = &run.finish_reason {
        field(&mut out, "finish_reason", reason);
    }
    if let (Some(p), Some(c)) = (run.prompt_tokens, run.completion_tokens) {
        out.push_str(&format!("tokens: {{ in: {p}, out: {c} }}\n"));
    }
    if let Some(status) = run
        .decision
        .as_ref()
        .and_then(|d| d.get("status"))
        .and_then(|s| s.as_str())
    {
        field(&mut out, "decision", status);
    }
    field(&mut out, "chain", &run.chain_id);
    field(
        &mut out,
        "brief_sha256",
        &crate::routing::envelope::sha256_hex(&run.brief),
    );
    field(
        &mut out,
        "answer_sha256",
        &crate::routing::envelope::sha256_hex(&run.answer),
    );
    if let Some(envelope) = &run.envelope_id {
        field(&mut out, "envelope", envelope);
    }
    field(&mut out, "reviewer", &run.reviewer);
    out.push_str("---\n\n## Brief\n\n");
    out.push_str(run.brief.trim_end());
    if let Some(feedback) = &run.feedback {
        out.push_str("\n\n## Feedback that asked for this attempt\n\n");
        out.push_str(feedback.trim_end());
    }
    out.push_str("\n\n## Answer\n\n");
    out.push_str(run.answer.trim_end());
    if run.status == "interrupted" {
        out.push_str("\n\n*(the answer stops here: its process ended mid-stream)*");
    }
    if !run.events.is_empty() {
        out.push_str("\n\n## Review\n\n");
        for e in &run.events {
            let detail = e
                .data
                .get("action")
                .or_else(|| e.data.get("status"))
                .or_else(|| e.data.get("target"))
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                })
                .unwrap_or_default();
            out.push_str(&format!("- {} {} {}\n", e.at, e.kind, detail).replace("  \n", "\n"));
        }
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// `archbench sessions list|show|search|export`: the team's history when a team store is named
/// (`--store-url`, `[store] url`), else this machine's (the default store, or `--store`);
/// `--local` reads this machine's with a team store configured.
pub async fn command(args: &crate::cli::SessionsArgs) -> i32 {
    let url = match team_url(args) {
        Ok(url) => url,
        Err(code) => return code,
    };
    match url {
        Some(url) => team(&url, &args.command).await,
        None => local(args),
    }
}

/// The team store to read, if any: `--store-url`, else the configuration's `[store] url`, unless
/// `--local` or `--store` asks for a file of this machine.
fn team_url(args: &crate::cli::SessionsArgs) -> Result<Option<String>, i32> {
    if args.local || args.store.is_some() {
        return Ok(None);
    }
    let loaded = crate::config::load(args.config.as_deref()).map_err(|e| {
        fail(
            exit::BAD_INPUT,
            &format!("{e} (archbench config check explains; fix it, pass --config FILE, or --local for this machine's history)"),
        )
    })?;
    crate::store::inbox::store_url(args.store_url.as_deref(), &loaded.config.store)
        .map_err(|e| fail(exit::BAD_INPUT, &e))
}

fn local(args: &crate::cli::SessionsArgs) -> i32 {
    use crate::cli::SessionsCommand;
    let store = args.store.clone().unwrap_or_else(crate::paths::sessions_db);
    match &args.command {
        SessionsCommand::List { limit, json } => list(&store, *limit, *json),
        SessionsCommand::Show { id, json } => show(find(&store, *id), *json),
        SessionsCommand::Search { words, limit, json } => {
            search(&store, &words.join(" "), *limit, *json)
        }
        SessionsCommand::Export { id, format, output } => {
            export(find(&store, *id), *format, output.as_deref())
        }
    }
}

/// The same commands on the team's history.
async fn team(url: &str, command: &crate::cli::SessionsCommand) -> i32 {
    use crate::cli::SessionsCommand;
    let inbox = match crate::store::inbox::PgInbox::connect(url).await {
        Ok(inbox) => inbox,
        Err(e) => {
            return fail(
                exit::STORAGE,
                &format!("{e} (--local reads this machine's history)"),
            )
        }
    };
    let unreadable = |e: String| {
        fail(
            exit::STORAGE,
            &format!("cannot read the team's history: {e}"),
        )
    };
    let find = |found: Result<Option<(String, RunDetail)>, String>, id: i64| match found {
        Ok(Some((_, run))) => Ok(run),
        Ok(None) => Err(fail(
            exit::BAD_INPUT,
            &format!("no run #{id} in the team's history: archbench sessions list shows the ids"),
        )),
        Err(e) => Err(unreadable(e)),
    };
    match command {
        SessionsCommand::List { limit, json } => match inbox.runs(*limit).await {
            Ok(rows) => print_rows(
                &rows,
                *json,
                "No runs in the team's history yet: runs made with the team store configured are copied there.",
                team_table,
            ),
            Err(e) => unreadable(e),
        },
        SessionsCommand::Search { words, limit, json } => {
            let words = words.join(" ");
            if words.trim().is_empty() {
                return fail(
                    exit::BAD_INPUT,
                    "search needs words: archbench sessions search partitioning tenant",
                );
            }
            match inbox.search_runs(&words, *limit).await {
                Ok(rows) => print_rows(&rows, *json, &format!("No run mentions {words}."), team_table),
                Err(e) => unreadable(e),
            }
        }
        SessionsCommand::Show { id, json } => show(find(inbox.run(*id).await, *id), *json),
        SessionsCommand::Export { id, format, output } => {
            export(find(inbox.run(*id).await, *id), *format, output.as_deref())
        }
    }
}
