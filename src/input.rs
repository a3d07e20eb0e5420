//! Terminal input, read on a thread of its own that can be paused: while another program (the
//! brief's `$EDITOR`) has the terminal, nothing here may read a key meant for it.
//!
//! The thread sleeps in `poll(2)` on the terminal and on a wake pipe, and asks crossterm for
//! events only once the terminal has input: an idle workbench never wakes (polling crossterm
//! with a timeout woke it 20 times a second), and crossterm's reader lock is free while nothing
//! is typed (the inline mode's cursor query needs it). A pause writes to the pipe; a resize
//! (SIGWINCH) becomes an event on a task of its own.

use crate::event::Event;
use crossterm::event::{Event as TermEvent, MouseEventKind};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

/// What the loop listens to besides the providers: terminal input, or a script in tests and
/// benchmarks. `None` ends the loop.
pub enum Input {
    Event(Event),
    /// The input source is gone (the terminal closed, ssh dropped).
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Running,
    /// Asked to stop reading; the reader says `Paused` once it has.
    Stopping,
    Paused,
}

/// Pauses, resumes and wakes the reader.
#[derive(Clone)]
pub struct Pause {
    shared: Arc<(Mutex<Reading>, Condvar)>,
    waker: Arc<OwnedFd>,
}

impl Pause {
    /// Returns once the reader has stopped reading (at once: the pipe wakes it).
    pub fn pause(&self) {
        let (lock, signal) = &*self.shared;
        let Ok(mut state) = lock.lock() else { return };
        *state = Reading::Stopping;
        signal.notify_all();
        self.wake();
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

    /// Wakes the reader from its wait.
    fn wake(&self) {
        // SAFETY: writes one byte from a live buffer to the pipe this value owns. A full pipe
        // (EAGAIN) already holds a wake-up.
        let _ = unsafe { libc::write(self.waker.as_raw_fd(), [1u8].as_ptr().cast(), 1) };
    }
}

/// A non-blocking, close-on-exec pipe: (read end, write end).
fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the array it is given.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just opened and are owned by nothing else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// The terminal crossterm reads: standard input when it is one, else the controlling terminal.
fn terminal() -> std::io::Result<OwnedFd> {
    let stdin = std::io::stdin();
    if std::io::IsTerminal::is_terminal(&stdin) {
        return std::os::fd::AsFd::as_fd(&stdin).try_clone_to_owned();
    }
    Ok(std::fs::File::open("/dev/tty")?.into())
}

/// What one wait on the terminal and the pipe found.
enum Woken {
    /// Input, or a wake-up: ask crossterm.
    Look,
    /// The terminal is gone.
    Closed,
}

fn wait(terminal: &OwnedFd, wake: &OwnedFd) -> Woken {
    let mut fds = [
        libc::pollfd {
            fd: terminal.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: wake.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    loop {
        // SAFETY: polls two descriptors this thread keeps open, described by a live array.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if ready >= 0 {
            break;
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return Woken::Closed;
        }
    }
    if fds[1].revents != 0 {
        let mut drained = [0u8; 64];
        // SAFETY: reads into a live buffer of its length from the pipe's read end (non-blocking).
        let fd = wake.as_raw_fd();
        while unsafe { libc::read(fd, drained.as_mut_ptr().cast(), drained.len()) } > 0 {}
    }
    let gone = libc::POLLHUP | libc::POLLERR | libc::POLLNVAL;
    if fds[0].revents & gone != 0 && fds[0].revents & libc::POLLIN == 0 {
        return Woken::Closed;
    }
    Woken::Look
}

/// Starts the reader; returns the loop's input stream and the pause. Called on the tokio runtime
/// (a task turns SIGWINCH into resize events).
pub fn spawn() -> std::io::Result<(impl futures_util::Stream<Item = Input> + Unpin, Pause)> {
    let (tx, rx) = unbounded_channel::<Input>();
    let (wake, waker) = pipe()?;
    let pause = Pause {
        shared: Arc::new((Mutex::new(Reading::Running), Condvar::new())),
        waker: Arc::new(waker),
    };
    // crossterm notices a resize only once its reader exists and is asked; the signal is
    // turned into the event here instead, with the size the terminal has now.
    let resized = tx.clone();
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut winch) = signal(SignalKind::window_change()) else {
            return;
        };
        while winch.recv().await.is_some() {
            if let Ok((width, height)) = crossterm::terminal::size() {
                if resized
                    .send(Input::Event(Event::Resize { width, height }))
                    .is_err()
                {
                    return;
                }
            }
        }
    });
    let shared = pause.shared.clone();
    let _ = std::thread::Builder::new()
        .name("terminal-input".into())
        .spawn(move || read(&shared, &wake, &tx))?;
    Ok((stream(rx), pause))
}

fn stream(
    rx: tokio::sync::mpsc::UnboundedReceiver<Input>,
) -> impl futures_util::Stream<Item = Input> + Unpin {
    Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|input| (input, rx))
    }))
}

/// The reader thread: waits for input, hands crossterm's events to the loop, stops while paused.
fn read(shared: &(Mutex<Reading>, Condvar), wake: &OwnedFd, tx: &UnboundedSender<Input>) {
    let terminal = match terminal() {
        Ok(fd) => fd,
        Err(_) => {
            let _ = tx.send(Input::Closed);
            return;
        }
    };
    loop {
        {
            let (lock, signal) = shared;
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
        if let Woken::Closed = wait(&terminal, wake) {
            let _ = tx.send(Input::Closed);
            return;
        }
        if shared.0.lock().map_or(true, |s| *s != Reading::Running) {
            continue;
        }
        // Everything crossterm has now, without waiting: keys, a paste, a resize.
        loop {
            let input = match crossterm::event::poll(Duration::ZERO) {
                Ok(false) => break,
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
        }
    }
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
