//! The configuration's tables as the file writes them: every field optional, unknown keys refused.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use toml::Spanned;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub reviewer: crate::reviewer::ReviewerConfig,
    #[serde(default)]
    pub handoff: HandoffConfig,
    /// How the answer's SQL is checked before approval.
    #[serde(default)]
    pub check: CheckConfig,
    /// Where sessions, pending reviews and claims are kept: a team's PostgreSQL, else this
    /// machine's SQLite file.
    #[serde(default)]
    pub store: StoreConfig,
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
    pub provider: Option<crate::provider::ProviderKind>,
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

/// `[store]`: the team store.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `postgresql://reviewer@db.example.com/archbench` (below `--store-url`). No password here:
    /// it comes from `PGPASSWORD`, or the variable or command below.
    pub url: Option<Spanned<String>>,
    /// The environment variable holding the store's password (default: PGPASSWORD).
    pub password_env: Option<Spanned<String>>,
    /// A command that prints the store's password (a password manager), run when connecting.
    pub password_cmd: Option<Spanned<String>>,
    /// The certificate authority (PEM) a team's own store certificate is signed by; the web's
    /// roots are trusted without it. Certificates are always verified.
    pub ca_file: Option<std::path::PathBuf>,
}

/// `[check]`: the SQL of an answer parsed, applied to a PostgreSQL and linted.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckConfig {
    /// Check answers at all (default true).
    pub enabled: Option<bool>,
    /// A server to check on instead of a throwaway one (below `--check-url`); its user needs
    /// CREATEROLE and CREATEDB.
    pub url: Option<Spanned<String>>,
    /// What approving a route asks while the check has errors: "pass", "confirm" or "off".
    pub require: Option<Spanned<String>>,
    /// The most one statement may run.
    pub statement_timeout_secs: Option<Spanned<f64>>,
    /// The most a whole check may take.
    pub time_limit_secs: Option<Spanned<f64>>,
    /// Lint rules by name, `false` to turn one off.
    #[serde(default)]
    pub lints: BTreeMap<String, Spanned<bool>>,
    /// The schema the check built, written into the envelope in these formats: "text",
    /// "mermaid", "dot", "json" (none by default).
    #[serde(default)]
    pub envelope_schema: Vec<Spanned<String>>,
}
