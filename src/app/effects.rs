//! The effect runner: carries out what `update` asked for (provider runs, the store, the sinks,
//! the clipboard, files) and brings the results back to the loop as events.

use crate::effect::Effect;
use crate::event::Event;
use crate::provider::{AgentEvent, EventSink, Provider, RunHandle};
use crate::routing::Envelope;
use crate::state::State;
use crate::store::ledger::Ledger;
use crate::terminal;
use chrono::Utc;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// Builds a provider for a choice of the model picker (main supplies it: it knows the threads,
/// the network settings and the environment).
pub type ProviderBuilder = Arc<
    dyn Fn(
            &crate::provider::choose::Choice,
        ) -> Result<Arc<dyn Provider>, crate::provider::ProviderError>
        + Send
        + Sync,
>;

/// Carries out effects; owns the running provider tasks.
pub struct EffectRunner {
    provider: Arc<dyn Provider>,
    outbox: PathBuf,
    delivery: crate::sink::DeliveryOptions,
    /// Where deferred reviews are saved.
    deferred_dir: PathBuf,
    /// Audit entries go to one writer thread, in order.
    audit: Option<crate::store::audit_writer::AuditWriter>,
    /// The log itself, for the handoff gate's own record.
    audit_log: Option<crate::store::audit::AuditLog>,
    /// Every run and review change goes to the session store through this writer.
    sessions: Option<crate::store::writer::SessionWriter>,
    /// The session store's file, which the history screen reads.
    sessions_path: Option<PathBuf>,
    /// Where the brief's draft is saved (none: drafts are off).
    drafts_dir: Option<PathBuf>,
    /// Builds providers for the model picker (none: switching is not offered).
    builder: Option<ProviderBuilder>,
    /// Stops terminal input while an editor has the terminal (none: no editor is offered).
    pub pause: Option<crate::input::Pause>,
    /// Whether the terminal's mouse mode is on (put back after an editor).
    pub mouse: bool,
    runs: HashMap<u64, RunHandle>,
    /// Checks the answers' SQL (none: the check is off).
    checker: Option<Arc<crate::check::Checker>>,
    agent_tx: UnboundedSender<(u64, AgentEvent)>,
    pub(super) internal_tx: UnboundedSender<Event>,
    /// The session store a watcher follows, where its comments go (none: not watching).
    shares_to: Option<ShareTo>,
    /// The team store whose history the history screen reads (none: this machine's).
    team: Option<String>,
    /// The inbox of reviews waiting, and the claim this workbench holds (none: not offered).
    pub inbox: Option<super::inbox::InboxLink>,
}

impl EffectRunner {
    pub fn new(
        provider: Arc<dyn Provider>,
        outbox: PathBuf,
        agent_tx: UnboundedSender<(u64, AgentEvent)>,
        internal_tx: UnboundedSender<Event>,
    ) -> Self {
        Self {
            provider,
            outbox,
            delivery: crate::sink::DeliveryOptions::default(),
            deferred_dir: crate::paths::deferred_dir(),
            audit: None,
            audit_log: None,
            sessions: None,
            sessions_path: None,
            shares_to: None,
            team: None,
            drafts_dir: None,
            builder: None,
            pause: None,
            mouse: false,
            runs: HashMap::new(),
            checker: None,
            agent_tx,
            internal_tx,
            inbox: None,
        }
    }

    /// Offers the inbox: the team's PostgreSQL at `url`, else the session store at `sqlite`.
    pub fn with_inbox(mut self, url: Option<String>, sqlite: PathBuf) -> Self {
        self.team = url.clone();
        let (outbox, options, audit, sessions) = (
            self.outbox.clone(),
            self.delivery.clone(),
            self.audit_log.clone(),
            sqlite.clone(),
        );
        let deliver: super::inbox::Deliver = Arc::new(move |envelope, pending, sinks| {
            let ledger = Ledger::new(sessions.clone())
                .with_audit(audit.clone())
                .with_pending(Some(pending));
            let (outbox, options) = (outbox.clone(), options.clone());
            Box::pin(async move {
                crate::sink::deliver(&envelope, &ledger, &outbox, &sinks, &options, false).await
            })
        });
        self.inbox = Some(super::inbox::InboxLink::new(
            url,
            sqlite,
            self.internal_tx.clone(),
            deliver,
        ));
        self
    }

