//! Applying a plan to the check server: each statement on its own, in answer order, in a
//! scratch database, as an unprivileged role, each under a timeout and all under a time limit.
//! A failure carries the server's SQLSTATE, message, detail and hint, at its answer line and
//! column; a failure that only follows from an earlier one (a table never created, an aborted
//! transaction, an extension the server lacks) says which.

use super::{
    lint, parse, server::CheckServer, server::Scratch, Finding, Options, Plan, Report, Unavailable,
};
use crate::check::dialect::Dialect;
use pg_query::{NodeRef, ParseResult};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};
use tokio_postgres::NoTls;

/// How long past its timeout a statement is given before archbench cancels it itself (the SQL
/// may have turned its own statement_timeout off).
const GRACE: Duration = Duration::from_millis(500);

/// How often the check's progress is told (a screen needs no more).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// The report of a plan that was not applied, saying why.
pub fn unapplied(plan: &Plan, why: String) -> Report {
    Report {
        checked_sha256: plan.checked_sha256.clone(),
        statements: plan.statements.len(),
        errors: plan.errors.clone(),
        skipped: plan.skipped.clone(),
        parsed_only: plan.parsed_only.clone(),
        blocks: plan
            .blocks
            .iter()
            .zip(&plan.dialects)
            .enumerate()
            .map(|(i, (block, dialect))| super::BlockSummary {
                line: block.start().line,
                last_line: block.last_line(),
                label: block.label.clone(),
                dialect: *dialect,
                statements: plan.statements.iter().filter(|s| s.block == i).count(),
                applied: 0,
            })
            .collect(),
        not_applied: Some(why),
        ..Report::default()
    }
}

pub async fn run(plan: &Plan, server: &CheckServer, options: &Options) -> Report {
    let scratch = match server.scratch(options.statement_timeout).await {
        Ok(s) => s,
        Err(why) => return unapplied(plan, why),
    };
    let mut report = unapplied(plan, String::new());
    report.not_applied = None;
    report.server = Some(server.version.clone());
    let deadline = Instant::now() + options.time_limit;
    let mut failures = Failures::default();
    let total = plan.statements.len();
    let mut told = Instant::now();
    options.progress.tell(0, total);
    for (i, statement) in plan.statements.iter().enumerate() {
        if told.elapsed() >= PROGRESS_EVERY {
            options.progress.tell(i, total);
            told = Instant::now();
        }
        let parsed = match &statement.parsed {
            Ok(parsed) => parsed,
            Err(_) => {
                // Reported by the parse already; what it would have made will be missing.
                failures.defines(guessed_names(&statement.text), statement.at.line);
                continue;
            }
        };
        if Instant::now() >= deadline {
            report.not_run += 1;
            continue;
        }
        failures.track_transaction(parsed);
        if let Some(extension) = created_extension(parsed) {
            if !available(&scratch, &extension).await {
                report.unavailable.push(Unavailable {
                    line: statement.at.line,
                    extension: extension.clone(),
                    reason: format!("not available on the check server ({})", server.version),
                });
                failures.defines(provided_by(&extension), statement.at.line);
                continue;
            }
        }
        // A query with parameters (`$1`) cannot run as it is: it is prepared, which checks its
        // tables, columns and types all the same.
        let prepared = super::planner::parameters(parsed) > 0;
        let sql = if prepared {
            format!(
                "{PREPARE}{}\n;DEALLOCATE archbench_statement",
                statement.text
            )
        } else {
            statement.text.clone()
        };
        match execute(&scratch, &sql, options.statement_timeout).await {
            Ok(()) => {
                report.applied += 1;
                if let Some(block) = report.blocks.get_mut(statement.block) {
                    block.applied += 1;
                }
            }
            Err(e) => {
                if e.sqlstate == "42501" {
                    if let Some(extension) = created_extension(parsed) {
                        report.unavailable.push(Unavailable {
                            line: statement.at.line,
                            extension: extension.clone(),
                            reason: format!(
                                "not installable by the check's unprivileged role: {}",
                                e.message
                            ),
                        });
                        failures.defines(provided_by(&extension), statement.at.line);
                        continue;
                    }
                }
                let at = e
                    .position
                    .map(|p| {
                        if prepared {
                            p.saturating_sub(PREPARE.len())
                        } else {
                            p
                        }
                    })
                    .map(|p| parse::char_to_byte(&statement.text, p))
                    .or_else(|| named_at(&statement.text, &e.message))
                    .map(|byte| plan.locate(i, byte))
                    .unwrap_or(statement.at);
                let follows_from = failures.cause(&statement.text, parsed, &e);
                let root = follows_from.unwrap_or(statement.at.line);
                failures.failed(parsed, root);
                report.errors.push(Finding {
                    line: at.line,
                    column: at.column,
                    sqlstate: e.sqlstate,
                    message: e.message,
                    detail: e.detail,
                    hint: e.hint,
                    statement_line: statement.at.line,
                    dialect: Dialect::Postgres,
                    follows_from,
                });
            }
        }
    }
    options.progress.tell(total, total);
    // The catalog queries that follow are archbench's, not the agent's: on a loaded machine they
    // get the room an idle session gets, not the agent's statement timeout.
    let _ = scratch
        .client
        .simple_query(&format!(
            "SET statement_timeout = {}",
            options.statement_timeout.as_millis() * 4
        ))
        .await;
    if Instant::now() < deadline {
        let (lints, unread) = lint::design(&scratch.client, plan, &options.lints_off).await;
        report.lints.extend(lints);
        report.skipped.extend(unread);
    }
    let started = Instant::now();
    let schema = super::schema::read(&scratch.client, plan).await;
    report.timings.schema = started.elapsed();
    let _ = scratch.client.simple_query("RESET statement_timeout").await;
    if Instant::now() < deadline {
        let started = Instant::now();
        report.plans =
            super::planner::plan_queries(&scratch.client, plan, &report, schema.as_ref().ok())
                .await;
        report.timings.plans = started.elapsed();
    }
    report.schema = Some(schema);
    if options.dump {
        report.dump = Some(server.dump_schema(&scratch).await);
    }
    server.drop_scratch(&scratch.name).await;
    report
}

