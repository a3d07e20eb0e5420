//! The help overlay's text: every binding in force, section by section, generated from the key
//! table so it cannot drift from what the keys do.

use super::theme::Palette;
use crate::keymap::{Context, DIGIT_HELP};
use crate::render::wrap::wrap;
use crate::render::{LineKind, RenderedLine};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

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
    for b in crate::keymap::table()
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
    const CONTEXTS: [Context; 21] = [
        Context::Global,
        Context::Brief,
        Context::Answer,
        Context::Outline,
        Context::Routes,
        Context::Feedback,
        Context::Payload,
        Context::Prompt,
        Context::Blocks,
        Context::Checks,
        Context::Diff,
        Context::Schema,
        Context::Plans,
        Context::Marking,
        Context::Comments,
        Context::Checklist,
        Context::Reasoning,
        Context::Picker,
        Context::History,
        Context::HistoryView,
        Context::Inbox,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keymap::{name, table, Key};

    /// The help overlay's text with its wrapping undone.
    fn help_text() -> String {
        let lines = help_lines(100, &Palette::dark());
        let text: Vec<String> = lines
            .iter()
            .map(|l| {
                l.spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect::<String>()
            })
            .collect();
        text.join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn the_help_overlay_lists_every_binding_with_its_keys() {
        let help = help_text();
        for binding in table() {
            let keys: Vec<String> = binding.keys.iter().map(Key::label).collect();
            let entry = format!(
                "{} {}",
                keys.join("/"),
                binding
                    .description
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            assert!(
                help.contains(&entry),
                "{} is missing from the help: `{entry}`",
                name(binding)
            );
        }
    }
}
