//! Deferring a review: the attempt saved in the store to be taken up later, and what the
//! store said.

use super::handoff::forget_resumed;
use super::notify::{audit, notice, short};
use super::readiness::not_ready;
use super::reask::reask_record;
use super::{HandoffStatus, NoticeLevel, Phase, State};
use crate::effect::Effect;
use crate::store::deferred::{DeferredReview, SavedAttempt, SavedPhase};
use crate::store::outcomes::OutcomeKind;
use chrono::{DateTime, Utc};

/// Saves the review for later.
pub(super) fn defer(state: &mut State, at: DateTime<Utc>) -> Vec<Effect> {
    let problem = match (&state.review.handoff, state.latest().map(|a| &a.phase)) {
        (Some(_), _) => not_ready(state),
        (None, None) => Some("There is no answer to defer yet.".into()),
        (None, Some(phase)) if phase.is_live() => {
            Some("Wait for the answer to finish (or Esc to cancel) before deferring.".into())
        }
        _ if state.running.is_some() => {
            Some("Wait for the agent's reply (or Esc to cancel) before deferring.".into())
        }
        _ => None,
    };
    if let Some(problem) = problem {
        notice(state, NoticeLevel::Warning, problem);
        return Vec::new();
    }
    if let Some(pending) = state.pending.take() {
        // From the inbox: deferring puts it back there, for anyone, rather than in a file.
        audit(
            state,
            "review_action",
            at,
            serde_json::json!({ "action": "defer", "pending_review": pending.id, "to": "inbox" }),
        );
        notice(
            state,
            NoticeLevel::Success,
            format!(
                "“{}” is back in the inbox for anyone to take.",
                pending.title
            ),
        );
        // Put back as it now stands: the comments made on it go with it to the next reviewer.
        let review = saved(state, pending.id.clone(), at);
        let mut effects = vec![Effect::PutBackPending(Box::new(review))];
        effects.extend(super::inbox::open(state));
        return effects;
    }
    let review = saved(state, uuid::Uuid::now_v7().to_string(), at);
    state.review.handoff = Some(HandoffStatus::Deferring);
    vec![Effect::Defer(Box::new(review))]
}

/// The review as it stands, to be taken up later under `id`.
fn saved(state: &State, id: String, at: DateTime<Utc>) -> DeferredReview {
    let session = &state.session;
    DeferredReview {
        format: crate::store::deferred::FORMAT.into(),
        id,
        saved_at: at,
        reviewer: session.reviewer.clone(),
        chain_id: session.chain_id.clone(),
        parent_id: session.chain.parent_id.clone(),
        breadcrumb: session.chain.breadcrumb.clone(),
        role_id: session.role.id.clone(),
        role_prompt_sha256: session.role.prompt_sha256(),
        provider: session.provider.clone(),
        parameters: session.params.clone(),
        brief: state.brief_text(),
        attempts: state.attempts.iter().map(save_attempt).collect(),
        selected_option: state
            .review
            .selected
            .and_then(|i| session.role.routes.get(i))
            .map(|o| o.id.clone()),
        payload_brief: state.review.payload.clone(),
    }
}

fn save_attempt(attempt: &super::Attempt) -> SavedAttempt {
    SavedAttempt {
        number: attempt.number,
        feedback: attempt.feedback.clone(),
        text: attempt.text().to_string(),
        phase: match &attempt.phase {
            Phase::Complete(reason) => SavedPhase::Complete(reason.clone()),
            Phase::Failed(error) => SavedPhase::Failed(error.clone()),
            Phase::Cancelled | Phase::Waiting | Phase::Streaming => SavedPhase::Cancelled,
        },
        model: attempt.model.clone(),
        usage: attempt.usage,
        decision: attempt.decision.clone(),
        reviewed_sha256: attempt.reviewed_sha256.clone(),
        started_at: attempt.started_at,
        first_token_at: attempt.first_token_at,
        completed_at: attempt.completed_at,
        reask: attempt.reask.as_ref().and_then(reask_record),
        comments: attempt.comments.clone(),
    }
}

/// The review was saved (or not).
pub(super) fn on_deferred(
    state: &mut State,
    result: Result<(String, std::path::PathBuf), String>,
    at: DateTime<Utc>,
) -> Vec<Effect> {
    if state.review.handoff != Some(HandoffStatus::Deferring) {
        return Vec::new();
    }
    match result {
        Ok((id, path)) => {
            let reviewer = state.session.reviewer.clone();
            audit(
                state,
                "review_action",
                at,
                serde_json::json!({ "action": "defer", "deferred_id": id, "path": path, "reviewer": reviewer }),
            );
            super::journal::outcome(state, OutcomeKind::Deferred, None, at);
            notice(
                state,
                NoticeLevel::Success,
                format!(
                    "Deferred: `archbench resume {}` continues this review. Ctrl-Q quits.",
                    short(&id)
                ),
            );
            state.review.handoff = Some(HandoffStatus::Deferred { id, path });
            // A resumed review deferred again lives on in its new file.
            forget_resumed(state)
        }
        Err(message) => {
            state.review.handoff = None;
            notice(
                state,
                NoticeLevel::Error,
                format!("{message}. Nothing is lost; d tries again."),
            );
            Vec::new()
        }
    }
}
