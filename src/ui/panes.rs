//! The panes of the workbench screen.

use super::theme::Palette;
use crate::keymap::{self, Context, DIGIT_HELP};
use crate::provider::FinishReason;
use crate::render::wrap::wrap;
use crate::render::{LineKind, RenderedLine};
use crate::routing::decision::DecisionStatus;
use crate::sanitize::sanitize_line;
use crate::state::{Focus, HandoffStatus, NoticeLevel, Phase, State};
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

pub(super) fn pane<'a>(title: String, focused: bool, palette: &Palette) -> Block<'a> {
    let colour = if focused {
        palette.focus
    } else {
        palette.border
    };
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(Style::default().fg(colour))
        .title(Span::styled(
            title,
            Style::default()
                .fg(if focused {
                    palette.focus
                } else {
                    palette.title
                })
                .add_modifier(Modifier::BOLD),
        ))
}

pub fn brief(frame: &mut Frame, area: Rect, state: &State, palette: &Palette) {
    let focused =
        state.focus == Focus::Brief && state.review.mode == crate::state::ReviewMode::Choosing;
    let title = match state.vi.as_ref().map(|v| v.mode) {
        Some(crate::state::vi::Mode::Normal) => " Brief · NORMAL ".to_string(),
        Some(crate::state::vi::Mode::Insert) => " Brief · INSERT ".to_string(),
        None => " Brief ".to_string(),
    };
    let block = pane(title, focused, palette);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(&state.brief, inner);
}

fn phase_label(phase: &Phase) -> (String, Option<NoticeLevel>) {
    match phase {
        Phase::Waiting => ("waiting for the model…".into(), None),
        Phase::Streaming => ("streaming…".into(), None),
        Phase::Complete(FinishReason::Stop) => ("complete".into(), Some(NoticeLevel::Success)),
        Phase::Complete(FinishReason::Length) => (
            "cut off at the token limit".into(),
            Some(NoticeLevel::Warning),
        ),
        Phase::Complete(FinishReason::Other(r)) => {
            (format!("complete ({r})"), Some(NoticeLevel::Success))
        }
        Phase::Cancelled => (
            "cancelled — partial answer".into(),
            Some(NoticeLevel::Warning),
        ),
        Phase::Failed(_) => ("failed — partial answer".into(), Some(NoticeLevel::Error)),
    }
}

pub(super) fn level_colour(level: NoticeLevel, palette: &Palette) -> ratatui::style::Color {
    match level {
        NoticeLevel::Info => palette.info,
        NoticeLevel::Success => palette.success,
        NoticeLevel::Warning => palette.warning,
        NoticeLevel::Error => palette.error,
    }
}

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
    let title = if attempt.reasoning.is_empty() {
        format!(" Answer · attempt {} ", attempt.number)
    } else {
        format!(
            " Answer · attempt {} · reasoning {} bytes (z) ",
            attempt.number,
            attempt.reasoning.len()
        )
    };
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
    let mut rows = state
        .view
        .visible(&attempt.doc, state.scroll, inner.height as usize);
    if let Some(query) = state.search.as_deref().filter(|q| !q.is_empty()) {
        let style = Style::default()
            .fg(palette.selected_fg)
            .bg(palette.candidate);
        rows = rows
            .into_iter()
            .map(|row| mark_matches(row, query, style))
            .collect();
    }
    frame.render_widget(Paragraph::new(rows), inner);
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

