//! The panes of the workbench screen.

use crate::keymap;
use crate::provider::FinishReason;
use crate::sanitize::sanitize_line;
use crate::screen::theme::Palette;
use crate::state::{Focus, NoticeLevel, Phase, State};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};
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

pub(super) fn phase_label(phase: &Phase) -> (String, Option<NoticeLevel>) {
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
