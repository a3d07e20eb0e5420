//! The inbox in the workbench: the reviews waiting for a person, listed with who holds each; Enter
//! claims one and opens it here with everything the live review has; once it is handed off or
//! rejected the next one opens. Loading, claiming and settling are effects; the claim itself (its
//! token, its lease) lives in the effect runner, and the handoff gate settles it.

use super::notify::{audit, notice};
use super::{Focus, NoticeLevel, State};
use crate::action::Action;
use crate::effect::Effect;
use crate::store::deferred::DeferredReview;
use crate::store::inbox::{Filter, Row};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// How an action's notice ends when the next review is on its way.
pub(super) const NEXT_OPENS: &str = " · the next review opens";

/// The ages the age filter steps through.
const AGES: [Option<Duration>; 3] = [
    None,
    Some(Duration::from_secs(3600)),
    Some(Duration::from_secs(86_400)),
];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboxView {
    pub rows: Vec<Row>,
    pub selected: usize,
    pub filter: Filter,
    /// Waiting for the store: the list, or a claim.
    pub loading: bool,
    /// When the list was read (ages are shown from it).
    pub read_at: Option<DateTime<Utc>>,
}

/// A review claimed and read: its line in the inbox, and the review itself.
pub type Opened = (Row, DeferredReview);

/// The review from the inbox under review in this workbench.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub id: String,
    pub title: String,
}

/// Opens the inbox (or reads it again, when it is open).
pub(super) fn open(state: &mut State) -> Vec<Effect> {
    let filter = state
        .inbox
        .as_ref()
        .map(|v| v.filter.clone())
        .unwrap_or_default();
    let view = state.inbox.get_or_insert_with(InboxView::default);
    view.loading = true;
    vec![Effect::LoadInbox(filter)]
}

/// The list arrived.
pub(super) fn on_loaded(state: &mut State, result: Result<Vec<Row>, String>, at: DateTime<Utc>) {
    let Some(view) = state.inbox.as_mut() else {
        return;
    };
    view.loading = false;
    match result {
        Ok(rows) => {
            view.selected = view.selected.min(rows.len().saturating_sub(1));
            view.rows = rows;
            view.read_at = Some(at);
        }
        Err(e) => notice(
            state,
            NoticeLevel::Error,
            format!("The inbox cannot be read: {e}. Alt-I tries again."),
        ),
    }
}

/// Keys over the inbox; `None` passes the action on (the inbox closes).
pub(super) fn key(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let view = state.inbox.as_mut()?;
    let last = view.rows.len().saturating_sub(1);
    match action {
        Action::ScrollUp | Action::PrevItem => view.selected = view.selected.saturating_sub(1),
        Action::ScrollDown | Action::NextItem => view.selected = (view.selected + 1).min(last),
        Action::InboxRole => {
            // Through the roles that have reviews waiting, then all of them.
            let mut roles: Vec<String> = view.rows.iter().map(|r| r.role.clone()).collect();
            roles.sort();
            roles.dedup();
            let at = view
                .filter
                .role
                .as_ref()
                .and_then(|r| roles.iter().position(|x| x == r));
            view.filter.role = match at {
                None => roles.first().cloned(),
                Some(i) => roles.get(i + 1).cloned(),
            };
            view.selected = 0;
            return Some(open(state));
        }
        Action::InboxAge => {
            let at = AGES
                .iter()
                .position(|a| *a == view.filter.older_than)
                .unwrap_or(0);
            view.filter.older_than = AGES[(at + 1) % AGES.len()];
            view.selected = 0;
            return Some(open(state));
        }
        Action::OpenInbox => return Some(open(state)),
        Action::OpenItem => return Some(open_selected(state)),
        Action::ClosePrompt => state.inbox = None,
        Action::Help | Action::Quit => return None,
        _ => {
            state.inbox = None;
            return None;
        }
    }
    Some(Vec::new())
}

/// Whether this workbench may put another review on screen: not over a run still going.
fn busy(state: &mut State) -> bool {
    if state.running.is_some() {
        notice(
            state,
            NoticeLevel::Warning,
            "Wait for the answer to finish (or Esc to cancel) before opening another review.",
        );
        return true;
    }
    false
}

