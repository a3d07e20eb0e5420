//! Starting the workbench in a terminal (full screen, inline, or watching another's session):
//! the terminal set up, what an earlier process left told, the loop run until asked to stop.

use super::drive::{drive, Instruments};
use super::effects::{ProviderBuilder, ShareTo, Wiring};
use crate::event::Event;
use crate::input::Input;
use crate::provider::Provider;
use crate::state::State;
use crate::terminal;
use futures_util::StreamExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Tells the reviewer what an earlier process left unfinished and where to find it, after
/// whatever the start already had to say (a recovered draft).
fn recovered_notice(state: &mut State, recovered: &[crate::store::sessions::RunSummary]) {
    let Some(latest) = recovered.iter().max_by_key(|r| r.id) else {
        return;
    };
    let runs = if recovered.len() == 1 {
        format!(
            "Recovered run #{} ({}, {} bytes kept) that ended with its process",
            latest.id, latest.role_id, latest.bytes
        )
    } else {
        format!(
            "Recovered {} runs that ended with their process (latest #{}, {} bytes kept)",
            recovered.len(),
            latest.id,
            latest.bytes
        )
    };
    let text = format!("{runs}: archbench sessions show {}.", latest.id);
    state.notice = Some(match state.notice.take() {
        Some(earlier) => crate::state::Notice {
            level: earlier.level,
            text: format!("{} {text}", earlier.text),
        },
        None => crate::state::Notice {
            level: crate::state::NoticeLevel::Warning,
            text,
        },
    });
}

/// Resolves when the process is asked to stop: the ssh connection dropped (SIGHUP), the system
/// asks (SIGTERM), or someone sent SIGINT from outside (Ctrl-C at the keyboard is a key in raw
/// mode). The loop then leaves cleanly, keeping the draft and the session.
fn stop_signals() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hangup = signal(SignalKind::hangup())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = hangup.recv() => {}
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}

/// Where a watched session is read.
pub enum Watching {
    /// This machine's session store.
    Here(PathBuf),
    /// The team's history in the team store at this URL: a session on any machine.
    Team(String),
}

/// `archbench watch`: the session whose id starts with `session`, read-only, as the follower
/// reads it from the store at `store`. Nothing is written (no run, audit log or draft) but the
/// watcher's comments, which go into that store for the reviewer's workbench to pick up.
pub async fn run_watch(
    mut state: State,
    source: Watching,
    session: Option<String>,
) -> color_eyre::Result<()> {
    let (mut terminal, _guard) = terminal::enter(state.mouse)?;
    let mut wiring = Wiring::new(Arc::new(crate::provider::Nothing), PathBuf::new());
    let events = wiring.runner.internal_tx.clone();
    let send = move |watch| events.send(Event::Watched(watch)).is_ok();
    let follower = match source {
        Watching::Here(store) => {
            wiring.runner = wiring.runner.sharing_to(ShareTo::Here(store.clone()));
            tokio::spawn(crate::store::follow::follow(
                store,
                session,
                Duration::from_millis(200),
                send,
            ))
        }
        Watching::Team(url) => {
            wiring.runner = wiring.runner.sharing_to(ShareTo::Team(url.clone()));
            tokio::spawn(crate::store::follow::follow_team(url, session, send))
        }
    };
    let stop = stop_signals()?;
    let size = terminal.size()?;
    let (terminal_inputs, _pause) = crate::input::spawn()?;
    let inputs = futures_util::stream::iter([Input::Event(Event::Resize {
        width: size.width,
        height: size.height,
    })])
    .chain(terminal_inputs);
    let mut instruments = Instruments::default();
    let result = drive(
        &mut state,
        &mut terminal,
        inputs,
        &mut wiring,
        stop,
        |_| false,
        &mut instruments,
    )
    .await;
    follower.abort();
    result
}

/// Copies this workbench's runs into the team store `url` while it runs (the team's
/// `archbench sessions` and `watch` read them there). The replayer of what is kept for the team
/// store says when it is away; this only logs it.
fn copy_runs(url: &str, sessions: &std::path::Path) -> Option<tokio::task::JoinHandle<()>> {
    crate::store::inbox::copying::start(url, sessions, |away| match away {
        Some(why) => tracing::warn!("runs wait on this machine for the team store: {why}"),
        None => tracing::info!("the team store takes this machine's runs again"),
    })
    .map_err(|e| tracing::warn!("runs are not copied into the team store: {e}"))
    .ok()
}

