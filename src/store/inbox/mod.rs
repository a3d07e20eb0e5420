//! Pending reviews: answers that wait for a person, kept in the store where any reviewer of the
//! team can find them. A headless run with `--approve inbox` (or a review deferred in the
//! workbench) leaves one; a reviewer claims it with a lease, renewed while they work and lost if
//! their process dies; an action is taken only under the claim it was opened with, and settles
//! the review exactly once, whatever the number of reviewers or machines.
//!
//! One interface, two stores: the session store's SQLite file for one machine, a shared
//! PostgreSQL for a team. Both take the time from the caller (`at`): leases are tested with a
//! clock the test holds, and every machine of a team reads the same rule.

mod act;
mod connect;
pub mod copying;
mod postgres;
pub mod queue;
mod sqlite;

use crate::store::deferred::DeferredReview;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::time::Duration;

pub use act::{Act, Done};
pub use postgres::{listen_on, PgInbox, TeamRun, COMMENTS, SESSIONS};
pub use sqlite::SqliteInbox;

/// A lease is renewed this often while the reviewer works (a third of its length: two renewals
/// may fail before it lapses).
pub const LEASE: Duration = Duration::from_secs(60);

/// Where a pending review came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Origin {
    /// `ada@build-7`.
    pub who: String,
    /// `run --approve inbox`, `workbench (deferred)`.
    pub how: String,
}

impl Origin {
    /// This process, as others will see it.
    pub fn here(how: &str) -> Origin {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "someone".into());
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "localhost".into());
        Origin {
            who: format!("{user}@{host}"),
            how: how.to_string(),
        }
    }
}

/// One line of the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub id: String,
    pub role: String,
    /// The brief's first line.
    pub title: String,
    /// `pending`, `claimed` (a lease that holds), `settled`.
    pub status: String,
    /// The decision's status: unique, ambiguous, missing…
    pub decision: String,
    /// The SQL check in one line, when the answer was checked.
    pub check: Option<String>,
    pub created_at: DateTime<Utc>,
    pub origin: Origin,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub lease_until: Option<DateTime<Utc>>,
}

impl Row {
    /// Who holds it and since when (`bea since 09:42`), else `pending` or `settled`.
    pub fn standing(&self) -> String {
        match (self.status.as_str(), &self.claimed_by, self.claimed_at) {
            ("claimed", Some(by), Some(since)) => format!("{by} since {}", since.format("%H:%M")),
            (status, ..) => status.to_string(),
        }
    }

    /// The SQL check in a line, or that there was none.
    pub fn check_line(&self) -> &str {
        self.check.as_deref().unwrap_or("not checked")
    }
}

/// A claim held: the token every later step must show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Claim {
    pub id: String,
    pub token: String,
    pub by: String,
    pub until: DateTime<Utc>,
}

/// Why a claim, a renewal or an action was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Someone else holds it.
    Taken { by: String, since: DateTime<Utc> },
    /// It was acted on already.
    Settled { by: String, outcome: String },
    /// The claim shown is no longer the review's (it lapsed, was taken and let go): the review
    /// is free again.
    Lost,
    /// No pending review has this id.
    Missing,
    /// The store could not be asked.
    Store(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Taken { by, since } => write!(
                f,
                "being reviewed by {by} since {}",
                since.format("%Y-%m-%d %H:%M UTC")
            ),
            Refused::Settled { by, outcome } => write!(f, "already settled by {by}: {outcome}"),
            Refused::Lost => f.write_str(
                "the claim was lost (its lease lapsed and another took it); the review is back in the inbox: open it again",
            ),
            Refused::Missing => f.write_str("no pending review has this id"),
            Refused::Store(e) => write!(f, "the store could not be asked: {e}"),
        }
    }
}

/// Which pending reviews to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub role: Option<String>,
    /// Only reviews older than this.
    pub older_than: Option<Duration>,
    /// Settled ones too.
    pub all: bool,
    pub limit: Option<usize>,
}

/// What a pending review is listed with, read once from the review when it is enqueued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Summary {
    pub title: String,
    pub decision: String,
    pub check: Option<String>,
}

