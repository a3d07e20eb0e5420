//! Migration hazards, read from each statement's parse tree. A table created earlier in the same
//! block is new and empty: locks and rewrites on it are no hazard, so those rules speak only of
//! tables the block did not create. A block is one script: a migration in a later block changes
//! the tables of an earlier one as it would change them in production.

use super::lint;
use crate::check::{Lint, Plan};
use pg_query::protobuf::{self, AlterTableType as At, ConstrType as Ct, ObjectType};
use pg_query::NodeEnum;
use std::collections::BTreeSet;

pub fn statements(plan: &Plan) -> Vec<Lint> {
    let mut lints = Vec::new();
    let mut created: BTreeSet<String> = BTreeSet::new();
    let mut block = usize::MAX;
    for (i, statement) in plan.statements.iter().enumerate() {
        if statement.block != block {
            block = statement.block;
            created.clear();
        }
        let Ok(parsed) = &statement.parsed else {
            continue;
        };
        for raw in &parsed.protobuf.stmts {
            let Some(node) = raw.stmt.as_ref().and_then(|s| s.node.as_ref()) else {
                continue;
            };
            let mut at = |byte: i32, rule: &'static str, subject: &str| {
                let place = if byte >= 0 {
                    plan.locate(i, byte as usize)
                } else {
                    statement.at
                };
                lints.extend(lint(rule, place, subject));
            };
            match node {
                NodeEnum::CreateStmt(s) => {
                    let table = relname(&s.relation);
                    let keys = primary_keys(s);
                    for element in &s.table_elts {
                        if let Some(NodeEnum::ColumnDef(c)) = &element.node {
                            column_lints(c, &table, &keys, &mut at);
                        }
                    }
                    created.insert(table);
                }
                NodeEnum::IndexStmt(s) => {
                    let table = relname(&s.relation);
                    if !s.concurrent && !created.contains(&table) {
                        let name = if s.idxname.is_empty() {
                            format!("index on {table}")
                        } else {
                            format!("index {}", s.idxname)
                        };
                        at(-1, "require-concurrent-index-creation", &name);
                    }
                }
                NodeEnum::AlterTableStmt(s) => {
                    let table = relname(&s.relation);
                    let existing = !created.contains(&table);
                    for cmd in &s.cmds {
                        if let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node {
                            alter_lints(cmd, &table, existing, &mut at);
                        }
                    }
                }
                NodeEnum::RenameStmt(s) => {
                    let table = relname(&s.relation);
                    if s.rename_type == ObjectType::ObjectColumn as i32 {
                        at(-1, "renaming-column", &format!("{table}.{}", s.subname));
                    } else if s.rename_type == ObjectType::ObjectTable as i32 {
                        at(-1, "renaming-table", &table);
                    }
                }
                NodeEnum::DropStmt(s) if s.remove_type == ObjectType::ObjectTable as i32 => {
                    at(-1, "ban-drop-table", "DROP TABLE");
                }
                _ => {}
            }
        }
    }
    lints
}