pub fn routes(frame: &mut Frame, area: Rect, state: &State, palette: &Palette) {
    let focused =
        state.focus == Focus::Routes && state.review.mode == crate::state::ReviewMode::Choosing;
    let block = pane(" Routes ".into(), focused, palette);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let role = &state.session.role;
    let attempt = state
        .latest()
        .filter(|a| matches!(a.phase, Phase::Complete(_)));
    let decision = attempt.and_then(|a| a.decision.as_ref());
    let mut lines: Vec<Line> = Vec::new();
    if role.routes.is_empty() {
        lines.push(Line::from(Span::styled(
            "This role ends the chain.",
            Style::default().fg(palette.dim),
        )));
    }
    for (i, option) in role.routes.iter().enumerate() {
        let candidate = decision.is_some_and(|d| d.candidates.contains(&option.id));
        let selected = attempt.is_some() && state.review.selected == Some(i);
        let marker = if candidate { "★" } else { " " };
        let style = if selected {
            Style::default()
                .fg(palette.selected_fg)
                .bg(palette.selected_bg)
                .add_modifier(Modifier::BOLD)
        } else if candidate {
            Style::default().fg(palette.candidate)
        } else {
            Style::default()
        };
        let pointer = if selected { "▸" } else { " " };
        lines.push(Line::from(vec![
            Span::styled(format!("{pointer}{} {marker} ", i + 1), style),
            Span::styled(sanitize_line(&option.label).into_owned(), style),
        ]));
        let target_style = if selected {
            style
        } else {
            Style::default().add_modifier(Modifier::BOLD)
        };
        lines.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(sanitize_line(&option.target).into_owned(), target_style),
        ]));
    }
    lines.push(Line::from(""));
    match (state.latest(), decision) {
        (None, _) => lines.push(Line::from(Span::styled(
            "The agent's decision shows here when its answer ends.",
            Style::default().fg(palette.dim),
        ))),
        (Some(a), None) if a.phase.is_live() => lines.push(Line::from(Span::styled(
            "Waiting for the answer to end…",
            Style::default().fg(palette.dim),
        ))),
        (Some(_), None) => lines.push(Line::from(Span::styled(
            "The answer is incomplete: no decision to read.",
            Style::default().fg(palette.warning),
        ))),
        (Some(_), Some(d)) => {
            let colour = match d.status {
                DecisionStatus::Unique => palette.success,
                DecisionStatus::Ambiguous | DecisionStatus::Misplaced => palette.warning,
                DecisionStatus::Invalid | DecisionStatus::Missing => palette.error,
            };
            let mut status = vec![
                Span::raw("Decision: "),
                Span::styled(
                    d.status.as_str(),
                    Style::default().fg(colour).add_modifier(Modifier::BOLD),
                ),
            ];
            if d.multiple {
                status.push(Span::styled(
                    " (several DECISION lines)",
                    Style::default().fg(palette.warning),
                ));
            }
            lines.push(Line::from(status));
            if let (Some(raw), Some(n)) = (&d.raw_line, d.line_number) {
                lines.push(Line::from(Span::styled(
                    format!("line {n}:"),
                    Style::default().fg(palette.dim),
                )));
                lines.push(Line::from(Span::styled(
                    sanitize_line(raw).into_owned(),
                    Style::default().fg(palette.dim),
                )));
            }
            if d.status != DecisionStatus::Unique && d.candidates.len() > 1 {
                lines.push(Line::from(Span::styled(
                    "★ marks the routes it matches.",
                    Style::default().fg(palette.dim),
                )));
            }
        }
    }
    if let Some(reask) = state.latest().and_then(|a| a.reask.as_ref()) {
        let (text, colour) = match &reask.phase {
            Phase::Waiting | Phase::Streaming => {
                ("Asking again for the decision…".to_string(), palette.info)
            }
            Phase::Complete(_) => (
                format!(
                    "Re-asked (the answer said: {})",
                    reask.original.status.as_str()
                ),
                palette.dim,
            ),
            Phase::Cancelled | Phase::Failed(_) => (
                "Re-ask stopped: the answer's own decision stands".to_string(),
                palette.warning,
            ),
        };
        lines.push(Line::from(Span::styled(text, Style::default().fg(colour))));
    }
    if state.review.payload.is_some() {
        lines.push(Line::from(Span::styled(
            "✎ The next role's brief is edited (e)",
            Style::default().fg(palette.info),
        )));
    }
    if let Some(status) = &state.review.handoff {
        lines.push(Line::from(""));
        match status {
            HandoffStatus::Sending { target } => lines.push(Line::from(Span::styled(
                format!("Handing off to {target}…"),
                Style::default().fg(palette.info),
            ))),
            HandoffStatus::Written { target, path, .. } => {
                lines.push(Line::from(Span::styled(
                    format!("✔ Handed off to {target}"),
                    Style::default()
                        .fg(palette.success)
                        .add_modifier(Modifier::BOLD),
                )));
                lines.push(Line::from(Span::styled(
                    sanitize_line(&path.display().to_string()).into_owned(),
                    Style::default().fg(palette.dim),
                )));
            }
            HandoffStatus::Deferring => lines.push(Line::from(Span::styled(
                "Saving the review for later…",
                Style::default().fg(palette.info),
            ))),
            HandoffStatus::Deferred { id, .. } => {
                lines.push(Line::from(Span::styled(
                    "⏸ Deferred",
                    Style::default()
                        .fg(palette.info)
                        .add_modifier(Modifier::BOLD),
                )));
                lines.push(Line::from(Span::styled(
                    format!(
                        "archbench resume {}",
                        id.chars().take(13).collect::<String>()
                    ),
                    Style::default().fg(palette.dim),
                )));
            }
            HandoffStatus::Settled(outcome) => {
                let label = outcome.label();
                let mut first = label.chars();
                let label: String = first
                    .next()
                    .map(|c| c.to_uppercase().chain(first).collect())
                    .unwrap_or_default();
                lines.push(Line::from(Span::styled(
                    format!("■ {label}"),
                    Style::default()
                        .fg(palette.warning)
                        .add_modifier(Modifier::BOLD),
                )));
                lines.push(Line::from(Span::styled(
                    sanitize_line(&format!("by {} at {}", outcome.reviewer, outcome.at))
                        .into_owned(),
                    Style::default().fg(palette.dim),
                )));
            }
            HandoffStatus::Rejected { reason } => {
                lines.push(Line::from(Span::styled(
                    "✗ Rejected: the chain stops",
                    Style::default()
                        .fg(palette.warning)
                        .add_modifier(Modifier::BOLD),
                )));
                if let Some(reason) = reason {
                    lines.push(Line::from(Span::styled(
                        sanitize_line(reason).into_owned(),
                        Style::default().fg(palette.dim),
                    )));
                }
            }
        }
    }
    if let Some(a) = state.latest() {
        if let (Some(usage), Some(first), Some(done)) = (a.usage, a.first_token_at, a.completed_at)
        {
            let seconds = (done - first).num_milliseconds().max(1) as f64 / 1000.0;
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                format!(
                    "{} in · {} out · {:.1} tok/s",
                    usage.prompt_tokens,
                    usage.completion_tokens,
                    usage.completion_tokens as f64 / seconds
                ),
                Style::default().fg(palette.dim),
            )));
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

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

