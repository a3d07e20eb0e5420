//! The history screen: the list of runs, one run opened, or two compared side by side. Text from
//! the store is model output and briefs: every line passes through the sanitizer.

use crate::review::compare::Change;
use crate::sanitize::sanitize_line;
use crate::screen::theme::Palette;
use crate::state::history::{History, HistoryView};
use crate::store::outcomes::OutcomeKind;
use crate::store::sessions::RunDetail;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;
use unicode_width::UnicodeWidthChar;

pub fn draw(frame: &mut Frame, area: Rect, history: &History, palette: &Palette) {
    frame.render_widget(Clear, area);
    match &history.view {
        HistoryView::List => list(frame, area, history, palette),
        HistoryView::Run { run, doc, scroll } => {
            let header = header_lines(run, palette);
            let body = doc.committed();
            let title = format!(
                " Run #{} · {} · attempt {} · {} ",
                run.id, run.role_id, run.attempt, run.status
            );
            let block = frame_block(title, palette);
            let inner = block.inner(area);
            // Only the lines on screen are cloned and wrapped: `scroll` counts source lines, so
            // a long answer costs no more per frame than a short one.
            let total = header.len() + body.len();
            let first = (*scroll).min(total.saturating_sub(inner.height as usize));
            let width = inner.width.max(1) as usize;
            let mut rows = 0;
            let visible: Vec<Line> = header
                .iter()
                .chain(body.iter().map(|l| &l.line))
                .skip(first)
                .take_while(|line| {
                    let fits = rows < inner.height as usize;
                    rows += line.width().div_ceil(width).max(1);
                    fits
                })
                .cloned()
                .collect();
            frame.render_widget(
                Paragraph::new(visible)
                    .wrap(Wrap { trim: false })
                    .block(block),
                area,
            );
        }
        HistoryView::Compare {
            left,
            right,
            rows,
            counts,
            scroll,
        } => {
            let title = format!(
                " #{} ↔ #{} · {} changed, {} only left, {} only right ",
                left.id, right.id, counts.changed, counts.removed, counts.added
            );
            let block = frame_block(title, palette);
            let inner = block.inner(area);
            frame.render_widget(block, area);
            let half = inner.width.saturating_sub(1) / 2;
            let height = inner.height as usize;
            let top = (*scroll).min(rows.len().saturating_sub(height.saturating_sub(1)));
            let mut lines = vec![Line::from(vec![
                Span::styled(
                    fit(
                        &format!("#{} {} · {}", left.id, left.model, left.started_at),
                        half as usize,
                    ),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                Span::raw("│"),
                Span::styled(
                    fit(
                        &format!("#{} {} · {}", right.id, right.model, right.started_at),
                        half as usize,
                    ),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
            ])];
            for row in rows.iter().skip(top).take(height.saturating_sub(1)) {
                let (mark, left_style, right_style) = match row.change {
                    Change::Same => (' ', Style::default(), Style::default()),
                    Change::Removed => ('-', Style::default().fg(palette.error), Style::default()),
                    Change::Added => ('+', Style::default(), Style::default().fg(palette.success)),
                    Change::Changed => (
                        '~',
                        Style::default().fg(palette.warning),
                        Style::default().fg(palette.warning),
                    ),
                };
                let side = |text: &Option<String>, style: Style| match text {
                    Some(t) => Span::styled(
                        fit(&format!("{mark}{}", sanitize_line(t)), half as usize),
                        style,
                    ),
                    None => Span::styled(fit("", half as usize), Style::default().fg(palette.dim)),
                };
                lines.push(Line::from(vec![
                    side(&row.left, left_style),
                    Span::styled("│", Style::default().fg(palette.border)),
                    side(&row.right, right_style),
                ]));
            }
            frame.render_widget(Paragraph::new(lines), inner);
        }
    }
}

fn frame_block(title: String, palette: &Palette) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(palette.focus))
        .title(Span::styled(
            title,
            Style::default()
                .fg(palette.title)
                .add_modifier(Modifier::BOLD),
        ))
}

