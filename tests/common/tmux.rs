//! tmux as a person's terminal: it runs the binary, send-keys types, capture-pane reads the screen.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of the test's own (its own socket), killed when dropped.
pub struct Tmux {
    pub socket: String,
}

impl Tmux {
    pub fn start(command: &str, width: u16, height: u16) -> Self {
        let socket = format!("archbench-test-{}-{}", std::process::id(), rand_suffix());
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
                command,
            ])
            .env("TERM", "xterm-256color")
            .status()
            .expect("tmux is needed for this test: scripts/setup.sh installs it");
        assert!(status.success());
        Self { socket }
    }

    /// Lets applications set tmux's clipboard by OSC 52, as `set -g set-clipboard on` does.
    pub fn accept_clipboard(&self) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "set", "-g", "set-clipboard", "on"])
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "0"])
            .args(keys)
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub fn text(&self, text: &str) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "0", "-l", text])
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "0"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `needle` (the program works at its own pace), and returns
    /// the screen once a frame is whole: two captures in a row the same. A capture can catch a
    /// frame half written, the pane showing `needle` before the rest of that frame.
    pub fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + super::PATIENCE;
        let mut last: Option<String> = None;
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                if last.as_deref() == Some(screen.as_str()) {
                    return screen;
                }
                last = Some(screen);
            } else {
                last = None;
                assert!(
                    Instant::now() < deadline,
                    "`{needle}` never appeared; the screen:\n{screen}"
                );
            }
            if Instant::now() >= deadline {
                // Shown, but never still (a stream, a clock): the latest capture.
                return last.unwrap_or_default();
            }
            std::thread::park_timeout(Duration::from_millis(25));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

impl Tmux {
    /// The process id of the program in the pane.
    pub fn pane_pid(&self) -> i32 {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "display",
                "-p",
                "-t",
                "0",
                "#{pane_pid}",
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }

    /// Whether the pane shows the alternate screen (a full-screen program has it on).
    pub fn alternate_screen(&self) -> bool {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "display",
                "-p",
                "-t",
                "0",
                "#{alternate_on}",
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }
}

impl Tmux {
    /// The screen with its colour and attribute sequences, as the program set them.
    pub fn screen_with_escapes(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-e", "-t", "0"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Tmux {
    /// Resizes the window (as a person dragging the terminal's corner).
    pub fn resize(&self, width: u16, height: u16) {
        let status = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "resize-window",
                "-t",
                "0",
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
            ])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Pastes `text` as a terminal does with bracketed paste.
    pub fn paste(&self, text: &str) {
        let set = Command::new("tmux")
            .args(["-L", &self.socket, "set-buffer", "--", text])
            .status()
            .unwrap();
        assert!(set.success());
        let paste = Command::new("tmux")
            .args(["-L", &self.socket, "paste-buffer", "-p", "-t", "0"])
            .status()
            .unwrap();
        assert!(paste.success());
    }
}

impl Tmux {
    /// The screen and the scrollback above it.
    pub fn history(&self) -> String {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "capture-pane",
                "-p",
                "-S",
                "-500",
                "-t",
                "0",
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}
