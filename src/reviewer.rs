//! Who is reviewing: recorded in every envelope. Configured name and email first, else git's
//! user, else the operating-system user.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reviewer {
    pub name: String,
    pub email: Option<String>,
    /// Where the identity came from: `git`, `os` or `config`.
    pub source: String,
}

impl Reviewer {
    /// `Name <email>`, or the name alone: how the session store and the outcomes name them.
    pub fn label(&self) -> String {
        match &self.email {
            Some(email) => format!("{} <{email}>", self.name),
            None => self.name.clone(),
        }
    }

    /// The configured reviewer when a name is set, else [`Reviewer::detect`].
    pub fn resolve(config: &crate::config::ReviewerConfig) -> Self {
        match config
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            Some(name) => Self {
                name: name.to_string(),
                email: config.email.clone().filter(|e| !e.trim().is_empty()),
                source: "config".into(),
            },
            None => Self::detect(),
        }
    }

    /// Reads git's `user.name`/`user.email`, else `$USER`.
    pub fn detect() -> Self {
        let git = |key: &str| {
            std::process::Command::new("git")
                .args(["config", "--get", key])
                .stderr(std::process::Stdio::null())
                .output()
                .ok()
                .filter(|o| o.status.success())
                .and_then(|o| String::from_utf8(o.stdout).ok())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        if let Some(name) = git("user.name") {
            return Self {
                name,
                email: git("user.email"),
                source: "git".into(),
            };
        }
        let name = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".into());
        Self {
            name,
            email: None,
            source: "os".into(),
        }
    }
}
