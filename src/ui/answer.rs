//! The answer pane: the visible rows of the rendered answer, search matches marked, the phase in
//! its title.

use super::panes::{level_colour, pane, phase_label};
use crate::screen::theme::Palette;
use crate::state::{Focus, State};
use ratatui::layout::{Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn answer(frame: &mut Frame, area: Rect, state: &State, palette: &Palette) {
    let focused =
        state.focus == Focus::Answer && state.review.mode == crate::state::ReviewMode::Choosing;
    let Some(attempt) = state.shown_attempt() else {
        let block = pane(" Answer ".into(), focused, palette);
        let text = vec![
            Line::from(""),
            Line::from(Span::styled(
                "  No answer yet.",
                Style::default().fg(palette.dim),
            )),
            Line::from(Span::styled(
                format!(
                    "  Ctrl-S sends the brief to the {}.",
                    state.session.role.title.to_lowercase()
                ),
                Style::default().fg(palette.dim),
            )),
        ];
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    };
    let (label, level) = phase_label(&attempt.phase);
    let mut title = format!(" Answer · attempt {} ", attempt.number);
    if attempt.same_as_previous {
        title.push_str(&format!("· identical to attempt {} ", attempt.number - 1));
    } else if attempt.feedback.is_some() && !attempt.phase.is_live() {
        title.push_str("· revised: D compares ");
    }
    if !attempt.reasoning.is_empty() {
        title.push_str(&format!(
            "· reasoning {} bytes (z) ",
            attempt.reasoning.len()
        ));
    }
    let mut block = pane(title, focused, palette);
    let colour = level.map_or(palette.info, |l| level_colour(l, palette));
    block = block.title_bottom(
        Line::from(Span::styled(
            format!(" {label} "),
            Style::default().fg(colour),
        ))
        .right_aligned(),
    );
    let total = state.view.total_rows();
    let position = if state.follow {
        "following".to_string()
    } else {
        format!("row {}/{}", state.scroll + 1, total.max(1))
    };
    block = block.title_bottom(
        Line::from(Span::styled(
            format!(" {position} "),
            Style::default().fg(palette.dim),
        ))
        .left_aligned(),
    );
    let inner = area.inner(Margin::new(1, 1));
    frame.render_widget(block, area);
    let height = inner.height as usize;
    let fresh;
    let rows = match state.view.shown(state.scroll, height) {
        Some(rows) => rows,
        None => {
            fresh = state.view.visible(&attempt.doc, state.scroll, height);
            &fresh[..]
        }
    };
    let query = state.search.as_deref().filter(|q| !q.is_empty());
    let style = Style::default()
        .fg(palette.selected_fg)
        .bg(palette.candidate);
    // Rows are already wrapped to the width: each is set in place, not composed again.
    let marks = gutter_marks(state, attempt, height, palette);
    let marked = marked_rows(state, attempt, height);
    let buffer = frame.buffer_mut();
    // The pane's left border is the gutter: a line the SQL check found fault with is marked
    // there, the text itself untouched.
    for (row, symbol, colour) in marks {
        if let Some(cell) = buffer.cell_mut((area.x, inner.y + row as u16)) {
            cell.set_symbol(symbol).set_fg(colour);
        }
    }
    for (i, (y, row)) in (inner.y..inner.bottom()).zip(rows).enumerate() {
        if marked.contains(&i) {
            // The lines being marked for a comment: the whole row, so a blank line shows too.
            let line = row.clone().patch_style(style);
            buffer.set_style(Rect::new(inner.x, y, inner.width, 1), style);
            buffer.set_line(inner.x, y, &line, inner.width);
            continue;
        }
        match query {
            Some(query) => buffer.set_line(
                inner.x,
                y,
                &mark_matches(row.clone(), query, style),
                inner.width,
            ),
            None => buffer.set_line(inner.x, y, row, inner.width),
        };
    }
}

/// `row` with every case-insensitive occurrence of `query` in `style` (visible rows only: the
/// cost is bounded by the pane, not the answer).
fn mark_matches(row: Line<'static>, query: &str, style: Style) -> Line<'static> {
    let text: String = row.spans.iter().map(|s| s.content.as_ref()).collect();
    let lower = text.to_lowercase();
    let needle = query.to_lowercase();
    // Lowercasing can change byte lengths outside ASCII; only mark when offsets still line up.
    if lower.len() != text.len() || !lower.contains(&needle) {
        return row;
    }
    let mut marked = vec![false; text.len()];
    let mut from = 0;
    while let Some(at) = lower[from..].find(&needle) {
        let start = from + at;
        marked[start..start + needle.len()]
            .iter_mut()
            .for_each(|m| *m = true);
        from = start + needle.len().max(1);
    }
    let mut spans = Vec::new();
    let mut offset = 0;
    for span in row.spans {
        let content = span.content.as_ref();
        let mut piece = String::new();
        let mut piece_marked = None;
        for (i, c) in content.char_indices() {
            let m = marked[offset + i];
            if piece_marked.is_some_and(|p| p != m) {
                let s = if piece_marked == Some(true) {
                    span.style.patch(style)
                } else {
                    span.style
                };
                spans.push(Span::styled(std::mem::take(&mut piece), s));
            }
            piece_marked = Some(m);
            piece.push(c);
        }
        if !piece.is_empty() {
            let s = if piece_marked == Some(true) {
                span.style.patch(style)
            } else {
                span.style
            };
            spans.push(Span::styled(piece, s));
        }
        offset += content.len();
    }
    Line::from(spans)
}

/// The visible rows (from the top of the pane) of the lines being marked for a comment.
fn marked_rows(
    state: &State,
    attempt: &crate::state::Attempt,
    height: usize,
) -> std::ops::Range<usize> {
    let Some((first, last)) = crate::state::notes::marked_lines(state) else {
        return 0..0;
    };
    let row = |line: usize| state.view.row_of_line(attempt.doc.rendered_line_of(line));
    let (top, bottom) = (row(first), row(last + 1).max(row(first) + 1));
    let clip = |r: usize| r.saturating_sub(state.scroll).min(height);
    clip(top)..clip(bottom)
}

/// The visible rows (from the top of the pane) whose answer line has an error or a warning of
/// the SQL check, with the mark and its colour (errors win over warnings), or a comment.
fn gutter_marks(
    state: &State,
    attempt: &crate::state::Attempt,
    height: usize,
    palette: &Palette,
) -> Vec<(usize, &'static str, ratatui::style::Color)> {
    use crate::check::Severity;
    let mut marks: std::collections::BTreeMap<usize, Severity> = Default::default();
    // A comment is marked where no finding is: the findings list and the comments list say the rest.
    for comment in &attempt.comments {
        let at = state
            .view
            .row_of_line(attempt.doc.rendered_line_of(comment.anchor.line()));
        if at >= state.scroll && at < state.scroll + height {
            marks.insert(at - state.scroll, Severity::Info);
        }
    }
    let report = attempt.check_report();
    // Lines and levels only: the findings' texts are for the list, not for every frame.
    for (line, severity) in report.iter().flat_map(|r| r.marks()) {
        let at = state.view.row_of_line(attempt.doc.rendered_line_of(line));
        if at >= state.scroll && at < state.scroll + height {
            let level = marks.entry(at - state.scroll).or_insert(severity);
            *level = (*level).max(severity);
        }
    }
    marks
        .into_iter()
        .map(|(row, level)| match level {
            Severity::Error => (row, "✗", palette.error),
            Severity::Warning => (row, "!", palette.warning),
            Severity::Info => (row, "✎", palette.info),
        })
        .collect()
}
