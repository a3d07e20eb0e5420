//! Evidence for the reviewer: the SQL of an answer located, parsed with the engines' own
//! grammars, applied to a real PostgreSQL in a scratch database, and linted, so the question
//! "does this schema even apply?" is answered before a route is approved.
//!
//! [`prepare`] finds and parses (no server); [`apply::run`] applies to a [`server::CheckServer`]
//! and reads the catalog for the design lints; [`Report`] is what every surface shows: the
//! workbench's checks pane, `archbench check`, the envelope and the audit log.

pub mod apply;
pub mod dialect;
pub mod lint;
pub mod locate;
pub mod parse;
pub mod planner;
pub mod report;
pub mod schema;
pub mod server;
mod service;
mod settings;

pub use service::Checker;
pub use settings::{Require, Settings};

use dialect::{Dialect, Label};
pub use locate::Location;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::time::Duration;

/// What is being checked: an answer in markdown, or a file of SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Markdown,
    Sql,
}

/// How a check runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The most one statement may run (the server's statement_timeout, and archbench cancels it
    /// a little after, should the SQL have changed its own setting).
    pub statement_timeout: Duration,
    /// The most the whole check may take; statements not reached by then are counted not run.
    pub time_limit: Duration,
    /// Lint rules turned off in the configuration.
    pub lints_off: BTreeSet<String>,
    /// The brief, read for what it asks (a multi-tenant design, say).
    pub brief: Option<String>,
    /// Told how far the apply has gone.
    pub progress: Progress,
    /// Also dump the built schema with `pg_dump --schema-only` (`archbench schema --sql`).
    pub dump: bool,
}

/// Told, while statements are applied, how many of how many are done: at most every 100 ms,
/// and at the end.
#[derive(Clone, Default)]
pub struct Progress(Option<std::sync::Arc<dyn Fn(usize, usize) + Send + Sync>>);

impl Progress {
    pub fn new(tell: impl Fn(usize, usize) + Send + Sync + 'static) -> Progress {
        Progress(Some(std::sync::Arc::new(tell)))
    }

    fn tell(&self, done: usize, total: usize) {
        if let Some(tell) = &self.0 {
            tell(done, total);
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(told)"
        } else {
            "Progress(none)"
        })
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            statement_timeout: Duration::from_secs(5),
            time_limit: Duration::from_secs(60),
            lints_off: BTreeSet::new(),
            brief: None,
            progress: Progress::default(),
            dump: false,
        }
    }
}

/// One PostgreSQL statement of the text, parsed.
pub struct Prepared {
    pub text: String,
    pub at: Location,
    pub block: usize,
    offset: usize,
    pub parsed: Result<pg_query::ParseResult, parse::SyntaxError>,
}

/// The text's SQL, found and parsed, ready to apply.
pub struct Plan {
    pub blocks: Vec<locate::Block>,
    /// The dialect of each of `blocks`.
    pub dialects: Vec<Dialect>,
    pub statements: Vec<Prepared>,
    /// Problems found without a server: syntax errors, MySQL blocks that do not parse.
    pub errors: Vec<Finding>,
    pub skipped: Vec<Skipped>,
    pub parsed_only: Vec<ParsedOnly>,
    pub checked_sha256: String,
    pub multi_tenant: bool,
    /// The text's lines, for what the prose says about its queries.
    pub prose: Vec<String>,
}

impl Plan {
    /// Where, in the checked text, a byte of a statement is.
    pub fn locate(&self, statement: usize, byte: usize) -> Location {
        let s = &self.statements[statement];
        self.blocks[s.block].locate(s.offset + byte.min(s.text.len()))
    }
}

/// An error of a statement, where the reviewer reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub line: usize,
    pub column: usize,
    /// PostgreSQL's SQLSTATE (`42601` for a syntax error, also for MySQL blocks).
    pub sqlstate: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The line the failing statement starts on.
    pub statement_line: usize,
    pub dialect: Dialect,
    /// The earlier failure this one follows from (a table that was never created, an extension
    /// the server lacks): the line of that failure's statement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follows_from: Option<usize>,
}

/// An extension the design uses that the check server cannot install: not a mistake of the
/// design, said as such.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unavailable {
    pub line: usize,
    pub extension: String,
    pub reason: String,
}

/// A block or line not checked, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub line: usize,
    pub dialect: String,
    pub reason: String,
}

/// A block of SQL the check read, and what became of its statements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockSummary {
    /// Its first and last lines in the checked text.
    pub line: usize,
    pub last_line: usize,
    /// The fence's label (empty when unlabelled).
    pub label: String,
    pub dialect: Dialect,
    /// Its PostgreSQL statements, and how many of them applied (a MySQL block has none: it is
    /// parsed only).
    pub statements: usize,
    pub applied: usize,
}

