//! The answer as a document that grows: text arrives in deltas of any size, complete lines are
//! rendered once through a small block state machine (fences, tables, headings, lists, quotes,
//! rules, paragraphs) and cached, and the open tail is rendered provisionally until its newline
//! arrives. Because a committed line depends only on the lines before it, streaming renders
//! exactly what rendering the whole text at once renders.

use super::highlight::CodeState;
use super::inline::render_inline;
use super::line::{LineKind, RenderedLine};
use super::style::MdStyles;
use super::table::{is_table_row, render_table};
use crate::sanitize::sanitize;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// A heading of the answer: where it is and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub line: usize,
    pub level: u8,
    pub text: String,
}

/// A fenced code block of the answer, with its source as the model wrote it (for copying and
/// saving; the screen shows a sanitised rendering).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    pub lang: String,
    /// The heading the block sits under, if any.
    pub section: Option<String>,
    /// Rendered line of its opening fence.
    pub line: usize,
    pub code: String,
    /// The closing fence arrived.
    pub closed: bool,
}

impl CodeBlock {
    pub fn line_count(&self) -> usize {
        self.code.lines().count()
    }
    pub fn first_line(&self) -> &str {
        self.code
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
    }
}

#[derive(Clone)]
enum Block {
    Normal,
    Fence {
        marker: String,
        highlighter: Option<CodeState>,
    },
}

/// The answer being rendered.
pub struct AnswerDoc {
    styles: MdStyles,
    text: String,
    /// Byte offset where the open (unterminated) last line starts.
    tail_start: usize,
    committed: Vec<RenderedLine>,
    block: Block,
    /// Source rows of a table that has not ended yet.
    table: Vec<String>,
    /// Render of the pending table and the open tail; replaced on every change.
    provisional: Vec<RenderedLine>,
    headings: Vec<Heading>,
    finished: bool,
    /// The open tail changed since `provisional` was rendered.
    tail_dirty: bool,
    blocks: Vec<CodeBlock>,
    /// For each source line of the text, the rendered line it starts at (a table's rows all
    /// start at the table): the SQL check's findings name source lines.
    line_starts: Vec<usize>,
}

impl AnswerDoc {
    pub fn new(styles: MdStyles) -> Self {
        Self {
            styles,
            text: String::new(),
            tail_start: 0,
            committed: Vec::new(),
            block: Block::Normal,
            table: Vec::new(),
            provisional: Vec::new(),
            headings: Vec::new(),
            finished: false,
            tail_dirty: false,
            blocks: Vec::new(),
            line_starts: Vec::new(),
        }
    }

    /// Renders a complete text at once.
    pub fn render_whole(text: &str, styles: MdStyles) -> Self {
        let mut doc = Self::new(styles);
        doc.push(text);
        doc.finish();
        doc
    }

    /// Appends streamed text and renders the lines it completes. Only the new bytes are searched
    /// for line ends, and the open tail is not rendered here but in [`AnswerDoc::refresh`], once
    /// per frame: a long line arriving in many small deltas costs time in proportion to its
    /// length, not its square.
    pub fn push(&mut self, delta: &str) {
        if delta.is_empty() {
            return;
        }
        let scan_from = self.text.len();
        self.text.push_str(delta);
        let mut search = scan_from;
        while let Some(offset) = self.text[search..].find('\n') {
            let end = search + offset;
            let line = self.text[self.tail_start..end]
                .trim_end_matches('\r')
                .to_string();
            self.commit_line(&line);
            self.tail_start = end + 1;
            search = self.tail_start;
        }
        self.tail_dirty = true;
    }

    /// Renders the open tail (and a table still streaming) if they changed: called before a frame.
    pub fn refresh(&mut self) {
        if self.tail_dirty {
            self.refresh_provisional();
            self.tail_dirty = false;
        }
    }

    /// The stream has ended: the open tail and any pending table become final.
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        if self.tail_start < self.text.len() {
            let line = self.text[self.tail_start..]
                .trim_end_matches('\r')
                .to_string();
            self.commit_line(&line);
            self.tail_start = self.text.len();
        }
        self.flush_table();
        self.provisional.clear();
        self.tail_dirty = false;
        self.finished = true;
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Lines that will not change any more.
    pub fn committed(&self) -> &[RenderedLine] {
        &self.committed
    }

    /// Lines still open: a table being streamed and the unfinished last line, as of the last
    /// [`AnswerDoc::refresh`].
    pub fn provisional(&self) -> &[RenderedLine] {
        &self.provisional
    }

    pub fn headings(&self) -> &[Heading] {
        &self.headings
    }

    /// The code blocks whose opening fence has arrived.
    /// The rendered line a source line (counted from 1) starts at.
    pub fn rendered_line_of(&self, source_line: usize) -> usize {
        self.line_starts
            .get(source_line.saturating_sub(1))
            .copied()
            .unwrap_or(self.committed.len())
    }

