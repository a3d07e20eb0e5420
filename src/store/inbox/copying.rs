//! This machine's runs copied into the team store, so `archbench sessions` and `archbench watch`
//! on any machine read one history. The session store stays where a run is written first (a
//! stream never waits on the network) and is the queue at once: a task copies what changed —
//! a run begun, pieces of its answer, its end, its review's events and outcome — whenever the
//! session store was written, and while the team store is away it tries again every
//! [`AWAY_RETRY`] and sends, when it answers, everything from where each run's copy had got to.

use super::PgInbox;
use crate::store::sessions::{Shared, Store};
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
    store: Option<Shared>,
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
        if self.store.is_none() {
            let store = Store::open(&self.sessions).map_err(|e| e.to_string())?;
            self.store = Some(Shared::new(store));
        }
        if self.team.is_none() {
            self.team = Some(PgInbox::connect(&self.url).await?);
        }
        let (Some(store), Some(team)) = (&self.store, &self.team) else {
            return Ok(0);
        };
        let marks = store.with(Store::marks)?;
        let mut sent = 0;
        loop {
            let changed = store.with(|s| s.runs_to_copy(&self.url, BATCH))?;
            if changed.is_empty() {
                // Everything up to the marks is in: the next pass looks after them.
                store.with(|s| s.marks_copied(&self.url, marks))?;
                return Ok(sent);
            }
            for (id, since) in changed {
                let Some(copy) = store.with(|s| s.copy_of(id, since))? else {
                    continue;
                };
                team.put_run(&copy, &self.machine).await?;
                store.with(|s| s.copied(&self.url, id, copy.progress))?;
                sent += 1;
            }
        }
    }

    /// The session store's data version: it moves when another connection commits.
    fn version(&self) -> Option<i64> {
        self.store
            .as_ref()
            .and_then(|s| s.with(Store::data_version).ok())
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
