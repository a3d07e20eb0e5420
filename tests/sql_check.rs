//! The SQL check against a real PostgreSQL: one throwaway server for this whole suite, started
//! by the same code the workbench and `archbench check` use, stopped when the suite's process
//! ends (its lifeline pipe closes). Statement timeouts are short so hostile statements end fast.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use archbench::check::{self, Options, Report, Source};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::pg::server;

fn options() -> Options {
    Options {
        statement_timeout: Duration::from_millis(1500),
        time_limit: Duration::from_secs(60),
        ..Options::default()
    }
}

async fn check_md(answer: &str) -> Report {
    check::check(answer, Source::Markdown, Some(server()), &options()).await
}

async fn check_sql(sql: &str) -> Report {
    check::check(sql, Source::Sql, Some(server()), &options()).await
}

fn rules(report: &Report) -> Vec<&str> {
    report.lints.iter().map(|l| l.rule.as_str()).collect()
}

/// A multi-tenant design done right: partitioned, row-level security on every tenant table,
/// contrib extensions, keys indexed and of matching types.
const GOOD_SCHEMA: &str = "\
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TABLE tenants (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL
);
CREATE TABLE customers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES tenants (id),
  email citext NOT NULL,
  token uuid NOT NULL DEFAULT gen_random_uuid(),
  UNIQUE (tenant_id, email)
);
ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
CREATE POLICY customers_tenant ON customers
  USING (tenant_id = current_setting('app.tenant_id')::bigint);
CREATE TABLE orders (
  id bigint GENERATED ALWAYS AS IDENTITY,
  tenant_id bigint NOT NULL,
  customer_id bigint NOT NULL REFERENCES customers (id),
  placed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, placed_at)
) PARTITION BY RANGE (placed_at);
CREATE TABLE orders_2026 PARTITION OF orders
  FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX orders_customer_idx ON orders (customer_id, placed_at);
CREATE INDEX orders_tenant_idx ON orders (tenant_id);
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_tenant ON orders
  USING (tenant_id = current_setting('app.tenant_id')::bigint);
CREATE TABLE bookings (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  room bigint NOT NULL,
  during tstzrange NOT NULL,
  EXCLUDE USING gist (room WITH =, during WITH &&)
);
";

#[tokio::test]
async fn a_valid_multi_tenant_schema_applies_with_no_error_and_no_lint() {
    let report = check_md(&format!(
        "# Design\n\nA multi-tenant shop.\n\n```sql\n{GOOD_SCHEMA}```\n"
    ))
    .await;
    assert_eq!(report.errors, vec![], "{report:#?}");
    assert_eq!(report.unavailable, vec![]);
    assert_eq!(report.statements, 14);
    assert_eq!(report.applied, 14);
    assert_eq!(report.lints, vec![], "a clean design has no lint");
    assert!(report.passed());
    let server = report.server.unwrap_or_default();
    assert!(server.starts_with("PostgreSQL 1"), "{server}");
    assert_eq!(report.checked_sha256.len(), 64);
}

#[tokio::test]
async fn errors_land_on_their_answer_line_and_column_with_the_servers_words() {
    let answer = "\
# Schema                                                   
                                                           
Customers first.                                           
                                                           
```sql
CREATE TABLE customers (id bigint PRIMARY KEY);
CREATE OR REPLACE TABLE inventory (id int);
CREATE TABLE orders (
  id bigint PRIMARY KEY,
  shipper bigint REFERENCES nowhere (id),
  buyer uuid REFERENCES customers (id)
);
CREATE EXTENSION vector;
CREATE TABLE items (id bigint PRIMARY KEY, embedding vector(3));
CREATE TABLE stock (id bigint PRIMARY KEY, item bigint REFERENCES inventory (id));
```
";
    let report = check_md(answer).await;
    let at = |sqlstate: &str| {
        report
            .errors
            .iter()
            .find(|e| e.sqlstate == sqlstate)
            .unwrap_or_else(|| panic!("no {sqlstate} in {report:#?}"))
    };
    let syntax = at("42601");
    assert_eq!((syntax.line, syntax.column), (7, 19));
    assert_eq!(syntax.message, "syntax error at or near \"TABLE\"");
    let unknown = at("42P01");
    // The server gives no position here: the name it quotes is found in the statement.
    assert_eq!(
        (unknown.line, unknown.column, unknown.statement_line),
        (10, 29, 8)
    );
    assert_eq!(unknown.message, "relation \"nowhere\" does not exist");
    // With the unknown table gone, the same statement's type mismatch is the next error.
    let fixed = check_md(&answer.replace("REFERENCES nowhere (id)", "")).await;
    let mismatch = fixed
        .errors
        .iter()
        .find(|e| e.sqlstate == "42804")
        .expect("a type mismatch");
    assert_eq!(mismatch.statement_line, 8);
    assert!(
        mismatch.message.contains("cannot be implemented"),
        "{mismatch:?}"
    );
    assert!(mismatch.detail.as_deref().unwrap_or("").contains("uuid"));
    // The extension the server lacks is not a mistake; what uses it follows from it.
    assert_eq!(report.unavailable.len(), 1);
    assert_eq!(report.unavailable[0].extension, "vector");
    assert_eq!(report.unavailable[0].line, 13);
    assert!(report.unavailable[0]
        .reason
        .contains("not available on the check server"));
    let vector = at("42704");
    assert_eq!((vector.line, vector.follows_from), (14, Some(13)));
    // A table whose statement did not parse is missing later: that failure follows from it.
    let stock = report
        .errors
        .iter()
        .find(|e| e.statement_line == 15)
        .unwrap();
    assert_eq!(stock.follows_from, Some(7));
    // The errors of the design itself, not those following from the missing extension.
    assert_eq!(report.design_errors(), report.errors.len() - 1);
}

#[tokio::test]
async fn statements_after_an_aborted_transaction_follow_from_its_error() {
    let report = check_sql(
        "BEGIN;\nCREATE TABLE a (id bigint PRIMARY KEY);\nINSERT INTO a VALUES ('x');\nCREATE TABLE b (id bigint PRIMARY KEY);\nCOMMIT;\n",
    )
    .await;
    assert_eq!(report.errors.len(), 2, "{report:#?}");
    assert_eq!(report.errors[0].line, 3);
    assert_eq!(report.errors[0].follows_from, None);
    assert_eq!(report.errors[1].sqlstate, "25P02");
    assert_eq!(report.errors[1].follows_from, Some(3));
}

