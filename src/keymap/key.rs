//! The vocabulary of keys: where a binding applies, a key as the table writes it, a binding.

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
    /// The list of the SQL check's findings.
    Checks,
    /// An attempt compared with the one before it.
    Diff,
    /// The schema view.
    Schema,
    /// The answer's queries beside their plans.
    Plans,
    /// Lines of the answer being marked for a comment.
    Marking,
    /// The list of comments on the answer.
    Comments,
    /// The brief's checklist.
    Checklist,
    /// The model's reasoning, open over the answer.
    Reasoning,
    /// The model picker.
    Picker,
    /// The history screen's list of runs.
    History,
    /// The inbox of reviews waiting.
    Inbox,
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
            Self::Checks => "SQL checks",
            Self::Diff => "Attempts compared",
            Self::Schema => "Schema",
            Self::Plans => "Queries and their plans",
            Self::Marking => "Marking lines for a comment",
            Self::Comments => "Comments",
            Self::Checklist => "Checklist of the brief",
            Self::Reasoning => "Reasoning",
            Self::History => "History",
            Self::Inbox => "Inbox",
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

pub(super) const fn key(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}
pub(super) const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}
pub(super) const fn alt(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::ALT,
    }
}
pub(super) const fn ch(c: char) -> Key {
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