fn list(frame: &mut Frame, area: Rect, history: &History, palette: &Palette) {
    let title = match &history.query {
        Some(q) => format!(
            " History · {} run{} matching \"{}\" ",
            history.rows.len(),
            if history.rows.len() == 1 { "" } else { "s" },
            sanitize_line(q)
        ),
        None => format!(
            " History · {} run{} ",
            history.rows.len(),
            if history.rows.len() == 1 { "" } else { "s" }
        ),
    };
    let block = frame_block(title, palette);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let dim = Style::default().fg(palette.dim);
    if !history.loaded {
        frame.render_widget(
            Paragraph::new(Line::styled(" Reading the session store…", dim)),
            inner,
        );
        return;
    }
    if history.rows.is_empty() {
        let text = match &history.query {
            Some(_) => " No run mentions all of these words. / searches again; Esc closes.",
            None => {
                " No runs kept yet: every run of the workbench or of `archbench run` is kept here."
            }
        };
        frame.render_widget(
            Paragraph::new(Line::styled(text, dim)).wrap(Wrap { trim: false }),
            inner,
        );
        return;
    }
    let room = inner.height as usize;
    let first = history.selected.saturating_sub(room.saturating_sub(1));
    let columns = Columns::fit(history, inner.width as usize);
    let mut lines = Vec::new();
    for (i, row) in history.rows.iter().enumerate().skip(first).take(room) {
        let selected = i == history.selected;
        let style = if selected {
            Style::default()
                .fg(palette.selected_fg)
                .bg(palette.selected_bg)
        } else {
            Style::default()
        };
        let mark = match (selected, history.marked == Some(row.id)) {
            (_, true) => "◆",
            (true, false) => "▸",
            _ => " ",
        };
        let started: String = row.started_at.replace('T', " ").chars().take(16).collect();
        let state = row.state();
        let status_style = match (&row.outcome, row.status.as_str()) {
            (Some(o), _) if o.kind == OutcomeKind::HandedOff => {
                Style::default().fg(palette.success)
            }
            (_, "complete" | "running") => Style::default().fg(palette.info),
            _ => Style::default().fg(palette.warning),
        };
        let fixed = format!(
            "{mark}#{:<4} {started}  {} {:>2} ",
            row.id,
            fit(&row.role_id, columns.role),
            row.attempt
        );
        let status = format!("{} ", fit(&sanitize_line(&state), columns.state));
        let used = fixed.chars().count() + status.chars().count();
        let rest = (inner.width as usize).saturating_sub(used);
        lines.push(Line::from(vec![
            Span::styled(fixed, style),
            Span::styled(status, if selected { style } else { status_style }),
            Span::styled(fit(&sanitize_line(&row.brief_first_line), rest), style),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The widths of the list's role and outcome columns: as wide as their longest entry, narrowed
/// (the outcome first) so that the brief keeps some room.
struct Columns {
    role: usize,
    state: usize,
}

impl Columns {
    /// Columns besides these two: mark, id, start time, attempt and their gaps.
    const FIXED: usize = 33;
    /// The least the brief keeps.
    const BRIEF: usize = 16;

    fn fit(history: &History, width: usize) -> Self {
        let longest = |w: &dyn Fn(&crate::store::sessions::RunSummary) -> usize| {
            history.rows.iter().map(w).max().unwrap_or(0)
        };
        let mut role = longest(&|r| r.role_id.chars().count()).clamp(4, 30);
        let mut state = longest(&|r| r.state().chars().count()).clamp(7, 36);
        let room = width.saturating_sub(Self::FIXED + Self::BRIEF);
        if role + state > room {
            state = state.min(room.saturating_sub(role).max(10));
        }
        if role + state > room {
            role = room.saturating_sub(state).max(8);
        }
        Self { role, state }
    }
}

/// What ran, and the brief, above the answer of an opened run.
fn header_lines(run: &RunDetail, palette: &Palette) -> Vec<Line<'static>> {
    let label = Style::default().fg(palette.dim);
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<10}"), label),
            Span::raw(sanitize_line(&value).into_owned()),
        ])
    };
    let provider = run
        .provider
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or("?")
        .to_string();
    let mut lines = vec![
        field("started", run.started_at.clone()),
        field("model", format!("{provider}: {}", run.model)),
        field("params", run.parameters.to_string()),
    ];
    if let (Some(p), Some(c)) = (run.prompt_tokens, run.completion_tokens) {
        lines.push(field("tokens", format!("{p} in, {c} out")));
    }
    if let Some(status) = run
        .decision
        .as_ref()
        .and_then(|d| d.get("status"))
        .and_then(|s| s.as_str())
    {
        lines.push(field("decision", status.to_string()));
    }
    match &run.outcome {
        Some(outcome) => lines.push(field(
            "outcome",
            format!(
                "{} by {} at {}",
                outcome.label(),
                outcome.reviewer,
                outcome.at
            ),
        )),
        None => lines.push(field("outcome", run.state())),
    }
    if let Some(envelope) = &run.envelope_id {
        lines.push(field("envelope", envelope.clone()));
    }
    if let Some(check) = run.events.iter().rev().find(|e| e.kind == "sql_checked") {
        lines.push(field("sql", sql_check_line(&check.data)));
    }
    if let Some(feedback) = &run.feedback {
        lines.push(field("feedback", feedback.clone()));
    }
    let comments =
        crate::review::comments::standing(run.events.iter().map(|e| (e.kind.as_str(), &e.data)));
    for (i, c) in comments.iter().enumerate() {
        let name = if i == 0 { "comments" } else { "" };
        let text = c.text.lines().collect::<Vec<_>>().join(" ");
        lines.push(field(
            name,
            format!("{} · {}: {text}", c.anchor.label(), c.author),
        ));
    }
    lines.push(Line::styled("brief", label));
    for line in run.brief.lines() {
        lines.push(Line::raw(format!("  {}", sanitize_line(line))));
    }
    lines.push(Line::styled(
        "─".repeat(40),
        Style::default().fg(palette.border),
    ));
    lines
}