#[tokio::test]
async fn blocks_of_other_engines_are_named_and_skipped_not_reported_as_errors() {
    let answer = "\
```sql
CREATE TABLE events (ts DateTime, n UInt64) ENGINE = MergeTree ORDER BY ts;
```

```mysql
CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB;
```

```cql
CREATE KEYSPACE shop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};
```

```
db.orders.createIndex({ customer: 1 })
```

```psql
\\c shop
CREATE TABLE a (id bigint PRIMARY KEY);
```

```rust
fn main() {}
```
";
    let report = check_md(answer).await;
    assert_eq!(report.errors, vec![], "{report:#?}");
    let skipped: Vec<(usize, &str)> = report
        .skipped
        .iter()
        .map(|s| (s.line, s.dialect.as_str()))
        .collect();
    assert_eq!(
        skipped,
        vec![
            (2, "ClickHouse"),
            (10, "Cassandra CQL"),
            (14, "Mongo shell"),
            (18, "psql")
        ]
    );
    assert_eq!(report.parsed_only.len(), 1);
    assert_eq!(report.parsed_only[0].line, 6);
    assert_eq!(report.statements, 1);
    assert_eq!(report.applied, 1);
}

#[tokio::test]
async fn a_mysql_block_that_does_not_parse_is_an_error_labelled_mysql() {
    let report = check_md("```mysql\nSELECT 1;\nCREATE TABLE (id INT);\n```\n").await;
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].line, 3);
    assert!(report.errors[0].message.starts_with("MySQL (parsed only)"));
}

/// Each lint on a fixture that has it; the clean schema above has none of them.
#[tokio::test]
async fn each_lint_fires_on_a_fixture_that_has_it() {
    let existing = "CREATE TABLE t (id bigint PRIMARY KEY, a text, b text);\n";
    let cases: &[(&str, &str)] = &[
        ("prefer-timestamptz", "CREATE TABLE x (id bigint PRIMARY KEY, at timestamp);"),
        ("prefer-bigint-keys", "CREATE TABLE x (id int PRIMARY KEY);"),
        ("prefer-identity", "CREATE TABLE x (id bigserial PRIMARY KEY);"),
        ("prefer-text-field", "CREATE TABLE x (id bigint PRIMARY KEY, s varchar(20));"),
        ("ban-char-field", "CREATE TABLE x (id bigint PRIMARY KEY, c char(2));"),
        ("require-concurrent-index-creation", "CREATE INDEX t_a ON t (a);"),
        ("constraint-missing-not-valid", "ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a <> '');"),
        ("disallowed-unique-constraint", "ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a);"),
        ("setting-not-null", "ALTER TABLE t ALTER COLUMN a SET NOT NULL;"),
        ("adding-required-field", "ALTER TABLE t ADD COLUMN c text NOT NULL;"),
        ("adding-field-with-volatile-default", "ALTER TABLE t ADD COLUMN r float8 DEFAULT random();"),
        ("changing-column-type", "ALTER TABLE t ALTER COLUMN a TYPE varchar(10);"),
        ("renaming-column", "ALTER TABLE t RENAME COLUMN a TO aa;"),
        ("renaming-table", "ALTER TABLE t RENAME TO tt;"),
        ("ban-drop-column", "ALTER TABLE t DROP COLUMN b;"),
        ("ban-drop-table", "DROP TABLE t;"),
        ("fk-without-index", "CREATE TABLE x (id bigint PRIMARY KEY, t_id bigint REFERENCES t);"),
        ("table-without-primary-key", "CREATE TABLE x (a text);"),
        ("duplicate-index", "CREATE INDEX CONCURRENTLY t_a1 ON t (a);\nCREATE INDEX CONCURRENTLY t_a2 ON t (a);"),
        ("redundant-index", "CREATE INDEX CONCURRENTLY t_a1 ON t (a);\nCREATE INDEX CONCURRENTLY t_ab ON t (a, b);"),
        ("fk-type-mismatch", "CREATE TABLE x (id bigint PRIMARY KEY, t_id int REFERENCES t);\nCREATE INDEX ON x (t_id);"),
        ("nullable-unique-column", "CREATE TABLE x (id bigint PRIMARY KEY, code text UNIQUE);"),
        ("tenant-table-without-rls", "-- multi-tenant\nCREATE TABLE x (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);"),
    ];
    assert_eq!(
        cases.len(),
        check::lint::RULES.len(),
        "a fixture for every rule"
    );
    // The fixtures are separate schemas: check them side by side, each in its own database.
    let checks = cases.iter().map(|(rule, sql)| async move {
        // `t` is made by a first block: to the second block's migration rules it is existing.
        let sql = format!("{existing}{sql}\n");
        let mut plan_text = String::from("```sql\n");
        plan_text.push_str(existing);
        plan_text.push_str("```\n\n```sql\n");
        plan_text.push_str(&sql[existing.len()..]);
        plan_text.push_str("```\n");
        let report = check_md(&plan_text).await;
        (rule, sql, report)
    });
    for (rule, sql, report) in futures_util::future::join_all(checks).await {
        assert!(
            rules(&report).contains(rule),
            "{rule} not reported on\n{sql}\n{report:#?}"
        );
        assert_eq!(
            report.errors,
            vec![],
            "{rule}: the fixture applies\n{report:#?}"
        );
    }
}

#[tokio::test]
async fn migration_rules_speak_only_of_tables_the_sql_did_not_create() {
    let report = check_sql(
        "CREATE TABLE t (id bigint PRIMARY KEY, a text);\nCREATE INDEX t_a ON t (a);\nALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a <> '');\n",
    )
    .await;
    assert_eq!(rules(&report), Vec::<&str>::new(), "{report:#?}");
}

#[tokio::test]
async fn lints_turned_off_are_not_reported() {
    let mut options = options();
    options.lints_off.insert("table-without-primary-key".into());
    let report = check::check(
        "CREATE TABLE x (a text);",
        Source::Sql,
        Some(server()),
        &options,
    )
    .await;
    assert_eq!(report.lints, vec![]);
}

