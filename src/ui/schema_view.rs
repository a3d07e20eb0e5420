//! The schema view over the panes: the tables on the left (partitions under their parent), the
//! chosen one on the right — the tables whose keys point at it above, arrows into it, its box,
//! then arrows to the tables its own keys point at, each numbered to follow.

use super::panes::pane;
use crate::check::schema::{render::table_lines, Schema};
use crate::sanitize::sanitize_line;
use crate::screen::theme::Palette;
use crate::state::schema_view::{listed, related, Related, SchemaView};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

pub fn draw(frame: &mut Frame, area: Rect, schema: &Schema, view: &SchemaView, palette: &Palette) {
    frame.render_widget(Clear, area);
    let tables = listed(schema, view.filter.as_deref());
    let count = match &view.filter {
        Some(f) => format!(
            "{} of {} tables with “{}”",
            tables.len(),
            schema.tables.len(),
            sanitize_line(f)
        ),
        None => format!("{} tables", schema.tables.len()),
    };
    let block = pane(
        format!(" Schema · {count} · from the check server's catalog "),
        true,
        palette,
    )
    .title_bottom(Line::from(Span::styled(
        " j/k table · 1-9 follow a key · b back · / find · Enter its line · Esc close ",
        Style::default().fg(palette.dim),
    )));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // The list takes a quarter of the width (at least the room for most names), the drawing the rest.
    let list_width = (inner.width / 4).clamp(14, 32).min(inner.width / 2);
    let list_area = Rect::new(inner.x, inner.y, list_width, inner.height);
    let drawing = Rect::new(
        inner.x + list_width + 1,
        inner.y,
        inner.width.saturating_sub(list_width + 1),
        inner.height,
    );
    let at = tables
        .iter()
        .position(|(t, _)| t.name == view.table)
        .unwrap_or(0);
    let room = inner.height as usize;
    let first = at.saturating_sub(room.saturating_sub(1));
    let selected = Style::default()
        .fg(palette.selected_fg)
        .bg(palette.selected_bg);
    let list: Vec<Line> = tables
        .iter()
        .enumerate()
        .skip(first)
        .take(room)
        .map(|(i, (t, depth))| {
            let mark = if t.partition_of.is_some() { "└ " } else { "" };
            let text = format!("{}{mark}{}", "  ".repeat(*depth), sanitize_line(&t.name));
            let style = if i == at { selected } else { Style::default() };
            Line::styled(text, style)
        })
        .collect();
    frame.render_widget(Paragraph::new(list), list_area);
    for y in inner.y..inner.bottom() {
        if let Some(cell) = frame.buffer_mut().cell_mut((inner.x + list_width, y)) {
            cell.set_symbol("│").set_fg(palette.dim);
        }
    }
    let Some(table) = schema.table(&view.table) else {
        return;
    };
    let lines = drawing_lines(schema, table, drawing.width as usize, palette);
    frame.render_widget(
        Paragraph::new(lines.into_iter().skip(view.scroll).collect::<Vec<_>>()),
        drawing,
    );
}

