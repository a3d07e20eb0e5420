//! The agent's queries put to the planner: every SELECT, UPDATE, DELETE and INSERT … SELECT of
//! the answer's PostgreSQL blocks that applied is planned with `EXPLAIN` (never `ANALYZE`: nothing
//! runs) against the built schema, once as it stands and once with sequential scans discouraged
//! (the tables are empty, so the first plan rests on the planner's guesses of their size; the
//! second says whether an index of the design can serve the query at all, and which). What the
//! answer says about a query (`uses orders_customer_idx`, "an index-only scan") is put next to
//! what the planner says, and a contradiction is flagged.

use super::schema::Schema;
use super::{Plan, Report};
use pg_query::protobuf::SetOperation;
use pg_query::NodeEnum;
use serde::{Deserialize, Serialize};
use tokio_postgres::{Client, SimpleQueryMessage};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryPlan {
    /// The statement's first line in the answer.
    pub line: usize,
    /// `SELECT`, `UPDATE`, `DELETE`, `INSERT … SELECT`.
    pub kind: String,
    /// The statement as the answer wrote it (reports kept before it was recorded have none).
    #[serde(default)]
    pub query: String,
    /// The plan as EXPLAIN prints it.
    pub plan: Vec<String>,
    /// The plan with sequential scans discouraged.
    pub indexed_plan: Vec<String>,
    /// Indexes the plan uses once sequential scans are discouraged: none means no index of the
    /// design serves the query.
    pub indexes: Vec<String>,
    pub claims: Vec<Claim>,
}

/// Something the answer says of a query's plan, and whether the planner agrees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub line: usize,
    /// What was said: `uses orders_customer_idx`, `index-only scan`.
    pub said: String,
    pub holds: bool,
    /// What the planner does instead, when it does not hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub planner: Option<String>,
}

impl QueryPlan {
    pub fn contradictions(&self) -> impl Iterator<Item = &Claim> {
        self.claims.iter().filter(|c| !c.holds)
    }

    /// `served by orders_customer_idx`, or that no index of the design serves it.
    pub fn served(&self) -> String {
        if self.indexes.is_empty() {
            "no index of the design serves it".to_string()
        } else {
            format!("served by {}", self.indexes.join(", "))
        }
    }
}

impl Claim {
    /// `the answer says index-only scan, but the planner plans Index Scan using …`.
    pub fn verdict(&self) -> String {
        match &self.planner {
            None => format!("the answer says {}: the planner agrees", self.said),
            Some(planner) => format!("the answer says {}, but {planner}", self.said),
        }
    }
}

/// What kind of query a statement is, when it is one the planner is asked about.
fn kind(parsed: &pg_query::ParseResult) -> Option<&'static str> {
    let node = parsed
        .protobuf
        .stmts
        .first()?
        .stmt
        .as_ref()?
        .node
        .as_ref()?;
    match node {
        NodeEnum::SelectStmt(s)
            if !s.from_clause.is_empty() || s.op != SetOperation::SetopNone as i32 =>
        {
            Some("SELECT")
        }
        NodeEnum::UpdateStmt(_) => Some("UPDATE"),
        NodeEnum::DeleteStmt(_) => Some("DELETE"),
        NodeEnum::InsertStmt(s) => match s.select_stmt.as_ref()?.node.as_ref()? {
            NodeEnum::SelectStmt(sel) if !sel.from_clause.is_empty() => Some("INSERT … SELECT"),
            _ => None,
        },
        _ => None,
    }
}

