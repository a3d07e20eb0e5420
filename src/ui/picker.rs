//! The model picker over the answer pane: profiles first, then what the server lists.

use crate::sanitize::sanitize_line;
use crate::screen::theme::Palette;
use crate::state::picker::{describe, Origin, Picker};
use crate::state::State;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

pub fn draw(frame: &mut Frame, over: Rect, picker: &Picker, state: &State, palette: &Palette) {
    let height = (picker.entries.len() as u16 + 4).min(over.height).max(5);
    let area = Rect::new(over.x, over.y, over.width, height);
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(palette.focus))
        .title(Span::styled(
            " Model for the next run ",
            Style::default()
                .fg(palette.title)
                .add_modifier(Modifier::BOLD),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let current = state.models.current.as_ref();
    let dim = Style::default().fg(palette.dim);
    let mut lines = Vec::new();
    let room = (inner.height as usize).saturating_sub(1).max(1);
    let first = picker.selected.saturating_sub(room - 1);
    for (i, entry) in picker.entries.iter().enumerate().skip(first).take(room) {
        let chosen = i == picker.selected;
        let style = if chosen {
            Style::default()
                .fg(palette.selected_fg)
                .bg(palette.selected_bg)
        } else {
            Style::default()
        };
        let mark = if Some(&entry.choice) == current {
            "●"
        } else {
            " "
        };
        let origin = match &entry.origin {
            Origin::Profile(name) => format!("profile {name}"),
            Origin::Listed => "listed".to_string(),
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{}{mark} {origin:<20} ", if chosen { "▸" } else { " " }),
                style,
            ),
            Span::styled(sanitize_line(&entry.describe()).into_owned(), style),
        ]));
    }
    let status = match (&picker.list_error, picker.listing, current) {
        (Some(e), _, _) => format!("The server's list could not be had: {e}"),
        (None, true, _) => "Asking the server for its models…".to_string(),
        (None, false, Some(c)) if picker.entries.is_empty() => {
            format!("No profiles and no list from {}.", describe(c))
        }
        _ => "● in use now · Enter uses the chosen one for the next run".to_string(),
    };
    lines.push(Line::styled(sanitize_line(&status).into_owned(), dim));
    frame.render_widget(Paragraph::new(lines), inner);
}
