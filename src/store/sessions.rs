//! The session store: every run kept in SQLite in the user's data folder — role, prompt hash,
//! provider, model, parameters, brief, the transcript as it streamed (in small batches, so a crash
//! keeps the partial answer), usage, timings, decision, review actions and envelope ids.
//!
//! WAL mode and a busy timeout let two archbench processes (two reviewers on one machine) write at
//! once; every write is one short `BEGIN IMMEDIATE` transaction. The schema is versioned with
//! `PRAGMA user_version` and migrated forward on open.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use std::path::Path;
use std::time::Duration;

pub use super::schema::SCHEMA_VERSION;
use super::schema::{MIGRATIONS, OUTCOMES_VERSION};

/// How long a writer waits for the other process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the session store {path}: {source}")]
    Sql {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the session store {path} has schema version {found}, newer than this archbench knows ({SCHEMA_VERSION}); update archbench")]
    TooNew { path: String, found: usize },
    #[error("cannot create {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// A run as it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRun {
    /// Unique across processes: the workbench session's id and the run's number in it.
    pub key: String,
    pub session_id: String,
    pub chain_id: String,
    pub parent_id: Option<String>,
    pub role_id: String,
    pub prompt_sha256: String,
    pub provider: crate::provider::ProviderInfo,
    pub parameters: crate::provider::Params,
    pub brief: String,
    pub attempt: u32,
    pub feedback: Option<String>,
    pub reviewer: String,
    pub started_at: DateTime<Utc>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEnd {
    /// `complete`, `cancelled`, `failed`.
    pub status: String,
    pub finish_reason: Option<String>,
    pub usage: Option<crate::provider::Usage>,
    pub decision: Option<serde_json::Value>,
    pub first_token_at: Option<DateTime<Utc>>,
    pub completed_at: DateTime<Utc>,
}

/// One row of a listing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    pub id: i64,
    pub started_at: String,
    pub role_id: String,
    pub model: String,
    pub attempt: u32,
    pub status: String,
    pub brief_first_line: String,
    pub bytes: i64,
    pub envelope_id: Option<String>,
    /// What the review made of the answer, if anything yet.
    pub outcome: Option<super::outcomes::Outcome>,
}

/// A brief's first line that says something, as a listing shows it.
pub fn first_line(brief: &str) -> String {
    brief
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .chars()
        .take(80)
        .collect()
}

/// The runs of the attempts before attempt `last` of a step, oldest first, from the step's
/// earlier runs `earlier` (row, attempt), newest first: each attempt asked for by the feedback on
/// the one before, a conversation.
pub fn earlier_attempts(last: u32, earlier: impl IntoIterator<Item = (i64, u32)>) -> Vec<i64> {
    let mut wanted = last;
    let mut ids = Vec::new();
    for (row, attempt) in earlier {
        if wanted <= 1 {
            break;
        }
        if attempt == wanted - 1 {
            ids.push(row);
            wanted -= 1;
        }
    }
    ids.reverse();
    ids
}

impl RunSummary {
    /// The listing's line of `run`, whose answer is `bytes` long.
    pub fn of(run: &RunDetail, bytes: i64) -> RunSummary {
        RunSummary {
            id: run.id,
            started_at: run.started_at.clone(),
            role_id: run.role_id.clone(),
            model: run.model.clone(),
            attempt: run.attempt,
            status: run.status.clone(),
            brief_first_line: first_line(&run.brief),
            bytes,
            envelope_id: run.envelope_id.clone(),
            outcome: run.outcome.clone(),
        }
    }

    /// Its outcome, else `pending` or how it ended (see [`super::outcomes::run_state`]).
    pub fn state(&self) -> String {
        super::outcomes::run_state(
            &self.status,
            self.outcome.as_ref(),
            self.envelope_id.as_deref(),
        )
    }
}

/// A run with everything kept about it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct RunDetail {
    pub id: i64,
    pub session_id: String,
    pub chain_id: String,
    pub parent_id: Option<String>,
    pub role_id: String,
    pub prompt_sha256: String,
    pub provider: serde_json::Value,
    pub model: String,
    pub parameters: serde_json::Value,
    pub brief: String,
    pub attempt: u32,
    pub feedback: Option<String>,
    pub reviewer: String,
    pub status: String,
    pub started_at: String,
    pub first_token_at: Option<String>,
    pub completed_at: Option<String>,
    pub finish_reason: Option<String>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub decision: Option<serde_json::Value>,
    pub envelope_id: Option<String>,
    /// sha256 of the answer, once the run ended.
    pub response_sha256: Option<String>,
    /// What the review made of the answer, if anything yet.
    pub outcome: Option<super::outcomes::Outcome>,
    /// The answer: whole when the run ended, else the pieces stored before it stopped.
    pub answer: String,
    pub events: Vec<EventRow>,
}

