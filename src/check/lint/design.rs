//! Design lints, read from the catalog of the schema the server actually built (so a key added
//! by a later ALTER, a partitioned parent's index, or a name PostgreSQL generated all count), and
//! placed at the answer line that created the object.

use super::lint;
use crate::check::{Lint, Location, Plan};
use pg_query::NodeEnum;
use std::collections::{BTreeMap, BTreeSet};
use tokio_postgres::{Client, SimpleQueryMessage};

/// The user's tables `c` (in namespace `n`), partitions too: not the catalogs, not objects an
/// extension made. A macro, so the queries that share it are still constants.
macro_rules! user_relations {
    () => {
        "c.relkind IN ('r', 'p')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')"
    };
}
pub(crate) use user_relations;

/// The user's tables, a partitioned one counted once (its partitions are parts of it).
const USER_TABLES: &str = concat!(user_relations!(), " AND NOT c.relispartition");

/// An index's key columns (not its INCLUDE columns), counted from 1.
const KEYS: &str = "(string_to_array(i.indkey::text, ' ')::int2[])[1:i.indnkeyatts]";

/// An index's first columns, as many as the foreign key `k` has.
const LEADING: &str = "(string_to_array(i.indkey::text, ' ')::int2[])[1:array_length(k.conkey, 1)]";

struct Query {
    rule: &'static str,
    /// Rows are (the object to place the lint at, the subject of its message).
    sql: String,
    /// Asked only when the brief or the answer says the design is multi-tenant.
    multi_tenant_only: bool,
}

