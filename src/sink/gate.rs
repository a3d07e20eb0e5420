//! The one gate every handoff goes through, from the workbench, a resumed or continued review,
//! or a headless run: claimed in the session store (which refuses a second handoff of an
//! answer), recorded in the audit log, written to the outbox, then delivered to the sinks.

use super::{to_sinks, Delivered, DeliveryOptions, SinkSpec};
use crate::routing::Envelope;
use crate::store::ledger::{Ledger, SettleError};
use crate::store::outcomes::{AnswerId, Outcome};
use std::path::Path;

/// Why nothing was handed off.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandoffError {
    /// The answer already has its final outcome (handed off, rejected), by whatever path.
    #[error("Refused: this answer was already {}", .0.describe())]
    Settled(Box<Outcome>),
    /// The store or the outbox could not be written.
    #[error("{0}")]
    Failed(String),
    /// The audit log could not record the handoff, so it was not made.
    #[error("{0}")]
    Unrecorded(String),
    /// The review came from the inbox and is no longer this reviewer's to act on: another holds
    /// it, or it was settled there.
    #[error("Refused: the review is {0}")]
    ClaimLost(String),
    /// The team store could not be reached to settle the review: the handoff waits on this
    /// machine and is made once the store settles the review (nothing is handed off before).
    #[error("{0}")]
    Queued(String),
}

/// The one gate every handoff goes through, from the workbench, a resumed or continued review,
/// or a headless run: the handoff is claimed in the session store (`ledger`), which refuses a
/// second one for the same answer; then the envelope is written to the outbox (the claim is
/// taken back if it cannot be) and delivered to each sink. A failing sink is reported in the
/// results and, for a webhook or a command, left pending in the outbox.
///
/// `stdout` is a sink only where standard output is not the screen (headless); the workbench
/// passes `false` and the sink is reported as skipped.
pub async fn deliver(
    envelope: &Envelope,
    ledger: &Ledger,
    outbox: &Path,
    sinks: &[SinkSpec],
    options: &DeliveryOptions,
    stdout_allowed: bool,
) -> Result<Delivered, HandoffError> {
    settle_pending(envelope, ledger, sinks).await?;
    if let Err(e) = claim(envelope, ledger) {
        // Not handed off here after all: the review goes back to its holder in the inbox.
        let _ = give_back_pending(ledger).await;
        return Err(e);
    }
    let envelope = &match recorded(envelope, ledger) {
        Ok(envelope) => envelope,
        Err(e) => {
            return Err(HandoffError::Unrecorded(format!(
                "{e}{}{}",
                give_back(ledger, &envelope.id),
                give_back_pending(ledger).await
            )))
        }
    };
    let path = match crate::store::outbox::write_envelope(outbox, envelope) {
        Ok(path) => path,
        Err(e) => {
            return Err(HandoffError::Failed(format!(
                "{e}{}{}",
                give_back(ledger, &envelope.id),
                give_back_pending(ledger).await
            )))
        }
    };
    let results = to_sinks(envelope, &path, outbox, sinks, options, stdout_allowed).await;
    Ok(Delivered {
        envelope_id: envelope.id.clone(),
        target: envelope.route.target.clone(),
        path,
        payload_brief: envelope.payload.brief.clone(),
        results,
        chain: sinks.contains(&SinkSpec::Chain),
    })
}

/// Settles the pending review the handoff comes from, under the reviewer's claim: refused if
/// the claim was lost or the review settled by someone else meanwhile. A team store out of reach
/// keeps the whole handoff in this machine's queue, to be made through this gate again when it
/// answers.
async fn settle_pending(
    envelope: &Envelope,
    ledger: &Ledger,
    sinks: &[SinkSpec],
) -> Result<(), HandoffError> {
    let Some(pending) = &ledger.pending else {
        return Ok(());
    };
    let outcome = format!(
        "handed off to {} (envelope {})",
        envelope.route.target, envelope.id
    );
    let at = envelope.timestamps.handed_off.unwrap_or(envelope.review.at);
    pending
        .inbox
        .settle(&pending.claim, &outcome, at)
        .await
        .map_err(|refused| match refused {
            crate::store::inbox::Refused::Store(e) => {
                match pending.queue.as_ref().filter(|_| crate::store::inbox::queue::unreachable(&e)) {
                    Some(queue) => queue_handoff(envelope, &pending.claim, queue, sinks, &e),
                    None => HandoffError::Failed(format!(
                        "the inbox, which keeps each pending review acted on once, cannot be written ({e})"
                    )),
                }
            }
            other => HandoffError::ClaimLost(other.to_string()),
        })
}