    /// Appends audit entries to `log`, from a thread of its own so the UI never waits on the
    /// disk, and in the order they happened. Handoffs append their own record through the gate.
    pub fn with_audit_log(mut self, log: crate::store::audit::AuditLog) -> Self {
        self.audit_log = Some(log.clone());
        let report = self.internal_tx.clone();
        let writer = crate::store::audit_writer::AuditWriter::spawn(log, move |said| {
            let _ = report.send(Event::Reported(said));
        });
        match writer {
            Ok(writer) => self.audit = Some(writer),
            Err(e) => tracing::error!("cannot start the audit writer: {e}"),
        }
        self
    }

    /// Where the history screen reads: the team's history, else this machine's session store.
    fn history_source(&self) -> super::history::Source {
        match &self.team {
            Some(url) => super::history::Source::Team(url.clone()),
            None => super::history::Source::Here(self.sessions_path.clone()),
        }
    }

    /// `archbench watch`: comments written here go where the watched run is read from.
    pub fn sharing_to(mut self, to: ShareTo) -> Self {
        self.shares_to = Some(to);
        self
    }

    /// Checks each answer's SQL with this checker (its server starts when first needed).
    pub fn with_checker(mut self, checker: Arc<crate::check::Checker>) -> Self {
        self.checker = Some(checker);
        self
    }

    /// How webhooks and commands are called.
    pub fn with_delivery(mut self, options: crate::sink::DeliveryOptions) -> Self {
        self.delivery = options;
        self
    }

    /// Saves deferred reviews into `dir`.
    pub fn with_deferred_dir(mut self, dir: PathBuf) -> Self {
        self.deferred_dir = dir;
        self
    }

    /// Keeps every run in the session store at `path`. Returns the runs that earlier processes
    /// left unfinished (now kept as interrupted, their partial answers intact).
    pub fn open_session_store(
        &mut self,
        path: &Path,
    ) -> Result<Vec<crate::store::sessions::RunSummary>, crate::store::sessions::StoreError> {
        let report = self.internal_tx.clone();
        let (writer, recovered) =
            crate::store::writer::SessionWriter::open(path, move |message| {
                let _ = report.send(Event::Reported(Err(message)));
            })?;
        self.sessions = Some(writer);
        self.sessions_path = Some(path.to_path_buf());
        Ok(recovered)
    }

    /// Saves drafts of the brief into `dir`.
    pub fn with_drafts_dir(mut self, dir: PathBuf) -> Self {
        self.drafts_dir = Some(dir);
        self
    }

    /// Lets the model picker switch providers.
    pub fn with_builder(mut self, builder: ProviderBuilder) -> Self {
        self.builder = Some(builder);
        self
    }

    /// Queues one record for the session store (dropped when none is open).
    pub fn record(&self, record: crate::store::writer::Record) {
        if let Some(writer) = &self.sessions {
            writer.send(record);
        }
    }

    /// Writes everything held for the session store and the brief as it stands: the process is
    /// about to end (quit, ssh dropped, SIGTERM).
    pub fn flush(&mut self, state: &State) {
        if let Some(dir) = &self.drafts_dir {
            let owner = state.draft_owner();
            if state.quit && !state.brief_needs_draft() {
                crate::store::draft::remove(dir, &owner);
            } else if state.brief_revision != state.draft_saved {
                if let Err(e) = crate::store::draft::save(dir, &owner, &state.brief_text()) {
                    tracing::error!("draft {}: {e}", dir.display());
                }
            }
        }
        if let Some(writer) = self.sessions.take() {
            writer.close();
        }
    }

    /// Keeps a copy of the brief where the panic hook can write it.
    pub(super) fn remember_brief(&self, state: &State) {
        if let Some(dir) = &self.drafts_dir {
            crate::store::draft::remember(dir, &state.draft_owner(), &state.brief_text());
        }
    }

    /// Queues one audit entry for the log (dropped when no log is configured).
    pub fn audit(&self, entry: crate::store::audit::AuditEntry) {
        if let Some(writer) = &self.audit {
            writer.send(entry);
        }
    }

