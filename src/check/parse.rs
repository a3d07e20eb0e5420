//! Parsing with the engines' grammars: PostgreSQL's own parser (libpg_query) for PostgreSQL
//! statements, sqlparser's MySQL dialect for MySQL blocks (parse only).

/// A statement the grammar refused: the parser's message and, when it names one, the byte
/// offset in the statement where it stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub offset: Option<usize>,
}

/// Parses one PostgreSQL statement.
pub fn postgres(statement: &str) -> Result<pg_query::ParseResult, SyntaxError> {
    pg_query::parse(statement, 0).map_err(|e| {
        let message = match e {
            pg_query::Error::Parse(message) => message,
            other => other.to_string(),
        };
        SyntaxError {
            offset: cursor::position(statement).map(|chars| char_to_byte(statement, chars)),
            message,
        }
    })
}

/// Parses a MySQL block with sqlparser; an error's line and column are in the block's text.
pub fn mysql(text: &str) -> Result<usize, (String, Option<(usize, usize)>)> {
    let dialect = sqlparser::dialect::MySqlDialect {};
    match sqlparser::parser::Parser::parse_sql(&dialect, text) {
        Ok(statements) => Ok(statements.len()),
        Err(e) => {
            let message = e.to_string();
            let at = line_and_column(&message);
            let message = message
                .split(" at Line: ")
                .next()
                .unwrap_or(&message)
                .trim_start_matches("sql parser error: ")
                .to_string();
            Err((message, at))
        }
    }
}

/// sqlparser ends its messages with ` at Line: L, Column: C`.
fn line_and_column(message: &str) -> Option<(usize, usize)> {
    let rest = message.split(" at Line: ").nth(1)?;
    let (line, column) = rest.split_once(", Column: ")?;
    let column: String = column.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, column.parse().ok()?))
}

/// PostgreSQL counts error positions in characters from 1.
pub fn char_to_byte(text: &str, position: usize) -> usize {
    text.char_indices()
        .nth(position.saturating_sub(1))
        .map(|(i, _)| i)
        .unwrap_or(text.len())
}

/// The cursor position of a parse error. The `pg_query` crate keeps only the message, so this
/// asks libpg_query (already linked by that crate) again for the error it reports, which
/// carries the position. Called only for statements that failed to parse.
mod cursor {
    use std::ffi::{c_char, c_int, CString};

    #[repr(C)]
    struct PgQueryError {
        message: *mut c_char,
        funcname: *mut c_char,
        filename: *mut c_char,
        lineno: c_int,
        cursorpos: c_int,
        context: *mut c_char,
    }

    #[repr(C)]
    struct PgQueryParseResult {
        parse_tree: *mut c_char,
        stderr_buffer: *mut c_char,
        error: *mut PgQueryError,
    }

    extern "C" {
        fn pg_query_parse(input: *const c_char) -> PgQueryParseResult;
        fn pg_query_free_parse_result(result: PgQueryParseResult);
    }

    /// The error's position in characters from 1, when the parser gave one.
    pub fn position(statement: &str) -> Option<usize> {
        let input = CString::new(statement).ok()?;
        // SAFETY: `input` is a valid C string that outlives the call; the result is read only
        // while it is alive and freed once with the library's own function.
        unsafe {
            let result = pg_query_parse(input.as_ptr());
            let position = if result.error.is_null() {
                None
            } else {
                Some((*result.error).cursorpos)
            };
            pg_query_free_parse_result(result);
            position.filter(|p| *p > 0).map(|p| p as usize)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_syntax_error_names_where_it_stopped() {
        let e = postgres("CREATE OR REPLACE TABLE x (a int)").err();
        assert_eq!(
            e,
            Some(SyntaxError {
                message: "syntax error at or near \"TABLE\"".into(),
                offset: Some(18),
            })
        );
        assert!(postgres("CREATE TABLE x (a int)").is_ok());
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let e = postgres("SELECT 'é' FROM FROM").err();
        assert_eq!(e.and_then(|e| e.offset), Some("SELECT 'é' FROM ".len()));
    }

    #[test]
    fn mysql_blocks_parse_with_the_mysql_grammar() {
        assert_eq!(
            mysql("CREATE TABLE u (id INT AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB;"),
            Ok(1)
        );
        let (message, at) = mysql("SELECT 1;\nCREATE TABLE (id INT);")
            .err()
            .unwrap_or_default();
        assert!(message.contains("Expected"), "{message}");
        assert_eq!(at.map(|(line, _)| line), Some(2));
    }
}
