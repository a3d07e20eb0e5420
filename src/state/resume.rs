//! Opening a deferred review again: the state as it was when the reviewer pressed `d`, with every
//! attempt, the decision, the route chosen and any edited brief for the next role.

use super::update::{audit, notice, sync_view};
use super::{Attempt, Focus, NoticeLevel, Phase, Reask, Session, State};
use crate::provider::FinishReason;
use crate::routing::envelope::sha256_hex;
use crate::store::deferred::{DeferredReview, SavedPhase};

/// Why a saved review cannot be trusted, if it cannot: an answer whose text no longer matches
/// the hash recorded when it was reviewed was changed on disk.
pub fn check(saved: &DeferredReview) -> Result<(), String> {
    for attempt in &saved.attempts {
        if let Some(recorded) = &attempt.reviewed_sha256 {
            if *recorded != sha256_hex(&attempt.text) {
                return Err(format!(
                    "the deferred review {} was altered after it was saved (attempt {}'s answer no longer matches its recorded hash); it cannot be resumed",
                    saved.id, attempt.number
                ));
            }
        }
    }
    Ok(())
}

impl State {
    /// The workbench as `saved` left it. The caller checked it with [`check`].
    pub fn resume(
        session: Session,
        saved: &DeferredReview,
        path: std::path::PathBuf,
        width: u16,
        height: u16,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        let mut session = session;
        session.chain_id = saved.chain_id.clone();
        session.chain.parent_id = saved.parent_id.clone();
        session.chain.breadcrumb = saved.breadcrumb.clone();
        session.chain.resumed_from = Some(path);
        let prompt_changed = session.role.prompt_sha256() != saved.role_prompt_sha256;
        let mut state = State::new(session, &saved.brief, width, height);
        for a in &saved.attempts {
            let mut attempt = Attempt::new(
                a.number,
                0,
                a.feedback.clone(),
                state.styles.clone(),
                a.started_at,
            );
            attempt.doc.push(&a.text);
            attempt.doc.finish();
            attempt.phase = match &a.phase {
                SavedPhase::Complete(reason) => Phase::Complete(reason.clone()),
                SavedPhase::Cancelled => Phase::Cancelled,
                SavedPhase::Failed(error) => Phase::Failed(error.clone()),
            };
            attempt.model = a.model.clone();
            attempt.usage = a.usage;
            attempt.decision = a.decision.clone();
            attempt.reviewed_sha256 = a.reviewed_sha256.clone();
            attempt.first_token_at = a.first_token_at;
            attempt.completed_at = a.completed_at;
            attempt.reask = a.reask.as_ref().map(|r| Reask {
                run_id: 0,
                prompt: r.prompt.clone(),
                reply: r.reply.clone(),
                phase: Phase::Complete(FinishReason::Stop),
                original: r.original_decision.clone(),
            });
            state.attempts.push(attempt);
        }
        state.shown = state.attempts.len().saturating_sub(1);
        state.review.selected = saved
            .selected_option
            .as_ref()
            .and_then(|id| state.session.role.routes.iter().position(|o| &o.id == id));
        state.review.payload = saved.payload_brief.clone();
        state.focus = if state.attempts.is_empty() {
            Focus::Brief
        } else {
            Focus::Routes
        };
        sync_view(&mut state);
        let reviewer = state.session.reviewer.clone();
        audit(
            &mut state,
            "review_resumed",
            at,
            serde_json::json!({
                "deferred_id": saved.id,
                "deferred_by": saved.reviewer,
                "deferred_at": saved.saved_at,
                "reviewer": reviewer,
            }),
        );
        let by = &saved.reviewer.name;
        let when = saved.saved_at.format("%Y-%m-%d %H:%M UTC");
        let text = if prompt_changed {
            format!("Resumed the review {by} deferred on {when}. Warning: the role's prompt changed since; r revises with the new one.")
        } else {
            format!("Resumed the review {by} deferred on {when}: choose a route and Enter, or r, a, e, x.")
        };
        let level = if prompt_changed {
            NoticeLevel::Warning
        } else {
            NoticeLevel::Info
        };
        notice(&mut state, level, text);
        state
    }
}
