//! The inbox in a team's PostgreSQL: pipelines and reviewers on many machines share it. Its
//! schema is versioned (`archbench_migrations`), migrated under an advisory lock so two
//! archbench starting at once do not both migrate; a claim is one conditional UPDATE (the row's
//! lock makes the second of two racing reviewers see the first's claim), the next review is
//! chosen `FOR UPDATE SKIP LOCKED` (reviewers asking together get different ones), and every
//! review enqueued is announced with NOTIFY in the same statement, so inboxes update at once.

use super::{status, Filter, Origin, Row, State, Summary};
use crate::store::deferred::DeferredReview;
use chrono::{DateTime, Utc};
use tokio_postgres::Client;

/// The channel a new review is announced on (its id as the payload).
pub const CHANNEL: &str = "archbench_inbox";

/// Each migration takes the team store from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &["CREATE TABLE archbench_pending_reviews (
        id text PRIMARY KEY,
        role_id text NOT NULL,
        title text NOT NULL,
        decision text NOT NULL,
        check_summary text,
        created_at timestamptz NOT NULL,
        origin_who text NOT NULL,
        origin_how text NOT NULL,
        review jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'settled')),
        claimed_by text,
        claim_token text,
        claimed_at timestamptz,
        lease_until timestamptz,
        outcome text,
        settled_by text,
        settled_at timestamptz
    );
    CREATE INDEX archbench_pending_reviews_waiting
        ON archbench_pending_reviews (created_at, id) WHERE status = 'pending';"];

