//! The inbox in the session store's SQLite file: one machine, several processes. Each claim and
//! settlement is one conditional UPDATE, which SQLite runs under its write lock: two processes
//! racing for a review cannot both win.

use super::{status, Filter, Origin, Row, State, Summary};
use crate::store::deferred::DeferredReview;
use crate::store::sessions::Store;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use std::path::Path;

pub struct SqliteInbox {
    // Behind a lock so one handle serves tasks on several threads; no call holds it across an
    // await (each is one statement).
    store: std::sync::Mutex<Store>,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn time(text: Option<String>) -> Option<DateTime<Utc>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc))
}

const COLUMNS: &str = "id, role_id, title, decision, check_summary, created_at, origin_who, \
                       origin_how, status, claimed_by, claimed_at, lease_until";

fn row(r: &rusqlite::Row, at: DateTime<Utc>) -> rusqlite::Result<Row> {
    let settled = r.get::<_, String>(8)? == "settled";
    let lease_until = time(r.get(11)?);
    Ok(Row {
        id: r.get(0)?,
        role: r.get(1)?,
        title: r.get(2)?,
        decision: r.get(3)?,
        check: r.get(4)?,
        created_at: time(r.get(5)?).unwrap_or_default(),
        origin: Origin {
            who: r.get(6)?,
            how: r.get(7)?,
        },
        status: status(settled, lease_until, at),
        claimed_by: r.get(9)?,
        claimed_at: time(r.get(10)?),
        lease_until,
    })
}

impl SqliteInbox {
    pub fn open(path: &Path) -> Result<SqliteInbox, String> {
        Ok(SqliteInbox {
            store: std::sync::Mutex::new(Store::open(path).map_err(|e| e.to_string())?),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Store> {
        // A panic elsewhere while it was held leaves the connection as SQLite left it: usable.
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn enqueue(
        &self,
        review: &DeferredReview,
        origin: &Origin,
        summary: &Summary,
        at: DateTime<Utc>,
    ) -> Result<String, String> {
        let json = serde_json::to_string(review).map_err(|e| e.to_string())?;
        self.conn()
            .conn
            .execute(
                "INSERT INTO pending_reviews (id, role_id, title, decision, check_summary, \
                 created_at, origin_who, origin_how, review, status) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending')",
                params![
                    review.id,
                    review.role_id,
                    summary.title,
                    summary.decision,
                    summary.check,
                    ts(at),
                    origin.who,
                    origin.how,
                    json
                ],
            )
            .map_err(|e| format!("cannot leave the review in the inbox: {e}"))?;
        Ok(review.id.clone())
    }

    pub(super) fn list(&self, filter: &Filter, at: DateTime<Utc>) -> Result<Vec<Row>, String> {
        let before = filter
            .older_than
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| ts(at - d));
        let store = self.conn();
        let mut stmt = store
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM pending_reviews \
                 WHERE (?1 OR status = 'pending') AND (?2 IS NULL OR role_id = ?2) \
                 AND (?3 IS NULL OR created_at < ?3) ORDER BY created_at, id LIMIT ?4"
            ))
            .map_err(|e| e.to_string())?;
        let limit = filter.limit.map_or(-1, |l| l as i64);
        let rows = stmt
            .query_map(params![filter.all, filter.role, before, limit], |r| {
                row(r, at)
            })
            .map_err(|e| e.to_string())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string());
        rows
    }

