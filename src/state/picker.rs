//! The model picker: the configuration's profiles, the models the current server lists (or the
//! GGUF files beside the local model), and switching to one for the next run. Building the new
//! provider is an effect (a key command may run); the built provider comes back as an event and
//! is put to use by another effect, so a run already going is never touched.

use super::notify::{audit, notice};
use super::{NoticeLevel, State};
use crate::action::Action;
use crate::effect::Effect;
use crate::provider::choose::{Built, Choice};
use crate::provider::{Params, ProviderInfo};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// What the picker can offer, set up at start.
#[derive(Debug, Clone, Default)]
pub struct ModelSetup {
    /// What runs now (`None` where it is not known, as in some tests).
    pub current: Option<Choice>,
    /// The parameters asked for (flags, configuration, role file), before a provider's defaults.
    pub requested: Params,
    /// The configuration's profiles, as choices.
    pub profiles: Vec<(String, Choice)>,
    /// Prices per million tokens, by model.
    pub prices: BTreeMap<String, crate::config::Price>,
}

/// Where an entry comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Profile(String),
    /// Listed by the current server (or the local model folder).
    Listed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub origin: Origin,
    pub choice: Choice,
}

impl Entry {
    /// What it runs, as the status line says it: `anthropic: claude-…`.
    pub fn describe(&self) -> String {
        describe(&self.choice)
    }
}

pub fn describe(choice: &Choice) -> String {
    match choice {
        Choice::OpenAi {
            model, base_url, ..
        } => format!("openai: {model} at {base_url}"),
        Choice::Anthropic { model, .. } => format!("anthropic: {model}"),
        Choice::Local { path } => format!(
            "local: {}",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ),
    }
}

pub struct Picker {
    pub entries: Vec<Entry>,
    pub selected: usize,
    /// The server's list has not arrived yet.
    pub listing: bool,
    /// Why the server's list could not be had.
    pub list_error: Option<String>,
}

/// Opens the picker on the profiles and asks the provider for its list.
pub(super) fn open(state: &mut State) -> Vec<Effect> {
    let entries = state
        .models
        .profiles
        .iter()
        .map(|(name, choice)| Entry {
            origin: Origin::Profile(name.clone()),
            choice: choice.clone(),
        })
        .collect();
    state.picker = Some(Picker {
        entries,
        selected: 0,
        listing: true,
        list_error: None,
    });
    vec![Effect::ListModels]
}

/// The current provider's list arrived: each name becomes a choice on the same server.
pub(super) fn on_listed(state: &mut State, result: Result<Vec<String>, String>) {
    let current = state.models.current.clone();
    let Some(picker) = state.picker.as_mut() else {
        return;
    };
    picker.listing = false;
    let names = match result {
        Ok(names) => names,
        Err(e) => {
            picker.list_error = Some(e);
            return;
        }
    };
    let Some(current) = current else { return };
    for name in names {
        let choice = match &current {
            Choice::OpenAi { base_url, key, .. } => Choice::OpenAi {
                base_url: base_url.clone(),
                model: name,
                key: key.clone(),
            },
            Choice::Anthropic { base_url, key, .. } => Choice::Anthropic {
                base_url: base_url.clone(),
                model: name,
                key: key.clone(),
            },
            Choice::Local { .. } => Choice::Local { path: name.into() },
        };
        let entry = Entry {
            origin: Origin::Listed,
            choice,
        };
        if !picker.entries.contains(&entry) {
            picker.entries.push(entry);
        }
    }
}

/// Keys in the picker.
pub(super) fn apply(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let picker = state.picker.as_mut()?;
    let last = picker.entries.len().saturating_sub(1);
    match action {
        Action::PrevItem => picker.selected = picker.selected.saturating_sub(1),
        Action::NextItem => picker.selected = (picker.selected + 1).min(last),
        Action::ClosePrompt => state.picker = None,
        Action::OpenItem => {
            let Some(entry) = picker.entries.get(picker.selected).cloned() else {
                return Some(Vec::new());
            };
            if state.running.is_some() {
                notice(
                    state,
                    NoticeLevel::Warning,
                    "An answer is streaming: the model switches for the next run, once this one ends or Esc cancels it.",
                );
                return Some(Vec::new());
            }
            state.picker = None;
            notice(
                state,
                NoticeLevel::Info,
                format!("Switching to {}…", entry.describe()),
            );
            return Some(vec![Effect::BuildProvider(entry.choice)]);
        }
        _ => return None,
    }
    Some(Vec::new())
}

/// A provider was built (or could not be): put it to use for the next run.
pub(super) fn on_built(
    state: &mut State,
    result: Result<Built, String>,
    at: DateTime<Utc>,
) -> Vec<Effect> {
    let built = match result {
        Ok(built) => built,
        Err(e) => {
            notice(
                state,
                NoticeLevel::Error,
                format!("{e}. The model in use stays as it was."),
            );
            return Vec::new();
        }
    };
    if state.running.is_some() {
        notice(
            state,
            NoticeLevel::Warning,
            "A run started meanwhile: the model was not switched; Ctrl-P again once it ends.",
        );
        return Vec::new();
    }
    let info: ProviderInfo = built.provider.info();
    let from = state.session.provider.clone();
    state.session.params = state
        .models
        .requested
        .clone()
        .or(&built.provider.default_params());
    state.session.price = state.models.prices.get(&info.model).copied();
    state.session.provider = info.clone();
    state.models.current = Some(built.choice.clone());
    audit(
        state,
        "model_switched",
        at,
        serde_json::json!({ "from": from, "to": info, "parameters": state.session.params }),
    );
    notice(
        state,
        NoticeLevel::Success,
        format!(
            "The next run uses {}: {}. Ctrl-S runs the brief.",
            info.kind, info.model
        ),
    );
    vec![Effect::UseProvider(built)]
}
