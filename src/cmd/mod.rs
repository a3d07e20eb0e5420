//! Every command, one module each; `main` only parses and dispatches here. Each prints for a
//! person (through the output gate) and returns its exit code. What several share — the
//! configuration, the role, the settings, the outbox — is in `setup`. The outbox listing and
//! retry, the configuration file's commands and the list of deferred reviews are below.

use crate::cli::exit;
use crate::sanitize::sanitize_line;
use crate::sink::{pending, DeliveryOptions};
use std::path::Path;

pub mod audit;
pub mod bench;
pub mod check;
pub mod config;
pub mod config_report;
pub mod inbox;
pub mod look;
pub mod models;
pub mod outbox;
pub mod roles;
pub mod run;
pub mod schema;
pub mod sessions;
pub mod setup;
pub mod workbench;

pub(crate) fn fail(code: i32, message: &str) -> i32 {
    crate::say::fail(code, message)
}

/// `archbench outbox list`: envelopes, newest last, and what waits to be delivered.
pub fn outbox_list(outbox: &Path) -> i32 {
    let mut envelopes: Vec<(std::time::SystemTime, String, serde_json::Value)> = Vec::new();
    match std::fs::read_dir(outbox) {
        Ok(entries) => {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().and_then(|e| e.to_str()) != Some("json") {
                    continue;
                }
                let modified = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .unwrap_or(std::time::UNIX_EPOCH);
                let value = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or(serde_json::Value::Null);
                envelopes.push((modified, path.display().to_string(), value));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return fail(
                exit::BAD_INPUT,
                &format!("cannot read {}: {e}", outbox.display()),
            )
        }
    }
    envelopes.sort_by_key(|e| e.0);
    crate::say!("{}: {} envelope(s)", outbox.display(), envelopes.len());
    for (_, path, value) in &envelopes {
        let field = |pointer: &str| {
            value
                .pointer(pointer)
                .and_then(|v| v.as_str())
                .unwrap_or("?")
                .to_string()
        };
        crate::say!(
            "  {}  {} → {}  {}",
            field("/timestamps/handed_off"),
            sanitize_line(&field("/role/id")),
            sanitize_line(&field("/route/target")),
            path
        );
    }
    match pending::list(outbox) {
        Ok(waiting) if waiting.is_empty() => {
            crate::say!("Nothing pending.");
            exit::OK
        }
        Ok(waiting) => {
            crate::say!(
                "{} delivery(ies) pending (archbench outbox retry):",
                waiting.len()
            );
            for p in &waiting {
                crate::say!(
                    "  {}  {}  failed {}×, last: {}",
                    p.envelope_id,
                    sanitize_line(&display_sink(&p.sink)),
                    p.failures,
                    sanitize_line(&p.last_error)
                );
            }
            exit::OK
        }
        Err(e) => fail(exit::BAD_INPUT, &e),
    }
}

fn display_sink(written: &str) -> String {
    crate::sink::SinkSpec::parse(written)
        .map(|s| s.label())
        .unwrap_or_else(|_| written.to_string())
}

/// `archbench outbox retry`: every pending delivery once more, with the same idempotency key.
/// Exits 0 when all went through, [`exit::SINK_FAILED`] when any still waits.
pub async fn outbox_retry(outbox: &Path, options: &DeliveryOptions) -> i32 {
    let waiting = match pending::list(outbox) {
        Ok(w) => w,
        Err(e) => return fail(exit::BAD_INPUT, &e),
    };
    if waiting.is_empty() {
        crate::say!("Nothing pending in {}.", outbox.display());
        return exit::OK;
    }
    let mut still = 0;
    for entry in &waiting {
        let sink = sanitize_line(&display_sink(&entry.sink)).into_owned();
        match crate::sink::redeliver(outbox, entry, options).await {
            Ok(detail) => crate::say!("delivered  {}  {sink}: {detail}", entry.envelope_id),
            Err(error) => {
                still += 1;
                crate::say!(
                    "pending    {}  {sink}: {}",
                    entry.envelope_id,
                    sanitize_line(&error)
                );
            }
        }
    }
    if still == 0 {
        crate::say!("All {} delivered.", waiting.len());
        exit::OK
    } else {
        crate::tell!(
            "archbench: {still} of {} still pending; `archbench outbox retry` tries again",
            waiting.len()
        );
        exit::SINK_FAILED
    }
}

