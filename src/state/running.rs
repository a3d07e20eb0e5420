//! Runs: starting an attempt, the provider's events as they stream, cancelling, and asking for a
//! revision with feedback.

use super::notify::{audit, notice};
use super::readiness::decision_notice;
use super::reask;
use super::view::sync_view;
use super::{Attempt, Focus, NoticeLevel, Phase, ReviewMode, State};
use crate::effect::Effect;
use crate::provider::{AgentEvent, ChatRequest, FinishReason};
use crate::routing::envelope::sha256_hex;
use crate::routing::parse_decision;
use crate::sanitize::sanitize;
use chrono::{DateTime, Utc};

fn start_attempt(state: &mut State, feedback: Option<String>, at: DateTime<Utc>) -> Vec<Effect> {
    let run_id = state.next_run_id;
    state.next_run_id += 1;
    let number = state.attempts.len() as u32 + 1;
    state.attempts.push(Attempt::new(
        number,
        run_id,
        feedback,
        state.styles.clone(),
        at,
    ));
    let request = ChatRequest {
        messages: state.conversation(),
        params: state.session.params.clone(),
    };
    let feedback = state.attempts.last().and_then(|a| a.feedback.clone());
    let data = serde_json::json!({
        "provider": state.session.provider,
        "parameters": state.session.params,
        "prompt_sha256": state.session.role.prompt_sha256(),
        "brief_sha256": sha256_hex(&state.brief_text()),
        "feedback": feedback,
    });
    super::journal::started(state, at);
    state.brief_kept = state.brief_revision;
    audit(state, "run_started", at, data);
    state.running = Some(run_id);
    state.shown = state.attempts.len() - 1;
    state.review.selected = None;
    state.review.handoff = None;
    // An edited brief for the next role belonged to the earlier answer.
    state.review.payload = None;
    state.outline_selected = 0;
    state.folded.clear();
    state.follow = true;
    state.scroll = 0;
    state.view = Default::default();
    sync_view(state);
    state.focus = Focus::Answer;
    notice(
        state,
        NoticeLevel::Info,
        format!(
            "Attempt {number} sent to {}. Esc cancels.",
            state.session.provider.model
        ),
    );
    let mut effects = vec![Effect::StartRun { run_id, request }];
    // The check's server starts while the answer streams, so it is ready when the answer ends.
    if state.check_policy.is_some() {
        effects.push(Effect::WarmCheckServer);
    }
    effects
}

pub(super) fn run(state: &mut State, at: DateTime<Utc>) -> Vec<Effect> {
    if state.running.is_some() {
        notice(
            state,
            NoticeLevel::Warning,
            "An answer is still streaming: wait for it, or press Esc to cancel it.",
        );
        return Vec::new();
    }
    if state.brief_text().trim().is_empty() {
        state.focus = Focus::Brief;
        notice(
            state,
            NoticeLevel::Error,
            "The brief is empty: write what the architect should design, then press Ctrl-S.",
        );
        return Vec::new();
    }
    // An answer that broke off (network, server) is tried again at once, as the same attempt:
    // its partial text stays in the history, and the conversation before it is unchanged.
    if matches!(state.latest().map(|a| &a.phase), Some(Phase::Failed(_))) {
        let failed = state.attempts.pop();
        let feedback = failed.and_then(|a| a.feedback);
        let effects = start_attempt(state, feedback, at);
        let number = state.latest().map_or(1, |a| a.number);
        notice(
            state,
            NoticeLevel::Info,
            format!("Trying attempt {number} again; the broken-off answer is kept in the history (Ctrl-O). Esc cancels."),
        );
        return effects;
    }
    if !state.attempts.is_empty() && !state.review.settled() && !state.rerun_armed {
        state.rerun_armed = true;
        notice(state, NoticeLevel::Warning, "Ctrl-S again discards this answer and runs the brief anew; r sends it back with feedback instead.");
        return Vec::new();
    }
    state.rerun_armed = false;
    if state.review.handoff.as_ref().is_some_and(|h| h.is_final()) {
        new_chain(state);
    }
    state.attempts.clear();
    super::notes::read_checklist(state);
    start_attempt(state, None, at)
}

