//! What opens over the panes: the model's reasoning, the list of code blocks, the help.

use super::panes::{centered, pane};
use crate::sanitize::sanitize_line;
use crate::screen::help::{help_lines, help_width};
use crate::screen::theme::Palette;
use crate::state::State;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

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

/// The SQL check's findings, one a row: errors, extensions the server lacks, lints, what was
/// not checked; the server and the summary in the title.
pub fn check_list(
    frame: &mut Frame,
    over: Rect,
    state: &State,
    selected: usize,
    palette: &Palette,
) {
    use crate::check::Severity;
    let Some(report) = crate::state::checks::report_of(state) else {
        return;
    };
    let findings = crate::state::checks::findings(report);
    let server = report.server.as_deref().unwrap_or("not applied");
    let header = match &report.not_applied {
        Some(why) => Line::from(Span::styled(
            format!("not applied: {}", sanitize_line(why)),
            Style::default().fg(palette.warning),
        )),
        None => Line::from(Span::styled(
            "Enter shows the line · C checks again · Esc closes",
            Style::default().fg(palette.dim),
        )),
    };
    let row = |i: usize| {
        let row = &findings[i];
        let (mark, colour) = match row.level {
            _ if row.header => ("▸", palette.info),
            Severity::Error => ("  ✗", palette.error),
            Severity::Warning => ("  !", palette.warning),
            Severity::Info => ("  ·", palette.dim),
        };
        let style = match (i == selected, row.header) {
            (true, _) => Style::default()
                .fg(palette.selected_fg)
                .bg(palette.selected_bg),
            (false, true) => Style::default().add_modifier(Modifier::BOLD),
            (false, false) => Style::default(),
        };
        Line::from(vec![
            Span::styled(
                format!(" {mark} "),
                style.fg(if i == selected {
                    palette.selected_fg
                } else {
                    colour
                }),
            ),
            Span::styled(sanitize_line(&row.text).into_owned(), style),
        ])
    };
    list_overlay(
        frame,
        over,
        ListHead {
            title: format!(" {} · {} ", report.summary(), sanitize_line(server)),
            first: header,
        },
        findings.len(),
        row,
        selected,
        palette,
    );
}

/// A list over the answer pane: its head, then the rows (the selected one in view and marked),
/// made by `row` from their index.
/// A list overlay's title and first line (the keys, or what is wrong).
struct ListHead {
    title: String,
    first: Line<'static>,
}

fn list_overlay(
    frame: &mut Frame,
    over: Rect,
    head: ListHead,
    count: usize,
    row: impl Fn(usize) -> Line<'static>,
    selected: usize,
    palette: &Palette,
) {
    let height = (count as u16 + 3).min(over.height);
    let area = centered(over, over.width.saturating_sub(2), height);
    frame.render_widget(Clear, area);
    let block = pane(head.title, true, palette);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let room = (inner.height as usize).saturating_sub(1).max(1);
    let first = selected.saturating_sub(room - 1);
    let mut lines = vec![head.first];
    // Only the rows in view are made.
    lines.extend((first..count).take(room).map(|i| {
        if i == selected {
            row(i).style(
                Style::default()
                    .fg(palette.selected_fg)
                    .bg(palette.selected_bg),
            )
        } else {
            row(i)
        }
    }));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The comments on the attempt on screen: where, who, what.
pub fn comments(frame: &mut Frame, over: Rect, state: &State, selected: usize, palette: &Palette) {
    let Some(attempt) = state.shown_attempt() else {
        return;
    };
    let row = |i: usize| {
        let c = &attempt.comments[i];
        Line::from(vec![
            Span::styled(
                format!(" ✎ {} ", c.anchor.label()),
                Style::default().fg(palette.info),
            ),
            Span::styled(
                format!("{}: ", sanitize_line(&c.author)),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::raw(sanitize_line(&c.text).into_owned()),
        ])
    };
    let title = format!(
        " Comments on attempt {} · {} ",
        attempt.number,
        attempt.comments.len()
    );
    list_overlay(
        frame,
        over,
        ListHead {
            title,
            first: Line::styled(
                "Enter shows the line · d deletes · r sends them with a revision · Esc closes",
                Style::default().fg(palette.dim),
            ),
        },
        attempt.comments.len(),
        row,
        selected,
        palette,
    );
}

/// The brief's checklist: each requirement with its mark.
pub fn checklist(frame: &mut Frame, over: Rect, state: &State, selected: usize, palette: &Palette) {
    use crate::review::checklist::{summary, Mark};
    let items = &state.review.checklist;
    let row = |i: usize| {
        let Some(item) = items.get(i) else {
            return Line::from(Span::styled(
                " The brief has no list items: a adds a requirement.",
                Style::default().fg(palette.dim),
            ));
        };
        let colour = match item.mark {
            Mark::Met => palette.success,
            Mark::NotMet => palette.error,
            Mark::NotApplicable | Mark::Open => palette.dim,
        };
        let mut spans = vec![
            Span::styled(
                format!(" {} ", item.mark.symbol()),
                Style::default().fg(colour),
            ),
            Span::raw(sanitize_line(&item.text).into_owned()),
        ];
        if item.added {
            spans.push(Span::styled(" (added)", Style::default().fg(palette.dim)));
        }
        Line::from(spans)
    };
    list_overlay(
        frame,
        over,
        ListHead {
            title: format!(" {} ", summary(items)),
            first: Line::styled(
                "y met · n not met · - n/a · space open · e edit · a add · d delete · Esc closes",
                Style::default().fg(palette.dim),
            ),
        },
        // An empty list still has its row saying how to add one.
        items.len().max(1),
        row,
        selected,
        palette,
    );
}
