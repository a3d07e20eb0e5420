//! The loop itself, on any ratatui backend: inputs and provider events through `update`,
//! effects to the runner, frames drawn when something visible changed.

use super::effects::{EffectRunner, Wiring};
use crate::effect::Effect;
use crate::event::{Event, Timed};
use crate::input::Input;
use crate::state::{update, State};
use chrono::Utc;
use futures_util::StreamExt;
use std::time::Duration;
use tokio::time::Instant;

/// At most about 60 frames a second, however fast deltas arrive, when a key waits for its frame.
const FRAME: Duration = Duration::from_millis(16);

/// At most 20 frames a second while only the stream changes the screen: text arriving reads
/// as smooth at 20 (terminal clients refresh streamed text at 4 to 30), and each frame costs a
/// whole draw, most of a paced stream's CPU; a key still gets its frame within 16 ms.
const STREAM_FRAME: Duration = Duration::from_millis(50);

/// How long the brief may go unsaved after an edit: a burst of typing costs one write, and the
/// draft is never more than this behind the keyboard.
pub const DRAFT_DELAY: Duration = Duration::from_millis(500);

/// How long one wake-up may spend taking queued provider events before it lets keys and frames
/// in: at an unlimited stream rate the queue never empties, and a key must still reach the screen.
const DRAIN_BUDGET: Duration = Duration::from_millis(4);

/// Timings the loop records about itself (the benchmark reads them).
#[derive(Debug, Default, Clone)]
pub struct Instruments {
    /// Duration of each frame drawn.
    pub frames: Vec<Duration>,
    /// Duration of each update call.
    pub updates: Vec<Duration>,
    /// For each key: from its arrival to the end of the frame that showed its effect.
    pub key_to_frame: Vec<Duration>,
    /// Times the loop woke to take provider events: about once a frame while a stream is
    /// paced, not once a token.
    pub stream_wakes: usize,
}

/// The loop itself, on any ratatui backend: inputs and provider events go through `update`,
/// effects run, frames are drawn at most every [`FRAME`]. Returns when the state says quit, the
/// input closes, `stop` fires, or `until` holds once the screen shows the latest state.
pub async fn drive<B, I>(
    state: &mut State,
    terminal: &mut ratatui::Terminal<B>,
    mut inputs: I,
    wiring: &mut Wiring,
    stop: impl std::future::Future<Output = ()>,
    until: impl Fn(&State) -> bool,
    instruments: &mut Instruments,
) -> color_eyre::Result<()>
where
    B: ratatui::backend::Backend,
    B::Error: Send + Sync + 'static,
    I: futures_util::Stream<Item = Input> + Unpin,
{
    tokio::pin!(stop);
    let Wiring {
        runner,
        agent_rx,
        internal_rx,
    } = wiring;
    let handle = |state: &mut State,
                  event: Event,
                  runner: &mut EffectRunner,
                  instruments: &mut Instruments| {
        let started = Instant::now();
        let effects = update(
            state,
            Timed {
                at: Utc::now(),
                event,
            },
        );
        instruments.updates.push(started.elapsed());
        for entry in state.audit.drain(..) {
            runner.audit(entry);
        }
        for record in state.records.drain(..) {
            runner.record(record);
        }
        for effect in effects {
            runner.run(effect);
        }
    };
    let mut dirty = true;
    // The first frame at once.
    let mut last_frame = Instant::now() - STREAM_FRAME;
    let mut keys_waiting: Vec<Instant> = Vec::new();
    // Whether everything since the last frame came from the stream (which may wait longer).
    let mut only_stream = true;
    let mut draft_due: Option<Instant> = None;
    // Whether the last read of the stream's queue emptied it, taking few enough events that
    // the stream is paced.
    let mut caught_up = false;
    let mut next_tick = Instant::now() + Duration::from_secs(1);
    let mut remembered = state.brief_revision;
    let draft_delay = crate::test_hooks::draft_delay(DRAFT_DELAY);
    loop {
        if state.brief_revision != remembered {
            remembered = state.brief_revision;
            runner.remember_brief(state);
            crate::test_hooks::panic_if_asked(&state.brief_text());
        }
        if draft_due.is_none() && state.brief_revision != state.draft_saved {
            draft_due = Some(Instant::now() + draft_delay);
        }
        let ticking = state.wants_ticks();
        if !ticking {
            next_tick = Instant::now() + Duration::from_secs(1);
        }
        if state.clear_screen {
            state.clear_screen = false;
            terminal.clear()?;
            dirty = true;
        }
        let interval = if only_stream && keys_waiting.is_empty() {
            STREAM_FRAME
        } else {
            FRAME
        };
        if dirty && last_frame.elapsed() >= interval {
            // What arrived while the stream was held goes into this frame.
            if caught_up {
                caught_up = drain(state, agent_rx, runner, instruments, &handle);
            }
            let started = Instant::now();
            if state.inline {
                // Once per frame, like the drawing: the frame that follows repaints the viewport
                // the insertion cleared.
                write_scrollback(terminal, state)?;
            }
            state.prepare_frame();
            terminal.draw(|frame| crate::ui::draw(frame, state))?;
            let now = Instant::now();
            instruments.frames.push(now - started);
            instruments
                .key_to_frame
                .extend(keys_waiting.drain(..).map(|k| now - k));
            last_frame = now;
            dirty = false;
            only_stream = true;
        }
        if state.quit || (!dirty && until(state)) {
            break;
        }
        let next_frame = last_frame + interval;
        // Once the screen owes a frame and the stream's queue was emptied, more of the stream
        // cannot show before that frame: it waits in its queue and is taken just before the
        // frame, so a paced stream wakes the loop once a frame, not once a token. A faster
        // stream (a read took more than [`PACED`] events, or did not empty the queue within
        // the budget) is read on at once: held, its queue would grow by a frame's worth.
        let held = dirty && caught_up;
        tokio::select! {
            input = inputs.next() => match input {
                Some(Input::Event(event)) => {
                    if matches!(event, Event::Key(_)) {
                        keys_waiting.push(Instant::now());
                    }
                    handle(state, event, runner, instruments);
                }
                Some(Input::Closed) | None => break,
            },
            Some((run_id, event)) = agent_rx.recv(), if !held => {
                instruments.stream_wakes += 1;
                handle(state, Event::Agent { run_id, event }, runner, instruments);
                caught_up = drain(state, agent_rx, runner, instruments, &handle);
                dirty = true;
                continue;
            }
            Some(event) = internal_rx.recv() => handle(state, event, runner, instruments),
            _ = tokio::time::sleep_until(draft_due.unwrap_or(next_frame)), if draft_due.is_some() => {
                draft_due = None;
                handle(state, Event::DraftDue, runner, instruments);
            }
            _ = tokio::time::sleep_until(next_tick), if ticking => {
                next_tick += Duration::from_secs(1);
                handle(state, Event::Tick, runner, instruments);
            }
            _ = tokio::time::sleep_until(next_frame), if dirty => continue,
            _ = &mut stop => break,
        }
        dirty = true;
        only_stream = false;
    }
    runner.run(Effect::Quit);
    runner.flush(state);
    Ok(())
}

