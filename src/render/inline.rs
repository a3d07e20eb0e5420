//! Inline markdown of one line: emphasis, strong, code spans, links, strikethrough.

use super::style::MdStyles;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use ratatui::style::Style;
use ratatui::text::Span;
use std::borrow::Cow;

/// Text that would start a block construct (a heading, quote, list item, rule, fence) is escaped:
/// the caller has already handled the block, and what is left must show as text, not vanish.
fn protect_block_start(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let first = bytes.first().copied().unwrap_or(b' ');
    let second = bytes.get(1).copied().unwrap_or(b' ');
    let is_rule = text.len() >= 3 && text.chars().all(|c| matches!(c, '-' | '*' | '_' | ' '));
    let is_fence = text.starts_with("```") || text.starts_with("~~~");
    if matches!(first, b'#' | b'>' | b'=')
        || (matches!(first, b'-' | b'+' | b'*') && second == b' ')
        || is_rule
        || is_fence
    {
        return Cow::Owned(format!("\\{text}"));
    }
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && matches!(bytes.get(digits), Some(b'.' | b')')) {
        return Cow::Owned(format!("{}\\{}", &text[..digits], &text[digits..]));
    }
    Cow::Borrowed(text)
}

/// Renders the inline markdown of `text` (block markers already removed) on top of `base`.
pub fn render_inline(text: &str, base: Style, styles: &MdStyles) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut stack: Vec<Style> = vec![base];
    let mut link_target: Vec<String> = Vec::new();
    let current = |stack: &Vec<Style>| stack.last().copied().unwrap_or(base);
    let source = protect_block_start(text.trim_start());
    for event in Parser::new_ext(&source, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Text(t) => spans.push(Span::styled(t.into_string(), current(&stack))),
            Event::Code(t) => spans.push(Span::styled(
                t.into_string(),
                current(&stack).patch(styles.code_inline),
            )),
            Event::Html(t) | Event::InlineHtml(t) => {
                spans.push(Span::styled(t.into_string(), current(&stack)))
            }
            Event::SoftBreak | Event::HardBreak => spans.push(Span::styled(" ", current(&stack))),
            Event::Start(Tag::Emphasis) => stack.push(current(&stack).patch(styles.emphasis)),
            Event::Start(Tag::Strong) => stack.push(current(&stack).patch(styles.strong)),
            Event::Start(Tag::Strikethrough) => stack.push(current(&stack).patch(styles.strike)),
            Event::Start(Tag::Link { dest_url, .. }) => {
                link_target.push(dest_url.into_string());
                stack.push(current(&stack).patch(styles.link));
            }
            Event::End(TagEnd::Link) => {
                stack.pop();
                if let Some(url) = link_target.pop() {
                    let shown: String = spans
                        .last()
                        .map(|s: &Span| s.content.to_string())
                        .unwrap_or_default();
                    if !url.is_empty() && shown != url {
                        spans.push(Span::styled(format!(" ({url})"), styles.code_frame));
                    }
                }
            }
            Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough) => {
                stack.pop();
            }
            // Anything else (a list the line still forms, say) keeps its text, not its structure.
            _ => {}
        }
    }
    if spans.is_empty() && !text.is_empty() {
        spans.push(Span::styled(text.to_string(), base));
    }
    spans
}
