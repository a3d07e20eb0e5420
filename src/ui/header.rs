//! The top line: where the work is (role, or the chain so far), which provider and model run it
//! with which parameters, and how the run went — time to first token, tokens a second, tokens
//! in and out, and what it cost when a price is configured. What does not fit is left out, the
//! least useful first.

use crate::screen::theme::Palette;
use crate::state::{Attempt, State};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, palette: &Palette) {
    let s = &state.session;
    let attempt = match state.attempts.len() {
        0 => String::new(),
        n => format!(" · attempt {}/{n}", state.shown + 1),
    };
    // A chain shows its roles so far; a single step shows the role's title.
    let place = if s.chain.depth() > 1 {
        s.chain.breadcrumb.join(" → ")
    } else {
        s.role.title.clone()
    };
    let left = crate::sanitize::sanitize_line(&format!(
        " archbench · {place} · {}: {}{attempt}",
        s.provider.kind, s.provider.model
    ))
    .into_owned();
    let mut room = (area.width as usize).saturating_sub(left.width() + 2);
    let mut right: Vec<String> = Vec::new();
    for part in segments(state) {
        let cost = part.width() + 3;
        if cost <= room {
            room -= cost;
            right.push(part);
        }
    }
    let style = Style::default()
        .bg(palette.header_bg)
        .fg(palette.title)
        .add_modifier(Modifier::BOLD);
    frame.render_widget(Paragraph::new(left).style(style), area);
    if !right.is_empty() {
        let text = format!("{} ", right.join(" · "));
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(
                text,
                Style::default().bg(palette.header_bg).fg(palette.dim),
            )))
            .right_aligned(),
            area,
        );
    }
}

/// The right side's parts, most useful first: the run's figures, then the parameters.
pub fn segments(state: &State) -> Vec<String> {
    let mut out = Vec::new();
    if state.pending_deliveries > 0 {
        out.push(format!(
            "⚠ {} delivery pending: archbench outbox retry",
            state.pending_deliveries
        ));
    }
    if let Some(attempt) = state.shown_attempt() {
        out.extend(figures(attempt, state));
    }
    let p = &state.session.params;
    let mut params = Vec::new();
    if let Some(t) = p.temperature {
        params.push(format!("temp {t}"));
    }
    if let Some(n) = p.max_tokens {
        params.push(format!("max {n}"));
    }
    if let Some(seed) = p.seed {
        params.push(format!("seed {seed}"));
    }
    if !p.stop.is_empty() {
        params.push(format!("{} stop", p.stop.len()));
    }
    if !params.is_empty() {
        out.push(params.join(" "));
    }
    out
}

/// Time to first token, tokens a second, tokens in and out, cost.
fn figures(attempt: &Attempt, state: &State) -> Vec<String> {
    let mut out = Vec::new();
    let Some(first) = attempt.first_token_at else {
        return out;
    };
    let ttft = (first - attempt.started_at).num_milliseconds().max(0) as f64 / 1000.0;
    out.push(format!("first token {ttft:.1} s"));
    let end = attempt.completed_at.unwrap_or(state.now);
    let secs = (end - first).num_milliseconds() as f64 / 1000.0;
    let produced = attempt
        .usage
        .map(|u| u.completion_tokens)
        .filter(|_| attempt.completed_at.is_some())
        .unwrap_or(attempt.pieces);
    if secs > 0.05 && produced > 0 {
        out.push(format!("{:.0} tok/s", f64::from(produced) / secs));
    }
    if let Some(usage) = attempt.usage {
        out.push(format!(
            "{} in · {} out",
            usage.prompt_tokens, usage.completion_tokens
        ));
        if let Some(price) = state.session.price {
            let cost = price.input * f64::from(usage.prompt_tokens) / 1e6
                + price.output * f64::from(usage.completion_tokens) / 1e6;
            out.push(format!("cost ≈ {cost:.4}"));
        }
    }
    out
}