/// Events one read of the stream's queue may take for the stream to count as paced: 64 a frame
/// is about 1,300 tokens a second.
const PACED: usize = 64;

/// Takes queued provider events for at most [`DRAIN_BUDGET`]; true when that emptied the queue
/// and took no more than [`PACED`] events.
fn drain(
    state: &mut State,
    agent_rx: &mut tokio::sync::mpsc::UnboundedReceiver<(u64, crate::provider::AgentEvent)>,
    runner: &mut EffectRunner,
    instruments: &mut Instruments,
    handle: &impl Fn(&mut State, Event, &mut EffectRunner, &mut Instruments),
) -> bool {
    let budget = Instant::now() + DRAIN_BUDGET;
    let mut taken = 0;
    while Instant::now() < budget {
        match agent_rx.try_recv() {
            Ok((run_id, event)) => {
                taken += 1;
                handle(state, Event::Agent { run_id, event }, runner, instruments)
            }
            Err(_) => return taken <= PACED,
        }
    }
    false
}

/// Inline: writes the answer's newly completed lines into the scrollback above the viewport,
/// wrapped to the width and in the terminal's colours, with a rule before each new attempt.
fn write_scrollback<B>(
    terminal: &mut ratatui::Terminal<B>,
    state: &mut State,
) -> color_eyre::Result<()>
where
    B: ratatui::backend::Backend,
    B::Error: Send + Sync + 'static,
{
    use ratatui::widgets::{Paragraph, Widget, Wrap};
    let Some(attempt) = state.attempts.last() else {
        return Ok(());
    };
    let width = state.width.max(1) as usize;
    let depth = state.colour;
    let (number, mut written) = state.scrollback;
    let mut lines: Vec<ratatui::text::Line<'static>> = Vec::new();
    if number != attempt.number {
        written = 0;
        lines.push(ratatui::text::Line::from(format!(
            "── {} · attempt {} ──",
            state.session.role.title, attempt.number
        )));
    }
    let committed = attempt.doc.committed();
    lines.extend(committed.iter().skip(written).map(|l| l.line.clone()));
    let done = committed.len();
    state.scrollback = (attempt.number, done);
    for line in lines {
        let rows = line.width().div_ceil(width).max(1) as u16;
        terminal.insert_before(rows, |buffer| {
            Paragraph::new(line)
                .wrap(Wrap { trim: false })
                .render(buffer.area, buffer);
            crate::screen::colour::adapt(buffer, depth);
        })?;
    }
    Ok(())
}
