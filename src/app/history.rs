//! The history screen's reads: the team's history when a team store is configured (any
//! machine's runs), else this machine's session store. Each read runs on a task of its own and
//! comes back to the loop as an event.

use crate::effect::RunsFor;
use crate::event::Event;
use crate::state::history::LIST_LIMIT;
use crate::store::inbox::PgInbox;
use crate::store::sessions::{RunDetail, Store, StoreError};
use std::path::{Path, PathBuf};
use tokio::sync::mpsc::UnboundedSender;

/// Where the history is read.
pub(super) enum Source {
    /// The team store at this URL.
    Team(String),
    /// This machine's session store (none: it is not open in this workbench).
    Here(Option<PathBuf>),
}

/// The latest runs, or those matching `query`; told as [`Event::HistoryLoaded`].
pub(super) fn load(source: Source, query: Option<String>, done: UnboundedSender<Event>) {
    match source {
        Source::Team(url) => {
            tokio::spawn(async move {
                let result = async {
                    let team = PgInbox::connect(&url).await?;
                    match &query {
                        Some(words) => team.search_runs(words, LIST_LIMIT).await,
                        None => team.runs(LIST_LIMIT).await,
                    }
                }
                .await
                .map(|rows| rows.into_iter().map(|r| r.run).collect())
                .map_err(team_error);
                let _ = done.send(Event::HistoryLoaded(result));
            });
        }
        Source::Here(path) => {
            tokio::task::spawn_blocking(move || {
                let result = read_store(path.as_deref(), |store| match &query {
                    Some(words) => store.search(words, LIST_LIMIT),
                    None => store.list(LIST_LIMIT),
                });
                let _ = done.send(Event::HistoryLoaded(result));
            });
        }
    }
}

/// Runs `ids` (to continue, the conversation the last one ends); told as [`Event::RunsLoaded`].
pub(super) fn load_runs(
    source: Source,
    ids: Vec<i64>,
    then: RunsFor,
    done: UnboundedSender<Event>,
) {
    let continuing = then == RunsFor::Continue;
    let loaded = move |result: Result<Vec<RunDetail>, String>| {
        let _ = done.send(Event::RunsLoaded {
            then,
            result,
            chain_id: uuid::Uuid::now_v7().to_string(),
        });
    };
    let last = ids.last().copied().unwrap_or_default();
    match source {
        Source::Team(url) => {
            tokio::spawn(async move {
                let result = async {
                    let team = PgInbox::connect(&url).await?;
                    if continuing {
                        return team.conversation(last).await;
                    }
                    let mut runs = Vec::new();
                    for id in &ids {
                        runs.extend(team.run(*id).await?.map(|(_, run)| run));
                    }
                    Ok(runs)
                }
                .await
                .map_err(team_error);
                loaded(result);
            });
        }
        Source::Here(path) => {
            tokio::task::spawn_blocking(move || {
                loaded(read_store(path.as_deref(), |store| {
                    if continuing {
                        return store.conversation(last);
                    }
                    let mut runs = Vec::new();
                    for id in &ids {
                        runs.extend(store.get(*id)?);
                    }
                    Ok(runs)
                }));
            });
        }
    }
}

/// The team's history could not be read: why, and where this machine's is.
fn team_error(e: String) -> String {
    format!("The team's history cannot be read now ({e}); `archbench sessions list --local` lists this machine's runs.")
}

/// Reads the session store at `path` with `read`.
fn read_store<T>(
    path: Option<&Path>,
    read: impl FnOnce(&Store) -> Result<T, StoreError>,
) -> Result<T, String> {
    let path = path.ok_or_else(|| {
        "The session store is not open in this workbench, so there is no history to show."
            .to_string()
    })?;
    let store = Store::open(path).map_err(|e| e.to_string())?;
    read(&store).map_err(|e| e.to_string())
}