/// A statement the server refused.
pub struct Refusal {
    pub sqlstate: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// In characters from 1, in the statement.
    pub position: Option<usize>,
}

/// What a statement with parameters is prefixed with (ASCII, so its length in characters too).
const PREPARE: &str = "PREPARE archbench_statement AS ";

async fn execute(scratch: &Scratch, sql: &str, timeout: Duration) -> Result<(), Refusal> {
    match tokio::time::timeout(timeout + GRACE, scratch.client.batch_execute(sql)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(refusal(&e)),
        Err(_) => {
            let _ = scratch.cancel.cancel_query(NoTls).await;
            Err(Refusal {
                sqlstate: "57014".into(),
                message: format!(
                    "cancelled: ran past the check's statement limit of {:.1} s",
                    timeout.as_secs_f64()
                ),
                detail: None,
                hint: None,
                position: None,
            })
        }
    }
}

fn refusal(e: &tokio_postgres::Error) -> Refusal {
    match e.as_db_error() {
        Some(db) => Refusal {
            sqlstate: db.code().code().to_string(),
            message: db.message().to_string(),
            detail: db.detail().map(str::to_string),
            hint: db.hint().map(str::to_string),
            position: match db.position() {
                Some(tokio_postgres::error::ErrorPosition::Original(p)) => Some(*p as usize),
                _ => None,
            },
        },
        None => Refusal {
            sqlstate: "08006".into(),
            message: format!("the check server's connection failed: {e}"),
            detail: None,
            hint: None,
            position: None,
        },
    }
}

/// Where in a statement the name a server message quotes is written, for the errors the server
/// reports without a position (`relation "customer" does not exist` from a foreign key): the
/// first identifier the scanner finds with that name.
fn named_at(text: &str, message: &str) -> Option<usize> {
    let names = quoted(message);
    let tokens = pg_query::scan_tokens(text).ok()?;
    tokens.iter().find_map(|t| {
        let word = text
            .get(t.start as usize..t.end as usize)?
            .trim_matches('"');
        names
            .iter()
            .any(|n| n.eq_ignore_ascii_case(word))
            .then_some(t.start as usize)
    })
}

/// A server error as one line: its message, and its detail when it has one.
pub fn db_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{}: {detail}", db.message()),
            None => db.message().to_string(),
        },
        None => e.to_string(),
    }
}

async fn available(scratch: &Scratch, extension: &str) -> bool {
    scratch
        .client
        .query_opt(
            "SELECT 1 FROM pg_available_extensions WHERE name = $1",
            &[&extension],
        )
        .await
        .map(|row| row.is_some())
        .unwrap_or(true)
}

fn created_extension(parsed: &ParseResult) -> Option<String> {
    parsed
        .protobuf
        .nodes()
        .into_iter()
        .find_map(|(node, ..)| match node {
            NodeRef::CreateExtensionStmt(s) => Some(s.extname.clone()),
            _ => None,
        })
}

