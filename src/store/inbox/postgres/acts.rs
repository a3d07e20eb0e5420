//! Acts written to the team store: each in one transaction with its audit record, appended after
//! the chain's head (locked until the act commits, so the chain stays one line).

use super::super::{Act, Done};
use super::CHANNEL;
use tokio_postgres::{Client, Transaction};

/// Why a write did not go through.
pub(super) enum Failed {
    Sql(tokio_postgres::Error),
    Chain(String),
}

impl From<tokio_postgres::Error> for Failed {
    fn from(e: tokio_postgres::Error) -> Self {
        Failed::Sql(e)
    }
}

pub(super) async fn write_once(client: &mut Client, act: &Act) -> Result<Option<Done>, Failed> {
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
