//! The team's history in its PostgreSQL: each machine's runs as it copies them, read by
//! `archbench sessions` and followed by `archbench watch` from any machine. A copy is taken in
//! one transaction, under a lock on its run, and announced on [`SESSIONS`]; pieces and events
//! are keyed by their number on the machine that made them, so a copy sent twice is taken once.

use super::acts::Failed;
use super::{dropped, open, sql_error, PgInbox, COMMENTS, SESSIONS};
use crate::store::outcomes::Outcome;
use crate::store::sessions::{EventRow, RunCopy, RunDetail, RunSummary, Watched};
use serde::Serialize;
use tokio_postgres::Client;

/// A run of the team's history: the machine it ran on, and its listing's line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamRun {
    pub machine: String,
    #[serde(flatten)]
    pub run: RunSummary,
}

/// The answer's length: whole once the run ended, else the pieces taken so far.
const BYTES: &str = "coalesce(octet_length(r.answer),
    (SELECT sum(octet_length(t.text)) FROM archbench_transcript t WHERE t.run = r.id), 0)::bigint";

fn detail_of(id: i64, text: &str) -> Result<RunDetail, String> {
    let mut detail: RunDetail = serde_json::from_str(text)
        .map_err(|e| format!("the team store holds a run that does not read: {e}"))?;
    detail.id = id;
    Ok(detail)
}

fn team_runs(rows: &[tokio_postgres::Row]) -> Result<Vec<TeamRun>, String> {
    rows.iter()
        .map(|r| {
            let detail = detail_of(r.get(0), r.get(2))?;
            Ok(TeamRun {
                machine: r.get(1),
                run: RunSummary::of(&detail, r.get(3)),
            })
        })
        .collect()
}

