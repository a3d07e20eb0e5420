//! The handoff: choosing a route, confirming it, rejecting, sending the envelope, what the sinks
//! said, and the chain that opens the next role once a handoff is delivered. Overriding, asking
//! again for the decision, the next role's brief and deferring have their own files. Pure like the
//! rest of `update`: effects out, no I/O.

use super::notify::{audit, notice};
use super::readiness::{not_ready, reviewable};
use super::reask::reask_record;
use super::view::sync_view;
use super::{Focus, HandoffStatus, NextStep, NoticeLevel, Phase, State};
use crate::effect::Effect;
use crate::provider::FinishReason;
use crate::role::RouteOption;
use crate::routing::decision::DecisionStatus;
use crate::routing::envelope::{
    sha256_hex, AttemptRecord, DecidedBy, ReviewAction, RoleRef, Timestamps,
};
use crate::routing::HandoffRequest;
use crate::sink::Delivered;
use crate::store::outcomes::OutcomeKind;
use chrono::{DateTime, Utc};

pub(super) fn role_ref(state: &State) -> RoleRef {
    let role = &state.session.role;
    RoleRef {
        id: role.id.clone(),
        title: role.title.clone(),
        prompt_sha256: role.prompt_sha256(),
    }
}

fn finish_of(phase: &Phase) -> Option<FinishReason> {
    match phase {
        Phase::Complete(reason) => Some(reason.clone()),
        _ => None,
    }
}

/// Builds the handoff of the latest answer along `chosen` and sends it to the effect runner,
/// once the SQL check's gate lets it: every way of approving comes through here.
pub(super) fn send_handoff(
    state: &mut State,
    chosen: RouteOption,
    action: ReviewAction,
    reason: Option<String>,
    at: DateTime<Utc>,
) -> Vec<Effect> {
    let pending = super::checks::PendingHandoff {
        chosen,
        action,
        reason,
    };
    send_checked_handoff(state, pending, false, at)
}

/// [`send_handoff`] with the reviewer's answer to the gate (`confirmed`: they typed yes).
pub(super) fn send_checked_handoff(
    state: &mut State,
    pending: super::checks::PendingHandoff,
    confirmed: bool,
    at: DateTime<Utc>,
) -> Vec<Effect> {
    let check = match super::checks::gate(state, confirmed) {
        super::checks::Gate::Open(record) => record.map(|r| *r),
        super::checks::Gate::Refuse(text) => {
            notice(state, NoticeLevel::Warning, text);
            return Vec::new();
        }
        super::checks::Gate::Ask(question) => {
            state.prompt = Some(super::Prompt {
                kind: super::PromptKind::ConfirmCheck(Box::new(pending), question),
                input: super::new_editor("", ""),
            });
            return Vec::new();
        }
    };
    let super::checks::PendingHandoff {
        chosen,
        action,
        reason,
    } = pending;
    let Some(attempt) = state.latest() else {
        return Vec::new();
    };
    let Some(decision) = attempt.decision.clone() else {
        return Vec::new();
    };
    let session = &state.session;
    let target_known = chosen.target == "end"
        || session
            .role
            .routes
            .iter()
            .any(|o| o.target == chosen.target)
        || session.chain.roles.get(&chosen.target).is_some();
    let request = HandoffRequest {
        chain_id: session.chain_id.clone(),
        parent_id: session.chain.parent_id.clone(),
        role: role_ref(state),
        provider: session.provider.clone(),
        parameters: session.params.clone(),
        brief: state.brief_text(),
        response: attempt.text().to_string(),
        seen_sha256: attempt.reviewed_sha256.clone().unwrap_or_default(),
        finish_reason: finish_of(&attempt.phase),
        usage: attempt.usage,
        options: session.role.routes.clone(),
        decision,
        reviewer: session.reviewer.clone(),
        action,
        chosen: chosen.clone(),
        reason,
        target_known,
        decided_by: DecidedBy::Human,
        attempts: state
            .attempts
            .iter()
            .map(|a| AttemptRecord {
                number: a.number,
                feedback: a.feedback.clone(),
                response_sha256: sha256_hex(a.text()),
                finish_reason: finish_of(&a.phase),
            })
            .collect(),
        timestamps: Timestamps {
            run_started: Some(attempt.started_at),
            first_token: attempt.first_token_at,
            response_completed: attempt.completed_at,
            decided: at,
            handed_off: None,
        },
        reask: attempt.reask.as_ref().and_then(reask_record),
        payload_brief: state.review.payload.clone(),
        check,
        notes: crate::routing::envelope::Notes {
            comments: attempt.comments.clone(),
            checklist: state.review.checklist.clone(),
        },
    };
    let sinks = session.chain.sinks.for_role(&session.role.id).to_vec();
    state.review.handoff = Some(HandoffStatus::Sending {
        target: chosen.target.clone(),
    });
    notice(
        state,
        NoticeLevel::Info,
        format!("Handing off to {}…", chosen.target),
    );
    let data = serde_json::json!({
        "action": request.action,
        "option_id": chosen.id,
        "target": chosen.target,
        "reason": request.reason,
        "decided_by": request.decided_by,
        "agreed_with_agent": request.decision.candidates.contains(&chosen.id),
        "target_known": request.target_known,
        "reviewer": request.reviewer,
        "response_sha256": request.seen_sha256,
        "payload_edited": request.payload_brief.is_some(),
        "reasked": request.reask.is_some(),
        "check": request.check.as_ref().map(|c| serde_json::json!({
            "summary": c.report.summary(),
            "errors": c.report.errors.len(),
            "approved_with_errors": c.approved_with_errors,
        })),
        "sinks": sinks.iter().map(|s| s.label()).collect::<Vec<_>>(),
    });
    audit(state, "review_action", at, data);
    vec![Effect::Handoff {
        request: Box::new(request),
        sinks,
    }]
}

