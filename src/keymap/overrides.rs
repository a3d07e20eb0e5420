//! The key table in force: the shipped bindings, with the user's overrides
//! from the configuration's `[keys]` applied once at start. Every binding has a name —
//! `context.action`, e.g. `answer.copy_block`, or just `run` for a global one — and an override
//! replaces that binding's keys. Conflicts (one key, two actions, one context) are reported.

use super::key::{Binding, Context, Key};
use super::shipped::BINDINGS;
use crossterm::event::{KeyCode, KeyModifiers};
use std::collections::BTreeMap;
use std::sync::OnceLock;

static TABLE: OnceLock<Vec<Binding>> = OnceLock::new();

/// The bindings in force.
pub fn table() -> &'static [Binding] {
    TABLE.get().map_or(BINDINGS, Vec::as_slice)
}

/// Puts `bindings` in force for the rest of the process (once; later calls change nothing).
pub fn install(bindings: Vec<Binding>) {
    let _ = TABLE.set(bindings);
}

fn context_id(context: Context) -> &'static str {
    match context {
        Context::Global => "global",
        Context::Brief => "brief",
        Context::Answer => "answer",
        Context::Outline => "outline",
        Context::Routes => "routes",
        Context::Feedback => "feedback",
        Context::Payload => "payload",
        Context::Prompt => "prompt",
        Context::Blocks => "blocks",
        Context::Checks => "checks",
        Context::Diff => "diff",
        Context::Schema => "schema",
        Context::Plans => "plans",
        Context::Marking => "marking",
        Context::Comments => "comments",
        Context::Checklist => "checklist",
        Context::Reasoning => "reasoning",
        Context::Picker => "picker",
        Context::History => "history",
        Context::Inbox => "inbox",
        Context::HistoryView => "history_view",
    }
}

/// A binding's name: `context.action` in snake case.
pub fn name(binding: &Binding) -> String {
    let action = format!("{:?}", binding.action);
    let mut snake = String::new();
    for (i, c) in action.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
        } else {
            snake.push(c);
        }
    }
    format!("{}.{snake}", context_id(binding.context))
}

/// A key as written in the configuration: `ctrl-s`, `alt-z`, `shift-tab`, `f5`, `enter`, `esc`,
/// `tab`, `space`, `up`, `pgdn`, `home`, or one character.
pub fn parse_key(text: &str) -> Result<Key, String> {
    let lower = text.trim().to_ascii_lowercase();
    let (mods, rest) = if let Some(rest) = lower.strip_prefix("ctrl-") {
        (KeyModifiers::CONTROL, rest)
    } else if let Some(rest) = lower.strip_prefix("alt-") {
        (KeyModifiers::ALT, rest)
    } else {
        (KeyModifiers::NONE, lower.as_str())
    };
    let code = match rest {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "shift-tab" | "backtab" => KeyCode::BackTab,
        "space" => KeyCode::Char(' '),
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pgup" | "pageup" => KeyCode::PageUp,
        "pgdn" | "pagedown" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "backspace" => KeyCode::Backspace,
        f if f.len() > 1
            && f.starts_with('f')
            && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
        {
            KeyCode::F(f[1..].parse().unwrap_or(1))
        }
        _ => {
            // One character, as typed (upper case letters are their own keys): the text after
            // a known modifier, in its own case.
            let original = text.trim();
            let typed = &original[original.len() - rest.len()..];
            let mut chars = typed.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if mods != KeyModifiers::NONE => KeyCode::Char(c.to_ascii_lowercase()),
                (Some(c), None) => KeyCode::Char(c),
                _ => {
                    return Err(format!(
                        "`{text}` is not a key (examples: ctrl-s, alt-z, f5, enter, esc, shift-tab, pgdn, x)"
                    ))
                }
            }
        }
    };
    Ok(Key { code, mods })
}

