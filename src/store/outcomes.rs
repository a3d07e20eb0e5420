//! What became of each reviewed answer: handed off (to which role, in which envelope), rejected
//! or deferred, by whom, when and why, and how the session store's queries read it. Every surface
//! that shows an answer's fate reads it through these; [`super::ledger`] writes them.

use rusqlite::params;
use serde::{Deserialize, Serialize};

/// Names one answer, wherever it is reviewed from (live, resumed, continued from the history).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerId {
    pub chain_id: String,
    /// The envelope that opened this step of the chain; empty for a chain's first step.
    pub step: String,
    pub attempt: u32,
    pub response_sha256: String,
}

impl AnswerId {
    pub fn new(chain_id: &str, parent_id: Option<&str>, attempt: u32, response: &str) -> Self {
        Self {
            chain_id: chain_id.to_string(),
            step: parent_id.unwrap_or_default().to_string(),
            attempt,
            response_sha256: crate::routing::envelope::sha256_hex(response),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// An envelope was written for the answer.
    HandedOff,
    /// The reviewer stopped the chain at this answer.
    Rejected,
    /// The review was saved for later (`archbench resume`).
    Deferred,
}

impl OutcomeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HandedOff => "handed_off",
            Self::Rejected => "rejected",
            Self::Deferred => "deferred",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "handed_off" => Self::HandedOff,
            "rejected" => Self::Rejected,
            _ => Self::Deferred,
        }
    }

    /// A final outcome settles the answer: it can have only one.
    pub fn is_final(self) -> bool {
        matches!(self, Self::HandedOff | Self::Rejected)
    }
}

/// What became of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub kind: OutcomeKind,
    /// How the route was settled: confirm, choose, override or policy (a handoff only).
    pub action: Option<String>,
    /// The role handed to (`end` ends the chain).
    pub target: Option<String>,
    /// `false` when an override named a role no role file defines.
    pub target_known: Option<bool>,
    pub envelope_id: Option<String>,
    pub reviewer: String,
    /// The reviewer's reason (an override or a rejection).
    pub reason: Option<String>,
    /// RFC 3339, UTC.
    pub at: String,
}

impl Outcome {
    /// A handoff of the answer, as the gate claims it.
    pub fn handoff(
        action: &str,
        target: &str,
        target_known: bool,
        envelope_id: &str,
        reviewer: &str,
        reason: Option<String>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        Self {
            kind: OutcomeKind::HandedOff,
            action: Some(action.to_string()),
            target: Some(target.to_string()),
            target_known: Some(target_known),
            envelope_id: Some(envelope_id.to_string()),
            reviewer: reviewer.to_string(),
            reason,
            at: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }
    }

    /// A rejection or a deferral.
    pub fn review(
        kind: OutcomeKind,
        reviewer: &str,
        reason: Option<String>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        Self {
            kind,
            action: None,
            target: None,
            target_known: None,
            envelope_id: None,
            reviewer: reviewer.to_string(),
            reason,
            at: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }
    }

    /// A few words for a list: `handed off → x`, `overridden → y`, `rejected`, `deferred`.
    pub fn label(&self) -> String {
        let target = self.target.as_deref().unwrap_or("?");
        match self.kind {
            OutcomeKind::HandedOff if self.target_known == Some(false) => {
                format!("overridden → {target} (unknown role)")
            }
            OutcomeKind::HandedOff if self.action.as_deref() == Some("override") => {
                format!("overridden → {target}")
            }
            OutcomeKind::HandedOff => format!("handed off → {target}"),
            OutcomeKind::Rejected => "rejected".into(),
            OutcomeKind::Deferred => "deferred".into(),
        }
    }

    /// One sentence: what, where, by whom, when.
    pub fn describe(&self) -> String {
        let when = self.at.get(..16).unwrap_or(&self.at).replace('T', " ");
        let by = &self.reviewer;
        match self.kind {
            OutcomeKind::HandedOff => format!(
                "handed off to {} in envelope {} by {by} at {when} UTC",
                self.target.as_deref().unwrap_or("?"),
                self.envelope_id.as_deref().unwrap_or("?"),
            ),
            OutcomeKind::Rejected => format!("rejected by {by} at {when} UTC"),
            OutcomeKind::Deferred => format!("deferred by {by} at {when} UTC"),
        }
    }
}

/// What a list shows for a run: its outcome, else (an answer awaiting review) `pending`, else how
/// the run ended (`running`, `cancelled`, `failed`, `interrupted`).
pub fn run_state(status: &str, outcome: Option<&Outcome>, envelope_id: Option<&str>) -> String {
    match (outcome, envelope_id, status) {
        (Some(outcome), _, _) => outcome.label(),
        (None, Some(_), _) => "handed off".into(),
        (None, None, "complete") => "pending".into(),
        (None, None, other) => other.to_string(),
    }
}

/// The columns of an outcome, for a query that joins it (see [`outcome_from`]).
pub(super) const COLUMNS: &str =
    "o.kind, o.action, o.target, o.target_known, o.envelope_id, o.reviewer, o.reason, o.at";

/// The outcomes that settle an answer, one at most per answer (migration 3's unique index says
/// the same of its rows).
macro_rules! final_kind {
    () => {
        "kind IN ('handed_off', 'rejected')"
    };
}
pub(super) use final_kind;

/// Of an answer's outcomes, the one that speaks for it: its final one, else its latest.
macro_rules! speaking_first {
    () => {
        concat!("ORDER BY ", final_kind!(), " DESC, id DESC LIMIT 1")
    };
}
pub(super) use speaking_first;

/// Joins `o`, the outcome that speaks for each row of `runs`.
pub(super) const JOIN: &str = concat!(
    "LEFT JOIN outcomes o ON o.id = (
    SELECT id FROM outcomes WHERE chain_id = runs.chain_id AND step = coalesce(runs.parent_id, '')
      AND attempt = runs.attempt AND response_sha256 = runs.response_sha256 ",
    speaking_first!(),
    ")"
);

/// The outcome in the [`COLUMNS`] that start at column `at`, if the row has one.
pub(super) fn outcome_from(r: &rusqlite::Row, at: usize) -> rusqlite::Result<Option<Outcome>> {
    let Some(kind) = r.get::<_, Option<String>>(at)? else {
        return Ok(None);
    };
    Ok(Some(Outcome {
        kind: OutcomeKind::parse(&kind),
        action: r.get(at + 1)?,
        target: r.get(at + 2)?,
        target_known: r.get(at + 3)?,
        envelope_id: r.get(at + 4)?,
        reviewer: r.get(at + 5)?,
        reason: r.get(at + 6)?,
        at: r.get(at + 7)?,
    }))
}

/// Gives the answers stored before their hash was kept their hash (migration 3, once).
pub(super) fn hash_older_answers(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    let rows: Vec<(i64, String)> = conn
        .prepare(
            "SELECT id, answer FROM runs WHERE response_sha256 IS NULL AND answer IS NOT NULL",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, answer) in rows {
        conn.execute(
            "UPDATE runs SET response_sha256 = ?2 WHERE id = ?1",
            params![id, crate::routing::envelope::sha256_hex(&answer)],
        )?;
    }
    Ok(())
}