/// Running a brief again after its answer was settled starts a chain of its own, so that the
/// new answer is never taken for the old one. The id is derived from this workbench's id and
/// the next run's number (update reads no clock and draws no random numbers).
fn new_chain(state: &mut State) {
    use sha2::{Digest, Sha256};
    let seed = Sha256::digest(format!("{}:{}", state.instance, state.next_run_id));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&seed[..16]);
    state.session.chain_id = uuid::Uuid::new_v8(bytes).to_string();
    state.session.chain.parent_id = None;
    state.session.chain.breadcrumb = vec![state.session.role.id.clone()];
    state.session.chain.resumed_from = None;
}

pub(super) fn cancel(state: &mut State, at: DateTime<Utc>) -> Vec<Effect> {
    let Some(run_id) = state.running.take() else {
        return Vec::new();
    };
    state.reading = None;
    if reask::cancel_reask(state, run_id) {
        audit(
            state,
            "review_action",
            at,
            serde_json::json!({ "action": "cancel", "reask": true }),
        );
        return vec![Effect::CancelRun { run_id }];
    }
    if let Some(attempt) = state.attempts.iter_mut().find(|a| a.run_id == run_id) {
        attempt.doc.finish();
        attempt.phase = Phase::Cancelled;
    }
    super::journal::ended(state, run_id, at);
    sync_view(state);
    notice(
        state,
        NoticeLevel::Warning,
        "Cancelled. The partial answer stays; r sends it back with feedback, Ctrl-S runs again.",
    );
    let bytes = state.latest().map_or(0, |a| a.text().len());
    audit(
        state,
        "review_action",
        at,
        serde_json::json!({ "action": "cancel", "bytes_kept": bytes }),
    );
    vec![Effect::CancelRun { run_id }]
}

/// A provider event for run `run_id`, however it came (a provider, or a watched session).
pub(super) fn on_agent(state: &mut State, run_id: u64, event: AgentEvent, at: DateTime<Utc>) {
    if state.running != Some(run_id) {
        return;
    }
    if let AgentEvent::Reading { read, total, kept } = event {
        super::reading::on_reading(state, run_id, (read, total, kept), at);
        return;
    }
    // Anything else means reading is over (the first token, the end, a failure).
    if state.reading.take().is_some() {
        state.notice = None;
    }
    if reask::on_reask_event(state, run_id, &event, at) {
        return;
    }
    let Some(attempt) = state.attempts.iter_mut().find(|a| a.run_id == run_id) else {
        return;
    };
    if !matches!(event, AgentEvent::Retrying { .. }) {
        attempt.retry = None;
    }
    let mut finished = false;
    match event {
        AgentEvent::Started { model } => attempt.model = Some(model),
        AgentEvent::Reading { .. } => {}
        AgentEvent::Reasoning(text) => {
            // Untrusted like the answer: made harmless once, as it arrives.
            attempt.reasoning.push_str(&sanitize(&text));
            return;
        }
        AgentEvent::Retrying {
            try_number,
            of,
            wait,
            why,
        } => {
            attempt.retry = Some(super::RetryWait {
                until: at + chrono::Duration::from_std(wait).unwrap_or_default(),
                try_number,
                of,
                why,
            });
            retry_notice(state);
            return;
        }
        AgentEvent::Delta(text) => {
            if attempt.first_token_at.is_none() {
                attempt.first_token_at = Some(at);
            }
            attempt.phase = Phase::Streaming;
            attempt.pieces += 1;
            attempt.doc.push(&text);
            super::journal::delta(state, run_id, &text);
            // The view is measured once a frame (`State::prepare_frame`), or before the next
            // key, not once a piece: each measure wraps the open line again.
            state.view_due = true;
            return;
        }
        AgentEvent::Usage(usage) => attempt.usage = Some(usage),
        AgentEvent::Finished(reason) => {
            attempt.doc.finish();
            finished = true;
            attempt.completed_at = Some(at);
            let decision = parse_decision(attempt.text(), &state.session.role.routes);
            attempt.reviewed_sha256 = Some(sha256_hex(attempt.text()));
            let cut = reason == FinishReason::Length;
            let finish_json = serde_json::to_value(&reason).unwrap_or_default();
            attempt.phase = Phase::Complete(reason);
            state.running = None;
            state.review.selected = decision
                .unique_candidate()
                .and_then(|id| state.session.role.routes.iter().position(|o| o.id == id));
            let message = decision_notice(&decision, cut);
            let complete = serde_json::json!({
                "finish_reason": finish_json,
                "response_sha256": attempt.reviewed_sha256,
                "usage": attempt.usage,
                "bytes": attempt.text().len(),
            });
            let parsed = serde_json::to_value(&decision).unwrap_or_default();
            attempt.decision = Some(decision);
            state.focus = Focus::Routes;
            notice(state, message.0, message.1);
            super::journal::ended(state, run_id, at);
            audit(state, "answer_complete", at, complete);
            audit(state, "decision_parsed", at, parsed);
        }
        AgentEvent::Failed(error) => {
            attempt.doc.finish();
            attempt.completed_at = Some(at);
            attempt.phase = Phase::Failed(error.to_string());
            let bytes = attempt.text().len();
            state.running = None;
            super::journal::ended(state, run_id, at);
            audit(
                state,
                "run_failed",
                at,
                serde_json::json!({ "error": error.to_string(), "bytes_kept": bytes }),
            );
            notice(
                state,
                NoticeLevel::Error,
                format!("{error}. The partial answer stays; Ctrl-S tries again."),
            );
        }
    }
    if finished {
        same_as_previous(state, run_id, at);
    }
    sync_view(state);
}

