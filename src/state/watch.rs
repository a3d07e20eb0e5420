//! Watching a session someone else drives (`archbench watch`): what the follower reports is
//! replayed into the workbench's own state, so the answer renders, the outline fills and the
//! decision is read exactly as on the reviewer's screen — and nothing here can change the work.

use super::notify::notice;
use super::running::on_agent;
use super::view::sync_view;
use super::{Attempt, Focus, NoticeLevel, State};
use crate::action::Action;
use crate::provider::{AgentEvent, FinishReason, ProviderError};
use crate::store::follow::Watch;
use chrono::{DateTime, Utc};

/// Actions a watcher may take: reading, moving around, searching, copying, quitting. Anything
/// else (a new action too, until it is listed here) is refused.
pub fn allowed(action: Action) -> bool {
    matches!(
        action,
        Action::Quit
            | Action::Help
            | Action::Messages
            | Action::Zoom
            | Action::ToggleReasoning
            | Action::NextTheme
            | Action::FocusNext
            | Action::FocusPrev
            | Action::ScrollUp
            | Action::ScrollDown
            | Action::PageUp
            | Action::PageDown
            | Action::HalfPageUp
            | Action::HalfPageDown
            | Action::Top
            | Action::Bottom
            | Action::PrevAttempt
            | Action::DiffAttempt
            | Action::QueryPlans
            | Action::SchemaView
            | Action::SchemaBack
            | Action::NextAttempt
            | Action::PrevItem
            | Action::NextItem
            | Action::OpenItem
            | Action::OutlineFold
            | Action::PrevBlock
            | Action::NextBlock
            | Action::CopyBlock
            | Action::CopyAnswer
            | Action::CopySection
            | Action::SaveBlocks
            | Action::ExportAnswer
            | Action::BlockList
            | Action::Search
            | Action::NextMatch
            | Action::PrevMatch
            | Action::SubmitPrompt
            | Action::Comment
            | Action::Comments
            | Action::ExtendUp
            | Action::ExtendDown
            | Action::ClosePrompt
    )
}

pub(super) fn refuse(state: &mut State) {
    notice(
        state,
        NoticeLevel::Warning,
        "Watching: read-only. Scroll, search, copy and the outline work here; the reviewer decides on their screen.",
    );
}

pub(super) fn on_watch(state: &mut State, watch: Watch, at: DateTime<Utc>) {
    match watch {
        Watch::Started(run) => {
            if let Some(role) = state.session.chain.roles.get(&run.role_id).cloned() {
                state.session.role = role;
            }
            state.session.provider.model = run.model.clone();
            if run.attempt <= 1 {
                state.attempts.clear();
            }
            state.brief = super::new_editor(&run.brief, "");
            let run_id = state.next_run_id;
            state.next_run_id += 1;
            let mut attempt = Attempt::new(
                run.attempt,
                run_id,
                run.feedback.clone(),
                state.styles.clone(),
                at,
            );
            // Comments written here are shared on this run.
            attempt.store_key = Some(run.key.as_str().into());
            state.attempts.push(attempt);
            state.running = Some(run_id);
            state.shown = state.attempts.len() - 1;
            state.view = Default::default();
            state.scroll = 0;
            state.follow = true;
            state.focus = Focus::Answer;
            sync_view(state);
            notice(
                state,
                NoticeLevel::Info,
                format!(
                    "Watching {}: run #{} (attempt {}) of {}.",
                    run.reviewer, run.id, run.attempt, run.role_id
                ),
            );
        }
        Watch::Pieces(pieces) => {
            let Some(run_id) = state.running else { return };
            for piece in pieces {
                on_agent(state, run_id, AgentEvent::Delta(piece), at);
            }
        }
        Watch::Ended {
            status,
            finish_reason,
        } => {
            let Some(run_id) = state.running else { return };
            let event = match status.as_str() {
                "complete" => AgentEvent::Finished(FinishReason::from_wire(
                    finish_reason.as_deref().unwrap_or("stop"),
                )),
                other => AgentEvent::Failed(ProviderError::Stream(format!(
                    "the run ended {other} on the reviewer's side"
                ))),
            };
            on_agent(state, run_id, event, at);
        }
        Watch::Events(events) => {
            let Some(last) = events.iter().rev().find_map(describe) else {
                return;
            };
            notice(state, NoticeLevel::Success, last);
        }
        Watch::Outcome(outcome) => {
            notice(
                state,
                NoticeLevel::Success,
                format!("The reviewer's decision: {}.", outcome.describe()),
            );
            state.review.handoff = Some(super::HandoffStatus::Settled(outcome));
        }
        Watch::Trouble(e) => notice(state, NoticeLevel::Error, e),
    }
}

/// What a review event says, for the watcher's status line.
fn describe(event: &crate::store::sessions::EventRow) -> Option<String> {
    let d = &event.data;
    let s = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    match event.kind.as_str() {
        "review_action" => Some(format!(
            "The reviewer: {}{}",
            s("action"),
            match (s("target"), s("option_id")) {
                (t, _) if !t.is_empty() => format!(" → {t}"),
                (_, o) if !o.is_empty() => format!(" → {o}"),
                _ => String::new(),
            }
        )),
        "handoff_sent" => Some(format!("Handed off to {} ({}).", s("target"), s("sink"))),
        "handoff_failed" => Some(format!(
            "A handoff to {} failed ({}).",
            s("target"),
            s("sink")
        )),
        "chain_opened" => Some(format!("The chain goes on: {} opened.", s("to"))),
        _ => None,
    }
}
