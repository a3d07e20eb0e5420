//! Which engine a block is written for: from its fence label when that names one, else from
//! what it parses as and the marks other engines leave (`ENGINE = MergeTree`, `AUTO_INCREMENT`,
//! `CREATE KEYSPACE`…), so that a ClickHouse block is named as such, not reported as broken
//! PostgreSQL.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Postgres,
    MySql,
    ClickHouse,
    Cassandra,
    Mongo,
    SqlServer,
    Oracle,
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Postgres => "PostgreSQL",
            Dialect::MySql => "MySQL",
            Dialect::ClickHouse => "ClickHouse",
            Dialect::Cassandra => "Cassandra CQL",
            Dialect::Mongo => "Mongo shell",
            Dialect::SqlServer => "SQL Server",
            Dialect::Oracle => "Oracle",
        })
    }
}

/// What a fence label says about its block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// Names an engine: the block is that engine's, whatever it holds.
    Engine(Dialect),
    /// `sql`, `ddl`: SQL of an engine the text must tell.
    Generic,
    /// No label: SQL only if it parses as SQL.
    None,
    /// A label of something else (`rust`, `yaml`…): not SQL.
    Other,
}

pub fn label(label: &str) -> Label {
    match label {
        "postgresql" | "postgres" | "psql" | "pgsql" | "plpgsql" | "pg" => {
            Label::Engine(Dialect::Postgres)
        }
        "mysql" | "mariadb" => Label::Engine(Dialect::MySql),
        "clickhouse" => Label::Engine(Dialect::ClickHouse),
        "cql" | "cassandra" => Label::Engine(Dialect::Cassandra),
        "mongo" | "mongodb" | "mongosh" => Label::Engine(Dialect::Mongo),
        "tsql" | "mssql" | "sqlserver" => Label::Engine(Dialect::SqlServer),
        "plsql" | "oracle" => Label::Engine(Dialect::Oracle),
        "sql" | "ddl" => Label::Generic,
        "" => Label::None,
        _ => Label::Other,
    }
}

/// The engine other than PostgreSQL whose marks the text carries, and the mark that told.
pub fn sniff(text: &str) -> Option<(Dialect, &'static str)> {
    // Lower-cased, spaces dropped: `ENGINE = MergeTree()` and `engine=mergetree()` read alike.
    let squeezed: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    let first_word = text
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    const MARKS: &[(Dialect, &str, &str)] = &[
        (
            Dialect::Mongo,
            "db.createcollection(",
            "db.createCollection",
        ),
        (Dialect::Mongo, ".insertone(", "insertOne"),
        (Dialect::Mongo, ".createindex({", "createIndex({…})"),
        (Dialect::Cassandra, "createkeyspace", "CREATE KEYSPACE"),
        (
            Dialect::Cassandra,
            "withclusteringorderby",
            "WITH CLUSTERING ORDER BY",
        ),
        (
            Dialect::Cassandra,
            "primarykey((",
            "a partition key PRIMARY KEY ((…))",
        ),
        (
            Dialect::Cassandra,
            "withreplication={",
            "WITH replication = {…}",
        ),
        (Dialect::ClickHouse, "mergetree", "ENGINE = MergeTree"),
        (Dialect::ClickHouse, "lowcardinality(", "LowCardinality(…)"),
        (Dialect::ClickHouse, "codec(", "CODEC(…)"),
        (Dialect::ClickHouse, "datetime64(", "DateTime64"),
        (Dialect::SqlServer, "identity(1,1)", "IDENTITY(1,1)"),
        (Dialect::SqlServer, "nvarchar(", "NVARCHAR"),
        (Dialect::SqlServer, "[dbo].", "[dbo]"),
        (Dialect::Oracle, "varchar2(", "VARCHAR2"),
        (Dialect::Oracle, "number(", "NUMBER(…)"),
        (Dialect::MySql, "auto_increment", "AUTO_INCREMENT"),
        (Dialect::MySql, "engine=innodb", "ENGINE=InnoDB"),
        (Dialect::MySql, "defaultcharset", "DEFAULT CHARSET"),
        (Dialect::MySql, "unsigned", "UNSIGNED"),
        (Dialect::MySql, "`", "backtick-quoted names"),
    ];
    if first_word.starts_with("db.") {
        return Some((Dialect::Mongo, "db.… calls"));
    }
    MARKS
        .iter()
        .find(|(_, mark, _)| squeezed.contains(mark))
        .map(|(dialect, _, said)| (*dialect, *said))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_engines_are_told_by_their_marks() {
        let cases = [
            (
                "CREATE TABLE e (ts DateTime) ENGINE = MergeTree ORDER BY ts;",
                Dialect::ClickHouse,
            ),
            (
                "CREATE TABLE u (id INT AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB;",
                Dialect::MySql,
            ),
            (
                "CREATE KEYSPACE shop WITH replication = {'class': 'SimpleStrategy'};",
                Dialect::Cassandra,
            ),
            ("db.orders.createIndex({ customer: 1 })", Dialect::Mongo),
            ("CREATE TABLE t (id INT IDENTITY(1,1))", Dialect::SqlServer),
            ("CREATE TABLE t (name VARCHAR2(20))", Dialect::Oracle),
        ];
        for (text, dialect) in cases {
            assert_eq!(sniff(text).map(|(d, _)| d), Some(dialect), "{text}");
        }
        assert_eq!(sniff("CREATE TABLE t (id bigint PRIMARY KEY)"), None);
    }

    #[test]
    fn labels_name_engines_or_leave_it_to_the_text() {
        assert_eq!(label("postgresql"), Label::Engine(Dialect::Postgres));
        assert_eq!(label("plpgsql"), Label::Engine(Dialect::Postgres));
        assert_eq!(label("mysql"), Label::Engine(Dialect::MySql));
        assert_eq!(label("sql"), Label::Generic);
        assert_eq!(label("ddl"), Label::Generic);
        assert_eq!(label(""), Label::None);
        assert_eq!(label("rust"), Label::Other);
    }
}