/// A block of another engine that was parsed with that engine's grammar, but not applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedOnly {
    pub line: usize,
    pub dialect: Dialect,
    pub statements: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// A lint: a rule the SQL breaks, where, and one sentence of why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lint {
    pub rule: String,
    pub severity: Severity,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Everything a check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Report {
    /// The server the SQL was applied to (`PostgreSQL 15.8 (Debian …)`); none when it was not.
    pub server: Option<String>,
    /// SHA-256 of the text checked: a report belongs to that text only.
    pub checked_sha256: String,
    /// PostgreSQL statements found.
    pub statements: usize,
    pub applied: usize,
    /// Statements not reached within the check's time limit.
    pub not_run: usize,
    pub errors: Vec<Finding>,
    pub unavailable: Vec<Unavailable>,
    pub lints: Vec<Lint>,
    pub skipped: Vec<Skipped>,
    pub parsed_only: Vec<ParsedOnly>,
    /// The blocks read, in answer order, each with its counts.
    #[serde(default)]
    pub blocks: Vec<BlockSummary>,
    /// Why the SQL was not applied, when it was not (no server, say), and what to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_applied: Option<String>,
    pub elapsed_ms: u64,
    /// The answer's queries as the planner plans them, with what the answer claims of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plans: Vec<planner::QueryPlan>,
    /// The schema the statements built, read from the catalog (or why it could not be).
    #[serde(skip)]
    pub schema: Option<Result<schema::Schema, String>>,
    /// `pg_dump --schema-only` of it, when asked for.
    #[serde(skip)]
    pub dump: Option<Result<String, String>>,
    /// Where the time went (for the benchmark).
    #[serde(skip)]
    pub timings: Timings,
}

/// Time spent reading the catalog for the schema, and planning the queries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    pub schema: std::time::Duration,
    pub plans: std::time::Duration,
}

impl Report {
    /// Errors that are the design's own, not ones that follow from an unavailable extension.
    pub fn design_errors(&self) -> usize {
        let unavailable: BTreeSet<usize> = self.unavailable.iter().map(|u| u.line).collect();
        self.errors
            .iter()
            .filter(|e| !e.follows_from.is_some_and(|l| unavailable.contains(&l)))
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.lints
            .iter()
            .filter(|l| l.severity >= Severity::Warning)
            .count()
    }

    /// Every PostgreSQL statement found was applied.
    pub fn passed(&self) -> bool {
        self.server.is_some() && self.errors.is_empty() && self.not_run == 0
    }

    /// `SQL: 31 statements · 29 applied · 2 errors · 5 warnings`.
    pub fn summary(&self) -> String {
        report::summary(self)
    }

    /// The lines with an error or a warning, each with the worst of them: the answer's gutter.
    /// A claim about a query that the planner contradicts is a warning at the claim's line.
    pub fn marks(&self) -> impl Iterator<Item = (usize, Severity)> + '_ {
        let errors = self.errors.iter().map(|e| (e.line, Severity::Error));
        let lints = self.lints.iter().map(|l| (l.line, l.severity));
        let claims = self
            .plans
            .iter()
            .flat_map(|p| p.contradictions().map(|c| (c.line, Severity::Warning)));
        errors
            .chain(lints)
            .chain(claims)
            .filter(|(_, s)| *s >= Severity::Warning)
    }

    /// What the audit log and the session store keep of a check (`sql_checked`): where it ran,
    /// the counts, and the hash of the text it checked; the envelope carries the whole report.
    pub fn record(&self) -> serde_json::Value {
        serde_json::json!({
            "server": self.server,
            "checked_sha256": self.checked_sha256,
            "statements": self.statements,
            "applied": self.applied,
            "errors": self.errors.len(),
            "warnings": self.warnings(),
            "not_applied": self.not_applied,
        })
    }
}

