//! The workbench's audit writer: one thread appends the records `update` queued, in the order
//! they happened, so the screen never waits on the disk. A record the log refuses is kept and
//! tried again (with each new record and every [`RETRY`]) while the person is told; the log never
//! stops silently. A barrier lets the handoff gate write its own record after every record queued
//! before it (the review action comes before the handoff in the log).

use super::audit::{AuditEntry, AuditLog};
use std::collections::VecDeque;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

/// How often records the log could not take are tried again.
pub const RETRY: Duration = Duration::from_secs(2);

enum Message {
    Entry(AuditEntry),
    /// Answered once every record sent before it was tried.
    Barrier(Sender<()>),
}

/// Sends records to the writer thread; dropping it lets the thread try what waits once more and
/// end.
pub struct AuditWriter {
    tx: Sender<Message>,
}

impl AuditWriter {
    /// Starts the thread. `report` hears, for the screen, when the log starts failing (`Err`)
    /// and when it is written again (`Ok`).
    pub fn spawn(
        log: AuditLog,
        report: impl Fn(Result<String, String>) + Send + 'static,
    ) -> std::io::Result<Self> {
        let (tx, rx) = channel();
        std::thread::Builder::new()
            .name("audit".into())
            .spawn(move || write_all(&log, &rx, &report))?;
        Ok(Self { tx })
    }

    pub fn send(&self, entry: AuditEntry) {
        let _ = self.tx.send(Message::Entry(entry));
    }

    /// A receiver that hears once every record sent so far was tried.
    pub fn barrier(&self) -> Receiver<()> {
        let (done, heard) = channel();
        let _ = self.tx.send(Message::Barrier(done));
        heard
    }
}

fn write_all(log: &AuditLog, rx: &Receiver<Message>, report: &dyn Fn(Result<String, String>)) {
    let mut waiting: VecDeque<AuditEntry> = VecDeque::new();
    let mut barriers: Vec<Sender<()>> = Vec::new();
    let mut failing = false;
    let mut closed = false;
    while !closed {
        let wait = if waiting.is_empty() {
            Duration::MAX
        } else {
            RETRY
        };
        match rx.recv_timeout(wait) {
            Ok(Message::Entry(entry)) => waiting.push_back(entry),
            Ok(Message::Barrier(done)) => barriers.push(done),
            Err(RecvTimeoutError::Timeout) => {}
            // The workbench is leaving: one last try for what waits.
            Err(RecvTimeoutError::Disconnected) => closed = true,
        }
        while let Some(entry) = waiting.front() {
            match log.append(entry) {
                Ok(_) => {
                    waiting.pop_front();
                }
                Err(e) => {
                    tracing::error!("audit log {}: {e}", log.path.display());
                    if !failing {
                        report(Err(format!(
                            "The audit log {} cannot be written ({e}): {} record(s) wait and are tried again every {} s; quitting now loses them",
                            log.path.display(),
                            waiting.len(),
                            RETRY.as_secs()
                        )));
                    }
                    failing = true;
                    break;
                }
            }
        }
        if failing && waiting.is_empty() {
            failing = false;
            report(Ok(format!(
                "The audit log {} is written again; nothing was lost",
                log.path.display()
            )));
        }
        // Tried, written or not: a handoff waiting on it goes on (and its own record tells).
        for done in barriers.drain(..) {
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn entry(kind: &str) -> AuditEntry {
        AuditEntry {
            kind: kind.into(),
            chain_id: "c".into(),
            role: "r".into(),
            attempt: 1,
            at: Utc::now(),
            data: serde_json::json!({}),
        }
    }

    #[test]
    fn records_before_a_barrier_are_in_the_log_when_it_is_answered() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path().join("audit.jsonl"), None);
        let writer = AuditWriter::spawn(log.clone(), |_| {}).unwrap();
        for _ in 0..50 {
            writer.send(entry("review_action"));
        }
        writer
            .barrier()
            .recv_timeout(Duration::from_secs(30))
            .unwrap();
        assert_eq!(super::super::audit::read(&log.path).unwrap().len(), 50);
    }

    #[test]
    fn a_log_that_refuses_records_is_reported_and_they_wait_and_are_written_once_it_can() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        // A folder where the log file should be.
        std::fs::create_dir(&path).unwrap();
        let log = AuditLog::new(path.clone(), None);
        let (told, heard) = channel();
        let writer = AuditWriter::spawn(log, move |r| {
            let _ = told.send(r);
        })
        .unwrap();
        writer.send(entry("review_action"));
        let said = heard.recv_timeout(Duration::from_secs(30)).unwrap();
        let message = said.unwrap_err();
        assert!(message.contains("1 record(s) wait"), "{message}");
        // The log can be written again: the next record brings the waiting one with it, in order.
        std::fs::remove_dir(&path).unwrap();
        writer.send(entry("handoff_sent"));
        let said = heard.recv_timeout(Duration::from_secs(30)).unwrap();
        assert!(said.unwrap().contains("nothing was lost"));
        writer
            .barrier()
            .recv_timeout(Duration::from_secs(30))
            .unwrap();
        let kinds: Vec<String> = super::super::audit::read(&path)
            .unwrap()
            .into_iter()
            .map(|r| r.kind)
            .collect();
        assert_eq!(kinds, ["review_action", "handoff_sent"]);
    }
}
