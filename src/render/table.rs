//! Markdown tables: columns are aligned over all rows, so a table is rendered as a whole when it
//! ends (and provisionally while it streams).

use super::inline::render_inline;
use super::line::{LineKind, RenderedLine};
use super::style::MdStyles;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

pub fn is_table_row(line: &str) -> bool {
    line.trim_start().starts_with('|')
}

fn cells(row: &str) -> Vec<String> {
    let row = row.trim();
    let row = row.strip_prefix('|').unwrap_or(row);
    let row = row.strip_suffix('|').unwrap_or(row);
    let mut out = Vec::new();
    let mut cell = String::new();
    let mut chars = row.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => out.push(std::mem::take(&mut cell).trim().to_string()),
            _ => cell.push(c),
        }
    }
    out.push(cell.trim().to_string());
    out
}

fn is_delimiter(cells: &[String]) -> bool {
    cells.iter().all(|c| {
        let c = c.trim_matches(':');
        !c.is_empty() && c.chars().all(|ch| ch == '-')
    })
}

pub fn render_table(rows: &[String], styles: &MdStyles) -> Vec<RenderedLine> {
    let parsed: Vec<Vec<String>> = rows.iter().map(|r| cells(r)).collect();
    let header_rows = parsed.iter().position(|c| is_delimiter(c));
    let rendered: Vec<Option<Vec<Vec<Span<'static>>>>> = parsed
        .iter()
        .enumerate()
        .map(|(i, row)| {
            if Some(i) == header_rows {
                return None;
            }
            let base = if header_rows.is_some_and(|h| i < h) {
                styles.table_header
            } else {
                Style::default()
            };
            Some(row.iter().map(|c| render_inline(c, base, styles)).collect())
        })
        .collect();
    let columns = parsed.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; columns];
    for row in rendered.iter().flatten() {
        for (i, cell) in row.iter().enumerate() {
            let w: usize = cell.iter().map(|s| s.content.width()).sum();
            widths[i] = widths[i].max(w);
        }
    }
    rendered
        .into_iter()
        .map(|row| {
            let mut spans: Vec<Span<'static>> = Vec::new();
            match row {
                None => {
                    let parts: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
                    spans.push(Span::styled(
                        format!("─{}─", parts.join("─┼─")),
                        styles.table_frame,
                    ));
                }
                Some(cells) => {
                    for (i, width) in widths.iter().enumerate() {
                        spans.push(Span::styled(
                            if i == 0 { " " } else { " │ " },
                            styles.table_frame,
                        ));
                        let cell = cells.get(i).cloned().unwrap_or_default();
                        let w: usize = cell.iter().map(|s| s.content.width()).sum();
                        spans.extend(cell);
                        if w < *width {
                            spans.push(Span::raw(" ".repeat(width - w)));
                        }
                    }
                }
            }
            RenderedLine {
                line: Line::from(spans),
                kind: LineKind::Table,
                hang: 1,
            }
        })
        .collect()
}
