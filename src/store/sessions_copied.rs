//! The runs this machine copies into a team store: which have changed since they were last
//! copied, and each one's copy read whole in one snapshot. The session store stays the truth
//! and the queue at once: a copy interrupted goes on from where the store says it got to.

use super::{EventRow, RunDetail, Store, StoreError};
use chrono::Utc;
use rusqlite::{params, OptionalExtension};

/// How far a run has got, in numbers that only grow: whether it ended, its last piece, its last
/// review event, its last outcome. A later look at a run is never smaller in any of them, so a
/// copy can be told from an older one by comparing these in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub ended: bool,
    pub piece: i64,
    pub event: i64,
    pub outcome: i64,
}

/// A run as a team store is sent it: everything about it (the answer once it ended), and the
/// pieces and events it gained since the copy before.
#[derive(Debug, Clone)]
pub struct RunCopy {
    pub key: String,
    pub detail: RunDetail,
    pub pieces: Vec<(i64, String)>,
    pub events: Vec<(i64, EventRow)>,
    pub progress: Progress,
}

/// The newest run, event and outcome of the store.
const MARKS: &str =
    "coalesce((SELECT max(id) FROM runs), 0), coalesce((SELECT max(id) FROM events), 0),
    coalesce((SELECT max(id) FROM outcomes), 0)";

/// Where a pass began: the newest run, event and outcome it could see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marks {
    pub run: i64,
    pub event: i64,
    pub outcome: i64,
}

/// A run's progress: four columns read from its row in `runs`.
const PROGRESS: &str = "runs.status != 'running',
    coalesce((SELECT max(seq) FROM transcript t WHERE t.run_id = runs.id), -1),
    coalesce((SELECT max(id) FROM events e WHERE e.run_id = runs.id), 0),
    coalesce((SELECT max(o.id) FROM outcomes o WHERE o.chain_id = runs.chain_id
        AND o.attempt = runs.attempt AND o.response_sha256 = runs.response_sha256), 0)";

fn progress(r: &rusqlite::Row, from: usize) -> rusqlite::Result<Progress> {
    Ok(Progress {
        ended: r.get(from)?,
        piece: r.get(from + 1)?,
        event: r.get(from + 2)?,
        outcome: r.get(from + 3)?,
    })
}

impl Store {
    /// Begins copying this machine's runs into the team store `store`: runs started from now on
    /// are copied, those from before stay here. Said once; later calls keep the first time.
    pub fn join_team(&self, store: &str) -> Result<(), StoreError> {
        let sql = self.sql();
        self.conn
            .execute(
                &format!(
                    "INSERT INTO team_joined (store, at, run_mark, event_mark, outcome_mark)
                     SELECT ?1, ?2, {MARKS} ON CONFLICT DO NOTHING"
                ),
                params![store, super::ts(Utc::now())],
            )
            .map(|_| ())
            .map_err(sql)
    }

    /// The last run, event and outcome written so far: a pass's marks, read before it looks.
    pub fn marks(&self) -> Result<Marks, StoreError> {
        let sql = self.sql();
        self.conn
            .query_row(&format!("SELECT {MARKS}"), [], |r| {
                Ok(Marks {
                    run: r.get(0)?,
                    event: r.get(1)?,
                    outcome: r.get(2)?,
                })
            })
            .map_err(sql)
    }

    /// Notes that every run, event and outcome up to `marks` is in `store` (a pass sent all it
    /// found): the next passes look only after them.
    pub fn marks_copied(&self, store: &str, marks: Marks) -> Result<(), StoreError> {
        let sql = self.sql();
        self.conn
            .execute(
                "UPDATE team_joined SET run_mark = max(run_mark, ?2),
                    event_mark = max(event_mark, ?3), outcome_mark = max(outcome_mark, ?4)
                 WHERE store = ?1",
                params![store, marks.run, marks.event, marks.outcome],
            )
            .map(|_| ())
            .map_err(sql)
    }

