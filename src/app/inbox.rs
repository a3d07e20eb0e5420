//! The effect runner's side of the inbox: the store opened once, on first use; the claim this
//! workbench holds (its token never leaves the runner but for the handoff gate), renewed while
//! the reviewer works, let go when another review opens or the workbench quits.

use crate::event::Event;
use crate::sink::HandoffError;
use crate::store::inbox::queue::{self, Kept, Queue, Replayed};
use crate::store::inbox::{Act, Claim, Filter, Inbox, Refused, LEASE};
use crate::store::ledger::PendingClaim;
use chrono::Utc;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::OnceCell;

/// What the workbench asks of the inbox, carried out one after the other in the order asked
/// (a rejection is settled before the next review is claimed, which lets go of the claim).
enum Command {
    Load(Filter),
    Open {
        id: Option<String>,
        by: String,
        role: Option<String>,
    },
    Settle(String),
    Release,
    PutBack(Box<crate::store::deferred::DeferredReview>),
    LetGo(tokio::sync::oneshot::Sender<()>),
    Enqueue(Box<crate::store::deferred::DeferredReview>),
    Adopt(Claim),
    Pending(tokio::sync::oneshot::Sender<Option<PendingClaim>>),
}

/// How a handoff kept while the team store was out of reach is made once it answers: through
/// the gate, with this workbench's outbox, delivery options, audit log and session store.
pub type Deliver = Arc<
    dyn Fn(
            crate::routing::Envelope,
            PendingClaim,
            Vec<crate::sink::SinkSpec>,
        )
            -> futures_util::future::BoxFuture<'static, Result<crate::sink::Delivered, HandoffError>>
        + Send
        + Sync,
>;

/// What to tell the reviewer of what went to the team store: the audit log's records go there
/// all the time and are told only in a count when the store had been away; anything else (a
/// handoff made, a rejection recorded) always.
fn sent(replayed: &Replayed, away: bool) -> Option<String> {
    let (acts, records) = (&replayed.applied, replayed.records);
    if acts.is_empty() && !(away && records > 0) {
        return None;
    }
    let mut said = match away {
        true => {
            "The team store answers again: what was kept on this machine went to it".to_string()
        }
        false => "Sent to the team store".to_string(),
    };
    if !acts.is_empty() {
        said.push_str(&format!(": {}", acts.join("; ")));
    }
    if records > 0 {
        said.push_str(&format!(
            "{}{records} audit record(s)",
            if acts.is_empty() { ": " } else { "; and " }
        ));
    }
    Some(said)
}

/// How often what this machine owes the team store is tried again while it does not answer.
const REPLAY_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

#[derive(Clone)]
pub struct InboxLink {
    state: Link,
    commands: UnboundedSender<Command>,
}

/// What the worker and the handoff gate share.
#[derive(Clone)]
struct Link {
    /// The team store (none: this machine's session store).
    url: Option<String>,
    sqlite: PathBuf,
    inbox: Arc<OnceCell<Arc<Inbox>>>,
    held: Arc<Mutex<Option<Claim>>>,
    renewing: Arc<std::sync::atomic::AtomicBool>,
    watching: Arc<std::sync::atomic::AtomicBool>,
    /// What this machine owes the team store (none: this machine's store is never out of
    /// reach).
    queue: Option<Queue>,
}

impl InboxLink {
    /// Starts the worker (inside the runtime); what it has to say goes to `done`.
    pub fn new(
        url: Option<String>,
        sqlite: PathBuf,
        done: UnboundedSender<Event>,
        deliver: Deliver,
    ) -> InboxLink {
        let queue = url.as_deref().map(|url| Queue::new(&sqlite, url));
        let state = Link {
            url,
            sqlite,
            queue,
            inbox: Arc::new(OnceCell::new()),
            held: Arc::new(Mutex::new(None)),
            renewing: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            watching: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        };
        let (commands, mut rx) = tokio::sync::mpsc::unbounded_channel();
        state.keep_replaying(deliver, done.clone());
        let link = state.clone();
        tokio::spawn(async move {
            while let Some(command) = rx.recv().await {
                match command {
                    Command::Load(filter) => link.load(filter, &done).await,
                    Command::Open { id, by, role } => link.open(id, by, role, &done).await,
                    Command::Settle(outcome) => link.settle(outcome, &done).await,
                    Command::Release => link.release(&done).await,
                    Command::PutBack(review) => link.put_back(&review, &done).await,
                    Command::LetGo(said) => {
                        link.let_go().await;
                        let _ = said.send(());
                    }
                    Command::Enqueue(review) => link.enqueue(&review, &done).await,
                    Command::Adopt(claim) => {
                        // The store opened now: the gate needs it to settle this claim.
                        if link.inbox().await.is_ok() {
                            link.hold(Some(claim));
                            link.keep_renewing(done.clone());
                        }
                    }
                    Command::Pending(said) => {
                        let _ = said.send(link.pending());
                    }
                }
            }
        });
        InboxLink { state, commands }
    }