fn queries() -> Vec<Query> {
    let q = |rule, sql: String| Query {
        rule,
        sql,
        multi_tenant_only: false,
    };
    vec![
        q("table-without-primary-key", format!(
            "SELECT c.relname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE {USER_TABLES}
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')
             ORDER BY 1")),
        q("fk-without-index", format!(
            "SELECT k.conname, c.relname || ' (' || (SELECT string_agg(a.attname, ', ' ORDER BY u.o)
                 FROM unnest(k.conkey) WITH ORDINALITY u(attnum, o)
                 JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum) || ')'
             FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE k.contype = 'f' AND k.conparentid = 0 AND {USER_TABLES}
               AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = k.conrelid
                   AND i.indnkeyatts >= array_length(k.conkey, 1)
                   AND {LEADING} @> k.conkey AND {LEADING} <@ k.conkey)
             ORDER BY 1")),
        q("duplicate-index", format!(
            "SELECT min(ic.relname), string_agg(ic.relname, ' and ' ORDER BY ic.relname) || ' on ' || min(c.relname)
             FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
             JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE {USER_TABLES}
             GROUP BY i.indrelid, i.indkey::text, i.indclass::text, i.indcollation::text, ic.relam,
                      coalesce(pg_get_expr(i.indexprs, i.indrelid), ''),
                      coalesce(pg_get_expr(i.indpred, i.indrelid), '')
             HAVING count(*) > 1 ORDER BY 1")),
        q("redundant-index", format!(
            "SELECT a.relname, a.relname || ' is covered by ' || b.relname || ' on ' || c.relname
             FROM pg_index i JOIN pg_index j ON j.indrelid = i.indrelid AND j.indexrelid <> i.indexrelid
             JOIN pg_class a ON a.oid = i.indexrelid JOIN pg_class b ON b.oid = j.indexrelid
             JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE {USER_TABLES} AND NOT i.indisunique AND a.relam = b.relam
               AND a.relam = (SELECT oid FROM pg_am WHERE amname = 'btree')
               AND i.indexprs IS NULL AND j.indexprs IS NULL AND i.indpred IS NULL AND j.indpred IS NULL
               AND i.indnkeyatts < j.indnkeyatts
               AND (string_to_array(j.indkey::text, ' ')::int2[])[1:i.indnkeyatts] = {KEYS}
             ORDER BY 1")),
        q("fk-type-mismatch", format!(
            "SELECT k.conname, c.relname || '.' || a.attname || ' is ' || format_type(a.atttypid, a.atttypmod)
                 || ', ' || rc.relname || '.' || ra.attname || ' is ' || format_type(ra.atttypid, ra.atttypmod)
             FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_class rc ON rc.oid = k.confrelid
             CROSS JOIN LATERAL unnest(k.conkey, k.confkey) AS u(att, ratt)
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.att
             JOIN pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = u.ratt
             WHERE k.contype = 'f' AND k.conparentid = 0 AND {USER_TABLES}
               AND (a.atttypid <> ra.atttypid OR a.atttypmod <> ra.atttypmod)
             ORDER BY 1")),
        q("nullable-unique-column", format!(
            "SELECT ic.relname, ic.relname || ' on ' || c.relname || ' (' || string_agg(a.attname, ', ') || ')'
             FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
             JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY({KEYS})
             WHERE {USER_TABLES} AND i.indisunique AND NOT i.indisprimary AND NOT a.attnotnull
               AND NOT coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::bool, false)
             GROUP BY ic.relname, c.relname ORDER BY 1")),
        Query {
            rule: "tenant-table-without-rls",
            sql: format!(
                "SELECT c.relname, c.relname || ' (' || min(a.attname) || ')'
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                 WHERE {USER_TABLES} AND a.attname LIKE '%tenant%' AND NOT c.relrowsecurity
                 GROUP BY c.relname ORDER BY 1"
            ),
            multi_tenant_only: true,
        },
    ]
}

/// Reads the built schema's catalog for the design lints that are on; a lint whose catalog
/// query failed is said, not dropped (the reviewer would read its silence as a pass).
pub async fn design(
    client: &Client,
    plan: &Plan,
    off: &BTreeSet<String>,
) -> (Vec<Lint>, Vec<crate::check::Skipped>) {
    let places = places(plan);
    let fallback = plan.statements.first().map(|s| s.at).unwrap_or_default();
    let mut lints = Vec::new();
    let mut unread = Vec::new();
    for query in queries() {
        if off.contains(query.rule) || (query.multi_tenant_only && !plan.multi_tenant) {
            continue;
        }
        // A catalog the server lays out differently (an older version) loses a lint, not the check.
        let messages = match client.simple_query(&query.sql).await {
            Ok(messages) => messages,
            Err(e) => {
                unread.push(crate::check::Skipped {
                    line: fallback.line,
                    dialect: crate::check::dialect::Dialect::Postgres.to_string(),
                    reason: format!("lint {} not read from the catalog: {e}", query.rule),
                });
                continue;
            }
        };
        for message in messages {
            if let SimpleQueryMessage::Row(row) = message {
                let object = row.get(0).unwrap_or_default();
                let subject = row.get(1).unwrap_or(object);
                let at = place_of(&places, object).unwrap_or(fallback);
                lints.extend(lint(query.rule, at, subject));
            }
        }
    }
    (lints, unread)
}

/// Where each table, index and named constraint was made, by name.
pub(crate) fn places(plan: &Plan) -> BTreeMap<String, Location> {
    let mut places = BTreeMap::new();
    for (i, statement) in plan.statements.iter().enumerate() {
        let Ok(parsed) = &statement.parsed else {
            continue;
        };
        // A constraint is placed at its own line within the statement, when the parser says.
        let at = |location: i32| {
            usize::try_from(location)
                .map(|byte| plan.locate(i, byte))
                .unwrap_or(statement.at)
        };
        for (node, ..) in parsed.protobuf.nodes() {
            match node {
                pg_query::NodeRef::CreateStmt(s) => {
                    let table = s
                        .relation
                        .as_ref()
                        .map(|r| r.relname.clone())
                        .unwrap_or_default();
                    places.entry(table.clone()).or_insert(statement.at);
                    for element in s.table_elts.iter().chain(&s.constraints) {
                        if let Some(NodeEnum::Constraint(k)) = &element.node {
                            if !k.conname.is_empty() {
                                places.entry(k.conname.clone()).or_insert(at(k.location));
                            }
                        }
                    }
                }
                pg_query::NodeRef::CreatePolicyStmt(s) => {
                    places.entry(s.policy_name.clone()).or_insert(statement.at);
                }
                pg_query::NodeRef::IndexStmt(s) if !s.idxname.is_empty() => {
                    places.entry(s.idxname.clone()).or_insert(statement.at);
                }
                pg_query::NodeRef::Constraint(k) if !k.conname.is_empty() => {
                    places.entry(k.conname.clone()).or_insert(at(k.location));
                }
                _ => {}
            }
        }
    }
    places
}

/// Where an object was made; a name PostgreSQL generated (`orders_customer_id_fkey`,
/// `orders_pkey`) is placed at the longest table name it starts with.
pub(crate) fn place_of(places: &BTreeMap<String, Location>, name: &str) -> Option<Location> {
    places.get(name).copied().or_else(|| {
        places
            .iter()
            .filter(|(table, _)| name.starts_with(&format!("{table}_")))
            .max_by_key(|(table, _)| table.len())
            .map(|(_, at)| *at)
    })
}
