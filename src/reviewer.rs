//! Who is reviewing: recorded in every envelope. Configured name and email first, else git's
//! user, else the operating-system user.

use serde::{Deserialize, Serialize};

/// The `[reviewer]` table of the configuration.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewerConfig {
    pub name: Option<String>,
    pub email: Option<String>,
}

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
    pub fn resolve(config: &ReviewerConfig) -> Self {
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
        Self {
            name: os_name(|k| std::env::var(k).ok()),
            email: None,
            source: "os".into(),
        }
    }
}

/// The account's name: `$USER`, else `$LOGNAME`, else the user database's entry for this
/// process's user (a cron job, a container or `env -i` leave the variables unset), else its uid.
fn os_name(env: impl Fn(&str) -> Option<String>) -> String {
    env("USER")
        .or_else(|| env("LOGNAME"))
        .filter(|n| !n.trim().is_empty())
        .or_else(account_name)
        .unwrap_or_else(|| {
            // SAFETY: getuid has no preconditions and cannot fail.
            format!("uid {}", unsafe { libc::getuid() })
        })
}

/// This process's user's name in the user database (getpwuid_r).
fn account_name() -> Option<String> {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 4096];
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is to memory owned here and sized as passed; the strings the entry
    // points to live in `buf`, which outlives their use below.
    let rc = unsafe { libc::getpwuid_r(uid, &mut entry, buf.as_mut_ptr(), buf.len(), &mut found) };
    if rc != 0 || found.is_null() || entry.pw_name.is_null() {
        return None;
    }
    // SAFETY: pw_name is a NUL-terminated string inside `buf`, set by getpwuid_r.
    let name = unsafe { std::ffi::CStr::from_ptr(entry.pw_name) };
    Some(name.to_string_lossy().into_owned()).filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_user_or_logname_the_user_database_names_the_reviewer() {
        let expected = std::process::Command::new("id")
            .arg("-un")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap();
        assert_eq!(os_name(|_| None), expected);
        assert_eq!(
            os_name(|k| (k == "LOGNAME").then(|| "ada".to_string())),
            "ada"
        );
    }
}