pub fn notice(frame: &mut Frame, area: Rect, state: &State, palette: &Palette) {
    if let Some(prompt) = &state.prompt {
        let label = format!(" {}: ", prompt.kind.label());
        let width = (label.chars().count() as u16).min(area.width);
        let [label_area, input_area] =
            Layout::horizontal([Constraint::Length(width), Constraint::Min(0)]).areas(area);
        frame.render_widget(
            Paragraph::new(Span::styled(
                label,
                Style::default()
                    .fg(palette.focus)
                    .add_modifier(Modifier::BOLD),
            )),
            label_area,
        );
        frame.render_widget(&prompt.input, input_area);
        return;
    }
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    let Some(notice) = &state.notice else { return };
    let text = format!(" {}", sanitize_line(&notice.text));
    let style = Style::default().fg(level_colour(notice.level, palette));
    let width = area.width as usize;
    // A message longer than the line ends in an ellipsis and says where the rest is.
    let line = if text.width() > width {
        const MORE: &str = "… F8";
        let room = width.saturating_sub(MORE.width());
        let mut cut = String::new();
        let mut used = 0;
        for c in text.chars() {
            used += c.width().unwrap_or(0);
            if used > room {
                break;
            }
            cut.push(c);
        }
        Line::from(vec![
            Span::styled(cut, style),
            Span::styled(MORE, Style::default().fg(palette.dim)),
        ])
    } else {
        Line::from(Span::styled(text, style))
    };
    frame.render_widget(Paragraph::new(line), area);
}

