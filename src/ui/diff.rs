//! An attempt against the one before it, over the answer pane: what asked for it, then its lines
//! with the changes marked (`-` removed, `+` added, `~` changed, the old line above the new),
//! long lines wrapped, never cut.

use super::panes::pane;
use crate::review::compare::Change;
use crate::sanitize::sanitize_line;
use crate::screen::theme::Palette;
use crate::state::diff::AttemptDiff;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

pub fn draw(frame: &mut Frame, over: Rect, diff: &AttemptDiff, palette: &Palette) {
    frame.render_widget(Clear, over);
    let c = diff.counts;
    let what = if c.changed + c.added + c.removed == 0 {
        format!("identical to attempt {}", diff.left)
    } else {
        format!(
            "{} changed · {} added · {} removed",
            c.changed, c.added, c.removed
        )
    };
    let block = pane(
        format!(
            " Attempt {} against attempt {} · {what} ",
            diff.right, diff.left
        ),
        true,
        palette,
    )
    .title_bottom(Line::from(Span::styled(
        " n next change · N previous · Esc back ",
        Style::default().fg(palette.dim),
    )));
    let inner = block.inner(over);
    frame.render_widget(block, over);
    let dim = Style::default().fg(palette.dim);
    let mut lines: Vec<Line> = Vec::new();
    if let Some(feedback) = &diff.feedback {
        lines.push(Line::styled(
            format!("Asked for by the feedback on attempt {}:", diff.left),
            dim.add_modifier(Modifier::BOLD),
        ));
        // A quarter of the pane at most: the comparison is what the view is for; the whole
        // feedback is in the history.
        let room = (inner.height as usize / 4).max(1);
        let all: Vec<&str> = feedback.lines().filter(|l| !l.trim().is_empty()).collect();
        let shown = if all.len() > room {
            room - 1
        } else {
            all.len()
        };
        for line in &all[..shown] {
            lines.push(Line::styled(format!("  {}", sanitize_line(line)), dim));
        }
        if all.len() > shown {
            lines.push(Line::styled(
                format!("  … {} more lines (Ctrl-O, the history)", all.len() - shown),
                dim,
            ));
        }
        lines.push(Line::from(""));
    }
    let marked = |mark: &'static str, text: &str, colour| {
        Line::from(vec![
            Span::styled(
                mark,
                Style::default().fg(colour).add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                sanitize_line(text).into_owned(),
                Style::default().fg(colour),
            ),
        ])
    };
    // Rows past the pane's height cannot show, even unwrapped: only those that may are made.
    for row in diff.rows.iter().skip(diff.top).take(inner.height as usize) {
        let left = row.left.as_deref().unwrap_or("");
        let right = row.right.as_deref().unwrap_or("");
        match row.change {
            Change::Same => lines.push(Line::from(format!("  {}", sanitize_line(right)))),
            Change::Removed => lines.push(marked("- ", left, palette.error)),
            Change::Added => lines.push(marked("+ ", right, palette.success)),
            Change::Changed => {
                lines.push(marked("~-", left, palette.error));
                lines.push(marked("~+", right, palette.warning));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
