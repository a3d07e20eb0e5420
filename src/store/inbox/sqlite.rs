//! The inbox in the session store's SQLite file: one machine, several processes. Each claim and
//! settlement is one conditional UPDATE, which SQLite runs under its write lock: two processes
//! racing for a review cannot both win. Each act and its audit record are one transaction.

use super::{status, Act, Done, Filter, Origin, Row, State};
use crate::store::sessions::Store;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
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

    /// Runs `act` and, when it took effect, appends its record to the chain: one transaction,
    /// taken with SQLite's write lock, so records follow one another as the acts did.
    pub(super) fn write(&self, act: &Act) -> Result<Option<Done>, String> {
        let mut store = self.conn();
        let tx = store
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| e.to_string())?;
        let done = run(&tx, act).map_err(|e| e.to_string())?;
        if let Some(done) = done.as_ref().filter(|d| d.fresh) {
            append(&tx, &act.entry(done), act.source())?;
        }
        tx.commit().map_err(|e| e.to_string())?;
        Ok(done)
    }

    /// The chain's lines in order, and its head (the number and hash of the record written
    /// last).
    pub(super) fn audit_lines(&self) -> Result<(Vec<String>, (u64, String)), String> {
        let store = self.conn();
        let mut stmt = store
            .conn
            .prepare("SELECT line FROM inbox_audit ORDER BY seq")
            .map_err(|e| e.to_string())?;
        let lines = stmt
            .query_map([], |r| r.get(0))
            .map_err(|e| e.to_string())?
            .collect::<Result<Vec<String>, _>>()
            .map_err(|e| e.to_string())?;
        let head = store
            .conn
            .query_row("SELECT seq, sha256 FROM inbox_audit_head", [], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
            })
            .map_err(|e| e.to_string())?;
        Ok((lines, head))
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

/// What the changed row returns: enough to name the review in the audit record.
const CHANGED: &str = "RETURNING id, role_id, json_extract(review, '$.chain_id')";

fn changed(r: &rusqlite::Row) -> rusqlite::Result<Done> {
    Ok(Done {
        id: r.get(0)?,
        role: r.get(1)?,
        chain_id: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
        fresh: true,
    })
}

/// `done`, else the review `id` (?1) as claim ?2 left it, when it also meets `condition`: an
/// act that had taken effect already, done without a new record.
fn or_already(
    tx: &Transaction,
    done: Option<Done>,
    condition: &str,
    params: &[&dyn rusqlite::ToSql],
) -> rusqlite::Result<Option<Done>> {
    if done.is_some() {
        return Ok(done);
    }
    let again = tx
        .query_row(
            &format!(
                "SELECT id, role_id, json_extract(review, '$.chain_id') FROM pending_reviews \
                 WHERE id = ?1 AND claim_token = ?2 AND {condition}"
            ),
            params,
            changed,
        )
        .optional()?;
    Ok(again.map(|d| Done { fresh: false, ..d }))
}

