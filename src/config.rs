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
    /// Key overrides: a binding's name (`context.action`, or `action` for a global one) and
    /// its keys.
    #[serde(default)]
    pub keys: BTreeMap<String, Vec<String>>,
    /// How the brief is edited: `default` or `vi`.
    pub editing: Option<Spanned<String>>,
    /// Whether the mouse wheel scrolls (`--no-mouse` turns it off for one run).
    pub mouse: Option<bool>,
    /// The theme's name (below `--theme` and `ARCHBENCH_THEME`).
    pub theme: Option<String>,
    /// Where envelopes are written (below `--outbox` and `ARCHBENCH_OUTBOX`).
    pub outbox: Option<PathBuf>,
    /// The profile used when neither `--profile` nor `ARCHBENCH_PROFILE` names one.
    pub default_profile: Option<Spanned<String>>,
    /// Named provider profiles: `[profiles.NAME]`.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// Sampling parameters for every role (a role's own `[roles.ID]` values win).
    #[serde(default)]
    pub params: ParamsConfig,
    #[serde(default)]
    pub timeouts: TimeoutsConfig,
    #[serde(default)]
    pub retry: RetryConfig,
    #[serde(default)]
    pub limits: LimitsConfig,
    /// Prices per million tokens, by model name, for the cost estimate in the status bar.
    #[serde(default)]
    pub prices: BTreeMap<String, Price>,
}