    pub fn run(&mut self, effect: Effect) {
        match effect {
            Effect::StartRun { run_id, request } => {
                let handle = self
                    .provider
                    .start(request, EventSink::new(run_id, self.agent_tx.clone()));
                self.runs.insert(run_id, handle);
            }
            Effect::CancelRun { run_id } => {
                if let Some(handle) = self.runs.remove(&run_id) {
                    handle.cancel();
                }
            }
            Effect::Handoff { request, sinks } => {
                let outbox = self.outbox.clone();
                let options = self.delivery.clone();
                let done = self.internal_tx.clone();
                let audit = self.audit_log.clone();
                // The gate's record goes after every record queued before it.
                let queued = self.audit.as_ref().map(|w| w.barrier());
                let link = self.inbox.clone();
                let ledger = self
                    .sessions_path
                    .clone()
                    .map(|store| Ledger::new(store).with_audit(audit));
                tokio::spawn(async move {
                    use crate::sink::HandoffError;
                    if let Some(queued) = queued {
                        let _ = tokio::task::spawn_blocking(move || {
                            queued.recv_timeout(std::time::Duration::from_secs(30))
                        })
                        .await;
                    }
                    // The review's claim in the inbox, if it came from there: settled by the gate.
                    let pending = match &link {
                        Some(link) => link.pending().await,
                        None => None,
                    };
                    let ledger = ledger.map(|l| l.with_pending(pending.clone()));
                    let envelope =
                        Envelope::build(*request, uuid::Uuid::now_v7().to_string(), Utc::now());
                    let result = match (envelope, ledger) {
                        // Standard output is the workbench's screen: never a sink here.
                        (Ok(envelope), Some(ledger)) => {
                            crate::sink::deliver(&envelope, &ledger, &outbox, &sinks, &options, false)
                                .await
                        }
                        (Ok(_), None) => Err(HandoffError::Failed(
                            "no session store is open, and it is what keeps each answer handed off at most once".into(),
                        )),
                        (Err(e), _) => Err(HandoffError::Failed(e.to_string())),
                    };
                    if let (Ok(_), Some(link), Some(pending)) = (&result, &link, &pending) {
                        link.settled(&pending.claim.id);
                    }
                    if let (Err(HandoffError::Queued(_)), Some(link)) = (&result, &link) {
                        link.owed();
                    }
                    let _ = done.send(Event::HandedOff(result));
                });
            }
            Effect::Defer(review) => {
                let dir = self.deferred_dir.clone();
                let done = self.internal_tx.clone();
                let link = self.inbox.clone();
                tokio::task::spawn_blocking(move || {
                    let result = crate::store::deferred::save(&dir, &review)
                        .map(|path| (review.id.clone(), path));
                    let saved = result.is_ok();
                    let _ = done.send(Event::Deferred(result));
                    // Saved first: a review is in the inbox only once it is on disk too.
                    if let (true, Some(link)) = (saved, link) {
                        link.enqueue(*review);
                    }
                });
            }
            Effect::ForgetDeferred(path) => {
                if let Err(e) = std::fs::remove_file(&path) {
                    tracing::warn!("cannot remove the settled review {}: {e}", path.display());
                }
            }
            Effect::ShareComment { key, comment } => {
                let done = self.internal_tx.clone();
                match self.shares_to.clone() {
                    Some(ShareTo::Team(url)) => {
                        tokio::spawn(async move {
                            let result = share_in_team(&url, &key, &comment).await;
                            let _ = done.send(Event::Reported(result));
                        });
                    }
                    here => {
                        tokio::task::spawn_blocking(move || {
                            let store = match &here {
                                Some(ShareTo::Here(path)) => Some(path.as_path()),
                                _ => None,
                            };
                            let result = share_comment(store, &key, &comment);
                            let _ = done.send(Event::Reported(result));
                        });
                    }
                }
            }
            Effect::Copy { text, what } => {
                let done = self.internal_tx.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = done.send(Event::Reported(copy_to_clipboard(&text, &what)));
                });
            }
            Effect::SaveBlocks {
                blocks,
                exports,
                dir,
            } => {
                let done = self.internal_tx.clone();
                tokio::task::spawn_blocking(move || {
                    let result = crate::review::blocks::save_blocks(&blocks, &exports, &dir)
                        .map(|paths| {
                            let names: Vec<String> = paths
                                .iter()
                                .filter_map(|p| p.file_name())
                                .map(|n| n.to_string_lossy().into_owned())
                                .collect();
                            format!(
                                "Saved {} code block(s){} to {}: {}",
                                blocks.len(),
                                if exports.is_empty() {
                                    ""
                                } else {
                                    " and the schema the check built"
                                },
                                dir.display(),
                                names.join(", ")
                            )
                        })
                        .map_err(|e| {
                            format!(
                                "Could not save into {}: {e}. Nothing is lost; s tries again.",
                                dir.display()
                            )
                        });
                    let _ = done.send(Event::Reported(result));
                });
            }
            Effect::Export { path, text } => {
                let done = self.internal_tx.clone();
                tokio::task::spawn_blocking(move || {
                    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let result = crate::store::outbox::write_atomic(&dir, &name, text.as_bytes())
                        .map(|p| format!("Exported the answer to {}", p.display()))
                        .map_err(|e| format!("Could not export into {}: {e}", dir.display()));
                    let _ = done.send(Event::Reported(result));
                });
            }
            Effect::EditBrief { text } => {
                let Some(pause) = self.pause.clone() else {
                    let _ = self.internal_tx.send(Event::BriefEdited(Err(
                        "an external editor is not offered here".into(),
                    )));
                    return;
                };
                let mouse = self.mouse;
                // The editor has the terminal until it exits: this loop waits for it.
                let result = tokio::task::block_in_place(|| edit_externally(&text, &pause, mouse));
                let _ = self.internal_tx.send(Event::BriefEdited(result));
            }
            Effect::SetSyntaxTheme(name) => {
                let result = crate::render::highlight::set_theme(&name);
                let _ = self.internal_tx.send(Event::SyntaxThemeSet(result));
            }
            Effect::ListModels => {
                let provider = self.provider.clone();
                let done = self.internal_tx.clone();
                tokio::spawn(async move {
                    let result = provider.models().await.map_err(|e| e.to_string());
                    let _ = done.send(Event::ModelsListed(result));
                });
            }
            Effect::BuildProvider(choice) => {
                let done = self.internal_tx.clone();
                let Some(builder) = self.builder.clone() else {
                    let _ = done.send(Event::ProviderBuilt(Err(
                        "switching the model is not offered here".into(),
                    )));
                    return;
                };
                // A key command may run: off the loop's thread.
                tokio::task::spawn_blocking(move || {
                    let result = builder(&choice)
                        .map(|provider| crate::provider::choose::Built { provider, choice })
                        .map_err(|e| e.to_string());
                    let _ = done.send(Event::ProviderBuilt(result));
                });
            }
            Effect::UseProvider(built) => {
                self.provider = built.provider;
            }
            Effect::LoadInbox(filter) => match &self.inbox {
                Some(link) => link.load(filter),
                None => {
                    let _ = self
                        .internal_tx
                        .send(Event::InboxLoaded(Err("there is no inbox here".into())));
                }
            },
            Effect::OpenPending { id, by, role } => match &self.inbox {
                Some(link) => link.open(id, by, role),
                None => {
                    let _ = self
                        .internal_tx
                        .send(Event::PendingOpened(Err("there is no inbox here".into())));
                }
            },
            Effect::SettlePending(outcome) => {
                if let Some(link) = &self.inbox {
                    link.settle(outcome);
                }
            }
            Effect::ReleasePending => {
                if let Some(link) = &self.inbox {
                    link.release();
                }
            }
            Effect::PutBackPending(review) => {
                if let Some(link) = &self.inbox {
                    link.put_back(*review);
                }
            }
            Effect::LoadHistory { query } => {
                super::history::load(self.history_source(), query, self.internal_tx.clone());
            }
            Effect::LoadRuns { ids, then } => {
                super::history::load_runs(
                    self.history_source(),
                    ids,
                    then,
                    self.internal_tx.clone(),
                );
            }
            Effect::SaveDraft {
                owner,
                text,
                replaces,
            } => {
                let Some(dir) = self.drafts_dir.clone() else {
                    return;
                };
                let done = self.internal_tx.clone();
                tokio::task::spawn_blocking(move || {
                    let saved = crate::store::draft::save(&dir, &owner, &text);
                    if let (Ok(_), Some(old)) = (&saved, replaces) {
                        let _ = std::fs::remove_file(old);
                    }
                    if let Err(e) = saved {
                        tracing::error!("draft {}: {e}", dir.display());
                        let _ = done.send(Event::Reported(Err(format!(
                            "The draft of the brief could not be saved in {}: {e}. Your text is still in the editor.",
                            dir.display()
                        ))));
                    }
                });
            }
            Effect::WarmCheckServer => {
                if let Some(checker) = self.checker.clone() {
                    tokio::spawn(async move {
                        let _ = checker.server().await;
                    });
                }
            }
            Effect::CheckSql {
                run_id,
                text,
                brief,
            } => {
                let done = self.internal_tx.clone();
                let Some(checker) = self.checker.clone() else {
                    return;
                };
                let told = done.clone();
                let progress = crate::check::Progress::new(move |applied, total| {
                    let _ = told.send(Event::CheckProgress {
                        run_id,
                        done: applied,
                        total,
                    });
                });
                tokio::spawn(async move {
                    let report = checker.check(&text, Some(&brief), progress).await;
                    let _ = done.send(Event::Checked {
                        run_id,
                        report: Box::new(report),
                    });
                });
            }
            Effect::Quit => {
                for (_, handle) in self.runs.drain() {
                    handle.cancel();
                }
            }
        }
    }
}

