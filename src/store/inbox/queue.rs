//! What this machine owes a team store it cannot reach: the store restarting or the network
//! gone, a reviewer's rejection, a review let go or left pending, and an approved handoff are
//! kept here (the session store's `team_queue`, on disk) and replayed in the order they were
//! made once the store answers. Every act replays safely — each takes effect once however often
//! it is run — and a handoff waits for its review's settlement: nothing is handed off before the
//! store says the review is still the reviewer's, so a review taken by another meanwhile is
//! handed off by one of them only.

use super::{Act, Claim, Inbox};
use crate::routing::Envelope;
use crate::sink::SinkSpec;
use crate::store::sessions::Store;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What an error from the team store says when the store could not be reached at all.
pub const UNREACHABLE: &str = "cannot reach the team store";

/// Whether `error` says the team store could not be reached (rather than refusing the act).
pub fn unreachable(error: &str) -> bool {
    error.contains(UNREACHABLE)
}

/// Told each time this process keeps something for the team store (the audit log's thread, the
/// handoff gate and the inbox all do): the workbench's replayer waits on it.
pub fn kept() -> &'static tokio::sync::Notify {
    static KEPT: std::sync::OnceLock<tokio::sync::Notify> = std::sync::OnceLock::new();
    KEPT.get_or_init(tokio::sync::Notify::new)
}

/// One thing owed to the team store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Owed {
    Act {
        act: Act,
    },
    /// An approval: settle the review under `claim`, then hand `envelope` off to `sinks`
    /// through the gate.
    Handoff {
        envelope: Box<Envelope>,
        claim: Claim,
        sinks: Vec<SinkSpec>,
    },
}

impl Owed {
    /// A line for a person.
    pub fn describe(&self) -> String {
        match self {
            Owed::Act { act } => act.describe(),
            Owed::Handoff {
                envelope, claim, ..
            } => format!(
                "review {} handed off to {}",
                claim.id, envelope.route.target
            ),
        }
    }
}

/// This machine's queue for one team store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queue {
    /// The session store the queue is kept in.
    pub path: PathBuf,
    /// The team store it is owed to (its URL, which never holds a password).
    pub store: String,
}

fn failed(e: impl std::fmt::Display) -> String {
    format!("this machine's queue for the team store: {e}")
}

impl Queue {
    pub fn new(path: &Path, store: &str) -> Queue {
        Queue {
            path: path.to_path_buf(),
            store: store.to_string(),
        }
    }

    /// Keeps `owed` after everything owed before it, and wakes this process's replayer.
    pub fn push(&self, owed: &Owed) -> Result<(), String> {
        let item = serde_json::to_string(owed).map_err(failed)?;
        Store::open(&self.path)
            .map_err(failed)?
            .conn
            .execute(
                "INSERT INTO team_queue (store, item, queued_at) VALUES (?1, ?2, ?3)",
                rusqlite::params![self.store, item, chrono::Utc::now().to_rfc3339()],
            )
            .map_err(failed)?;
        kept().notify_one();
        Ok(())
    }

    /// Everything owed, oldest first, each with its place in the queue.
    pub fn owed(&self) -> Result<Vec<(i64, Owed)>, String> {
        let store = Store::open(&self.path).map_err(failed)?;
        let mut stmt = store
            .conn
            .prepare("SELECT seq, item FROM team_queue WHERE store = ?1 ORDER BY seq")
            .map_err(failed)?;
        let rows = stmt
            .query_map([&self.store], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(failed)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(failed)?;
        rows.into_iter()
            .map(|(seq, item)| {
                serde_json::from_str(&item)
                    .map(|owed| (seq, owed))
                    .map_err(|e| failed(format!("entry {seq} cannot be read: {e}")))
            })
            .collect()
    }

    /// How many things are owed.
    pub fn len(&self) -> usize {
        let Ok(store) = Store::open(&self.path) else {
            return 0;
        };
        store
            .conn
            .query_row(
                "SELECT count(*) FROM team_queue WHERE store = ?1",
                [&self.store],
                |r| r.get::<_, i64>(0),
            )
            .map_or(0, |n| n as usize)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether anything but the audit log's records is owed: an act or a handoff kept while
    /// the store was away, which a new act must follow.
    pub fn owes_acts(&self) -> bool {
        let Ok(store) = Store::open(&self.path) else {
            return false;
        };
        store
            .conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM team_queue WHERE store = ?1 \
                 AND json_extract(item, '$.act.act') IS NOT 'record')",
                [&self.store],
                |r| r.get::<_, bool>(0),
            )
            .unwrap_or(false)
    }

    /// Entry `seq` was replayed (or refused for good).
    fn done(&self, seq: i64) -> Result<(), String> {
        Store::open(&self.path)
            .map_err(failed)?
            .conn
            .execute("DELETE FROM team_queue WHERE seq = ?1", [seq])
            .map(|_| ())
            .map_err(failed)
    }
}