/// `text` cut or padded to exactly `width` columns.
fn fit(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out.extend(std::iter::repeat_n(' ', width - used));
    out
}

/// The SQL check recorded for a run, as one line: `3 statements · 2 applied · 1 error ·
/// 1 warning on PostgreSQL 15.8` (or why it was not applied).
fn sql_check_line(data: &serde_json::Value) -> String {
    use crate::check::report::plural;
    let n = |key: &str| data.get(key).and_then(|v| v.as_u64()).unwrap_or(0) as usize;
    let counts = format!(
        "{} · {} applied · {} · {}",
        plural(n("statements"), "statement"),
        n("applied"),
        plural(n("errors"), "error"),
        plural(n("warnings"), "warning")
    );
    match (
        data.get("server").and_then(|v| v.as_str()),
        data.get("not_applied").and_then(|v| v.as_str()),
    ) {
        (_, Some(why)) => format!("{counts}; not applied: {why}"),
        (Some(server), None) => format!("{counts} on {server}"),
        (None, None) => counts,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_recorded_sql_check_reads_as_one_line() {
        let data = serde_json::json!({
            "server": "PostgreSQL 15.18", "statements": 3, "applied": 2, "errors": 1, "warnings": 1,
            "not_applied": null,
        });
        assert_eq!(
            super::sql_check_line(&data),
            "3 statements · 2 applied · 1 error · 1 warning on PostgreSQL 15.18"
        );
        let data = serde_json::json!({ "statements": 3, "not_applied": "no server" });
        assert_eq!(
            super::sql_check_line(&data),
            "3 statements · 0 applied · 0 errors · 0 warnings; not applied: no server"
        );
    }
}