/// Keeps the handoff under `claim` in `queue`, for the team store that could not be reached
/// (`why`).
fn queue_handoff(
    envelope: &Envelope,
    claim: &crate::store::inbox::Claim,
    queue: &crate::store::inbox::queue::Queue,
    sinks: &[SinkSpec],
    why: &str,
) -> HandoffError {
    let owed = crate::store::inbox::queue::Owed::Handoff {
        envelope: Box::new(envelope.clone()),
        claim: claim.clone(),
        sinks: sinks.to_vec(),
    };
    match queue.push(&owed) {
        Ok(()) => HandoffError::Queued(format!(
            "The team store cannot be reached ({why}): the handoff to {} waits on this machine and is made once the store settles the review — nothing is handed off before, and quitting keeps it",
            envelope.route.target
        )),
        Err(e) => HandoffError::Failed(format!(
            "the inbox, which keeps each pending review acted on once, cannot be reached ({why}), and the handoff could not be kept to make later ({e})"
        )),
    }
}

/// Puts a pending review settled for a handoff that was not made back under its claim; what to
/// add to the message when even that fails.
async fn give_back_pending(ledger: &Ledger) -> String {
    let Some(pending) = &ledger.pending else {
        return String::new();
    };
    match pending
        .inbox
        .unsettle(&pending.claim, chrono::Utc::now())
        .await
    {
        Ok(()) => String::new(),
        Err(e) => format!(" (and the inbox could not take the review back: {e})"),
    }
}

/// Takes back the claim of a handoff that was not made, so it can be tried again; what to add to
/// the message when even that fails.
fn give_back(ledger: &Ledger, envelope_id: &str) -> String {
    match ledger.unsettle(envelope_id) {
        Ok(()) => String::new(),
        Err(store) => format!(" (and its claim could not be taken back: {store})"),
    }
}

/// The handoff recorded in the audit log before its envelope exists, and the envelope naming
/// that record. A log that refuses the record stops the handoff: it is not reported as done.
fn recorded(envelope: &Envelope, ledger: &Ledger) -> Result<Envelope, String> {
    let mut envelope = envelope.clone();
    let Some(log) = &ledger.audit else {
        return Ok(envelope);
    };
    let entry = crate::store::audit::AuditEntry {
        kind: "handoff_claimed".into(),
        chain_id: envelope.chain_id.clone(),
        role: envelope.role.id.clone(),
        attempt: envelope.attempt,
        at: envelope.timestamps.handed_off.unwrap_or(envelope.review.at),
        data: serde_json::json!({
            "envelope_id": envelope.id,
            "target": envelope.route.target,
            "target_known": envelope.route.target_known,
            "action": envelope.review.action,
            "reviewer": envelope.review.reviewer,
            "reason": envelope.review.reason,
            "response_sha256": envelope.response.sha256,
        }),
    };
    let appended = log.append(&entry).map_err(|e| {
        format!(
            "the audit log {} cannot record the handoff ({e})",
            log.path.display()
        )
    })?;
    envelope.audit = Some(crate::routing::envelope::AuditRef {
        log: crate::store::audit::log_id(&log.path).unwrap_or_default(),
        seq: appended.record.seq,
        sha256: appended.sha256,
    });
    Ok(envelope)
}