/// What the usual extensions provide, so that a statement using one is known to fail because
/// the extension is missing, not because the design is wrong.
fn provided_by(extension: &str) -> Vec<String> {
    let names: &[&str] = match extension {
        "vector" => &[
            "vector",
            "halfvec",
            "sparsevec",
            "hnsw",
            "ivfflat",
            "vector_cosine_ops",
            "vector_l2_ops",
            "vector_ip_ops",
        ],
        "postgis" => &[
            "geometry",
            "geography",
            "box2d",
            "box3d",
            "gist_geometry_ops_2d",
        ],
        "timescaledb" => &[
            "create_hypertable",
            "add_retention_policy",
            "add_compression_policy",
            "time_bucket",
            "add_continuous_aggregate_policy",
        ],
        "pg_partman" => &["create_parent", "run_maintenance", "part_config"],
        "pg_cron" => &["schedule", "cron"],
        "citext" => &["citext"],
        "hstore" => &["hstore"],
        "ltree" => &["ltree"],
        "pg_trgm" => &["gin_trgm_ops", "gist_trgm_ops", "similarity"],
        "uuid-ossp" => &["uuid_generate_v4", "uuid_generate_v1"],
        "pgcrypto" => &["gen_random_bytes", "crypt", "gen_salt", "digest"],
        _ => &[],
    };
    std::iter::once(extension)
        .chain(names.iter().copied())
        .map(str::to_string)
        .collect()
}

/// What earlier failures left missing, to tell a failure of its own from one that follows.
#[derive(Default)]
struct Failures {
    /// A name that a failed statement would have made → the line of the root failure.
    missing: BTreeMap<String, usize>,
    in_transaction: bool,
    /// The failure that aborted the open transaction.
    aborted_by: Option<usize>,
    /// PostGIS functions are many and share a prefix.
    postgis_missing: Option<usize>,
}

impl Failures {
    fn defines(&mut self, names: Vec<String>, root: usize) {
        if names.iter().any(|n| n == "postgis") {
            self.postgis_missing = Some(root);
        }
        for name in names {
            self.missing.entry(name).or_insert(root);
        }
    }

    fn track_transaction(&mut self, parsed: &ParseResult) {
        for (node, ..) in parsed.protobuf.nodes() {
            if let NodeRef::TransactionStmt(t) = node {
                use pg_query::protobuf::TransactionStmtKind as K;
                let kind = t.kind;
                if kind == K::TransStmtBegin as i32 || kind == K::TransStmtStart as i32 {
                    self.in_transaction = true;
                    self.aborted_by = None;
                } else if [K::TransStmtCommit, K::TransStmtRollback]
                    .iter()
                    .any(|k| *k as i32 == kind)
                {
                    self.in_transaction = false;
                    self.aborted_by = None;
                }
            }
        }
    }

    /// The root failure this one follows from, if it does.
    fn cause(&self, text: &str, parsed: &ParseResult, e: &Refusal) -> Option<usize> {
        let cause = if e.sqlstate == "25P02" {
            self.aborted_by
        } else {
            let mut names = referenced_names(text, parsed);
            names.extend(quoted(&e.message));
            names
                .iter()
                .find_map(|n| self.missing.get(n).copied())
                .or_else(|| {
                    self.postgis_missing
                        .filter(|_| names.iter().any(|n| n.starts_with("st_")))
                })
        };
        cause
    }

    fn failed(&mut self, parsed: &ParseResult, root: usize) {
        if self.in_transaction && self.aborted_by.is_none() {
            self.aborted_by = Some(root);
        }
        self.defines(defined_names(parsed), root);
    }
}

/// Names a statement makes: tables, views, indexes, types, functions, schemas, sequences.
fn defined_names(parsed: &ParseResult) -> Vec<String> {
    let mut names = Vec::new();
    for (node, ..) in parsed.protobuf.nodes() {
        match node {
            NodeRef::CreateStmt(s) => names.extend(s.relation.as_ref().map(|r| r.relname.clone())),
            NodeRef::ViewStmt(s) => names.extend(s.view.as_ref().map(|r| r.relname.clone())),
            NodeRef::CreateTableAsStmt(s) => names.extend(
                s.into
                    .as_ref()
                    .and_then(|i| i.rel.as_ref())
                    .map(|r| r.relname.clone()),
            ),
            NodeRef::IndexStmt(s) => names.push(s.idxname.clone()),
            NodeRef::CreateSeqStmt(s) => {
                names.extend(s.sequence.as_ref().map(|r| r.relname.clone()))
            }
            NodeRef::CreateSchemaStmt(s) => names.push(s.schemaname.clone()),
            NodeRef::CreateEnumStmt(s) => names.extend(last_name(&s.type_name)),
            NodeRef::CompositeTypeStmt(s) => {
                names.extend(s.typevar.as_ref().map(|r| r.relname.clone()))
            }
            NodeRef::CreateDomainStmt(s) => names.extend(last_name(&s.domainname)),
            NodeRef::CreateFunctionStmt(s) => names.extend(last_name(&s.funcname)),
            _ => {}
        }
    }
    names.retain(|n| !n.is_empty());
    names
}

