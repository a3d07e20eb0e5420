//! The inbox in a team's PostgreSQL: pipelines and reviewers on many machines share it. Its
//! schema is versioned (`archbench_migrations`), migrated under an advisory lock so two
//! archbench starting at once do not both migrate; a claim is one conditional UPDATE (the row's
//! lock makes the second of two racing reviewers see the first's claim), the next review is
//! chosen `FOR UPDATE SKIP LOCKED` (reviewers asking together get different ones), and every
//! review enqueued is announced with NOTIFY in its transaction, so inboxes update at once. Every
//! act is recorded in the team's audit chain in the transaction that makes it.

mod acts;
mod migrations;

use super::{status, Act, Done, Filter, Origin, Row, State};
use acts::{write_once, Failed};
use chrono::{DateTime, Utc};
use migrations::migrate;
use tokio_postgres::Client;

/// The channel a new review is announced on (its id as the payload).
pub const CHANNEL: &str = "archbench_inbox";

/// The channel a run's copy is announced on (its session's id as the payload).
pub const SESSIONS: &str = "archbench_sessions";

/// The channel a watcher's comment is announced on (its run's key as the payload).
pub const COMMENTS: &str = "archbench_comments";

pub struct PgInbox {
    config: tokio_postgres::Config,
    /// The connection acts are written on, one transaction at a time (a transaction needs a
    /// connection of its own); made when first needed, again when the store dropped it.
    writer: tokio::sync::Mutex<Option<Client>>,
    /// Made again when the store dropped it (a restart, a failover): the claims live in the
    /// store, so a reviewer's claim outlives the connection.
    client: tokio::sync::Mutex<std::sync::Arc<Client>>,
}

/// `$body` run on the connection `$c`; once more on a new connection if the store had closed
/// the old one (a restart): a statement is never run twice, since a closed connection ran
/// nothing.
macro_rules! retried {
    ($self:ident, |$c:ident| $body:expr) => {{
        let $c = $self.client().await?;
        match $body {
            Err(e) if dropped(&e) => {
                let $c = $self.reconnect(&$c).await?;
                $body
            }
            done => done,
        }
    }};
}

/// `$body` run on the writing connection `$c` (made when first needed), once more on a new
/// connection if the store dropped it; a store still away is said with
/// [`super::queue::UNREACHABLE`], so what was to be written is kept for later.
macro_rules! on_writer {
    ($self:ident, |$c:ident| $body:expr) => {{
        let mut slot = $self.writer.lock().await;
        let mut tries = 0;
        loop {
            tries += 1;
            if slot.as_ref().is_none_or(Client::is_closed) {
                *slot = Some(open(&$self.config).await?);
            }
            let Some($c) = slot.as_mut() else {
                continue;
            };
            match $body {
                Err(Failed::Sql(e)) if dropped(&e) && tries < 2 => *slot = None,
                Err(Failed::Sql(e)) if dropped(&e) => {
                    *slot = None;
                    break Err(format!(
                        "{}: {}",
                        crate::store::inbox::queue::UNREACHABLE,
                        sql_error(e)
                    ));
                }
                Err(Failed::Sql(e)) => break Err(sql_error(e)),
                Err(Failed::Chain(e)) => break Err(e),
                Ok(done) => break Ok(done),
            }
        }
    }};
}

mod sessions;
pub use sessions::TeamRun;

const COLUMNS: &str = "id, role_id, title, decision, check_summary, created_at, origin_who, \
                       origin_how, status, claimed_by, claimed_at, lease_until";

fn row(r: &tokio_postgres::Row, at: DateTime<Utc>) -> Row {
    let settled = r.get::<_, String>(8) == "settled";
    let lease_until: Option<DateTime<Utc>> = r.get(11);
    Row {
        id: r.get(0),
        role: r.get(1),
        title: r.get(2),
        decision: r.get(3),
        check: r.get(4),
        created_at: r.get(5),
        origin: Origin {
            who: r.get(6),
            how: r.get(7),
        },
        status: status(settled, lease_until, at),
        claimed_by: r.get(9),
        claimed_at: r.get(10),
        lease_until,
    }
}