    /// The source line (counted from 1) rendered line `rendered` belongs to.
    pub fn source_line_at(&self, rendered: usize) -> usize {
        self.line_starts.partition_point(|s| *s <= rendered).max(1)
    }

    pub fn code_blocks(&self) -> &[CodeBlock] {
        &self.blocks
    }

    fn commit_line(&mut self, raw: &str) {
        self.line_starts.push(self.committed.len());
        let line = expand_tabs(&sanitize(raw));
        if matches!(self.block, Block::Normal) && !is_table_row(&line) {
            self.flush_table();
        }
        let was_code = matches!(self.block, Block::Fence { .. });
        let mut out = Vec::new();
        render_line(
            &line,
            &mut self.block,
            &mut self.table,
            &mut out,
            &self.styles,
        );
        match (was_code, matches!(self.block, Block::Fence { .. })) {
            (false, true) => self.blocks.push(CodeBlock {
                lang: opening_fence(&line)
                    .map(|(_, lang)| lang)
                    .unwrap_or_default(),
                section: self.headings.last().map(|h| h.text.clone()),
                line: self.committed.len(),
                code: String::new(),
                closed: false,
            }),
            (true, true) => {
                if let Some(block) = self.blocks.last_mut() {
                    block.code.push_str(raw);
                    block.code.push('\n');
                }
            }
            (true, false) => {
                if let Some(block) = self.blocks.last_mut() {
                    block.closed = true;
                }
            }
            (false, false) => {}
        }
        for rendered in out {
            if let LineKind::Heading(level) = rendered.kind {
                let text: String = rendered
                    .line
                    .spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect();
                self.headings.push(Heading {
                    line: self.committed.len(),
                    level,
                    text,
                });
            }
            self.committed.push(rendered);
        }
    }

    fn flush_table(&mut self) {
        if !self.table.is_empty() {
            let rows = std::mem::take(&mut self.table);
            self.committed.extend(render_table(&rows, &self.styles));
        }
    }

    fn refresh_provisional(&mut self) {
        let tail = self.text[self.tail_start..].trim_end_matches('\r');
        let mut out = Vec::new();
        let mut table = self.table.clone();
        if !tail.is_empty() {
            let line = expand_tabs(&sanitize(tail));
            // Clones of the block state: the open tail must not advance the real highlighter. A
            // long open line is shown plain until it ends, so each delta costs little.
            let mut block = match &self.block {
                Block::Fence { marker, .. } if line.len() > TAIL_HIGHLIGHT_LIMIT => Block::Fence {
                    marker: marker.clone(),
                    highlighter: None,
                },
                other => other.clone(),
            };
            render_line(&line, &mut block, &mut table, &mut out, &self.styles);
        }
        let mut provisional = if table.is_empty() {
            Vec::new()
        } else {
            render_table(&table, &self.styles)
        };
        provisional.extend(out);
        self.provisional = provisional;
    }
}

/// Bytes of an unfinished code line that are highlighted while it streams.
const TAIL_HIGHLIGHT_LIMIT: usize = 256;

/// Renders one complete line given the block state, which it advances. Table rows are collected
/// into `table` (rendered when the table ends, since columns align over all rows).
fn render_line(
    line: &str,
    block: &mut Block,
    table: &mut Vec<String>,
    out: &mut Vec<RenderedLine>,
    styles: &MdStyles,
) {
    if let Block::Fence {
        marker,
        highlighter,
    } = block
    {
        if is_closing_fence(line, marker) {
            out.push(fence_line("└", "", styles));
            *block = Block::Normal;
        } else {
            let mut spans = vec![Span::styled("│ ", styles.code_frame)];
            match highlighter {
                Some(h) => spans.extend(h.highlight_line(line)),
                None => spans.push(Span::raw(line.to_string())),
            }
            out.push(RenderedLine {
                line: Line::from(spans),
                kind: LineKind::Code,
                hang: 2,
            });
        }
        return;
    }
    if is_table_row(line) {
        table.push(line.to_string());
        return;
    }
    if let Some((marker, lang)) = opening_fence(line) {
        out.push(fence_line("┌", &lang, styles));
        let highlighter = if lang.is_empty() {
            None
        } else {
            CodeState::new(&lang)
        };
        *block = Block::Fence {
            marker,
            highlighter,
        };
        return;
    }
    out.push(render_block_line(line, styles));
}

fn expand_tabs(line: &str) -> String {
    if line.contains('\t') {
        line.replace('\t', "    ")
    } else {
        line.to_string()
    }
}

fn fence_line(corner: &str, lang: &str, styles: &MdStyles) -> RenderedLine {
    let text = if lang.is_empty() {
        corner.to_string()
    } else {
        format!("{corner} {lang}")
    };
    RenderedLine {
        line: Line::from(Span::styled(text, styles.code_frame)),
        kind: LineKind::Fence,
        hang: 0,
    }
}

