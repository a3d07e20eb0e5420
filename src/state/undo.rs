//! Undo and redo in the brief by word, not by character. The text area keeps one history step
//! per key; a person expects one undo to take back a word they typed (with the spaces after it)
//! or a run of Backspaces. So undo repeats the text area's own steps while each one takes back a
//! single character of the same run, and gives back (redoes) the first step that would cross
//! into the next run. Any other edit (a paste, a line break, a replaced brief) is a step of its
//! own, as the text area recorded it.

use ratatui_textarea::TextArea;

/// Most single-character steps one undo takes back (a very long word is still taken in parts).
const MOST: usize = 200;

/// What one history step did to the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// One character left the text.
    Removed(char),
    /// One character came into it.
    Added(char),
    /// Anything else, or nothing.
    Other,
}

/// Which run a character belongs to: a word, or the spaces and punctuation between words.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The one character by which `longer` differs from `shorter`, when that is all that differs.
fn one_char(shorter: &[String], longer: &[String]) -> Option<char> {
    if shorter.len() != longer.len() {
        return None;
    }
    let mut differs = shorter.iter().zip(longer).filter(|(a, b)| a != b);
    let (short, long) = differs.next()?;
    if differs.next().is_some() || long.chars().count() != short.chars().count() + 1 {
        return None;
    }
    let at = short
        .chars()
        .zip(long.chars())
        .position(|(a, b)| a != b)
        .unwrap_or(short.chars().count());
    let c = long.chars().nth(at)?;
    // The rest must be the same text shifted by one.
    let rest_same = short.chars().skip(at).eq(long.chars().skip(at + 1));
    rest_same.then_some(c)
}

fn step(area: &mut TextArea<'static>, forward: bool) -> Option<Step> {
    let before = area.lines().to_vec();
    let moved = if forward { area.redo() } else { area.undo() };
    if !moved {
        return None;
    }
    let after = area.lines();
    Some(if let Some(c) = one_char(after, &before) {
        Step::Removed(c)
    } else if let Some(c) = one_char(&before, after) {
        Step::Added(c)
    } else {
        Step::Other
    })
}

/// Whether `next` continues the run that `last` belongs to, in the order steps are taken.
/// Undoing typed text meets a word's trailing spaces first, then its letters; redoing, the
/// letters first, then the spaces.
fn same_run(last: Step, next: Step, forward: bool) -> bool {
    let (a, b) = match (last, next) {
        (Step::Removed(a), Step::Removed(b)) | (Step::Added(a), Step::Added(b)) => (a, b),
        _ => return false,
    };
    let (earlier, later) = if forward { (a, b) } else { (b, a) };
    // In typing order: a word may be followed by spaces, spaces by spaces, letters by letters.
    is_word(earlier) || !is_word(later)
}

/// Takes back the last run of edits (a word, or a run of deletions); false when there was none.
pub fn undo(area: &mut TextArea<'static>) -> bool {
    run(area, false)
}

/// Does again what the last undo took back, run by run.
pub fn redo(area: &mut TextArea<'static>) -> bool {
    run(area, true)
}

fn run(area: &mut TextArea<'static>, forward: bool) -> bool {
    let Some(mut last) = step(area, forward) else {
        return false;
    };
    for _ in 0..MOST {
        if last == Step::Other {
            break;
        }
        match step(area, forward) {
            None => break,
            Some(next) if same_run(last, next, forward) => last = next,
            Some(_) => {
                // One step too far: given back.
                if forward {
                    area.undo();
                } else {
                    area.redo();
                }
                break;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn typed(text: &str) -> TextArea<'static> {
        let mut area = TextArea::default();
        area.set_max_histories(500);
        for c in text.chars() {
            let code = if c == '\n' {
                KeyCode::Enter
            } else {
                KeyCode::Char(c)
            };
            area.input(KeyEvent::new(code, KeyModifiers::NONE));
        }
        area
    }

    fn text(area: &TextArea) -> String {
        area.lines().join("\n")
    }

    #[test]
    fn undo_takes_back_a_word_with_its_spaces_and_redo_gives_it_back() {
        let mut area = typed("multi tenant ledger");
        assert!(undo(&mut area));
        assert_eq!(text(&area), "multi tenant ");
        assert!(undo(&mut area));
        assert_eq!(text(&area), "multi ");
        assert!(redo(&mut area));
        assert_eq!(text(&area), "multi tenant ");
        assert!(redo(&mut area));
        assert_eq!(text(&area), "multi tenant ledger");
        assert!(!redo(&mut area));
    }

    #[test]
    fn a_run_of_backspaces_is_one_step_and_a_line_break_its_own() {
        let mut area = typed("ledger\nrows");
        for _ in 0..3 {
            area.input(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE));
        }
        assert_eq!(text(&area), "ledger\nr");
        assert!(undo(&mut area));
        assert_eq!(text(&area), "ledger\nrows");
        assert!(undo(&mut area));
        assert_eq!(text(&area), "ledger\n");
        assert!(undo(&mut area));
        assert_eq!(text(&area), "ledger");
        assert!(undo(&mut area));
        assert_eq!(text(&area), "");
        assert!(!undo(&mut area));
    }

    #[test]
    fn a_paste_is_one_step() {
        let mut area = typed("brief ");
        area.insert_str("pasted words here");
        assert!(undo(&mut area));
        assert_eq!(text(&area), "brief ");
    }
}