/// Claims the handoff of the envelope's answer in the session store.
fn claim(envelope: &Envelope, ledger: &Ledger) -> Result<(), HandoffError> {
    let answer = AnswerId::new(
        &envelope.chain_id,
        envelope.parent_id.as_deref(),
        envelope.attempt,
        &envelope.response.text,
    );
    let review = &envelope.review;
    let outcome = Outcome::handoff(
        review.action.as_str(),
        &envelope.route.target,
        envelope.route.target_known,
        &envelope.id,
        &review.reviewer.label(),
        review.reason.clone(),
        envelope.timestamps.handed_off.unwrap_or(review.at),
    );
    ledger.settle(&answer, &outcome).map_err(|e| match e {
        SettleError::Settled(first) => HandoffError::Settled(first),
        SettleError::Store(e) => HandoffError::Failed(format!(
            "the session store, which keeps each answer handed off at most once, cannot be written ({e})"
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn envelope(id: &str) -> Envelope {
        let request = crate::routing::envelope::tests::request(
            "An answer\nDECISION: completed: Go to fullstack_developer",
        );
        Envelope::build(request, id.into(), chrono::Utc::now()).unwrap()
    }

    #[tokio::test]
    async fn the_gate_hands_one_answer_off_once_and_names_the_first_handoff() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::new(dir.path().join("s.db"));
        let outbox = dir.path().join("outbox");
        let options = DeliveryOptions::default();
        let first = deliver(&envelope("env-1"), &ledger, &outbox, &[], &options, false).await;
        assert!(first.is_ok(), "{first:?}");
        let second = deliver(&envelope("env-2"), &ledger, &outbox, &[], &options, false).await;
        let Err(HandoffError::Settled(outcome)) = &second else {
            panic!("{second:?}")
        };
        assert_eq!(outcome.envelope_id.as_deref(), Some("env-1"));
        assert!(second.unwrap_err().to_string().contains("envelope env-1"));
        let files: Vec<_> = std::fs::read_dir(&outbox).unwrap().collect();
        assert_eq!(files.len(), 1, "one envelope in the outbox");
    }

    /// One of the racing processes of the test below; run alone (no race folder), it does nothing.
    #[tokio::test]
    async fn racing_handoff_process() {
        let Ok(dir) = std::env::var("ARCHBENCH_RACE_DIR") else {
            return;
        };
        let dir = std::path::PathBuf::from(dir);
        let me = std::process::id().to_string();
        // All start together: each waits for the go file.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !dir.join("go").exists() {
            assert!(std::time::Instant::now() < deadline, "never told to go");
            std::thread::park_timeout(Duration::from_millis(1));
        }
        let ledger = Ledger::new(dir.join("s.db"));
        let result = deliver(
            &envelope(&format!("env-{me}")),
            &ledger,
            &dir.join("outbox"),
            &[],
            &DeliveryOptions::default(),
            false,
        )
        .await;
        let said = match result {
            Ok(_) => "handed-off",
            Err(HandoffError::Settled(_)) => "refused",
            Err(e) => panic!("{e}"),
        };
        std::fs::write(dir.join(format!("result-{me}")), said).unwrap();
    }

    #[test]
    fn processes_racing_to_hand_off_one_answer_write_one_envelope() {
        let dir = tempfile::tempdir().unwrap();
        // The store exists before the race, as it does once any workbench ran.
        crate::store::sessions::Store::open(&dir.path().join("s.db")).unwrap();
        let children: Vec<_> = (0..4)
            .map(|_| {
                std::process::Command::new(std::env::current_exe().unwrap())
                    .args([
                        "--exact",
                        "sink::gate::tests::racing_handoff_process",
                        "--test-threads=1",
                    ])
                    .env("ARCHBENCH_RACE_DIR", dir.path())
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        std::fs::write(dir.path().join("go"), "").unwrap();
        for mut child in children {
            assert!(child.wait().unwrap().success());
        }
        let results: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("result-"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .collect();
        assert_eq!(results.len(), 4);
        assert_eq!(
            results.iter().filter(|r| *r == "handed-off").count(),
            1,
            "{results:?}"
        );
        let envelopes = std::fs::read_dir(dir.path().join("outbox"))
            .unwrap()
            .count();
        assert_eq!(envelopes, 1, "exactly one envelope");
    }

    #[tokio::test]
    async fn an_envelope_that_cannot_be_written_gives_its_claim_back() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::new(dir.path().join("s.db"));
        // A file where the outbox folder should be: nothing can be written there.
        let blocked = dir.path().join("blocked");
        std::fs::write(&blocked, "").unwrap();
        let options = DeliveryOptions::default();
        let failed = deliver(
            &envelope("env-1"),
            &ledger,
            &blocked.join("outbox"),
            &[],
            &options,
            false,
        )
        .await;
        assert!(matches!(failed, Err(HandoffError::Failed(_))), "{failed:?}");
        let outbox = dir.path().join("outbox");
        let retried = deliver(&envelope("env-2"), &ledger, &outbox, &[], &options, false).await;
        assert!(retried.is_ok(), "{retried:?}");
    }

    /// The gate's ledger for a handoff made under `claim`.
    fn holding(
        store: &std::path::Path,
        inbox: &std::sync::Arc<crate::store::inbox::Inbox>,
        claim: &crate::store::inbox::Claim,
    ) -> Ledger {
        Ledger::new(store).with_pending(Some(crate::store::ledger::PendingClaim {
            queue: None,
            inbox: inbox.clone(),
            claim: claim.clone(),
        }))
    }

    /// A review left in this machine's inbox, claimed by `by`; the inbox and the claim.
    async fn pending(
        store: &std::path::Path,
        by: &str,
    ) -> (
        std::sync::Arc<crate::store::inbox::Inbox>,
        crate::store::inbox::Claim,
    ) {
        use crate::store::inbox::{Inbox, Origin};
        let inbox = std::sync::Arc::new(Inbox::open(None, store).await.unwrap());
        let review = crate::store::deferred::tests::review("p-1", 0);
        let origin = Origin {
            who: "ci@build".into(),
            how: "run --approve inbox".into(),
        };
        let now = chrono::Utc::now();
        inbox.enqueue(&review, &origin, None, now).await.unwrap();
        let claim = inbox
            .claim("p-1", by, crate::store::inbox::LEASE, now)
            .await
            .unwrap();
        (inbox, claim)
    }

    #[tokio::test]
    async fn a_review_from_the_inbox_is_settled_there_as_it_is_handed_off() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("s.db");
        let (inbox, claim) = pending(&store, "ada").await;
        let ledger = holding(&store, &inbox, &claim);
        let outbox = dir.path().join("outbox");
        let options = DeliveryOptions::default();
        deliver(&envelope("env-1"), &ledger, &outbox, &[], &options, false)
            .await
            .unwrap();
        let rows = inbox
            .list(
                &crate::store::inbox::Filter {
                    all: true,
                    ..Default::default()
                },
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        assert_eq!(rows[0].status, "settled");
        let again = inbox.settle(&claim, "x", chrono::Utc::now()).await;
        assert_eq!(
            again,
            Err(crate::store::inbox::Refused::Settled {
                by: "ada".into(),
                outcome: "handed off to fullstack_developer (envelope env-1)".into()
            })
        );
    }

    #[tokio::test]
    async fn a_lost_claim_hands_nothing_off() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("s.db");
        let (inbox, lost) = pending(&store, "ada").await;
        // Ada's lease lapses; Bea takes the review.
        let later = chrono::Utc::now() + chrono::Duration::minutes(5);
        let bea = inbox
            .claim("p-1", "bea", crate::store::inbox::LEASE, later)
            .await
            .unwrap();
        let as_ada = holding(&store, &inbox, &lost);
        let outbox = dir.path().join("outbox");
        let options = DeliveryOptions::default();
        let refused = deliver(&envelope("env-1"), &as_ada, &outbox, &[], &options, false).await;
        let Err(HandoffError::ClaimLost(why)) = &refused else {
            panic!("{refused:?}")
        };
        assert!(why.starts_with("being reviewed by bea since"), "{why}");
        assert!(!outbox.exists(), "no envelope");
        // The answer itself was not marked handed off: Bea can hand it off.
        let as_bea = holding(&store, &inbox, &bea);
        deliver(&envelope("env-2"), &as_bea, &outbox, &[], &options, false)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_handoff_that_fails_gives_the_review_back_to_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("s.db");
        let (inbox, claim) = pending(&store, "ada").await;
        let ledger = holding(&store, &inbox, &claim);
        let blocked = dir.path().join("blocked");
        std::fs::write(&blocked, "").unwrap();
        let options = DeliveryOptions::default();
        let failed = deliver(
            &envelope("env-1"),
            &ledger,
            &blocked.join("o"),
            &[],
            &options,
            false,
        )
        .await;
        assert!(matches!(failed, Err(HandoffError::Failed(_))), "{failed:?}");
        let rows = inbox
            .list(&crate::store::inbox::Filter::default(), chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(rows[0].status, "claimed", "pending again, still Ada's");
        let outbox = dir.path().join("outbox");
        deliver(&envelope("env-2"), &ledger, &outbox, &[], &options, false)
            .await
            .unwrap();
    }
}