/// Whether `e` says the store dropped the connection: closed under it, or ended by the server
/// (an administrator, a shutdown, a crash) — the statement then did not take effect.
fn dropped(e: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    e.is_closed()
        || e.code().is_some_and(|c| {
            [
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
            ]
            .contains(c)
        })
}

pub(super) fn sql_error(e: tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => {
            // With its causes: "error performing TLS handshake" alone does not say which.
            let mut said = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                said.push_str(&format!(": {c}"));
                cause = c.source();
            }
            said
        }
    }
}

/// Where the store's password comes from, once the configuration said (else PGPASSWORD).
static PASSWORD: std::sync::OnceLock<crate::provider::choose::KeySource> =
    std::sync::OnceLock::new();

/// Where this process's connections to the team store read their password from.
pub(super) fn password_from(source: crate::provider::choose::KeySource) {
    let _ = PASSWORD.set(source);
}

/// The connection settings for `url`, its password read now from its source (never written
/// anywhere, never in a message).
fn config(url: &str) -> Result<tokio_postgres::Config, String> {
    use crate::provider::choose::KeySource;
    let mut config = super::parse_url(url, "the team store's URL")?;
    let source = PASSWORD.get_or_init(|| KeySource::Env("PGPASSWORD".into()));
    let password = source
        .read(&|var| std::env::var(var).ok())
        .map_err(|e| format!("the team store's password: {e}"))?;
    if let Some(password) = password {
        config.password(password);
    }
    config.application_name("archbench");
    config.connect_timeout(std::time::Duration::from_secs(10));
    Ok(config)
}

/// Tells `heard` each time a review is enqueued in the team store at `url` (NOTIFY, no polling),
/// until `heard` returns false. A connection lost (the store restarting) is made again, a second
/// later, and `heard` is told then too: what was enqueued meanwhile was not announced to it.
pub async fn listen(url: &str, heard: impl Fn() -> bool + Send + 'static) -> Result<(), String> {
    listen_on(url, CHANNEL, heard).await
}