/// ```` ```sql ```` or `~~~ yaml`: the fence marker and the language.
pub(crate) fn opening_fence(line: &str) -> Option<(String, String)> {
    let trimmed = line.trim_start();
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let ch = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let count = trimmed.chars().take_while(|c| *c == ch).count();
    if count < 3 {
        return None;
    }
    let info = trimmed[count..].trim();
    if ch == '`' && info.contains('`') {
        return None;
    }
    let lang = info
        .split(|c: char| c.is_whitespace() || c == '{' || c == ',')
        .next()
        .unwrap_or("");
    Some((trimmed[..count].to_string(), lang.to_string()))
}

pub(crate) fn is_closing_fence(line: &str, marker: &str) -> bool {
    let trimmed = line.trim();
    let ch = marker.chars().next().unwrap_or('`');
    trimmed.len() >= marker.len() && trimmed.chars().all(|c| c == ch)
}

fn render_block_line(line: &str, styles: &MdStyles) -> RenderedLine {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    if trimmed.is_empty() {
        return RenderedLine {
            line: Line::default(),
            kind: LineKind::Prose,
            hang: 0,
        };
    }
    if let Some((level, text)) = heading(trimmed) {
        let style = styles.heading[(level as usize - 1).min(2)];
        let mut spans = render_inline(text, style, styles);
        if level >= 4 {
            spans.insert(0, Span::styled("#".repeat(level as usize) + " ", style));
        }
        return RenderedLine {
            line: Line::from(spans),
            kind: LineKind::Heading(level),
            hang: 0,
        };
    }
    if is_rule(trimmed) {
        return RenderedLine {
            line: Line::from(Span::styled("───", styles.rule)),
            kind: LineKind::Rule,
            hang: 0,
        };
    }
    if let Some(rest) = trimmed.strip_prefix('>') {
        let mut depth = 1;
        let mut rest = rest;
        while let Some(r) = rest.trim_start().strip_prefix('>') {
            depth += 1;
            rest = r;
        }
        let bar = "▎ ".repeat(depth);
        let mut spans = vec![
            Span::raw(" ".repeat(indent)),
            Span::styled(bar.clone(), styles.quote),
        ];
        spans.extend(render_inline(rest.trim_start(), styles.quote, styles));
        return RenderedLine {
            line: Line::from(spans),
            kind: LineKind::Prose,
            hang: (indent + 2 * depth) as u16,
        };
    }
    if let Some((marker, rest)) = list_item(trimmed) {
        let shown = match marker {
            ListMarker::Bullet => "• ".to_string(),
            ListMarker::Number(n) => format!("{n} "),
        };
        let (shown, rest) = match rest
            .strip_prefix("[ ] ")
            .or_else(|| (rest == "[ ]").then_some(""))
        {
            Some(r) => (format!("{shown}☐ "), r),
            None => match rest
                .strip_prefix("[x] ")
                .or_else(|| rest.strip_prefix("[X] "))
            {
                Some(r) => (format!("{shown}☑ "), r),
                None => (shown, rest),
            },
        };
        let hang = (indent + unicode_width::UnicodeWidthStr::width(shown.as_str())) as u16;
        let mut spans = vec![
            Span::raw(" ".repeat(indent)),
            Span::styled(shown, styles.bullet),
        ];
        spans.extend(render_inline(rest, Style::default(), styles));
        return RenderedLine {
            line: Line::from(spans),
            kind: LineKind::Prose,
            hang,
        };
    }
    let mut spans = Vec::new();
    if indent > 0 {
        spans.push(Span::raw(" ".repeat(indent.min(8))));
    }
    spans.extend(render_inline(trimmed, Style::default(), styles));
    RenderedLine {
        line: Line::from(spans),
        kind: LineKind::Prose,
        hang: indent.min(8) as u16,
    }
}

fn heading(line: &str) -> Option<(u8, &str)> {
    let level = line.chars().take_while(|c| *c == '#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &line[level..];
    if !rest.is_empty() && !rest.starts_with(' ') {
        return None;
    }
    let text = rest.trim();
    // A closing sequence of #s is not part of the heading.
    let text = text.trim_end_matches('#').trim_end();
    Some((level as u8, text))
}

fn is_rule(line: &str) -> bool {
    let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    compact.len() >= 3
        && compact.chars().next().is_some_and(|first| {
            matches!(first, '-' | '*' | '_') && compact.chars().all(|c| c == first)
        })
}

enum ListMarker {
    Bullet,
    Number(String),
}

fn list_item(line: &str) -> Option<(ListMarker, &str)> {
    for bullet in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return Some((ListMarker::Bullet, rest));
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let after = &line[digits..];
        for sep in [". ", ") "] {
            if let Some(rest) = after.strip_prefix(sep) {
                return Some((ListMarker::Number(line[..digits + 1].to_string()), rest));
            }
        }
    }
    None
}

#[cfg(test)]
#[path = "markdown_tests.rs"]
mod tests;
