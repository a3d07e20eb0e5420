//! An attempt compared with the one before it: the lines changed, added and removed, a key to
//! the next and the previous change, and the feedback that asked for it.

use super::notify::notice;
use super::{NoticeLevel, State};
use crate::action::Action;
use crate::effect::Effect;
use crate::review::compare::{counts, rows, Change, Counts, Row};

pub struct AttemptDiff {
    /// The attempts compared: the earlier, the later.
    pub left: u32,
    pub right: u32,
    pub rows: Vec<Row>,
    pub counts: Counts,
    /// What asked for the later attempt: the free text, the comments quoted, the unmet items.
    pub feedback: Option<String>,
    /// The first row in view.
    pub top: usize,
}

impl AttemptDiff {
    /// The rows where a run of changes begins.
    pub fn change_starts(&self) -> Vec<usize> {
        (0..self.rows.len())
            .filter(|&i| {
                self.rows[i].change != Change::Same
                    && (i == 0 || self.rows[i - 1].change == Change::Same)
            })
            .collect()
    }
}

/// `D`: the attempt on screen against the one before it, the view at its first change.
pub(super) fn open(state: &mut State) {
    let Some(right) = state.shown_attempt() else {
        notice(state, NoticeLevel::Info, "There is no answer yet.");
        return;
    };
    if state.shown == 0 {
        notice(
            state,
            NoticeLevel::Info,
            "This is the first attempt: there is none before it to compare with.",
        );
        return;
    }
    if right.phase.is_live() {
        notice(
            state,
            NoticeLevel::Info,
            "Wait for the answer to finish to compare it.",
        );
        return;
    }
    let left = &state.attempts[state.shown - 1];
    let rows = rows(left.text(), right.text());
    let mut diff = AttemptDiff {
        left: left.number,
        right: right.number,
        counts: counts(&rows),
        rows,
        feedback: right.feedback.clone(),
        top: 0,
    };
    diff.top = diff
        .change_starts()
        .first()
        .map_or(0, |r| r.saturating_sub(2));
    state.diff = Some(diff);
}

/// Keys while the comparison is open; `None` passes the action on (the comparison closes).
pub(super) fn key(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let page = super::view::page(state).max(2);
    let diff = state.diff.as_mut()?;
    let last = diff.rows.len().saturating_sub(1);
    match action {
        Action::ScrollUp => diff.top = diff.top.saturating_sub(1),
        Action::ScrollDown => diff.top = (diff.top + 1).min(last),
        Action::PageUp => diff.top = diff.top.saturating_sub(page - 1),
        Action::PageDown => diff.top = (diff.top + page - 1).min(last),
        Action::Top => diff.top = 0,
        Action::Bottom => diff.top = last.saturating_sub(page - 1),
        Action::NextMatch | Action::PrevMatch => {
            // A change starts two rows below the top, so the line before it is in view.
            let starts = diff.change_starts();
            let at = diff.top + 2;
            let next = if action == Action::NextMatch {
                starts.iter().copied().find(|s| *s > at)
            } else {
                starts.iter().rev().copied().find(|s| *s < at)
            };
            match next {
                Some(row) => {
                    diff.top = row.saturating_sub(2);
                    let n = starts.iter().position(|s| *s == row).unwrap_or(0) + 1;
                    let total = starts.len();
                    notice(state, NoticeLevel::Info, format!("Change {n} of {total}."));
                }
                None => {
                    let text = match (starts.is_empty(), action == Action::NextMatch) {
                        (true, _) => "The attempts are identical: nothing changed.",
                        (false, true) => "No change after this one.",
                        (false, false) => "No change before this one.",
                    };
                    notice(state, NoticeLevel::Info, text);
                }
            }
        }
        Action::ClosePrompt | Action::DiffAttempt => state.diff = None,
        _ => {
            state.diff = None;
            return None;
        }
    }
    Some(Vec::new())
}
