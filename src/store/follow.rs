//! Following a session another archbench is writing, for `archbench watch`: a task reads the
//! session store every moment, with its own connection (WAL lets it read while the other writes),
//! and reports what is new — a run started, pieces of its answer, its end, the review's events.

use super::outcomes::Outcome;
use super::sessions::{EventRow, Store, Watched};
use std::path::PathBuf;
use std::time::Duration;

/// What changed since the last look.
#[derive(Debug, Clone, PartialEq)]
pub enum Watch {
    /// A run began (or the watch began on it).
    Started(Box<Watched>),
    /// More of its answer.
    Pieces(Vec<String>),
    /// It ended: `complete`, `cancelled`, `failed` or `interrupted`, with the finish reason.
    Ended {
        status: String,
        finish_reason: Option<String>,
    },
    /// What the reviewer did (review actions, handoffs).
    Events(Vec<EventRow>),
    /// What became of the answer: handed off, rejected, deferred (the session store's record).
    Outcome(Box<Outcome>),
    /// The store cannot be read (said once; the watch goes on trying).
    Trouble(String),
}

/// Where the watch has got to in the run it follows.
#[derive(Default)]
struct Followed {
    run: Option<Watched>,
    /// The last piece of the answer sent.
    seq: Option<i64>,
    /// The last review event sent.
    event: i64,
    ended: bool,
    /// The run's outcome as last sent.
    outcome: Option<Outcome>,
}

/// Polls `path` for the session whose id starts with `session` (the latest session without it),
/// sending what changes through `send`, until `send` says the watcher is gone.
pub async fn follow(
    path: PathBuf,
    session: Option<String>,
    every: Duration,
    send: impl Fn(Watch) -> bool + Send + 'static,
) {
    let mut store: Option<Store> = None;
    let mut followed = Followed::default();
    let mut troubled = false;
    loop {
        if store.is_none() {
            match Store::open(&path) {
                Ok(s) => store = Some(s),
                Err(e) if !troubled => {
                    troubled = true;
                    if !send(Watch::Trouble(e.to_string())) {
                        return;
                    }
                }
                Err(_) => {}
            }
        }
        if let Some(s) = &store {
            if !look(s, session.as_deref(), &mut followed, &send) {
                return;
            }
        }
        tokio::time::sleep(every).await;
    }
}

/// One look at the store; false once the watcher is gone.
fn look(
    store: &Store,
    session: Option<&str>,
    at: &mut Followed,
    send: &impl Fn(Watch) -> bool,
) -> bool {
    let Ok(Some(latest)) = store.latest_of_session(session) else {
        return true;
    };
    if at.run.as_ref().map(|r| r.id) != Some(latest.id) {
        *at = Followed {
            run: Some(latest.clone()),
            ..Followed::default()
        };
        if !send(Watch::Started(Box::new(latest.clone()))) {
            return false;
        }
    }
    let id = latest.id;
    if let Ok(pieces) = store.pieces_after(id, at.seq) {
        if let Some((last, _)) = pieces.last() {
            at.seq = Some(*last);
            let texts = pieces.into_iter().map(|(_, t)| t).collect();
            if !send(Watch::Pieces(texts)) {
                return false;
            }
        }
    }
    if !at.ended && latest.status != "running" {
        // Pieces written just before the end may land after this look's read: read again.
        if let Ok(rest) = store.pieces_after(id, at.seq) {
            if let Some((last, _)) = rest.last() {
                at.seq = Some(*last);
                if !send(Watch::Pieces(rest.into_iter().map(|(_, t)| t).collect())) {
                    return false;
                }
            }
        }
        at.ended = true;
        if !send(Watch::Ended {
            status: latest.status.clone(),
            finish_reason: latest.finish_reason.clone(),
        }) {
            return false;
        }
    }
    if let Ok(events) = store.events_after(id, at.event) {
        if let Some((last, _)) = events.last() {
            at.event = *last;
            if !send(Watch::Events(events.into_iter().map(|(_, e)| e).collect())) {
                return false;
            }
        }
    }
    if let Ok(Some(outcome)) = store.outcome_of_run(id) {
        if at.outcome.as_ref() != Some(&outcome) {
            at.outcome = Some(outcome.clone());
            if !send(Watch::Outcome(Box::new(outcome))) {
                return false;
            }
        }
    }
    true
}

/// The comments people watching share on the runs of workbench `instance` (`archbench watch`
/// writes them into the store), read every `every` and each sent once through `send` with its
/// run's key, until `send` says the workbench is gone. A comment that does not parse is skipped.
pub async fn shared_comments(
    path: PathBuf,
    instance: String,
    every: Duration,
    send: impl Fn(String, crate::review::comments::Comment) -> bool + Send + 'static,
) {
    let mut store: Option<Store> = None;
    let mut after = 0;
    loop {
        if store.is_none() {
            store = Store::open(&path).ok();
        }
        if let Some(s) = &store {
            match s.shared_comments(&instance, after) {
                Ok(rows) => {
                    for (id, key, data) in rows {
                        after = id;
                        if let Ok(comment) = serde_json::from_value(data) {
                            if !send(key, comment) {
                                return;
                            }
                        }
                    }
                }
                // Opened again next time: the file may have been replaced.
                Err(_) => store = None,
            }
        }
        tokio::time::sleep(every).await;
    }
}