/// A resumed review is settled: its saved file goes.
pub(super) fn forget_resumed(state: &mut State) -> Vec<Effect> {
    state
        .session
        .chain
        .resumed_from
        .take()
        .map(Effect::ForgetDeferred)
        .into_iter()
        .collect()
}

pub(super) fn reject(state: &mut State, reason: Option<String>, at: DateTime<Utc>) -> Vec<Effect> {
    let reviewer = state.session.reviewer.clone();
    audit(
        state,
        "review_action",
        at,
        serde_json::json!({ "action": "reject", "reason": reason, "reviewer": reviewer }),
    );
    super::journal::outcome(state, OutcomeKind::Rejected, reason.clone(), at);
    state.review.handoff = Some(HandoffStatus::Rejected {
        reason: reason.clone(),
    });
    if state.pending.is_some() {
        notice(
            state,
            NoticeLevel::Warning,
            format!(
                "Rejected: nothing is handed off{}",
                super::inbox::NEXT_OPENS
            ),
        );
        let outcome = match &reason {
            Some(why) => format!("rejected: {why}"),
            None => "rejected".to_string(),
        };
        let mut effects = vec![Effect::SettlePending(outcome)];
        effects.extend(super::inbox::next(state));
        return effects;
    }
    notice(
        state,
        NoticeLevel::Warning,
        "Rejected: nothing is handed off and the chain stops here. Ctrl-S runs the brief anew.",
    );
    forget_resumed(state)
}

