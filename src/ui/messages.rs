//! The message log overlay (F8): every message the status line showed this session, in full,
//! with its time. Text from outside passes the sanitizer like every line drawn.

use super::panes::{centered, level_colour, pane};
use crate::render::wrap::wrap;
use crate::render::{LineKind, RenderedLine};
use crate::sanitize::sanitize_line;
use crate::screen::theme::Palette;
use crate::state::State;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

/// The session's messages, each in full with its time, the newest at the bottom.
pub fn draw(frame: &mut Frame, screen: Rect, state: &State, palette: &Palette) {
    let area = centered(
        screen,
        screen.width.saturating_sub(4),
        screen.height.saturating_sub(2),
    );
    frame.render_widget(Clear, area);
    let block = pane(
        format!(
            " Messages (UTC) · {} · ↑↓ PgUp PgDn scroll · any other key closes ",
            state.messages.len()
        ),
        true,
        palette,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = Vec::new();
    for (at, notice) in &state.messages {
        let line = RenderedLine {
            line: Line::from(vec![
                Span::styled(
                    at.format("%H:%M:%S ").to_string(),
                    Style::default().fg(palette.dim),
                ),
                Span::styled(
                    sanitize_line(&notice.text).into_owned(),
                    Style::default().fg(level_colour(notice.level, palette)),
                ),
            ]),
            kind: LineKind::Prose,
            hang: 9,
        };
        lines.extend(wrap(&line, inner.width));
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            "No messages yet.",
            Style::default().fg(palette.dim),
        ));
    }
    let rows = inner.height as usize;
    let up = state.messages_open.unwrap_or(0);
    let end = lines
        .len()
        .saturating_sub(up.min(lines.len().saturating_sub(rows)));
    let start = end.saturating_sub(rows);
    frame.render_widget(Paragraph::new(lines[start..end].to_vec()), inner);
}
