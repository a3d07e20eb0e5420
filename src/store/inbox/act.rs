//! What changes the inbox, as data: each act is run in one transaction together with the audit
//! record that tells of it, so the store's chain holds every claim and settlement exactly as
//! they happened. An act is also what waits in this machine's queue while the team store cannot
//! be reached, and is replayed from there: every one can be run twice and takes effect once.

use super::{Claim, Origin, Summary};
use crate::store::audit::AuditEntry;
use crate::store::deferred::DeferredReview;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "act", rename_all = "snake_case")]
pub enum Act {
    /// Leaves a review pending (`review` as JSON); a second enqueue of its id does nothing.
    Enqueue {
        id: String,
        role: String,
        chain_id: String,
        review: String,
        origin: Origin,
        summary: Summary,
        at: DateTime<Utc>,
    },
    /// Claims review `id`: while nobody's lease holds, or again by its holder.
    Claim {
        id: String,
        by: String,
        token: String,
        at: DateTime<Utc>,
        until: DateTime<Utc>,
    },
    /// Claims the oldest review nobody holds.
    ClaimNext {
        by: String,
        role: Option<String>,
        token: String,
        at: DateTime<Utc>,
        until: DateTime<Utc>,
    },
    /// Lets the review go back to the inbox.
    Release {
        id: String,
        by: String,
        token: String,
        at: DateTime<Utc>,
    },
    /// Settles the review under the claim; settling it again with the same claim and outcome
    /// (a replay, a commit whose answer was lost) is done already, not refused.
    Settle {
        id: String,
        by: String,
        token: String,
        outcome: String,
        at: DateTime<Utc>,
    },
    /// A record of a machine's audit log (a run, an answer, a review action, a handoff), added
    /// to the team's chain once: `source` names the log and the record's number in it.
    Record { source: String, entry: AuditEntry },
    /// The held review saved again as it now stands (the comments made on it), under the claim,
    /// for whoever takes it up next.
    Revise {
        id: String,
        by: String,
        token: String,
        review: String,
        comments: usize,
        at: DateTime<Utc>,
    },
    /// Takes a settlement back under the same claim (its handoff could not be made).
    Unsettle {
        id: String,
        by: String,
        token: String,
        at: DateTime<Utc>,
        until: DateTime<Utc>,
    },
}

/// The review an act changed, as the store returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub id: String,
    pub role: String,
    pub chain_id: String,
    /// False when the act had taken effect already (a replay): nothing new is recorded.
    pub fresh: bool,
}

impl Act {
    /// Leaves `review` pending.
    pub fn enqueue(
        review: &DeferredReview,
        origin: &Origin,
        check: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<Act, String> {
        Ok(Act::Enqueue {
            id: review.id.clone(),
            role: review.role_id.clone(),
            chain_id: review.chain_id.clone(),
            review: serde_json::to_string(review).map_err(|e| e.to_string())?,
            origin: origin.clone(),
            summary: Summary::of(review, check),
            at,
        })
    }

    /// Lets `claim`'s review go.
    pub fn release(claim: &Claim, at: DateTime<Utc>) -> Act {
        Act::Release {
            id: claim.id.clone(),
            by: claim.by.clone(),
            token: claim.token.clone(),
            at,
        }
    }

    /// Saves `review` as `claim`'s review now stands.
    pub fn revise(
        claim: &Claim,
        review: &DeferredReview,
        at: DateTime<Utc>,
    ) -> Result<Act, String> {
        Ok(Act::Revise {
            id: claim.id.clone(),
            by: claim.by.clone(),
            token: claim.token.clone(),
            review: serde_json::to_string(review).map_err(|e| e.to_string())?,
            comments: review.attempts.iter().map(|a| a.comments.len()).sum(),
            at,
        })
    }

    /// Settles `claim`'s review with `outcome`.
    pub fn settle(claim: &Claim, outcome: &str, at: DateTime<Utc>) -> Act {
        Act::Settle {
            id: claim.id.clone(),
            by: claim.by.clone(),
            token: claim.token.clone(),
            outcome: outcome.to_string(),
            at,
        }
    }

    /// Record `appended` of the audit log whose first line hashes to `log`, written on this
    /// machine by this person: for the team's chain.
    pub fn record(
        entry: &AuditEntry,
        appended: &crate::store::audit::Appended,
        log: Option<String>,
    ) -> Act {
        let log = log.unwrap_or_default();
        let mut entry = entry.clone();
        let from = serde_json::json!({
            "who": Origin::here("").who,
            "log": log,
            "seq": appended.record.seq,
            "sha256": appended.sha256,
        });
        match &mut entry.data {
            serde_json::Value::Object(map) => {
                map.insert("from".into(), from);
            }
            other => *other = serde_json::json!({ "value": other.take(), "from": from }),
        }
        Act::Record {
            source: format!("{log}#{}", appended.record.seq),
            entry,
        }
    }

    /// Where the record comes from, for an act that carries one.
    pub fn source(&self) -> Option<&str> {
        match self {
            Act::Record { source, .. } => Some(source),
            _ => None,
        }
    }

    /// The audit record of this act on `done`.
    pub fn entry(&self, done: &Done) -> AuditEntry {
        let (kind, at, data) = match self {
            // A machine's record, as its log has it.
            Act::Record { entry, .. } => return entry.clone(),
            Act::Enqueue {
                origin,
                summary,
                at,
                ..
            } => (
                "review_enqueued",
                *at,
                serde_json::json!({"origin": origin, "title": summary.title,
                    "decision": summary.decision, "check": summary.check}),
            ),
            Act::Claim { by, at, until, .. } | Act::ClaimNext { by, at, until, .. } => (
                "review_claimed",
                *at,
                serde_json::json!({"by": by, "lease_until": until}),
            ),
            Act::Release { by, at, .. } => ("review_released", *at, serde_json::json!({"by": by})),
            Act::Settle {
                by, outcome, at, ..
            } => (
                "review_settled",
                *at,
                serde_json::json!({"by": by, "outcome": outcome}),
            ),
            Act::Unsettle { by, at, .. } => {
                ("review_unsettled", *at, serde_json::json!({"by": by}))
            }
            Act::Revise {
                by, comments, at, ..
            } => (
                "review_revised",
                *at,
                serde_json::json!({"by": by, "comments": comments}),
            ),
        };
        let mut data = data;
        data["review"] = serde_json::Value::String(done.id.clone());
        AuditEntry {
            kind: kind.into(),
            chain_id: done.chain_id.clone(),
            role: done.role.clone(),
            attempt: 0,
            at,
            data,
        }
    }

    /// A line for a person: what waits in the queue.
    pub fn describe(&self) -> String {
        match self {
            Act::Enqueue { id, .. } => format!("review {id} left in the inbox"),
            Act::Claim { id, .. } => format!("review {id} claimed"),
            Act::ClaimNext { .. } => "the next review claimed".into(),
            Act::Release { id, .. } => format!("review {id} let go"),
            Act::Settle { id, outcome, .. } => format!("review {id} settled: {outcome}"),
            Act::Unsettle { id, .. } => format!("review {id} taken back"),
            Act::Revise { id, .. } => format!("review {id} saved with its comments"),
            Act::Record { entry, .. } => format!("audit record {}", entry.kind),
        }
    }
}