/// The effect runner delivered the envelope (or could not write it).
pub(super) fn on_handed_off(
    state: &mut State,
    result: Result<Delivered, crate::sink::HandoffError>,
    at: DateTime<Utc>,
) -> Vec<Effect> {
    let target = match &state.review.handoff {
        Some(HandoffStatus::Sending { target }) => target.clone(),
        _ => return Vec::new(),
    };
    let delivered = match result {
        Ok(delivered) => delivered,
        Err(crate::sink::HandoffError::Settled(outcome)) => {
            audit(
                state,
                "handoff_refused",
                at,
                serde_json::json!({
                    "target": target,
                    "why": "already settled",
                    "settled": outcome,
                }),
            );
            notice(
                state,
                NoticeLevel::Error,
                format!(
                    "Refused: this answer was already {}. Nothing was handed off again.",
                    outcome.describe()
                ),
            );
            state.review.handoff = Some(HandoffStatus::Settled(outcome));
            return forget_resumed(state);
        }
        Err(crate::sink::HandoffError::ClaimLost(why)) => {
            audit(
                state,
                "handoff_refused",
                at,
                serde_json::json!({ "target": target, "why": "the inbox claim was lost", "review": why }),
            );
            state.review.handoff = None;
            notice(
                state,
                NoticeLevel::Error,
                format!(
                    "Refused: the review is {why}. Nothing was handed off; Alt-I opens the inbox."
                ),
            );
            return Vec::new();
        }
        Err(crate::sink::HandoffError::Queued(message)) => {
            audit(
                state,
                "handoff_queued",
                at,
                serde_json::json!({ "target": target, "why": message }),
            );
            state.review.handoff = Some(HandoffStatus::Queued { target });
            notice(state, NoticeLevel::Warning, message);
            // A deferred review it was resumed from stays until the handoff is made.
            return Vec::new();
        }
        Err(
            crate::sink::HandoffError::Failed(message)
            | crate::sink::HandoffError::Unrecorded(message),
        ) => {
            audit(
                state,
                "handoff_failed",
                at,
                serde_json::json!({ "target": target, "error": message, "sink": "outbox" }),
            );
            state.review.handoff = None;
            notice(
                state,
                NoticeLevel::Error,
                format!("{message}. Nothing was handed off; Enter tries again."),
            );
            return Vec::new();
        }
    };
    for result in &delivered.results {
        let (kind, detail) = match &result.outcome {
            Ok(detail) => ("handoff_sent", serde_json::json!({ "detail": detail })),
            Err(error) => (
                "handoff_failed",
                serde_json::json!({ "error": error, "pending": result.pending }),
            ),
        };
        let mut data = serde_json::json!({
            "target": target,
            "sink": result.sink,
            "envelope_id": delivered.envelope_id,
            "path": delivered.path,
        });
        if let (Some(data), Some(detail)) = (data.as_object_mut(), detail.as_object()) {
            data.extend(detail.clone());
        }
        audit(state, kind, at, data);
    }
    state.pending_deliveries += delivered.results.iter().filter(|r| r.pending).count();
    let failures: Vec<String> = delivered
        .failures()
        .map(|r| {
            format!(
                "{}: {}",
                r.sink,
                r.outcome.as_ref().err().cloned().unwrap_or_default()
            )
        })
        .collect();
    if failures.is_empty() {
        notice(
            state,
            NoticeLevel::Success,
            format!("Handed off to {target}: {}", delivered.path.display()),
        );
    } else {
        notice(
            state,
            NoticeLevel::Warning,
            format!(
                "Handed off to {target} ({}), but {}",
                delivered.path.display(),
                failures.join("; ")
            ),
        );
    }
    state.review.handoff = Some(HandoffStatus::Written {
        target: target.clone(),
        path: delivered.path.clone(),
        envelope_id: delivered.envelope_id.clone(),
    });
    let mut effects = forget_resumed(state);
    if state.pending.is_some() {
        // A queue of reviews: the next one opens here; the chain, if any, goes on from the
        // envelope in the outbox, not in this reviewer's workbench.
        if let Some(n) = state.notice.as_mut() {
            n.text.push_str(super::inbox::NEXT_OPENS);
        }
        effects.extend(super::inbox::next(state));
        return effects;
    }
    if delivered.chain && target != "end" {
        chain_next(state, &delivered, at);
    }
    effects
}