/// The chosen table with its relationships, as lines: keys in above, the table, keys out below.
fn drawing_lines(
    schema: &Schema,
    table: &crate::check::schema::Table,
    width: usize,
    palette: &Palette,
) -> Vec<Line<'static>> {
    let related = related(schema, table);
    let number = |i: usize| {
        if i < 9 {
            format!("{} ", i + 1)
        } else {
            "  ".into()
        }
    };
    let link = Style::default().fg(palette.info);
    // A key in names the other table's columns; a key out, the columns it points at.
    let label = |r: &Related, i: usize| {
        let columns = if r.outgoing {
            &r.referenced_columns
        } else {
            &r.columns
        };
        let mut text = format!(
            "{}{} ({})",
            number(i),
            sanitize_line(&r.table),
            sanitize_line(&columns.join(", "))
        );
        if let Some(action) = &r.on_delete {
            text.push_str(&format!(" on delete {action}"));
        }
        text
    };
    let mut lines: Vec<Line<'static>> = Vec::new();
    let incoming: Vec<(usize, &Related)> = related
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.outgoing)
        .collect();
    let outgoing: Vec<(usize, &Related)> = related
        .iter()
        .enumerate()
        .filter(|(_, r)| r.outgoing)
        .collect();
    if !incoming.is_empty() {
        lines.push(Line::styled(
            "referenced by",
            Style::default().fg(palette.dim),
        ));
        let labels: Vec<String> = incoming.iter().map(|(i, r)| label(r, *i)).collect();
        let width = labels
            .iter()
            .map(|l| unicode_width::UnicodeWidthStr::width(l.as_str()))
            .max()
            .unwrap_or(0);
        for (n, text) in labels.iter().enumerate() {
            let pad = width - unicode_width::UnicodeWidthStr::width(text.as_str());
            let joint = if n == 0 { "┐" } else { "┤" };
            lines.push(Line::from(vec![
                Span::styled(text.clone(), link),
                Span::styled(format!(" {}─{joint}", "─".repeat(pad)), link),
            ]));
        }
        lines.push(Line::styled(format!("{}▼", " ".repeat(width + 2)), link));
    }
    for (i, text) in table_lines(schema, table).into_iter().enumerate() {
        let style = if i == 0 {
            Style::default().add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        };
        for row in wrap_boxed(&sanitize_line(&text), width) {
            lines.push(Line::styled(row, style));
        }
    }
    if !outgoing.is_empty() {
        lines.push(Line::styled("│", link));
        let last = outgoing.len() - 1;
        for (n, (i, r)) in outgoing.iter().enumerate() {
            let joint = if n == last { "└" } else { "├" };
            lines.push(Line::styled(format!("{joint}──▶ {}", label(r, *i)), link));
        }
    }
    lines
}

/// Where a fact's text begins in the box (`│ ` and the fact's 13-column name): a long fact goes
/// on under its text, so the names down the left stay readable.
const FACT_INDENT: usize = 15;

/// A line of the table's box wrapped at word boundaries to `width` columns, its continuation
/// rows inside the box under the fact's text: an index predicate or a policy is read whole,
/// never cut.
fn wrap_boxed(line: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthStr;
    if line.width() <= width || width <= FACT_INDENT + 8 || !line.starts_with('│') {
        return vec![line.to_string()];
    }
    let indent = format!("│{}", " ".repeat(FACT_INDENT - 1));
    let mut rows = Vec::new();
    let mut row = String::new();
    for word in line.split_inclusive(' ') {
        let room = width.saturating_sub(row.width());
        if word.trim_end().width() <= room || row.trim().is_empty() || row == indent {
            row.push_str(word);
        } else {
            rows.push(row.trim_end().to_string());
            row = format!("{indent}{word}");
        }
        // A word longer than a whole row is broken where the row ends.
        while row.width() > width {
            let mut head = String::new();
            for c in row.chars() {
                if head.width() + unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) > width {
                    break;
                }
                head.push(c);
            }
            let tail = row[head.len()..].to_string();
            rows.push(head);
            row = format!("{indent}{tail}");
        }
    }
    if !row.trim().is_empty() && row != indent {
        rows.push(row.trim_end().to_string());
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn a_long_fact_wraps_under_its_text_and_loses_nothing() {
        let line = "│ index        orders_open_idx btree (tenant_id, placed_at) where status = 'open'::text · line 12";
        let rows = wrap_boxed(line, 40);
        assert!(rows.len() > 2, "{rows:#?}");
        assert!(rows.iter().all(|r| r.width() <= 40), "{rows:#?}");
        assert!(
            rows[1..].iter().all(|r| r.starts_with("│              ")),
            "{rows:#?}"
        );
        let words = |s: &str| {
            s.split_whitespace()
                .filter(|w| *w != "│")
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(words(&rows.join(" ")), words(line));
    }

    #[test]
    fn a_word_longer_than_the_row_is_broken_not_cut() {
        let line = format!("│ check        {} · line 3", "x".repeat(60));
        let rows = wrap_boxed(&line, 30);
        assert!(rows.iter().all(|r| r.width() <= 30), "{rows:#?}");
        let xs: usize = rows.iter().map(|r| r.matches('x').count()).sum();
        assert_eq!(xs, 60);
    }

    #[test]
    fn short_lines_and_the_box_corners_stay_as_they_are() {
        assert_eq!(
            wrap_boxed("│ id  bigint  not null", 40),
            ["│ id  bigint  not null"]
        );
        assert_eq!(wrap_boxed("┌─ orders · line 3", 10), ["┌─ orders · line 3"]);
    }
}