impl RunDetail {
    /// Its outcome, else `pending` or how it ended (see [`super::outcomes::run_state`]).
    pub fn state(&self) -> String {
        super::outcomes::run_state(
            &self.status,
            self.outcome.as_ref(),
            self.envelope_id.as_deref(),
        )
    }
}

/// What `archbench watch` follows of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Watched {
    pub id: i64,
    pub key: String,
    pub session_id: String,
    pub role_id: String,
    pub brief: String,
    pub attempt: u32,
    pub model: String,
    pub status: String,
    pub finish_reason: Option<String>,
    pub reviewer: String,
    pub feedback: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct EventRow {
    pub at: String,
    pub kind: String,
    pub data: serde_json::Value,
}

pub struct Store {
    pub(super) conn: Connection,
    path: String,
}

/// A store tasks may share: a connection cannot be used from two threads at once, and a task
/// may move between them, so each use takes the lock for itself (never across a wait).
pub struct Shared(std::sync::Mutex<Store>);

impl Shared {
    pub fn new(store: Store) -> Shared {
        Shared(std::sync::Mutex::new(store))
    }

    /// `f` run on the store, its error said as text.
    pub fn with<T>(&self, f: impl FnOnce(&Store) -> Result<T, StoreError>) -> Result<T, String> {
        let store = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&store).map_err(|e| e.to_string())
    }
}

