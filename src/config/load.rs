//! Reading the configuration: the file found, parsed, checked, and its sinks resolved into the
//! plan each mode uses.

use super::check::{check_profiles, ConfigError};
use super::schema::Config;
use crate::sink::{DeliveryOptions, Mode, SinkPlan, SinkSpec, DEFAULT_MAX_CHAIN_DEPTH};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// The configuration and the file it came from (`None`: no file, the defaults).
#[derive(Debug, Default)]
pub struct Loaded {
    pub config: Config,
    pub path: Option<PathBuf>,
    /// The sinks, parsed and checked.
    pub sinks: Option<Vec<SinkSpec>>,
    pub role_sinks: BTreeMap<String, Vec<SinkSpec>>,
}

impl Loaded {
    /// Which sinks each role's handoffs go to. `--sink` flags win over the configuration (for
    /// every role); the configuration's per-role lists win over its global one; without either,
    /// the mode's default.
    pub fn sink_plan(&self, flags: &[SinkSpec], mode: Mode) -> SinkPlan {
        let handoff = &self.config.handoff;
        let defaults = DeliveryOptions::default();
        let options = DeliveryOptions {
            webhook_timeout: handoff
                .webhook_timeout_secs
                .map_or(defaults.webhook_timeout, Duration::from_secs),
            webhook_retries: handoff.webhook_retries.unwrap_or(defaults.webhook_retries),
            webhook_backoff: handoff
                .webhook_backoff_ms
                .map_or(defaults.webhook_backoff, Duration::from_millis),
            exec_timeout: handoff
                .exec_timeout_secs
                .map_or(defaults.exec_timeout, Duration::from_secs),
        };
        let max_chain_depth = handoff.max_chain_depth.unwrap_or(DEFAULT_MAX_CHAIN_DEPTH);
        let (default, per_role) = if flags.is_empty() {
            let default = self
                .sinks
                .clone()
                .unwrap_or_else(|| SinkPlan::mode_default(mode));
            (default, self.role_sinks.clone())
        } else {
            (flags.to_vec(), BTreeMap::new())
        };
        SinkPlan {
            default,
            per_role,
            options,
            max_chain_depth,
        }
    }
}

/// Where the configuration is read from: the flag, else the default file in the config folder.
pub fn path(flag: Option<&Path>) -> PathBuf {
    flag.map(Path::to_path_buf)
        .unwrap_or_else(|| crate::paths::config_dir().join("config.toml"))
}

/// Reads the configuration and every error in it (for `archbench config check`).
pub fn load_all(flag: Option<&Path>) -> Result<Loaded, Vec<ConfigError>> {
    let file = path(flag);
    match std::fs::read_to_string(&file) {
        Ok(text) => parse_all(&text, &file),
        Err(_) => load(flag).map_err(|e| vec![e]),
    }
}

