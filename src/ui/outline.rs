//! The outline pane: the answer's sections, folded or open, with the role's coverage and the
//! brief's checklist.

use super::panes::pane;
use crate::render::wrap::wrap;
use crate::render::{LineKind, RenderedLine};
use crate::sanitize::sanitize_line;
use crate::screen::theme::Palette;
use crate::state::{Focus, State};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn outline(frame: &mut Frame, area: Rect, state: &State, palette: &Palette) {
    use crate::review::outline::{coverage, Item, SectionState};
    let focused =
        state.focus == Focus::Outline && state.review.mode == crate::state::ReviewMode::Choosing;
    let block = pane(" Outline ".into(), focused, palette);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // Built once for the frame: coverage counts the whole outline (folding hides rows, not
    // sections), the rows shown leave out what is folded.
    let all = state.outline_all();
    let foldable = crate::review::outline::foldable(&all);
    let live = state.shown_attempt().is_none_or(|a| a.phase.is_live());
    let expected = state.session.role.sections.len();
    let coverage_text = (expected > 0).then(|| coverage(&all, expected, live));
    let items = crate::review::outline::unfolded(all, &state.folded);
    let mut lines: Vec<Line> = Vec::new();
    if let Some(text) = coverage_text {
        let colour = if text.contains("missing") {
            palette.warning
        } else {
            palette.dim
        };
        let line = RenderedLine {
            line: Line::from(Span::styled(text, Style::default().fg(colour))),
            kind: LineKind::Prose,
            hang: 2,
        };
        lines.extend(wrap(&line, inner.width));
    }
    // The brief's side of coverage: its requirements as the reviewer marked them (l).
    let checklist = &state.review.checklist;
    if !checklist.is_empty() {
        let line = RenderedLine {
            line: Line::from(Span::styled(
                crate::review::checklist::summary(checklist),
                Style::default().fg(if crate::review::checklist::done(checklist) {
                    palette.dim
                } else {
                    palette.warning
                }),
            )),
            kind: LineKind::Prose,
            hang: 2,
        };
        lines.extend(wrap(&line, inner.width));
    }
    let header_rows = lines.len();
    let marker = |state: SectionState| match state {
        SectionState::Done => ("● ", palette.success),
        SectionState::Streaming => ("◐ ", palette.info),
        SectionState::Pending => ("○ ", palette.dim),
        SectionState::Missing => ("✗ ", palette.warning),
    };
    let rows: Vec<Line> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let selected = focused && i == state.outline_selected;
            let base = if selected {
                Style::default()
                    .fg(palette.selected_fg)
                    .bg(palette.selected_bg)
            } else {
                Style::default()
            };
            match item {
                Item::Heading {
                    line,
                    level,
                    text,
                    section,
                } => {
                    let indent = "  ".repeat((*level as usize).saturating_sub(1).min(4));
                    let fold = match (foldable.contains(line), state.folded.contains(line)) {
                        (true, true) => "▸",
                        (true, false) => "▾",
                        (false, _) => " ",
                    };
                    let (mark, colour) = section.map_or(("  ", palette.dim), |(_, s)| marker(s));
                    Line::from(vec![
                        Span::styled(format!("{indent}{fold}"), base),
                        Span::styled(mark, base.fg(colour)),
                        Span::styled(
                            sanitize_line(text).into_owned(),
                            if selected {
                                base
                            } else {
                                base.add_modifier(if *level <= 2 {
                                    Modifier::BOLD
                                } else {
                                    Modifier::empty()
                                })
                            },
                        ),
                    ])
                }
                Item::Absent {
                    name,
                    state: section_state,
                    ..
                } => {
                    let (mark, colour) = marker(*section_state);
                    Line::from(vec![
                        Span::styled(" ", base),
                        Span::styled(mark, base.fg(colour)),
                        Span::styled(
                            name.clone(),
                            base.fg(if selected {
                                palette.selected_fg
                            } else {
                                palette.dim
                            }),
                        ),
                    ])
                }
            }
        })
        .collect();
    // Keep the chosen row in view.
    let room = (inner.height as usize).saturating_sub(header_rows).max(1);
    let first = state
        .outline_selected
        .saturating_sub(room - 1)
        .min(rows.len().saturating_sub(room));
    lines.extend(rows.into_iter().skip(first).take(room));
    frame.render_widget(Paragraph::new(lines), inner);
}