    pub fn load(&self, filter: Filter) {
        let _ = self.commands.send(Command::Load(filter));
    }

    pub fn open(&self, id: Option<String>, by: String, role: Option<String>) {
        let _ = self.commands.send(Command::Open { id, by, role });
    }

    pub fn settle(&self, outcome: String) {
        let _ = self.commands.send(Command::Settle(outcome));
    }

    pub fn release(&self) {
        let _ = self.commands.send(Command::Release);
    }

    /// Puts the review held back as `review` now stands, its comments with it.
    pub fn put_back(&self, review: crate::store::deferred::DeferredReview) {
        let _ = self.commands.send(Command::PutBack(Box::new(review)));
    }

    /// A review deferred in this workbench waits in the inbox too, for anyone to take.
    pub fn enqueue(&self, review: crate::store::deferred::DeferredReview) {
        let _ = self.commands.send(Command::Enqueue(Box::new(review)));
    }

    /// Holds (and renews) a claim taken before the workbench started (`archbench resume`).
    pub fn adopt(&self, claim: Claim) {
        let _ = self.commands.send(Command::Adopt(claim));
    }

    /// At the workbench's end: the review held goes back to the inbox at once, rather than when
    /// its lease lapses (after whatever was asked before).
    pub async fn let_go(&self) {
        let (said, heard) = tokio::sync::oneshot::channel();
        if self.commands.send(Command::LetGo(said)).is_ok() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), heard).await;
        }
    }

    /// The claim the handoff gate settles, when a review of the inbox is on screen — asked in
    /// turn, after whatever was asked before (a claim being taken, adopted, let go).
    pub async fn pending(&self) -> Option<PendingClaim> {
        let (said, heard) = tokio::sync::oneshot::channel();
        self.commands.send(Command::Pending(said)).ok()?;
        heard.await.ok().flatten()
    }

    /// The gate kept a handoff for the team store (the replayer makes it when the store
    /// answers): the claim is the queue's now, never let go from here.
    pub fn owed(&self) {
        self.state.hold(None);
    }

    /// The review `id` was settled by the gate: nothing is held any more.
    pub fn settled(&self, id: &str) {
        if self.state.held().is_some_and(|c| c.id == id) {
            self.state.hold(None);
        }
    }
}

impl Link {
    fn pending(&self) -> Option<PendingClaim> {
        let claim = self.held()?;
        let inbox = self.inbox.get()?.clone();
        Some(PendingClaim {
            inbox,
            claim,
            queue: self.queue.clone(),
        })
    }

    async fn inbox(&self) -> Result<Arc<Inbox>, String> {
        self.inbox
            .get_or_try_init(|| async {
                Inbox::open(self.url.as_deref(), &self.sqlite)
                    .await
                    .map(Arc::new)
            })
            .await
            .cloned()
    }