/// `text` as a LIKE pattern matching it anywhere.
fn anywhere(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

async fn put_once(client: &mut Client, copy: &RunCopy, machine: &str) -> Result<(), Failed> {
    let tx = client.transaction().await?;
    // One copy of a run at a time: two processes of its machine may send it together.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('archbench_runs'), hashtext($1))",
        &[&copy.key],
    )
    .await?;
    let detail = serde_json::to_string(&copy.detail).map_err(|e| Failed::Chain(e.to_string()))?;
    let answer = (copy.detail.status != "running").then_some(copy.detail.answer.as_str());
    let p = copy.progress;
    tx.execute(
        "INSERT INTO archbench_runs (key, machine, session_id, started_at, detail, answer, ended, piece, event, outcome)
         VALUES ($1, $2, $3, $4, $5::text::jsonb, $6, $7, $8, $9, $10)
         ON CONFLICT (key) DO UPDATE SET detail = excluded.detail, answer = excluded.answer,
            ended = excluded.ended, piece = excluded.piece, event = excluded.event, outcome = excluded.outcome
         WHERE (excluded.ended, excluded.piece, excluded.event, excluded.outcome)
            >= (archbench_runs.ended, archbench_runs.piece, archbench_runs.event, archbench_runs.outcome)",
        &[
            &copy.key,
            &machine,
            &copy.detail.session_id,
            &copy.detail.started_at,
            &detail,
            &answer,
            &p.ended,
            &p.piece,
            &p.event,
            &p.outcome,
        ],
    )
    .await?;
    let run: i64 = tx
        .query_one("SELECT id FROM archbench_runs WHERE key = $1", &[&copy.key])
        .await?
        .get(0);
    if !copy.pieces.is_empty() {
        let (seqs, texts): (Vec<i64>, Vec<&str>) =
            copy.pieces.iter().map(|(s, t)| (*s, t.as_str())).unzip();
        tx.execute(
            "INSERT INTO archbench_transcript (run, seq, text)
             SELECT $1, s, t FROM unnest($2::bigint[], $3::text[]) AS u(s, t)
             ON CONFLICT DO NOTHING",
            &[&run, &seqs, &texts],
        )
        .await?;
    }
    if !copy.events.is_empty() {
        let seqs: Vec<i64> = copy.events.iter().map(|(s, _)| *s).collect();
        let ats: Vec<&str> = copy.events.iter().map(|(_, e)| e.at.as_str()).collect();
        let kinds: Vec<&str> = copy.events.iter().map(|(_, e)| e.kind.as_str()).collect();
        let data: Vec<String> = copy
            .events
            .iter()
            .map(|(_, e)| e.data.to_string())
            .collect();
        tx.execute(
            "INSERT INTO archbench_run_events (run, seq, at, kind, data)
             SELECT $1, s, a, k, d::jsonb FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) AS u(s, a, k, d)
             ON CONFLICT DO NOTHING",
            &[&run, &seqs, &ats, &kinds, &data],
        )
        .await?;
    }
    tx.execute(
        "SELECT pg_notify($1, $2)",
        &[&SESSIONS, &copy.detail.session_id],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

impl PgInbox {
    /// Takes `copy` of a run made on `machine` (`ada@build-7`) into the team's history.
    pub async fn put_run(&self, copy: &RunCopy, machine: &str) -> Result<(), String> {
        on_writer!(self, |client| put_once(client, copy, machine).await)
    }

    /// The team's latest runs, newest first.
    pub async fn runs(&self, limit: usize) -> Result<Vec<TeamRun>, String> {
        let limit = limit as i64;
        let rows = retried!(self, |c| c
            .query(
                &format!(
                    "SELECT r.id, r.machine, r.detail::text, {BYTES} FROM archbench_runs r
                     ORDER BY r.started_at DESC, r.id DESC LIMIT $1"
                ),
                &[&limit],
            )
            .await)
        .map_err(sql_error)?;
        team_runs(&rows)
    }

    /// The team's runs whose brief or answer hold every word of `words`, newest first.
    pub async fn search_runs(&self, words: &str, limit: usize) -> Result<Vec<TeamRun>, String> {
        let patterns: Vec<String> = words.split_whitespace().map(anywhere).collect();
        let limit = limit as i64;
        let rows = retried!(self, |c| c
            .query(
                &format!(
                    "SELECT r.id, r.machine, r.detail::text, {BYTES} FROM archbench_runs r
                     WHERE (r.detail->>'brief') || ' ' || coalesce(r.answer, '') ILIKE ALL ($1::text[])
                     ORDER BY r.started_at DESC, r.id DESC LIMIT $2"
                ),
                &[&patterns, &limit],
            )
            .await)
        .map_err(sql_error)?;
        team_runs(&rows)
    }

    /// Everything the team store holds about run `id`, and the machine it ran on.
    pub async fn run(&self, id: i64) -> Result<Option<(String, RunDetail)>, String> {
        let row = retried!(self, |c| c
            .query_opt(
                "SELECT r.machine, r.detail::text, coalesce(r.answer,
                    (SELECT string_agg(t.text, '' ORDER BY t.seq) FROM archbench_transcript t WHERE t.run = r.id), '')
                 FROM archbench_runs r WHERE r.id = $1",
                &[&id],
            )
            .await)
        .map_err(sql_error)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut detail = detail_of(id, row.get(1))?;
        detail.answer = row.get(2);
        detail.events = self
            .events_after(id, 0)
            .await?
            .into_iter()
            .map(|(_, e)| e)
            .collect();
        Ok(Some((row.get(0), detail)))
    }

    /// The conversation that run `id` ends, as [`crate::store::sessions::Store::conversation`]
    /// reads it on one machine: its step's earlier attempts, oldest first, then the run.
    pub async fn conversation(&self, id: i64) -> Result<Vec<RunDetail>, String> {
        let Some((_, last)) = self.run(id).await? else {
            return Ok(Vec::new());
        };
        let rows = retried!(self, |c| c
            .query(
                "SELECT id, (detail->>'attempt')::bigint FROM archbench_runs
                 WHERE session_id = $1 AND detail->>'chain_id' = $2 AND detail->>'role_id' = $3
                   AND id < $4 ORDER BY id DESC",
                &[&last.session_id, &last.chain_id, &last.role_id, &id],
            )
            .await)
        .map_err(sql_error)?;
        let earlier = rows.iter().map(|r| (r.get(0), r.get::<_, i64>(1) as u32));
        let mut runs = Vec::new();
        for row in crate::store::sessions::earlier_attempts(last.attempt, earlier) {
            if let Some((_, run)) = self.run(row).await? {
                runs.push(run);
            }
        }
        runs.push(last);
        Ok(runs)
    }

    /// The latest run of the session whose id starts with `session` (of any, without it).
    pub async fn latest_of_session(
        &self,
        session: Option<&str>,
    ) -> Result<Option<Watched>, String> {
        let pattern = format!("{}%", anywhere(session.unwrap_or("")).trim_matches('%'));
        let row = retried!(self, |c| c
            .query_opt(
                "SELECT id, key, detail::text FROM archbench_runs WHERE session_id LIKE $1
                 ORDER BY started_at DESC, id DESC LIMIT 1",
                &[&pattern],
            )
            .await)
        .map_err(sql_error)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let d = detail_of(row.get(0), row.get(2))?;
        Ok(Some(Watched {
            id: d.id,
            key: row.get(1),
            session_id: d.session_id,
            role_id: d.role_id,
            brief: d.brief,
            attempt: d.attempt,
            model: d.model,
            status: d.status,
            finish_reason: d.finish_reason,
            reviewer: d.reviewer,
            feedback: d.feedback,
        }))
    }

    /// The pieces of run `id`'s answer after piece `after` (all with `None`), in order.
    pub async fn pieces_after(
        &self,
        id: i64,
        after: Option<i64>,
    ) -> Result<Vec<(i64, String)>, String> {
        let after = after.unwrap_or(-1);
        let rows = retried!(self, |c| c
            .query(
                "SELECT seq, text FROM archbench_transcript WHERE run = $1 AND seq > $2 ORDER BY seq",
                &[&id, &after],
            )
            .await)
        .map_err(sql_error)?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// The review's events of run `id` after event `after`, in order.
    pub async fn events_after(&self, id: i64, after: i64) -> Result<Vec<(i64, EventRow)>, String> {
        let rows = retried!(self, |c| c
            .query(
                "SELECT seq, at, kind, data::text FROM archbench_run_events
                 WHERE run = $1 AND seq > $2 ORDER BY seq",
                &[&id, &after],
            )
            .await)
        .map_err(sql_error)?;
        Ok(rows
            .iter()
            .map(|r| {
                let data: String = r.get(3);
                (
                    r.get(0),
                    EventRow {
                        at: r.get(1),
                        kind: r.get(2),
                        data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
                    },
                )
            })
            .collect())
    }

    /// A comment someone watching the run `key` wrote, from any machine: the workbench driving
    /// that run picks it up (announced on [`COMMENTS`]). A run the team's history does not hold
    /// is said, not lost quietly.
    pub async fn share_comment(
        &self,
        key: &str,
        at: &str,
        comment: &serde_json::Value,
    ) -> Result<(), String> {
        let comment = comment.to_string();
        let written = retried!(self, |c| c
            .execute(
                "WITH shared AS (
                    INSERT INTO archbench_shared_comments (run_key, at, data)
                    SELECT $1, $2, $3::text::jsonb WHERE EXISTS (SELECT 1 FROM archbench_runs WHERE key = $1)
                    RETURNING run_key)
                 SELECT pg_notify($4, run_key) FROM shared",
                &[&key, &at, &comment, &COMMENTS],
            )
            .await)
        .map_err(sql_error)?;
        match written {
            0 => Err(format!("the team's history holds no run {key}")),
            _ => Ok(()),
        }
    }

    /// Comments shared on the runs of workbench `instance` after comment `after`, in order: the
    /// comment's number, the run's key, the comment.
    pub async fn shared_comments(
        &self,
        instance: &str,
        after: i64,
    ) -> Result<Vec<(i64, String, serde_json::Value)>, String> {
        let prefix = format!("{instance}:");
        let rows = retried!(self, |c| c
            .query(
                "SELECT id, run_key, data::text FROM archbench_shared_comments
                 WHERE left(run_key, length($1)) = $1 AND id > $2 ORDER BY id",
                &[&prefix, &after],
            )
            .await)
        .map_err(sql_error)?;
        Ok(rows
            .iter()
            .map(|r| {
                let data: String = r.get(2);
                (
                    r.get(0),
                    r.get(1),
                    serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
                )
            })
            .collect())
    }

    /// What became of run `id`'s answer, as its machine last sent it.
    pub async fn outcome_of_run(&self, id: i64) -> Result<Option<Outcome>, String> {
        let row = retried!(self, |c| c
            .query_opt(
                "SELECT (detail->'outcome')::text FROM archbench_runs WHERE id = $1",
                &[&id],
            )
            .await)
        .map_err(sql_error)?;
        Ok(row
            .and_then(|r| r.get::<_, Option<String>>(0))
            .and_then(|t| serde_json::from_str(&t).ok()))
    }
}
