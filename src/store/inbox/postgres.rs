//! The inbox in a team's PostgreSQL: pipelines and reviewers on many machines share it. Its
//! schema is versioned (`archbench_migrations`), migrated under an advisory lock so two
//! archbench starting at once do not both migrate; a claim is one conditional UPDATE (the row's
//! lock makes the second of two racing reviewers see the first's claim), the next review is
//! chosen `FOR UPDATE SKIP LOCKED` (reviewers asking together get different ones), and every
//! review enqueued is announced with NOTIFY in its transaction, so inboxes update at once. Every
//! act is recorded in the team's audit chain in the transaction that makes it.

use super::{status, Act, Done, Filter, Origin, Row, State};
use chrono::{DateTime, Utc};
use tokio_postgres::{Client, Transaction};

/// The channel a new review is announced on (its id as the payload).
pub const CHANNEL: &str = "archbench_inbox";

/// Each migration takes the team store from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE archbench_pending_reviews (
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
        ON archbench_pending_reviews (created_at, id) WHERE status = 'pending';",
    // The team's audit chain: the lines an audit log holds, each naming the sha256 of the one
    // before; the head row is what writers lock to append one at a time. A record copied from a
    // machine's audit log names it (`source`: the log and the record's number) and is taken once. Append-only: the store
    // refuses to change or delete a record (an owner who drops the trigger is still found out
    // by `archbench audit verify --team`).
    "CREATE TABLE archbench_audit (
        seq bigint PRIMARY KEY,
        line text NOT NULL,
        sha256 text NOT NULL,
        source text UNIQUE
    );
    CREATE TABLE archbench_audit_head (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        seq bigint NOT NULL,
        sha256 text NOT NULL
    );
    INSERT INTO archbench_audit_head (seq, sha256)
        VALUES (0, '0000000000000000000000000000000000000000000000000000000000000000');
    CREATE FUNCTION archbench_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the audit chain is append-only'; END $$;
    CREATE TRIGGER archbench_audit_append_only BEFORE UPDATE OR DELETE ON archbench_audit
        FOR EACH ROW EXECUTE FUNCTION archbench_audit_append_only();",
];

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
        let mut slot = self.writer.lock().await;
        let mut tries = 0;
        loop {
            tries += 1;
            if slot.as_ref().is_none_or(Client::is_closed) {
                *slot = Some(open(&self.config).await?);
            }
            let Some(client) = slot.as_mut() else {
                continue;
            };
            match write_once(client, act).await {
                Err(Failed::Sql(e)) if dropped(&e) && tries < 2 => *slot = None,
                Err(Failed::Sql(e)) if dropped(&e) => {
                    *slot = None;
                    return Err(format!("{}: {}", super::queue::UNREACHABLE, sql_error(e)));
                }
                Err(Failed::Sql(e)) => return Err(sql_error(e)),
                Err(Failed::Chain(e)) => return Err(e),
                Ok(done) => return Ok(done),
            }
        }
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

