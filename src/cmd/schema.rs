//! `archbench schema FILE`: the schema an answer's SQL builds, applied to a scratch database on a
//! real PostgreSQL (a throwaway one unless a server is named) and read back from its catalog; as
//! text, `--mermaid`, `--dot`, `--json`, or `--sql` as `pg_dump --schema-only` writes it.

use super::check::read_input;
use crate::check::{self, schema::render, server::CheckServer, Source};
use crate::cli::{exit, SchemaArgs};

pub async fn command(args: &SchemaArgs) -> i32 {
    let mut settings =
        match super::check::settings(args.config.as_deref(), args.check_url.as_deref()) {
            Ok(settings) => settings,
            Err(code) => return code,
        };
    settings.options.dump = args.sql;
    let text = match read_input(&args.file) {
        Ok(text) => text,
        Err(message) => return crate::say::fail(exit::BAD_INPUT, &message),
    };
    let source = if args
        .file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("sql"))
    {
        Source::Sql
    } else {
        Source::Markdown
    };
    let server = match CheckServer::start(&settings.server).await {
        Ok(server) => server,
        Err(why) => {
            return crate::say::fail(
                exit::CHECK_SERVER,
                &format!("the schema is read from a real PostgreSQL, and none started: {why}"),
            )
        }
    };
    let report = check::check(&text, source, Some(&server), &settings.options).await;
    if report.statements == 0 {
        return crate::say::fail(
            exit::BAD_INPUT,
            "no PostgreSQL statements were found: a ```sql block in a markdown answer, or a .sql file",
        );
    }
    if !report.errors.is_empty() {
        // The schema is what was built: the statements that failed are not in it.
        crate::tell!(
            "archbench: {} of {} statements failed and are not in the schema (archbench check {} lists them)",
            report.errors.len(),
            report.statements,
            args.file.display()
        );
    }
    let schema = match report.schema {
        Some(Ok(schema)) => schema,
        Some(Err(e)) => return crate::say::fail(exit::CHECK_SERVER, &e),
        None => {
            return crate::say::fail(
                exit::CHECK_SERVER,
                report
                    .not_applied
                    .as_deref()
                    .unwrap_or("the SQL was not applied"),
            )
        }
    };
    let out = if args.sql {
        match report.dump {
            Some(Ok(dump)) => dump,
            Some(Err(e)) => return crate::say::fail(exit::CHECK_SERVER, &e),
            None => return crate::say::fail(exit::CHECK_SERVER, "pg_dump did not run"),
        }
    } else if args.mermaid {
        render::mermaid(&schema)
    } else if args.dot {
        render::dot(&schema)
    } else if args.json {
        match serde_json::to_string_pretty(&schema) {
            Ok(json) => json,
            Err(e) => return crate::say::fail(exit::BAD_INPUT, &e.to_string()),
        }
    } else {
        render::text(&schema)
    };
    // Names and expressions come from the agent's SQL: untrusted on a terminal like its answer.
    crate::say!("{}", out.trim_end());
    exit::OK
}