fn column_lints(
    c: &protobuf::ColumnDef,
    table: &str,
    keys: &BTreeSet<String>,
    at: &mut impl FnMut(i32, &'static str, &str),
) {
    let subject = format!("{table}.{}", c.colname);
    let type_name = c.type_name.as_ref().map(type_of).unwrap_or_default();
    let has = |t: Ct| constraints(&c.constraints).any(|k| k.contype == t as i32);
    let is_key = keys.contains(&c.colname) || has(Ct::ConstrPrimary);
    match type_name.as_str() {
        "timestamp" => at(c.location, "prefer-timestamptz", &subject),
        "serial" | "serial4" | "smallserial" | "serial2" => {
            at(c.location, "prefer-identity", &subject);
            if is_key {
                at(c.location, "prefer-bigint-keys", &subject);
            }
        }
        "bigserial" | "serial8" => at(c.location, "prefer-identity", &subject),
        "int4" | "int2" | "integer" | "int" | "smallint" if is_key || has(Ct::ConstrIdentity) => {
            at(c.location, "prefer-bigint-keys", &subject)
        }
        "varchar" if c.type_name.as_ref().is_some_and(|t| !t.typmods.is_empty()) => {
            at(c.location, "prefer-text-field", &subject)
        }
        "bpchar" | "char" | "character" => at(c.location, "ban-char-field", &subject),
        _ => {}
    }
}

fn alter_lints(
    cmd: &protobuf::AlterTableCmd,
    table: &str,
    existing: bool,
    at: &mut impl FnMut(i32, &'static str, &str),
) {
    let subtype = cmd.subtype;
    let column = format!("{table}.{}", cmd.name);
    if subtype == At::AtDropColumn as i32 {
        at(-1, "ban-drop-column", &column);
    }
    if !existing {
        return;
    }
    if subtype == At::AtAlterColumnType as i32 {
        at(-1, "changing-column-type", &column);
    } else if subtype == At::AtSetNotNull as i32 {
        at(-1, "setting-not-null", &column);
    } else if subtype == At::AtAddConstraint as i32 {
        if let Some(NodeEnum::Constraint(k)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
            let name = if k.conname.is_empty() {
                format!("constraint on {table}")
            } else {
                format!("constraint {}", k.conname)
            };
            let validating =
                k.contype == Ct::ConstrForeign as i32 || k.contype == Ct::ConstrCheck as i32;
            if validating && !k.skip_validation {
                at(-1, "constraint-missing-not-valid", &name);
            }
            if k.contype == Ct::ConstrUnique as i32 && k.indexname.is_empty() {
                at(-1, "disallowed-unique-constraint", &name);
            }
        }
    } else if subtype == At::AtAddColumn as i32 {
        if let Some(NodeEnum::ColumnDef(c)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
            let subject = format!("{table}.{}", c.colname);
            let default =
                constraints(&c.constraints).find(|k| k.contype == Ct::ConstrDefault as i32);
            let not_null = c.is_not_null
                || constraints(&c.constraints).any(|k| k.contype == Ct::ConstrNotnull as i32);
            if not_null
                && default.is_none()
                && !constraints(&c.constraints).any(|k| {
                    k.contype == Ct::ConstrIdentity as i32
                        || k.contype == Ct::ConstrGenerated as i32
                })
            {
                at(c.location, "adding-required-field", &subject);
            }
            if default.is_some_and(|k| is_volatile(k.raw_expr.as_deref())) {
                at(c.location, "adding-field-with-volatile-default", &subject);
            }
        }
    }
}

/// A default that calls one of the usual volatile functions.
fn is_volatile(expr: Option<&protobuf::Node>) -> bool {
    const VOLATILE: &[&str] = &[
        "random",
        "gen_random_uuid",
        "uuid_generate_v4",
        "clock_timestamp",
        "timeofday",
        "nextval",
    ];
    let Some(expr) = expr.and_then(|e| e.node.as_ref()) else {
        return false;
    };
    expr.nodes().into_iter().any(|(node, ..)| match node {
        pg_query::NodeRef::FuncCall(f) => f.funcname.last().is_some_and(
            |n| matches!(&n.node, Some(NodeEnum::String(s)) if VOLATILE.contains(&s.sval.as_str())),
        ),
        _ => false,
    })
}

fn constraints(nodes: &[protobuf::Node]) -> impl Iterator<Item = &protobuf::Constraint> {
    nodes.iter().filter_map(|n| match &n.node {
        Some(NodeEnum::Constraint(k)) => Some(k.as_ref()),
        _ => None,
    })
}

/// The columns of a CREATE TABLE's table-level primary key.
fn primary_keys(s: &protobuf::CreateStmt) -> BTreeSet<String> {
    constraints(&s.table_elts)
        .chain(constraints(&s.constraints))
        .filter(|k| k.contype == Ct::ConstrPrimary as i32)
        .flat_map(|k| k.keys.iter())
        .filter_map(|n| match &n.node {
            Some(NodeEnum::String(s)) => Some(s.sval.clone()),
            _ => None,
        })
        .collect()
}

fn type_of(t: &protobuf::TypeName) -> String {
    t.names
        .last()
        .and_then(|n| match &n.node {
            Some(NodeEnum::String(s)) => Some(s.sval.to_lowercase()),
            _ => None,
        })
        .unwrap_or_default()
}

fn relname(r: &Option<protobuf::RangeVar>) -> String {
    r.as_ref().map(|r| r.relname.clone()).unwrap_or_default()
}
