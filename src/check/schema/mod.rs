//! The schema as a whole, read from the catalog of the database the check built (not guessed
//! from the answer's text): every table with its columns, keys, indexes, row-level security and
//! partitions, each linked to the answer line that created it. Drawn as text, a Mermaid
//! erDiagram or a Graphviz graph by [`render`].

pub mod render;

use super::{Location, Plan};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tokio_postgres::{Client, SimpleQueryMessage};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub tables: Vec<Table>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// Schema-qualified only outside `public`.
    pub name: String,
    /// The answer line that created it.
    pub line: Option<usize>,
    pub columns: Vec<Column>,
    pub primary_key: Option<Key>,
    pub unique: Vec<Key>,
    pub foreign_keys: Vec<ForeignKey>,
    /// Check and exclusion constraints, as the server prints them.
    pub checks: Vec<Key>,
    /// Indexes other than those of the keys above.
    pub indexes: Vec<Index>,
    pub row_security: bool,
    pub policies: Vec<Policy>,
    /// `RANGE (created_at)` for a partitioned table.
    pub partitioned_by: Option<String>,
    /// The parent, and the bound (`FOR VALUES FROM (…) TO (…)`), of a partition.
    pub partition_of: Option<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub data_type: String,
    pub not_null: bool,
    /// The default, `identity` for an identity column, `generated: expr` for a generated one.
    pub default: Option<String>,
}

/// A named constraint over columns (primary key, unique); for checks, `columns` is empty and
/// `definition` holds the whole of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    pub name: String,
    pub columns: Vec<String>,
    pub definition: String,
    pub line: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub references: String,
    pub referenced_columns: Vec<String>,
    /// `cascade`, `restrict`, `set null`, `set default`; none for the default (no action).
    pub on_delete: Option<String>,
    pub line: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    pub method: String,
    /// Key columns or expressions, in order.
    pub columns: Vec<String>,
    pub unique: bool,
    pub predicate: Option<String>,
    pub line: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    /// `ALL`, `SELECT`, `INSERT`, `UPDATE`, `DELETE`.
    pub command: String,
    pub permissive: bool,
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub with_check: Option<String>,
    pub line: Option<usize>,
}

impl Schema {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// Every foreign key, as (from table, key).
    pub fn relationships(&self) -> impl Iterator<Item = (&Table, &ForeignKey)> {
        self.tables
            .iter()
            .flat_map(|t| t.foreign_keys.iter().map(move |k| (t, k)))
    }
}

/// The user's tables, partitions too.
const TABLES: &str = concat!(
    "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ",
    super::lint::design::user_relations!()
);

/// A relation's name as the views show it: bare in `public`, qualified elsewhere.
const NAME: &str =
    "CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END";

/// Column names of `keys` (an int2 array) of relation `rel`, in order, joined by [`list`]'s separator.
fn attnames(rel: &str, keys: &str) -> String {
    format!(
        "array_to_string(ARRAY(SELECT a.attname FROM unnest({keys}) WITH ORDINALITY u(n, o)
             JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = u.n ORDER BY u.o), chr(31))"
    )
}

/// The parts of one catalog query, by the oid of the table each row is about.
type Rows = Vec<(String, Vec<Option<String>>)>;

async fn rows(client: &Client, sql: &str) -> Result<Rows, String> {
    let messages = client
        .simple_query(sql)
        .await
        .map_err(|e| format!("reading the catalog: {e}"))?;
    Ok(messages
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => {
                let oid = row.get(0).unwrap_or_default().to_string();
                let rest = (1..row.len())
                    .map(|i| row.get(i).map(str::to_string))
                    .collect();
                Some((oid, rest))
            }
            _ => None,
        })
        .collect())
}

fn text(v: &[Option<String>], i: usize) -> String {
    v.get(i).cloned().flatten().unwrap_or_default()
}

fn some(v: &[Option<String>], i: usize) -> Option<String> {
    v.get(i).cloned().flatten().filter(|s| !s.is_empty())
}

/// A boolean as the simple protocol sends it (`t`), or cast to text (`true`).
fn flag(v: &[Option<String>], i: usize) -> bool {
    matches!(text(v, i).as_str(), "t" | "true")
}

fn list(v: &[Option<String>], i: usize) -> Vec<String> {
    let joined = text(v, i);
    if joined.is_empty() {
        Vec::new()
    } else {
        // Joined by the unit separator: names and expressions may hold commas.
        joined.split('\u{1f}').map(str::to_string).collect()
    }
}

