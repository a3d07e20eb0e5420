//! Lints: migration hazards read from the statements (the rules squawk applies to PostgreSQL
//! DDL), and design lints read from the catalog of the schema the server built (the ones tbls,
//! SchemaCrawler and SchemaSpy report). Every rule has a name, a severity and one sentence of
//! why; `[check.lints]` turns rules off by name.

pub(crate) mod design;
mod migration;

pub use design::design;
pub use migration::statements;

use super::Severity;

pub struct Rule {
    pub name: &'static str,
    pub severity: Severity,
    pub why: &'static str,
}

const fn rule(name: &'static str, severity: Severity, why: &'static str) -> Rule {
    Rule {
        name,
        severity,
        why,
    }
}

use Severity::{Info, Warning};

/// Every rule, in the order `archbench check --help`-style listings show them.
pub const RULES: &[Rule] = &[
    rule("prefer-timestamptz", Warning,
        "timestamp without time zone stores a wall-clock reading with no zone; timestamptz stores an instant"),
    rule("prefer-bigint-keys", Warning,
        "an integer key runs out at 2.1 billion values, and widening it later rewrites the table under an exclusive lock"),
    rule("prefer-identity", Warning,
        "serial makes a separately owned sequence with loose permissions; GENERATED ... AS IDENTITY is the standard form"),
    rule("prefer-text-field", Info,
        "raising a varchar(n) limit later takes an ACCESS EXCLUSIVE lock; text with a CHECK constraint can change without one"),
    rule("ban-char-field", Warning,
        "char(n) pads values with spaces and is never faster than text"),
    rule("require-concurrent-index-creation", Warning,
        "CREATE INDEX without CONCURRENTLY blocks writes to an existing table for the whole build"),
    rule("constraint-missing-not-valid", Warning,
        "adding a validated constraint to an existing table scans it under a lock that blocks writes; add it NOT VALID, then VALIDATE CONSTRAINT"),
    rule("disallowed-unique-constraint", Warning,
        "ADD UNIQUE builds its index under a lock that blocks writes; create the unique index CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX"),
    rule("setting-not-null", Warning,
        "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock; validate a CHECK (col IS NOT NULL) NOT VALID constraint first"),
    rule("adding-required-field", Warning,
        "a NOT NULL column without a default cannot be added to a table that has rows"),
    rule("adding-field-with-volatile-default", Warning,
        "a volatile default is computed for every existing row: the whole table is rewritten under an exclusive lock"),
    rule("changing-column-type", Warning,
        "changing a column's type rewrites the table and its indexes under an ACCESS EXCLUSIVE lock"),
    rule("renaming-column", Warning,
        "renaming a column breaks every client still using the old name"),
    rule("renaming-table", Warning,
        "renaming a table breaks every client still using the old name"),
    rule("ban-drop-column", Info,
        "dropping a column breaks readers of it that are still deployed, and its data is gone"),
    rule("ban-drop-table", Warning,
        "dropping a table loses its data and breaks every reader of it"),
    rule("fk-without-index", Warning,
        "no index starts with the foreign key's columns: deletes and key updates on the referenced table scan this one"),
    rule("table-without-primary-key", Warning,
        "a table without a primary key cannot be replicated logically, and its rows cannot be told apart"),
    rule("duplicate-index", Warning,
        "two indexes with the same definition cost writes and space twice for one benefit"),
    rule("redundant-index", Info,
        "an index whose columns begin another index of the same kind serves no query the longer one cannot"),
    rule("fk-type-mismatch", Warning,
        "a foreign key whose type differs from the key it references needs casts in joins and may not use the index"),
    rule("nullable-unique-column", Info,
        "NULLs are distinct in a unique key, so rows with a NULL there are never duplicates of each other"),
    rule("tenant-table-without-rls", Warning,
        "in a multi-tenant design, a table with a tenant column and no row-level security relies on every query to filter by tenant"),
];

pub fn rule_named(name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.name == name)
}

/// A lint of a rule at a place, its message the rule's one sentence about `subject`.
pub(super) fn lint(name: &'static str, at: super::Location, subject: &str) -> Option<super::Lint> {
    let rule = rule_named(name)?;
    Some(super::Lint {
        rule: rule.name.to_string(),
        severity: rule.severity,
        line: at.line,
        column: at.column,
        message: format!("{subject}: {}", rule.why),
    })
}
