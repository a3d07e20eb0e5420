//! `archbench check FILE`: the SQL of a markdown answer or a `.sql` file parsed, applied to a
//! scratch database on a real PostgreSQL (a throwaway one unless a server is named), and linted.
//! A report for people, or one JSON object with `--json`; lines are the file's, from 1.

use crate::check::{self, server::CheckServer, Settings, Source};
use crate::cli::{exit, CheckArgs};
use std::io::Read;
use std::path::Path;

/// The most a checked file may hold: far beyond any answer, well short of a mistake.
const MAX_INPUT: u64 = 16 * 1024 * 1024;

pub async fn command(args: &CheckArgs) -> i32 {
    if args.rules {
        for rule in check::lint::RULES {
            crate::say!(
                "{:<36} {:<8} {}",
                rule.name,
                format!("{:?}", rule.severity).to_lowercase(),
                rule.why
            );
        }
        return exit::OK;
    }
    let mut settings = match settings(args.config.as_deref(), args.check_url.as_deref()) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    let Some(file) = args.file.as_deref() else {
        return crate::say::fail(
            exit::BAD_INPUT,
            "name a file to check (`-` for standard input)",
        );
    };
    let text = match read_input(file) {
        Ok(text) => text,
        Err(message) => return crate::say::fail(exit::BAD_INPUT, &message),
    };
    if let Some(brief) = &args.brief {
        match std::fs::read_to_string(brief) {
            Ok(b) => settings.options.brief = Some(b),
            Err(e) => {
                return crate::say::fail(
                    exit::BAD_INPUT,
                    &format!("cannot read the brief {}: {e}", brief.display()),
                )
            }
        }
    }
    let source = if args.sql
        || file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("sql"))
    {
        Source::Sql
    } else {
        Source::Markdown
    };
    let server = if args.parse_only {
        Err("--parse-only: no server was asked for".to_string())
    } else {
        CheckServer::start(&settings.server).await
    };
    let report = match &server {
        Ok(server) => check::check(&text, source, Some(server), &settings.options).await,
        Err(why) => {
            let mut report = check::check(&text, source, None, &settings.options).await;
            report.not_applied = Some(why.clone());
            report
        }
    };
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => crate::say::json(&json),
            Err(e) => {
                return crate::say::fail(exit::BAD_INPUT, &format!("cannot print the report: {e}"))
            }
        }
    } else {
        for line in check::report::text(&report).lines() {
            crate::say!("{line}");
        }
    }
    if !report.errors.is_empty() || report.not_run > 0 {
        exit::SQL_FAILED
    } else if server.is_err() && !args.parse_only {
        exit::CHECK_SERVER
    } else {
        exit::OK
    }
}

/// The check's settings from the configuration file and `--check-url`; a bad one is said and
/// its exit code returned.
pub(crate) fn settings(config: Option<&Path>, check_url: Option<&str>) -> Result<Settings, i32> {
    let loaded = crate::config::load(config)
        .map_err(|e| crate::say::fail(exit::BAD_INPUT, &e.to_string()))?;
    Settings::resolve(&loaded.config.check, check_url)
        .map_err(|e| crate::say::fail(exit::BAD_INPUT, &e))
}

/// The file's text, or standard input's for `-`: UTF-8, at most [`MAX_INPUT`].
pub(crate) fn read_input(file: &Path) -> Result<String, String> {
    let mut bytes = Vec::new();
    let read = if file == Path::new("-") {
        std::io::stdin().take(MAX_INPUT + 1).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(file).and_then(|f| f.take(MAX_INPUT + 1).read_to_end(&mut bytes))
    };
    let name = if file == Path::new("-") {
        "standard input".to_string()
    } else {
        file.display().to_string()
    };
    read.map_err(|e| format!("cannot read {name}: {e}"))?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(format!(
            "{name} is over {} MB: check an answer or a schema file, not a dump",
            MAX_INPUT / 1024 / 1024
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{name} is not UTF-8 text (a bad byte at offset {}): save it as UTF-8 and check it again",
            e.utf8_error().valid_up_to()
        )
    })
}
