//! What the session store keeps of this workbench, queued by `update` as data (like the audit
//! log's entries): each run as it starts, the pieces of its answer, how it ended, and each state
//! change of its review. The loop hands them to the store's writer thread.

use super::{Phase, State};
use crate::store::outcomes::{AnswerId, Outcome, OutcomeKind};
use crate::store::sessions::{NewRun, RunEnd};
use crate::store::writer::Record;
use chrono::{DateTime, Utc};

/// The store's name for run `run_id` of this workbench: unique across processes and restarts.
pub fn run_key(state: &State, run_id: u64) -> String {
    format!("{}:{run_id}", state.instance)
}

/// The key of the latest attempt's run, if there is one.
pub(super) fn latest_key(state: &State) -> Option<String> {
    state
        .attempts
        .last()
        .filter(|a| a.run_id != 0)
        .map(|a| run_key(state, a.run_id))
}

/// The latest attempt was just sent to the provider.
pub(super) fn started(state: &mut State, at: DateTime<Utc>) {
    let Some(attempt) = state.attempts.last() else {
        return;
    };
    let reviewer = &state.session.reviewer;
    let key = run_key(state, attempt.run_id);
    let run = NewRun {
        key: key.clone(),
        session_id: state.instance.clone(),
        chain_id: state.session.chain_id.clone(),
        parent_id: state.session.chain.parent_id.clone(),
        role_id: state.session.role.id.clone(),
        prompt_sha256: state.session.role.prompt_sha256(),
        provider: state.session.provider.clone(),
        parameters: state.session.params.clone(),
        brief: state.brief_text(),
        attempt: attempt.number,
        feedback: attempt.feedback.clone(),
        reviewer: reviewer.label(),
        started_at: at,
    };
    state.records.push(Record::Started(Box::new(run)));
    if let Some(attempt) = state.attempts.last_mut() {
        attempt.store_key = Some(key.into());
    }
}

/// Text of run `run_id`'s answer arrived.
pub(super) fn delta(state: &mut State, run_id: u64, text: &str) {
    let key = state
        .attempts
        .iter()
        .rev()
        .find(|a| a.run_id == run_id)
        .and_then(|a| a.store_key.clone());
    if let Some(key) = key {
        state.records.push(Record::Delta {
            key,
            text: text.to_string(),
        });
    }
}

/// Run `run_id` ended; its attempt holds the outcome.
pub(super) fn ended(state: &mut State, run_id: u64, at: DateTime<Utc>) {
    let Some(attempt) = state.attempts.iter().find(|a| a.run_id == run_id) else {
        return;
    };
    let (status, finish) = match &attempt.phase {
        Phase::Complete(reason) => ("complete", Some(reason.clone())),
        Phase::Cancelled => ("cancelled", None),
        Phase::Failed(_) => ("failed", None),
        Phase::Waiting | Phase::Streaming => return,
    };
    let end = RunEnd {
        status: status.into(),
        finish_reason: finish.map(|f| f.as_wire().to_string()),
        usage: attempt.usage,
        decision: attempt
            .decision
            .as_ref()
            .and_then(|d| serde_json::to_value(d).ok()),
        first_token_at: attempt.first_token_at,
        completed_at: at,
    };
    let key = run_key(state, run_id);
    state.records.push(Record::Ended { key, end });
}

/// The latest attempt's answer, named as the session store and the handoff gate name it.
pub fn latest_answer(state: &State) -> Option<AnswerId> {
    let attempt = state.attempts.last()?;
    Some(AnswerId::new(
        &state.session.chain_id,
        state.session.chain.parent_id.as_deref(),
        attempt.number,
        attempt.text(),
    ))
}

/// The review rejected or deferred the latest answer.
pub(super) fn outcome(
    state: &mut State,
    kind: OutcomeKind,
    reason: Option<String>,
    at: DateTime<Utc>,
) {
    let Some(answer) = latest_answer(state) else {
        return;
    };
    let outcome = Outcome::review(kind, &state.session.reviewer.label(), reason, at);
    state.records.push(Record::Outcome { answer, outcome });
}
