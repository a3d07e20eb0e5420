//! Sending the work to another role than the agent chose: the candidates, a role the book
//! does not know confirmed, the reason asked for.

use super::handoff::send_handoff;
use super::notify::notice;
use super::readiness::not_ready;
use super::{NoticeLevel, State};
use crate::effect::Effect;
use crate::role::RouteOption;
use crate::routing::envelope::ReviewAction;
use chrono::{DateTime, Utc};

/// Opens the override or reject prompt when the answer can be reviewed.
pub(super) fn open_review_prompt(state: &mut State, kind: super::PromptKind) {
    if let Some(problem) = not_ready(state) {
        notice(state, NoticeLevel::Warning, problem);
        return;
    }
    state.prompt = Some(super::Prompt {
        kind,
        input: super::new_editor("", ""),
    });
}

/// The role typed for an override: a role id the prompt does not already list.
pub(super) fn override_role(state: &mut State, role: &str) {
    if !crate::role::is_role_id(role) {
        notice(
            state,
            NoticeLevel::Warning,
            format!("`{role}` is not a role id (letters, digits, `_` and `-`); o tries again."),
        );
        return;
    }
    if let Some(i) = state
        .session
        .role
        .routes
        .iter()
        .position(|o| o.target == role)
    {
        notice(
            state,
            NoticeLevel::Info,
            format!("{role} is listed: choose it with {}, then Enter.", i + 1),
        );
        return;
    }
    let kind = if state.session.chain.roles.get(role).is_some() {
        super::PromptKind::OverrideReason(role.to_string())
    } else {
        // A typo would be an irrevocable handoff to nobody: the name is asked for again.
        super::PromptKind::ConfirmUnknown(role.to_string())
    };
    state.prompt = Some(super::Prompt {
        kind,
        input: super::new_editor("", ""),
    });
}

/// The roles an override offers: every role defined here that the answer's routes do not list,
/// but this one.
pub(super) fn override_candidates(state: &State) -> Vec<String> {
    let role = &state.session.role;
    state
        .session
        .chain
        .roles
        .ids()
        .into_iter()
        .filter(|id| *id != role.id && !role.routes.iter().any(|o| o.target == *id))
        .map(str::to_string)
        .collect()
}

/// The reviewer answered the second confirmation of an override to an unknown role.
pub(super) fn confirm_unknown(state: &mut State, role: &str, typed: &str) {
    if typed != role {
        notice(
            state,
            NoticeLevel::Warning,
            format!("Not confirmed (`{typed}` is not `{role}`): nothing is handed off. o starts the override again."),
        );
        return;
    }
    state.prompt = Some(super::Prompt {
        kind: super::PromptKind::OverrideReason(role.to_string()),
        input: super::new_editor("", ""),
    });
}

pub(super) fn override_send(
    state: &mut State,
    role: String,
    reason: &str,
    at: DateTime<Utc>,
) -> Vec<Effect> {
    let chosen = RouteOption {
        id: format!("override:{role}"),
        label: "override".into(),
        target: role.clone(),
        text: format!("override: Go to {role}"),
    };
    send_handoff(
        state,
        chosen,
        ReviewAction::Override,
        Some(reason.to_string()),
        at,
    )
}