/// The highest `$n` of a statement: EXPLAIN cannot plan a query with parameters directly.
pub(crate) fn parameters(parsed: &pg_query::ParseResult) -> i32 {
    parsed
        .protobuf
        .nodes()
        .into_iter()
        .filter_map(|(node, ..)| match node {
            pg_query::NodeRef::ParamRef(p) => Some(p.number),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

async fn explain(client: &Client, query: &str, params: i32) -> Result<Vec<String>, String> {
    let sql = if params > 0 {
        // A generic plan keeps `$1` as a parameter, where NULLs would be folded away.
        let nulls = vec!["NULL"; params as usize].join(", ");
        format!(
            // Each on its own line: the query may end in a `--` comment.
            "SET plan_cache_mode = force_generic_plan;\nPREPARE archbench_query AS {query}\n;\n\
             EXPLAIN EXECUTE archbench_query({nulls});\nDEALLOCATE archbench_query;\n\
             RESET plan_cache_mode"
        )
    } else {
        format!("EXPLAIN {query}\n")
    };
    let messages = client.simple_query(&sql).await;
    if params > 0 {
        let _ = client
            .simple_query("DEALLOCATE ALL; RESET plan_cache_mode")
            .await;
    }
    Ok(messages
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
            _ => None,
        })
        .collect())
}

/// The indexes a plan reads.
fn indexes_in(plan: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for line in plan {
        let name = line
            .split_once(" using ")
            .map(|(_, rest)| rest)
            .or_else(|| {
                line.split_once("Bitmap Index Scan on ")
                    .map(|(_, rest)| rest)
            })
            .and_then(|rest| rest.split_whitespace().next());
        if let Some(name) = name {
            let name = name.trim_matches('"').to_string();
            if !found.contains(&name) {
                found.push(name);
            }
        }
    }
    found
}

/// Plans each query of the answer that applied; claims read from its comments and the prose
/// around its block.
pub async fn plan_queries(
    client: &Client,
    plan: &Plan,
    report: &Report,
    schema: Option<&Schema>,
) -> Vec<QueryPlan> {
    let failed: std::collections::BTreeSet<usize> =
        report.errors.iter().map(|e| e.statement_line).collect();
    let index_names = index_names(schema);
    // Sequential scans discouraged cost ten billion, past JIT's threshold: its lines would be
    // noise beside a plan of empty tables.
    let _ = client.simple_query("SET jit = off").await;
    let mut plans = Vec::new();
    for statement in &plan.statements {
        let Ok(parsed) = &statement.parsed else {
            continue;
        };
        let Some(kind) = kind(parsed) else {
            continue;
        };
        if failed.contains(&statement.at.line) {
            continue;
        }
        let params = parameters(parsed);
        let Ok(as_is) = explain(client, &statement.text, params).await else {
            continue;
        };
        let _ = client.simple_query("SET enable_seqscan = off").await;
        let indexed = explain(client, &statement.text, params).await;
        let _ = client.simple_query("RESET enable_seqscan").await;
        let indexed = indexed.unwrap_or_default();
        let used = indexes_in(&indexed);
        let said = claims_near(plan, statement, &index_names);
        // On empty tables a bitmap scan wins over an index-only one; whether an index-only scan
        // is possible at all is asked with bitmap scans off as well.
        let scan_only = if said.iter().any(|(_, s)| *s == Said::IndexOnly) {
            let _ = client
                .simple_query("SET enable_seqscan = off; SET enable_bitmapscan = off")
                .await;
            let plan = explain(client, &statement.text, params).await;
            let _ = client
                .simple_query("RESET enable_seqscan; RESET enable_bitmapscan")
                .await;
            plan.unwrap_or_default()
        } else {
            Vec::new()
        };
        let claims = said
            .into_iter()
            .map(|(line, claim)| judge(line, claim, &used, &scan_only))
            .collect();
        plans.push(QueryPlan {
            line: statement.at.line,
            kind: kind.to_string(),
            query: statement.text.trim().to_string(),
            plan: as_is,
            indexed_plan: indexed,
            indexes: used,
            claims,
        });
    }
    plans
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Said {
    Uses(String),
    IndexOnly,
}

/// A claim against the indexes the plan uses (seq scans discouraged) or, for an index-only scan,
/// the plan with bitmap scans discouraged too.
fn judge(line: usize, said: Said, used: &[String], scan_only: &[String]) -> Claim {
    let shape = || {
        scan_only.iter().find(|l| l.contains("Scan")).map(|l| {
            let step = l.trim().trim_start_matches("->").trim();
            step.split("  (cost=").next().unwrap_or(step).to_string()
        })
    };
    match said {
        Said::Uses(index) => {
            let holds = used.contains(&index);
            Claim {
                line,
                said: format!("uses {index}"),
                holds,
                planner: (!holds).then(|| match used.first() {
                    Some(other) => format!("the planner uses {other}"),
                    None => "no index of the design serves this query".to_string(),
                }),
            }
        }
        Said::IndexOnly => {
            let holds = scan_only.iter().any(|l| l.contains("Index Only Scan"));
            Claim {
                line,
                said: "index-only scan".into(),
                holds,
                planner: (!holds).then(|| {
                    shape().map_or("no index scan".into(), |s| format!("the planner plans {s}"))
                }),
            }
        }
    }
}

/// The schema's indexes by name, those of primary and unique keys too.
fn index_names(schema: Option<&Schema>) -> Vec<&str> {
    schema
        .map(|s| {
            s.tables
                .iter()
                .flat_map(|t| {
                    t.indexes.iter().map(|i| i.name.as_str()).chain(
                        t.primary_key
                            .iter()
                            .chain(&t.unique)
                            .map(|k| k.name.as_str()),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Claims about a statement: in its own `--` comments, and, when its block holds no other query,
/// in the prose of its section (from the heading above the block to the next heading or block).
fn claims_near(
    plan: &Plan,
    statement: &super::Prepared,
    index_names: &[&str],
) -> Vec<(usize, Said)> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    let first = statement.at.line;
    for (i, text) in statement.text.lines().enumerate() {
        if let Some((_, comment)) = text.split_once("--") {
            lines.push((first + i, comment.to_string()));
        }
    }
    let queries_in_block = plan
        .statements
        .iter()
        .filter(|s| s.block == statement.block)
        .filter(|s| s.parsed.as_ref().is_ok_and(|p| kind(p).is_some()))
        .count();
    if queries_in_block == 1 {
        // Lines counted from 1; a block's fences are the lines around its first and last.
        let block = &plan.blocks[statement.block];
        let previous_close = statement
            .block
            .checked_sub(1)
            .map_or(0, |b| plan.blocks[b].last_line() + 1);
        let next_open = plan
            .blocks
            .get(statement.block + 1)
            .map_or(plan.prose.len() + 1, |b| b.start().line - 1);
        let open = block.start().line - 1;
        let close = block.last_line() + 1;
        let heading = |line: usize| {
            plan.prose
                .get(line - 1)
                .is_some_and(|t| t.trim_start().starts_with('#'))
        };
        // Prose belongs to the query of its section: before the block from the heading that
        // opens the section (none: the prose before belongs to the block before), after it up to
        // the next heading or block.
        let before = (previous_close + 1..open).rev().find(|&l| heading(l));
        let after_end = (close + 1..next_open)
            .find(|&l| heading(l))
            .unwrap_or(next_open);
        for line in before
            .map_or(open..open, |h| h..open)
            .chain(close + 1..after_end)
        {
            if let Some(text) = plan.prose.get(line - 1) {
                lines.push((line, text.clone()));
            }
        }
    }
    let mut said = Vec::new();
    for (line, text) in lines {
        let lower = text.to_lowercase();
        for name in index_names {
            if mentions(&text, name) {
                said.push((line, Said::Uses(name.to_string())));
            }
        }
        if lower.contains("index-only scan") || lower.contains("index only scan") {
            said.push((line, Said::IndexOnly));
        }
    }
    said.dedup();
    said
}

/// Whether `text` names `name` as a word of its own.
fn mentions(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !word(before) && !word(after)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_are_read_from_each_kind_of_index_scan() {
        let plan: Vec<String> = [
            "Nested Loop  (cost=0.30..16.35 rows=1 width=8)",
            "  ->  Index Only Scan using orders_customer_idx on orders o  (cost=0.15..8.17 rows=1 width=8)",
            "  ->  Bitmap Heap Scan on items  (cost=4.18..12.64 rows=4 width=8)",
            "        ->  Bitmap Index Scan on items_order_idx  (cost=0.00..4.18 rows=4 width=0)",
            "  ->  Index Scan using orders_pkey on orders  (cost=0.15..8.17 rows=1 width=8)",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            indexes_in(&plan),
            ["orders_customer_idx", "items_order_idx", "orders_pkey"]
        );
    }

    #[test]
    fn a_name_counts_only_as_a_word_of_its_own() {
        assert!(mentions(
            "uses `orders_customer_idx` for this",
            "orders_customer_idx"
        ));
        assert!(!mentions(
            "orders_customer_idx2 serves it",
            "orders_customer_idx"
        ));
        assert!(!mentions("my_orders_customer_idx", "orders_customer_idx"));
    }
}
