//! Whether the answer on screen can be reviewed and handed off now, and what the status line
//! says of its decision.

use super::notify::short;
use super::{HandoffStatus, NoticeLevel, Phase, State};
use crate::routing::decision::DecisionStatus;

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
            HandoffStatus::Queued { target } => format!(
                "Approved: the handoff to {target} waits on this machine for the team store, and is made when it answers."
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