pub(super) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Store {
    /// Opens (creating, owner-only) and migrates the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_at_version(path, SCHEMA_VERSION)
    }

    /// Opens the store migrated to `version` only (tests of the migrations use older versions).
    pub fn open_at_version(path: &Path, version: usize) -> Result<Self, StoreError> {
        let shown = path.display().to_string();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        create_private(path).map_err(|source| StoreError::Io {
            path: shown.clone(),
            source,
        })?;
        // Opening a new store while other processes open it at the same moment can answer
        // "database is locked" at once, without waiting on the busy timeout (four runs starting
        // together on a loaded machine lost one that way, 2 times in 40): the whole opening is
        // tried again until the timeout has passed (0 times in 60 since).
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        loop {
            match Self::connect(path, &shown, version) {
                Err(StoreError::Sql { source, .. })
                    if is_busy(&source) && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                opened => return opened,
            }
        }
    }

    /// One try at opening: the connection, its settings, the migrations.
    fn connect(path: &Path, shown: &str, version: usize) -> Result<Self, StoreError> {
        let sql = |source| StoreError::Sql {
            path: shown.to_string(),
            source,
        };
        let conn = Connection::open(path).map_err(sql)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sql)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sql)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sql)?;
        let mut store = Self {
            conn,
            path: shown.to_string(),
        };
        store.migrate(version)?;
        Ok(store)
    }

    fn sql(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        |source| StoreError::Sql {
            path: self.path.clone(),
            source,
        }
    }

    /// Like [`Self::sql`], owning what it needs, for use while the connection is borrowed.
    pub(super) fn sql_error(&self) -> impl Fn(rusqlite::Error) -> StoreError {
        let path = self.path.clone();
        move |source| StoreError::Sql {
            path: path.clone(),
            source,
        }
    }

    /// SQLite's data version: it moves when another connection commits (it reads no data).
    pub fn data_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(self.sql())
    }

    pub fn version(&self) -> Result<usize, StoreError> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
            .map(|v| v as usize)
            .map_err(self.sql())
    }

    /// Applies the migrations between the store's version and `target`, each in its own
    /// transaction, so a second process opening at the same moment waits and then sees it done.
    fn migrate(&mut self, target: usize) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sql = |source| StoreError::Sql {
            path: path.clone(),
            source,
        };
        loop {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql)?;
            let current = tx
                .pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
                .map_err(sql)? as usize;
            if current > SCHEMA_VERSION {
                return Err(StoreError::TooNew {
                    path: path.clone(),
                    found: current,
                });
            }
            if current >= target {
                return Ok(());
            }
            tx.execute_batch(MIGRATIONS[current]).map_err(sql)?;
            if current + 1 == OUTCOMES_VERSION {
                // Answers kept before their hash was kept get it now, in the migration's
                // transaction, so their outcomes can be found.
                super::outcomes::hash_older_answers(&tx).map_err(sql)?;
            }
            tx.pragma_update(None, "user_version", (current + 1) as i64)
                .map_err(sql)?;
            tx.commit().map_err(sql)?;
        }
    }

    /// Records a run as it starts; returns its row id.
    pub fn begin_run(&mut self, run: &NewRun) -> Result<i64, StoreError> {
        let sql = self.sql();
        let provider = serde_json::to_string(&run.provider).unwrap_or_default();
        let parameters = serde_json::to_string(&run.parameters).unwrap_or_default();
        self.conn
            .execute(
                "INSERT INTO runs (key, session_id, owner_pid, chain_id, parent_id, role_id, prompt_sha256, provider, model, parameters, brief, attempt, feedback, reviewer, status, started_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 'running', ?15)
                 ON CONFLICT(key) DO NOTHING",
                params![
                    run.key,
                    run.session_id,
                    std::process::id(),
                    run.chain_id,
                    run.parent_id,
                    run.role_id,
                    run.prompt_sha256,
                    provider,
                    run.provider.model,
                    parameters,
                    run.brief,
                    run.attempt,
                    run.feedback,
                    run.reviewer,
                    ts(run.started_at),
                ],
            )
            .map_err(&sql)?;
        self.conn
            .query_row("SELECT id FROM runs WHERE key = ?1", [&run.key], |r| {
                r.get(0)
            })
            .map_err(sql)
    }

    /// Appends pieces of the answer, in one transaction.
    pub fn append(&mut self, run: i64, pieces: &[String]) -> Result<(), StoreError> {
        if pieces.is_empty() {
            return Ok(());
        }
        let path = self.path.clone();
        let sql = |source| StoreError::Sql {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        let next: i64 = tx
            .query_row(
                "SELECT coalesce(max(seq) + 1, 0) FROM transcript WHERE run_id = ?1",
                [run],
                |r| r.get(0),
            )
            .map_err(sql)?;
        {
            let mut insert = tx
                .prepare_cached("INSERT INTO transcript (run_id, seq, text) VALUES (?1, ?2, ?3)")
                .map_err(sql)?;
            for (i, piece) in pieces.iter().enumerate() {
                insert
                    .execute(params![run, next + i as i64, piece])
                    .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)
    }

    /// Records how the run ended and keeps its whole answer.
    pub fn end_run(&mut self, run: i64, end: &RunEnd) -> Result<(), StoreError> {
        let answer = self.transcript(run)?;
        let sha = crate::routing::envelope::sha256_hex(&answer);
        let sql = self.sql();
        self.conn
            .execute(
                "UPDATE runs SET status = ?2, finish_reason = ?3, prompt_tokens = ?4, completion_tokens = ?5,
                    decision = ?6, first_token_at = ?7, completed_at = ?8, answer = ?9, response_sha256 = ?10
                 WHERE id = ?1",
                params![
                    run,
                    end.status,
                    end.finish_reason,
                    end.usage.map(|u| u.prompt_tokens),
                    end.usage.map(|u| u.completion_tokens),
                    end.decision.as_ref().map(|d| d.to_string()),
                    end.first_token_at.map(ts),
                    ts(end.completed_at),
                    answer,
                    sha,
                ],
            )
            .map(|_| ())
            .map_err(sql)
    }

    pub fn event(
        &mut self,
        run: Option<i64>,
        at: DateTime<Utc>,
        kind: &str,
        data: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let sql = self.sql();
        self.conn
            .execute(
                "INSERT INTO events (run_id, at, kind, data) VALUES (?1, ?2, ?3, ?4)",
                params![run, ts(at), kind, data.to_string()],
            )
            .map(|_| ())
            .map_err(sql)
    }

    fn transcript(&self, run: i64) -> Result<String, StoreError> {
        let sql = self.sql();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT text FROM transcript WHERE run_id = ?1 ORDER BY seq")
            .map_err(&sql)?;
        let pieces = stmt
            .query_map([run], |r| r.get::<_, String>(0))
            .map_err(&sql)?;
        let mut text = String::new();
        for piece in pieces {
            text.push_str(&piece.map_err(&sql)?);
        }
        Ok(text)
    }

    /// Runs left `running` by a process that is gone (killed, crashed, its machine rebooted):
    /// marked `interrupted`, their partial answers kept, and returned for the recovery message.
    pub fn recover_interrupted(&mut self) -> Result<Vec<RunSummary>, StoreError> {
        let rows: Vec<(i64, i64)> = {
            let sql = self.sql();
            let mut stmt = self
                .conn
                .prepare("SELECT id, owner_pid FROM runs WHERE status = 'running'")
                .map_err(&sql)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(&sql)?
                .collect::<Result<_, _>>()
                .map_err(&sql)?;
            rows
        };
        let mut recovered = Vec::new();
        for (id, pid) in rows {
            if pid as u32 != std::process::id() && process_alive(pid) {
                continue;
            }
            self.mark_interrupted(id)?;
            if let Some(summary) = self.summary(id)? {
                recovered.push(summary);
            }
        }
        Ok(recovered)
    }

    /// Keeps a run that never ended as `interrupted`, with the answer stored so far.
    pub fn mark_interrupted(&mut self, id: i64) -> Result<(), StoreError> {
        let answer = self.transcript(id)?;
        let sha = crate::routing::envelope::sha256_hex(&answer);
        let sql = self.sql();
        self.conn
            .execute(
                "UPDATE runs SET status = 'interrupted', answer = ?2, response_sha256 = ?3
                 WHERE id = ?1 AND status = 'running'",
                params![id, answer, sha],
            )
            .map(|_| ())
            .map_err(sql)
    }

    /// Notes that the audit log `log` has reached record `seq` (whose line hashes to `sha256`).
    pub fn note_audit_head(&mut self, log: &str, seq: u64, sha256: &str) -> Result<(), StoreError> {
        let sql = self.sql();
        self.conn
            .execute(
                "INSERT INTO audit_head (log, seq, sha256, at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(log) DO UPDATE SET seq = excluded.seq, sha256 = excluded.sha256, at = excluded.at
                 WHERE excluded.seq >= audit_head.seq",
                params![log, seq as i64, sha256, ts(Utc::now())],
            )
            .map(|_| ())
            .map_err(sql)
    }

    /// The last record of the audit log `log` that this store saw written: number, hash, time.
    pub fn audit_head(&self, log: &str) -> Result<Option<(u64, String, String)>, StoreError> {
        let sql = self.sql();
        self.conn
            .query_row(
                "SELECT seq, sha256, at FROM audit_head WHERE log = ?1",
                [log],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(sql)
    }

    /// The row of the run named `key`.
    pub fn row_of(&self, key: &str) -> Result<Option<i64>, StoreError> {
        let sql = self.sql();
        self.conn
            .query_row("SELECT id FROM runs WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(sql)
    }

    fn summary(&self, id: i64) -> Result<Option<RunSummary>, StoreError> {
        let sql = self.sql();
        self.conn
            .query_row(
                &format!("{} WHERE runs.id = ?1", query::summary_sql()),
                [id],
                query::summary_row,
            )
            .optional()
            .map_err(sql)
    }
}

/// Creates `path` readable by its owner only, if it does not exist (SQLite gives its WAL and
/// shared-memory files the same permissions).
/// SQLite says another connection holds the lock.
fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map(|_| ())
}

/// The process `pid` runs (a zombie does not).
pub(crate) fn process_alive(pid: i64) -> bool {
    if pid <= 0 || pid > i32::MAX as i64 {
        return false;
    }
    // Where /proc is there, it tells a zombie (killed, not yet reaped: kill(pid, 0) still succeeds
    // on it) from a process that runs.
    if std::path::Path::new("/proc/self/stat").exists() {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            return false;
        };
        // The state follows the command name, which is in parentheses and may hold either.
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next());
        return !matches!(state, Some('Z' | 'X') | None);
    }
    // Signal 0 checks existence and permission without sending anything.
    // SAFETY: kill with signal 0 has no effect on the target.
    let result = unsafe { libc::kill(pid as libc::pid_t, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[path = "sessions_query.rs"]
mod query;

#[path = "sessions_copied.rs"]
mod copied;
pub use copied::{Marks, Progress, RunCopy};

pub use super::outcomes::{AnswerId, Outcome, OutcomeKind};

#[cfg(test)]
#[path = "sessions_tests.rs"]
mod tests;
