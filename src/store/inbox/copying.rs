//! This machine's runs copied into the team store, so `archbench sessions` and `archbench watch`
//! on any machine read one history. The session store stays where a run is written first (a
//! stream never waits on the network) and is the queue at once: a task copies what changed —
//! a run begun, pieces of its answer, its end, its review's events and outcome — whenever the
//! session store was written, and while the team store is away it tries again every
//! [`AWAY_RETRY`] and sends, when it answers, everything from where each run's copy had got to.

use super::PgInbox;
use crate::store::sessions::Store;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often a team store that did not answer is tried again.
pub const AWAY_RETRY: Duration = Duration::from_secs(2);

/// How often the session store is asked whether anyone wrote to it (its data version: no read
/// of the data).
const LOOK: Duration = Duration::from_millis(100);

/// Runs copied at most per read of what changed.
const BATCH: usize = 64;

/// Begins copying this machine's runs into the team store `url`: from now on (runs from before
/// stay here). Done before the first run of a process that writes them.
pub fn join(sessions: &Path, url: &str) -> Result<(), String> {
    Store::open(sessions)
        .and_then(|s| s.join_team(url))
        .map_err(|e| e.to_string())
}

/// Joins the team store `url` ([`join`]) and copies this machine's runs into it on a task of
/// its own ([`keep_copying`]) until the task is aborted; `away` as there.
pub fn start(
    url: &str,
    sessions: &Path,
    away: impl Fn(Option<String>) + Send + 'static,
) -> Result<tokio::task::JoinHandle<()>, String> {
    join(sessions, url)?;
    Ok(tokio::spawn(keep_copying(
        url.to_string(),
        sessions.to_path_buf(),
        away,
    )))
}

/// Copies this machine's runs into one team store.
pub struct Copier {
    url: String,
    sessions: PathBuf,
    store: Option<Store>,
    team: Option<PgInbox>,
    /// This machine as the team sees it (`ada@build-7`).
    machine: String,
}

impl Copier {
    pub fn new(url: &str, sessions: &Path) -> Copier {
        Copier {
            url: url.to_string(),
            sessions: sessions.to_path_buf(),
            store: None,
            team: None,
            machine: super::Origin::here("").who,
        }
    }

    /// Sends every run that changed since its last copy, oldest first; how many were sent, or
    /// why it stopped (what is left is sent next time: nothing was marked sent that was not).
    pub async fn pass(&mut self) -> Result<usize, String> {
        // Owned for the pass, not borrowed from `self`: a connection cannot be shared between
        // threads, and the pass waits on the network while it holds it.
        let store = match self.store.take() {
            Some(store) => store,
            None => Store::open(&self.sessions).map_err(|e| e.to_string())?,
        };
        let (store, sent) = self.send(store).await;
        self.store = Some(store);
        sent
    }

    async fn send(&mut self, store: Store) -> (Store, Result<usize, String>) {
        if self.team.is_none() {
            match PgInbox::connect(&self.url).await {
                Ok(team) => self.team = Some(team),
                Err(e) => return (store, Err(e)),
            }
        }
        let Some(team) = &self.team else {
            return (store, Ok(0));
        };
        let marks = match store.marks() {
            Ok(marks) => marks,
            Err(e) => return (store, Err(e.to_string())),
        };
        let mut sent = 0;
        loop {
            let changed = match store.runs_to_copy(&self.url, BATCH) {
                Ok(changed) if changed.is_empty() => {
                    // Everything up to the marks is in: the next pass looks after them.
                    let marked = store
                        .marks_copied(&self.url, marks)
                        .map(|()| sent)
                        .map_err(|e| e.to_string());
                    return (store, marked);
                }
                Ok(changed) => changed,
                Err(e) => return (store, Err(e.to_string())),
            };
            for (id, since) in changed {
                let copy = match store.copy_of(id, since) {
                    Ok(Some(copy)) => copy,
                    Ok(None) => continue,
                    Err(e) => return (store, Err(e.to_string())),
                };
                if let Err(e) = team.put_run(&copy, &self.machine).await {
                    return (store, Err(e));
                }
                if let Err(e) = store.copied(&self.url, id, copy.progress) {
                    return (store, Err(e.to_string()));
                }
                sent += 1;
            }
        }
    }

    /// The session store's data version: it moves when another connection commits.
    fn version(&self) -> Option<i64> {
        self.store.as_ref().and_then(|s| {
            s.conn
                .query_row("PRAGMA data_version", [], |r| r.get(0))
                .ok()
        })
    }
}

/// Copies this machine's runs into the team store `url` for as long as it runs (a task, aborted
/// when the process leaves): at once, then each time the session store is written; every
/// [`AWAY_RETRY`] while the team store is away. `away` is told each time that changes (true:
/// it did not answer, with why; false: it answers again).
pub async fn keep_copying(url: String, sessions: PathBuf, away: impl Fn(Option<String>) + Send) {
    let mut copier = Copier::new(&url, &sessions);
    let mut was_away = false;
    loop {
        let seen = copier.version();
        match copier.pass().await {
            Ok(_) => {
                if was_away {
                    was_away = false;
                    away(None);
                }
                loop {
                    tokio::time::sleep(LOOK).await;
                    if copier.version() != seen || seen.is_none() {
                        break;
                    }
                }
            }
            Err(why) => {
                if !was_away {
                    was_away = true;
                    away(Some(why));
                }
                tokio::time::sleep(AWAY_RETRY).await;
            }
        }
    }
}