/// A named way to reach a model.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub provider: Option<crate::cli::ProviderKind>,
    /// A known OpenAI-compatible server: `openai`, `ollama`, `llamacpp`, `vllm`, `lmstudio`.
    pub preset: Option<Spanned<String>>,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub model_path: Option<PathBuf>,
    /// The environment variable holding the key.
    pub api_key_env: Option<String>,
    /// A command that prints the key (a password manager); run when a run needs the key.
    pub api_key_cmd: Option<Spanned<String>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamsConfig {
    pub temperature: Option<f32>,
    pub max_tokens: Option<u32>,
    pub seed: Option<u32>,
    pub stop: Option<Vec<String>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeoutsConfig {
    pub connect_secs: Option<Spanned<f64>>,
    pub first_token_secs: Option<Spanned<f64>>,
    pub idle_secs: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryConfig {
    /// Tries in all, the first included.
    pub max_tries: Option<u32>,
    pub base_ms: Option<u64>,
    pub max_ms: Option<u64>,
}

/// How much a run may take in (see the README's Security section for the defaults).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// The most an answer and its reasoning may hold together, in MiB; past it the run is cut
    /// off like a length stop.
    pub answer_mb: Option<u64>,
}

/// What a model costs, in your currency, per million tokens.
#[derive(Debug, Default, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub input: f64,
    pub output: f64,
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
    /// The profile this role runs with (below `--profile` and `ARCHBENCH_PROFILE`).
    pub profile: Option<Spanned<String>>,
    pub temperature: Option<f32>,
    pub max_tokens: Option<u32>,
    pub seed: Option<u32>,
    pub stop: Option<Vec<String>>,
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

/// Profiles named anywhere exist; presets are known; a profile takes its key one way; timeouts
/// are positive.
fn check_profiles(
    config: &Config,
    error: &impl Fn(Option<std::ops::Range<usize>>, String) -> ConfigError,
    errors: &mut Vec<ConfigError>,
) {
    let known = || {
        let names: Vec<&str> = config.profiles.keys().map(String::as_str).collect();
        if names.is_empty() {
            "none is defined".to_string()
        } else {
            format!("defined: {}", names.join(", "))
        }
    };
    let named = config
        .default_profile
        .iter()
        .chain(config.roles.values().filter_map(|r| r.profile.as_ref()));
    for name in named {
        if !config.profiles.contains_key(name.get_ref()) {
            errors.push(error(
                Some(name.span()),
                format!("no profile `{}` ({})", name.get_ref(), known()),
            ));
        }
    }
    for (name, profile) in &config.profiles {
        if let Some(preset) = &profile.preset {
            if crate::provider::presets::find(preset.get_ref()).is_none() {
                errors.push(error(
                    Some(preset.span()),
                    format!(
                        "profile `{name}`: no preset `{}`; known: {}",
                        preset.get_ref(),
                        crate::provider::presets::names().join(", ")
                    ),
                ));
            }
        }
        if let (Some(_), Some(cmd)) = (&profile.api_key_env, &profile.api_key_cmd) {
            errors.push(error(
                Some(cmd.span()),
                format!("profile `{name}`: give api_key_env or api_key_cmd, not both"),
            ));
        }
    }
    let timeouts = &config.timeouts;
    for t in [
        &timeouts.connect_secs,
        &timeouts.first_token_secs,
        &timeouts.idle_secs,
    ]
    .into_iter()
    .flatten()
    {
        if !(*t.get_ref() > 0.0 && t.get_ref().is_finite()) {
            errors.push(error(
                Some(t.span()),
                "a timeout is a number of seconds above 0".into(),
            ));
        }
    }
    if let Some(editing) = &config.editing {
        if !matches!(editing.get_ref().as_str(), "default" | "vi") {
            errors.push(error(
                Some(editing.span()),
                format!(
                    "editing is \"default\" or \"vi\", not \"{}\"",
                    editing.get_ref()
                ),
            ));
        }
    }
    if config.retry.max_tries == Some(0) {
        errors.push(error(None, "retry.max_tries must be at least 1".into()));
    }
    check_ranges(config, error, errors);
}

/// The longest any timeout or wait may be set to: a day. Beyond it a value is a mistake, and
/// some (1e300 seconds) cannot even be a duration.
const MAX_SECONDS: f64 = 86_400.0;

/// A number as a person wrote it: 1e300, not three hundred digits.
fn short_number(n: f64) -> String {
    if n.abs() < 1e12 {
        n.to_string()
    } else {
        format!("{n:e}")
    }
}

/// Every number within what archbench can use: checked here, once, for `config check` and for
/// every start alike.
fn check_ranges(
    config: &Config,
    error: &impl Fn(Option<std::ops::Range<usize>>, String) -> ConfigError,
    errors: &mut Vec<ConfigError>,
) {
    let timeouts = &config.timeouts;
    for (name, t) in [
        ("timeouts.connect_secs", &timeouts.connect_secs),
        ("timeouts.first_token_secs", &timeouts.first_token_secs),
        ("timeouts.idle_secs", &timeouts.idle_secs),
    ] {
        if let Some(t) = t.as_ref().filter(|t| *t.get_ref() > MAX_SECONDS) {
            errors.push(error(
                Some(t.span()),
                format!(
                    "{name} is at most {MAX_SECONDS} seconds (a day), not {}",
                    short_number(*t.get_ref())
                ),
            ));
        }
    }
    let day_ms = (MAX_SECONDS * 1000.0) as u64;
    let handoff = &config.handoff;
    let limits: [(&str, Option<u64>, u64); 7] = [
        ("retry.base_ms", config.retry.base_ms, day_ms),
        ("retry.max_ms", config.retry.max_ms, day_ms),
        (
            "retry.max_tries",
            config.retry.max_tries.map(u64::from),
            100,
        ),
        (
            "handoff.webhook_timeout_secs",
            handoff.webhook_timeout_secs,
            MAX_SECONDS as u64,
        ),
        (
            "handoff.webhook_backoff_ms",
            handoff.webhook_backoff_ms,
            day_ms,
        ),
        (
            "handoff.webhook_retries",
            handoff.webhook_retries.map(u64::from),
            100,
        ),
        (
            "handoff.exec_timeout_secs",
            handoff.exec_timeout_secs,
            MAX_SECONDS as u64,
        ),
    ];
    for (name, value, most) in limits {
        if let Some(value) = value.filter(|v| *v > most) {
            errors.push(error(
                None,
                format!("{name} is at most {most}, not {value}"),
            ));
        }
    }
    if let Some(mb) = config.limits.answer_mb.filter(|mb| !(1..=256).contains(mb)) {
        errors.push(error(
            None,
            format!("limits.answer_mb is from 1 to 256, not {mb}"),
        ));
    }
    if let Some(depth) = handoff.max_chain_depth.filter(|d| *d > 100) {
        errors.push(error(
            None,
            format!("handoff.max_chain_depth is at most 100, not {depth}"),
        ));
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// A commented example configuration, written by `archbench config init`.
pub const EXAMPLE: &str = r#"# archbench configuration. Every setting is optional.
# Keys never go here: archbench reads them from environment variables, or from the output of a
# command you name (api_key_cmd), and writes them nowhere.

# The provider profile used when none is chosen (a top-level setting: keep it above every [table]).
# default_profile = "claude"
# How the brief is edited: "default", or "vi" (Normal and Insert modes; Esc, i, a, o, dd, p, u…).
# editing = "vi"
# The mouse wheel scrolls; false leaves the mouse to the terminal (selection without Shift).
# mouse = true
# The theme: dark, light, high-contrast, sixteen, or one of yours in the config folder's themes/.
# theme = "light"
# Where envelopes are written (default: the outbox folder in archbench's data folder).
# outbox = "/srv/handoffs/outbox"

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

# Provider profiles (below). Choose one with --profile NAME or ARCHBENCH_PROFILE; without
# either, default_profile (at the top of the file); without that, the local model. Flags and
# environment variables (ARCHBENCH_PROVIDER, ARCHBENCH_MODEL, ARCHBENCH_BASE_URL,
# ARCHBENCH_MODEL_PATH, ARCHBENCH_PRESET) override a profile's values. `archbench config show`
# prints what is in effect and where each value came from.
#
# [profiles.claude]
# provider = "anthropic"              # local, openai or anthropic
# model = "claude-sonnet-4-5"
# api_key_env = "ANTHROPIC_API_KEY"   # the default for anthropic
#
# [profiles.gpt]
# provider = "openai"
# model = "gpt-4o-mini"
# api_key_cmd = "pass show openai/api-key"   # a command that prints the key
#
# [profiles.ollama]
# preset = "ollama"                   # openai, ollama, llamacpp, vllm, lmstudio
# model = "qwen2.5:14b"
#
# [profiles.local]
# provider = "local"
# model_path = "/models/Qwen2.5-7B-Instruct-Q4_K_M.gguf"

# Sampling for every role. A role file's front matter sets defaults below these; a role's own
# section (roles.ID) and the flags go above them.
# [params]
# temperature = 0.2
# max_tokens = 8000
# seed = 7
# stop = ["\nEND"]

# [roles.database_architect]
# profile = "claude"
# temperature = 0.1

# [timeouts]
# connect_secs = 10
# first_token_secs = 180     # a server loading its model can take a while
# idle_secs = 60

# [retry]                    # for 429, 5xx and overloaded answers
# max_tries = 5
# base_ms = 1000
# max_ms = 30000

# Keys: a binding's name (context.action; a global one by its action alone, as `archbench keys`
# lists them) and the keys it should answer to. Conflicts are reported at start.
# [keys]
# run = ["ctrl-s", "f9"]
# "answer.copy_block" = ["y", "ctrl-y"]

# Prices per million tokens, by model, for the estimate in the status bar.
# [prices."claude-sonnet-4-5"]
# input = 3.0
# output = 15.0
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
        let readme = include_str!("../README.md");
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