/// `archbench config path`.
pub fn config_path(flag: Option<&Path>) -> i32 {
    let path = crate::config::path(flag);
    let state = if path.is_file() {
        "exists"
    } else {
        "not created yet: archbench config init writes an example"
    };
    crate::say!("{} ({state})", path.display());
    exit::OK
}

/// `archbench config check`: every sink parsed, every key known, roles named that exist.
pub fn config_check(flag: Option<&Path>, known_roles: &[&str], themes_dir: &Path) -> i32 {
    let loaded = match crate::config::load_all(flag) {
        Ok(loaded) => loaded,
        Err(errors) => {
            for e in &errors {
                crate::tell!("{e}");
            }
            // The rest of the file is checked too: every problem in one pass.
            let path = crate::config::path(flag);
            let more = crate::config::read_unchecked(flag)
                .map(|config| look_problems(&config, known_roles, themes_dir))
                .unwrap_or_default();
            for p in &more {
                crate::tell!("{}: {p}", path.display());
            }
            return fail(
                exit::BAD_INPUT,
                &format!(
                    "{} error(s) in the configuration",
                    errors.len() + more.len()
                ),
            );
        }
    };
    let Some(path) = &loaded.path else {
        crate::say!(
            "No configuration file at {}: the defaults apply.",
            crate::config::path(flag).display()
        );
        return exit::OK;
    };
    let problems = look_problems(&loaded.config, known_roles, themes_dir);
    if problems.is_empty() {
        crate::say!("{}: valid", path.display());
        return exit::OK;
    }
    for p in &problems {
        crate::tell!("{}: {p}", path.display());
    }
    fail(
        exit::BAD_INPUT,
        &format!("{} error(s) in the configuration", problems.len()),
    )
}

/// What the file names that does not exist here: roles, a theme (and broken theme files), key
/// bindings; found with the functions the workbench uses when it starts.
fn look_problems(
    config: &crate::config::Config,
    known_roles: &[&str],
    themes_dir: &Path,
) -> Vec<String> {
    let mut problems = Vec::new();
    let unknown: Vec<&str> = config
        .roles
        .keys()
        .map(String::as_str)
        .filter(|id| !known_roles.contains(id))
        .collect();
    if !unknown.is_empty() {
        problems.push(format!(
            "[roles.{}] names no known role; known: {}",
            unknown.join("], [roles."),
            known_roles.join(", ")
        ));
    }
    let (themes, theme_problems) = crate::screen::theme::load(Some(themes_dir));
    problems.extend(theme_problems);
    if let Some(name) = &config.theme {
        if let Err(e) = crate::screen::theme::choose(&themes, name) {
            problems.push(format!("theme: {e}"));
        }
    }
    if !config.keys.is_empty() {
        problems.extend(crate::keymap::with_overrides(&config.keys).1);
    }
    problems
}

/// `archbench config init`: the commented example, never over an existing file.
pub fn config_init(flag: Option<&Path>) -> i32 {
    let path = crate::config::path(flag);
    if path.exists() {
        return fail(
            exit::BAD_INPUT,
            &format!(
                "{} exists; it is left as it is (archbench config check validates it)",
                path.display()
            ),
        );
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match crate::store::outbox::write_atomic(dir, &name, crate::config::EXAMPLE.as_bytes()) {
        Ok(p) => {
            crate::say!("Wrote {}", p.display());
            exit::OK
        }
        Err(e) => fail(
            exit::BAD_INPUT,
            &format!("cannot write {}: {e}", path.display()),
        ),
    }
}

/// `archbench resume` without an id: the deferred reviews.
pub fn resume_list(dir: &Path) -> i32 {
    match crate::store::deferred::list(dir) {
        Ok(reviews) if reviews.is_empty() => {
            crate::say!("No deferred reviews. In the workbench, d on the routes defers one.");
            exit::OK
        }
        Ok(reviews) => {
            crate::say!(
                "{:<13}  {:<16}  {:<26}  {:<16}  brief",
                "id",
                "deferred (UTC)",
                "role",
                "by"
            );
            for (_, r) in &reviews {
                let first_line = r.brief.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
                let brief: String = sanitize_line(first_line).chars().take(40).collect();
                crate::say!(
                    "{:<13}  {:<16}  {:<26}  {:<16}  {brief}",
                    r.id.chars().take(13).collect::<String>(),
                    r.saved_at.format("%Y-%m-%d %H:%M"),
                    sanitize_line(&r.role_id),
                    sanitize_line(&r.reviewer.name),
                );
            }
            crate::say!("archbench resume ID opens one.");
            exit::OK
        }
        Err(e) => fail(exit::BAD_INPUT, &e),
    }
}
