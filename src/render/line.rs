//! A line of rendered markdown: its styled text and what kind of line it is.

use ratatui::text::Line;

/// What a rendered line is, for wrapping and for the outline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Prose,
    Heading(u8),
    /// A line inside a fenced code block (wrapped hard, not at spaces).
    Code,
    /// The opening or closing line of a fence.
    Fence,
    Table,
    /// A horizontal rule, drawn across the pane's width.
    Rule,
}

/// One logical line of the answer, styled, before wrapping.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedLine {
    pub line: Line<'static>,
    pub kind: LineKind,
    /// Columns that wrapped continuation rows are indented by (list items, quotes, code).
    pub hang: u16,
}