pub struct PgInbox {
    config: tokio_postgres::Config,
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
        None => e.to_string(),
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
    let config = config(url)?;
    loop {
        if let Ok((client, mut notified)) = super::connect::connect(&config).await {
            if client
                .batch_execute(&format!("LISTEN {CHANNEL}"))
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

    pub(super) async fn enqueue(
        &self,
        review: &DeferredReview,
        origin: &Origin,
        summary: &Summary,
        at: DateTime<Utc>,
    ) -> Result<String, String> {
        let json = serde_json::to_string(review).map_err(|e| e.to_string())?;
        // The row and its announcement in one statement: a listener never hears of a review it
        // cannot read, and a review is never stored unannounced.
        retried!(self, |c| c
            .execute(
                &format!(
                    "WITH added AS (
                       INSERT INTO archbench_pending_reviews (id, role_id, title, decision,
                         check_summary, created_at, origin_who, origin_how, review, status)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb, 'pending') RETURNING id)
                     SELECT pg_notify('{CHANNEL}', id) FROM added"
                ),
                &[
                    &review.id,
                    &review.role_id,
                    &summary.title,
                    &summary.decision,
                    &summary.check,
                    &at,
                    &origin.who,
                    &origin.how,
                    &json,
                ],
            ).await)
            .map_err(|e| format!("cannot leave the review in the inbox: {}", sql_error(e)))?;
        Ok(review.id.clone())
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

    pub(super) async fn claim(
        &self,
        id: &str,
        by: &str,
        token: &str,
        at: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, String> {
        retried!(self, |c| c
            .execute(
                "UPDATE archbench_pending_reviews SET claimed_by = $2, claim_token = $3,
                   claimed_at = $4, lease_until = $5
                 WHERE id = $1 AND status = 'pending'
                   AND (claim_token IS NULL OR lease_until <= $4 OR claimed_by = $2)",
                &[&id, &by, &token, &at, &until],
            )
            .await)
        .map(|n| n == 1)
        .map_err(sql_error)
    }

    pub(super) async fn claim_next(
        &self,
        by: &str,
        role: Option<&str>,
        token: &str,
        at: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<String>, String> {
        let row = retried!(self, |c| c
            .query_opt(
                "WITH next AS (
                   SELECT id FROM archbench_pending_reviews
                   WHERE status = 'pending' AND (claim_token IS NULL OR lease_until <= $3)
                     AND ($5::text IS NULL OR role_id = $5)
                   ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
                 UPDATE archbench_pending_reviews p SET claimed_by = $1, claim_token = $2,
                   claimed_at = $3, lease_until = $4
                 FROM next WHERE p.id = next.id RETURNING p.id",
                &[&by, &token, &at, &until, &role],
            )
            .await)
        .map_err(sql_error)?;
        Ok(row.map(|r| r.get(0)))
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

    pub(super) async fn release(&self, id: &str, token: &str) -> Result<(), String> {
        retried!(self, |c| c
            .execute(
                "UPDATE archbench_pending_reviews SET claimed_by = NULL, claim_token = NULL,
                   claimed_at = NULL, lease_until = NULL
                 WHERE id = $1 AND claim_token = $2 AND status = 'pending'",
                &[&id, &token],
            )
            .await)
        .map(|_| ())
        .map_err(sql_error)
    }

    pub(super) async fn settle(
        &self,
        id: &str,
        token: &str,
        outcome: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, String> {
        retried!(self, |c| c
            .execute(
                "UPDATE archbench_pending_reviews SET status = 'settled', outcome = $3,
                   settled_by = claimed_by, settled_at = $4, lease_until = NULL
                 WHERE id = $1 AND claim_token = $2 AND status = 'pending'",
                &[&id, &token, &outcome, &at],
            )
            .await)
        .map(|n| n == 1)
        .map_err(sql_error)
    }

    pub(super) async fn unsettle(
        &self,
        id: &str,
        token: &str,
        until: DateTime<Utc>,
    ) -> Result<(), String> {
        retried!(self, |c| c
            .execute(
                "UPDATE archbench_pending_reviews SET status = 'pending', outcome = NULL,
                   settled_by = NULL, settled_at = NULL, lease_until = $3
                 WHERE id = $1 AND claim_token = $2 AND status = 'settled'",
                &[&id, &token, &until],
            )
            .await)
        .map(|_| ())
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

/// Applies the migrations this store lacks, one transaction each, under an advisory lock.
async fn migrate(client: &Client) -> Result<(), String> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS archbench_migrations (
                 version integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .await
        .or_else(|e| {
            // Two archbench creating it at the same instant: the other one did.
            if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
                Ok(())
            } else {
                Err(format!("cannot prepare the team store: {}", sql_error(e)))
            }
        })?;
    for (i, migration) in MIGRATIONS.iter().enumerate() {
        let version = i as i32 + 1;
        if let Err(e) = apply(client, version, migration).await {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(format!(
                "cannot migrate the team store to version {version}: {}",
                sql_error(e)
            ));
        }
    }
    let newest: Option<i32> = client
        .query_one("SELECT max(version) FROM archbench_migrations", &[])
        .await
        .map_err(sql_error)?
        .get(0);
    if newest.unwrap_or(0) as usize > MIGRATIONS.len() {
        return Err(format!(
            "the team store has schema version {}, newer than this archbench knows ({}): update archbench",
            newest.unwrap_or(0),
            MIGRATIONS.len()
        ));
    }
    Ok(())
}

/// Migration `version`, unless another archbench applied it first (the lock makes the
/// second wait for the first, then see its row).
async fn apply(
    client: &Client,
    version: i32,
    migration: &str,
) -> Result<(), tokio_postgres::Error> {
    client
        .batch_execute("BEGIN; SELECT pg_advisory_xact_lock(hashtext('archbench_migrations'));")
        .await?;
    let done = client
        .query_opt(
            "SELECT 1 FROM archbench_migrations WHERE version = $1",
            &[&version],
        )
        .await?
        .is_some();
    if !done {
        client.batch_execute(migration).await?;
        client
            .execute(
                "INSERT INTO archbench_migrations (version) VALUES ($1)",
                &[&version],
            )
            .await?;
    }
    client.batch_execute("COMMIT").await
}
