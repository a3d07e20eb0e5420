//! Asking the model again for the decision line alone, when its answer ended without one: a
//! short second request, cancellable, recorded with the handoff.

use super::notify::{audit, notice};
use super::readiness::{decision_notice, not_ready};
use super::{Focus, NoticeLevel, Phase, Reask, State};
use crate::effect::Effect;
use crate::provider::{AgentEvent, ChatRequest, Message, Speaker};
use crate::routing::decision::DecisionStatus;
use crate::routing::envelope::{sha256_hex, ReaskRecord};
use crate::routing::parse_decision;
use chrono::{DateTime, Utc};

/// Most tokens a re-ask may take: the reply is one line.
const REASK_MAX_TOKENS: u32 = 96;

pub(super) fn reask_record(reask: &Reask) -> Option<ReaskRecord> {
    matches!(reask.phase, Phase::Complete(_)).then(|| ReaskRecord {
        prompt: reask.prompt.clone(),
        reply: reask.reply.clone(),
        reply_sha256: sha256_hex(&reask.reply),
        original_decision: reask.original.clone(),
    })
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
    let mut messages = state.conversation();
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
        | AgentEvent::Reading { .. }
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
