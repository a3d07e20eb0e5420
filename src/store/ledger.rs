//! Settling answers: every handoff is claimed here before its envelope is written, and every
//! rejection and deferral recorded. One transaction and a unique index make "at most once" hold
//! across paths, processes and restarts.

use super::outcomes::{final_kind, outcome_from, speaking_first, AnswerId, Outcome, COLUMNS};
use super::sessions::{Store, StoreError};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

/// Why an outcome was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum SettleError {
    /// The answer already has its final outcome.
    #[error("this answer was already {}", .0.describe())]
    Settled(Box<Outcome>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The session store as the handoff gate uses it: opened for each claim, so every process sees
/// the others' claims at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ledger {
    pub path: std::path::PathBuf,
    /// Where each handoff is recorded before its envelope is written (none in some tests).
    pub audit: Option<super::audit::AuditLog>,
    /// The pending review this handoff settles, when it was opened from the inbox: settled
    /// there first, under its claim, so that across machines too one review is handed off once.
    pub pending: Option<PendingClaim>,
}

/// A claim on a pending review, with the inbox that holds it.
#[derive(Clone)]
pub struct PendingClaim {
    pub inbox: std::sync::Arc<super::inbox::Inbox>,
    pub claim: super::inbox::Claim,
    /// Where the handoff waits if the team store cannot be reached to settle the review (none:
    /// this machine's store, or a handoff being replayed from there).
    pub queue: Option<super::inbox::queue::Queue>,
}

impl std::fmt::Debug for PendingClaim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the token: it is what acting on the review takes.
        write!(f, "PendingClaim({} by {})", self.claim.id, self.claim.by)
    }
}

impl PartialEq for PendingClaim {
    fn eq(&self, other: &Self) -> bool {
        self.claim == other.claim
    }
}

impl Eq for PendingClaim {}

impl Ledger {
    pub fn new(path: impl Into<std::path::PathBuf>) -> Self {
        Self {
            path: path.into(),
            audit: None,
            pending: None,
        }
    }

    /// Settles `pending` in its inbox before anything is handed off.
    pub fn with_pending(mut self, pending: Option<PendingClaim>) -> Self {
        self.pending = pending;
        self
    }

    /// Records each handoff in `audit` too, and names that record in its envelope.
    pub fn with_audit(mut self, audit: Option<super::audit::AuditLog>) -> Self {
        self.audit = audit;
        self
    }

    /// Records `outcome` for `answer` (see [`Store::settle`]).
    pub fn settle(&self, answer: &AnswerId, outcome: &Outcome) -> Result<(), SettleError> {
        Store::open(&self.path)?.settle(answer, outcome)
    }

    /// Takes back the handoff claimed for `envelope_id` (see [`Store::unsettle`]).
    pub fn unsettle(&self, envelope_id: &str) -> Result<(), StoreError> {
        Store::open(&self.path)?.unsettle(envelope_id)
    }
}

const WHERE_ANSWER: &str = "chain_id = ?1 AND step = ?2 AND attempt = ?3 AND response_sha256 = ?4";

/// The outcome that speaks for `answer`: its final one, else (unless `final_only`) its latest.
fn speaking(
    conn: &rusqlite::Connection,
    answer: &AnswerId,
    final_only: bool,
) -> rusqlite::Result<Option<Outcome>> {
    let only = if final_only {
        concat!("AND ", final_kind!())
    } else {
        ""
    };
    conn.query_row(
        &format!(
            "SELECT {COLUMNS} FROM outcomes o WHERE {WHERE_ANSWER} {only} {}",
            speaking_first!()
        ),
        params![
            answer.chain_id,
            answer.step,
            answer.attempt,
            answer.response_sha256
        ],
        |r| outcome_from(r, 0),
    )
    .optional()
    .map(Option::flatten)
}

impl Store {
    /// Records what became of `answer`. A final outcome (a handoff, a rejection) is refused when
    /// the answer has one already, naming it: the check and the insert are one transaction, and
    /// the unique index stops any writer that would slip between them.
    pub fn settle(&mut self, answer: &AnswerId, outcome: &Outcome) -> Result<(), SettleError> {
        let sql = self.sql_error();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&sql)?;
        if outcome.kind.is_final() {
            let existing = speaking(&tx, answer, true).map_err(&sql)?;
            if let Some(existing) = existing {
                return Err(SettleError::Settled(Box::new(existing)));
            }
        }
        tx.execute(
            "INSERT INTO outcomes (chain_id, step, attempt, response_sha256, kind, action, target, target_known, envelope_id, reviewer, reason, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                answer.chain_id,
                answer.step,
                answer.attempt,
                answer.response_sha256,
                outcome.kind.as_str(),
                outcome.action,
                outcome.target,
                outcome.target_known,
                outcome.envelope_id,
                outcome.reviewer,
                outcome.reason,
                outcome.at,
            ],
        )
        .map_err(&sql)?;
        tx.commit().map_err(&sql)?;
        Ok(())
    }

    /// Takes back the handoff claimed for `envelope_id`: its envelope could not be written, so
    /// nothing was handed off and the reviewer may try again.
    pub fn unsettle(&mut self, envelope_id: &str) -> Result<(), StoreError> {
        let sql = self.sql_error();
        self.conn
            .execute(
                "DELETE FROM outcomes WHERE envelope_id = ?1 AND kind = 'handed_off'",
                [envelope_id],
            )
            .map(|_| ())
            .map_err(sql)
    }

    /// What became of `answer`: its final outcome, else its latest (a deferral), else nothing.
    pub fn outcome_of(&self, answer: &AnswerId) -> Result<Option<Outcome>, StoreError> {
        speaking(&self.conn, answer, false).map_err(self.sql_error())
    }

    /// The run that made `answer`, if the store has it (the newest, should it have two).
    pub fn run_of(&self, answer: &AnswerId) -> Result<Option<i64>, StoreError> {
        let sql = self.sql_error();
        self.conn
            .query_row(
                "SELECT id FROM runs WHERE chain_id = ?1 AND coalesce(parent_id, '') = ?2
                   AND attempt = ?3 AND response_sha256 = ?4 ORDER BY id DESC LIMIT 1",
                params![
                    answer.chain_id,
                    answer.step,
                    answer.attempt,
                    answer.response_sha256
                ],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql)
    }
}

#[cfg(test)]
#[path = "ledger_tests.rs"]
mod tests;