    fn held(&self) -> Option<Claim> {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn hold(&self, claim: Option<Claim>) {
        *self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = claim;
    }

    /// From the first time the inbox is read, each change is told as it happens.
    fn keep_watching(&self, done: &UnboundedSender<Event>) {
        use std::sync::atomic::Ordering;
        if self.watching.swap(true, Ordering::SeqCst) {
            return;
        }
        let (url, sqlite, done) = (self.url.clone(), self.sqlite.clone(), done.clone());
        tokio::spawn(async move {
            let heard = move || done.send(Event::InboxChanged).is_ok();
            let _ = crate::store::inbox::watch(url.as_deref(), &sqlite, heard).await;
        });
    }

    async fn load(&self, filter: Filter, done: &UnboundedSender<Event>) {
        self.keep_watching(done);
        let result = match self.inbox().await {
            Ok(inbox) => inbox.list(&filter, Utc::now()).await,
            Err(e) => Err(e),
        };
        let _ = done.send(Event::InboxLoaded(result));
    }

    /// Lets go of any claim held, claims `id` (or the oldest waiting), reads it.
    async fn open(
        &self,
        id: Option<String>,
        by: String,
        role: Option<String>,
        done: &UnboundedSender<Event>,
    ) {
        let result = self.claim_and_read(id, &by, role.as_deref()).await;
        if matches!(result, Ok(Some(_))) {
            self.keep_renewing(done.clone());
        }
        let _ = done.send(Event::PendingOpened(result));
    }

    async fn claim_and_read(
        &self,
        id: Option<String>,
        by: &str,
        role: Option<&str>,
    ) -> Result<Option<Box<crate::state::inbox::Opened>>, String> {
        let inbox = self.inbox().await?;
        if let Some(old) = self.held() {
            let _ = inbox.release(&old).await;
            self.hold(None);
        }
        let now = Utc::now();
        let claim = match id {
            Some(id) => inbox
                .claim(&id, by, LEASE, now)
                .await
                .map_err(|refused| format!("Not opened: the review is {refused}"))?,
            None => match inbox.claim_next(by, role, LEASE, now).await? {
                Some(claim) => claim,
                None => return Ok(None),
            },
        };
        match inbox.get(&claim.id).await {
            Ok(found) => {
                self.hold(Some(claim));
                Ok(Some(Box::new(found)))
            }
            Err(e) => {
                let _ = inbox.release(&claim).await;
                Err(e)
            }
        }
    }

    /// Renews the claim held every third of a lease, for as long as the workbench runs; a
    /// renewal refused means the claim was lost, and the reviewer is told.
    fn keep_renewing(&self, done: UnboundedSender<Event>) {
        use std::sync::atomic::Ordering;
        if self.renewing.swap(true, Ordering::SeqCst) {
            return;
        }
        let link = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(LEASE / 3);
            tick.tick().await;
            loop {
                tick.tick().await;
                let (Some(claim), Some(inbox)) = (link.held(), link.inbox.get().cloned()) else {
                    continue;
                };
                match inbox.renew(&claim, LEASE, Utc::now()).await {
                    Ok(renewed) => {
                        // Unless another review was opened meanwhile.
                        let mut held = link
                            .held
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        if held.as_ref().is_some_and(|c| c.token == renewed.token) {
                            *held = Some(renewed);
                        }
                    }
                    Err(Refused::Store(e)) => {
                        let _ = done.send(Event::Reported(Err(format!(
                            "The claim on this review could not be renewed ({e}); it lapses in a minute unless the store answers"
                        ))));
                    }
                    Err(lost) => {
                        if link.held().is_some_and(|c| c.token == claim.token) {
                            link.hold(None);
                            let _ = done.send(Event::ClaimLost(lost.to_string()));
                        }
                    }
                }
            }
        });
    }

    async fn enqueue(
        &self,
        review: &crate::store::deferred::DeferredReview,
        done: &UnboundedSender<Event>,
    ) {
        let origin = crate::store::inbox::Origin::here("workbench (deferred)");
        let left = match Act::enqueue(review, &origin, None, Utc::now()) {
            Ok(act) => self.write_or_owe(act).await,
            Err(e) => Err(e),
        };
        let said = match left {
            Ok(Kept::Written(Some(_))) => {
                Ok("It waits in the inbox too, for anyone to take (archbench inbox).".into())
            }
            Ok(Kept::Owed) => Ok(
                "The team store cannot be reached: the review reaches its inbox when it answers (kept on this machine meanwhile)."
                    .into(),
            ),
            Ok(Kept::Written(None)) => Err(format!(
                "The review is saved, but not in the inbox (another review has its id {}): `archbench resume` still opens it",
                review.id
            )),
            Err(e) => Err(format!(
                "The review is saved, but not in the inbox ({e}): `archbench resume` still opens it"
            )),
        };
        let _ = done.send(Event::Reported(said));
    }

    /// Settles the review held with `outcome` (a rejection).
    async fn settle(&self, outcome: String, done: &UnboundedSender<Event>) {
        let Some(claim) = self.held() else { return };
        let said = match self
            .write_or_owe(Act::settle(&claim, &outcome, Utc::now()))
            .await
        {
            Ok(Kept::Written(Some(_))) => {
                self.hold(None);
                Ok("The inbox has the rejection.".into())
            }
            Ok(Kept::Owed) => {
                self.hold(None);
                Ok("The team store cannot be reached: the rejection is kept on this machine and recorded there when it answers.".into())
            }
            Ok(Kept::Written(None)) => {
                let why = match self.inbox().await {
                    Ok(inbox) => inbox.why_not(&claim.id, Utc::now()).await.to_string(),
                    Err(e) => e,
                };
                Err(format!("The inbox could not record the rejection: {why}"))
            }
            Err(e) => Err(format!("The inbox could not record the rejection: {e}")),
        };
        let _ = done.send(Event::Reported(said));
    }

    /// Saves the review held as it now stands, then puts it back: whoever opens it next reads
    /// the comments made on it.
    async fn put_back(
        &self,
        review: &crate::store::deferred::DeferredReview,
        done: &UnboundedSender<Event>,
    ) {
        let Some(claim) = self.held() else { return };
        let saved = match Act::revise(&claim, review, Utc::now()) {
            Ok(act) => self.write_or_owe(act).await,
            Err(e) => Err(e),
        };
        if let Err(e) = saved {
            let _ = done.send(Event::Reported(Err(format!(
                "The comments made on the review could not go back with it ({e}); they stay in this machine's history"
            ))));
        }
        self.release(done).await;
    }

    /// Puts the review held back in the inbox.
    async fn release(&self, done: &UnboundedSender<Event>) {
        let Some(claim) = self.held() else { return };
        self.hold(None);
        if let Err(e) = self.write_or_owe(Act::release(&claim, Utc::now())).await {
            let _ = done.send(Event::Reported(Err(format!(
                "The review could not be put back in the inbox ({e}); it returns when its claim lapses"
            ))));
        }
    }

    /// Writes `act`, or keeps it for the team store when it cannot be reached (the replayer is
    /// woken to try).
    async fn write_or_owe(&self, act: Act) -> Result<Kept, String> {
        let inbox = self.inbox().await;
        queue::write_or_owe(self.queue.as_ref(), inbox, act).await
    }

    /// Replays what this machine owes the team store, in order, whenever something is owed:
    /// at once, then every [`REPLAY_EVERY`] while the store does not answer. A handoff is made
    /// through the gate once its review is settled; the reviewer hears what went and what the
    /// store refused.
    fn keep_replaying(&self, deliver: Deliver, done: UnboundedSender<Event>) {
        let Some(queue) = self.queue.clone() else {
            return;
        };
        let link = self.clone();
        tokio::spawn(async move {
            // Whether the store stopped answering since it last took everything.
            let mut away = false;
            loop {
                if queue.is_empty() {
                    queue::kept().notified().await;
                    continue;
                }
                let inbox = match link.inbox().await {
                    Ok(inbox) => inbox,
                    Err(_) => {
                        away = true;
                        tokio::time::sleep(REPLAY_EVERY).await;
                        continue;
                    }
                };
                let hand_off = |envelope, claim, sinks| {
                    let pending = PendingClaim {
                        inbox: inbox.clone(),
                        claim,
                        // Being replayed: not kept again, left where it is.
                        queue: None,
                    };
                    let made = deliver(envelope, pending, sinks);
                    Box::pin(async move { made.await.map(|_| ()).map_err(Into::into) })
                        as futures_util::future::BoxFuture<'static, _>
                };
                let replayed = inbox.replay(&queue, Some(&hand_off)).await;
                if let Some(said) = sent(&replayed, away) {
                    let _ = done.send(Event::Reported(Ok(said)));
                }
                away = replayed.left > 0;
                if !replayed.refused.is_empty() {
                    let _ = done.send(Event::Reported(Err(format!(
                        "The team store refused what was kept for it: {}",
                        replayed.refused.join("; ")
                    ))));
                }
                if replayed.left > 0 {
                    tokio::time::sleep(REPLAY_EVERY).await;
                }
            }
        });
    }

    async fn let_go(&self) {
        let Some(claim) = self.held() else { return };
        self.hold(None);
        if let Some(inbox) = self.inbox.get() {
            let _ = inbox.release(&claim).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{sent, Replayed};

    #[test]
    fn what_went_to_the_team_store_is_told_without_the_stream_of_audit_records() {
        let records = Replayed {
            records: 3,
            ..Replayed::default()
        };
        assert_eq!(sent(&records, false), None, "records go all the time");
        assert_eq!(
            sent(&records, true).as_deref(),
            Some("The team store answers again: what was kept on this machine went to it: 3 audit record(s)")
        );
        let mixed = Replayed {
            applied: vec!["review r-2 handed off to fullstack_developer".into()],
            records: 1,
            ..Replayed::default()
        };
        assert_eq!(
            sent(&mixed, true).as_deref(),
            Some("The team store answers again: what was kept on this machine went to it: review r-2 handed off to fullstack_developer; and 1 audit record(s)")
        );
        let handoff = Replayed {
            records: 0,
            ..mixed
        };
        assert_eq!(
            sent(&handoff, false).as_deref(),
            Some("Sent to the team store: review r-2 handed off to fullstack_developer")
        );
    }
}
