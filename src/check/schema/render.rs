//! The schema drawn: as text (each table a box of its columns, keys, indexes, policies and
//! partitions, then where its keys lead), as a Mermaid erDiagram, and as a Graphviz graph.
//! Partitions are drawn inside their parent, not as tables of their own.

use super::{ForeignKey, Schema, Table};
use std::fmt::Write;
use unicode_width::UnicodeWidthStr;

/// The tables that are drawn: all but partitions.
fn drawn(schema: &Schema) -> impl Iterator<Item = &Table> {
    schema.tables.iter().filter(|t| t.partition_of.is_none())
}

fn partitions<'a>(schema: &'a Schema, parent: &'a str) -> impl Iterator<Item = &'a Table> {
    schema
        .tables
        .iter()
        .filter(move |t| t.partition_of.as_ref().is_some_and(|(p, _)| p == parent))
}

/// Key markers of a column: PK, FK, UK.
fn markers(table: &Table, column: &str) -> Vec<&'static str> {
    let mut marks = Vec::new();
    if table
        .primary_key
        .as_ref()
        .is_some_and(|k| k.columns.iter().any(|c| c == column))
    {
        marks.push("PK");
    }
    if table
        .foreign_keys
        .iter()
        .any(|k| k.columns.iter().any(|c| c == column))
    {
        marks.push("FK");
    }
    if table
        .unique
        .iter()
        .any(|k| k.columns.iter().any(|c| c == column))
    {
        marks.push("UK");
    }
    marks
}

fn at(line: Option<usize>) -> String {
    line.map(|l| format!("  (line {l})")).unwrap_or_default()
}

