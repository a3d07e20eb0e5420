//! The review: the routes the agent offered with the decision, and the editors of the feedback
//! and of the next role's brief.

use super::panes::{centered, pane};
use crate::routing::decision::DecisionStatus;
use crate::sanitize::sanitize_line;
use crate::screen::theme::Palette;
use crate::state::{Focus, HandoffStatus, Phase, State};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

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
    if let Some(line) = check_line(state, palette) {
        lines.push(Line::from(""));
        lines.push(line);
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
            HandoffStatus::Queued { target } => {
                lines.push(Line::from(Span::styled(
                    sanitize_line(&format!("⧗ Approved: to {target}")).into_owned(),
                    Style::default()
                        .fg(palette.info)
                        .add_modifier(Modifier::BOLD),
                )));
                lines.push(Line::from(Span::styled(
                    "waits here until the team store answers",
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
    let mut block = pane(
        format!(
            " Feedback for attempt {} · Ctrl-S sends · Esc closes ",
            state.attempts.len() + 1
        ),
        true,
        palette,
    );
    // What goes with the free text, so the reviewer knows it is not lost.
    let comments = state.latest().map_or(0, |a| a.comments.len());
    let unmet = state
        .review
        .checklist
        .iter()
        .filter(|i| i.mark == crate::review::checklist::Mark::NotMet)
        .count();
    if comments + unmet > 0 {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        block = block.title_bottom(Line::from(Span::styled(
            format!(
                " sent with it: {}, {} (quoted) ",
                plural(comments, "comment", "comments"),
                plural(unmet, "requirement not met", "requirements not met")
            ),
            Style::default().fg(palette.info),
        )));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(&state.review.feedback, inner);
}

/// `SQL: 31 statements · 29 applied · 2 errors · 5 warnings`, coloured by the worst finding.
fn check_line(state: &State, palette: &Palette) -> Option<Line<'static>> {
    use crate::state::checks::SqlCheck;
    let (text, colour) = match state.latest()?.check.as_ref()? {
        SqlCheck::Running { total: 0, .. } => ("SQL: checking…".to_string(), palette.info),
        SqlCheck::Running { done, total, .. } => (
            format!("SQL: checking… {done} of {total} statements"),
            palette.info,
        ),
        SqlCheck::Done(report) if report.statements == 0 && report.skipped.is_empty() => {
            ("SQL: none in this answer".to_string(), palette.dim)
        }
        SqlCheck::Done(report) => {
            let colour = if !report.errors.is_empty() {
                palette.error
            } else if report.not_applied.is_some() || report.warnings() > 0 {
                palette.warning
            } else {
                palette.success
            };
            (format!("{} (!)", report.summary()), colour)
        }
    };
    Some(Line::from(Span::styled(text, Style::default().fg(colour))))
}