impl Summary {
    pub fn of(review: &DeferredReview, check: Option<String>) -> Summary {
        let title = review
            .brief
            .lines()
            .map(|l| l.trim().trim_start_matches('#').trim())
            .find(|l| !l.is_empty())
            .unwrap_or("(empty brief)")
            .chars()
            .take(120)
            .collect();
        let decision = review
            .attempts
            .last()
            .and_then(|a| a.decision.as_ref())
            .map_or("none", |d| d.status.as_str())
            .to_string();
        Summary {
            title,
            decision,
            check,
        }
    }
}

/// Reads a team store URL (`what` names where it was given): it must parse, and hold no
/// password — a password goes in `PGPASSWORD`, never in a file or a command line.
pub fn parse_url(url: &str, what: &str) -> Result<tokio_postgres::Config, String> {
    let config: tokio_postgres::Config = url.parse().map_err(|e| {
        format!("{what} does not parse ({e}): write it as postgresql://user@host:port/dbname")
    })?;
    if config.get_password().is_some() {
        return Err(format!(
            "{what} holds a password: take it out and set PGPASSWORD instead (a password is never written to a file or a command line)"
        ));
    }
    Ok(config)
}

/// The team store's URL: `--store-url` over `[store] url`; none means this machine's SQLite.
/// Where its password comes from (`[store] password_env` or `password_cmd`, else PGPASSWORD) is
/// kept for the connections this process makes: the password itself is read when connecting,
/// and kept nowhere.
pub fn store_url(
    flag: Option<&str>,
    config: &crate::config::StoreConfig,
) -> Result<Option<String>, String> {
    use crate::provider::choose::KeySource;
    let source = match (&config.password_cmd, &config.password_env) {
        (Some(cmd), _) => KeySource::Command(cmd.get_ref().clone()),
        (None, Some(var)) => KeySource::Env(var.get_ref().clone()),
        (None, None) => KeySource::Env("PGPASSWORD".into()),
    };
    postgres::password_from(source);
    connect::trust(config.ca_file.clone());
    match flag {
        Some(url) => parse_url(url, "--store-url").map(|_| Some(url.to_string())),
        None => Ok(config.url.as_ref().map(|u| u.get_ref().clone())),
    }
}

/// An age as a person writes it: `90s`, `30m`, `2h`, `3d`.
pub fn parse_age(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not an age: write 90s, 30m, 2h or 3d"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{text}` is not an age: write 90s, 30m, 2h or 3d")),
    };
    Ok(Duration::from_secs(n.saturating_mul(seconds)))
}

/// How long ago `then` was, as `45s`, `12m`, `3h`, `2d`.
pub fn age(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let s = (now - then).num_seconds().max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// Tells `heard` whenever the inbox may have changed, until it returns false — once as soon as
/// it listens, then for each change: the team store announces each review enqueued (NOTIFY);
/// this machine's file is asked, twice a second, whether anyone wrote to it (SQLite's data
/// version, which costs no read of the data).
pub async fn watch(
    url: Option<&str>,
    sqlite: &std::path::Path,
    heard: impl Fn() -> bool + Send + 'static,
) -> Result<(), String> {
    match url {
        Some(url) => postgres::listen(url, heard).await,
        None => {
            // A connection of its own (the version is per connection), behind a lock so the
            // watch can run as a task and stop when it is aborted.
            let store = crate::store::sessions::Shared::new(
                crate::store::sessions::Store::open(sqlite).map_err(|e| e.to_string())?,
            );
            let version = || {
                store
                    .with(crate::store::sessions::Store::data_version)
                    .unwrap_or(0)
            };
            let mut seen = version();
            if !heard() {
                return Ok(());
            }
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let now = version();
                if now != seen {
                    seen = now;
                    if !heard() {
                        return Ok(());
                    }
                }
            }
        }
    }
}

/// The inbox, in whichever store the configuration names.
pub enum Inbox {
    Sqlite(SqliteInbox),
    Postgres(Box<PgInbox>),
}

