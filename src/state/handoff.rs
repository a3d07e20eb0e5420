//! The review's update functions: choosing a route, confirming, overriding, rejecting, asking
//! again for the decision, editing the next role's brief, deferring, and the chain that opens the
//! next role once a handoff is delivered. Pure like the rest of `update`: effects out, no I/O.

use super::update::{audit, conversation, notice, sync_view};
use super::{Focus, HandoffStatus, NextStep, NoticeLevel, Phase, Reask, ReviewMode, State};
use crate::effect::Effect;
use crate::provider::{AgentEvent, ChatRequest, FinishReason, Message, Speaker};
use crate::role::RouteOption;
use crate::routing::decision::DecisionStatus;
use crate::routing::envelope::{
    compose, sha256_hex, AttemptRecord, DecidedBy, ReaskRecord, ReviewAction, RoleRef, Timestamps,
};
use crate::routing::{parse_decision, HandoffRequest};
use crate::sink::Delivered;
use crate::store::deferred::{DeferredReview, SavedAttempt, SavedPhase};
use crate::store::outcomes::OutcomeKind;
use chrono::{DateTime, Utc};

/// Most tokens a re-ask may take: the reply is one line.
const REASK_MAX_TOKENS: u32 = 96;

/// The latest answer is complete and no re-ask is running: it can be routed.
pub(super) fn reviewable(state: &State) -> bool {
    state.latest().is_some_and(|a| {
        matches!(a.phase, Phase::Complete(_))
            && !a.reask.as_ref().is_some_and(|r| r.phase.is_live())
    })
}

/// Why the latest answer cannot be handed off, rejected, re-asked or deferred now, if it cannot.
pub(super) fn not_ready(state: &State) -> Option<String> {
    if let Some(status) = &state.review.handoff {
        return Some(match status {
            HandoffStatus::Sending { target } => {
                format!("The handoff to {target} is being written.")
            }
            HandoffStatus::Written { target, path, .. } => {
                format!("Already handed off to {target}: {}", path.display())
            }
            HandoffStatus::Rejected { .. } => {
                "This answer was rejected; the chain stops here. Ctrl-S runs the brief anew.".into()
            }
            HandoffStatus::Deferring => "The review is being saved for later.".into(),
            HandoffStatus::Deferred { id, .. } => format!(
                "This review is deferred: `archbench resume {}` continues it.",
                short(id)
            ),
            HandoffStatus::Settled(outcome) => format!(
                "This answer was already {}; it is not handed off again. Ctrl-S runs the brief anew, in a new chain.",
                outcome.describe()
            ),
        });
    }
    let Some(attempt) = state.latest() else {
        return Some("Nothing to hand off yet: write a brief and press Ctrl-S.".into());
    };
    let problem = match &attempt.phase {
        Phase::Waiting | Phase::Streaming => Some("The answer is still streaming: wait for it to finish, or Esc to cancel."),
        Phase::Cancelled => Some("This answer was cancelled and is incomplete: r sends it back with feedback, Ctrl-S runs again."),
        Phase::Failed(_) => Some("This answer broke off and is incomplete: Ctrl-S tries it again."),
        Phase::Complete(_) => None,
    };
    if let Some(problem) = problem {
        return Some(problem.into());
    }
    if attempt.reask.as_ref().is_some_and(|r| r.phase.is_live()) {
        return Some(
            "The agent is being asked again for its decision: wait for the reply, or Esc to cancel it."
                .into(),
        );
    }
    if state.shown + 1 != state.attempts.len() {
        return Some(format!("You are looking at attempt {}; the handoff sends the latest. Press ] to review it first.", state.shown + 1));
    }
    None
}

fn short(id: &str) -> String {
    id.chars().take(13).collect()
}

fn role_ref(state: &State) -> RoleRef {
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

fn reask_record(reask: &Reask) -> Option<ReaskRecord> {
    matches!(reask.phase, Phase::Complete(_)).then(|| ReaskRecord {
        prompt: reask.prompt.clone(),
        reply: reask.reply.clone(),
        reply_sha256: sha256_hex(&reask.reply),
        original_decision: reask.original.clone(),
    })
}

/// Builds the handoff of the latest answer along `chosen` and sends it to the effect runner.
fn send_handoff(
    state: &mut State,
    chosen: RouteOption,
    action: ReviewAction,
    reason: Option<String>,
    at: DateTime<Utc>,
) -> Vec<Effect> {
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
        "sinks": sinks.iter().map(|s| s.label()).collect::<Vec<_>>(),
    });
    audit(state, "review_action", at, data);
    vec![Effect::Handoff {
        request: Box::new(request),
        sinks,
    }]
}

