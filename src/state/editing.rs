//! The brief under the keyboard: keys the text area does not know, and the draft saved on the
//! side or taken back.

use super::notify::notice;
use super::{Focus, NoticeLevel, State};
use crate::effect::Effect;
use crossterm::event::{KeyCode, KeyEvent};

/// A key typed in the brief: Ctrl-Home and Ctrl-End go to its start and end, as in every
/// editor (the text area alone takes them to the line's); the rest is the text area's.
pub(super) fn brief_key(state: &mut State, key: KeyEvent) {
    use ratatui_textarea::CursorMove;
    let ctrl = key
        .modifiers
        .contains(crossterm::event::KeyModifiers::CONTROL);
    match key.code {
        KeyCode::End if ctrl => {
            state.brief.move_cursor(CursorMove::Bottom);
            state.brief.move_cursor(CursorMove::End);
        }
        KeyCode::Home if ctrl => {
            state.brief.move_cursor(CursorMove::Top);
            state.brief.move_cursor(CursorMove::Head);
        }
        KeyCode::Char('r') if ctrl => {
            super::undo::redo(&mut state.brief);
        }
        _ => {
            state.brief.input(key);
        }
    }
}

/// The reviewer takes the draft an earlier workbench left for this brief.
pub(super) fn take_draft(state: &mut State) {
    let Some(draft) = state.offered_draft.take() else {
        notice(
            state,
            NoticeLevel::Info,
            "No draft is waiting: drafts of workbenches that ended are offered when the same brief opens.",
        );
        return;
    };
    state.recover_draft(&draft);
    state.focus = Focus::Brief;
    notice(
        state,
        NoticeLevel::Success,
        format!(
            "The draft is in the editor ({} lines); Ctrl-Z twice brings back the brief it replaced.",
            draft.text.lines().count()
        ),
    );
}

/// The draft's delay has passed: save the brief if it changed since the last save.
pub(super) fn save_draft(state: &mut State) -> Vec<Effect> {
    if state.brief_revision == state.draft_saved {
        return Vec::new();
    }
    state.draft_saved = state.brief_revision;
    vec![Effect::SaveDraft {
        owner: state.draft_owner(),
        text: state.brief_text(),
        replaces: state.taken_draft.take(),
    }]
}