/// How the workbench starts besides its state.
#[derive(Default)]
pub struct Opening {
    /// Done once the screen is up (`--run`, or `archbench inbox` opening the inbox).
    pub first: Option<crate::action::Action>,
    /// The team store the inbox is in (none: the session store).
    pub store_url: Option<String>,
    /// A claim on the review on screen, taken before the start (`archbench resume`).
    pub claim: Option<crate::store::inbox::Claim>,
}

/// Runs the full-screen workbench until the user quits or the terminal goes away.
pub async fn run_tui(
    mut state: State,
    provider: Arc<dyn Provider>,
    outbox: PathBuf,
    opening: Opening,
    builder: Option<ProviderBuilder>,
    checker: Option<Arc<crate::check::Checker>>,
) -> color_eyre::Result<()> {
    let Opening {
        first,
        store_url,
        claim,
    } = opening;
    let (mut terminal, _guard) = if state.inline {
        terminal::enter_inline(state.mouse)?
    } else {
        terminal::enter(state.mouse)?
    };
    let delivery = state.session.chain.sinks.options.clone();
    let mut wiring = Wiring::new(provider, outbox)
        .with_audit_log(
            crate::store::audit::AuditLog::new(
                crate::paths::audit_log(),
                Some(crate::paths::sessions_db()),
            )
            .with_team(store_url.as_deref().map(|url| {
                crate::store::inbox::queue::Queue::new(&crate::paths::sessions_db(), url)
            })),
        )
        .with_delivery(delivery)
        .with_drafts_dir(crate::paths::drafts_dir());
    if let Some(builder) = builder {
        wiring = wiring.with_builder(builder);
    }
    if let Some(checker) = checker {
        wiring.runner = wiring.runner.with_checker(checker);
    }
    let store = crate::paths::sessions_db();
    let sessions = store.clone();
    let copying = store_url.as_deref().and_then(|url| copy_runs(url, &store));
    let copy_url = store_url.clone();
    wiring.runner = wiring.runner.with_inbox(store_url, store.clone());
    if let (Some(claim), Some(link)) = (claim, &wiring.runner.inbox) {
        link.adopt(claim);
    }
    match wiring.runner.open_session_store(&store) {
        Ok(recovered) => recovered_notice(&mut state, &recovered),
        Err(e) => {
            tracing::error!("{e}");
            state.notice = Some(crate::state::Notice {
                level: crate::state::NoticeLevel::Warning,
                text: format!(
                    "{e}. Runs are not kept in history this time, and nothing can be handed off: the store is what keeps each answer handed off at most once."
                ),
            });
        }
    }
    // Comments from anyone watching this workbench's runs: on this machine, and through the
    // team store from any other.
    let team_comments = copy_url.clone().map(|url| {
        let events = wiring.runner.internal_tx.clone();
        tokio::spawn(crate::store::follow::shared_comments_in_team(
            url,
            state.instance.clone(),
            move |key, comment| events.send(Event::CommentShared { key, comment }).is_ok(),
        ))
    });
    let events = wiring.runner.internal_tx.clone();
    let co_review = tokio::spawn(crate::store::follow::shared_comments(
        store,
        state.instance.clone(),
        Duration::from_millis(300),
        move |key, comment| events.send(Event::CommentShared { key, comment }).is_ok(),
    ));
    let stop = stop_signals()?;
    let size = terminal.size()?;
    let mut begin = vec![Event::Resize {
        width: size.width,
        height: size.height,
    }];
    if let Some(action) = first {
        begin.push(Event::Action(action));
    }
    let (terminal_inputs, pause) = crate::input::spawn()?;
    wiring.runner.pause = Some(pause);
    wiring.runner.mouse = state.mouse;
    let inputs =
        futures_util::stream::iter(begin.into_iter().map(Input::Event)).chain(terminal_inputs);
    let mut instruments = Instruments::default();
    let result = drive(
        &mut state,
        &mut terminal,
        inputs,
        &mut wiring,
        stop,
        |_| false,
        &mut instruments,
    )
    .await;
    co_review.abort();
    if let Some(task) = team_comments {
        task.abort();
    }
    // A review held goes back to the inbox now rather than when its lease lapses.
    if let Some(link) = &wiring.runner.inbox {
        link.let_go().await;
    }
    if let (Some(task), Some(url)) = (copying, &copy_url) {
        task.abort();
        // The session store was written to the end (the last run's end, the review's last
        // events): sent now if the store answers at once, else by the next archbench here.
        let mut copier = crate::store::inbox::copying::Copier::new(url, &sessions);
        let _ = tokio::time::timeout(Duration::from_secs(3), copier.pass()).await;
    }
    result
}