/// The file's settings as written, unchecked, if it is TOML of the right shape (for `config
/// check`, which reports what else is wrong even when some values are out of range).
pub fn read_unchecked(flag: Option<&Path>) -> Option<Config> {
    toml::from_str(&std::fs::read_to_string(path(flag)).ok()?).ok()
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

/// Parses configuration text; `file` names it in errors. The first error, if any.
pub fn parse(text: &str, file: &Path) -> Result<Loaded, ConfigError> {
    parse_all(text, file).map_err(|mut errors| errors.remove(0))
}

/// Parses configuration text and reports every error it can find, each with its line (a syntax
/// error stops the reading, so it comes alone).
pub fn parse_all(text: &str, file: &Path) -> Result<Loaded, Vec<ConfigError>> {
    let error = |span: Option<std::ops::Range<usize>>, message: String| ConfigError {
        path: file.display().to_string(),
        line: span.map(|s| line_of(text, s.start)),
        message,
    };
    let config: Config = toml::from_str(text).map_err(|e| {
        let message = e.message().to_string();
        vec![error(e.span(), message)]
    })?;
    let mut errors = Vec::new();
    let mut sinks_of = |list: &Option<Vec<Spanned<String>>>| -> Option<Vec<SinkSpec>> {
        let list = list.as_ref()?;
        let mut sinks = Vec::new();
        for item in list {
            match SinkSpec::parse(item.get_ref()) {
                Ok(sink) => sinks.push(sink),
                Err(m) => errors.push(error(Some(item.span()), m)),
            }
        }
        Some(sinks)
    };
    let sinks = sinks_of(&config.handoff.sinks);
    let mut role_sinks = BTreeMap::new();
    for (role, settings) in &config.roles {
        if let Some(list) = sinks_of(&settings.sinks) {
            role_sinks.insert(role.clone(), list);
        }
    }
    check_profiles(&config, &error, &mut errors);
    if config.handoff.max_chain_depth == Some(0) {
        errors.push(error(
            None,
            "handoff.max_chain_depth must be at least 1".into(),
        ));
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(errors);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EXAMPLE;

    fn parse_str(text: &str) -> Result<Loaded, ConfigError> {
        parse(text, Path::new("config.toml"))
    }

    #[test]
    fn flags_replace_the_configuration_and_roles_override_the_global_list() {
        let loaded = parse_str(
            "[handoff]\nsinks = [\"outbox\"]\n[roles.fullstack_developer]\nsinks = [\"chain\"]\n",
        )
        .unwrap();
        let plan = loaded.sink_plan(&[], Mode::Workbench);
        assert_eq!(plan.for_role("database_architect"), [SinkSpec::Outbox]);
        assert_eq!(plan.for_role("fullstack_developer"), [SinkSpec::Chain]);
        let plan = loaded.sink_plan(&[SinkSpec::Stdout], Mode::Headless);
        assert_eq!(plan.for_role("fullstack_developer"), [SinkSpec::Stdout]);
        let plan = Loaded::default().sink_plan(&[], Mode::Headless);
        assert_eq!(plan.for_role("x"), [SinkSpec::Outbox]);
        let plan = Loaded::default().sink_plan(&[], Mode::Workbench);
        assert_eq!(plan.for_role("x"), [SinkSpec::Outbox, SinkSpec::Chain]);
        assert_eq!(plan, SinkPlan::default());
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
    fn an_unknown_schema_format_for_the_envelope_names_its_line() {
        let err =
            parse_str("[check]\nenvelope_schema = [\n  \"mermaid\",\n  \"png\",\n]\n").unwrap_err();
        assert_eq!(err.line, Some(4));
        assert!(
            err.message.contains(
                "check.envelope_schema lists \"text\", \"mermaid\", \"dot\" or \"json\", not \"png\""
            ),
            "{}",
            err.message
        );
    }

    #[test]
    fn the_stores_password_comes_from_one_place() {
        let err = parse_str(
            "[store]\nurl = \"postgresql://r@db/a\"\npassword_env = \"P\"\npassword_cmd = \"pass db\"\n",
        )
        .unwrap_err();
        assert_eq!(err.line, Some(4));
        assert!(
            err.message
                .contains("password_env or password_cmd, not both"),
            "{}",
            err.message
        );
        let err = parse_str("[store]\nurl = \"postgresql://r:secret@db/a\"\n").unwrap_err();
        assert!(
            err.message.contains("store.url holds a password"),
            "{}",
            err.message
        );
        assert!(!err.message.contains("secret"), "{}", err.message);
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
    fn profiles_and_their_references_are_checked_with_lines() {
        let err =
            parse_str("default_profile = \"gpt\"\n[profiles.claude]\nprovider = \"anthropic\"\n")
                .unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(
            err.message.contains("no profile `gpt` (defined: claude)"),
            "{}",
            err.message
        );
        let err = parse_str("[profiles.x]\npreset = \"olama\"\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(
            err.message.contains("known: openai, ollama"),
            "{}",
            err.message
        );
        let err =
            parse_str("[profiles.x]\napi_key_env = \"K\"\napi_key_cmd = \"pass k\"\n").unwrap_err();
        assert_eq!(err.line, Some(3));
        let err = parse_str("[roles.database_architect]\nprofile = \"none\"\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        let err = parse_str("[timeouts]\nidle_secs = 0\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        let err = parse_str("[profiles.x]\nprovider = \"gemini\"\n").unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");
    }

    #[test]
    fn every_setting_of_the_example_parses_once_uncommented() {
        // Uncomment the example's settings and sections (not its prose).
        let uncommented: String = EXAMPLE
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest)
                    if rest.starts_with('[')
                        || rest.split_once(" = ").is_some_and(|(k, _)| {
                            !k.contains(' ') && !rest.starts_with("sinks = [\"outbox\", \"chain\"]")
                        }) =>
                {
                    rest.to_string()
                }
                _ => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let loaded = parse_str(&uncommented).unwrap();
        let config = &loaded.config;
        assert_eq!(config.profiles.len(), 4);
        assert_eq!(config.default_profile.as_ref().unwrap().get_ref(), "claude");
        assert_eq!(config.params.temperature, Some(0.2));
        assert_eq!(config.retry.max_tries, Some(5));
        assert_eq!(config.prices["claude-sonnet-4-5"].output, 15.0);
        assert_eq!(config.reviewer.name.as_deref(), Some("Ada Lovelace"));
    }

    #[test]
    fn the_readme_example_file_parses() {
        let readme = include_str!("../../README.md");
        let section = &readme[readme.find("### The configuration file").unwrap()..];
        let start = section.find("```toml\n").unwrap() + "```toml\n".len();
        let end = start + section[start..].find("```").unwrap();
        let loaded = parse_str(&section[start..end]).unwrap();
        assert_eq!(loaded.config.profiles.len(), 3);
        assert_eq!(
            loaded.config.outbox.as_deref(),
            Some(Path::new("/srv/handoffs/outbox"))
        );
        assert_eq!(loaded.role_sinks["backup_disaster_specialist"].len(), 3);
    }

    #[test]
    fn every_error_is_reported_with_its_line() {
        let errors = parse_all(
            "default_profile = \"nope\"\n[handoff]\nsinks = [\"pigeon\"]\n[profiles.p]\npreset = \"olama\"\n[timeouts]\nidle_secs = -1\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        let lines: Vec<Option<usize>> = errors.iter().map(|e| e.line).collect();
        assert_eq!(
            lines,
            vec![Some(1), Some(3), Some(5), Some(7)],
            "{errors:?}"
        );
    }

    #[test]
    fn zero_depth_is_refused() {
        let err = parse_str("[handoff]\nmax_chain_depth = 0\n").unwrap_err();
        assert!(err.message.contains("at least 1"));
    }
}
