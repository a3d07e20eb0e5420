//! Keys as data: every binding has a context and a description, and the status bar hints and the
//! help overlay are generated from this table, so they cannot drift from what the keys do.

mod key;
mod overrides;
mod shipped;

pub use key::{Binding, Context, Key};
pub use overrides::{conflicts, install, name, parse_key, table, with_overrides};
pub use shipped::{BINDINGS, DIGIT_HELP};

use crate::action::Action;
use crossterm::event::{KeyCode, KeyEvent};

/// The action bound to `event` in `context` (falling back to global bindings).
pub fn resolve(context: Context, event: &KeyEvent) -> Option<Action> {
    let table = overrides::table();
    let local = table
        .iter()
        .find(|b| b.context == context && b.keys.iter().any(|k| k.matches(event)));
    if let Some(binding) = local {
        return Some(binding.action);
    }
    // Digits choose a route, or in the schema view follow a relationship.
    if matches!(context, Context::Routes | Context::Answer | Context::Schema) {
        if let KeyCode::Char(c @ '1'..='9') = event.code {
            if event.modifiers.is_empty() {
                return Some(Action::Choose(c as usize - '1' as usize));
            }
        }
    }
    // The feedback editor owns Esc and Ctrl-S itself; other global keys still work there.
    table
        .iter()
        .find(|b| b.context == Context::Global && b.keys.iter().any(|k| k.matches(event)))
        .map(|b| b.action)
}

/// Hints for the status bar: the context's own bindings first, then the global ones.
pub fn hints(context: Context) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    if matches!(context, Context::Routes) {
        out.push(("1-9".into(), "choose"));
    }
    if matches!(context, Context::Schema) {
        out.push(("1-9".into(), "follow"));
    }
    let table = overrides::table();
    let local_keys: Vec<Key> = table
        .iter()
        .filter(|b| b.context == context)
        .flat_map(|b| b.keys.iter().copied())
        .collect();
    for scope in [context, Context::Global] {
        for b in table.iter().filter(|b| b.context == scope) {
            // A global key the context binds itself does something else here.
            if scope == Context::Global && b.keys.iter().any(|k| local_keys.contains(k)) {
                continue;
            }
            if let (Some(hint), Some(k)) = (b.hint, b.keys.first()) {
                if !out.iter().any(|(_, h)| *h == hint) {
                    out.push((k.label(), hint));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn context_bindings_win_over_global_ones() {
        assert_eq!(
            resolve(Context::Feedback, &press(KeyCode::Esc, KeyModifiers::NONE)),
            Some(Action::CloseFeedback)
        );
        assert_eq!(
            resolve(Context::Answer, &press(KeyCode::Esc, KeyModifiers::NONE)),
            Some(Action::Cancel)
        );
        assert_eq!(
            resolve(
                Context::Feedback,
                &press(KeyCode::Char('s'), KeyModifiers::CONTROL)
            ),
            Some(Action::SendFeedback)
        );
        assert_eq!(
            resolve(
                Context::Brief,
                &press(KeyCode::Char('s'), KeyModifiers::CONTROL)
            ),
            Some(Action::Run)
        );
    }

    #[test]
    fn digits_choose_routes_outside_editors() {
        assert_eq!(
            resolve(
                Context::Routes,
                &press(KeyCode::Char('2'), KeyModifiers::NONE)
            ),
            Some(Action::Choose(1))
        );
        assert_eq!(
            resolve(
                Context::Brief,
                &press(KeyCode::Char('2'), KeyModifiers::NONE)
            ),
            None
        );
    }

    #[test]
    fn shifted_letters_match_their_own_binding() {
        assert_eq!(
            resolve(
                Context::Answer,
                &press(KeyCode::Char('G'), KeyModifiers::SHIFT)
            ),
            Some(Action::Bottom)
        );
        assert_eq!(
            resolve(
                Context::Answer,
                &press(KeyCode::Char('g'), KeyModifiers::NONE)
            ),
            Some(Action::Top)
        );
        assert_eq!(
            resolve(
                Context::Global,
                &press(KeyCode::BackTab, KeyModifiers::SHIFT)
            ),
            Some(Action::FocusPrev)
        );
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                if a.context == b.context {
                    for k in a.keys {
                        assert!(
                            !b.keys.contains(k),
                            "{} bound twice in {:?}",
                            k.label(),
                            a.context
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn hints_come_from_the_table() {
        let hints = hints(Context::Routes);
        assert_eq!(hints[0], ("1-9".to_string(), "choose"));
        assert!(hints.contains(&("Enter".to_string(), "confirm")));
        assert!(hints.contains(&("Ctrl-S".to_string(), "run")));
    }

    #[test]
    fn a_global_key_rebound_in_a_context_is_hinted_once() {
        let hints = hints(Context::Payload);
        let ctrl_s: Vec<_> = hints.iter().filter(|(k, _)| k == "Ctrl-S").collect();
        assert_eq!(ctrl_s, [&("Ctrl-S".to_string(), "keep")]);
    }
}