/// Tells `heard` of each notification on `channel`, as [`listen`] does.
pub async fn listen_on(
    url: &str,
    channel: &str,
    heard: impl Fn() -> bool + Send + 'static,
) -> Result<(), String> {
    let config = config(url)?;
    loop {
        if let Ok((client, mut notified)) = super::connect::connect(&config).await {
            if client
                .batch_execute(&format!("LISTEN {channel}"))
                .await
                .is_ok()
            {
                if !heard() {
                    return Ok(());
                }
                while notified.recv().await.is_some() {
                    if !heard() {
                        return Ok(());
                    }
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

impl PgInbox {
    /// Connects to the team store at `url` and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<PgInbox, String> {
        let config = config(url)?;
        let client = open(&config).await?;
        migrate(&client).await?;
        Ok(PgInbox {
            config,
            writer: tokio::sync::Mutex::new(None),
            client: tokio::sync::Mutex::new(std::sync::Arc::new(client)),
        })
    }

    /// The connection, made again if the store closed it.
    async fn client(&self) -> Result<std::sync::Arc<Client>, String> {
        let mut slot = self.client.lock().await;
        if slot.is_closed() {
            *slot = std::sync::Arc::new(open(&self.config).await?);
        }
        Ok(slot.clone())
    }

    /// A new connection in place of `dead` (unless another call made one already).
    async fn reconnect(
        &self,
        dead: &std::sync::Arc<Client>,
    ) -> Result<std::sync::Arc<Client>, String> {
        let mut slot = self.client.lock().await;
        if std::sync::Arc::ptr_eq(&slot, dead) {
            *slot = std::sync::Arc::new(open(&self.config).await?);
        }
        Ok(slot.clone())
    }

    /// Runs `act` and, when it took effect, appends its record to the team's chain: one
    /// transaction, on this process's writing connection. The chain's head row is locked
    /// (`FOR UPDATE`) for the rest of the transaction, so writers on every machine append one at
    /// a time and the chain stays one line; the row the act changed is locked first, so two
    /// writers never wait on each other in turn. Run once more on a new connection if the store
    /// dropped it: a transaction not committed took no effect, and one whose commit went
    /// unanswered is found done (every act can be run twice and takes effect once).
    pub(super) async fn write(&self, act: &Act) -> Result<Option<Done>, String> {
        on_writer!(self, |client| write_once(client, act).await)
    }

    /// The chain's lines in order, and its head.
    pub(super) async fn audit_lines(&self) -> Result<(Vec<String>, (u64, String)), String> {
        let rows = retried!(self, |c| c
            .query("SELECT line FROM archbench_audit ORDER BY seq", &[])
            .await)
        .map_err(sql_error)?;
        let head = retried!(self, |c| c
            .query_one("SELECT seq, sha256 FROM archbench_audit_head", &[])
            .await)
        .map_err(sql_error)?;
        Ok((
            rows.iter().map(|r| r.get(0)).collect(),
            (head.get::<_, i64>(0) as u64, head.get(1)),
        ))
    }

    pub(super) async fn list(
        &self,
        filter: &Filter,
        at: DateTime<Utc>,
    ) -> Result<Vec<Row>, String> {
        let before: Option<DateTime<Utc>> = filter
            .older_than
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| at - d);
        let limit = filter.limit.map(|l| l as i64);
        let rows = retried!(self, |c| c
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM archbench_pending_reviews
                     WHERE ($1 OR status = 'pending') AND ($2::text IS NULL OR role_id = $2)
                       AND ($3::timestamptz IS NULL OR created_at < $3)
                     ORDER BY created_at, id LIMIT $4"
                ),
                &[&filter.all, &filter.role, &before, &limit],
            )
            .await)
        .map_err(sql_error)?;
        Ok(rows.iter().map(|r| row(r, at)).collect())
    }

    pub(super) async fn get(&self, prefix: &str) -> Result<Vec<(Row, String)>, String> {
        let rows = retried!(self, |c| c
            .query(
                &format!(
                    // The whole id by its key; only a shorter one is looked for as a prefix.
                    "SELECT {COLUMNS}, review::text FROM archbench_pending_reviews WHERE id = $1
                     UNION ALL
                     SELECT {COLUMNS}, review::text FROM archbench_pending_reviews
                     WHERE NOT EXISTS (SELECT 1 FROM archbench_pending_reviews WHERE id = $1)
                       AND left(id, length($1)) = $1
                     LIMIT 2"
                ),
                &[&prefix],
            )
            .await)
        .map_err(sql_error)?;
        let now = Utc::now();
        Ok(rows.iter().map(|r| (row(r, now), r.get(12))).collect())
    }

    pub(super) async fn renew(
        &self,
        id: &str,
        token: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, String> {
        retried!(self, |c| c
            .execute(
                "UPDATE archbench_pending_reviews SET lease_until = $3
                 WHERE id = $1 AND claim_token = $2 AND status = 'pending'",
                &[&id, &token, &until],
            )
            .await)
        .map(|n| n == 1)
        .map_err(sql_error)
    }

    pub(super) async fn state(&self, id: &str) -> Result<Option<State>, String> {
        let row = retried!(self, |c| c
            .query_opt(
                "SELECT status, settled_by, outcome, claimed_by, claimed_at, lease_until
                 FROM archbench_pending_reviews WHERE id = $1",
                &[&id],
            )
            .await)
        .map_err(sql_error)?;
        Ok(row.map(|r| State {
            settled: r.get::<_, String>(0) == "settled",
            settled_by: r.get(1),
            outcome: r.get(2),
            claimed_by: r.get(3),
            claimed_at: r.get(4),
            lease_until: r.get(5),
        }))
    }
}

/// A connection to the team store, its messages driven on a task of its own.
async fn open(config: &tokio_postgres::Config) -> Result<Client, String> {
    super::connect::connect(config)
        .await
        .map(|(client, _)| client)
}
