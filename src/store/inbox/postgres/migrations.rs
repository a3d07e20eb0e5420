//! The team store's schema, versioned: `archbench_migrations` records each version applied, and
//! every migration runs in its own transaction under an advisory lock, so archbench processes
//! meeting a new store at once migrate it once.

use super::sql_error;
use tokio_postgres::Client;

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
    // The team's history: each machine's runs as it copies them (`key` names a run across
    // machines), their answers in pieces while they stream, their review's events. `ended`,
    // `piece`, `event` and `outcome` only grow on the machine that ran it; a copy whose are
    // smaller than the row's is older than what the row holds, and is not taken.
    "CREATE TABLE archbench_runs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        key text NOT NULL UNIQUE,
        machine text NOT NULL,
        session_id text NOT NULL,
        started_at text NOT NULL,
        detail jsonb NOT NULL,
        answer text,
        ended boolean NOT NULL,
        piece bigint NOT NULL,
        event bigint NOT NULL,
        outcome bigint NOT NULL
    );
    CREATE INDEX archbench_runs_started ON archbench_runs (started_at DESC, id DESC);
    CREATE INDEX archbench_runs_session ON archbench_runs (session_id text_pattern_ops);
    CREATE TABLE archbench_transcript (
        run bigint NOT NULL REFERENCES archbench_runs (id),
        seq bigint NOT NULL,
        text text NOT NULL,
        PRIMARY KEY (run, seq)
    );
    CREATE TABLE archbench_run_events (
        run bigint NOT NULL REFERENCES archbench_runs (id),
        seq bigint NOT NULL,
        at text NOT NULL,
        kind text NOT NULL,
        data jsonb NOT NULL,
        PRIMARY KEY (run, seq)
    );
    -- What people watching a run write about it, from any machine: the workbench that drives
    -- the run (its key begins with the workbench's id) picks them up.
    CREATE TABLE archbench_shared_comments (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_key text NOT NULL,
        at text NOT NULL,
        data jsonb NOT NULL
    );
    CREATE INDEX archbench_shared_comments_run ON archbench_shared_comments (run_key text_pattern_ops);",
];

/// Applies the migrations this store lacks, one transaction each, under an advisory lock.
pub(super) async fn migrate(client: &Client) -> Result<(), String> {
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
