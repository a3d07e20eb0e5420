//! The inbox over the panes: the reviews waiting, oldest first, each with its role, age, who
//! holds it, the decision, the SQL check and where it came from; the chosen one's brief title in
//! full below. Everything in a row came from someone else's run: sanitised, never obeyed.

use super::panes::pane;
use crate::sanitize::sanitize_line;
use crate::screen::theme::Palette;
use crate::state::inbox::InboxView;
use crate::store::inbox::{age, Row};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

pub fn draw(frame: &mut Frame, area: Rect, view: &InboxView, me: &str, palette: &Palette) {
    frame.render_widget(Clear, area);
    let mut filters = Vec::new();
    if let Some(role) = &view.filter.role {
        filters.push(format!("role {}", sanitize_line(role)));
    }
    if let Some(older) = view.filter.older_than {
        filters.push(format!("older than {}", human(older)));
    }
    let shown = if filters.is_empty() {
        String::new()
    } else {
        format!(" · {}", filters.join(" · "))
    };
    let title = format!(" Inbox · {} waiting{shown} ", view.rows.len());
    let block = pane(title, true, palette).title_bottom(Line::from(Span::styled(
        " Enter claim and open · r role · a age · Alt-I read again · Esc close ",
        Style::default().fg(palette.dim),
    )));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let dim = Style::default().fg(palette.dim);
    let mut lines: Vec<Line> = Vec::new();
    if view.rows.is_empty() {
        let text = if view.loading {
            "Reading the inbox…"
        } else {
            "No review waits. `archbench run --approve inbox` leaves one here."
        };
        lines.push(Line::styled(text, dim));
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    }
    let now = view.read_at.unwrap_or_default();
    let width = inner.width as usize;
    let role_w = view
        .rows
        .iter()
        .map(|r| r.role.width())
        .max()
        .unwrap_or(4)
        .min(24);
    lines.push(Line::styled(
        fit(
            &format!(
                "{:>4}  {:<role_w$}  {:<22}  {:<9}  SQL · FROM · BRIEF",
                "AGE", "ROLE", "STATUS", "DECISION"
            ),
            width,
        ),
        dim.add_modifier(Modifier::BOLD),
    ));
    let room = (inner.height as usize).saturating_sub(3).max(1);
    let first = view.selected.saturating_sub(room.saturating_sub(1));
    for (i, row) in view.rows.iter().enumerate().skip(first).take(room) {
        let held_by_other = row.status == "claimed" && row.claimed_by.as_deref() != Some(me);
        let style = if i == view.selected {
            Style::default()
                .fg(palette.selected_fg)
                .bg(palette.selected_bg)
        } else if held_by_other {
            dim
        } else {
            Style::default()
        };
        lines.push(Line::styled(fit(&row_text(row, now, role_w), width), style));
    }
    if let Some(row) = view.rows.get(view.selected) {
        lines.push(Line::from(""));
        lines.push(Line::styled(
            fit(
                &format!("{} · {}", row.id, sanitize_line(&row.title)),
                width,
            ),
            dim,
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn row_text(row: &Row, now: chrono::DateTime<chrono::Utc>, role_w: usize) -> String {
    sanitize_line(&format!(
        "{:>4}  {:<role_w$}  {:<22}  {:<9}  {} · {} · {}",
        age(row.created_at, now),
        row.role,
        row.standing(),
        row.decision,
        row.check_line(),
        row.origin.who,
        row.title
    ))
    .into_owned()
}

fn human(d: std::time::Duration) -> String {
    match d.as_secs() {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s => format!("{}m", s / 60),
    }
}

/// `text` cut to `width` columns.
fn fit(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out
}
