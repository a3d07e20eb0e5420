//! The answer's rows at the pane's width: heights of committed lines are computed once per
//! width and kept with their running starts, so finding the first visible line is a binary
//! search and drawing wraps only the visible slice. A frame wraps only what the frame before it
//! did not show: committed lines never change, and the open lines are wrapped once, when
//! measured.

use super::line::RenderedLine;
use super::markdown::AnswerDoc;
use super::wrap::{height, wrap};
use ratatui::text::Line;

#[derive(Debug, Clone, Default)]
pub struct WrappedView {
    width: u16,
    /// Row where each committed line starts; one more entry than lines (the end).
    starts: Vec<usize>,
    /// The open lines (a table being streamed, the unfinished last line), wrapped.
    provisional: Vec<Line<'static>>,
    /// Committed lines wrapped for the last frame, by index, in order.
    recent: Vec<(usize, Vec<Line<'static>>)>,
    /// The rows the last [`WrappedView::prepare`] chose, and for which first row and count.
    shown: Vec<Line<'static>>,
    shown_for: Option<(usize, usize)>,
}

impl WrappedView {
    /// Brings the row index up to date with `doc` at `width`: new committed lines are measured;
    /// a new width measures everything again.
    pub fn sync(&mut self, doc: &AnswerDoc, width: u16) {
        if width != self.width || self.starts.len() > doc.committed().len() + 1 {
            self.width = width;
            self.starts.clear();
            self.recent.clear();
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
        self.provisional = doc
            .provisional()
            .iter()
            .flat_map(|l| wrap(l, width))
            .collect();
        self.shown_for = None;
    }

    pub fn total_rows(&self) -> usize {
        self.starts.last().copied().unwrap_or(0) + self.provisional.len()
    }

    /// Row where committed line `index` starts.
    pub fn row_of_line(&self, index: usize) -> usize {
        self.starts
            .get(index)
            .copied()
            .unwrap_or_else(|| self.total_rows())
    }

    /// The committed line row `row` belongs to.
    pub fn line_at_row(&self, row: usize) -> usize {
        self.starts.partition_point(|s| *s <= row).saturating_sub(1)
    }

    /// Chooses the rows `first_row .. first_row + rows` for the next frame, reusing what the
    /// last frame wrapped; [`WrappedView::shown`] hands them to the drawing.
    pub fn prepare(&mut self, doc: &AnswerDoc, first_row: usize, rows: usize) {
        let mut recent = std::mem::take(&mut self.recent);
        let mut used = Vec::new();
        let mut wrapped = |index: usize, line: &RenderedLine, width: u16| {
            let kept = recent
                .iter()
                .position(|(i, _)| *i == index)
                .map(|at| recent.swap_remove(at).1);
            let lines = kept.unwrap_or_else(|| wrap(line, width));
            used.push((index, lines.clone()));
            lines
        };
        self.shown = self.slice(doc, first_row, rows, &mut wrapped);
        self.recent = used;
        self.shown_for = Some((first_row, rows));
    }

    /// The rows [`WrappedView::prepare`] chose, if it was asked for these.
    pub fn shown(&self, first_row: usize, rows: usize) -> Option<&[Line<'static>]> {
        (self.shown_for == Some((first_row, rows))).then_some(&self.shown[..])
    }

    /// The rows `first_row .. first_row + rows`, wrapped now.
    pub fn visible(&self, doc: &AnswerDoc, first_row: usize, rows: usize) -> Vec<Line<'static>> {
        self.slice(doc, first_row, rows, &mut |_, line, width| {
            wrap(line, width)
        })
    }

    fn slice(
        &self,
        doc: &AnswerDoc,
        first_row: usize,
        rows: usize,
        wrapped: &mut dyn FnMut(usize, &RenderedLine, u16) -> Vec<Line<'static>>,
    ) -> Vec<Line<'static>> {
        let committed = doc.committed();
        let mut out = Vec::with_capacity(rows);
        let line_index = self
            .starts
            .partition_point(|s| *s <= first_row)
            .saturating_sub(1);
        let mut skip = first_row.saturating_sub(self.starts.get(line_index).copied().unwrap_or(0));
        for (index, line) in committed.iter().enumerate().skip(line_index) {
            if out.len() >= rows {
                return out;
            }
            let lines = wrapped(index, line, self.width);
            if skip >= lines.len() {
                skip -= lines.len();
                continue;
            }
            out.extend(lines.into_iter().skip(skip).take(rows - out.len()));
            skip = 0;
        }
        for row in &self.provisional {
            if out.len() >= rows {
                break;
            }
            if skip > 0 {
                skip -= 1;
                continue;
            }
            out.push(row.clone());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::style::MdStyles;

    fn texts(rows: &[Line]) -> Vec<String> {
        rows.iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    /// Frame after frame of a streamed answer, following its end or scrolled anywhere, the rows
    /// reused from the last frame are the rows wrapping now would give; a new width too.
    #[test]
    fn rows_kept_from_the_last_frame_are_the_rows_of_this_one() {
        let text = "# Schema\n\nThe orders table keeps one row per order, keyed by an identity, \
                    with the customer and the time it was placed.\n\n```sql\nCREATE TABLE \
                    orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\n```\n\n\
                    | table | rows |\n|---|---|\n| orders | 2M |\n\n- one\n- two long item \
                    that wraps at a narrow width\n";
        let mut doc = AnswerDoc::new(MdStyles::default());
        let mut view = WrappedView::default();
        let mut width = 24;
        for (i, piece) in text.split_inclusive(' ').enumerate() {
            doc.push(piece);
            doc.refresh();
            if i == 40 {
                width = 17;
            }
            view.sync(&doc, width);
            let total = view.total_rows();
            for first in [total.saturating_sub(6), 0, total / 2, i % (total + 1)] {
                view.prepare(&doc, first, 6);
                let shown = view.shown(first, 6).expect("prepared for these rows");
                assert_eq!(
                    texts(shown),
                    texts(&view.visible(&doc, first, 6)),
                    "piece {i}, row {first}"
                );
                assert!(
                    view.shown(first + 1, 6).is_none(),
                    "only for the rows asked"
                );
            }
        }
        doc.finish();
        view.sync(&doc, width);
        assert!(
            view.shown(0, 6).is_none(),
            "a new measure drops what was chosen"
        );
    }
}
