//! A vi-like way to edit the brief: in Normal mode single keys move and edit (h j k l, w b e, 0 $,
//! gg G, x, dd, D, C, yy, p, u, i a I A o O), Esc returns from Insert mode, where keys type as
//! usual. Control keys, function keys and Tab keep their workbench meanings in both modes.

use super::State;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::CursorMove;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Insert,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vi {
    pub mode: Mode,
    /// The first key of a two-key command (`d`, `y`, `g`).
    pending: Option<char>,
}

impl Vi {
    pub fn new() -> Self {
        Self {
            mode: Mode::Normal,
            pending: None,
        }
    }
}

impl Default for Vi {
    fn default() -> Self {
        Self::new()
    }
}

/// Handles `key` in the brief; false leaves it to the workbench's keys (and, in Insert mode, to
/// the editor).
pub(super) fn key(state: &mut State, key: &KeyEvent) -> bool {
    let Some(vi) = state.vi.as_mut() else {
        return false;
    };
    if vi.mode == Mode::Insert {
        if key.code == KeyCode::Esc {
            vi.mode = Mode::Normal;
            state.brief.move_cursor(CursorMove::Back);
            return true;
        }
        return false;
    }
    let control = key.modifiers.contains(KeyModifiers::CONTROL);
    if control && key.code == KeyCode::Char('r') {
        super::undo::redo(&mut state.brief);
        return true;
    }
    if control
        || matches!(
            key.code,
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Esc | KeyCode::F(_)
        )
    {
        vi.pending = None;
        return false;
    }
    let pending = vi.pending.take();
    let editor = &mut state.brief;
    let mut insert = false;
    match (pending, key.code) {
        (Some('d'), KeyCode::Char('d')) => {
            let row = editor.cursor().0;
            let line = editor.lines().get(row).cloned().unwrap_or_default();
            let last = row + 1 == editor.lines().len();
            editor.move_cursor(CursorMove::Head);
            editor.delete_line_by_end();
            if !last {
                editor.delete_next_char();
            } else if row > 0 {
                editor.delete_newline();
            }
            editor.set_yank_text(format!("{line}\n"));
        }
        (Some('y'), KeyCode::Char('y')) => {
            let line = editor
                .lines()
                .get(editor.cursor().0)
                .cloned()
                .unwrap_or_default();
            editor.set_yank_text(format!("{line}\n"));
        }
        (Some('g'), KeyCode::Char('g')) => editor.move_cursor(CursorMove::Top),
        (_, KeyCode::Char(c @ ('d' | 'y' | 'g'))) => {
            if let Some(vi) = state.vi.as_mut() {
                vi.pending = Some(c);
            }
        }
        (_, KeyCode::Char('h') | KeyCode::Left | KeyCode::Backspace) => {
            editor.move_cursor(CursorMove::Back)
        }
        (_, KeyCode::Char('l') | KeyCode::Right) => editor.move_cursor(CursorMove::Forward),
        (_, KeyCode::Char('j') | KeyCode::Down | KeyCode::Enter) => {
            editor.move_cursor(CursorMove::Down)
        }
        (_, KeyCode::Char('k') | KeyCode::Up) => editor.move_cursor(CursorMove::Up),
        (_, KeyCode::Char('w')) => editor.move_cursor(CursorMove::WordForward),
        (_, KeyCode::Char('b')) => editor.move_cursor(CursorMove::WordBack),
        (_, KeyCode::Char('e')) => editor.move_cursor(CursorMove::WordEnd),
        (_, KeyCode::Char('0' | '^') | KeyCode::Home) => editor.move_cursor(CursorMove::Head),
        (_, KeyCode::Char('$') | KeyCode::End) => editor.move_cursor(CursorMove::End),
        (_, KeyCode::Char('G')) => editor.move_cursor(CursorMove::Bottom),
        (_, KeyCode::Char('x') | KeyCode::Delete) => {
            editor.delete_next_char();
        }
        (_, KeyCode::Char('D')) => {
            editor.delete_line_by_end();
        }
        (_, KeyCode::Char('C')) => {
            editor.delete_line_by_end();
            insert = true;
        }
        (_, KeyCode::Char('p')) => {
            let yank = editor.yank_text();
            match yank.strip_suffix('\n') {
                // A whole line goes below this one.
                Some(line) => {
                    // One edit, so one `u` takes it back.
                    editor.move_cursor(CursorMove::End);
                    editor.insert_str(format!("\n{line}"));
                    editor.move_cursor(CursorMove::Head);
                }
                None => {
                    editor.move_cursor(CursorMove::Forward);
                    editor.paste();
                }
            }
        }
        (_, KeyCode::Char('u')) => {
            super::undo::undo(editor);
        }
        (_, KeyCode::Char('i')) => insert = true,
        (_, KeyCode::Char('a')) => {
            editor.move_cursor(CursorMove::Forward);
            insert = true;
        }
        (_, KeyCode::Char('I')) => {
            editor.move_cursor(CursorMove::Head);
            insert = true;
        }
        (_, KeyCode::Char('A')) => {
            editor.move_cursor(CursorMove::End);
            insert = true;
        }
        (_, KeyCode::Char('o')) => {
            editor.move_cursor(CursorMove::End);
            editor.insert_newline();
            insert = true;
        }
        (_, KeyCode::Char('O')) => {
            editor.move_cursor(CursorMove::Head);
            editor.insert_newline();
            editor.move_cursor(CursorMove::Up);
            insert = true;
        }
        // Anything else does nothing in Normal mode: letters never type here.
        _ => {}
    }
    if insert {
        if let Some(vi) = state.vi.as_mut() {
            vi.mode = Mode::Insert;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, Timed};
    use chrono::Utc;

    fn state(brief: &str) -> State {
        let mut s = State::new(crate::state::tests::session(), brief, 100, 30);
        s.vi = Some(Vi::new());
        s
    }

    fn keys(s: &mut State, typed: &str) {
        for c in typed.chars() {
            let code = match c {
                '⎋' => KeyCode::Esc,
                '⏎' => KeyCode::Enter,
                c => KeyCode::Char(c),
            };
            s.handle(Timed {
                at: Utc::now(),
                event: Event::Key(KeyEvent::new(code, KeyModifiers::NONE)),
            });
        }
    }

    #[test]
    fn normal_mode_moves_and_edits_and_insert_mode_types() {
        let mut s = state("");
        keys(&mut s, "ihello world⎋");
        assert_eq!(s.brief_text(), "hello world");
        assert_eq!(s.vi.as_ref().unwrap().mode, Mode::Normal);
        keys(&mut s, "0x");
        assert_eq!(s.brief_text(), "ello world");
        keys(&mut s, "A!⎋");
        assert_eq!(s.brief_text(), "ello world!");
        keys(&mut s, "oline two⎋");
        assert_eq!(s.brief_text(), "ello world!\nline two");
        keys(&mut s, "ggdd");
        assert_eq!(s.brief_text(), "line two");
        keys(&mut s, "p");
        assert_eq!(
            s.brief_text(),
            "line two\nello world!",
            "the deleted line comes back below"
        );
        keys(&mut s, "u");
        assert_eq!(s.brief_text(), "line two");
        keys(&mut s, "qzv");
        assert_eq!(
            s.brief_text(),
            "line two",
            "letters without a meaning type nothing"
        );
    }

    #[test]
    fn workbench_keys_still_work_in_normal_mode() {
        let mut s = state("A brief to run");
        let effects = s.handle(Timed {
            at: Utc::now(),
            event: Event::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
        });
        assert!(matches!(
            effects.first(),
            Some(crate::effect::Effect::StartRun { .. })
        ));
    }
}
