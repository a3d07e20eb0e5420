//! The interactive loop: terminal events, provider events and handoff results go through
//! [`update`]; the effects it returns are carried out here, the only place that starts runs,
//! writes files or spawns tasks. Frames are coalesced: many deltas between two frames cost one.

use crate::effect::Effect;
use crate::event::{Event, Timed};
use crate::provider::{AgentEvent, Provider, RunHandle};
use crate::routing::Envelope;
use crate::state::{update, State};
use crate::store::outbox;
use crate::terminal;
use chrono::Utc;
use crossterm::event::{Event as TermEvent, EventStream};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio::time::Instant;

/// At most about 60 frames a second, however fast deltas arrive.
const FRAME: Duration = Duration::from_millis(16);

/// Carries out effects; owns the running provider tasks.
pub struct EffectRunner {
    provider: Arc<dyn Provider>,
    outbox: PathBuf,
    runs: HashMap<u64, RunHandle>,
    agent_tx: UnboundedSender<(u64, AgentEvent)>,
    internal_tx: UnboundedSender<Event>,
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
            runs: HashMap::new(),
            agent_tx,
            internal_tx,
        }
    }

    pub fn run(&mut self, effect: Effect) {
        match effect {
            Effect::StartRun { run_id, request } => {
                let (tx, mut rx) = unbounded_channel::<AgentEvent>();
                let forward = self.agent_tx.clone();
                tokio::spawn(async move {
                    while let Some(event) = rx.recv().await {
                        if forward.send((run_id, event)).is_err() {
                            break;
                        }
                    }
                });
                let handle = self.provider.start(request, tx);
                self.runs.insert(run_id, handle);
            }
            Effect::CancelRun { run_id } => {
                if let Some(handle) = self.runs.remove(&run_id) {
                    handle.cancel();
                }
            }
            Effect::Handoff(request) => {
                let outbox = self.outbox.clone();
                let done = self.internal_tx.clone();
                tokio::task::spawn_blocking(move || {
                    let result =
                        Envelope::build(*request, uuid::Uuid::now_v7().to_string(), Utc::now())
                            .map_err(|e| e.to_string())
                            .and_then(|envelope| outbox::write_envelope(&outbox, &envelope));
                    let _ = done.send(Event::HandoffWritten(result));
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

/// Runs the full-screen workbench until the user quits or the terminal goes away.
pub async fn run_tui(
    mut state: State,
    provider: Arc<dyn Provider>,
    outbox: PathBuf,
    autorun: bool,
) -> color_eyre::Result<()> {
    crate::render::highlight::warm_up();
    let (mut terminal, _guard) = terminal::enter()?;
    let (agent_tx, mut agent_rx) = unbounded_channel::<(u64, AgentEvent)>();
    let (internal_tx, mut internal_rx) = unbounded_channel::<Event>();
    let mut runner = EffectRunner::new(provider, outbox, agent_tx, internal_tx.clone());
    let mut keys = EventStream::new();
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;

    let size = terminal.size()?;
    let handle = |state: &mut State, event: Event, runner: &mut EffectRunner| {
        for effect in update(
            state,
            Timed {
                at: Utc::now(),
                event,
            },
        ) {
            runner.run(effect);
        }
    };
    handle(
        &mut state,
        Event::Resize {
            width: size.width,
            height: size.height,
        },
        &mut runner,
    );
    if autorun {
        handle(
            &mut state,
            Event::Action(crate::action::Action::Run),
            &mut runner,
        );
    }
    let mut dirty = true;
    let mut last_frame = Instant::now() - FRAME;
    loop {
        if dirty && last_frame.elapsed() >= FRAME {
            terminal.draw(|frame| crate::ui::draw(frame, &state))?;
            last_frame = Instant::now();
            dirty = false;
        }
        let next_frame = last_frame + FRAME;
        tokio::select! {
            input = keys.next() => match input {
                Some(Ok(TermEvent::Key(key))) => handle(&mut state, Event::Key(key), &mut runner),
                Some(Ok(TermEvent::Paste(text))) => handle(&mut state, Event::Paste(text), &mut runner),
                Some(Ok(TermEvent::Resize(width, height))) => handle(&mut state, Event::Resize { width, height }, &mut runner),
                Some(Ok(_)) => continue,
                // The terminal is gone (ssh dropped): leave; the guard restores what it can.
                Some(Err(_)) | None => break,
            },
            Some((run_id, event)) = agent_rx.recv() => {
                handle(&mut state, Event::Agent { run_id, event }, &mut runner);
                // Everything already queued goes in before the next frame.
                while let Ok((run_id, event)) = agent_rx.try_recv() {
                    handle(&mut state, Event::Agent { run_id, event }, &mut runner);
                }
            }
            Some(event) = internal_rx.recv() => handle(&mut state, event, &mut runner),
            _ = tokio::time::sleep_until(next_frame), if dirty => continue,
            _ = hangup.recv() => break,
            _ = terminate.recv() => break,
        }
        dirty = true;
        if state.quit {
            break;
        }
    }
    runner.run(Effect::Quit);
    Ok(())
}
