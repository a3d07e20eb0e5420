//! Opening a deferred review again: the state as it was when the reviewer pressed `d`, with every
//! attempt, the decision, the route chosen and any edited brief for the next role.

use super::notify::{audit, notice};
use super::view::sync_view;
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

/// Checks `saved` against the session store, which kept every answer as it streamed: each
/// attempt's text must be one the store holds for that chain step and attempt (a file edited
/// with its hash recomputed is refused). Returns what already became of the latest answer.
pub fn check_stored(
    saved: &DeferredReview,
    store: &crate::store::sessions::Store,
) -> Result<Option<crate::store::outcomes::Outcome>, String> {
    use crate::store::outcomes::AnswerId;
    let mut latest = None;
    for attempt in &saved.attempts {
        let answer = AnswerId::new(
            &saved.chain_id,
            saved.parent_id.as_deref(),
            attempt.number,
            &attempt.text,
        );
        match store.run_of(&answer) {
            Ok(Some(_)) => {}
            Ok(None) => {
                return Err(format!(
                    "the deferred review {} does not match the session store: attempt {}'s answer is not the text archbench kept when it streamed (the file was changed, or it comes from another machine); it cannot be resumed. `archbench sessions list` shows the runs kept here",
                    saved.id, attempt.number
                ))
            }
            Err(e) => return Err(format!("{e}; the deferred review {} cannot be checked, so it is not resumed", saved.id)),
        }
        latest = Some(answer);
    }
    match latest {
        Some(answer) => store.outcome_of(&answer).map_err(|e| e.to_string()),
        None => Ok(None),
    }
}

impl State {
    /// The answer under review was settled already (another workbench, a continued run): it is
    /// shown so, and nothing hands it off again.
    pub fn settled_elsewhere(&mut self, outcome: crate::store::outcomes::Outcome) {
        self.review.handoff = Some(super::HandoffStatus::Settled(Box::new(outcome)));
        // The words an attempt to hand it off would get.
        if let Some(why) = super::readiness::not_ready(self) {
            notice(self, NoticeLevel::Warning, why);
        }
    }

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
        load_attempts(&mut state, saved);
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

/// The attempts of `saved` on screen, as its reviewer left them: each answer, how it ended, its
/// decision read again from its text, the route chosen and any edited brief for the next role.
pub(super) fn load_attempts(state: &mut State, saved: &DeferredReview) {
    state.attempts.clear();
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
        // Nothing derived is trusted from the file: the decision is read again from the
        // text (after a re-ask, from its reply), as it was when the answer arrived.
        let routes = &state.session.role.routes;
        let original = crate::routing::parse_decision(&a.text, routes);
        attempt.decision = Some(match &a.reask {
            Some(reask) => crate::routing::parse_decision(&reask.reply, routes),
            None => original.clone(),
        });
        attempt.reviewed_sha256 = a.reviewed_sha256.clone();
        attempt.comments = a.comments.clone();
        attempt.first_token_at = a.first_token_at;
        attempt.completed_at = a.completed_at;
        attempt.reask = a.reask.as_ref().map(|r| Reask {
            run_id: 0,
            prompt: r.prompt.clone(),
            reply: r.reply.clone(),
            phase: Phase::Complete(FinishReason::Stop),
            original: original.clone(),
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
    sync_view(state);
}
