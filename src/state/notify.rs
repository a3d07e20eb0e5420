//! The status line and the audit trail: what the reviewer is told, and what is recorded of it.

use super::{Notice, NoticeLevel, State};
use chrono::{DateTime, Utc};

/// Keeps the status line's message in the session's log once, when it appears (whoever set it).
pub(super) fn log_notice(state: &mut State) {
    let Some(notice) = &state.notice else { return };
    if state.messages.back().map(|(_, n)| n) == Some(notice) {
        return;
    }
    state.messages.push_back((state.now, notice.clone()));
    if state.messages.len() > super::MESSAGES_KEPT {
        state.messages.pop_front();
    }
}

/// Queues one record for the audit log and the session store.
pub(super) fn audit(state: &mut State, kind: &str, at: DateTime<Utc>, data: serde_json::Value) {
    let attempt = state.attempts.last().map_or(0, |a| a.number);
    audit_log_only(state, kind, attempt, at, data.clone());
    let key = super::journal::latest_key(state);
    // Without a key the run was made by another process: it is found by its answer.
    let answer = key
        .is_none()
        .then(|| super::journal::latest_answer(state))
        .flatten();
    state.records.push(crate::store::writer::Record::Event {
        key,
        answer,
        at,
        kind: kind.to_string(),
        data,
    });
}

/// Queues one record of `attempt` for the audit log alone: for what the session store holds
/// already (a comment a watcher wrote there).
pub(super) fn audit_log_only(
    state: &mut State,
    kind: &str,
    attempt: u32,
    at: DateTime<Utc>,
    data: serde_json::Value,
) {
    state.audit.push(crate::store::audit::AuditEntry {
        kind: kind.to_string(),
        chain_id: state.session.chain_id.clone(),
        role: state.session.role.id.clone(),
        attempt,
        at,
        data,
    });
}

pub(super) fn notice(state: &mut State, level: NoticeLevel, text: impl Into<String>) {
    state.notice = Some(Notice {
        level,
        text: text.into(),
    });
}

/// An id as messages show it: long enough to tell apart, short enough to read.
pub(super) fn short(id: &str) -> String {
    id.chars().take(13).collect()
}