/// Each hostile statement is refused by the server's own privileges, or ends at the timeout,
/// and nothing outside the scratch database changed.
#[tokio::test]
async fn hostile_statements_are_refused_or_time_out_and_change_nothing_outside() {
    let marker = std::env::temp_dir().join(format!("archbench-pwned-{}", std::process::id()));
    let hostile = format!(
        "CREATE TABLE t (id bigint PRIMARY KEY);
COPY (SELECT 1) TO PROGRAM 'touch {marker}';
COPY t FROM '/etc/hostname';
ALTER SYSTEM SET work_mem = '1GB';
SELECT pg_read_file('/etc/passwd');
SELECT pg_ls_dir('/');
SELECT lo_import('/etc/passwd');
CREATE EXTENSION dblink;
CREATE EXTENSION file_fdw;
CREATE ROLE archbench_evil SUPERUSER;
CREATE DATABASE archbench_evil;
ALTER ROLE CURRENT_USER SUPERUSER;
CREATE LANGUAGE plpython3u;
SET statement_timeout = 0;
SELECT pg_sleep(60);
DO $$ BEGIN LOOP END LOOP; END $$;
",
        marker = marker.display()
    );
    let started = Instant::now();
    let report = check_sql(&hostile).await;
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the sleeps ended at the timeout"
    );
    assert_eq!(
        report.applied, 2,
        "only the table and the SET applied: {report:#?}"
    );
    let by_line = |line: usize| {
        report
            .errors
            .iter()
            .find(|e| e.line == line)
            .map(|e| e.sqlstate.as_str())
            .or_else(|| {
                report
                    .unavailable
                    .iter()
                    .find(|u| u.line == line)
                    .map(|_| "unavailable")
            })
    };
    for line in [2, 3, 4, 5, 6, 7, 10, 11, 12] {
        assert_eq!(by_line(line), Some("42501"), "line {line}: {report:#?}");
    }
    for line in [8, 9] {
        assert_eq!(
            by_line(line),
            Some("unavailable"),
            "line {line}: {report:#?}"
        );
    }
    assert!(by_line(13).is_some(), "an untrusted language is refused");
    assert_eq!(by_line(15), Some("57014"), "pg_sleep ends at the timeout");
    assert_eq!(
        by_line(16),
        Some("57014"),
        "an endless loop ends at the timeout"
    );
    assert!(!marker.exists(), "COPY ... PROGRAM ran a command");
    let admin = |sql: &'static str| async move { server().admin_query(sql).await.unwrap() };
    assert_eq!(
        admin("SELECT count(*) FROM pg_roles WHERE rolname = 'archbench_evil'").await,
        vec![vec![Some("0".to_string())]]
    );
    assert_eq!(
        admin("SELECT count(*) FROM pg_database WHERE datname = 'archbench_evil'").await,
        vec![vec![Some("0".to_string())]]
    );
    assert_eq!(
        admin("SELECT count(*) FROM pg_file_settings WHERE name = 'work_mem'").await,
        vec![vec![Some("0".to_string())]],
        "ALTER SYSTEM wrote nothing"
    );
}

#[tokio::test]
async fn the_whole_check_stops_at_its_time_limit() {
    let mut options = options();
    options.time_limit = Duration::from_millis(1200);
    let report = check::check(
        "SELECT pg_sleep(1);\nSELECT pg_sleep(1);\nSELECT pg_sleep(1);\nSELECT 1;\n",
        Source::Sql,
        Some(server()),
        &options,
    )
    .await;
    assert_eq!(report.applied, 2);
    assert_eq!(report.not_run, 2);
    assert!(!report.passed());
    assert!(report.summary().contains("2 not run (time limit)"));
}

#[tokio::test]
async fn each_check_gets_a_fresh_database_dropped_after_it() {
    // The SQL names its own database and role in an error, so the test can look for them after.
    let sql = "CREATE TABLE once (id bigint PRIMARY KEY);\n\
               DO $$ BEGIN RAISE EXCEPTION '%/%', current_database(), current_user; END $$;";
    let first = check_sql(sql).await;
    let second = check_sql(sql).await;
    let names = |r: &Report| {
        assert_eq!(r.applied, 1, "the table is new each time: {r:#?}");
        let (db, role) = r.errors[0].message.split_once('/').unwrap();
        (db.to_string(), role.to_string())
    };
    let (first, second) = (names(&first), names(&second));
    assert_ne!(first.0, second.0, "a fresh database each check");
    assert!(first.0.starts_with("archbench_check_") && first.0 == first.1);
    for (db, role) in [first, second] {
        let gone = server()
            .admin_query(&format!(
                "SELECT (SELECT count(*) FROM pg_database WHERE datname = '{db}'), \
                        (SELECT count(*) FROM pg_roles WHERE rolname = '{role}')"
            ))
            .await
            .unwrap();
        assert_eq!(
            gone,
            vec![vec![Some("0".to_string()), Some("0".to_string())]],
            "{db} dropped"
        );
    }
}

fn archbench() -> Command {
    Command::new(env!("CARGO_BIN_EXE_archbench"))
}

fn run_check(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    run_on_the_suite_server("check", args, stdin)
}

