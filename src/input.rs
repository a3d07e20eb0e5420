//! Terminal input, read on a thread of its own that can be paused: while another program (the
//! brief's `$EDITOR`) has the terminal, nothing here may read a key meant for it. crossterm's
//! `EventStream` reads in the background with no such pause, so the workbench reads this way.

use crate::app::Input;
use crate::event::Event;
use crossterm::event::{Event as TermEvent, MouseEventKind};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use tokio::sync::mpsc::unbounded_channel;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Running,
    /// Asked to stop reading; the reader says `Paused` once it has.
    Stopping,
    Paused,
}

/// Pauses and resumes the reader.
#[derive(Clone)]
pub struct Pause {
    shared: Arc<(Mutex<Reading>, Condvar)>,
}

impl Pause {
    /// Returns once the reader has stopped reading (within one poll interval).
    pub fn pause(&self) {
        let (lock, signal) = &*self.shared;
        let Ok(mut state) = lock.lock() else { return };
        *state = Reading::Stopping;
        signal.notify_all();
        while *state != Reading::Paused {
            match signal.wait_timeout(state, Duration::from_secs(2)) {
                Ok((next, timeout)) => {
                    state = next;
                    if timeout.timed_out() {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
    }

    pub fn resume(&self) {
        let (lock, signal) = &*self.shared;
        if let Ok(mut state) = lock.lock() {
            *state = Reading::Running;
            signal.notify_all();
        }
    }
}

/// How long one poll waits: the longest a pause waits for the reader.
const POLL: Duration = Duration::from_millis(50);

/// Starts the reader; returns the loop's input stream and the pause.
pub fn spawn() -> (impl futures_util::Stream<Item = Input> + Unpin, Pause) {
    let (tx, rx) = unbounded_channel::<Input>();
    let pause = Pause {
        shared: Arc::new((Mutex::new(Reading::Running), Condvar::new())),
    };
    let shared = pause.shared.clone();
    let _ = std::thread::Builder::new()
        .name("terminal-input".into())
        .spawn(move || loop {
            {
                let (lock, signal) = &*shared;
                let Ok(mut state) = lock.lock() else { return };
                while *state != Reading::Running {
                    if *state == Reading::Stopping {
                        *state = Reading::Paused;
                        signal.notify_all();
                    }
                    state = match signal.wait(state) {
                        Ok(s) => s,
                        Err(_) => return,
                    };
                }
            }
            let input = match crossterm::event::poll(POLL) {
                Ok(false) => continue,
                Ok(true) => match crossterm::event::read() {
                    Ok(event) => convert(event),
                    Err(_) => Some(Input::Closed),
                },
                Err(_) => Some(Input::Closed),
            };
            if let Some(input) = input {
                let closed = matches!(input, Input::Closed);
                if tx.send(input).is_err() || closed {
                    return;
                }
            }
        });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|input| (input, rx))
    });
    (Box::pin(stream), pause)
}

/// A terminal event as a loop input (events the workbench does not use are dropped).
pub fn convert(event: TermEvent) -> Option<Input> {
    match event {
        TermEvent::Key(key) => Some(Input::Event(Event::Key(key))),
        TermEvent::Paste(text) => Some(Input::Event(Event::Paste(text))),
        TermEvent::Mouse(mouse) => match mouse.kind {
            MouseEventKind::ScrollUp => Some(Input::Event(Event::Wheel(-3))),
            MouseEventKind::ScrollDown => Some(Input::Event(Event::Wheel(3))),
            _ => None,
        },
        TermEvent::Resize(width, height) => Some(Input::Event(Event::Resize { width, height })),
        _ => None,
    }
}