/// Reads the schema the check built, placing each object at the line that created it.
pub async fn read(client: &Client, plan: &Plan) -> Result<Schema, String> {
    let places = super::lint::design::places(plan);
    let line = |name: &str| super::lint::design::place_of(&places, name).map(|l: Location| l.line);

    let tables = rows(
        client,
        &format!(
            "SELECT c.oid, {NAME}, c.relrowsecurity::text,
                    CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
                    (SELECT CASE WHEN pn.nspname = 'public' THEN p.relname ELSE pn.nspname || '.' || p.relname END
                       FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
                       JOIN pg_namespace pn ON pn.oid = p.relnamespace
                      WHERE i.inhrelid = c.oid AND c.relispartition LIMIT 1),
                    pg_get_expr(c.relpartbound, c.oid), c.relname
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.oid IN ({TABLES}) ORDER BY 2"
        ),
    )
    .await?;
    let mut schema = Schema::default();
    let mut by_oid: BTreeMap<String, usize> = BTreeMap::new();
    for (oid, v) in tables {
        by_oid.insert(oid, schema.tables.len());
        let name = text(&v, 0);
        schema.tables.push(Table {
            line: line(&text(&v, 5)),
            name,
            row_security: flag(&v, 1),
            partitioned_by: some(&v, 2),
            partition_of: some(&v, 3).map(|parent| (parent, text(&v, 4))),
            ..Table::default()
        });
    }
    let table = |oid: &str| by_oid.get(oid).copied();

    let columns = rows(
        client,
        &format!(
            "SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull::text,
                    CASE WHEN a.attidentity <> '' THEN 'identity'
                         WHEN a.attgenerated <> '' THEN 'generated: ' || pg_get_expr(d.adbin, d.adrelid)
                         ELSE pg_get_expr(d.adbin, d.adrelid) END
             FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE a.attrelid IN ({TABLES}) AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attrelid, a.attnum"
        ),
    )
    .await?;
    for (oid, v) in columns {
        if let Some(i) = table(&oid) {
            schema.tables[i].columns.push(Column {
                name: text(&v, 0),
                data_type: text(&v, 1),
                not_null: flag(&v, 2),
                default: some(&v, 3),
            });
        }
    }

    // A partition's constraints copied from its parent (conparentid) are the parent's: shown there.
    let constraints = rows(
        client,
        &format!(
            "SELECT k.conrelid, k.conname, k.contype, {keys},
                    CASE WHEN rn.nspname = 'public' THEN rc.relname ELSE rn.nspname || '.' || rc.relname END,
                    {refs}, k.confdeltype, pg_get_constraintdef(k.oid)
             FROM pg_constraint k LEFT JOIN pg_class rc ON rc.oid = k.confrelid
             LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
             WHERE k.conrelid IN ({TABLES}) AND k.conparentid = 0
             ORDER BY k.conrelid, k.contype, k.conname",
            keys = attnames("k.conrelid", "k.conkey"),
            refs = attnames("k.confrelid", "k.confkey"),
        ),
    )
    .await?;
    for (oid, v) in constraints {
        let Some(i) = table(&oid) else {
            continue;
        };
        let name = text(&v, 0);
        let at = line(&name);
        let key = Key {
            name: name.clone(),
            columns: list(&v, 2),
            definition: text(&v, 6),
            line: at,
        };
        let t = &mut schema.tables[i];
        match text(&v, 1).as_str() {
            "p" => t.primary_key = Some(key),
            "u" => t.unique.push(key),
            "f" => t.foreign_keys.push(ForeignKey {
                name,
                columns: key.columns,
                references: text(&v, 3),
                referenced_columns: list(&v, 4),
                on_delete: match text(&v, 5).as_str() {
                    "c" => Some("cascade".into()),
                    "r" => Some("restrict".into()),
                    "n" => Some("set null".into()),
                    "d" => Some("set default".into()),
                    _ => None,
                },
                line: at,
            }),
            "c" | "x" => t.checks.push(Key {
                columns: Vec::new(),
                ..key
            }),
            _ => {}
        }
    }

    // Indexes of keys are shown with their keys; a partition's copies of its parent's, with the
    // parent.
    let indexes = rows(
        client,
        &format!(
            "SELECT i.indrelid, ic.relname, am.amname, i.indisunique::text,
                    array_to_string(ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)
                        || CASE WHEN am.amname <> 'btree' THEN ''
                                WHEN i.indoption[k - 1] & 3 = 3 THEN ' DESC'
                                WHEN i.indoption[k - 1] & 1 = 1 THEN ' DESC NULLS LAST'
                                WHEN i.indoption[k - 1] & 2 = 2 THEN ' NULLS FIRST' ELSE '' END
                        FROM generate_series(1, i.indnkeyatts) k ORDER BY k), chr(31)),
                    pg_get_expr(i.indpred, i.indrelid, true)
             FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
             JOIN pg_am am ON am.oid = ic.relam
             WHERE i.indrelid IN ({TABLES})
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid
                               AND k.contype IN ('p', 'u', 'x'))
               AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
             ORDER BY i.indrelid, ic.relname"
        ),
    )
    .await?;
    for (oid, v) in indexes {
        if let Some(i) = table(&oid) {
            let name = text(&v, 0);
            schema.tables[i].indexes.push(Index {
                line: line(&name),
                name,
                method: text(&v, 1),
                unique: flag(&v, 2),
                columns: list(&v, 3),
                predicate: some(&v, 4),
            });
        }
    }

    let policies = rows(
        client,
        &format!(
            "SELECT p.polrelid, p.polname,
                    CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                                  WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                    p.polpermissive::text,
                    array_to_string(ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE
                        (SELECT rolname FROM pg_roles WHERE oid = r) END FROM unnest(p.polroles) r), chr(31)),
                    pg_get_expr(p.polqual, p.polrelid, true),
                    pg_get_expr(p.polwithcheck, p.polrelid, true)
             FROM pg_policy p WHERE p.polrelid IN ({TABLES})
             ORDER BY p.polrelid, p.polname"
        ),
    )
    .await?;
    for (oid, v) in policies {
        if let Some(i) = table(&oid) {
            let name = text(&v, 0);
            schema.tables[i].policies.push(Policy {
                line: line(&name),
                name,
                command: text(&v, 1),
                permissive: flag(&v, 2),
                roles: list(&v, 3),
                using: some(&v, 4),
                with_check: some(&v, 5),
            });
        }
    }
    Ok(schema)
}