/// The shipped bindings with `overrides` (name → keys) applied, and what was wrong or now
/// conflicts.
pub fn with_overrides(overrides: &BTreeMap<String, Vec<String>>) -> (Vec<Binding>, Vec<String>) {
    let mut table: Vec<Binding> = BINDINGS.to_vec();
    let mut problems = Vec::new();
    for (wanted, keys) in overrides {
        let full = if wanted.contains('.') {
            wanted.clone()
        } else {
            format!("global.{wanted}")
        };
        let parsed: Result<Vec<Key>, String> = keys.iter().map(|k| parse_key(k)).collect();
        let parsed = match parsed {
            Ok(keys) if !keys.is_empty() => keys,
            Ok(_) => {
                problems.push(format!("keys.{wanted}: give at least one key"));
                continue;
            }
            Err(e) => {
                problems.push(format!("keys.{wanted}: {e}"));
                continue;
            }
        };
        let mut found = false;
        for binding in table.iter_mut().filter(|b| name(b) == full) {
            // Bounded: once per override, at start.
            binding.keys = Box::leak(parsed.clone().into_boxed_slice());
            found = true;
        }
        if !found {
            problems.push(format!(
                "keys.{wanted}: no such binding (names are context.action, as `archbench keys` lists them)"
            ));
        }
    }
    problems.extend(conflicts(&table));
    (table, problems)
}

/// Each key bound to two different actions in one context.
pub fn conflicts(table: &[Binding]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, a) in table.iter().enumerate() {
        for b in &table[i + 1..] {
            if a.context != b.context || a.action == b.action {
                continue;
            }
            for key in a.keys.iter().filter(|k| b.keys.contains(k)) {
                out.push(format!(
                    "`{}` is bound to both {} and {}; {} wins",
                    key.label(),
                    name(a),
                    name(b),
                    name(a)
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Action;

    fn overrides(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn bindings_have_unique_names() {
        let mut names: Vec<String> = BINDINGS.iter().map(name).collect();
        assert!(names.contains(&"global.run".to_string()));
        assert!(names.contains(&"answer.copy_block".to_string()));
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count, "two bindings share a name");
    }

    #[test]
    fn keys_are_read_as_people_write_them() {
        assert_eq!(
            parse_key("ctrl-s").unwrap(),
            Key {
                code: KeyCode::Char('s'),
                mods: KeyModifiers::CONTROL
            }
        );
        assert_eq!(
            parse_key("Alt-Z").unwrap(),
            Key {
                code: KeyCode::Char('z'),
                mods: KeyModifiers::ALT
            }
        );
        assert_eq!(parse_key("F5").unwrap().code, KeyCode::F(5));
        assert_eq!(parse_key("shift-tab").unwrap().code, KeyCode::BackTab);
        assert_eq!(parse_key("G").unwrap().code, KeyCode::Char('G'));
        assert!(parse_key("hyper-q").is_err());
        assert!(parse_key("f13").is_err());
    }

    #[test]
    fn an_override_replaces_the_keys_and_shows_in_resolution_and_help() {
        let (table, problems) = with_overrides(&overrides(&[
            ("run", &["f9"]),
            ("answer.copy_block", &["ctrl-y"]),
        ]));
        assert!(problems.is_empty(), "{problems:?}");
        let run = table.iter().find(|b| name(b) == "global.run").unwrap();
        assert_eq!(run.keys, &[parse_key("f9").unwrap()]);
        let copy = table
            .iter()
            .find(|b| b.action == Action::CopyBlock && b.context == Context::Answer)
            .unwrap();
        assert_eq!(copy.keys[0].label(), "Ctrl-Y");
    }

    #[test]
    fn conflicts_and_mistakes_are_reported() {
        let (_, problems) = with_overrides(&overrides(&[
            ("answer.copy_block", &["j"]),
            ("answer.nope", &["x"]),
            ("run", &["hyper-q"]),
        ]));
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems
            .iter()
            .any(|p| p.contains("keys.answer.nope: no such binding")));
        assert!(problems
            .iter()
            .any(|p| p.contains("keys.run: `hyper-q` is not a key")));
        assert!(
            problems
                .iter()
                .any(|p| p.contains("`j` is bound to both") && p.contains("answer.copy_block")),
            "{problems:?}"
        );
        assert!(
            conflicts(BINDINGS).is_empty(),
            "the shipped table has no conflict"
        );
    }
}
