//! The answer's code blocks under the keyboard: the block list, jumping between blocks, copying
//! a block or a section. Pure like the rest of `update`: effects out, no I/O.

use super::notify::notice;
use super::view::{max_scroll, page};
use super::{NoticeLevel, State};
use crate::action::Action;
use crate::effect::Effect;

/// What the code-block list did with a key.
pub(super) enum ListKey {
    Done(Vec<Effect>),
    /// The list closed; the action is for the workbench (save, quit, help, run…).
    Pass(Action),
}

/// Keys while the code-block list is open: move, jump, copy, close; saving and any other key
/// close the list and pass the action on.
pub(super) fn block_list(state: &mut State, action: Action, selected: usize) -> ListKey {
    let count = state
        .shown_attempt()
        .map_or(0, |a| a.doc.code_blocks().len());
    match action {
        Action::PrevItem => state.block_list = Some(selected.saturating_sub(1)),
        Action::NextItem => state.block_list = Some((selected + 1).min(count.saturating_sub(1))),
        Action::OpenItem => {
            state.block_list = None;
            if let Some(line) = state
                .shown_attempt()
                .and_then(|a| a.doc.code_blocks().get(selected))
                .map(|b| b.line)
            {
                state.follow = false;
                state.scroll = state.view.row_of_line(line).min(max_scroll(state));
            }
        }
        Action::CopyBlock => return ListKey::Done(copy_block_at(state, selected)),
        Action::ClosePrompt => state.block_list = None,
        // Global keys (quit, help, run…) still work; anything else closes the list first.
        other => {
            state.block_list = None;
            return ListKey::Pass(other);
        }
    }
    ListKey::Done(Vec::new())
}

fn copy_block_at(state: &mut State, index: usize) -> Vec<Effect> {
    let Some(block) = state
        .shown_attempt()
        .and_then(|a| a.doc.code_blocks().get(index))
    else {
        notice(
            state,
            NoticeLevel::Warning,
            "There is no code block to copy.",
        );
        return Vec::new();
    };
    let lang = if block.lang.is_empty() {
        "text".to_string()
    } else {
        block.lang.clone()
    };
    vec![Effect::Copy {
        text: block.code.clone(),
        what: format!(
            "code block {} ({lang}, {} lines)",
            index + 1,
            block.line_count()
        ),
    }]
}

/// Copies the source of the heading chosen in the outline, down to the next heading of the same
/// or a higher level.
pub(super) fn copy_section(state: &mut State) -> Vec<Effect> {
    use crate::review::outline::Item;
    let Some(Item::Heading { line, text, .. }) =
        state.outline().get(state.outline_selected).cloned()
    else {
        notice(
            state,
            NoticeLevel::Info,
            "Choose a heading of the answer to copy its section.",
        );
        return Vec::new();
    };
    let Some(attempt) = state.shown_attempt() else {
        return Vec::new();
    };
    // By line, not by title: two sections may share a title.
    let index = attempt.doc.headings().iter().position(|h| h.line == line);
    match index.and_then(|i| crate::review::blocks::section_source(attempt.text(), i)) {
        Some(source) => vec![Effect::Copy {
            text: source.to_string(),
            what: format!("the section “{text}”"),
        }],
        None => {
            notice(
                state,
                NoticeLevel::Warning,
                "That section could not be found in the answer's text.",
            );
            Vec::new()
        }
    }
}

fn block_rows(state: &State) -> Vec<(usize, usize)> {
    state
        .shown_attempt()
        .map(|a| {
            a.doc
                .code_blocks()
                .iter()
                .enumerate()
                .map(|(i, b)| (i, state.view.row_of_line(b.line)))
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn jump_block(state: &mut State, forward: bool) {
    let rows = block_rows(state);
    let target = if forward {
        rows.iter().find(|(_, r)| *r > state.scroll)
    } else {
        rows.iter().rev().find(|(_, r)| *r < state.scroll)
    };
    match target {
        Some((i, row)) => {
            state.follow = false;
            state.scroll = (*row).min(max_scroll(state));
            notice(
                state,
                NoticeLevel::Info,
                format!(
                    "Code block {} of {}: y copies it, s saves every block.",
                    i + 1,
                    rows.len()
                ),
            );
        }
        None if rows.is_empty() => {
            notice(state, NoticeLevel::Info, "The answer has no code blocks.")
        }
        None => notice(
            state,
            NoticeLevel::Info,
            if forward {
                "No more code blocks below."
            } else {
                "No code blocks above."
            },
        ),
    }
}

/// The block in view: the first one starting in the pane, else the last one started above it
/// (its code fills the view), else the first.
pub(super) fn copy_block(state: &mut State) -> Vec<Effect> {
    let rows = block_rows(state);
    let (top, bottom) = (state.scroll, state.scroll + page(state));
    let chosen = rows
        .iter()
        .find(|(_, r)| (top..bottom).contains(r))
        .or_else(|| rows.iter().rev().find(|(_, r)| *r < top))
        .or_else(|| rows.first());
    let Some((index, _)) = chosen.copied() else {
        notice(
            state,
            NoticeLevel::Warning,
            "There is no code block to copy.",
        );
        return Vec::new();
    };
    copy_block_at(state, index)
}