/// Runs `act` in `tx`: the review it changed, or none when it was refused.
fn run(tx: &Transaction, act: &Act) -> rusqlite::Result<Option<Done>> {
    let one = |sql: &str, params: &[&dyn rusqlite::ToSql]| {
        tx.query_row(&format!("{sql} {CHANGED}"), params, changed)
            .optional()
    };
    match act {
        Act::Enqueue {
            id,
            role,
            chain_id,
            review,
            origin,
            summary,
            at,
        } => {
            let added = one(
                "INSERT INTO pending_reviews (id, role_id, title, decision, check_summary, \
                 created_at, origin_who, origin_how, review, status) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending') ON CONFLICT (id) DO NOTHING",
                params![
                    id,
                    role,
                    summary.title,
                    summary.decision,
                    summary.check,
                    ts(*at),
                    origin.who,
                    origin.how,
                    review
                ],
            )?;
            if added.is_some() {
                return Ok(added);
            }
            // This very review left already (a replay): done, nothing new to record. Another
            // under its id is refused.
            let same = tx
                .query_row(
                    "SELECT 1 FROM pending_reviews WHERE id = ?1 AND review = ?2",
                    params![id, review],
                    |_| Ok(()),
                )
                .optional()?;
            Ok(same.map(|()| Done {
                id: id.clone(),
                role: role.clone(),
                chain_id: chain_id.clone(),
                fresh: false,
            }))
        }
        Act::Claim {
            id,
            by,
            token,
            at,
            until,
        } => one(
            "UPDATE pending_reviews SET claimed_by = ?2, claim_token = ?3, claimed_at = ?4, \
             lease_until = ?5 WHERE id = ?1 AND status = 'pending' \
             AND (claim_token IS NULL OR lease_until <= ?4 OR claimed_by = ?2)",
            params![id, by, token, ts(*at), ts(*until)],
        ),
        // One statement: the choice and the claim happen under the same write lock.
        Act::ClaimNext {
            by,
            role,
            token,
            at,
            until,
        } => one(
            "UPDATE pending_reviews SET claimed_by = ?1, claim_token = ?2, claimed_at = ?3, \
             lease_until = ?4 WHERE id = (SELECT id FROM pending_reviews \
               WHERE status = 'pending' AND (claim_token IS NULL OR lease_until <= ?3) \
               AND (?5 IS NULL OR role_id = ?5) ORDER BY created_at, id LIMIT 1)",
            params![by, token, ts(*at), ts(*until), role],
        ),
        Act::Release { id, token, .. } => one(
            "UPDATE pending_reviews SET claimed_by = NULL, claim_token = NULL, \
             claimed_at = NULL, lease_until = NULL \
             WHERE id = ?1 AND claim_token = ?2 AND status = 'pending'",
            params![id, token],
        ),
        Act::Settle {
            id,
            token,
            outcome,
            at,
            ..
        } => {
            let settled = one(
                "UPDATE pending_reviews SET status = 'settled', outcome = ?3, \
                 settled_by = claimed_by, settled_at = ?4, lease_until = NULL \
                 WHERE id = ?1 AND claim_token = ?2 AND status = 'pending'",
                params![id, token, outcome, ts(*at)],
            )?;
            // Settled already under this very claim, as asked: a replay.
            or_already(
                tx,
                settled,
                "status = 'settled' AND outcome = ?3",
                params![id, token, outcome],
            )
        }
        Act::Revise {
            id, token, review, ..
        } => {
            let revised = one(
                "UPDATE pending_reviews SET review = ?3 \
                 WHERE id = ?1 AND claim_token = ?2 AND status = 'pending' AND review IS NOT ?3",
                params![id, token, review],
            )?;
            // Saved so already under this claim: a replay.
            or_already(
                tx,
                revised,
                "status = 'pending' AND review = ?3",
                params![id, token, review],
            )
        }
        Act::Record { source, entry } => {
            let known = tx
                .query_row(
                    "SELECT 1 FROM inbox_audit WHERE source = ?1",
                    params![source],
                    |_| Ok(()),
                )
                .optional()?;
            Ok(Some(Done {
                id: String::new(),
                role: entry.role.clone(),
                chain_id: entry.chain_id.clone(),
                fresh: known.is_none(),
            }))
        }
        Act::Unsettle {
            id, token, until, ..
        } => one(
            "UPDATE pending_reviews SET status = 'pending', outcome = NULL, settled_by = NULL, \
             settled_at = NULL, lease_until = ?3 \
             WHERE id = ?1 AND claim_token = ?2 AND status = 'settled'",
            params![id, token, ts(*until)],
        ),
    }
}

/// Appends the record of `entry` to the chain, after its head.
fn append(
    tx: &Transaction,
    entry: &crate::store::audit::AuditEntry,
    source: Option<&str>,
) -> Result<(), String> {
    let (seq, prev): (i64, String) = tx
        .query_row("SELECT seq, sha256 FROM inbox_audit_head", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .map_err(|e| e.to_string())?;
    let (line, appended) =
        crate::store::audit::line_of(entry, seq as u64 + 1, &prev).map_err(|e| e.to_string())?;
    tx.execute(
        "INSERT INTO inbox_audit (seq, line, sha256, source) VALUES (?1, ?2, ?3, ?4)",
        params![seq + 1, line, appended.sha256, source],
    )
    .and_then(|_| {
        tx.execute(
            "UPDATE inbox_audit_head SET seq = ?1, sha256 = ?2",
            params![seq + 1, appended.sha256],
        )
    })
    .map(|_| ())
    .map_err(|e| format!("the inbox's audit chain cannot be written: {e}"))
}
