//! The answer view: scrolling, the follow mode, search, jumping to a section, which attempt is
//! shown.

use super::notify::notice;
use super::{NoticeLevel, State};
use crate::effect::Effect;

/// Moves to the next (or previous) occurrence of the search term, wrapping around the ends;
/// every occurrence counts, several on one line too. The first search starts from the top of
/// the screen.
pub(super) fn find(state: &mut State, forward: bool) {
    let Some(query) = state.search.clone().map(|q| q.to_lowercase()) else {
        notice(state, NoticeLevel::Info, "Press / to search the answer.");
        return;
    };
    let Some(attempt) = state.shown_attempt() else {
        return;
    };
    // The row of each occurrence, in order.
    let rows: Vec<usize> = attempt
        .doc
        .committed()
        .iter()
        .enumerate()
        .flat_map(|(i, l)| {
            let text: String = l.line.spans.iter().map(|s| s.content.as_ref()).collect();
            let count = if query.is_empty() {
                0
            } else {
                text.to_lowercase().matches(query.as_str()).count()
            };
            std::iter::repeat_n(state.view.row_of_line(i), count)
        })
        .collect();
    if rows.is_empty() {
        notice(
            state,
            NoticeLevel::Warning,
            format!("`{query}` is not in the answer."),
        );
        return;
    }
    let last = rows.len() - 1;
    let (at, wrapped) = match (state.search_at.filter(|a| *a <= last), forward) {
        (None, _) => (
            rows.iter().position(|r| *r >= state.scroll).unwrap_or(0),
            false,
        ),
        (Some(at), true) if at == last => (0, true),
        (Some(at), true) => (at + 1, false),
        (Some(0), false) => (last, true),
        (Some(at), false) => (at - 1, false),
    };
    state.search_at = Some(at);
    state.follow = false;
    state.scroll = rows[at].min(max_scroll(state));
    let wrap = match (wrapped, forward) {
        (true, true) => " (from the top)",
        (true, false) => " (from the end)",
        _ => "",
    };
    notice(
        state,
        NoticeLevel::Info,
        format!(
            "Match {} of {}{wrap} — n next, N previous.",
            at + 1,
            rows.len()
        ),
    );
}

pub(super) fn outline_jump(state: &mut State) {
    use crate::review::outline::Item;
    match state.outline().get(state.outline_selected) {
        Some(Item::Heading { line, .. }) => {
            let row = state.view.row_of_line(*line);
            state.follow = false;
            state.scroll = row.min(max_scroll(state));
        }
        Some(Item::Absent { name, .. }) => {
            let when = if state.shown_attempt().is_some_and(|a| a.phase.is_live()) {
                "yet"
            } else {
                "at all"
            };
            notice(
                state,
                NoticeLevel::Info,
                format!("{name} is not in the answer {when}."),
            );
        }
        None => {}
    }
}

pub(super) fn show_attempt(state: &mut State, index: Option<usize>) -> Vec<Effect> {
    match index {
        Some(i) if i < state.attempts.len() => {
            state.shown = i;
            state.view = Default::default();
            state.follow = i + 1 == state.attempts.len();
            state.scroll = 0;
            sync_view(state);
            notice(
                state,
                NoticeLevel::Info,
                format!("Attempt {} of {}", i + 1, state.attempts.len()),
            );
        }
        _ => notice(
            state,
            NoticeLevel::Info,
            format!(
                "{} attempt(s); [ and ] move between them.",
                state.attempts.len()
            ),
        ),
    }
    Vec::new()
}

/// Focuses the answer with source line `line` (from 1) of the attempt on screen at the top.
pub(super) fn show_line(state: &mut State, line: usize) {
    let rendered = state
        .shown_attempt()
        .map_or(0, |a| a.doc.rendered_line_of(line));
    state.focus = super::Focus::Answer;
    state.follow = false;
    state.scroll = state.view.row_of_line(rendered).min(max_scroll(state));
}

pub(super) fn page(state: &State) -> usize {
    state
        .areas
        .map_or(10, |a| a.answer_inner().height as usize)
        .max(1)
}

pub(super) fn max_scroll(state: &State) -> usize {
    state.view.total_rows().saturating_sub(page(state))
}

pub(super) fn scroll_by(state: &mut State, delta: isize) -> Vec<Effect> {
    let max = max_scroll(state);
    let next = (state.scroll as isize + delta).clamp(0, max as isize) as usize;
    state.scroll = next;
    // Scrolling back to the end resumes following the stream.
    state.follow = next >= max;
    Vec::new()
}

/// Re-measures the shown answer at the pane's width and keeps the end in view when following.
pub(super) fn sync_view(state: &mut State) {
    let Some(areas) = state.areas else {
        return;
    };
    let width = areas.answer_inner().width;
    if let Some(attempt) = state.attempts.get(state.shown) {
        state.view.sync(&attempt.doc, width);
    }
    let max = max_scroll(state);
    if state.follow {
        state.scroll = max;
    } else {
        state.scroll = state.scroll.min(max);
    }
}