/// Says at once when an answer is byte for byte the one before it: a revision that changed
/// nothing should not pass for one that did.
fn same_as_previous(state: &mut State, run_id: u64, at: DateTime<Utc>) {
    let Some(i) = state.attempts.iter().position(|a| a.run_id == run_id) else {
        return;
    };
    let Some(previous) = i.checked_sub(1).map(|p| &state.attempts[p]) else {
        return;
    };
    if previous.text() != state.attempts[i].text() {
        return;
    }
    let (number, before) = (state.attempts[i].number, previous.number);
    state.attempts[i].same_as_previous = true;
    let decision = state
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    notice(
        state,
        NoticeLevel::Warning,
        format!(
            "Attempt {number} is identical to attempt {before}, byte for byte: the feedback changed nothing. {decision}"
        )
        .trim_end()
        .to_string(),
    );
    audit(
        state,
        "attempt_identical",
        at,
        serde_json::json!({ "attempt": number, "same_as": before }),
    );
}

/// The status line for a refused try being waited out, with the seconds left.
pub(super) fn retry_notice(state: &mut State) {
    let Some(wait) = state.latest().and_then(|a| a.retry.clone()) else {
        return;
    };
    let left = (wait.until - state.now).num_milliseconds().max(0);
    let secs = (left + 999) / 1000;
    notice(
        state,
        NoticeLevel::Warning,
        format!(
            "{}: trying again in {secs} s (try {} of {}). Esc cancels.",
            crate::sanitize::sanitize_line(&wait.why),
            wait.try_number,
            wait.of
        ),
    );
}

pub(super) fn open_feedback(state: &mut State) -> Vec<Effect> {
    let problem = match state.latest().map(|a| &a.phase) {
        None => Some("There is no answer to revise yet: press Ctrl-S to run the brief first."),
        Some(Phase::Waiting | Phase::Streaming) => {
            Some("Wait for the answer to finish (or Esc to cancel) before revising.")
        }
        Some(_) if state.running.is_some() => {
            Some("Wait for the agent's reply (or Esc to cancel) before revising.")
        }
        Some(_) if state.review.settled() => {
            Some("This answer is already handed off, rejected or deferred.")
        }
        Some(_) => None,
    };
    match problem {
        Some(problem) => notice(state, NoticeLevel::Warning, problem),
        None => state.review.mode = ReviewMode::Feedback,
    }
    Vec::new()
}

pub(super) fn send_feedback(state: &mut State, at: DateTime<Utc>) -> Vec<Effect> {
    let free_text = state.review.feedback.lines().join("\n");
    let comments = state
        .latest()
        .map(|a| a.comments.clone())
        .unwrap_or_default();
    let feedback = crate::review::revision::compose(&free_text, &comments, &state.review.checklist);
    if feedback.trim().is_empty() {
        notice(
            state,
            NoticeLevel::Warning,
            "The feedback is empty: say what the agent should change (or comment on lines with m, mark requirements not met with l), then Ctrl-S.",
        );
        return Vec::new();
    }
    state.review.mode = ReviewMode::Choosing;
    state.review.feedback = super::new_editor(
        "",
        "What should the agent change? Ctrl-S sends, Esc closes.",
    );
    let reviewer = state.session.reviewer.clone();
    audit(
        state,
        "review_action",
        at,
        serde_json::json!({ "action": "revise", "feedback": feedback.trim(), "comments": comments.len(), "reviewer": reviewer }),
    );
    start_attempt(state, Some(feedback.trim().to_string()), at)
}
