//! Wrapping one rendered line to a width: prose at spaces, code and tables hard, continuation
//! rows indented by the line's hang.

use super::line::{LineKind, RenderedLine};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

/// The rows `line` takes at `width` columns.
pub fn wrap(line: &RenderedLine, width: u16) -> Vec<Line<'static>> {
    let width = width as usize;
    if line.kind == LineKind::Rule {
        let style = line.line.spans.first().map(|s| s.style).unwrap_or_default();
        return vec![Line::from(Span::styled("─".repeat(width), style))];
    }
    let cells: Vec<(char, Style, usize)> = line
        .line
        .spans
        .iter()
        .flat_map(|s| {
            s.content
                .chars()
                .map(move |c| (c, s.style, c.width().unwrap_or(0)))
        })
        .collect();
    let total: usize = cells.iter().map(|c| c.2).sum();
    if width == 0 || total <= width {
        return vec![line.line.clone()];
    }
    let hang = if (line.hang as usize) * 2 < width {
        line.hang as usize
    } else {
        0
    };
    let soft = matches!(line.kind, LineKind::Prose | LineKind::Heading(_));
    let mut rows = Vec::new();
    let mut start = 0;
    let mut first = true;
    while start < cells.len() {
        let avail = if first { width } else { width - hang };
        let mut col = 0;
        let mut i = start;
        let mut last_space = None;
        while i < cells.len() {
            let w = cells[i].2;
            if col + w > avail && col > 0 {
                break;
            }
            if cells[i].0 == ' ' {
                last_space = Some(i);
            }
            col += w;
            i += 1;
        }
        // Breaking where the overflowing character is itself a space keeps the whole last word.
        let overflow_is_space = i < cells.len() && cells[i].0 == ' ';
        let end = match last_space {
            Some(space) if soft && i < cells.len() && !overflow_is_space && space > start => {
                space + 1
            }
            _ => i.max(start + 1),
        };
        let mut spans: Vec<Span<'static>> = Vec::new();
        if !first && hang > 0 {
            spans.push(Span::raw(" ".repeat(hang)));
        }
        push_cells(&mut spans, &cells[start..end], soft);
        rows.push(Line::from(spans));
        start = end;
        if soft {
            while start < cells.len() && cells[start].0 == ' ' {
                start += 1;
            }
        }
        first = false;
    }
    rows
}

/// Number of rows `line` takes at `width`, without keeping them.
pub fn height(line: &RenderedLine, width: u16) -> usize {
    let fits = line.line.width() <= width as usize || line.kind == LineKind::Rule;
    if fits {
        1
    } else {
        wrap(line, width).len()
    }
}

fn push_cells(spans: &mut Vec<Span<'static>>, cells: &[(char, Style, usize)], trim_end: bool) {
    let mut cells = cells;
    if trim_end {
        while let Some(((' ', _, _), rest)) = cells.split_last() {
            cells = rest;
        }
    }
    let mut text = String::new();
    let mut style: Option<Style> = None;
    for (c, s, _) in cells {
        if style != Some(*s) {
            if let Some(prev) = style {
                spans.push(Span::styled(std::mem::take(&mut text), prev));
            }
            style = Some(*s);
        }
        text.push(*c);
    }
    if let Some(prev) = style {
        spans.push(Span::styled(text, prev));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prose(text: &str, hang: u16) -> RenderedLine {
        RenderedLine {
            line: Line::from(text.to_string()),
            kind: LineKind::Prose,
            hang,
        }
    }

    fn texts(rows: &[Line]) -> Vec<String> {
        rows.iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn prose_wraps_at_spaces_with_hang() {
        let rows = wrap(&prose("• alpha beta gamma delta", 2), 12);
        assert_eq!(texts(&rows), ["• alpha beta", "  gamma", "  delta"]);
        assert_eq!(height(&prose("• alpha beta gamma delta", 2), 12), 3);
    }

    #[test]
    fn long_words_and_code_break_hard() {
        let rows = wrap(&prose("abcdefghij", 0), 4);
        assert_eq!(texts(&rows), ["abcd", "efgh", "ij"]);
        let code = RenderedLine {
            line: Line::from("│ SELECT a, b"),
            kind: LineKind::Code,
            hang: 2,
        };
        assert_eq!(texts(&wrap(&code, 8)), ["│ SELECT", "   a, b"]);
    }

    #[test]
    fn wide_characters_count_two_columns() {
        let rows = wrap(&prose("表表表表", 0), 5);
        assert_eq!(texts(&rows), ["表表", "表表"]);
    }

    #[test]
    fn rules_fill_the_width() {
        let rule = RenderedLine {
            line: Line::from("───"),
            kind: LineKind::Rule,
            hang: 0,
        };
        assert_eq!(texts(&wrap(&rule, 7)), ["───────"]);
    }
}
