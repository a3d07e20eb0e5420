//! The session store's schema: the migrations, in order, that take a store from one version
//! to the next (`PRAGMA user_version`).

/// Each migration takes the schema from version `i` to `i + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: runs, their transcript in pieces, and the events of their review.
    "CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        session_id TEXT NOT NULL,
        owner_pid INTEGER NOT NULL,
        chain_id TEXT NOT NULL,
        parent_id TEXT,
        role_id TEXT NOT NULL,
        prompt_sha256 TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        parameters TEXT NOT NULL,
        brief TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        feedback TEXT,
        reviewer TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at TEXT NOT NULL,
        first_token_at TEXT,
        completed_at TEXT,
        finish_reason TEXT,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        decision TEXT,
        envelope_id TEXT
    );
    CREATE TABLE transcript (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        seq INTEGER NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        run_id INTEGER REFERENCES runs(id),
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX runs_started ON runs(started_at);
    CREATE INDEX events_run ON events(run_id);",
    // 2: the whole answer kept on the run once it ends, and full-text search over briefs and
    // answers (FTS5), filled from the runs already stored.
    "ALTER TABLE runs ADD COLUMN answer TEXT;
    UPDATE runs SET answer = (
        SELECT group_concat(text, '') FROM (
            SELECT text FROM transcript WHERE transcript.run_id = runs.id ORDER BY seq
        )
    ) WHERE status != 'running';
    CREATE VIRTUAL TABLE runs_fts USING fts5(brief, answer, content='runs', content_rowid='id');
    INSERT INTO runs_fts(rowid, brief, answer) SELECT id, brief, coalesce(answer, '') FROM runs;
    CREATE TRIGGER runs_fts_insert AFTER INSERT ON runs BEGIN
        INSERT INTO runs_fts(rowid, brief, answer) VALUES (new.id, new.brief, coalesce(new.answer, ''));
    END;
    CREATE TRIGGER runs_fts_update AFTER UPDATE OF brief, answer ON runs BEGIN
        INSERT INTO runs_fts(runs_fts, rowid, brief, answer) VALUES ('delete', old.id, old.brief, coalesce(old.answer, ''));
        INSERT INTO runs_fts(rowid, brief, answer) VALUES (new.id, new.brief, coalesce(new.answer, ''));
    END;",
    // 3: the outcome of each reviewed answer. An answer is named by its chain, its step (the
    // envelope that opened the step, '' for a chain's first), its attempt and the sha256 of its
    // text; the partial unique index lets an answer have one final outcome (handed off or
    // rejected), whichever process, path or machine tries: exactly once is the store's promise.
    "ALTER TABLE runs ADD COLUMN response_sha256 TEXT;
    CREATE TABLE outcomes (
        id INTEGER PRIMARY KEY,
        chain_id TEXT NOT NULL,
        step TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        response_sha256 TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('handed_off', 'rejected', 'deferred')),
        action TEXT,
        target TEXT,
        target_known INTEGER,
        envelope_id TEXT,
        reviewer TEXT NOT NULL,
        reason TEXT,
        at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX outcomes_one_final ON outcomes(chain_id, step, attempt, response_sha256) WHERE kind IN ('handed_off', 'rejected');
    CREATE INDEX outcomes_answer ON outcomes(chain_id, step, attempt, response_sha256);
    CREATE INDEX runs_answer ON runs(chain_id, attempt, response_sha256);",
    // 4: the audit log's head, kept apart from the log's folder: a log deleted or cut together
    // with its head file is still found out by `audit verify`.
    "CREATE TABLE audit_head (
        log TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        at TEXT NOT NULL
    );",
    // 5: reviews waiting for a person (the inbox), each with its claim: who holds it, the token
    // every later step must show, and the lease that lets it go if their process dies. A review
    // is settled once: the UPDATE that settles it names the pending status and the token.
    "CREATE TABLE pending_reviews (
        id TEXT PRIMARY KEY,
        role_id TEXT NOT NULL,
        title TEXT NOT NULL,
        decision TEXT NOT NULL,
        check_summary TEXT,
        created_at TEXT NOT NULL,
        origin_who TEXT NOT NULL,
        origin_how TEXT NOT NULL,
        review TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'settled')),
        claimed_by TEXT,
        claim_token TEXT,
        claimed_at TEXT,
        lease_until TEXT,
        outcome TEXT,
        settled_by TEXT,
        settled_at TEXT
    );
    CREATE INDEX pending_reviews_waiting ON pending_reviews(status, created_at);",
    // 6: the inbox's audit chain: every enqueue, claim, release and settlement, written in the
    // transaction of the act it tells of, as the same lines an audit log holds (each naming the
    // sha256 of the one before), with the head beside them so a chain cut short is found out;
    // a record copied from a machine's log names it (`source`), and is taken once.
    // Append-only: the store refuses to change or delete a record.
    "CREATE TABLE inbox_audit (
        seq INTEGER PRIMARY KEY,
        line TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        source TEXT UNIQUE
    );
    CREATE TABLE inbox_audit_head (
        one INTEGER PRIMARY KEY CHECK (one = 1),
        seq INTEGER NOT NULL,
        sha256 TEXT NOT NULL
    );
    INSERT INTO inbox_audit_head VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
    CREATE TRIGGER inbox_audit_no_update BEFORE UPDATE ON inbox_audit
        BEGIN SELECT RAISE(ABORT, 'the audit chain is append-only'); END;
    CREATE TRIGGER inbox_audit_no_delete BEFORE DELETE ON inbox_audit
        BEGIN SELECT RAISE(ABORT, 'the audit chain is append-only'); END;",
    // 7: what this machine owes a team store it could not reach: acts on pending reviews and
    // handoffs waiting for their review's settlement, replayed in order (`seq`) when it answers.
    "CREATE TABLE team_queue (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        store TEXT NOT NULL,
        item TEXT NOT NULL,
        queued_at TEXT NOT NULL
    );
    CREATE INDEX team_queue_store ON team_queue(store, seq);",
    // 8: the runs this machine copies into a team store: since when it does (runs from before
    // stay on this machine), and how far each run has been copied — its end, its last piece,
    // event and outcome — so a copy interrupted (the store away, the process gone) goes on
    // from there, and a run that has not changed is not sent again. The marks are the last
    // run, event and outcome every copy had taken in: only what came after them, and runs
    // still running when last copied, are looked at again.
    "CREATE TABLE team_joined (
        store TEXT PRIMARY KEY,
        at TEXT NOT NULL,
        run_mark INTEGER NOT NULL,
        event_mark INTEGER NOT NULL,
        outcome_mark INTEGER NOT NULL
    );
    CREATE TABLE team_sent (
        store TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        ended INTEGER NOT NULL,
        piece INTEGER NOT NULL,
        event INTEGER NOT NULL,
        outcome INTEGER NOT NULL,
        PRIMARY KEY (store, run_id)
    );",
];

/// The version that brought outcomes and the answers' hashes.
pub(super) const OUTCOMES_VERSION: usize = 3;

/// The newest schema this archbench writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();