    /// Up to `limit` runs to copy into `store`, oldest first: those it has not seen, and those
    /// that moved on since their last copy (none before [`Self::join_team`]). Only runs after
    /// the marks, with events or outcomes after them, or running when last copied are looked
    /// at: a long history costs a pass nothing.
    pub fn runs_to_copy(
        &self,
        store: &str,
        limit: usize,
    ) -> Result<Vec<(i64, Progress)>, StoreError> {
        let sql = self.sql();
        // The progress columns are compared in Rust: one query reads both sides.
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT runs.id, {PROGRESS}, coalesce(s.ended, 0), coalesce(s.piece, -1),
                        coalesce(s.event, 0), coalesce(s.outcome, 0), s.run_id IS NULL
                 FROM runs JOIN team_joined j ON j.store = ?1 AND runs.started_at >= j.at
                 LEFT JOIN team_sent s ON s.store = ?1 AND s.run_id = runs.id
                 WHERE runs.id IN (
                    SELECT id FROM runs WHERE id > j.run_mark
                    UNION SELECT run_id FROM team_sent WHERE store = ?1 AND ended = 0
                    UNION SELECT run_id FROM events WHERE id > j.event_mark
                    UNION SELECT r.id FROM outcomes o JOIN runs r ON r.chain_id = o.chain_id
                        WHERE o.id > j.outcome_mark)
                 ORDER BY runs.id"
            ))
            .map_err(&sql)?;
        let rows = stmt
            .query_map([store], |r| {
                let never: bool = r.get(9)?;
                Ok((r.get::<_, i64>(0)?, progress(r, 1)?, progress(r, 5)?, never))
            })
            .map_err(&sql)?;
        let mut changed = Vec::new();
        for row in rows {
            let (id, now, sent, never) = row.map_err(&sql)?;
            if never || now != sent {
                changed.push((id, sent));
                if changed.len() == limit {
                    break;
                }
            }
        }
        Ok(changed)
    }

    /// Run `id`'s copy, with what it gained after `since`, read in one snapshot (a writer
    /// between two reads cannot make the copy claim more than it holds).
    pub fn copy_of(&self, id: i64, since: Progress) -> Result<Option<RunCopy>, StoreError> {
        let sql = self.sql();
        self.conn.execute_batch("BEGIN").map_err(&sql)?;
        let copy = self.read_copy(id, since);
        let _ = self.conn.execute_batch("COMMIT");
        copy
    }

    fn read_copy(&self, id: i64, since: Progress) -> Result<Option<RunCopy>, StoreError> {
        let sql = self.sql();
        let found = self
            .conn
            .query_row(
                &format!("SELECT key, {PROGRESS} FROM runs WHERE id = ?1"),
                [id],
                |r| Ok((r.get::<_, String>(0)?, progress(r, 1)?)),
            )
            .optional()
            .map_err(&sql)?;
        let Some((key, progress)) = found else {
            return Ok(None);
        };
        let Some(mut detail) = self.get(id)? else {
            return Ok(None);
        };
        if detail.status == "running" {
            // The pieces carry a running answer; the whole is sent once it ended.
            detail.answer.clear();
        }
        let pieces = self.pieces_after(id, Some(since.piece))?;
        let events = self.events_after(id, since.event)?;
        detail.events.clear();
        Ok(Some(RunCopy {
            key,
            detail,
            pieces,
            events,
            progress,
        }))
    }

    /// Notes that `store` holds run `id` as far as `progress`.
    pub fn copied(&self, store: &str, id: i64, progress: Progress) -> Result<(), StoreError> {
        let sql = self.sql();
        self.conn
            .execute(
                "INSERT INTO team_sent (store, run_id, ended, piece, event, outcome)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (store, run_id) DO UPDATE SET ended = max(ended, excluded.ended),
                    piece = max(piece, excluded.piece), event = max(event, excluded.event),
                    outcome = max(outcome, excluded.outcome)",
                params![
                    store,
                    id,
                    progress.ended,
                    progress.piece,
                    progress.event,
                    progress.outcome
                ],
            )
            .map(|_| ())
            .map_err(sql)
    }
}