pub fn hints(frame: &mut Frame, area: Rect, state: &State, palette: &Palette) {
    let context = state.key_context();
    let mut spans = vec![Span::styled(
        format!(" {} ", context.title()),
        Style::default().fg(palette.selected_fg).bg(palette.focus),
    )];
    for (key, hint) in keymap::hints(context) {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            key,
            Style::default().add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::styled(
            format!(" {hint}"),
            Style::default().fg(palette.dim),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub(super) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

/// The model's reasoning over the answer pane: dim, apart from the answer, its end in view
/// (the newest thought) unless scrolled back.
pub fn reasoning(frame: &mut Frame, over: Rect, state: &State, palette: &Palette) {
    let Some(attempt) = state.shown_attempt() else {
        return;
    };
    frame.render_widget(Clear, over);
    let block = pane(
        format!(
            " Reasoning · attempt {} · not part of the answer ",
            attempt.number
        ),
        true,
        palette,
    );
    let inner = block.inner(over);
    frame.render_widget(block, over);
    let width = inner.width.max(1) as usize;
    let room = inner.height as usize;
    let dim = Style::default().fg(palette.dim);
    let rows_of = |text: &str| {
        unicode_width::UnicodeWidthStr::width(text)
            .div_ceil(width)
            .max(1)
    };
    let lines: Vec<Line> = if attempt.reasoning.is_empty() {
        vec![Line::styled("The model has not shown any reasoning.", dim)]
    } else {
        // The newest thought at the bottom, `reasoning_scroll` lines back from the end: only
        // the lines that fit are made (the text was sanitized when it arrived).
        let mut rows = 0;
        let mut tail: Vec<Line> = attempt
            .reasoning
            .lines()
            .rev()
            .skip(state.reasoning_scroll)
            .take_while(|l| {
                let fits = rows < room;
                rows += rows_of(l);
                fits
            })
            .map(|l| Line::styled(l.to_string(), dim))
            .collect();
        tail.reverse();
        tail
    };
    // A first line taller than what is left shows its end.
    let used: usize = lines.iter().map(|l| l.width().div_ceil(width).max(1)).sum();
    let top = used.saturating_sub(room);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((top.min(u16::MAX as usize) as u16, 0)),
        inner,
    );
}

/// The numbered list of the answer's code blocks: language, section, first line, line count.
pub fn block_list(
    frame: &mut Frame,
    over: Rect,
    state: &State,
    selected: usize,
    palette: &Palette,
) {
    let Some(attempt) = state.shown_attempt() else {
        return;
    };
    let blocks = attempt.doc.code_blocks();
    let names = crate::review::blocks::file_names(blocks);
    let height = (blocks.len() as u16 * 2 + 2).min(over.height);
    let area = centered(over, over.width.saturating_sub(2), height);
    frame.render_widget(Clear, area);
    let block = pane(format!(" Code blocks · {} ", blocks.len()), true, palette);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows_each = 2usize;
    let room = (inner.height as usize / rows_each).max(1);
    let first = selected.saturating_sub(room - 1);
    let mut lines = Vec::new();
    for (i, (b, name)) in blocks.iter().zip(&names).enumerate().skip(first).take(room) {
        let style = if i == selected {
            Style::default()
                .fg(palette.selected_fg)
                .bg(palette.selected_bg)
        } else {
            Style::default()
        };
        let lang = if b.lang.is_empty() {
            "text"
        } else {
            b.lang.as_str()
        };
        let section = b
            .section
            .as_deref()
            .map(|s| sanitize_line(s).into_owned())
            .unwrap_or_else(|| "(no section)".into());
        lines.push(Line::from(vec![
            Span::styled(format!("{:>2} ", i + 1), style.add_modifier(Modifier::BOLD)),
            Span::styled(
                format!("{lang:<10} "),
                style.fg(if i == selected {
                    palette.selected_fg
                } else {
                    palette.candidate
                }),
            ),
            Span::styled(
                format!(
                    "{section} · {} line{} · {name}",
                    b.line_count(),
                    if b.line_count() == 1 { "" } else { "s" }
                ),
                style,
            ),
        ]));
        lines.push(Line::from(Span::styled(
            format!("    {}", sanitize_line(b.first_line())),
            Style::default().fg(palette.dim),
        )));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The editor of the brief the next role receives, over the answer.
pub fn payload(frame: &mut Frame, over: Rect, state: &State, palette: &Palette) {
    let area = centered(
        over,
        over.width.saturating_sub(2),
        over.height.saturating_sub(1).max(6),
    );
    frame.render_widget(Clear, area);
    let block = pane(
        " Brief for the next role · Ctrl-S keeps · Ctrl-R restores the composed one · Esc closes "
            .into(),
        true,
        palette,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(&state.review.payload_editor, inner);
}

pub fn feedback(frame: &mut Frame, over: Rect, state: &State, palette: &Palette) {
    let area = centered(
        over,
        over.width.saturating_sub(4),
        over.height.saturating_sub(2).max(6),
    );
    frame.render_widget(Clear, area);
    let block = pane(
        format!(
            " Feedback for attempt {} · Ctrl-S sends · Esc closes ",
            state.attempts.len() + 1
        ),
        true,
        palette,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(&state.review.feedback, inner);
}

/// Rows of one help section wrapped to `width`, descriptions hanging under their own column.
fn help_section(context: Context, width: u16, palette: &Palette) -> Vec<Line<'static>> {
    const KEYS: usize = 16;
    let entry = |keys: String, description: &'static str| RenderedLine {
        line: Line::from(vec![
            Span::styled(
                format!("  {keys:<width$} ", width = KEYS - 3),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::raw(description),
        ]),
        kind: LineKind::Prose,
        hang: KEYS as u16,
    };
    let mut entries = Vec::new();
    if context == Context::Routes {
        entries.push(entry(DIGIT_HELP.0.to_string(), DIGIT_HELP.1));
    }
    for b in crate::keybindings::table()
        .iter()
        .filter(|b| b.context == context)
    {
        let keys: Vec<String> = b.keys.iter().map(|k| k.label()).collect();
        entries.push(entry(keys.join("/"), b.description));
    }
    let mut lines = vec![Line::from(Span::styled(
        context.title(),
        Style::default()
            .fg(palette.focus)
            .add_modifier(Modifier::BOLD),
    ))];
    for e in &entries {
        lines.extend(wrap(e, width));
    }
    lines
}

/// Every binding, section by section, wrapped to `width`.
pub fn help_lines(width: u16, palette: &Palette) -> Vec<Line<'static>> {
    const CONTEXTS: [Context; 13] = [
        Context::Global,
        Context::Brief,
        Context::Answer,
        Context::Outline,
        Context::Routes,
        Context::Feedback,
        Context::Payload,
        Context::Prompt,
        Context::Blocks,
        Context::Reasoning,
        Context::Picker,
        Context::History,
        Context::HistoryView,
    ];
    CONTEXTS
        .iter()
        .flat_map(|c| help_section(*c, width, palette))
        .collect()
}

/// The width of the help overlay's text on a screen `screen_width` wide.
pub fn help_width(screen_width: u16) -> u16 {
    screen_width.min(78).saturating_sub(2)
}

pub fn help(frame: &mut Frame, screen: Rect, scroll: usize, palette: &Palette) {
    let width = help_width(screen.width);
    let lines = help_lines(width, palette);
    let height = (lines.len() as u16 + 2).min(screen.height);
    let area = centered(screen, width + 2, height);
    frame.render_widget(Clear, area);
    let rows = height.saturating_sub(2) as usize;
    let scroll = scroll.min(lines.len().saturating_sub(rows));
    let title = if lines.len() > rows {
        " Keys · ↑↓ PgUp PgDn scroll · any other key closes "
    } else {
        " Keys · any key closes "
    };
    let block = pane(title.into(), true, palette);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(
        Paragraph::new(lines.into_iter().skip(scroll).collect::<Vec<_>>()),
        inner,
    );
}