/// SHA-256 of a text, hex.
pub fn text_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Finds the SQL of a text, splits it into statements and parses each with its engine's grammar.
pub fn prepare(text: &str, source: Source, brief: Option<&str>) -> Plan {
    let blocks = match source {
        Source::Markdown => locate::fenced_blocks(text),
        Source::Sql => vec![locate::whole_file(text)],
    };
    let mut plan = Plan {
        blocks: Vec::new(),
        dialects: Vec::new(),
        statements: Vec::new(),
        errors: Vec::new(),
        skipped: Vec::new(),
        parsed_only: Vec::new(),
        checked_sha256: text_hash(text),
        multi_tenant: says_multi_tenant(text) || brief.is_some_and(says_multi_tenant),
        prose: match source {
            Source::Markdown => text.lines().map(str::to_string).collect(),
            Source::Sql => Vec::new(),
        },
    };
    for block in blocks {
        let index = plan.blocks.len();
        let start = block.start().line;
        let statements = block.statements();
        let parsed: Vec<_> = statements
            .iter()
            .map(|s| parse::postgres(&s.text))
            .collect();
        let all_parse = parsed.iter().all(Result::is_ok);
        let dialect = match dialect::label(&block.label) {
            Label::Other => continue,
            Label::Engine(d) => Some(d),
            Label::Generic | Label::None if all_parse && !statements.is_empty() => {
                Some(Dialect::Postgres)
            }
            label => match dialect::sniff(&block.text) {
                Some((d, mark)) => {
                    if d != Dialect::MySql {
                        plan.skipped.push(Skipped {
                            line: start,
                            dialect: d.to_string(),
                            reason: format!("{d} ({mark}), not PostgreSQL: not applied"),
                        });
                        continue;
                    }
                    Some(d)
                }
                // An unlabelled block is SQL only if most of it parses as SQL.
                None if label == Label::None => {
                    let ok = parsed.iter().filter(|p| p.is_ok()).count();
                    (ok * 2 > parsed.len()).then_some(Dialect::Postgres)
                }
                None => Some(Dialect::Postgres),
            },
        };
        let Some(dialect) = dialect else { continue };
        for (at, command) in &block.meta_commands {
            plan.skipped.push(Skipped {
                line: at.line,
                dialect: "psql".into(),
                reason: format!("psql meta-command {command}: not SQL, skipped"),
            });
        }
        match dialect {
            Dialect::Postgres => {
                for (statement, parsed) in statements.into_iter().zip(parsed) {
                    let at = block.locate(statement.offset);
                    if let Err(e) = &parsed {
                        let where_ = e
                            .offset
                            .map(|o| block.locate(statement.offset + o))
                            .unwrap_or(at);
                        plan.errors.push(Finding {
                            line: where_.line,
                            column: where_.column,
                            sqlstate: "42601".into(),
                            message: e.message.clone(),
                            detail: None,
                            hint: None,
                            statement_line: at.line,
                            dialect: Dialect::Postgres,
                            follows_from: None,
                        });
                    }
                    plan.statements.push(Prepared {
                        text: statement.text,
                        at,
                        block: index,
                        offset: statement.offset,
                        parsed,
                    });
                }
            }
            Dialect::MySql => match parse::mysql(&block.text) {
                Ok(count) => plan.parsed_only.push(ParsedOnly {
                    line: start,
                    dialect: Dialect::MySql,
                    statements: count,
                }),
                Err((message, at)) => {
                    let where_ = at
                        .map(|(line, column)| Location {
                            line: start + line - 1,
                            column,
                        })
                        .unwrap_or(block.start());
                    plan.errors.push(Finding {
                        line: where_.line,
                        column: where_.column,
                        sqlstate: "42601".into(),
                        message: format!("MySQL (parsed only): {message}"),
                        detail: None,
                        hint: None,
                        statement_line: where_.line,
                        dialect: Dialect::MySql,
                        follows_from: None,
                    })
                }
            },
            other => {
                plan.skipped.push(Skipped {
                    line: start,
                    dialect: other.to_string(),
                    reason: format!("labelled {other}, not PostgreSQL: not applied"),
                });
                continue;
            }
        }
        plan.blocks.push(block);
        plan.dialects.push(dialect);
    }
    plan
}

/// A design for many tenants: the words people use for one.
fn says_multi_tenant(text: &str) -> bool {
    let lower = text.to_lowercase();
    ["multi-tenant", "multitenant", "multi tenant", "tenant_id"]
        .iter()
        .any(|w| lower.contains(w))
}

/// Parses, applies and lints, with the server when there is one.
pub async fn check(
    text: &str,
    source: Source,
    server: Option<&server::CheckServer>,
    options: &Options,
) -> Report {
    let started = std::time::Instant::now();
    let plan = prepare(text, source, options.brief.as_deref());
    let mut report = match server {
        Some(server) => apply::run(&plan, server, options).await,
        None => apply::unapplied(
            &plan,
            "no check server: the SQL was parsed, not applied".into(),
        ),
    };
    report.lints.extend(lint::statements(&plan));
    report
        .lints
        .retain(|l| !options.lints_off.contains(&l.rule));
    report
        .lints
        .sort_by(|a, b| (a.line, a.column, &a.rule).cmp(&(b.line, b.column, &b.rule)));
    report.errors.sort_by_key(|e| (e.line, e.column));
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    report
}
