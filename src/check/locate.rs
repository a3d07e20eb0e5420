//! Where the SQL of an answer is: its fenced blocks, each block's statements (split by
//! PostgreSQL's own splitter), and every byte of them mapped back to a line and column of the
//! answer, so that an error the parser or the server reports lands where the reviewer reads it.

use crate::render::markdown::{is_closing_fence, opening_fence};

/// A place in the checked text: both counted from 1, the column in characters.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// One fenced block (or the whole of a `.sql` file), its text with psql meta-commands blanked.
#[derive(Debug, Clone)]
pub struct Block {
    /// The fence's label as written, lower-cased; empty when unlabelled.
    pub label: String,
    /// The block's text, with the fence's indentation removed from each line.
    pub text: String,
    /// For each line of `text`: its byte offset in `text`, its line in the answer, and how many
    /// bytes of indentation were removed before it.
    lines: Vec<(usize, usize, usize)>,
    /// The answer's lines, to count columns in characters as the reviewer sees them.
    answer_lines: Vec<String>,
    /// psql meta-commands (`\c db`, `\i file`) found in the block: where, and the command.
    pub meta_commands: Vec<(Location, String)>,
}

/// One statement of a block: its text and where it begins in `Block::text`.
#[derive(Debug, Clone)]
pub struct Statement {
    pub text: String,
    pub offset: usize,
}

