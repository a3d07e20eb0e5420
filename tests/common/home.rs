//! A private home for the binary under test. Every test that starts archbench goes through
//! `Home`: its own HOME, XDG folders and temporary folder, and none of the ARCHBENCH_* variables or
//! provider keys of whoever runs the suite, so no test reads a person's configuration or writes to
//! their state. When a `Home` is dropped it checks that the binary wrote nothing outside the
//! folders it was given (a fallback to `~/.archbench` or the working folder fails the test).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The folders, under one temporary root.
pub struct Home {
    root: tempfile::TempDir,
}

/// Variables the binary reads that must come from the test, never from the person running it.
const FOREIGN: [&str; 2] = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"];

impl Default for Home {
    fn default() -> Self {
        Self::new()
    }
}

impl Home {
    pub fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        for dir in ["home", "data", "config", "state", "cache", "tmp", "work"] {
            std::fs::create_dir(root.path().join(dir)).unwrap();
        }
        Self { root }
    }

    /// The root: tests put their own files (briefs, fixtures, outboxes) here.
    pub fn path(&self) -> &Path {
        self.root.path()
    }

    pub fn data(&self) -> PathBuf {
        self.path().join("data")
    }
    pub fn config(&self) -> PathBuf {
        self.path().join("config")
    }
    pub fn state(&self) -> PathBuf {
        self.path().join("state")
    }
    pub fn cache(&self) -> PathBuf {
        self.path().join("cache")
    }
    /// archbench's own folder in the data folder (session store, drafts, audit log, outbox).
    pub fn archbench_data(&self) -> PathBuf {
        self.data().join("archbench")
    }
    /// The folder archbench reads `config.toml` from; created on first call.
    pub fn config_dir(&self) -> PathBuf {
        let dir = self.config().join("archbench");
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
    /// Writes `config.toml` where archbench looks for it.
    pub fn write_config(&self, text: &str) {
        std::fs::write(self.config_dir().join("config.toml"), text).unwrap();
    }

    fn variables(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("HOME", self.path().join("home")),
            ("XDG_DATA_HOME", self.data()),
            ("XDG_CONFIG_HOME", self.config()),
            ("XDG_STATE_HOME", self.state()),
            ("XDG_CACHE_HOME", self.cache()),
            ("TMPDIR", self.path().join("tmp")),
            // No throwaway PostgreSQL for every workbench a test opens; the SQL check's own
            // end-to-end test turns it on (and names the suite's server).
            ("ARCHBENCH_CHECK", PathBuf::from("off")),
        ]
    }

    /// Variables of the person running the suite that must not reach the binary.
    fn inherited() -> Vec<String> {
        std::env::vars_os()
            .filter_map(|(name, _)| name.into_string().ok())
            .filter(|name| name.starts_with("ARCHBENCH_") || FOREIGN.contains(&name.as_str()))
            .collect()
    }

    /// The binary, in this home, run from an empty working folder.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_archbench"));
        for name in Self::inherited() {
            cmd.env_remove(name);
        }
        for (name, value) in self.variables() {
            cmd.env(name, value);
        }
        cmd.current_dir(self.path().join("work"));
        cmd
    }

    /// The same as one shell command (for tmux; `exec` works before it), `args` following as they
    /// are. Temporary paths need no quoting, which keeps the line usable inside `sh -c '...'`.
    pub fn shell(&self, args: &str) -> String {
        self.shell_with(&[], &[], args)
    }

    /// [`Home::shell`] with variables of the terminal taken away (`unset`) or given (`set`).
    pub fn shell_with(&self, unset: &[&str], set: &[(&str, &str)], args: &str) -> String {
        let mut line = format!("env -C {}", plain(&self.path().join("work")));
        for name in Self::inherited()
            .iter()
            .map(String::as_str)
            .chain(unset.iter().copied())
        {
            line += &format!(" -u {name}");
        }
        for (name, value) in self.variables() {
            line += &format!(" {name}={}", plain(&value));
        }
        for (name, value) in set {
            line += &format!(" {name}={value}");
        }
        format!("{line} {} {args}", env!("CARGO_BIN_EXE_archbench"))
    }

    /// Files the binary wrote where it was not told to write: its HOME, its working folder, its
    /// temporary folder (which it must clean up).
    pub fn strays(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for dir in ["home", "work", "tmp"] {
            walk(&self.path().join(dir), &mut found);
        }
        found
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let strays = self.strays();
        assert!(
            strays.is_empty(),
            "archbench wrote outside the folders it was given: {strays:?}"
        );
    }
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, found);
        } else {
            found.push(path);
        }
    }
}

fn plain(path: &Path) -> String {
    let text = path.display().to_string();
    assert!(
        !text.contains(|c: char| c.is_whitespace() || "'\"$`\\".contains(c)),
        "{text} would need quoting"
    );
    text
}
