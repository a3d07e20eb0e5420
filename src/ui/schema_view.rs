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
    let lines = drawing_lines(schema, table, palette);
    frame.render_widget(
        Paragraph::new(lines.into_iter().skip(view.scroll).collect::<Vec<_>>()),
        drawing,
    );
}

/// The chosen table with its relationships, as lines: keys in above, the table, keys out below.
fn drawing_lines(
    schema: &Schema,
    table: &crate::check::schema::Table,
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
        lines.push(Line::styled(sanitize_line(&text).into_owned(), style));
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