fn pad(text: &str, width: usize) -> String {
    let w = text.width();
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

fn foreign_key(k: &ForeignKey) -> String {
    let mut s = format!(
        "{} ({}) → {} ({})",
        k.name,
        k.columns.join(", "),
        k.references,
        k.referenced_columns.join(", ")
    );
    if let Some(action) = &k.on_delete {
        let _ = write!(s, " on delete {action}");
    }
    s
}

/// One table as a box of lines (no colour: the workbench styles them itself).
pub fn table_lines(schema: &Schema, table: &Table) -> Vec<String> {
    let mut title = table.name.clone();
    if let Some(by) = &table.partitioned_by {
        let _ = write!(title, " · partitioned by {by}");
    }
    if table.row_security {
        title.push_str(" · row security on");
    }
    title.push_str(&at(table.line));
    let mut body: Vec<String> = Vec::new();
    let name_w = table
        .columns
        .iter()
        .map(|c| c.name.width())
        .max()
        .unwrap_or(0);
    let type_w = table
        .columns
        .iter()
        .map(|c| c.data_type.width())
        .max()
        .unwrap_or(0);
    for c in &table.columns {
        let mut row = format!(
            "{}  {}  {}",
            pad(&c.name, name_w),
            pad(&c.data_type, type_w),
            if c.not_null { "not null" } else { "null    " }
        );
        let marks = markers(table, &c.name);
        if !marks.is_empty() {
            let _ = write!(row, "  {}", marks.join(" "));
        }
        if let Some(default) = &c.default {
            let _ = write!(row, "  = {default}");
        }
        body.push(row.trim_end().to_string());
    }
    let mut facts: Vec<String> = Vec::new();
    if let Some(k) = &table.primary_key {
        facts.push(format!(
            "primary key  {} ({})",
            k.name,
            k.columns.join(", ")
        ));
    }
    for k in &table.unique {
        facts.push(format!(
            "unique       {} ({}){}",
            k.name,
            k.columns.join(", "),
            at(k.line)
        ));
    }
    for k in &table.foreign_keys {
        facts.push(format!("foreign key  {}{}", foreign_key(k), at(k.line)));
    }
    for i in &table.indexes {
        let mut s = format!(
            "index        {} {}{} ({})",
            i.name,
            if i.unique { "unique " } else { "" },
            i.method,
            i.columns.join(", ")
        );
        if let Some(p) = &i.predicate {
            let _ = write!(s, " where {p}");
        }
        s.push_str(&at(i.line));
        facts.push(s);
    }
    for k in &table.checks {
        facts.push(format!("check        {} {}", k.name, k.definition));
    }
    for p in &table.policies {
        let mut s = format!(
            "policy       {} {}{} to {}",
            p.name,
            if p.permissive { "" } else { "restrictive " },
            p.command,
            p.roles.join(", ")
        );
        if let Some(u) = &p.using {
            let _ = write!(s, " using {u}");
        }
        if let Some(c) = &p.with_check {
            let _ = write!(s, " with check {c}");
        }
        s.push_str(&at(p.line));
        facts.push(s);
    }
    for part in partitions(schema, &table.name) {
        let bound = part
            .partition_of
            .as_ref()
            .map(|(_, b)| b.as_str())
            .unwrap_or("");
        facts.push(format!(
            "partition    {} {bound}{}",
            part.name,
            at(part.line)
        ));
    }
    for (from, k) in schema.relationships() {
        if k.references == table.name {
            facts.push(format!(
                "referenced   by {} ({})",
                from.name,
                k.columns.join(", ")
            ));
        }
    }
    let mut lines = vec![format!("┌─ {title}")];
    lines.extend(body.into_iter().map(|l| format!("│ {l}")));
    if !facts.is_empty() {
        lines.push("├─".into());
        lines.extend(facts.into_iter().map(|l| format!("│ {l}")));
    }
    lines.push("└─".into());
    lines
}

/// The whole schema as text: each table's box, then the relationships.
pub fn text(schema: &Schema) -> String {
    let mut out = String::new();
    let tables: Vec<&Table> = drawn(schema).collect();
    let _ = writeln!(
        out,
        "{} tables, {} relationships",
        tables.len(),
        schema.relationships().count()
    );
    for table in tables {
        out.push('\n');
        for line in table_lines(schema, table) {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// A Mermaid identifier: the name as it is when Mermaid reads it bare, else quoted.
fn mermaid_name(name: &str) -> String {
    let bare = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "'"))
    }
}

/// A column type as one Mermaid word (`timestamp with time zone` → `timestamp_with_time_zone`).
fn mermaid_type(data_type: &str) -> String {
    data_type
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-[]()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn quoted(text: &str) -> String {
    text.replace('"', "'")
}

/// The schema as a Mermaid erDiagram: every table (partitions inside their parent's comment),
/// every foreign key as a relationship named by its constraint.
pub fn mermaid(schema: &Schema) -> String {
    let mut out = String::from("erDiagram\n");
    for table in drawn(schema) {
        let _ = writeln!(out, "    {} {{", mermaid_name(&table.name));
        for c in &table.columns {
            let marks = markers(table, &c.name).join(", ");
            let _ = write!(
                out,
                "        {} {}",
                mermaid_type(&c.data_type),
                mermaid_name(&c.name)
            );
            if !marks.is_empty() {
                let _ = write!(out, " {marks}");
            }
            if !c.not_null {
                out.push_str(" \"null\"");
            }
            out.push('\n');
        }
        out.push_str("    }\n");
    }
    for (from, k) in schema.relationships() {
        let from_table = schema.table(&from.name);
        // The referenced side: exactly one when every key column is NOT NULL, else zero or one.
        let required = from_table.is_some_and(|t| {
            k.columns
                .iter()
                .all(|c| t.columns.iter().any(|col| &col.name == c && col.not_null))
        });
        // The referencing side: at most one when its key columns are unique there.
        let one = from_table.is_some_and(|t| {
            t.primary_key
                .iter()
                .chain(&t.unique)
                .any(|u| u.columns == k.columns)
        });
        let _ = writeln!(
            out,
            "    {} {}--{} {} : \"{}\"",
            mermaid_name(&k.references),
            if required { "||" } else { "|o" },
            if one { "o|" } else { "o{" },
            mermaid_name(&from.name),
            quoted(&k.name)
        );
    }
    out
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn dot_id(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The schema as a Graphviz digraph: a table of its columns for each table, an edge from each
/// referencing table to the referenced one, labelled by its columns.
pub fn dot(schema: &Schema) -> String {
    let mut out = String::from(
        "digraph schema {\n    rankdir=LR;\n    node [shape=plaintext, fontname=\"monospace\"];\n",
    );
    for table in drawn(schema) {
        let _ = write!(
            out,
            "    {} [label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"0\"><tr><td colspan=\"2\"><b>{}</b></td></tr>",
            dot_id(&table.name),
            html(&table.name)
        );
        for c in &table.columns {
            let marks = markers(table, &c.name).join(" ");
            let _ = write!(
                out,
                "<tr><td align=\"left\">{}{}</td><td align=\"left\">{}</td></tr>",
                html(&c.name),
                if marks.is_empty() {
                    String::new()
                } else {
                    format!(" {marks}")
                },
                html(&c.data_type)
            );
        }
        out.push_str("</table>>];\n");
    }
    for (from, k) in schema.relationships() {
        let _ = writeln!(
            out,
            "    {} -> {} [label={}];",
            dot_id(&from.name),
            dot_id(&k.references),
            dot_id(&format!(
                "{} → {}",
                k.columns.join(", "),
                k.referenced_columns.join(", ")
            ))
        );
    }
    out.push_str("}\n");
    out
}

/// The schema's drawings as files to save beside the answer's code blocks: text, Mermaid,
/// Graphviz and JSON (the `--sql` dump needs the server, and is `archbench schema --sql`).
pub fn exports(schema: &Schema) -> Vec<(String, String)> {
    Format::ALL
        .iter()
        .map(|f| (f.file_name().to_string(), f.render(schema)))
        .collect()
}

/// The ways the schema is written out: with the saved blocks, and into the envelope on request
/// (`[check] envelope_schema`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Mermaid,
    Dot,
    Json,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Text, Format::Mermaid, Format::Dot, Format::Json];

    /// As `[check] envelope_schema` names it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Mermaid => "mermaid",
            Format::Dot => "dot",
            Format::Json => "json",
        }
    }

    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn file_name(self) -> &'static str {
        match self {
            Format::Text => "schema.txt",
            Format::Mermaid => "schema.mmd",
            Format::Dot => "schema.dot",
            Format::Json => "schema.json",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain",
            Format::Mermaid => "text/vnd.mermaid",
            Format::Dot => "text/vnd.graphviz",
            Format::Json => "application/json",
        }
    }

    pub fn render(self, schema: &Schema) -> String {
        match self {
            Format::Text => text(schema),
            Format::Mermaid => mermaid(schema),
            Format::Dot => dot(schema),
            Format::Json => serde_json::to_string_pretty(schema).unwrap_or_default() + "\n",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::schema::{Column, Key};

    fn schema() -> Schema {
        let col = |name: &str, t: &str, not_null| Column {
            name: name.into(),
            data_type: t.into(),
            not_null,
            default: None,
        };
        Schema {
            tables: vec![
                Table {
                    name: "customers".into(),
                    columns: vec![col("id", "bigint", true), col("name", "text", true)],
                    primary_key: Some(Key {
                        name: "customers_pkey".into(),
                        columns: vec!["id".into()],
                        ..Key::default()
                    }),
                    ..Table::default()
                },
                Table {
                    name: "orders".into(),
                    line: Some(9),
                    columns: vec![
                        col("id", "bigint", true),
                        col("customer_id", "bigint", false),
                        col("placed_at", "timestamp with time zone", true),
                    ],
                    foreign_keys: vec![ForeignKey {
                        name: "orders_customer_id_fkey".into(),
                        columns: vec!["customer_id".into()],
                        references: "customers".into(),
                        referenced_columns: vec!["id".into()],
                        on_delete: Some("cascade".into()),
                        line: Some(12),
                    }],
                    ..Table::default()
                },
            ],
        }
    }

    #[test]
    fn mermaid_names_each_table_and_key_in_its_own_words() {
        let out = mermaid(&schema());
        assert!(out.starts_with("erDiagram\n"));
        assert!(
            out.contains("        timestamp_with_time_zone placed_at\n"),
            "{out}"
        );
        assert!(
            out.contains("        bigint customer_id FK \"null\"\n"),
            "{out}"
        );
        assert!(
            out.contains("    customers |o--o{ orders : \"orders_customer_id_fkey\"\n"),
            "a nullable key: zero or one customer; {out}"
        );
    }

    #[test]
    fn the_text_box_shows_where_keys_lead_and_come_from() {
        let s = schema();
        let out = text(&s);
        assert!(out.starts_with("2 tables, 1 relationships"), "{out}");
        assert!(out.contains("┌─ orders  (line 9)"), "{out}");
        assert!(
            out.contains("│ foreign key  orders_customer_id_fkey (customer_id) → customers (id) on delete cascade  (line 12)"),
            "{out}"
        );
        assert!(
            out.contains("│ referenced   by orders (customer_id)"),
            "{out}"
        );
    }

    #[test]
    fn dot_escapes_what_graphviz_reads() {
        let mut s = schema();
        s.tables[0].columns[1].data_type = "varchar(10) <x>".into();
        let out = dot(&s);
        assert!(out.contains("varchar(10) &lt;x&gt;"), "{out}");
        assert!(out.contains("\"orders\" -> \"customers\""), "{out}");
    }
}
