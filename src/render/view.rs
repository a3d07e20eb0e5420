//! The answer's rows at the pane's width: heights of committed lines are computed once per
//! width and kept with their running starts, so finding the first visible line is a binary
//! search and drawing wraps only the visible slice.

use super::markdown::AnswerDoc;
use super::wrap::{height, wrap};
use ratatui::text::Line;

#[derive(Debug, Clone, Default)]
pub struct WrappedView {
    width: u16,
    /// Row where each committed line starts; one more entry than lines (the end).
    starts: Vec<usize>,
    provisional_rows: usize,
}

impl WrappedView {
    /// Brings the row index up to date with `doc` at `width`: new committed lines are measured;
    /// a new width measures everything again.
    pub fn sync(&mut self, doc: &AnswerDoc, width: u16) {
        if width != self.width || self.starts.len() > doc.committed().len() + 1 {
            self.width = width;
            self.starts.clear();
        }
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        let committed = doc.committed();
        let mut row = self.starts.last().copied().unwrap_or(0);
        for line in &committed[self.starts.len() - 1..] {
            row += height(line, width);
            self.starts.push(row);
        }
        self.provisional_rows = doc.provisional().iter().map(|l| height(l, width)).sum();
    }

    pub fn total_rows(&self) -> usize {
        self.starts.last().copied().unwrap_or(0) + self.provisional_rows
    }

    /// Row where committed line `index` starts.
    pub fn row_of_line(&self, index: usize) -> usize {
        self.starts
            .get(index)
            .copied()
            .unwrap_or_else(|| self.total_rows())
    }

    /// The rows `first_row .. first_row + rows`, wrapped.
    pub fn visible(&self, doc: &AnswerDoc, first_row: usize, rows: usize) -> Vec<Line<'static>> {
        let committed = doc.committed();
        let mut out = Vec::with_capacity(rows);
        let line_index = self
            .starts
            .partition_point(|s| *s <= first_row)
            .saturating_sub(1);
        let mut skip = first_row.saturating_sub(self.starts.get(line_index).copied().unwrap_or(0));
        let lines = committed
            .iter()
            .skip(line_index)
            .chain(doc.provisional().iter());
        for line in lines {
            if out.len() >= rows {
                break;
            }
            for row in wrap(line, self.width) {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                if out.len() >= rows {
                    break;
                }
                out.push(row);
            }
        }
        out
    }
}