/// Applies the migrations this store lacks, one transaction each, under an advisory lock.
async fn migrate(client: &Client) -> Result<(), String> {
    // Under the migrations' lock: two archbench meeting a new store at once would otherwise
    // both create the table, and one of them fail.
    let created = client
        .batch_execute(
            "BEGIN;
             SELECT pg_advisory_xact_lock(hashtext('archbench_migrations'));
             CREATE TABLE IF NOT EXISTS archbench_migrations (
                 version integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now());
             COMMIT;",
        )
        .await;
    if let Err(e) = created {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(format!("cannot prepare the team store: {}", sql_error(e)));
    }
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

/// Why a write did not go through.
enum Failed {
    Sql(tokio_postgres::Error),
    Chain(String),
}

impl From<tokio_postgres::Error> for Failed {
    fn from(e: tokio_postgres::Error) -> Self {
        Failed::Sql(e)
    }
}

async fn write_once(client: &mut Client, act: &Act) -> Result<Option<Done>, Failed> {
    let tx = client.transaction().await?;
    let done = run(&tx, act).await?;
    if let Some(done) = done.as_ref().filter(|d| d.fresh) {
        append(&tx, &act.entry(done), act.source()).await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// What the changed row returns: enough to name the review in the audit record.
const CHANGED: &str = "RETURNING id, role_id, review->>'chain_id'";

fn changed(r: &tokio_postgres::Row) -> Done {
    Done {
        id: r.get(0),
        role: r.get(1),
        chain_id: r.get::<_, Option<String>>(2).unwrap_or_default(),
        fresh: true,
    }
}

type Params<'a> = &'a [&'a (dyn tokio_postgres::types::ToSql + Sync)];

/// `sql`, returning the row it changed.
async fn one(
    tx: &Transaction<'_>,
    sql: &str,
    params: Params<'_>,
) -> Result<Option<Done>, tokio_postgres::Error> {
    tx.query_opt(&format!("{sql} {CHANGED}"), params)
        .await
        .map(|r| r.as_ref().map(changed))
}

/// `done`, else the review `id` ($1) as claim $2 left it, when it also meets `condition`: an
/// act that had taken effect already, done without a new record.
async fn or_already(
    tx: &Transaction<'_>,
    done: Option<Done>,
    condition: &str,
    params: Params<'_>,
) -> Result<Option<Done>, tokio_postgres::Error> {
    if done.is_some() {
        return Ok(done);
    }
    let again = tx
        .query_opt(
            &format!(
                "SELECT id, role_id, review->>'chain_id' FROM archbench_pending_reviews
                 WHERE id = $1 AND claim_token = $2 AND {condition}"
            ),
            params,
        )
        .await?;
    Ok(again.as_ref().map(|r| Done {
        fresh: false,
        ..changed(r)
    }))
}

/// Runs `act` in `tx`: the review it changed, or none when it was refused.
async fn run(tx: &Transaction<'_>, act: &Act) -> Result<Option<Done>, tokio_postgres::Error> {
    match act {
        Act::Enqueue {
            id,
            role,
            chain_id,
            review,
            origin,
            summary,
            at,
        } => {
            let added = one(
                tx,
                "INSERT INTO archbench_pending_reviews (id, role_id, title, decision,
                   check_summary, created_at, origin_who, origin_how, review, status)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb, 'pending')
                 ON CONFLICT (id) DO NOTHING",
                &[
                    id,
                    role,
                    &summary.title,
                    &summary.decision,
                    &summary.check,
                    at,
                    &origin.who,
                    &origin.how,
                    review,
                ],
            )
            .await?;
            if added.is_some() {
                // Heard by every listening inbox when the transaction commits, not before: a
                // listener never hears of a review it cannot read.
                tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, id])
                    .await?;
                return Ok(added);
            }
            // This very review left already (a replay): done, nothing new to record. Another
            // under its id is refused.
            let same = tx
                .query_opt(
                    "SELECT 1 FROM archbench_pending_reviews WHERE id = $1 AND review = $2::text::jsonb",
                    &[id, review],
                )
                .await?;
            Ok(same.map(|_| Done {
                id: id.clone(),
                role: role.clone(),
                chain_id: chain_id.clone(),
                fresh: false,
            }))
        }
        Act::Claim {
            id,
            by,
            token,
            at,
            until,
        } => {
            one(
                tx,
                "UPDATE archbench_pending_reviews SET claimed_by = $2, claim_token = $3,
                   claimed_at = $4, lease_until = $5
                 WHERE id = $1 AND status = 'pending'
                   AND (claim_token IS NULL OR lease_until <= $4 OR claimed_by = $2)",
                &[id, by, token, at, until],
            )
            .await
        }
        Act::ClaimNext {
            by,
            role,
            token,
            at,
            until,
        } => {
            one(
                tx,
                "WITH next AS (
                   SELECT id AS next_id FROM archbench_pending_reviews
                   WHERE status = 'pending' AND (claim_token IS NULL OR lease_until <= $3)
                     AND ($5::text IS NULL OR role_id = $5)
                   ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
                 UPDATE archbench_pending_reviews p SET claimed_by = $1, claim_token = $2,
                   claimed_at = $3, lease_until = $4
                 FROM next WHERE p.id = next.next_id",
                &[by, token, at, until, role],
            )
            .await
        }
        Act::Release { id, token, .. } => {
            one(
                tx,
                "UPDATE archbench_pending_reviews SET claimed_by = NULL, claim_token = NULL,
                   claimed_at = NULL, lease_until = NULL
                 WHERE id = $1 AND claim_token = $2 AND status = 'pending'",
                &[id, token],
            )
            .await
        }
        Act::Settle {
            id,
            token,
            outcome,
            at,
            ..
        } => {
            let settled = one(
                tx,
                "UPDATE archbench_pending_reviews SET status = 'settled', outcome = $3,
                   settled_by = claimed_by, settled_at = $4, lease_until = NULL
                 WHERE id = $1 AND claim_token = $2 AND status = 'pending'",
                &[id, token, outcome, at],
            )
            .await?;
            // Settled already under this very claim, as asked: a replay.
            or_already(
                tx,
                settled,
                "status = 'settled' AND outcome = $3",
                &[id, token, outcome],
            )
            .await
        }
        Act::Revise {
            id, token, review, ..
        } => {
            let revised = one(
                tx,
                "UPDATE archbench_pending_reviews SET review = $3::text::jsonb
                 WHERE id = $1 AND claim_token = $2 AND status = 'pending'
                   AND review IS DISTINCT FROM $3::text::jsonb",
                &[id, token, review],
            )
            .await?;
            // Saved so already under this claim: a replay.
            or_already(
                tx,
                revised,
                "status = 'pending' AND review = $3::text::jsonb",
                &[id, token, review],
            )
            .await
        }
        Act::Record { source, entry } => {
            // The head first: two processes sending the same kept record at once would both
            // find it new; under the head's lock the second finds the first's.
            tx.execute("SELECT 1 FROM archbench_audit_head FOR UPDATE", &[])
                .await?;
            let known = tx
                .query_opt("SELECT 1 FROM archbench_audit WHERE source = $1", &[source])
                .await?;
            Ok(Some(Done {
                id: String::new(),
                role: entry.role.clone(),
                chain_id: entry.chain_id.clone(),
                fresh: known.is_none(),
            }))
        }
        Act::Unsettle {
            id, token, until, ..
        } => {
            one(
                tx,
                "UPDATE archbench_pending_reviews SET status = 'pending', outcome = NULL,
                   settled_by = NULL, settled_at = NULL, lease_until = $3
                 WHERE id = $1 AND claim_token = $2 AND status = 'settled'",
                &[id, token, until],
            )
            .await
        }
    }
}

/// Appends the record of `entry` after the chain's head, which it locks until the transaction
/// ends: the next writer reads the head this one leaves.
async fn append(
    tx: &Transaction<'_>,
    entry: &crate::store::audit::AuditEntry,
    source: Option<&str>,
) -> Result<(), Failed> {
    let head = tx
        .query_one(
            "SELECT seq, sha256 FROM archbench_audit_head FOR UPDATE",
            &[],
        )
        .await?;
    let (seq, prev): (i64, String) = (head.get(0), head.get(1));
    let (line, appended) = crate::store::audit::line_of(entry, seq as u64 + 1, &prev)
        .map_err(|e| Failed::Chain(format!("an audit record cannot be written: {e}")))?;
    tx.execute(
        "INSERT INTO archbench_audit (seq, line, sha256, source) VALUES ($1, $2, $3, $4)",
        &[&(seq + 1), &line, &appended.sha256, &source],
    )
    .await?;
    tx.execute(
        "UPDATE archbench_audit_head SET seq = $1, sha256 = $2",
        &[&(seq + 1), &appended.sha256],
    )
    .await?;
    Ok(())
}