/// Whether an act was written, or kept to be written later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    /// Written: the review changed, or none when the store refused the act.
    Written(Option<super::Done>),
    /// The store could not be reached: kept in this machine's queue.
    Owed,
}

/// Writes `act` to `inbox`, or keeps it in `queue` (the team store's; none for this machine's
/// SQLite, which is never out of reach) when the store cannot be reached — or when an act is
/// owed already, so that acts reach the store in the order they were made (the audit log's
/// records, which go there all the time, are not waited for).
pub async fn write_or_owe(
    queue: Option<&Queue>,
    inbox: Result<std::sync::Arc<Inbox>, String>,
    act: Act,
) -> Result<Kept, String> {
    let Some(queue) = queue else {
        return inbox?.write(&act).await.map(Kept::Written);
    };
    if !queue.owes_acts() {
        match inbox {
            Ok(inbox) => match inbox.write(&act).await {
                Err(e) if unreachable(&e) => {}
                written => return written.map(Kept::Written),
            },
            Err(e) if unreachable(&e) => {}
            Err(e) => return Err(e),
        }
    }
    queue.push(&Owed::Act { act })?;
    Ok(Kept::Owed)
}

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Each act or handoff the store took, described.
    pub applied: Vec<String>,
    /// How many of the audit log's records it took (they go all the time: counted, not told).
    pub records: usize,
    /// Each that the store refused for good, and why (the review taken by another, settled).
    pub refused: Vec<String>,
    /// Left for the next try, the store not answering again.
    pub left: usize,
}

/// How a queued handoff is made once its review is settled: the gate, with this process's
/// outbox, audit log and sinks. `None` where only acts are replayed (a command without sinks).
pub type HandOff<'a> = &'a (dyn Fn(
    Envelope,
    Claim,
    Vec<SinkSpec>,
) -> futures_util::future::BoxFuture<'static, Result<(), NotSent>>
         + Sync);

/// Why something owed was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotSent {
    /// The store is still not answering: try again later.
    Unreachable(String),
    /// For good: the claim lost, the answer settled already…
    Refused(String),
}

impl From<crate::sink::HandoffError> for NotSent {
    /// What the gate said of a kept handoff: the store still away, or a refusal for good.
    fn from(e: crate::sink::HandoffError) -> Self {
        match e {
            crate::sink::HandoffError::Failed(e) if unreachable(&e) => NotSent::Unreachable(e),
            e => NotSent::Refused(e.to_string()),
        }
    }
}

impl Inbox {
    /// Replays what this machine owes the team store, in order, until the store stops answering
    /// (the rest is left for the next try) or nothing is left. A handoff is replayed only with
    /// `hand_off`; without it the replay stops there, keeping the order.
    pub async fn replay(&self, queue: &Queue, hand_off: Option<HandOff<'_>>) -> Replayed {
        let mut replayed = Replayed::default();
        let owed = match queue.owed() {
            Ok(owed) => owed,
            Err(e) => {
                replayed.refused.push(e);
                return replayed;
            }
        };
        let total = owed.len();
        for (n, (seq, owed)) in owed.into_iter().enumerate() {
            let outcome = match &owed {
                Owed::Act { act } => match self.write(act).await {
                    Ok(Some(_)) => Ok(()),
                    Ok(None) => Err(NotSent::Refused(
                        "the store refused it: the review was taken by another or settled meanwhile"
                            .into(),
                    )),
                    Err(e) if unreachable(&e) => Err(NotSent::Unreachable(e)),
                    Err(e) => Err(NotSent::Refused(e)),
                },
                Owed::Handoff {
                    envelope,
                    claim,
                    sinks,
                } => match hand_off {
                    Some(hand_off) => {
                        hand_off((**envelope).clone(), claim.clone(), sinks.clone()).await
                    }
                    None => Err(NotSent::Unreachable(
                        "a handoff waits: the workbench makes it".into(),
                    )),
                },
            };
            match outcome {
                Ok(())
                    if matches!(
                        owed,
                        Owed::Act {
                            act: Act::Record { .. }
                        }
                    ) =>
                {
                    replayed.records += 1
                }
                Ok(()) => replayed.applied.push(owed.describe()),
                Err(NotSent::Refused(why)) => {
                    replayed.refused.push(format!("{}: {why}", owed.describe()))
                }
                Err(NotSent::Unreachable(_)) => {
                    replayed.left = total - n;
                    return replayed;
                }
            }
            if let Err(e) = queue.done(seq) {
                // Left in the queue, it is replayed again, which takes effect once.
                tracing::warn!("{e}");
            }
        }
        replayed
    }
}
