//! Reading the session store: the latest runs, full-text search, one run whole, the
//! conversation a run ends, and what `archbench watch` follows.

use super::{EventRow, RunDetail, RunSummary, Store, StoreError, Watched};
use crate::store::outcomes;
use rusqlite::{params, OptionalExtension};

impl Store {
    /// The latest runs, newest first.
    pub fn list(&self, limit: usize) -> Result<Vec<RunSummary>, StoreError> {
        let sql = self.sql();
        let mut stmt = self
            .conn
            .prepare(&format!(
                "{} ORDER BY runs.started_at DESC, runs.id DESC LIMIT ?1",
                summary_sql()
            ))
            .map_err(&sql)?;
        let rows = stmt
            .query_map([limit as i64], summary_row)
            .map_err(&sql)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&sql);
        rows
    }

    /// Runs whose brief or answer match `query` (FTS5 syntax; plain words are ANDed), best first.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<RunSummary>, StoreError> {
        let sql = self.sql();
        let mut stmt = self
            .conn
            .prepare(&format!(
                "{} JOIN runs_fts ON runs_fts.rowid = runs.id WHERE runs_fts MATCH ?1 ORDER BY rank LIMIT ?2",
                summary_sql()
            ))
            .map_err(&sql)?;
        let rows = stmt
            .query_map(params![fts_query(query), limit as i64], summary_row)
            .map_err(&sql)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&sql);
        rows
    }

    /// The conversation that run `id` ends: its earlier attempts of the same step (each asked for
    /// by the feedback on the one before), oldest first, then the run itself.
    pub fn conversation(&self, id: i64) -> Result<Vec<RunDetail>, StoreError> {
        let Some(last) = self.get(id)? else {
            return Ok(Vec::new());
        };
        let sql = self.sql();
        let earlier: Vec<(i64, u32)> = {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT id, attempt FROM runs WHERE session_id = ?1 AND chain_id = ?2 AND role_id = ?3
                     AND id < ?4 ORDER BY id DESC",
                )
                .map_err(&sql)?;
            let rows = stmt
                .query_map(
                    params![last.session_id, last.chain_id, last.role_id, id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(&sql)?
                .collect::<Result<_, _>>()
                .map_err(&sql)?;
            rows
        };
        let mut runs = Vec::new();
        for row in super::earlier_attempts(last.attempt, earlier) {
            if let Some(run) = self.get(row)? {
                runs.push(run);
            }
        }
        runs.push(last);
        Ok(runs)
    }

    /// The latest run of the session whose id starts with `session` (or of any session), for
    /// `archbench watch`.
    pub fn latest_of_session(&self, session: Option<&str>) -> Result<Option<Watched>, StoreError> {
        let sql = self.sql();
        let pattern = format!("{}%", session.unwrap_or("").replace(['%', '_'], ""));
        self.conn
            .query_row(
                "SELECT id, key, session_id, role_id, brief, attempt, model, status, finish_reason, reviewer, feedback
                 FROM runs WHERE session_id LIKE ?1 ORDER BY id DESC LIMIT 1",
                [pattern],
                |r| {
                    Ok(Watched {
                        id: r.get(0)?,
                        key: r.get(1)?,
                        session_id: r.get(2)?,
                        role_id: r.get(3)?,
                        brief: r.get(4)?,
                        attempt: r.get(5)?,
                        model: r.get(6)?,
                        status: r.get(7)?,
                        finish_reason: r.get(8)?,
                        reviewer: r.get(9)?,
                        feedback: r.get(10)?,
                    })
                },
            )
            .optional()
            .map_err(sql)
    }

    /// The pieces of run `id`'s answer after piece `after` (all with `None`), in order.
    pub fn pieces_after(
        &self,
        id: i64,
        after: Option<i64>,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let sql = self.sql();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, text FROM transcript WHERE run_id = ?1 AND seq > ?2 ORDER BY seq",
            )
            .map_err(&sql)?;
        let rows = stmt
            .query_map(params![id, after.unwrap_or(-1)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(&sql)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&sql);
        rows
    }

    /// A comment someone following the run `key` wrote (`archbench watch`); the workbench driving
    /// that run picks it up from here.
    pub fn share_comment(
        &self,
        key: &str,
        at: &str,
        comment: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let sql = self.sql();
        let written = self
            .conn
            .execute(
                "INSERT INTO events (run_id, at, kind, data) \
                 SELECT id, ?2, 'shared_comment', ?3 FROM runs WHERE key = ?1",
                params![key, at, comment.to_string()],
            )
            .map_err(&sql)?;
        if written == 0 {
            // The run is gone (a store cleared meanwhile): say so rather than lose it quietly.
            return Err(sql(rusqlite::Error::QueryReturnedNoRows));
        }
        Ok(())
    }

    /// Comments shared on the runs of workbench `instance` after event `after`, in order: the
    /// event's id, the run's key, the comment.
    pub fn shared_comments(
        &self,
        instance: &str,
        after: i64,
    ) -> Result<Vec<(i64, String, serde_json::Value)>, StoreError> {
        let sql = self.sql();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT e.id, r.key, e.data FROM events e JOIN runs r ON r.id = e.run_id \
                 WHERE e.kind = 'shared_comment' AND e.id > ?2 \
                 AND substr(r.key, 1, length(?1) + 1) = ?1 || ':' ORDER BY e.id",
            )
            .map_err(&sql)?;
        let rows = stmt
            .query_map(params![instance, after], |r| {
                let data: String = r.get(2)?;
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
                ))
            })
            .map_err(&sql)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&sql);
        rows
    }

    /// The review's events of run `id` after event `after`, in order.
    pub fn events_after(&self, id: i64, after: i64) -> Result<Vec<(i64, EventRow)>, StoreError> {
        let sql = self.sql();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, at, kind, data FROM events WHERE run_id = ?1 AND id > ?2 ORDER BY id",
            )
            .map_err(&sql)?;
        let rows = stmt
            .query_map(params![id, after], |r| {
                let data: String = r.get(3)?;
                Ok((
                    r.get(0)?,
                    EventRow {
                        at: r.get(1)?,
                        kind: r.get(2)?,
                        data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
                    },
                ))
            })
            .map_err(&sql)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&sql);
        rows
    }

    /// What became of run `id`'s answer, if anything yet.
    pub fn outcome_of_run(&self, id: i64) -> Result<Option<outcomes::Outcome>, StoreError> {
        let sql = self.sql();
        self.conn
            .query_row(
                &format!(
                    "SELECT {} FROM runs {} WHERE runs.id = ?1",
                    outcomes::COLUMNS,
                    outcomes::JOIN
                ),
                [id],
                |r| outcomes::outcome_from(r, 0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(sql)
    }

    /// Everything about run `id`.
    pub fn get(&self, id: i64) -> Result<Option<RunDetail>, StoreError> {
        let sql = self.sql();
        let detail = self
            .conn
            .query_row(
                &format!(
                    "SELECT runs.id, session_id, runs.chain_id, parent_id, role_id, prompt_sha256, provider, model, parameters,
                        brief, runs.attempt, feedback, runs.reviewer, status, started_at, first_token_at, completed_at,
                        finish_reason, prompt_tokens, completion_tokens, decision, runs.envelope_id, answer,
                        runs.response_sha256, {}
                     FROM runs {} WHERE runs.id = ?1",
                    outcomes::COLUMNS,
                    outcomes::JOIN
                ),
                [id],
                |r| {
                    let json = |i: usize| -> rusqlite::Result<serde_json::Value> {
                        let text: Option<String> = r.get(i)?;
                        Ok(text
                            .and_then(|t| serde_json::from_str(&t).ok())
                            .unwrap_or(serde_json::Value::Null))
                    };
                    Ok(RunDetail {
                        id: r.get(0)?,
                        session_id: r.get(1)?,
                        chain_id: r.get(2)?,
                        parent_id: r.get(3)?,
                        role_id: r.get(4)?,
                        prompt_sha256: r.get(5)?,
                        provider: json(6)?,
                        model: r.get(7)?,
                        parameters: json(8)?,
                        brief: r.get(9)?,
                        attempt: r.get(10)?,
                        feedback: r.get(11)?,
                        reviewer: r.get(12)?,
                        status: r.get(13)?,
                        started_at: r.get(14)?,
                        first_token_at: r.get(15)?,
                        completed_at: r.get(16)?,
                        finish_reason: r.get(17)?,
                        prompt_tokens: r.get(18)?,
                        completion_tokens: r.get(19)?,
                        decision: match json(20)? {
                            serde_json::Value::Null => None,
                            v => Some(v),
                        },
                        envelope_id: r.get(21)?,
                        answer: r.get::<_, Option<String>>(22)?.unwrap_or_default(),
                        response_sha256: r.get(23)?,
                        outcome: outcomes::outcome_from(r, 24)?,
                        events: Vec::new(),
                    })
                },
            )
            .optional()
            .map_err(&sql)?;
        let Some(mut detail) = detail else {
            return Ok(None);
        };
        if let Some(envelope) = detail.outcome.as_ref().and_then(|o| o.envelope_id.clone()) {
            detail.envelope_id = Some(envelope);
        }
        if detail.status == "running" || detail.answer.is_empty() {
            detail.answer = self.transcript(id)?;
        }
        let mut stmt = self
            .conn
            .prepare("SELECT at, kind, data FROM events WHERE run_id = ?1 ORDER BY id")
            .map_err(&sql)?;
        detail.events = stmt
            .query_map([id], |r| {
                let data: String = r.get(2)?;
                Ok(EventRow {
                    at: r.get(0)?,
                    kind: r.get(1)?,
                    data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
                })
            })
            .map_err(&sql)?
            .collect::<Result<_, _>>()
            .map_err(&sql)?;
        Ok(Some(detail))
    }
}

/// A run's summary with the outcome that speaks for it (its columns from column 9).
pub(super) fn summary_sql() -> String {
    format!(
        "SELECT runs.id, runs.started_at, runs.role_id, runs.model, runs.attempt, runs.status, runs.brief,
            coalesce(length(CAST(runs.answer AS BLOB)),
                (SELECT sum(length(CAST(text AS BLOB))) FROM transcript WHERE run_id = runs.id), 0),
            runs.envelope_id, {} FROM runs {}",
        outcomes::COLUMNS,
        outcomes::JOIN
    )
}

pub(super) fn summary_row(r: &rusqlite::Row) -> rusqlite::Result<RunSummary> {
    let brief: String = r.get(6)?;
    let outcome = outcomes::outcome_from(r, 9)?;
    // Runs handed off before outcomes were kept name their envelope on the run.
    let envelope_id = match outcome.as_ref().and_then(|o| o.envelope_id.clone()) {
        Some(id) => Some(id),
        None => r.get(8)?,
    };
    Ok(RunSummary {
        id: r.get(0)?,
        started_at: r.get(1)?,
        role_id: r.get(2)?,
        model: r.get(3)?,
        attempt: r.get(4)?,
        status: r.get(5)?,
        brief_first_line: super::first_line(&brief),
        bytes: r.get(7)?,
        envelope_id,
        outcome,
    })
}

/// A person's search words as an FTS5 query: each word quoted (so `-`, `:` and the like are just
/// text), all of them required.
fn fts_query(query: &str) -> String {
    query
        .split_whitespace()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}
