//! The brief the next role receives: composed from the answer, edited by the reviewer, kept
//! or reset.

use super::handoff::role_ref;
use super::notify::{audit, notice};
use super::readiness::not_ready;
use super::{NoticeLevel, ReviewMode, State};
use crate::routing::envelope::{compose, sha256_hex};
use chrono::{DateTime, Utc};

/// The brief the next role would receive, composed from this step (before any edit).
pub(super) fn composed_payload(state: &State) -> Option<String> {
    let attempt = state.latest()?;
    let original = match &attempt.reask {
        Some(reask) => Some(&reask.original),
        None => attempt.decision.as_ref(),
    };
    let notes: Vec<&str> = state
        .attempts
        .iter()
        .filter_map(|a| a.feedback.as_deref())
        .collect();
    Some(compose(
        &state.brief_text(),
        &role_ref(state),
        attempt.text(),
        original.and_then(|d| d.line_number),
        &notes,
    ))
}

/// Opens the editor of the brief the next role receives, starting from the composed one.
pub(super) fn edit_payload(state: &mut State) {
    if let Some(problem) = not_ready(state) {
        notice(state, NoticeLevel::Warning, problem);
        return;
    }
    let text = state
        .review
        .payload
        .clone()
        .or_else(|| composed_payload(state))
        .unwrap_or_default();
    state.review.payload_editor = super::new_editor(&text, "The brief for the next role");
    state.review.mode = ReviewMode::EditPayload;
}

/// Closes the editor, keeping what it holds as the next role's brief.
pub(super) fn keep_payload(state: &mut State, closing: bool, at: DateTime<Utc>) {
    let text = state.review.payload_editor.lines().join("\n");
    if text.trim().is_empty() {
        notice(state, NoticeLevel::Warning, "The brief for the next role is empty: write it, or Ctrl-R to start again from the composed one.");
        return;
    }
    state.review.mode = ReviewMode::Choosing;
    let composed = composed_payload(state);
    // The editor keeps no trailing newline; the composed brief ends with one.
    let edited = composed.as_deref().map(str::trim_end) != Some(text.trim_end());
    if state.review.payload.as_deref() == Some(text.as_str())
        || (!edited && state.review.payload.is_none())
    {
        notice(
            state,
            NoticeLevel::Info,
            if edited {
                "The edited brief is kept for the handoff."
            } else {
                "The composed brief is unchanged."
            },
        );
        return;
    }
    state.review.payload = edited.then(|| text.clone());
    let reviewer = state.session.reviewer.clone();
    audit(
        state,
        "review_action",
        at,
        serde_json::json!({ "action": "edit_brief", "edited": edited, "brief_sha256": sha256_hex(&text), "bytes": text.len(), "reviewer": reviewer }),
    );
    let lines = text.lines().count();
    notice(
        state,
        NoticeLevel::Success,
        if edited {
            format!(
                "{}The next role will receive your edited brief ({lines} lines); e opens it again.",
                if closing { "Closed; edits kept. " } else { "" }
            )
        } else {
            "The composed brief is back; the next role receives it.".to_string()
        },
    );
}

/// Puts the composed brief back in the editor.
pub(super) fn reset_payload(state: &mut State) {
    let text = composed_payload(state).unwrap_or_default();
    state.review.payload_editor = super::new_editor(&text, "The brief for the next role");
    notice(
        state,
        NoticeLevel::Info,
        "The composed brief is back in the editor; Ctrl-S keeps it.",
    );
}