/// Opens the target role as the next step of the chain, unless a guard stops it.
fn chain_next(state: &mut State, delivered: &Delivered, at: DateTime<Utc>) {
    let target = delivered.target.clone();
    let handed = state
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    if state.session.chain.roles.get(&target).is_none() {
        notice(
            state,
            NoticeLevel::Warning,
            format!(
                "{handed}. No role file defines {target} here, so the chain ends at the outbox."
            ),
        );
        return;
    }
    let depth = state.session.chain.depth();
    let limit = state.session.chain.sinks.max_chain_depth;
    if depth >= limit {
        audit(
            state,
            "chain_stopped",
            at,
            serde_json::json!({ "target": target, "depth": depth, "why": "max_chain_depth" }),
        );
        notice(
            state,
            NoticeLevel::Warning,
            format!("{handed}. The chain is {depth} roles deep, its limit (handoff.max_chain_depth), so {target} is not opened."),
        );
        return;
    }
    let step = NextStep {
        role: target.clone(),
        brief: delivered.payload_brief.clone(),
        parent_id: delivered.envelope_id.clone(),
    };
    if state.session.chain.breadcrumb.contains(&target) {
        state.next_step = Some(step);
        state.prompt = Some(super::Prompt {
            kind: super::PromptKind::ConfirmRevisit(target),
            input: super::new_editor("", ""),
        });
        return;
    }
    let file = delivered
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let failed = delivered.failures().next().is_some();
    open_next_step(state, step, at);
    if let Some(notice) = &mut state.notice {
        // A sink that failed is said first, and stays a warning, even as the next role opens.
        if failed {
            notice.text = format!("{handed}. {}", notice.text);
            notice.level = NoticeLevel::Warning;
        } else {
            notice.text = format!("Handed off to {target} ({file}). {}", notice.text);
        }
    }
}

/// The reviewer answered the revisit question.
pub(super) fn answer_revisit(state: &mut State, open: bool, at: DateTime<Utc>) {
    state.prompt = None;
    let Some(step) = state.next_step.take() else {
        return;
    };
    if open {
        open_next_step(state, step, at);
    } else {
        audit(
            state,
            "chain_stopped",
            at,
            serde_json::json!({ "target": step.role, "why": "revisit declined" }),
        );
        notice(
            state,
            NoticeLevel::Info,
            format!(
                "The chain stops here; the envelope for {} is in the outbox.",
                step.role
            ),
        );
    }
}

/// Replaces this step with the next: the target role, the composed brief, no attempts yet.
fn open_next_step(state: &mut State, step: NextStep, at: DateTime<Utc>) {
    let Some(role) = state.session.chain.roles.get(&step.role).cloned() else {
        return;
    };
    let from = state.session.role.id.clone();
    state.session.role = role;
    state.session.chain.parent_id = Some(step.parent_id.clone());
    state.session.chain.breadcrumb.push(step.role.clone());
    state.brief = super::new_editor(&step.brief, "The brief for this role");
    state.attempts.clear();
    state.fresh_review();
    state.focus = Focus::Brief;
    sync_view(state);
    let depth = state.session.chain.depth();
    audit(
        state,
        "chain_opened",
        at,
        serde_json::json!({ "from": from, "to": step.role, "parent_id": step.parent_id, "depth": depth }),
    );
    notice(
        state,
        NoticeLevel::Success,
        format!(
            "Step {depth} of the chain: {}, brief composed; Ctrl-S runs it.",
            state.session.role.title
        ),
    );
}

pub(super) fn choose(state: &mut State, index: usize) -> Vec<Effect> {
    let count = state.session.role.routes.len();
    if !reviewable(state) {
        notice(
            state,
            NoticeLevel::Warning,
            "There is no finished answer to route yet.",
        );
    } else if index >= count {
        notice(
            state,
            NoticeLevel::Warning,
            format!(
                "There is no option {}: this role offers {count}.",
                index + 1
            ),
        );
    } else {
        state.review.selected = Some(index);
        state.focus = Focus::Routes;
    }
    Vec::new()
}

pub(super) fn confirm(state: &mut State, at: DateTime<Utc>) -> Vec<Effect> {
    if let Some(problem) = not_ready(state) {
        notice(state, NoticeLevel::Warning, problem);
        return Vec::new();
    }
    let Some(decision) = state.latest().and_then(|a| a.decision.clone()) else {
        return Vec::new();
    };
    let Some(index) = state.review.selected else {
        let text = match decision.status {
            DecisionStatus::Ambiguous => "The agent's decision is ambiguous: choose one of the marked routes with 1-9, then Enter.",
            _ => "No route is chosen: pick one with 1-9 or the arrows, then Enter.",
        };
        notice(state, NoticeLevel::Warning, text);
        return Vec::new();
    };
    let Some(chosen) = state.session.role.routes.get(index).cloned() else {
        return Vec::new();
    };
    let action = if decision.unique_candidate() == Some(chosen.id.as_str()) {
        ReviewAction::Confirm
    } else {
        ReviewAction::Choose
    };
    send_handoff(state, chosen, action, None, at)
}
