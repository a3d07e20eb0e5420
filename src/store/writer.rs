//! The session store's writer: one thread owns the connection and takes [`Record`]s in the order
//! they happened. Pieces of an answer are written in small batches (at most [`BATCH_WINDOW`]
//! behind the screen), so a crash or a `kill -9` keeps nearly all of a partial answer, while a
//! fast stream costs one transaction per batch rather than one per token.

use super::ledger::SettleError;
use super::outcomes::{AnswerId, Outcome};
use super::sessions::{NewRun, RunEnd, RunSummary, Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc::{channel, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest a piece of an answer waits in memory before it is written.
pub const BATCH_WINDOW: Duration = Duration::from_millis(100);

/// Pieces held at most before a batch is written regardless of the window.
const BATCH_PIECES: usize = 512;

/// What happened to a run, as `update` or a headless run reports it (no I/O yet). `key` names the
/// run across processes: the workbench instance's id and the run's number in it.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A run was sent to the provider.
    Started(Box<NewRun>),
    /// Text of the answer arrived. The key is shared, not copied, per piece.
    Delta {
        key: std::sync::Arc<str>,
        text: String,
    },
    /// The run ended: complete, cancelled or failed.
    Ended { key: String, end: RunEnd },
    /// A state change of the review (the audit log's kind and data), for the run `key` if any,
    /// else for the run that made `answer` (a resumed review, a conversation continued from the
    /// history: their runs were made by another process).
    Event {
        key: Option<String>,
        answer: Option<AnswerId>,
        at: DateTime<Utc>,
        kind: String,
        data: serde_json::Value,
    },
    /// The review rejected or deferred `answer` (a handoff is recorded by the handoff gate).
    Outcome { answer: AnswerId, outcome: Outcome },
}

/// Sends records to the writer thread; [`SessionWriter::close`] (or dropping it) writes what is
/// held and marks runs still open as `interrupted`.
pub struct SessionWriter {
    tx: Option<Sender<Record>>,
    thread: Option<JoinHandle<()>>,
    /// Pieces sent since the thread was last woken.
    unwoken: std::sync::atomic::AtomicUsize,
}

impl SessionWriter {
    /// Opens the store at `path` (migrating it), marks the runs of processes that are gone as
    /// interrupted, and starts the writer. Returns the writer and the runs it recovered.
    /// `report` hears the first write error (the screen says so; nothing else stops).
    pub fn open(
        path: &Path,
        report: impl Fn(String) + Send + 'static,
    ) -> Result<(Self, Vec<RunSummary>), StoreError> {
        let mut store = Store::open(path)?;
        let recovered = store.recover_interrupted()?;
        let (tx, rx) = channel::<Record>();
        let thread = std::thread::Builder::new()
            .name("sessions".into())
            .spawn(move || {
                let mut batch = Batch::new(store, report);
                loop {
                    match batch.deadline() {
                        // Pieces are held: more pieces need not wake this thread (a sender
                        // wakes it only for other records); it reads what came at the window's end.
                        Some(deadline) => {
                            std::thread::park_timeout(
                                deadline.saturating_duration_since(Instant::now()),
                            );
                            loop {
                                match rx.try_recv() {
                                    Ok(record) => batch.take(record, Instant::now()),
                                    Err(TryRecvError::Empty) => break,
                                    Err(TryRecvError::Disconnected) => {
                                        batch.close();
                                        return;
                                    }
                                }
                            }
                            if batch.deadline().is_some_and(|end| Instant::now() >= end) {
                                batch.flush();
                            }
                        }
                        None => match rx.recv() {
                            Ok(record) => batch.take(record, Instant::now()),
                            Err(_) => break,
                        },
                    }
                }
                batch.close();
            })
            .map_err(|source| StoreError::Io {
                path: path.display().to_string(),
                source,
            })?;
        Ok((
            Self {
                tx: Some(tx),
                thread: Some(thread),
                unwoken: Default::default(),
            },
            recovered,
        ))
    }

    pub fn send(&self, record: Record) {
        let piece = matches!(record, Record::Delta { .. });
        if let Some(tx) = &self.tx {
            let _ = tx.send(record);
        }
        // A piece waits for its batch's window, unless a batch's worth is waiting (a fast
        // stream's pieces must not pile up in the channel for a whole window); anything else
        // is written now.
        use std::sync::atomic::Ordering;
        if piece && self.unwoken.fetch_add(1, Ordering::Relaxed) + 1 < BATCH_PIECES {
            return;
        }
        self.unwoken.store(0, Ordering::Relaxed);
        self.wake();
    }

    fn wake(&self) {
        if let Some(thread) = &self.thread {
            thread.thread().unpark();
        }
    }

    /// Writes what is held, marks runs still open as interrupted, and waits for the thread.
    pub fn close(mut self) {
        self.shut();
    }

    fn shut(&mut self) {
        self.tx.take();
        self.wake();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SessionWriter {
    fn drop(&mut self) {
        self.shut();
    }
}

/// The writer thread's state: the store, the row of each open run, the pieces not yet written.
struct Batch<R: Fn(String)> {
    store: Store,
    report: R,
    reported: bool,
    rows: HashMap<String, i64>,
    pending: Vec<(i64, String)>,
    since: Option<Instant>,
}

impl<R: Fn(String)> Batch<R> {
    fn new(store: Store, report: R) -> Self {
        Self {
            store,
            report,
            reported: false,
            rows: HashMap::new(),
            pending: Vec::new(),
            since: None,
        }
    }

    fn deadline(&self) -> Option<Instant> {
        self.since.map(|s| s + BATCH_WINDOW)
    }

    fn failed(&mut self, e: StoreError) {
        tracing::error!("{e}");
        if !self.reported {
            self.reported = true;
            (self.report)(format!(
                "The session store could not be written ({e}); the answer on screen is intact, and handoffs still work."
            ));
        }
    }

    /// Takes one record that arrived at `now`. Pieces wait for the batch, which is written when
    /// its window ends — here too, not only when the channel falls quiet, so that a stream that
    /// never pauses is still at most one window behind — or when it is full.
    fn take(&mut self, record: Record, now: Instant) {
        if let Record::Delta { key, text } = record {
            let Some(&row) = self.rows.get(&*key) else {
                return;
            };
            self.pending.push((row, text));
            self.since.get_or_insert(now);
            let window_over = self.deadline().is_some_and(|end| now >= end);
            if window_over || self.pending.len() >= BATCH_PIECES {
                self.flush();
            }
            return;
        }
        // Anything else is written after the pieces before it, so the order holds.
        self.flush();
        let result = match record {
            Record::Delta { .. } => Ok(()),
            Record::Started(run) => self.store.begin_run(&run).map(|row| {
                self.rows.insert(run.key.clone(), row);
            }),
            Record::Ended { key, end } => match self.rows.remove(&key) {
                Some(row) => self.store.end_run(row, &end),
                None => Ok(()),
            },
            Record::Event {
                key,
                answer,
                at,
                kind,
                data,
            } => {
                let row = key
                    .and_then(|k| self.rows.get(&k).copied().or_else(|| self.ended_row(&k)))
                    .or_else(|| answer.and_then(|a| self.store.run_of(&a).ok().flatten()));
                self.store.event(row, at, &kind, &data)
            }
            Record::Outcome { answer, outcome } => match self.store.settle(&answer, &outcome) {
                Ok(()) => Ok(()),
                Err(SettleError::Store(e)) => Err(e),
                Err(settled @ SettleError::Settled(_)) => {
                    (self.report)(format!(
                        "Not recorded as {}: {settled}",
                        outcome.kind.as_str()
                    ));
                    Ok(())
                }
            },
        };
        if let Err(e) = result {
            self.failed(e);
        }
    }

    /// The row of a run that has ended (events and envelopes come after its end).
    fn ended_row(&self, key: &str) -> Option<i64> {
        self.store.row_of(key).ok().flatten()
    }

    fn flush(&mut self) {
        self.since = None;
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        // Consecutive pieces of one run go in together.
        let mut start = 0;
        while start < pending.len() {
            let row = pending[start].0;
            let end = pending[start..]
                .iter()
                .position(|(r, _)| *r != row)
                .map_or(pending.len(), |n| start + n);
            let pieces: Vec<String> = pending[start..end].iter().map(|(_, t)| t.clone()).collect();
            if let Err(e) = self.store.append(row, &pieces) {
                self.failed(e);
            }
            start = end;
        }
    }

    /// The process is leaving: runs that never ended are kept as interrupted, with their text.
    fn close(mut self) {
        self.flush();
        let open: Vec<i64> = self.rows.drain().map(|(_, row)| row).collect();
        for row in open {
            if let Err(e) = self.store.mark_interrupted(row) {
                self.failed(e);
            }
        }
    }
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