/// Names a statement uses: every identifier the PostgreSQL scanner finds in it, so a table, a
/// type, a function or an access method named anywhere in it counts (a keyword-like name such
/// as `vector` or `items` too), except those the statement makes itself.
fn referenced_names(text: &str, parsed: &ParseResult) -> BTreeSet<String> {
    use pg_query::protobuf::{KeywordKind, Token};
    let own: BTreeSet<String> = defined_names(parsed).into_iter().collect();
    pg_query::scan_tokens(text)
        .unwrap_or_default()
        .iter()
        .filter(|t| {
            t.token == Token::Ident as i32
                || t.keyword_kind != KeywordKind::ReservedKeyword as i32
                    && t.keyword_kind != KeywordKind::NoKeyword as i32
        })
        .filter_map(|t| text.get(t.start as usize..t.end as usize))
        .map(|word| {
            if word.starts_with('"') {
                word.trim_matches('"').to_string()
            } else {
                word.to_lowercase()
            }
        })
        .filter(|name| !own.contains(name))
        .collect()
}

fn last_name(parts: &[pg_query::protobuf::Node]) -> Option<String> {
    parts.last().and_then(|n| match &n.node {
        Some(pg_query::NodeEnum::String(s)) => Some(s.sval.clone()),
        _ => None,
    })
}

/// The names a server message quotes: `relation "customers" does not exist`.
fn quoted(message: &str) -> Vec<String> {
    message
        .split('"')
        .skip(1)
        .step_by(2)
        .map(|s| s.rsplit('.').next().unwrap_or(s).to_string())
        .collect()
}

/// What a statement that did not parse seems to create: `CREATE [OR REPLACE] TABLE name`.
fn guessed_names(text: &str) -> Vec<String> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == '(')
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_matches('"').to_lowercase())
        .collect();
    let kinds = [
        "table", "view", "index", "type", "function", "sequence", "schema",
    ];
    words
        .iter()
        .position(|w| kinds.contains(&w.as_str()))
        .filter(|_| words.first().is_some_and(|w| w == "create"))
        .and_then(|i| {
            words[i + 1..]
                .iter()
                .find(|w| !["if", "not", "exists", "concurrently", "unique"].contains(&w.as_str()))
        })
        .map(|name| vec![name.rsplit('.').next().unwrap_or(name).to_string()])
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_a_broken_statement_would_have_made_are_guessed() {
        assert_eq!(
            guessed_names("CREATE OR REPLACE TABLE shop.customers_inventory (id int"),
            vec!["customers_inventory"]
        );
        assert_eq!(
            guessed_names("CREATE TABLE IF NOT EXISTS \"Orders\"(id int"),
            vec!["orders"]
        );
        assert!(guessed_names("SELEC 1").is_empty());
    }

    #[test]
    fn server_messages_give_their_quoted_names() {
        assert_eq!(
            quoted("relation \"shop.customers\" does not exist"),
            vec!["customers"]
        );
        assert_eq!(quoted("type \"vector\" does not exist"), vec!["vector"]);
    }

    #[test]
    fn names_made_and_used_are_read_from_the_tree() {
        let parsed = parse::postgres(
            "CREATE TABLE orders (id bigint, c bigint REFERENCES customers, e vector(3))",
        )
        .ok();
        let text = "CREATE TABLE orders (id bigint, c bigint REFERENCES customers, e vector(3))";
        let parsed = parsed.as_ref();
        assert_eq!(parsed.map(defined_names), Some(vec!["orders".to_string()]));
        let used = parsed
            .map(|p| referenced_names(text, p))
            .unwrap_or_default();
        assert!(!used.contains("orders"), "{used:?}");
        assert!(
            used.contains("customers") && used.contains("vector"),
            "{used:?}"
        );
    }
}