/// Puts `text` on the clipboard two ways: the OSC 52 sequence to the terminal (works over ssh and
/// in tmux, but the terminal may refuse it silently, so the message says so), and the native
/// clipboard tool when a display is there to use it.
fn copy_to_clipboard(text: &str, what: &str) -> Result<String, String> {
    use std::io::Write;
    let sequence = crate::review::blocks::osc52(text, std::env::var_os("TMUX").is_some());
    let mut out = std::io::stdout();
    let sent = out
        .write_all(sequence.as_bytes())
        .and_then(|_| out.flush())
        .is_ok();
    let tools: &[(&str, &[&str], &str)] = &[
        ("wl-copy", &[], "WAYLAND_DISPLAY"),
        ("xclip", &["-selection", "clipboard"], "DISPLAY"),
        ("xsel", &["--clipboard", "--input"], "DISPLAY"),
        ("pbcopy", &[], ""),
    ];
    let native = tools.iter().find_map(|(tool, args, needs)| {
        if !needs.is_empty() && std::env::var_os(needs).is_none() {
            return None;
        }
        let mut child = std::process::Command::new(tool)
            .args(*args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        child.stdin.take()?.write_all(text.as_bytes()).ok()?;
        child.wait().ok()?.success().then_some(*tool)
    });
    match (sent, native) {
        (_, Some(tool)) => Ok(format!("Copied {what} ({} bytes) with {tool}, and sent it by OSC 52.", text.len())),
        (true, None) => Ok(format!("Sent {what} ({} bytes) by OSC 52; your terminal decides whether to accept it (tmux: set-clipboard on).", text.len())),
        (false, None) => Err(format!("Could not copy {what}: no terminal to send OSC 52 to and no clipboard tool found.")),
    }
}

/// Where a watcher's comments go: the store the watched run is read from.
#[derive(Clone)]
pub enum ShareTo {
    /// This machine's session store.
    Here(PathBuf),
    /// The team store at this URL (the run may be driven on another machine).
    Team(String),
}

/// Writes a watcher's comment on the run `key` into the team store at `url`: what to tell the
/// watcher.
async fn share_in_team(
    url: &str,
    key: &str,
    comment: &crate::review::comments::Comment,
) -> Result<String, String> {
    let shared = match crate::store::inbox::PgInbox::connect(url).await {
        Ok(team) => {
            team.share_comment(key, &comment.at.to_rfc3339(), &serde_json::json!(comment))
                .await
        }
        Err(e) => Err(e),
    };
    shared
        .map(|()| {
            format!(
                "Comment on {} sent to the reviewer.",
                comment.anchor.label()
            )
        })
        .map_err(|e| format!("The comment could not be sent (it stays on this screen): {e}"))
}

/// Writes a watcher's comment on the run `key` into the session store at `store`: what to tell
/// the watcher.
fn share_comment(
    store: Option<&std::path::Path>,
    key: &str,
    comment: &crate::review::comments::Comment,
) -> Result<String, String> {
    let store = store.ok_or("Comments are shared only while watching.")?;
    crate::store::sessions::Store::open(store)
        .and_then(|s| s.share_comment(key, &comment.at.to_rfc3339(), &serde_json::json!(comment)))
        .map(|()| {
            format!(
                "Comment on {} sent to the reviewer.",
                comment.anchor.label()
            )
        })
        .map_err(|e| format!("The comment could not be sent (it stays on this screen): {e}"))
}

/// The effect runner and the channels that bring results back to the loop.
pub struct Wiring {
    pub runner: EffectRunner,
    pub agent_rx: UnboundedReceiver<(u64, AgentEvent)>,
    pub internal_rx: UnboundedReceiver<Event>,
}

impl Wiring {
    pub fn new(provider: Arc<dyn Provider>, outbox: PathBuf) -> Self {
        let (agent_tx, agent_rx) = unbounded_channel();
        let (internal_tx, internal_rx) = unbounded_channel();
        Self {
            runner: EffectRunner::new(provider, outbox, agent_tx, internal_tx),
            agent_rx,
            internal_rx,
        }
    }

    /// Records every state change in the audit log at `path`.
    pub fn with_audit_log(mut self, log: crate::store::audit::AuditLog) -> Self {
        self.runner = self.runner.with_audit_log(log);
        self
    }

    /// How webhooks and commands are called.
    pub fn with_delivery(mut self, options: crate::sink::DeliveryOptions) -> Self {
        self.runner = self.runner.with_delivery(options);
        self
    }

    /// Saves deferred reviews into `dir`.
    pub fn with_deferred_dir(mut self, dir: PathBuf) -> Self {
        self.runner = self.runner.with_deferred_dir(dir);
        self
    }

    /// Saves drafts of the brief into `dir`.
    pub fn with_drafts_dir(mut self, dir: PathBuf) -> Self {
        self.runner = self.runner.with_drafts_dir(dir);
        self
    }

    /// Lets the model picker switch providers.
    pub fn with_builder(mut self, builder: ProviderBuilder) -> Self {
        self.runner = self.runner.with_builder(builder);
        self
    }
}

/// Opens `text` in `$VISUAL` (else `$EDITOR`, else `vi`) on a private temporary file, with the
/// terminal handed over (input paused, the screen and modes restored) and taken back after.
/// Returns the edited text, or why there is none (the brief is then unchanged).
fn edit_externally(text: &str, pause: &crate::input::Pause, mouse: bool) -> Result<String, String> {
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|e| !e.trim().is_empty()))
        .unwrap_or_else(|| "vi".to_string());
    // Owner-only, beside the drafts (the brief is private text); removed once read.
    let dir = crate::paths::drafts_dir();
    let name = format!("editing-{}.md", std::process::id());
    let path = crate::store::outbox::write_atomic(&dir, &name, text.as_bytes()).map_err(|e| {
        format!(
            "cannot make a file for the editor in {}: {e}",
            dir.display()
        )
    })?;
    let cleanup = |result: Result<String, String>| {
        let _ = std::fs::remove_file(&path);
        result
    };
    pause.pause();
    terminal::suspend();
    // The editor command is the user's own setting; the file is passed as an argument, never
    // pasted into the command.
    let status = std::process::Command::new("sh")
        .args(["-c", &format!("{editor} \"$1\""), "sh"])
        .arg(&path)
        .status();
    let back = terminal::resume(mouse);
    pause.resume();
    if let Err(e) = back {
        return cleanup(Err(format!("cannot take the terminal back: {e}")));
    }
    cleanup(match status {
        Ok(s) if s.success() => std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read what the editor saved: {e}")),
        Ok(s) => Err(format!(
            "`{editor}` exited with {s}; the brief is unchanged"
        )),
        Err(e) => Err(format!(
            "cannot start `{editor}`: {e}; set $VISUAL or $EDITOR"
        )),
    })
}