/// Enter: claim the chosen review and open it.
fn open_selected(state: &mut State) -> Vec<Effect> {
    let Some(view) = &state.inbox else {
        return Vec::new();
    };
    let Some(row) = view.rows.get(view.selected).cloned() else {
        notice(state, NoticeLevel::Info, "No review waits in the inbox.");
        return Vec::new();
    };
    let me = state.session.reviewer.label();
    if let (Some(by), "claimed") = (&row.claimed_by, row.status.as_str()) {
        if *by != me {
            let since = row
                .claimed_at
                .map(|t| t.format("%H:%M UTC").to_string())
                .unwrap_or_default();
            notice(
                state,
                NoticeLevel::Warning,
                format!("Being reviewed by {by} since {since}: choose another."),
            );
            return Vec::new();
        }
    }
    if busy(state) {
        return Vec::new();
    }
    if let Some(view) = state.inbox.as_mut() {
        view.loading = true;
    }
    vec![Effect::OpenPending {
        id: Some(row.id),
        by: me,
        role: None,
    }]
}

/// The review was claimed and read (or none waits, or the claim was refused).
pub(super) fn on_opened(
    state: &mut State,
    result: Result<Option<Box<Opened>>, String>,
    at: DateTime<Utc>,
) -> Vec<Effect> {
    if let Some(view) = state.inbox.as_mut() {
        view.loading = false;
    }
    let (row, saved) = match result {
        Ok(Some(found)) => *found,
        Ok(None) => {
            state.pending = None;
            // What the last action did stays in view, with the news that nothing else waits.
            let done = state
                .notice
                .as_ref()
                .and_then(|n| n.text.strip_suffix(NEXT_OPENS))
                .map(str::to_string);
            let text = match done {
                Some(done) => format!("{done} · No review waits in the inbox."),
                None => "No review waits in the inbox. Alt-I shows it; Ctrl-Q quits.".into(),
            };
            notice(state, NoticeLevel::Success, text);
            state.inbox.get_or_insert_with(InboxView::default);
            return open(state);
        }
        Err(e) => {
            notice(
                state,
                NoticeLevel::Warning,
                format!("{e}. Alt-I reads the inbox again."),
            );
            return Vec::new();
        }
    };
    let Some(role) = state.session.chain.roles.get(&saved.role_id).cloned() else {
        let text = format!(
            "The review {} was made by the role `{}`, which no role file here defines; it goes back to the inbox.",
            row.id, saved.role_id
        );
        notice(state, NoticeLevel::Error, text);
        return vec![Effect::ReleasePending];
    };
    let prompt_changed = role.prompt_sha256() != saved.role_prompt_sha256;
    state.session.role = role;
    state.session.chain_id = saved.chain_id.clone();
    state.session.chain.parent_id = saved.parent_id.clone();
    state.session.chain.breadcrumb = saved.breadcrumb.clone();
    state.session.chain.resumed_from = None;
    state.replace_brief(&saved.brief);
    state.brief_kept = state.brief_revision;
    super::resume::load_attempts(state, &saved);
    state.fresh_review();
    state.review.selected = saved
        .selected_option
        .as_ref()
        .and_then(|id| state.session.role.routes.iter().position(|o| &o.id == id));
    state.quit_armed = false;
    state.rerun_armed = false;
    state.focus = Focus::Routes;
    super::view::sync_view(state);
    state.inbox = None;
    let origin = format!("{} ({})", row.origin.who, row.origin.how);
    state.pending = Some(Pending {
        id: row.id.clone(),
        title: row.title.clone(),
    });
    let reviewer = state.session.reviewer.clone();
    audit(
        state,
        "review_opened",
        at,
        serde_json::json!({ "pending_review": row.id, "from": origin, "reviewer": reviewer }),
    );
    let warning = if prompt_changed {
        " Warning: the role's prompt changed since; r revises with the new one."
    } else {
        ""
    };
    notice(
        state,
        if prompt_changed {
            NoticeLevel::Warning
        } else {
            NoticeLevel::Info
        },
        format!(
            "Reviewing “{}” from {origin}, claimed for you: choose a route and Enter, or r, x; the next review opens after.{warning}",
            row.title
        ),
    );
    // The SQL check runs here as it does on a live answer.
    super::checks::on_loaded(state)
}

/// The inbox changed elsewhere: an open inbox is read again (unless it is being read).
pub(super) fn on_changed(state: &mut State) -> Vec<Effect> {
    match &state.inbox {
        Some(view) if !view.loading => open(state),
        _ => Vec::new(),
    }
}

/// The review under the claim was handed off or rejected: the next one opens.
pub(super) fn next(state: &mut State) -> Vec<Effect> {
    state.pending = None;
    vec![Effect::OpenPending {
        id: None,
        by: state.session.reviewer.label(),
        role: None,
    }]
}

/// The claim was lost while the reviewer read (their lease lapsed and another took the review).
pub(super) fn on_claim_lost(state: &mut State, why: String) {
    if state.pending.is_none() {
        return;
    }
    notice(
        state,
        NoticeLevel::Error,
        format!("This review is no longer yours to act on: it is {why}. Nothing here will hand it off; Alt-I opens the inbox."),
    );
}
