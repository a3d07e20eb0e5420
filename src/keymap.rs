//! Keys as data: every binding has a context and a description, and the status bar hints and the
//! help overlay are generated from this table, so they cannot drift from what the keys do.

use crate::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Everywhere (unless the help overlay is open).
    Global,
    Brief,
    Answer,
    Outline,
    Routes,
    Feedback,
    /// The editor of the brief the next role receives.
    Payload,
    /// The one-line prompt (search, a folder).
    Prompt,
    /// The list of code blocks.
    Blocks,
    /// The model's reasoning, open over the answer.
    Reasoning,
    /// The model picker.
    Picker,
    /// The history screen's list of runs.
    History,
    /// A run opened from the history, or two compared.
    HistoryView,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Self::Global => "Everywhere",
            Self::Brief => "Brief editor",
            Self::Answer => "Answer",
            Self::Outline => "Outline",
            Self::Routes => "Routes",
            Self::Feedback => "Feedback editor",
            Self::Payload => "Handoff brief editor",
            Self::Prompt => "Prompt",
            Self::Blocks => "Code blocks",
            Self::Reasoning => "Reasoning",
            Self::History => "History",
            Self::Picker => "Model",
            Self::HistoryView => "History: a run",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn key(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}
const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}
const fn alt(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::ALT,
    }
}
const fn ch(c: char) -> Key {
    key(KeyCode::Char(c))
}

impl Key {
    pub fn matches(&self, event: &KeyEvent) -> bool {
        // Terminals report Shift with upper-case letters, symbols and BackTab, whose code already
        // says it; some report it and some do not, so it is ignored there.
        let mods = match event.code {
            KeyCode::Char(_) | KeyCode::BackTab => event.modifiers - KeyModifiers::SHIFT,
            _ => event.modifiers,
        };
        self.code == event.code && self.mods == mods
    }

    pub fn label(&self) -> String {
        let name = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{}", name.to_uppercase())
        } else if self.mods.contains(KeyModifiers::ALT) {
            format!("Alt-{name}")
        } else {
            name
        }
    }
}

#[derive(Debug, Clone)]
pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    pub action: Action,
    /// Shown in the help overlay.
    pub description: &'static str,
    /// Short label for the status bar; `None` keeps the binding out of the hints.
    pub hint: Option<&'static str>,
}

/// Digits choose routing options; listed once in the help as `1-9`.
pub const DIGIT_HELP: (&str, &str) = ("1-9", "choose routing option n");