/// `archbench COMMAND ARGS…` with the suite's PostgreSQL as its check server, in a home of its
/// own: exit code, standard output and error.
fn run_on_the_suite_server(
    subcommand: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> (i32, String, String) {
    let home = tempfile::tempdir().unwrap();
    let mut command = archbench();
    command
        .arg(subcommand)
        .args(args)
        .args(["--check-url", &server().url().unwrap()])
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env_remove("ARCHBENCH_CONFIG")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_json_on_a_markdown_answer_gives_lines_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("answer.md");
    std::fs::write(
        &file,
        "# Answer\n\n```sql\nCREATE TABLE a (id bigint PRIMARY KEY);\nCREATE TABLE b (id int REFERENCES a);\nCREATE TABLE c (id bigint PRIMARY KEY, x nope);\n```\n\n```sql\nCREATE TABLE e (ts DateTime) ENGINE = MergeTree ORDER BY ts;\n```\n",
    )
    .unwrap();
    let (code, out, err) = run_check(&["--json", file.to_str().unwrap()], None);
    assert_eq!(code, 10, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(json["server"].as_str().unwrap().starts_with("PostgreSQL"));
    assert_eq!(json["statements"], 3);
    assert_eq!(json["applied"], 2);
    assert_eq!(json["errors"][0]["line"], 6);
    assert_eq!(json["errors"][0]["column"], 42);
    assert_eq!(json["errors"][0]["sqlstate"], "42704");
    assert_eq!(json["errors"][0]["message"], "type \"nope\" does not exist");
    let lints = json["lints"].as_array().unwrap();
    let lint = lints
        .iter()
        .find(|l| l["rule"] == "table-without-primary-key")
        .unwrap();
    assert_eq!(
        (lint["line"].clone(), lint["severity"].clone()),
        (5.into(), "warning".into())
    );
    assert!(lint["message"].as_str().unwrap().starts_with("b: "));
    assert_eq!(json["blocks"][0]["line"], 4);
    assert_eq!(json["blocks"][0]["last_line"], 6);
    assert_eq!(json["blocks"][0]["applied"], 2);
    assert_eq!(json["skipped"][0]["line"], 10);
    assert_eq!(json["skipped"][0]["dialect"], "ClickHouse");
    assert!(json["skipped"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("not applied"));
}

#[test]
fn check_on_a_sql_file_and_on_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("schema.sql");
    std::fs::write(&file, GOOD_SCHEMA).unwrap();
    let (code, out, err) = run_check(&["--json", file.to_str().unwrap()], None);
    assert_eq!(code, 0, "{err}{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["applied"], 14);
    assert_eq!(json["errors"], serde_json::json!([]));

    let (code, out, _) = run_check(&["--sql", "-"], Some("SELECT 1;\nSELEC 2;\n"));
    assert_eq!(code, 10);
    assert!(out.contains("2:1"), "{out}");
    assert!(out.contains("syntax error at or near \"SELEC\""), "{out}");
    assert!(
        out.starts_with("SQL: 2 statements · 1 applied · 1 error"),
        "{out}"
    );
}

#[test]
fn bad_input_to_check_is_exit_2_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run_check(&[dir.path().join("missing.md").to_str().unwrap()], None);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");
    let binary = dir.path().join("x.sql");
    std::fs::write(&binary, b"SELECT 1;\xff\xfe").unwrap();
    let (code, _, err) = run_check(&[binary.to_str().unwrap()], None);
    assert_eq!(code, 2);
    assert!(
        err.contains("not UTF-8") && err.contains("save it as UTF-8"),
        "{err}"
    );
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[check]\nrequire = \"maybe\"\n[check.lints]\nno-such-rule = false\n",
    )
    .unwrap();
    let (code, _, err) = run_check(
        &[
            "--config",
            config.to_str().unwrap(),
            binary.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("check.require is \"pass\", \"confirm\" or \"off\""),
        "{err}"
    );
    let out = archbench()
        .args(["check", "--check-url", "postgresql://host:notaport/db", "-"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--check-url does not parse"), "{err}");
}

#[test]
fn check_without_a_server_says_why_and_still_parses() {
    let (code, out, _) = {
        let mut command = archbench();
        let out = command
            .args([
                "check",
                "--sql",
                "--check-url",
                "host=/nonexistent port=1 user=x",
                "-",
            ])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(code, 11, "{out}");
    assert!(
        out.contains("not applied: cannot reach the check server"),
        "{out}"
    );
}

// ---- in the workbench ----

const CHECKED_ANSWER: &str = "\
# Schema

The customers come first.

```sql
CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
CREATE TABLE orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customer (id)
);
CREATE TABLE notes (body text);
```

DECISION: backup_disaster_specialist
";

/// Runs the brief in a workbench with the check on, streams `answer`, and returns the driver and
/// the check the workbench asked for.
fn answered(answer: &str, policy: check::Require) -> (common::Driver, String) {
    use archbench::effect::Effect;
    use archbench::event::Event;
    use archbench::provider::{AgentEvent, FinishReason};
    let mut d = common::Driver::new("A shop.", 160, 40);
    d.state.check_policy = Some(policy);
    let started = d.ctrl('s');
    assert!(
        started.contains(&Effect::WarmCheckServer),
        "the server starts while the answer streams: {started:?}"
    );
    d.send(Event::Agent {
        run_id: 1,
        event: AgentEvent::Delta(answer.into()),
    });
    let effects = d.send(Event::Agent {
        run_id: 1,
        event: AgentEvent::Finished(FinishReason::Stop),
    });
    let text = match effects.as_slice() {
        [Effect::CheckSql {
            run_id: 1, text, ..
        }] => text.clone(),
        other => panic!("no check asked for: {other:?}"),
    };
    assert!(d.screen().contains("SQL: checking…"));
    (d, text)
}

#[tokio::test]
async fn the_workbench_shows_the_check_lists_findings_and_jumps_to_their_line() {
    use archbench::event::Event;
    let (mut d, text) = answered(CHECKED_ANSWER, check::Require::Confirm);
    let report = check_md(&text).await;
    d.send(Event::Checked {
        run_id: 1,
        report: Box::new(report),
    });
    let screen = d.screen();
    assert!(
        screen.contains("SQL: 3 statements · 2 applied · 1 error · 1 warning — ! lists them"),
        "{screen}"
    );
    // The gutter marks the line of the error.
    let error_row = screen
        .lines()
        .find(|l| l.contains("REFERENCES customer (id)"))
        .unwrap();
    assert!(error_row.starts_with('✗'), "{error_row}");
    d.key(crossterm::event::KeyCode::Char('!'));
    let list = d.screen();
    assert!(
        list.contains("9:42 42P01 relation \"customer\" does not exist"),
        "{list}"
    );
    assert!(
        list.contains("11:1 table-without-primary-key notes"),
        "{list}"
    );
    assert!(
        list.contains("lines 6–11 · sql · PostgreSQL: 3 statements · 2 applied · 1 error · 1 lint"),
        "the block's own line, above its findings: {list}"
    );
    // The server's version is this machine's: the snapshot names it generically.
    let version = d
        .state
        .latest()
        .and_then(|a| a.check_report())
        .and_then(|r| r.server.clone());
    insta::assert_snapshot!(
        "checks_list",
        list.replace(&version.unwrap(), "PostgreSQL <version>")
    );
}

#[tokio::test]
async fn enter_on_a_finding_brings_its_line_into_view() {
    use archbench::event::Event;
    use crossterm::event::KeyCode;
    let filler: String = (1..=60).map(|i| format!("Prose line {i}.\n\n")).collect();
    let answer = CHECKED_ANSWER.replace("The customers come first.\n", &filler);
    let (mut d, text) = answered(&answer, check::Require::Confirm);
    d.send(Event::Checked {
        run_id: 1,
        report: Box::new(check_md(&text).await),
    });
    d.state.follow = false;
    d.state.scroll = 0;
    assert!(
        !d.screen().contains("REFERENCES customer (id)"),
        "off screen at first"
    );
    d.key(KeyCode::Char('!'));
    d.key(KeyCode::Enter);
    assert_eq!(d.state.check_list, None, "the list closes");
    let screen = d.screen();
    let row = screen
        .lines()
        .find(|l| l.contains("REFERENCES customer (id)"))
        .unwrap_or_else(|| panic!("the error's line is in view:\n{screen}"));
    assert!(row.starts_with('✗'), "and marked in the gutter: {row}");
    assert!(screen.contains("Line 128."), "{screen}");
}

#[tokio::test]
async fn a_report_for_another_text_is_dropped() {
    use archbench::event::Event;
    let (mut d, _) = answered(CHECKED_ANSWER, check::Require::Confirm);
    let other = check_md("```sql\nSELECT 1;\n```\n").await;
    d.send(Event::Checked {
        run_id: 1,
        report: Box::new(other),
    });
    assert!(d.screen().contains("SQL: checking…"));
}

#[tokio::test]
async fn approving_with_errors_asks_a_typed_yes_and_the_envelope_records_it() {
    use archbench::effect::Effect;
    use archbench::event::Event;
    use crossterm::event::KeyCode;
    let (mut d, text) = answered(CHECKED_ANSWER, check::Require::Confirm);
    d.send(Event::Checked {
        run_id: 1,
        report: Box::new(check_md(&text).await),
    });
    assert!(d.key(KeyCode::Enter).is_empty(), "not handed off at once");
    let screen = d.screen();
    assert!(
        screen.contains(
            "first: line 9: relation \"customer\" does not exist. Approve anyway? Type yes"
        ),
        "{screen}"
    );
    d.type_text("no\n");
    assert!(d.screen().contains("Not approved."));
    assert!(d.key(KeyCode::Enter).is_empty());
    d.type_text("yes");
    let effects = d.key(KeyCode::Enter);
    let request = match effects.as_slice() {
        [Effect::Handoff { request, .. }] => (**request).clone(),
        other => panic!("no handoff: {other:?}"),
    };
    let check = request
        .check
        .clone()
        .expect("the check goes with the handoff");
    assert!(check.approved_with_errors);
    assert_eq!(check.report.errors.len(), 1);
    let kinds: Vec<&str> = d.state.audit.iter().map(|e| e.kind.as_str()).collect();
    assert!(
        kinds.contains(&"sql_checked") && kinds.contains(&"check_confirmed"),
        "{kinds:?}"
    );
    let brief = archbench::routing::envelope::compose_brief(&request);
    assert!(brief.contains("# SQL check (PostgreSQL"), "{brief}");
    assert!(
        brief.contains("- line 9:42 42P01 relation \"customer\" does not exist"),
        "{brief}"
    );
    let envelope =
        archbench::routing::Envelope::build(request, "e".into(), chrono::Utc::now()).unwrap();
    let json = serde_json::to_value(&envelope).unwrap();
    assert_eq!(json["check"]["errors"][0]["line"], 9);
    assert_eq!(json["check"]["approved_with_errors"], true);
    common::assert_valid_envelope(&json);
}

#[tokio::test]
async fn require_pass_refuses_approval_until_the_sql_applies() {
    use archbench::event::Event;
    use crossterm::event::KeyCode;
    let (mut d, text) = answered(CHECKED_ANSWER, check::Require::Pass);
    assert!(
        d.key(KeyCode::Enter).is_empty(),
        "refused while the check runs"
    );
    assert!(d.screen().contains("still running"));
    d.send(Event::Checked {
        run_id: 1,
        report: Box::new(check_md(&text).await),
    });
    assert!(d.key(KeyCode::Enter).is_empty());
    assert!(d
        .screen()
        .contains("Not approved: the SQL must apply first"));
    assert!(d.state.prompt.is_none(), "nothing to type past it");
}

#[tokio::test]
async fn a_passing_check_hands_off_at_once_with_its_record() {
    use archbench::effect::Effect;
    use archbench::event::Event;
    use crossterm::event::KeyCode;
    let good = CHECKED_ANSWER
        .replace("REFERENCES customer (id)", "REFERENCES customers (id)")
        .replace("(body text)", "(id bigint PRIMARY KEY, body text)");
    let good = good.replace(
        "CREATE TABLE notes",
        "CREATE INDEX orders_customer_idx ON orders (customer_id);\nCREATE TABLE notes",
    );
    let (mut d, text) = answered(&good, check::Require::Pass);
    let report = check_md(&text).await;
    assert!(report.passed(), "{report:#?}");
    d.send(Event::Checked {
        run_id: 1,
        report: Box::new(report),
    });
    let screen = d.screen();
    assert!(
        screen.contains(
            "SQL: 4 statements · 4 applied · 0 errors · 0 warnings: every statement applied"
        ),
        "{screen}"
    );
    match d.key(KeyCode::Enter).as_slice() {
        [Effect::Handoff { request, .. }] => {
            let check = request.check.as_ref().unwrap();
            assert!(!check.approved_with_errors);
            assert!(!archbench::routing::envelope::compose_brief(request).contains("# SQL check"));
        }
        other => panic!("no handoff: {other:?}"),
    }
}

/// As a person would: the workbench in tmux, an answer with a broken foreign key streamed by a
/// loopback server, the check run on the suite's PostgreSQL, the checks list opened with `!`,
/// Enter on the error scrolling its line into view and marked in the gutter.
#[test]
fn in_tmux_the_checks_list_shows_the_errors_and_enter_jumps_to_the_line() {
    use common::home::Home;
    use common::server::{openai_sse, split, Reply, Server};
    use common::tmux::Tmux;
    let filler: String = (1..=40).map(|i| format!("Note {i}.\n\n")).collect();
    let answer = CHECKED_ANSWER.replace("The customers come first.\n", &filler);
    let server = Server::start(vec![Reply::Stream(split(
        &openai_sse(&answer, 40, "stop"),
        200,
    ))]);
    let home = Home::new();
    home.write_config(&format!("[check]\nurl = \"{}\"\n", server_url_for_config()));
    let command = home.shell_with(
        &[],
        &[("ARCHBENCH_CHECK", "on")],
        &format!(
            "--provider openai --base-url {} --model m --outbox {}",
            server.base_url(),
            home.path().join("outbox").display()
        ),
    );
    let tmux = Tmux::start(&command, 120, 34);
    tmux.wait_for("No answer yet");
    tmux.text("A shop.");
    tmux.keys(&["C-s"]);
    let screen = tmux.wait_for("! lists them");
    assert!(
        screen.contains("SQL: 3 statements · 2 applied · 1 error · 1 warning"),
        "{screen}"
    );
    tmux.keys(&["!"]);
    let screen = tmux.wait_for("42P01 relation \"customer\" does not exist");
    assert!(screen.contains("table-without-primary-key"), "{screen}");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("Line 88.");
    let row = screen
        .lines()
        .find(|l| l.contains("REFERENCES customer (id)"))
        .unwrap_or_else(|| panic!("the line is in view:\n{screen}"));
    assert!(row.starts_with('✗'), "marked in the gutter: {row}");
}

/// The suite's server as `[check] url` takes it.
fn server_url_for_config() -> String {
    server().url().unwrap()
}

/// `archbench run --check` against a loopback model server, checking on the suite's PostgreSQL:
/// the exit code, what standard error says, and the outbox.
fn headless_check(answer: &str) -> (i32, String, Vec<serde_json::Value>) {
    headless_check_with(answer, "")
}

/// `run --check --approve agent` on `answer`, with `config` as the configuration file.
fn headless_check_with(answer: &str, config: &str) -> (i32, String, Vec<serde_json::Value>) {
    use common::home::Home;
    use common::server::{openai_sse, Reply, Server};
    let server = Server::start(vec![Reply::Stream(vec![openai_sse(answer, 50, "stop")])]);
    let home = Home::new();
    let brief = home.path().join("brief.md");
    std::fs::write(&brief, "A shop.").unwrap();
    let config_file = home.path().join("config.toml");
    std::fs::write(&config_file, config).unwrap();
    let out = home
        .command()
        .arg("--config")
        .arg(&config_file)
        .args([
            "run",
            "--check",
            "--approve",
            "agent",
            "--provider",
            "openai",
        ])
        .args(["--model", "m", "--base-url", &server.base_url(), "--brief"])
        .arg(&brief)
        .arg("--outbox")
        .arg(home.path().join("outbox"))
        .args(["--check-url", &server_url_for_config()])
        .env("OPENAI_API_KEY", "k")
        .output()
        .unwrap();
    let envelopes = std::fs::read_dir(home.path().join("outbox"))
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .map(|e| serde_json::from_slice(&std::fs::read(e.path()).unwrap()).unwrap())
                .collect()
        })
        .unwrap_or_default();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        envelopes,
    )
}

#[test]
fn run_check_with_approve_agent_does_not_hand_off_an_answer_whose_sql_failed() {
    let (code, stderr, envelopes) = headless_check(CHECKED_ANSWER);
    assert_eq!(code, 10, "{stderr}");
    assert!(
        stderr.contains("SQL: 3 statements · 2 applied · 1 error · 1 warning"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 9:42 42P01 relation \"customer\" does not exist"),
        "{stderr}"
    );
    assert!(stderr.contains("a person must decide"), "{stderr}");
    assert!(envelopes.is_empty(), "nothing handed off");
}

#[test]
fn run_check_hands_off_an_answer_whose_sql_applied_with_the_check_in_the_envelope() {
    let good = CHECKED_ANSWER
        .replace("REFERENCES customer (id)", "REFERENCES customers (id)")
        .replace("(body text)", "(id bigint PRIMARY KEY, body text)");
    let (code, stderr, envelopes) = headless_check(&good);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(envelopes.len(), 1);
    let check = &envelopes[0]["check"];
    assert_eq!(check["statements"], 3);
    assert_eq!(check["applied"], 3);
    assert_eq!(check["errors"], serde_json::json!([]));
    assert_eq!(check["approved_with_errors"], false);
    assert_eq!(check["lints"][0]["rule"], "fk-without-index");
    assert!(check.get("artifacts").is_none(), "none unless asked for");
    common::assert_valid_envelope(&envelopes[0]);
}

#[test]
fn the_schema_goes_into_the_envelope_in_the_formats_asked_for() {
    let good = CHECKED_ANSWER
        .replace("REFERENCES customer (id)", "REFERENCES customers (id)")
        .replace("(body text)", "(id bigint PRIMARY KEY, body text)");
    let config = "[check]\nenvelope_schema = [\"mermaid\", \"json\"]\n";
    let (code, stderr, envelopes) = headless_check_with(&good, config);
    assert_eq!(code, 0, "{stderr}");
    let artifacts = envelopes[0]["check"]["artifacts"].as_array().unwrap();
    let names: Vec<&str> = artifacts
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["schema.mmd", "schema.json"]);
    let mermaid = artifacts[0]["content"].as_str().unwrap();
    assert!(mermaid.starts_with("erDiagram"), "{mermaid}");
    assert!(mermaid.contains("customers ||--o{ orders"), "{mermaid}");
    let schema: archbench::check::schema::Schema =
        serde_json::from_str(artifacts[1]["content"].as_str().unwrap()).unwrap();
    let mut tables: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    tables.sort_unstable();
    assert_eq!(tables, ["customers", "notes", "orders"]);
    assert_eq!(artifacts[1]["media_type"], "application/json");
    common::assert_valid_envelope(&envelopes[0]);
}

#[tokio::test]
async fn the_benchmarks_schema_applies_whole() {
    let sql = archbench::bench::check::schema(50);
    let report = check_sql(&sql).await;
    assert_eq!(
        (report.statements, report.applied),
        (200, 200),
        "{report:#?}"
    );
    assert_eq!(report.errors, vec![]);
    // Its queries, one a table after the first, all planned and all served by an index.
    let with_queries = format!("{sql}{}", archbench::bench::check::queries(50));
    let report = check_sql(&with_queries).await;
    assert_eq!(report.errors, vec![]);
    assert_eq!(report.plans.len(), 49);
    assert!(
        report.plans.iter().all(|p| !p.indexes.is_empty()),
        "{:#?}",
        report.plans.iter().find(|p| p.indexes.is_empty())
    );
}

/// Whatever the way out, the throwaway server goes with archbench: here SIGKILL, mid-statement,
/// which no handler sees; the kernel closes archbench's end of the server's lifeline.
#[test]
fn the_throwaway_server_stops_and_its_folder_goes_when_archbench_is_killed() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    // Shared like /tmp, so the server's account (when the suite runs as root) can remove its
    // folder from it.
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    let mut child = archbench()
        .args(["check", "--sql", "-"])
        .env("TMPDIR", tmp.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"SELECT pg_sleep(30);\n").unwrap();
    }
    let folder = || {
        std::fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("archbench-pg-")
            })
    };
    let deadline = Instant::now() + common::PATIENCE;
    // The statement is running once the scratch database exists beside the template ones.
    let pid = loop {
        let pid = folder().and_then(|f| {
            let text = std::fs::read_to_string(f.join("data/postmaster.pid")).ok()?;
            let ready = text.lines().nth(7).is_some_and(|s| s.trim() == "ready");
            let scratch = std::fs::read_dir(f.join("data/base")).ok()?.count() > 3;
            (ready && scratch).then(|| text.lines().next()?.trim().parse::<i32>().ok())?
        });
        if let Some(pid) = pid {
            break pid;
        }
        assert!(Instant::now() < deadline, "the server never started");
        std::thread::park_timeout(Duration::from_millis(20));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    loop {
        // SAFETY: signal 0 only asks whether the process exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0;
        if !alive && folder().is_none() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server (pid {pid}) or its folder outlived archbench"
        );
        std::thread::park_timeout(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn the_check_tells_its_progress_and_the_routes_pane_shows_it() {
    use archbench::event::Event;
    let told = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut options = options();
    let sink = told.clone();
    options.progress = check::Progress::new(move |done, total| {
        sink.lock().unwrap().push((done, total));
    });
    let report = check::check(
        "SELECT pg_sleep(0.15);\nSELECT 1;\nSELECT 2;\n",
        Source::Sql,
        Some(server()),
        &options,
    )
    .await;
    assert_eq!(report.applied, 3);
    let told = told.lock().unwrap().clone();
    assert_eq!(told.first(), Some(&(0, 3)), "{told:?}");
    assert_eq!(told.last(), Some(&(3, 3)), "{told:?}");
    assert!(
        told.contains(&(1, 3)),
        "told again after the slow statement: {told:?}"
    );

    let (mut d, _) = answered(CHECKED_ANSWER, check::Require::Confirm);
    d.send(Event::CheckProgress {
        run_id: 1,
        done: 2,
        total: 3,
    });
    let screen = d.screen();
    assert!(screen.contains("SQL: checking… 2 of 3"), "{screen}");
}

const SCHEMA_FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/schema_view.md");

fn run_schema(args: &[&str]) -> (i32, String, String) {
    run_on_the_suite_server("schema", args, None)
}

/// The fixture's line (from 1) that holds `text`.
fn fixture_line(text: &str) -> u64 {
    let fixture = std::fs::read_to_string(SCHEMA_FIXTURE).unwrap();
    fixture.lines().position(|l| l.contains(text)).unwrap() as u64 + 1
}

fn schema_json() -> serde_json::Value {
    let (code, out, err) = run_schema(&[SCHEMA_FIXTURE, "--json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn table<'a>(schema: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    schema["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no table {name}: {schema}"))
}

#[test]
fn schema_reads_the_built_catalog_with_lines_keys_partitions_and_policies() {
    let schema = schema_json();
    let names: Vec<&str> = schema["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "categories",
            "orders",
            "orders_2025",
            "orders_2026",
            "tenants"
        ]
    );

    let categories = table(&schema, "categories");
    assert_eq!(categories["line"], fixture_line("CREATE TABLE categories"));
    assert_eq!(
        categories["primary_key"]["columns"],
        serde_json::json!(["tenant_id", "id"])
    );
    let parent = categories["foreign_keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "categories_parent_fkey")
        .unwrap();
    assert_eq!(
        parent["columns"],
        serde_json::json!(["tenant_id", "parent_id"])
    );
    assert_eq!(parent["references"], "categories", "a self-reference");
    assert_eq!(
        parent["referenced_columns"],
        serde_json::json!(["tenant_id", "id"])
    );
    assert_eq!(parent["on_delete"], "cascade");
    assert_eq!(
        parent["line"],
        fixture_line("CONSTRAINT categories_parent_fkey")
    );
    let parent_idx = &categories["indexes"][0];
    assert_eq!(parent_idx["name"], "categories_parent_idx");
    assert_eq!(
        parent_idx["line"],
        fixture_line("CREATE INDEX categories_parent_idx")
    );

    let orders = table(&schema, "orders");
    assert_eq!(orders["partitioned_by"], "RANGE (placed_at)");
    assert_eq!(orders["row_security"], true);
    assert_eq!(orders["policies"][0]["name"], "tenant_isolation");
    assert_eq!(orders["policies"][0]["command"], "ALL");
    assert_eq!(orders["policies"][0]["line"], fixture_line("CREATE POLICY"));
    let recent = &orders["indexes"][0];
    assert_eq!(recent["name"], "orders_recent_idx");
    assert_eq!(recent["method"], "btree");
    assert_eq!(
        recent["columns"],
        serde_json::json!(["tenant_id", "placed_at DESC"])
    );
    assert!(
        recent["predicate"].as_str().unwrap().contains("total > "),
        "{recent}"
    );
    let placed_at = &orders["columns"][2];
    assert_eq!(placed_at["data_type"], "timestamp with time zone");
    assert_eq!(placed_at["default"], "now()");
    assert_eq!(
        orders["checks"][0]["definition"],
        "CHECK ((total >= (0)::numeric))"
    );
    assert_eq!(table(&schema, "orders_2025")["partition_of"][0], "orders");
    assert_eq!(
        table(&schema, "tenants")["columns"][0]["default"],
        "identity"
    );

    let (code, text, err) = run_schema(&[SCHEMA_FIXTURE]);
    assert_eq!(code, 0, "{err}");
    assert!(text.starts_with("3 tables, 3 relationships"), "{text}");
    assert!(
        text.contains(&format!(
            "┌─ orders · partitioned by RANGE (placed_at) · row security on  (line {})",
            fixture_line("CREATE TABLE orders (")
        )),
        "{text}"
    );
    assert!(
        text.contains("│ partition    orders_2025 FOR VALUES FROM ('2025-01-01"),
        "{text}"
    );
    assert!(
        text.contains("│ referenced   by categories (tenant_id, parent_id)"),
        "{text}"
    );
}

#[test]
fn schema_mermaid_parsed_back_names_the_catalogs_tables_and_relationships() {
    use std::collections::BTreeSet;
    let catalog = schema_json();
    let (code, mermaid, err) = run_schema(&[SCHEMA_FIXTURE, "--mermaid"]);
    assert_eq!(code, 0, "{err}");
    assert!(mermaid.starts_with("erDiagram\n"), "{mermaid}");
    let mut entities = BTreeSet::new();
    let mut relationships = BTreeSet::new();
    for line in mermaid.lines() {
        if let Some(name) = line.strip_prefix("    ").and_then(|l| l.strip_suffix(" {")) {
            entities.insert(name.to_string());
        } else if let Some(rest) = line.strip_prefix("    ").filter(|l| l.contains("--")) {
            // `parent ||--o{ child : "constraint"`
            let words: Vec<&str> = rest.split_whitespace().collect();
            assert_eq!(words.len(), 5, "{line}");
            relationships.insert((
                words[0].to_string(),
                words[2].to_string(),
                words[4].trim_matches('"').to_string(),
            ));
        }
    }
    let tables = catalog["tables"].as_array().unwrap();
    let expected_entities: BTreeSet<String> = tables
        .iter()
        .filter(|t| t["partition_of"].is_null())
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    let expected_relationships: BTreeSet<(String, String, String)> = tables
        .iter()
        .flat_map(|t| {
            t["foreign_keys"].as_array().unwrap().iter().map(move |k| {
                (
                    k["references"].as_str().unwrap().to_string(),
                    t["name"].as_str().unwrap().to_string(),
                    k["name"].as_str().unwrap().to_string(),
                )
            })
        })
        .collect();
    assert_eq!(entities, expected_entities);
    assert_eq!(relationships, expected_relationships);
    // And the catalog's are the fixture's.
    let own = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(
        relationships,
        BTreeSet::from([
            own("categories", "categories", "categories_parent_fkey"),
            own("tenants", "categories", "categories_tenant_id_fkey"),
            own("tenants", "orders", "orders_tenant_id_fkey"),
        ])
    );
    assert!(
        mermaid.contains("    categories |o--o{ categories : \"categories_parent_fkey\""),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("    tenants ||--o{ orders : \"orders_tenant_id_fkey\""),
        "{mermaid}"
    );
}

#[test]
fn schema_sql_is_the_servers_dump_and_dot_draws_the_keys() {
    let (code, sql, err) = run_schema(&[SCHEMA_FIXTURE, "--sql"]);
    assert_eq!(code, 0, "{err}");
    for expected in [
        "CREATE TABLE public.orders (",
        "PARTITION BY RANGE (placed_at)",
        "ALTER TABLE ONLY public.orders ATTACH PARTITION public.orders_2025",
        "CREATE POLICY tenant_isolation ON public.orders",
        "ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY",
    ] {
        assert!(sql.contains(expected), "{expected}: {sql}");
    }
    assert!(
        !sql.contains("archbench_check_"),
        "no owner, no grants: {sql}"
    );
    let (code, dot, err) = run_schema(&[SCHEMA_FIXTURE, "--dot"]);
    assert_eq!(code, 0, "{err}");
    assert!(dot.starts_with("digraph schema {"), "{dot}");
    assert!(dot.contains("\"categories\" -> \"categories\""), "{dot}");
    assert!(dot.contains("\"orders\" -> \"tenants\""), "{dot}");
}

#[test]
fn schema_of_a_file_without_sql_says_what_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let prose = dir.path().join("answer.md");
    std::fs::write(&prose, "# Plan\n\nNo SQL here.\n").unwrap();
    let (code, out, err) = run_schema(&[prose.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("no PostgreSQL statements were found"), "{err}");
    let (code, _, err) = run_schema(&["/no/such/answer.md"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read /no/such/answer.md"), "{err}");
}

const CLAIMS_FIXTURE: &str = include_str!("fixtures/claims.md");

fn claims_line(text: &str) -> usize {
    CLAIMS_FIXTURE
        .lines()
        .position(|l| l.contains(text))
        .unwrap()
        + 1
}

#[tokio::test]
async fn queries_are_planned_and_the_answers_claims_put_to_the_planner() {
    let report = check_md(CLAIMS_FIXTURE).await;
    // A query naming a missing column is an error at its line and column; a query with a
    // parameter is prepared, not refused for it.
    let missing = claims_line("shipped_at");
    assert_eq!(
        report
            .errors
            .iter()
            .map(|e| (e.line, e.column, e.sqlstate.as_str()))
            .collect::<Vec<_>>(),
        [(missing, 12, "42703")],
        "{:?}",
        report.errors
    );
    let plan_at = |text: &str| {
        let line = claims_line(text);
        report
            .plans
            .iter()
            .find(|p| p.line == line)
            .unwrap_or_else(|| panic!("no plan at {line}: {:?}", report.plans))
    };
    let history = plan_at("WHERE customer_id = $1");
    assert_eq!(history.kind, "SELECT");
    assert_eq!(history.indexes, ["orders_customer_idx"]);
    assert!(
        history.plan.iter().any(|l| l.contains("on orders")),
        "{:?}",
        history.plan
    );
    let prose = claims_line("is an index-only scan");
    let claims: Vec<(usize, &str, bool)> = history
        .claims
        .iter()
        .map(|c| (c.line, c.said.as_str(), c.holds))
        .collect();
    assert_eq!(
        claims,
        [
            (prose, "uses orders_customer_idx", true),
            (prose, "index-only scan", false)
        ],
        "total is not in orders_customer_idx"
    );
    assert!(
        history.claims[1]
            .planner
            .as_deref()
            .unwrap()
            .starts_with("the planner plans Index Scan using orders_customer_idx"),
        "{:?}",
        history.claims
    );

    let totals = plan_at("WHERE status = 'open'");
    assert!(
        totals.claims.iter().all(|c| c.holds),
        "orders_status_idx includes total: {:?}",
        totals.claims
    );

    let unserved = plan_at("SELECT id FROM orders -- uses");
    assert!(unserved.indexes.is_empty());
    let claim = &unserved.claims[0];
    assert_eq!(
        (claim.said.as_str(), claim.holds),
        ("uses orders_customer_idx", false)
    );
    assert_eq!(
        claim.planner.as_deref(),
        Some("no index of the design serves this query")
    );
    // The contradictions are warnings in the answer's gutter.
    let marked: Vec<usize> = report.marks().map(|(line, _)| line).collect();
    assert!(
        marked.contains(&prose) && marked.contains(&claim.line),
        "{marked:?}"
    );
    assert!(!marked.contains(&claims_line("Served by `orders_status_idx`")));
    // And in `archbench check`'s report, and its JSON as the envelope's schema allows.
    let text = check::report::text(&report);
    assert!(
        text.contains("the answer says index-only scan, but the planner plans Index Scan using orders_customer_idx on orders\n"),
        "{text}"
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["plans"].as_array().unwrap().len(), 3);
    // The workbench's findings list (!) shows each query with what serves it, and the claims.
    let rows = archbench::state::checks::findings(&report);
    let row = |text: &str| {
        rows.iter()
            .find(|r| r.text.contains(text))
            .unwrap_or_else(|| panic!("no row with {text}: {rows:#?}"))
    };
    assert_eq!(
        row("SELECT served by orders_customer_idx").line,
        claims_line("WHERE customer_id = $1")
    );
    let contradiction = row("the answer says index-only scan, but the planner plans Index Scan");
    assert_eq!(
        (contradiction.line, contradiction.level),
        (prose, check::Severity::Warning)
    );
}

/// The schema view's snapshots draw `tests/fixtures/schema_view.json`: it must be what the
/// catalog of the fixture's schema holds, so the snapshots show what a reviewer would see.
#[test]
fn the_schema_views_fixture_is_what_the_catalog_holds() {
    let kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("tests/fixtures/schema_view.json").unwrap())
            .unwrap();
    assert_eq!(
        schema_json(),
        kept,
        "regenerate it: archbench schema {SCHEMA_FIXTURE} --json > tests/fixtures/schema_view.json"
    );
}

/// The plans view's snapshots draw tests/fixtures/query_plans.json: it must be what the planner
/// says of the claims fixture's queries, so the snapshots show what a reviewer would see.
#[tokio::test]
async fn the_plans_views_fixture_is_what_the_planner_says() {
    let kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("tests/fixtures/query_plans.json").unwrap())
            .unwrap();
    let report = check_md(CLAIMS_FIXTURE).await;
    assert_eq!(
        serde_json::to_value(&report.plans).unwrap(),
        kept,
        "regenerate it: archbench check --json tests/fixtures/claims.md | jq .plans > tests/fixtures/query_plans.json"
    );
}
