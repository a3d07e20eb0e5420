//! The one-line prompt: opening it for a purpose (search, a folder, a reason, a role) and
//! carrying out what was typed.

use super::notify::notice;
use super::view::find;
use super::{handoff, overrides};
use super::{NoticeLevel, State};
use crate::action::Action;
use crate::effect::Effect;
use chrono::{DateTime, Utc};

pub(super) fn open_prompt(state: &mut State, action: Action) {
    let (kind, text) = match action {
        Action::Search => (
            super::PromptKind::Search,
            state.search.clone().unwrap_or_default(),
        ),
        Action::SaveBlocks => (
            super::PromptKind::SaveBlocks,
            state.blocks_dir.display().to_string(),
        ),
        _ => (
            super::PromptKind::Export,
            state.blocks_dir.display().to_string(),
        ),
    };
    if kind != super::PromptKind::Search
        && state.shown_attempt().is_none_or(|a| a.text().is_empty())
    {
        notice(state, NoticeLevel::Warning, "There is no answer yet.");
        return;
    }
    let mut input = super::new_editor(&text, "");
    // The last term or folder, selected: Enter keeps it, typing replaces it.
    input.select_all();
    state.prompt = Some(super::Prompt { kind, input });
}

pub(super) fn submit_prompt(state: &mut State, at: DateTime<Utc>) -> Vec<Effect> {
    let Some(prompt) = state.prompt.take() else {
        return Vec::new();
    };
    let text = prompt.input.lines().join(" ").trim().to_string();
    match &prompt.kind {
        super::PromptKind::ConfirmRevisit(_) => {
            state.prompt = Some(prompt);
            handoff::answer_revisit(
                state,
                text.eq_ignore_ascii_case("y") || text.eq_ignore_ascii_case("yes"),
                at,
            );
            return Vec::new();
        }
        super::PromptKind::Reject => {
            return handoff::reject(state, (!text.is_empty()).then(|| text.clone()), at);
        }
        super::PromptKind::ConfirmCheck(pending, _) => {
            return super::checks::answer_gate(state, (**pending).clone(), &text, at);
        }
        super::PromptKind::OverrideRole(known) if !text.is_empty() => {
            let picked = text
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| known.get(i).cloned())
                .unwrap_or_else(|| text.clone());
            overrides::override_role(state, &picked);
            return Vec::new();
        }
        super::PromptKind::ConfirmUnknown(role) => {
            let role = role.clone();
            overrides::confirm_unknown(state, &role, &text);
            return Vec::new();
        }
        super::PromptKind::HistorySearch => return super::history::search(state, &text),
        super::PromptKind::SchemaSearch => {
            super::schema_view::filter(state, &text);
            return Vec::new();
        }
        super::PromptKind::Comment(anchor) => {
            let anchor = anchor.clone();
            return super::notes::add_comment(state, anchor, &text, at);
        }
        super::PromptKind::ChecklistItem(index) => {
            super::notes::keep_item(state, *index, &text, at);
            return Vec::new();
        }
        super::PromptKind::RerunRole(id) => {
            let id = *id;
            return super::history::rerun_with(state, id, &text);
        }
        super::PromptKind::OverrideReason(role) => {
            if text.is_empty() {
                let role = role.clone();
                notice(state, NoticeLevel::Warning, format!("An override needs a reason: say why the work goes to {role} and not to a listed route."));
                state.prompt = Some(prompt);
                return Vec::new();
            }
            return overrides::override_send(state, role.clone(), &text, at);
        }
        _ => {}
    }
    if text.is_empty() {
        notice(
            state,
            NoticeLevel::Warning,
            "Nothing was typed; nothing was done.",
        );
        return Vec::new();
    }
    let Some(attempt) = state.shown_attempt() else {
        return Vec::new();
    };
    match prompt.kind {
        super::PromptKind::OverrideRole(_)
        | super::PromptKind::ConfirmUnknown(_)
        | super::PromptKind::OverrideReason(_)
        | super::PromptKind::Reject
        | super::PromptKind::ConfirmRevisit(_)
        | super::PromptKind::HistorySearch
        | super::PromptKind::RerunRole(_)
        | super::PromptKind::ConfirmCheck(..)
        | super::PromptKind::Comment(_)
        | super::PromptKind::SchemaSearch
        | super::PromptKind::ChecklistItem(_) => Vec::new(),
        super::PromptKind::Search => {
            state.search = Some(text);
            state.search_at = None;
            find(state, true);
            Vec::new()
        }
        super::PromptKind::SaveBlocks => {
            let blocks = attempt.doc.code_blocks().to_vec();
            state.blocks_dir = std::path::PathBuf::from(&text);
            if blocks.is_empty() {
                notice(
                    state,
                    NoticeLevel::Warning,
                    "The answer has no code blocks to save.",
                );
                return Vec::new();
            }
            let exports = crate::state::schema_view::schema_of(state)
                .map(crate::check::schema::render::exports)
                .unwrap_or_default();
            vec![Effect::SaveBlocks {
                blocks,
                exports,
                dir: state.blocks_dir.clone(),
            }]
        }
        super::PromptKind::Export => {
            let decision = attempt
                .decision
                .as_ref()
                .map(|d| d.candidates.join(", "))
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "none".into());
            let body = crate::review::blocks::export_markdown(
                attempt.text(),
                &state.session.role.id,
                &state.session.provider.model,
                &decision,
            );
            let name = format!("{}-attempt-{}.md", state.session.role.id, attempt.number);
            state.blocks_dir = std::path::PathBuf::from(&text);
            vec![Effect::Export {
                path: state.blocks_dir.join(name),
                text: body,
            }]
        }
    }
}