impl Block {
    /// The answer location of a byte offset into the block's text.
    pub fn locate(&self, offset: usize) -> Location {
        let index = match self
            .lines
            .binary_search_by(|(start, _, _)| start.cmp(&offset))
        {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let Some(&(start, line, indent)) = self.lines.get(index) else {
            return Location { line: 1, column: 1 };
        };
        let in_line = offset.saturating_sub(start) + indent;
        let column = self
            .answer_lines
            .get(line - 1)
            .map(|l| prefix_chars(l, in_line))
            .unwrap_or(in_line)
            + 1;
        Location { line, column }
    }

    /// The block's last line in the answer.
    pub fn last_line(&self) -> usize {
        self.lines.last().map(|&(_, line, _)| line).unwrap_or(1)
    }

    /// The location of the block's first line.
    pub fn start(&self) -> Location {
        self.lines
            .first()
            .map(|&(_, line, indent)| Location {
                line,
                column: indent + 1,
            })
            .unwrap_or(Location { line: 1, column: 1 })
    }

    /// The block's statements, in order, split with PostgreSQL's parser when the block parses,
    /// else with its scanner at each top-level `;` (so a statement that does not parse is still
    /// one statement, reported, not dropped).
    pub fn statements(&self) -> Vec<Statement> {
        let text = self.text.as_str();
        let spans: Vec<(usize, usize)> = match pg_query::split_with_parser(text) {
            Ok(parts) => parts
                .iter()
                .map(|p| {
                    let start = p.as_ptr() as usize - text.as_ptr() as usize;
                    (start, start + p.len())
                })
                .collect(),
            Err(_) => split_at_semicolons(text),
        };
        spans
            .into_iter()
            .filter_map(|(start, end)| {
                let lead = leading_trivia(&text[start..end]);
                let body = text[start + lead..end].trim_end();
                (!body.is_empty()).then(|| Statement {
                    text: body.to_string(),
                    offset: start + lead,
                })
            })
            .collect()
    }
}

/// Byte offsets of statements ending at each `;` the PostgreSQL scanner sees outside strings,
/// comments and dollar quotes; the text after the last one is a statement too.
fn split_at_semicolons(text: &str) -> Vec<(usize, usize)> {
    let semicolons: Vec<usize> = match pg_query::scan_tokens(text) {
        Ok(tokens) => tokens
            .iter()
            .filter(|t| t.token == pg_query::protobuf::Token::Ascii59 as i32)
            .map(|t| t.start as usize)
            .collect(),
        // The scanner stops at an unterminated literal: then a `;` that ends a line ends a
        // statement, which is what a person writing the block meant.
        Err(_) => text
            .match_indices(";\n")
            .map(|(i, _)| i)
            .chain(
                text.trim_end()
                    .ends_with(';')
                    .then(|| text.trim_end().len() - 1),
            )
            .collect(),
    };
    let mut spans = Vec::new();
    let mut start = 0;
    for semi in semicolons {
        if semi >= start {
            spans.push((start, semi));
            start = semi + 1;
        }
    }
    if start < text.len() {
        spans.push((start, text.len()));
    }
    spans
}

/// Bytes of whitespace and comments before a statement's first token.
fn leading_trivia(text: &str) -> usize {
    let mut rest = text;
    loop {
        let trimmed = rest.trim_start();
        if let Some(after) = trimmed.strip_prefix("--") {
            rest = after.find('\n').map(|i| &after[i..]).unwrap_or("");
        } else if let Some(after) = trimmed.strip_prefix("/*") {
            match after.find("*/") {
                Some(i) => rest = &after[i + 2..],
                None => return text.len() - trimmed.len(),
            }
        } else {
            return text.len() - trimmed.len();
        }
    }
}

fn prefix_chars(line: &str, bytes: usize) -> usize {
    let mut end = bytes.min(line.len());
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    line[..end].chars().count()
}

/// Every fenced block of a markdown answer, closed or not, with its label.
pub fn fenced_blocks(answer: &str) -> Vec<Block> {
    let answer_lines: Vec<String> = answer.lines().map(str::to_string).collect();
    let mut blocks = Vec::new();
    struct Open {
        marker: String,
        label: String,
        indent: usize,
        body: Vec<(usize, String)>,
    }
    let mut open: Option<Open> = None;
    for (i, line) in answer_lines.iter().enumerate() {
        match open.take() {
            None => {
                if let Some((marker, label)) = opening_fence(line) {
                    open = Some(Open {
                        marker,
                        label: label.to_lowercase(),
                        indent: line.len() - line.trim_start().len(),
                        body: Vec::new(),
                    });
                }
            }
            Some(o) if is_closing_fence(line, &o.marker) => {
                blocks.push(block_of(o.label, o.indent, o.body, &answer_lines));
            }
            Some(mut o) => {
                o.body.push((i + 1, line.clone()));
                open = Some(o);
            }
        }
    }
    if let Some(o) = open {
        blocks.push(block_of(o.label, o.indent, o.body, &answer_lines));
    }
    blocks
}

/// A whole `.sql` file as one block.
pub fn whole_file(text: &str) -> Block {
    let answer_lines: Vec<String> = text.lines().map(str::to_string).collect();
    let body = answer_lines
        .iter()
        .enumerate()
        .map(|(i, l)| (i + 1, l.clone()))
        .collect();
    block_of("sql".into(), 0, body, &answer_lines)
}

fn block_of(
    label: String,
    indent: usize,
    body: Vec<(usize, String)>,
    answer_lines: &[String],
) -> Block {
    let mut text = String::new();
    let mut lines = Vec::with_capacity(body.len());
    let mut meta_commands = Vec::new();
    for (line_no, line) in body {
        // A fence inside a list item is indented; its lines lose at most that indentation.
        let removed = line.bytes().take(indent).take_while(|b| *b == b' ').count();
        let content = &line[removed..];
        lines.push((text.len(), line_no, removed));
        let trimmed = content.trim_start();
        if trimmed.starts_with('\\') {
            // psql's own commands are not SQL: blanked, so offsets still hold, and listed.
            let column = removed + (content.len() - trimmed.len()) + 1;
            meta_commands.push((
                Location {
                    line: line_no,
                    column,
                },
                trimmed.trim_end().to_string(),
            ));
            text.push_str(&" ".repeat(content.len()));
        } else {
            text.push_str(content);
        }
        text.push('\n');
    }
    Block {
        label,
        text,
        lines,
        answer_lines: answer_lines.to_vec(),
        meta_commands,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_located_by_line_and_column_in_the_answer() {
        let answer = "# Schema\n\nSome prose.\n\n```sql\nCREATE TABLE a (id int);\n  -- why\n  CREATE TABLE b (id int); SELECT 1;\n```\n";
        let blocks = fenced_blocks(answer);
        assert_eq!(blocks.len(), 1);
        let block = &blocks[0];
        assert_eq!(block.label, "sql");
        let statements = block.statements();
        let at: Vec<(String, Location)> = statements
            .iter()
            .map(|s| (s.text.clone(), block.locate(s.offset)))
            .collect();
        assert_eq!(
            at,
            vec![
                (
                    "CREATE TABLE a (id int)".into(),
                    Location { line: 6, column: 1 }
                ),
                (
                    "CREATE TABLE b (id int)".into(),
                    Location { line: 8, column: 3 }
                ),
                (
                    "SELECT 1".into(),
                    Location {
                        line: 8,
                        column: 28
                    }
                ),
            ]
        );
    }

    #[test]
    fn a_statement_that_does_not_parse_is_kept_and_the_rest_still_split() {
        let block = whole_file("CREATE OR REPLACE TABLE x (a int);\nselect 'a;b';\nasdf;\n");
        let texts: Vec<String> = block.statements().into_iter().map(|s| s.text).collect();
        assert_eq!(
            texts,
            vec!["CREATE OR REPLACE TABLE x (a int)", "select 'a;b'", "asdf"]
        );
    }

    #[test]
    fn dollar_quoted_bodies_are_one_statement() {
        let block = whole_file(
            "CREATE FUNCTION f() RETURNS int AS $$ select 1; $$ LANGUAGE sql;\nselect f();",
        );
        assert_eq!(block.statements().len(), 2);
    }

    #[test]
    fn psql_meta_commands_are_blanked_and_listed() {
        let answer = "```psql\n\\c shop\nCREATE TABLE a (id int);\n```\n";
        let block = &fenced_blocks(answer)[0];
        assert_eq!(
            block.meta_commands,
            vec![(Location { line: 2, column: 1 }, "\\c shop".to_string())]
        );
        let statements = block.statements();
        assert_eq!(statements.len(), 1);
        assert_eq!(block.locate(statements[0].offset).line, 3);
    }

    #[test]
    fn indented_fences_in_list_items_keep_answer_columns() {
        let answer = "1. Create it:\n   ```sql\n   CREATE TABLE é (id int); SELECT 2;\n   ```\n";
        let block = &fenced_blocks(answer)[0];
        let statements = block.statements();
        assert_eq!(
            block.locate(statements[0].offset),
            Location { line: 3, column: 4 }
        );
        // Columns count characters: `é` is two bytes, one column.
        assert_eq!(
            block.locate(statements[1].offset),
            Location {
                line: 3,
                column: 29
            }
        );
    }

    #[test]
    fn an_unclosed_block_at_the_end_is_still_a_block() {
        let blocks = fenced_blocks("text\n```sql\nSELECT 1;\n");
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].statements().len(), 1);
    }
}