impl Inbox {
    /// The team's PostgreSQL when `url` is given, else this machine's session store.
    pub async fn open(url: Option<&str>, sqlite: &std::path::Path) -> Result<Inbox, String> {
        match url {
            Some(url) => Ok(Inbox::Postgres(Box::new(PgInbox::connect(url).await?))),
            None => Ok(Inbox::Sqlite(SqliteInbox::open(sqlite)?)),
        }
    }

    /// Runs `act` with its audit record, in one transaction: the review changed, or none when
    /// the act was refused (the claim it names is no longer the holder's, nothing waits…).
    pub async fn write(&self, act: &Act) -> Result<Option<Done>, String> {
        match self {
            Inbox::Sqlite(s) => s.write(act),
            Inbox::Postgres(p) => p.write(act).await,
        }
    }

    /// Leaves `review` pending; returns its id. Leaving it again does nothing.
    pub async fn enqueue(
        &self,
        review: &DeferredReview,
        origin: &Origin,
        check: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<String, String> {
        let act = Act::enqueue(review, origin, check, at)?;
        match self.write(&act).await {
            Ok(Some(_)) => Ok(review.id.clone()),
            Ok(None) => Err(format!(
                "cannot leave the review in the inbox: another review has its id {}",
                review.id
            )),
            Err(e) => Err(format!("cannot leave the review in the inbox: {e}")),
        }
    }

    /// The reviews waiting, oldest first (claimed ones say by whom).
    pub async fn list(&self, filter: &Filter, at: DateTime<Utc>) -> Result<Vec<Row>, String> {
        match self {
            Inbox::Sqlite(s) => s.list(filter, at),
            Inbox::Postgres(p) => p.list(filter, at).await,
        }
    }

    /// The review whose id is `id` or starts with it (exactly one must).
    pub async fn get(&self, id: &str) -> Result<(Row, DeferredReview), String> {
        let found = match self {
            Inbox::Sqlite(s) => s.get(id)?,
            Inbox::Postgres(p) => p.get(id).await?,
        };
        let mut found = found.into_iter();
        match (found.next(), found.next()) {
            (Some((row, review)), None) => {
                let review: DeferredReview = serde_json::from_str(&review)
                    .map_err(|e| format!("review {} cannot be read: {e}", row.id))?;
                Ok((row, review))
            }
            (None, _) => Err(format!(
                "no review in the inbox starts with `{id}`: `archbench inbox list` shows them"
            )),
            (Some(_), Some(_)) => Err(format!(
                "more than one review starts with `{id}`: give more of the id"
            )),
        }
    }

    /// Claims review `id` for `by` until `at + lease`: refused while another's lease holds. The
    /// holder may claim it again (a workbench restarted after a crash need not wait for its own
    /// lease to lapse); their earlier claim is then lost.
    pub async fn claim(
        &self,
        id: &str,
        by: &str,
        lease: Duration,
        at: DateTime<Utc>,
    ) -> Result<Claim, Refused> {
        let token = uuid::Uuid::new_v4().to_string();
        let until = at + lease;
        let act = Act::Claim {
            id: id.to_string(),
            by: by.to_string(),
            token: token.clone(),
            at,
            until,
        };
        if self.write(&act).await.map_err(Refused::Store)?.is_some() {
            return Ok(Claim {
                id: id.to_string(),
                token,
                by: by.to_string(),
                until,
            });
        }
        Err(self.why_not(id, at).await)
    }

    /// Claims the oldest review nobody holds (skipping those being claimed this instant):
    /// `None` when none waits.
    pub async fn claim_next(
        &self,
        by: &str,
        role: Option<&str>,
        lease: Duration,
        at: DateTime<Utc>,
    ) -> Result<Option<Claim>, String> {
        let token = uuid::Uuid::new_v4().to_string();
        let until = at + lease;
        let act = Act::ClaimNext {
            by: by.to_string(),
            role: role.map(str::to_string),
            token: token.clone(),
            at,
            until,
        };
        Ok(self.write(&act).await?.map(|done| Claim {
            id: done.id,
            token,
            by: by.to_string(),
            until,
        }))
    }

    /// Keeps the claim another `lease`: refused if it was lost meanwhile.
    pub async fn renew(
        &self,
        claim: &Claim,
        lease: Duration,
        at: DateTime<Utc>,
    ) -> Result<Claim, Refused> {
        let until = at + lease;
        let kept = match self {
            Inbox::Sqlite(s) => s.renew(&claim.id, &claim.token, until),
            Inbox::Postgres(p) => p.renew(&claim.id, &claim.token, until).await,
        }
        .map_err(Refused::Store)?;
        if kept {
            return Ok(Claim {
                until,
                ..claim.clone()
            });
        }
        Err(self.why_not(&claim.id, at).await)
    }

    /// Lets the review go back to the inbox.
    pub async fn release(&self, claim: &Claim) -> Result<(), String> {
        self.write(&Act::release(claim, Utc::now()))
            .await
            .map(|_| ())
    }

    /// Settles the review under `claim` with `outcome` (`handed off to X`, `rejected`): once
    /// only, and only while the claim is still the holder's — a lease that lapsed and was
    /// taken by another is refused; one that lapsed with nobody else claiming still holds.
    pub async fn settle(
        &self,
        claim: &Claim,
        outcome: &str,
        at: DateTime<Utc>,
    ) -> Result<(), Refused> {
        let act = Act::settle(claim, outcome, at);
        if self.write(&act).await.map_err(Refused::Store)?.is_some() {
            return Ok(());
        }
        Err(self.why_not(&claim.id, at).await)
    }

    /// Takes back a settlement whose handoff could not be made (the outbox or the audit log
    /// refused it): the review is pending again under the same claim, to be tried again.
    pub async fn unsettle(&self, claim: &Claim, at: DateTime<Utc>) -> Result<(), String> {
        self.write(&Act::Unsettle {
            id: claim.id.clone(),
            by: claim.by.clone(),
            token: claim.token.clone(),
            at,
            until: at + LEASE,
        })
        .await
        .map(|_| ())
    }

    /// The store's audit chain as an audit log's bytes, and its head: for
    /// [`crate::store::audit::verify_bytes`], the verifier of every log.
    pub async fn audit_chain(&self) -> Result<(Vec<u8>, (u64, String)), String> {
        let (lines, head) = match self {
            Inbox::Sqlite(s) => s.audit_lines()?,
            Inbox::Postgres(p) => p.audit_lines().await?,
        };
        let mut bytes = Vec::new();
        for line in lines {
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
        }
        Ok((bytes, head))
    }

    /// Why a claim or an action on `id` did not take.
    pub async fn why_not(&self, id: &str, at: DateTime<Utc>) -> Refused {
        let state = match self {
            Inbox::Sqlite(s) => s.state(id),
            Inbox::Postgres(p) => p.state(id).await,
        };
        match state {
            Err(e) => Refused::Store(e),
            Ok(None) => Refused::Missing,
            Ok(Some(s)) if s.settled => Refused::Settled {
                by: s.settled_by.unwrap_or_default(),
                outcome: s.outcome.unwrap_or_default(),
            },
            Ok(Some(s)) => match (s.claimed_by, s.claimed_at, s.lease_until) {
                (Some(by), Some(since), Some(until)) if until > at => Refused::Taken { by, since },
                _ => Refused::Lost,
            },
        }
    }
}

/// Where a review stands, to say why something was refused.
#[derive(Debug, Clone, Default)]
struct State {
    settled: bool,
    settled_by: Option<String>,
    outcome: Option<String>,
    claimed_by: Option<String>,
    claimed_at: Option<DateTime<Utc>>,
    lease_until: Option<DateTime<Utc>>,
}

/// A row's status as listed at `at`.
fn status(settled: bool, lease_until: Option<DateTime<Utc>>, at: DateTime<Utc>) -> String {
    if settled {
        "settled"
    } else if lease_until.is_some_and(|u| u > at) {
        "claimed"
    } else {
        "pending"
    }
    .to_string()
}
