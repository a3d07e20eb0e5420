//! The configuration file: TOML in the user's config folder (or `--config FILE`, or
//! `ARCHBENCH_CONFIG`). Everything in it is optional; a missing file means the defaults.
//!
//! Errors name the file and the line, so a person can go straight to the mistake. Keys are never
//! kept here: a key comes from an environment variable (or a command that prints it).

use crate::sink::SinkSpec;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// How deep a chain of handoffs may go before archbench stops opening the next role.
pub const DEFAULT_MAX_CHAIN_DEPTH: usize = 6;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub reviewer: ReviewerConfig,
    #[serde(default)]
    pub handoff: HandoffConfig,
    /// Per-role settings, by role id.
    #[serde(default)]
    pub roles: BTreeMap<String, RoleConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewerConfig {
    pub name: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoffConfig {
    /// Sinks for every role without its own list: `outbox`, `stdout`, `chain`, `webhook:URL`,
    /// `exec:COMMAND`.
    pub sinks: Option<Vec<Spanned<String>>>,
    pub max_chain_depth: Option<usize>,
    /// Seconds a webhook may take to answer.
    pub webhook_timeout_secs: Option<u64>,
    /// Further tries after a webhook's first failure.
    pub webhook_retries: Option<u32>,
    /// The first wait between tries, doubled each time.
    pub webhook_backoff_ms: Option<u64>,
    /// Seconds a command sink may run.
    pub exec_timeout_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleConfig {
    /// Sinks for this role's handoffs, replacing the global list.
    pub sinks: Option<Vec<Spanned<String>>>,
}

/// A configuration that could not be used, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ConfigError {
    pub path: String,
    pub line: Option<usize>,
    pub message: String,
}

/// The configuration and the file it came from (`None`: no file, the defaults).
#[derive(Debug, Default)]
pub struct Loaded {
    pub config: Config,
    pub path: Option<PathBuf>,
    /// The sinks, parsed and checked.
    pub sinks: Option<Vec<SinkSpec>>,
    pub role_sinks: BTreeMap<String, Vec<SinkSpec>>,
}

/// Where the configuration is read from: the flag, else the default file in the config folder.
pub fn path(flag: Option<&Path>) -> PathBuf {
    flag.map(Path::to_path_buf)
        .unwrap_or_else(|| crate::paths::config_dir().join("config.toml"))
}

/// Reads the configuration. A file named by the flag must exist; the default one may be absent.
pub fn load(flag: Option<&Path>) -> Result<Loaded, ConfigError> {
    let file = path(flag);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && flag.is_none() => {
            return Ok(Loaded::default())
        }
        Err(e) => {
            return Err(ConfigError {
                path: file.display().to_string(),
                line: None,
                message: format!("cannot read it: {e}"),
            })
        }
    };
    parse(&text, &file)
}

/// Parses configuration text; `file` names it in errors.
pub fn parse(text: &str, file: &Path) -> Result<Loaded, ConfigError> {
    let error = |span: Option<std::ops::Range<usize>>, message: String| ConfigError {
        path: file.display().to_string(),
        line: span.map(|s| line_of(text, s.start)),
        message,
    };
    let config: Config = toml::from_str(text).map_err(|e| {
        let message = e.message().to_string();
        error(e.span(), message)
    })?;
    let sinks_of =
        |list: &Option<Vec<Spanned<String>>>| -> Result<Option<Vec<SinkSpec>>, ConfigError> {
            let Some(list) = list else { return Ok(None) };
            let mut sinks = Vec::new();
            for item in list {
                let sink =
                    SinkSpec::parse(item.get_ref()).map_err(|m| error(Some(item.span()), m))?;
                sinks.push(sink);
            }
            Ok(Some(sinks))
        };
    let sinks = sinks_of(&config.handoff.sinks)?;
    let mut role_sinks = BTreeMap::new();
    for (role, settings) in &config.roles {
        if let Some(list) = sinks_of(&settings.sinks)? {
            role_sinks.insert(role.clone(), list);
        }
    }
    if config.handoff.max_chain_depth == Some(0) {
        return Err(error(
            None,
            "handoff.max_chain_depth must be at least 1".into(),
        ));
    }
    Ok(Loaded {
        config,
        path: Some(file.to_path_buf()),
        sinks,
        role_sinks,
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl Loaded {
    /// Role ids named in `[roles.*]` that no role file defines (likely a typo).
    pub fn unknown_roles(&self, known: &[&str]) -> Vec<String> {
        self.config
            .roles
            .keys()
            .filter(|id| !known.contains(&id.as_str()))
            .cloned()
            .collect()
    }
}

/// A commented example configuration, written by `archbench config init`.
pub const EXAMPLE: &str = r#"# archbench configuration. Every setting is optional.
# Keys never go here: archbench reads them from environment variables.

[reviewer]
# Recorded in every envelope; without it archbench uses git's user, else the OS user.
# name = "Ada Lovelace"
# email = "ada@example.com"

[handoff]
# Where approved work goes, in order. The outbox is always written first.
#   outbox          one JSON file per envelope in the outbox folder
#   stdout          the envelope on standard output (archbench run only)
#   chain           open the target role next, with a brief composed from this step
#   webhook:URL     POST the envelope, Idempotency-Key = envelope id, retried with backoff
#   exec:COMMAND    run COMMAND with the envelope on standard input (no shell)
# sinks = ["outbox", "chain"]
# max_chain_depth = 6
# webhook_timeout_secs = 10
# webhook_retries = 3
# webhook_backoff_ms = 500
# exec_timeout_secs = 60

# Per-role sinks replace the list above for that role's handoffs.
# [roles.backup_disaster_specialist]
# sinks = ["outbox", "webhook:https://ops.example.com/handoffs"]
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Loaded, ConfigError> {
        parse(text, Path::new("config.toml"))
    }

    #[test]
    fn the_example_parses_to_the_defaults() {
        let loaded = parse_str(EXAMPLE).unwrap();
        assert!(loaded.sinks.is_none());
        assert!(loaded.role_sinks.is_empty());
    }

    #[test]
    fn sinks_are_read_globally_and_per_role() {
        let loaded = parse_str(
            "[handoff]\nsinks = [\"outbox\", \"chain\"]\n[roles.fullstack_developer]\nsinks = [\"exec:cat -n\"]\n",
        )
        .unwrap();
        assert_eq!(loaded.sinks, Some(vec![SinkSpec::Outbox, SinkSpec::Chain]));
        assert_eq!(
            loaded.role_sinks["fullstack_developer"],
            vec![SinkSpec::Exec(vec!["cat".into(), "-n".into()])]
        );
    }

    #[test]
    fn a_bad_sink_names_its_line() {
        let err = parse_str("[handoff]\n\nsinks = [\n  \"outbox\",\n  \"carrier-pigeon\",\n]\n")
            .unwrap_err();
        assert_eq!(err.line, Some(5));
        assert!(err.to_string().starts_with("config.toml:5: "), "{err}");
        assert!(err.message.contains("carrier-pigeon"));
    }

    #[test]
    fn an_unknown_key_names_its_line() {
        let err = parse_str("[handoff]\nsink = [\"outbox\"]\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("unknown field"), "{}", err.message);
    }

    #[test]
    fn a_missing_default_file_is_the_defaults_but_a_named_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let named = dir.path().join("nope.toml");
        let err = load(Some(&named)).unwrap_err();
        assert!(err.message.contains("cannot read"));
    }

    #[test]
    fn zero_depth_is_refused() {
        let err = parse_str("[handoff]\nmax_chain_depth = 0\n").unwrap_err();
        assert!(err.message.contains("at least 1"));
    }
}
