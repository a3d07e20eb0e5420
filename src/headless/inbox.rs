//! A headless run and the inbox: `--approve inbox` leaves the review pending for a person (or
//! keeps it on this machine while the team store is away), and the run's end sends what it
//! kept for the team store.

use super::{HeadlessRun, Recorder, StepEnd};
use crate::cli::exit;
use chrono::Utc;
use std::sync::Arc;

/// Copies the run into the team store as it goes, so `archbench watch` follows it from any
/// machine (a task, stopped at the run's end).
pub(super) fn copy_runs(
    url: &str,
    sessions: &std::path::Path,
) -> Option<tokio::task::JoinHandle<()>> {
    crate::store::inbox::copying::start(url, sessions, |away| {
        if let Some(why) = away {
            tracing::warn!("the run waits on this machine for the team store: {why}");
        }
    })
    .map_err(|e| crate::tell!("archbench: this run is not copied into the team store: {e}"))
    .ok()
}

/// At the run's end, what it kept for the team store (its audit records, a review left while
/// the store was away) is sent, and the run copied whole; what cannot be is said, and stays for
/// the next archbench here.
pub(super) async fn send_what_is_owed(url: &str, sessions: &std::path::Path) {
    use crate::store::inbox::{copying::Copier, queue::Queue, Inbox};
    let queue = Queue::new(sessions, url);
    if !queue.is_empty() {
        let left = match Inbox::open(Some(url), sessions).await {
            Ok(inbox) => inbox.replay(&queue, None).await.left,
            Err(_) => queue.len(),
        };
        if left > 0 {
            crate::tell!("archbench: {left} kept on this machine for the team store, which did not take them now: the next archbench here sends them (`archbench inbox sync` does at once)");
        }
    }
    if let Err(e) = Copier::new(url, sessions).pass().await {
        crate::tell!("archbench: the run is kept on this machine, not yet in the team's history ({e}): the next archbench here sends it (`archbench inbox sync` does at once)");
    }
}

/// `--approve inbox`: the review left pending for a person, its id told; the chain stops here.
pub(super) async fn leave_pending(
    job: &HeadlessRun,
    review: &crate::store::deferred::DeferredReview,
    check: Option<String>,
    recorder: &Recorder<'_>,
) -> StepEnd {
    use crate::store::inbox::queue::{write_or_owe, Kept, Queue};
    use crate::store::inbox::{Act, Inbox, Origin};
    let origin = Origin::here("run --approve inbox");
    let queue = job
        .store_url
        .as_deref()
        .map(|url| Queue::new(&job.sessions, url));
    let left = match Act::enqueue(review, &origin, check, Utc::now()) {
        Ok(act) => {
            let inbox = Inbox::open(job.store_url.as_deref(), &job.sessions)
                .await
                .map(Arc::new);
            write_or_owe(queue.as_ref(), inbox, act).await
        }
        Err(e) => Err(e),
    };
    let left = match left {
        Ok(Kept::Written(Some(_))) => Ok((review.id.clone(), false)),
        Ok(Kept::Written(None)) => Err(format!(
            "cannot leave the review in the inbox: another review has its id {}",
            review.id
        )),
        Ok(Kept::Owed) => Ok((review.id.clone(), true)),
        Err(e) => Err(e),
    };
    match left {
        Ok((id, owed)) => {
            recorder.record(
                "review_action",
                serde_json::json!({ "action": "policy", "policy": "inbox", "pending_review": id, "queued_here": owed }),
            );
            if owed {
                crate::tell!("archbench: the team store cannot be reached: the review is kept on this machine and reaches the team's inbox when an archbench here next reaches the store (`archbench inbox sync` sends it now)");
            }
            crate::tell!("archbench: waiting for review: {id} (`archbench inbox` opens it)");
            if job.json {
                println!("{}", serde_json::json!({ "pending_review": id }));
            }
            StepEnd::Exit(exit::WAITING_FOR_REVIEW)
        }
        Err(e) => {
            crate::tell!("archbench: {e}: nothing was handed off; the answer is kept (archbench sessions list)");
            StepEnd::Exit(exit::STORAGE)
        }
    }
}
