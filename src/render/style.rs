//! The styles the markdown renderer uses, kept apart from the UI theme so rendering can be
//! tested and benchmarked on its own.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, PartialEq)]
pub struct MdStyles {
    pub heading: [Style; 3],
    pub emphasis: Style,
    pub strong: Style,
    pub code_inline: Style,
    pub code_frame: Style,
    pub link: Style,
    pub quote: Style,
    pub bullet: Style,
    pub rule: Style,
    pub table_header: Style,
    pub table_frame: Style,
    pub strike: Style,
}

impl Default for MdStyles {
    fn default() -> Self {
        Self {
            heading: [
                Style::new()
                    .fg(Color::LightCyan)
                    .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                Style::new()
                    .fg(Color::LightCyan)
                    .add_modifier(Modifier::BOLD),
                Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            ],
            emphasis: Style::new().add_modifier(Modifier::ITALIC),
            strong: Style::new().add_modifier(Modifier::BOLD),
            code_inline: Style::new().fg(Color::Yellow),
            code_frame: Style::new().fg(Color::DarkGray),
            link: Style::new()
                .fg(Color::LightBlue)
                .add_modifier(Modifier::UNDERLINED),
            quote: Style::new().fg(Color::Gray).add_modifier(Modifier::ITALIC),
            bullet: Style::new().fg(Color::LightYellow),
            rule: Style::new().fg(Color::DarkGray),
            table_header: Style::new().add_modifier(Modifier::BOLD),
            table_frame: Style::new().fg(Color::DarkGray),
            strike: Style::new().add_modifier(Modifier::CROSSED_OUT),
        }
    }
}
