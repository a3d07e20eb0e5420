//! Two answers side by side: their lines aligned, each row marked as the same, only on the left
//! (removed), only on the right (added), or changed. The line diff is `similar`'s (Myers).

use similar::{DiffTag, TextDiff};

/// How a row of the comparison differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Same,
    /// Only in the left answer.
    Removed,
    /// Only in the right answer.
    Added,
    /// A line of the left replaced by one of the right.
    Changed,
}

/// One row: the left line and the right line (either may be missing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub left: Option<String>,
    pub right: Option<String>,
    pub change: Change,
}

/// How much changed, for the title of the view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub removed: usize,
    pub added: usize,
    pub changed: usize,
}

/// The rows of `left` and `right` side by side.
pub fn rows(left: &str, right: &str) -> Vec<Row> {
    let diff = TextDiff::from_lines(left, right);
    let old: Vec<&str> = diff.old_slices().to_vec();
    let new: Vec<&str> = diff.new_slices().to_vec();
    let line = |s: &str| s.trim_end_matches(['\n', '\r']).to_string();
    let mut out = Vec::new();
    for op in diff.ops() {
        let (tag, l, r) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => {
                for (a, b) in old[l].iter().zip(&new[r]) {
                    out.push(Row {
                        left: Some(line(a)),
                        right: Some(line(b)),
                        change: Change::Same,
                    });
                }
            }
            DiffTag::Delete => out.extend(old[l].iter().map(|a| Row {
                left: Some(line(a)),
                right: None,
                change: Change::Removed,
            })),
            DiffTag::Insert => out.extend(new[r].iter().map(|b| Row {
                left: None,
                right: Some(line(b)),
                change: Change::Added,
            })),
            DiffTag::Replace => {
                let (a, b) = (&old[l], &new[r]);
                for i in 0..a.len().max(b.len()) {
                    let (left, right) = (a.get(i).map(|s| line(s)), b.get(i).map(|s| line(s)));
                    let change = match (&left, &right) {
                        (Some(_), Some(_)) => Change::Changed,
                        (Some(_), None) => Change::Removed,
                        _ => Change::Added,
                    };
                    out.push(Row {
                        left,
                        right,
                        change,
                    });
                }
            }
        }
    }
    out
}

pub fn counts(rows: &[Row]) -> Counts {
    let mut counts = Counts::default();
    for row in rows {
        match row.change {
            Change::Same => {}
            Change::Removed => counts.removed += 1,
            Change::Added => counts.added += 1,
            Change::Changed => counts.changed += 1,
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_aligned_and_marked() {
        let left = "# Plan\nCREATE TABLE a;\nold index\nkept\n";
        let right = "# Plan\nCREATE TABLE a;\nnew index\nkept\nadded line\n";
        let rows = rows(left, right);
        let marks: Vec<Change> = rows.iter().map(|r| r.change).collect();
        assert_eq!(
            marks,
            [
                Change::Same,
                Change::Same,
                Change::Changed,
                Change::Same,
                Change::Added
            ]
        );
        assert_eq!(rows[2].left.as_deref(), Some("old index"));
        assert_eq!(rows[2].right.as_deref(), Some("new index"));
        assert_eq!(rows[4].left, None);
        assert_eq!(
            counts(&rows),
            Counts {
                removed: 0,
                added: 1,
                changed: 1
            }
        );
    }

    #[test]
    fn a_line_only_on_the_left_is_removed_and_identical_answers_have_no_changes() {
        let rows = rows("a\nb\nc", "a\nc");
        assert_eq!(rows[1].change, Change::Removed);
        assert_eq!(rows[1].right, None);
        assert_eq!(counts(&super::rows("x\ny\n", "x\ny\n")), Counts::default());
    }

    #[test]
    fn an_uneven_replacement_pads_the_shorter_side() {
        let rows = rows("a\nb\nz\n", "a\nc\nd\ne\nz\n");
        let marks: Vec<Change> = rows.iter().map(|r| r.change).collect();
        assert_eq!(
            marks,
            [
                Change::Same,
                Change::Changed,
                Change::Added,
                Change::Added,
                Change::Same
            ]
        );
    }
}