    pub(super) fn get(&self, prefix: &str) -> Result<Vec<(Row, String)>, String> {
        let store = self.conn();
        let mut stmt = store
            .conn
            .prepare_cached(&format!(
                // The whole id by its key; only a shorter one is looked for as a prefix.
                "SELECT {COLUMNS}, review FROM pending_reviews WHERE id = ?1 \
                 UNION ALL \
                 SELECT {COLUMNS}, review FROM pending_reviews \
                 WHERE NOT EXISTS (SELECT 1 FROM pending_reviews WHERE id = ?1) \
                 AND substr(id, 1, length(?1)) = ?1 LIMIT 2"
            ))
            .map_err(|e| e.to_string())?;
        let now = Utc::now();
        let rows = stmt
            .query_map(params![prefix], |r| Ok((row(r, now)?, r.get(12)?)))
            .map_err(|e| e.to_string())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string());
        rows
    }

    pub(super) fn claim(
        &self,
        id: &str,
        by: &str,
        token: &str,
        at: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, String> {
        self.conn()
            .conn
            .execute(
                "UPDATE pending_reviews SET claimed_by = ?2, claim_token = ?3, claimed_at = ?4, \
                 lease_until = ?5 WHERE id = ?1 AND status = 'pending' \
                 AND (claim_token IS NULL OR lease_until <= ?4 OR claimed_by = ?2)",
                params![id, by, token, ts(at), ts(until)],
            )
            .map(|n| n == 1)
            .map_err(|e| e.to_string())
    }

    pub(super) fn claim_next(
        &self,
        by: &str,
        role: Option<&str>,
        token: &str,
        at: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<String>, String> {
        // One statement: the choice and the claim happen under the same write lock.
        self.conn()
            .conn
            .query_row(
                "UPDATE pending_reviews SET claimed_by = ?1, claim_token = ?2, claimed_at = ?3, \
                 lease_until = ?4 WHERE id = (SELECT id FROM pending_reviews \
                   WHERE status = 'pending' AND (claim_token IS NULL OR lease_until <= ?3) \
                   AND (?5 IS NULL OR role_id = ?5) ORDER BY created_at, id LIMIT 1) \
                 RETURNING id",
                params![by, token, ts(at), ts(until), role],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| e.to_string())
    }

    pub(super) fn renew(
        &self,
        id: &str,
        token: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, String> {
        self.conn()
            .conn
            .execute(
                "UPDATE pending_reviews SET lease_until = ?3 \
                 WHERE id = ?1 AND claim_token = ?2 AND status = 'pending'",
                params![id, token, ts(until)],
            )
            .map(|n| n == 1)
            .map_err(|e| e.to_string())
    }

    pub(super) fn release(&self, id: &str, token: &str) -> Result<(), String> {
        self.conn()
            .conn
            .execute(
                "UPDATE pending_reviews SET claimed_by = NULL, claim_token = NULL, \
                 claimed_at = NULL, lease_until = NULL \
                 WHERE id = ?1 AND claim_token = ?2 AND status = 'pending'",
                params![id, token],
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    pub(super) fn settle(
        &self,
        id: &str,
        token: &str,
        outcome: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, String> {
        self.conn()
            .conn
            .execute(
                "UPDATE pending_reviews SET status = 'settled', outcome = ?3, \
                 settled_by = claimed_by, settled_at = ?4, lease_until = NULL \
                 WHERE id = ?1 AND claim_token = ?2 AND status = 'pending'",
                params![id, token, outcome, ts(at)],
            )
            .map(|n| n == 1)
            .map_err(|e| e.to_string())
    }

    pub(super) fn unsettle(
        &self,
        id: &str,
        token: &str,
        until: DateTime<Utc>,
    ) -> Result<(), String> {
        self.conn()
            .conn
            .execute(
                "UPDATE pending_reviews SET status = 'pending', outcome = NULL, settled_by = NULL, \
                 settled_at = NULL, lease_until = ?3 \
                 WHERE id = ?1 AND claim_token = ?2 AND status = 'settled'",
                params![id, token, ts(until)],
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    pub(super) fn state(&self, id: &str) -> Result<Option<State>, String> {
        self.conn()
            .conn
            .query_row(
                "SELECT status, settled_by, outcome, claimed_by, claimed_at, lease_until \
                 FROM pending_reviews WHERE id = ?1",
                params![id],
                |r| {
                    Ok(State {
                        settled: r.get::<_, String>(0)? == "settled",
                        settled_by: r.get(1)?,
                        outcome: r.get(2)?,
                        claimed_by: r.get(3)?,
                        claimed_at: time(r.get(4)?),
                        lease_until: time(r.get(5)?),
                    })
                },
            )
            .optional()
            .map_err(|e| e.to_string())
    }
}