/// A resumed review is settled: its saved file goes.
fn forget_resumed(state: &mut State) -> Vec<Effect> {
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
    state.review.handoff = Some(HandoffStatus::Rejected { reason });
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
    let effects = forget_resumed(state);
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

/// Asks the agent again, for the decision line only.
pub(super) fn reask(state: &mut State, at: DateTime<Utc>) -> Vec<Effect> {
    if let Some(problem) = not_ready(state) {
        notice(state, NoticeLevel::Warning, problem);
        return Vec::new();
    }
    let routes = &state.session.role.routes;
    if routes.is_empty() {
        notice(
            state,
            NoticeLevel::Warning,
            "This role lists no routes: there is no decision to ask for.",
        );
        return Vec::new();
    }
    let options: Vec<String> = routes.iter().map(|o| format!("- {}", o.text)).collect();
    let prompt = format!(
        "Your answer above is complete; do not repeat or change it. Reply with exactly one line and nothing else: DECISION: followed by the full text of one of these options:\n{}",
        options.join("\n")
    );
    let mut messages = conversation(state);
    messages.push(Message::new(Speaker::User, prompt.clone()));
    let mut params = state.session.params.clone();
    params.max_tokens = Some(
        params
            .max_tokens
            .map_or(REASK_MAX_TOKENS, |m| m.min(REASK_MAX_TOKENS)),
    );
    let run_id = state.next_run_id;
    state.next_run_id += 1;
    let Some(attempt) = state.attempts.last_mut() else {
        return Vec::new();
    };
    let original = match &attempt.reask {
        // Asking a second time: the answer's own decision stays the original.
        Some(earlier) => earlier.original.clone(),
        None => attempt
            .decision
            .clone()
            .unwrap_or_else(|| parse_decision(attempt.text(), routes)),
    };
    attempt.reask = Some(Reask {
        run_id,
        prompt,
        reply: String::new(),
        phase: Phase::Waiting,
        original,
    });
    state.running = Some(run_id);
    let reviewer = state.session.reviewer.clone();
    audit(
        state,
        "review_action",
        at,
        serde_json::json!({ "action": "reask", "reviewer": reviewer }),
    );
    notice(
        state,
        NoticeLevel::Info,
        "Asking the agent for its decision line only… Esc cancels.",
    );
    vec![Effect::StartRun {
        run_id,
        request: ChatRequest { messages, params },
    }]
}

/// An event of a re-ask run; `false` when `run_id` is not one.
pub(super) fn on_reask_event(
    state: &mut State,
    run_id: u64,
    event: &AgentEvent,
    at: DateTime<Utc>,
) -> bool {
    let routes = state.session.role.routes.clone();
    let Some(attempt) = state
        .attempts
        .iter_mut()
        .find(|a| a.reask.as_ref().is_some_and(|r| r.run_id == run_id))
    else {
        return false;
    };
    let Some(reask) = attempt.reask.as_mut() else {
        return false;
    };
    match event {
        AgentEvent::Started { .. }
        | AgentEvent::Usage(_)
        | AgentEvent::Reasoning(_)
        | AgentEvent::Retrying { .. } => {}
        AgentEvent::Delta(text) => {
            reask.phase = Phase::Streaming;
            reask.reply.push_str(text);
        }
        AgentEvent::Finished(reason) => {
            reask.phase = Phase::Complete(reason.clone());
            state.running = None;
            let decision = parse_decision(&reask.reply, &routes);
            let reply = reask.reply.clone();
            let original_status = reask.original.status;
            let data = serde_json::json!({
                "reply_sha256": sha256_hex(&reply),
                "status": decision.status,
                "raw_line": decision.raw_line,
                "candidates": decision.candidates,
                "original_status": original_status,
            });
            if decision.status == DecisionStatus::Missing {
                notice(state, NoticeLevel::Warning, "The agent's reply had no DECISION line; its answer's own decision stands. Choose with 1-9, or a asks again.");
            } else {
                state.review.selected = decision
                    .unique_candidate()
                    .and_then(|id| routes.iter().position(|o| o.id == id));
                let (level, text) = decision_notice(&decision, false);
                attempt.decision = Some(decision);
                notice(state, level, format!("Re-asked. {text}"));
            }
            audit(state, "decision_reasked", at, data);
            state.focus = Focus::Routes;
        }
        AgentEvent::Failed(error) => {
            reask.phase = Phase::Failed(error.to_string());
            state.running = None;
            audit(
                state,
                "run_failed",
                at,
                serde_json::json!({ "error": error.to_string(), "reask": true }),
            );
            notice(
                state,
                NoticeLevel::Error,
                format!("Asking again failed: {error}. The answer's own decision stands."),
            );
        }
    }
    true
}

/// Esc while a re-ask runs: the answer's own decision stands. `false` when none runs.
pub(super) fn cancel_reask(state: &mut State, run_id: u64) -> bool {
    let Some(reask) = state
        .attempts
        .iter_mut()
        .filter_map(|a| a.reask.as_mut())
        .find(|r| r.run_id == run_id)
    else {
        return false;
    };
    reask.phase = Phase::Cancelled;
    notice(
        state,
        NoticeLevel::Warning,
        "Stopped asking again; the answer's own decision stands.",
    );
    true
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
    let session = &state.session;
    let review = DeferredReview {
        format: crate::store::deferred::FORMAT.into(),
        id: uuid::Uuid::now_v7().to_string(),
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
    };
    state.review.handoff = Some(HandoffStatus::Deferring);
    vec![Effect::Defer(Box::new(review))]
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
pub(super) fn decision_notice(
    decision: &crate::routing::Decision,
    cut: bool,
) -> (NoticeLevel, String) {
    let prefix = if cut {
        "The answer was cut off at the token limit. "
    } else {
        ""
    };
    let (level, text) = match decision.status {
        DecisionStatus::Unique => (
            NoticeLevel::Info,
            "The agent chose a route: Enter confirms it, 1-9 picks another, r revises.",
        ),
        DecisionStatus::Ambiguous => (
            NoticeLevel::Warning,
            "The agent's decision matches several routes: choose one with 1-9, then Enter.",
        ),
        DecisionStatus::Invalid => (
            NoticeLevel::Warning,
            "The agent's decision names no listed route: choose one with 1-9, or r to revise.",
        ),
        DecisionStatus::Missing => (
            NoticeLevel::Warning,
            "The agent gave no DECISION line: choose a route with 1-9, or r to revise.",
        ),
        DecisionStatus::Misplaced => (
            NoticeLevel::Warning,
            "The DECISION line is not the last line: check it, choose with 1-9, then Enter.",
        ),
    };
    (
        if cut { NoticeLevel::Warning } else { level },
        format!("{prefix}{text}"),
    )
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