pub const BINDINGS: &[Binding] = &[
    Binding {
        context: Context::Global,
        keys: &[ctrl('s'), key(KeyCode::F(5))],
        action: Action::Run,
        description: "run the agent on the brief",
        hint: Some("run"),
    },
    Binding {
        context: Context::Global,
        keys: &[key(KeyCode::Esc)],
        action: Action::Cancel,
        description: "cancel the run; the partial answer stays",
        hint: None,
    },
    Binding {
        context: Context::Global,
        keys: &[key(KeyCode::Tab)],
        action: Action::FocusNext,
        description: "focus the next pane",
        hint: Some("pane"),
    },
    Binding {
        context: Context::Global,
        keys: &[key(KeyCode::BackTab)],
        action: Action::FocusPrev,
        description: "focus the previous pane",
        hint: None,
    },
    Binding {
        context: Context::Global,
        keys: &[key(KeyCode::F(1))],
        action: Action::Help,
        description: "show or hide this help",
        hint: Some("help"),
    },
    Binding {
        context: Context::Global,
        keys: &[ctrl('o'), key(KeyCode::F(2))],
        action: Action::OpenHistory,
        description: "history: every run kept, searchable, to open, compare, continue or re-run",
        // Kept out of the status line, which has no room left at 80 columns for quit.
        hint: None,
    },
    Binding {
        context: Context::Global,
        keys: &[key(KeyCode::F(8))],
        action: Action::Messages,
        description: "every message of this session in full, with its time",
        hint: None,
    },
    Binding {
        context: Context::Global,
        keys: &[key(KeyCode::F(7))],
        action: Action::TakeDraft,
        description:
            "take the draft an earlier workbench left for this brief (Ctrl-Z twice undoes)",
        hint: None,
    },
    Binding {
        context: Context::Global,
        keys: &[key(KeyCode::F(6)), alt('z')],
        action: Action::Zoom,
        description: "zoom: the focused pane fills the screen (again to give the others back)",
        hint: None,
    },
    Binding {
        context: Context::Global,
        keys: &[key(KeyCode::F(3)), ctrl('t')],
        action: Action::NextTheme,
        description: "the next theme (shipped, then yours from the config folder's themes/)",
        hint: None,
    },
    Binding {
        context: Context::Global,
        keys: &[ctrl('p'), key(KeyCode::F(4))],
        action: Action::PickModel,
        description: "choose the model: a profile, or one the server lists (for the next run)",
        hint: None,
    },
    Binding {
        context: Context::Picker,
        keys: &[key(KeyCode::Up), ch('k')],
        action: Action::PrevItem,
        description: "previous model",
        hint: None,
    },
    Binding {
        context: Context::Picker,
        keys: &[key(KeyCode::Down), ch('j')],
        action: Action::NextItem,
        description: "next model",
        hint: None,
    },
    Binding {
        context: Context::Picker,
        keys: &[key(KeyCode::Enter)],
        action: Action::OpenItem,
        description: "use this model for the next run",
        hint: Some("use"),
    },
    Binding {
        context: Context::Picker,
        keys: &[key(KeyCode::Esc)],
        action: Action::ClosePrompt,
        description: "close, keeping the model in use",
        hint: Some("close"),
    },
    Binding {
        context: Context::History,
        keys: &[key(KeyCode::Up), ch('k')],
        action: Action::PrevItem,
        description: "previous run",
        hint: None,
    },
    Binding {
        context: Context::History,
        keys: &[key(KeyCode::Down), ch('j')],
        action: Action::NextItem,
        description: "next run",
        hint: None,
    },
    Binding {
        context: Context::History,
        keys: &[key(KeyCode::PageUp)],
        action: Action::PageUp,
        description: "a page of runs up",
        hint: None,
    },
    Binding {
        context: Context::History,
        keys: &[key(KeyCode::PageDown)],
        action: Action::PageDown,
        description: "a page of runs down",
        hint: None,
    },
    Binding {
        context: Context::History,
        keys: &[key(KeyCode::Enter)],
        action: Action::OpenItem,
        description: "open the run: what ran, the brief, the answer",
        hint: Some("open"),
    },
    Binding {
        context: Context::History,
        keys: &[ch('/')],
        action: Action::Search,
        description: "search every brief and answer (all the words)",
        hint: Some("search"),
    },
    Binding {
        context: Context::History,
        keys: &[ch('m')],
        action: Action::HistoryMark,
        description: "mark the run for a comparison",
        hint: Some("mark"),
    },
    Binding {
        context: Context::History,
        keys: &[ch('d')],
        action: Action::HistoryCompare,
        description: "compare the marked run with this one, side by side",
        hint: Some("compare"),
    },
    Binding {
        context: Context::History,
        keys: &[ch('c')],
        action: Action::HistoryContinue,
        description: "continue the run's conversation in the workbench",
        hint: Some("continue"),
    },
    Binding {
        context: Context::History,
        keys: &[ch('R')],
        action: Action::HistoryRerun,
        description: "run the run's brief again (asks which role)",
        hint: Some("re-run"),
    },
    Binding {
        context: Context::History,
        keys: &[key(KeyCode::Esc)],
        action: Action::ClosePrompt,
        description: "close the history",
        hint: Some("close"),
    },
    Binding {
        context: Context::HistoryView,
        keys: &[key(KeyCode::Up), ch('k')],
        action: Action::ScrollUp,
        description: "scroll up",
        hint: None,
    },
    Binding {
        context: Context::HistoryView,
        keys: &[key(KeyCode::Down), ch('j')],
        action: Action::ScrollDown,
        description: "scroll down",
        hint: None,
    },
    Binding {
        context: Context::HistoryView,
        keys: &[key(KeyCode::PageUp), ch('b')],
        action: Action::PageUp,
        description: "page up",
        hint: None,
    },
    Binding {
        context: Context::HistoryView,
        keys: &[key(KeyCode::PageDown), ch(' ')],
        action: Action::PageDown,
        description: "page down",
        hint: None,
    },
    Binding {
        context: Context::HistoryView,
        keys: &[ch('c')],
        action: Action::HistoryContinue,
        description: "continue this conversation in the workbench",
        hint: Some("continue"),
    },
    Binding {
        context: Context::HistoryView,
        keys: &[ch('R')],
        action: Action::HistoryRerun,
        description: "run this brief again (asks which role)",
        hint: Some("re-run"),
    },
    Binding {
        context: Context::HistoryView,
        keys: &[key(KeyCode::Esc)],
        action: Action::ClosePrompt,
        description: "back to the list",
        hint: Some("back"),
    },
    Binding {
        context: Context::Global,
        keys: &[ctrl('q'), ctrl('c')],
        action: Action::Quit,
        description: "quit (asks again if work would be lost)",
        hint: Some("quit"),
    },
    Binding {
        context: Context::Brief,
        keys: &[ctrl('g')],
        action: Action::EditExternally,
        description: "edit the brief in $VISUAL or $EDITOR; back here when it exits",
        hint: Some("editor"),
    },
    Binding {
        context: Context::Brief,
        keys: &[ctrl('z'), ctrl('u')],
        action: Action::Undo,
        description: "undo a word, or a run of deletions; Ctrl-R redoes",
        hint: None,
    },
    Binding {
        context: Context::Answer,
        keys: &[key(KeyCode::Up), ch('k')],
        action: Action::ScrollUp,
        description: "scroll up",
        hint: None,
    },
    Binding {
        context: Context::Answer,
        keys: &[key(KeyCode::Down), ch('j')],
        action: Action::ScrollDown,
        description: "scroll down",
        hint: None,
    },
    Binding {
        context: Context::Answer,
        keys: &[key(KeyCode::PageUp), ch('b')],
        action: Action::PageUp,
        description: "page up",
        hint: None,
    },
    Binding {
        context: Context::Answer,
        keys: &[key(KeyCode::PageDown), ch(' ')],
        action: Action::PageDown,
        description: "page down",
        hint: None,
    },
    Binding {
        context: Context::Answer,
        keys: &[key(KeyCode::Home), ch('g')],
        action: Action::Top,
        description: "top of the answer",
        hint: None,
    },
    Binding {
        context: Context::Answer,
        keys: &[key(KeyCode::End), ch('G')],
        action: Action::Bottom,
        description: "end of the answer; follow it",
        hint: Some("follow"),
    },
    Binding {
        context: Context::Answer,
        keys: &[ch('[')],
        action: Action::PrevAttempt,
        description: "show the previous attempt",
        hint: None,
    },
    Binding {
        context: Context::Answer,
        keys: &[ch(']')],
        action: Action::NextAttempt,
        description: "show the next attempt",
        hint: None,
    },
    Binding {
        context: Context::Answer,
        keys: &[ctrl('u')],
        action: Action::HalfPageUp,
        description: "half a page up",
        hint: None,
    },
    Binding {
        context: Context::Answer,
        keys: &[ctrl('d')],
        action: Action::HalfPageDown,
        description: "half a page down",
        hint: None,
    },
    Binding {
        context: Context::Answer,
        keys: &[ch('{')],
        action: Action::PrevBlock,
        description: "previous code block",
        hint: None,
    },
    Binding {
        context: Context::Answer,
        keys: &[ch('}')],
        action: Action::NextBlock,
        description: "next code block",
        hint: Some("block"),
    },
    Binding {
        context: Context::Answer,
        keys: &[ch('y')],
        action: Action::CopyBlock,
        description: "copy the code block in view (OSC 52)",
        hint: Some("copy"),
    },
    Binding {
        context: Context::Answer,
        keys: &[ch('Y')],
        action: Action::CopyAnswer,
        description: "copy the whole answer",
        hint: None,
    },
    Binding {
        context: Context::Answer,
        keys: &[ch('s')],
        action: Action::SaveBlocks,
        description: "save every code block to a folder",
        hint: Some("save"),
    },
    Binding {
        context: Context::Answer,
        keys: &[ch('e')],
        action: Action::ExportAnswer,
        description: "export the answer as markdown",
        hint: None,
    },
    Binding {
        context: Context::Answer,
        keys: &[ch('z')],
        action: Action::ToggleReasoning,
        description: "show the model's reasoning (kept apart from the answer)",
        hint: None,
    },
    Binding {
        context: Context::Reasoning,
        keys: &[key(KeyCode::Up), ch('k')],
        action: Action::ScrollUp,
        description: "back through the reasoning",
        hint: None,
    },
    Binding {
        context: Context::Reasoning,
        keys: &[key(KeyCode::Down), ch('j')],
        action: Action::ScrollDown,
        description: "towards its end",
        hint: None,
    },
    Binding {
        context: Context::Reasoning,
        keys: &[ch('z'), key(KeyCode::Esc)],
        action: Action::ToggleReasoning,
        description: "fold the reasoning away",
        hint: Some("close"),
    },
    Binding {
        context: Context::Answer,
        keys: &[ch('/')],
        action: Action::Search,
        description: "search the answer",
        hint: Some("search"),
    },
    Binding {
        context: Context::Answer,
        keys: &[ch('n')],
        action: Action::NextMatch,
        description: "next match",
        hint: None,
    },
    Binding {
        context: Context::Answer,
        keys: &[ch('N')],
        action: Action::PrevMatch,
        description: "previous match",
        hint: None,
    },
    Binding {
        context: Context::Prompt,
        keys: &[key(KeyCode::Enter)],
        action: Action::SubmitPrompt,
        description: "accept",
        hint: Some("accept"),
    },
    Binding {
        context: Context::Prompt,
        keys: &[key(KeyCode::Esc)],
        action: Action::ClosePrompt,
        description: "cancel",
        hint: Some("cancel"),
    },
    Binding {
        context: Context::Answer,
        keys: &[ch('c')],
        action: Action::BlockList,
        description: "list the code blocks",
        hint: Some("blocks"),
    },
    Binding {
        context: Context::Routes,
        keys: &[ch('o')],
        action: Action::Override,
        description: "override: hand off to an unlisted role, with a reason",
        hint: None,
    },
    Binding {
        context: Context::Routes,
        keys: &[ch('x')],
        action: Action::Reject,
        description: "reject: hand nothing off, the chain stops",
        hint: None,
    },
    Binding {
        context: Context::Routes,
        keys: &[ch('a')],
        action: Action::Reask,
        description: "re-ask: ask the agent for the decision line only",
        hint: None,
    },
    Binding {
        context: Context::Routes,
        keys: &[ch('e')],
        action: Action::EditPayload,
        description: "edit the brief the next role receives",
        hint: None,
    },
    Binding {
        context: Context::Routes,
        keys: &[ch('d')],
        action: Action::Defer,
        description: "defer: save this review, resume it later (archbench resume)",
        hint: None,
    },
    Binding {
        context: Context::Payload,
        keys: &[ctrl('s')],
        action: Action::SavePayload,
        description: "keep this brief for the handoff",
        hint: Some("keep"),
    },
    Binding {
        context: Context::Payload,
        keys: &[key(KeyCode::Esc)],
        action: Action::ClosePayload,
        description: "close; the edits are kept",
        hint: Some("close"),
    },
    Binding {
        context: Context::Payload,
        keys: &[ctrl('r')],
        action: Action::ResetPayload,
        description: "start again from the composed brief",
        hint: Some("reset"),
    },
    Binding {
        context: Context::Outline,
        keys: &[ch('y')],
        action: Action::CopySection,
        description: "copy this whole section",
        hint: Some("copy"),
    },
    Binding {
        context: Context::Blocks,
        keys: &[key(KeyCode::Up), ch('k')],
        action: Action::PrevItem,
        description: "previous block",
        hint: None,
    },
    Binding {
        context: Context::Blocks,
        keys: &[key(KeyCode::Down), ch('j')],
        action: Action::NextItem,
        description: "next block",
        hint: None,
    },
    Binding {
        context: Context::Blocks,
        keys: &[key(KeyCode::Enter)],
        action: Action::OpenItem,
        description: "show the block in the answer",
        hint: Some("jump"),
    },
    Binding {
        context: Context::Blocks,
        keys: &[ch('y')],
        action: Action::CopyBlock,
        description: "copy the block",
        hint: Some("copy"),
    },
    Binding {
        context: Context::Blocks,
        keys: &[ch('s')],
        action: Action::SaveBlocks,
        description: "save every block to a folder",
        hint: Some("save"),
    },
    Binding {
        context: Context::Blocks,
        keys: &[key(KeyCode::Esc), ch('c')],
        action: Action::ClosePrompt,
        description: "close the list",
        hint: Some("close"),
    },
    Binding {
        context: Context::Outline,
        keys: &[key(KeyCode::Up), ch('k')],
        action: Action::PrevItem,
        description: "previous heading",
        hint: None,
    },
    Binding {
        context: Context::Outline,
        keys: &[key(KeyCode::Down), ch('j')],
        action: Action::NextItem,
        description: "next heading",
        hint: None,
    },
    Binding {
        context: Context::Outline,
        keys: &[key(KeyCode::Enter)],
        action: Action::OpenItem,
        description: "show this section in the answer",
        hint: Some("jump"),
    },
    Binding {
        context: Context::Outline,
        keys: &[ch(' '), key(KeyCode::Left), key(KeyCode::Right)],
        action: Action::OutlineFold,
        description: "fold or unfold its subsections",
        hint: Some("fold"),
    },
    Binding {
        context: Context::Routes,
        keys: &[key(KeyCode::Up), ch('k')],
        action: Action::RouteUp,
        description: "previous routing option",
        hint: None,
    },
    Binding {
        context: Context::Routes,
        keys: &[key(KeyCode::Down), ch('j')],
        action: Action::RouteDown,
        description: "next routing option",
        hint: None,
    },
    Binding {
        context: Context::Routes,
        keys: &[key(KeyCode::Enter)],
        action: Action::Confirm,
        description: "hand off along the chosen route",
        hint: Some("confirm"),
    },
    Binding {
        context: Context::Routes,
        keys: &[ch('r')],
        action: Action::Revise,
        description: "revise: send back with feedback",
        hint: Some("revise"),
    },
    Binding {
        context: Context::Feedback,
        keys: &[ctrl('s')],
        action: Action::SendFeedback,
        description: "send the feedback, run again",
        hint: Some("send"),
    },
    Binding {
        context: Context::Feedback,
        keys: &[key(KeyCode::Esc)],
        action: Action::CloseFeedback,
        description: "close; the feedback is kept",
        hint: Some("close"),
    },
];

/// The action bound to `event` in `context` (falling back to global bindings).
pub fn resolve(context: Context, event: &KeyEvent) -> Option<Action> {
    let table = crate::keybindings::table();
    let local = table
        .iter()
        .find(|b| b.context == context && b.keys.iter().any(|k| k.matches(event)));
    if let Some(binding) = local {
        return Some(binding.action);
    }
    if matches!(context, Context::Routes | Context::Answer) {
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
    let table = crate::keybindings::table();
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
