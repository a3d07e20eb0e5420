//! The effective settings of a run — the profile, provider, endpoint, model, key, sampling
//! parameters, timeouts and retries — each with where it came from. One rule for all of them: a
//! flag wins over the environment, the environment over the configuration file, the file over
//! the role file and the defaults. `archbench config show` prints the result.

use crate::cli::CommonArgs;
use crate::config::{Loaded, Profile};
use crate::provider::anthropic;
use crate::provider::choose::{
    Choice, KeySource, Network, DEFAULT_OPENAI_KEY_ENV, DEFAULT_OPENAI_MODEL,
};
use crate::provider::http::{RetryPolicy, Timeouts};
use crate::provider::openai::DEFAULT_BASE_URL;
use crate::provider::presets;
use crate::provider::Params;
use crate::provider::ProviderKind;
use crate::role::Role;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Env(&'static str),
    /// A profile of the configuration file.
    Profile(String),
    /// `[roles.ID]` of the configuration file.
    RoleConfig(String),
    /// A top-level section of the configuration file (`[params]`, `[timeouts]`…).
    Config(&'static str),
    /// A server preset's default.
    Preset(String),
    /// The role file's front matter.
    RoleFile,
    /// Chosen from what is available (a model file, an endpoint with its key).
    Detected(&'static str),
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag(name) => write!(f, "flag {name}"),
            Self::Env(name) => write!(f, "environment {name}"),
            Self::Profile(name) => write!(f, "config profile `{name}`"),
            Self::RoleConfig(role) => write!(f, "config [roles.{role}]"),
            Self::Config(section) => write!(f, "config {section}"),
            Self::Preset(name) => write!(f, "preset {name}"),
            Self::RoleFile => write!(f, "role file"),
            Self::Detected(why) => write!(f, "detected: {why}"),
            Self::Default => write!(f, "default"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

fn sourced<T>(value: T, source: Source) -> Sourced<T> {
    Sourced { value, source }
}

/// The first of several candidates that is set, with its source.
fn first<T>(candidates: impl IntoIterator<Item = (Option<T>, Source)>) -> Option<Sourced<T>> {
    candidates
        .into_iter()
        .find_map(|(value, source)| value.map(|v| sourced(v, source)))
}

/// Everything a run is made with.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub profile: Option<Sourced<String>>,
    pub provider: Sourced<ProviderKind>,
    pub preset: Option<Sourced<String>>,
    pub base_url: Sourced<String>,
    pub model: Sourced<String>,
    pub model_path: Sourced<PathBuf>,
    pub key: Sourced<KeySource>,
    pub temperature: Option<Sourced<f32>>,
    pub max_tokens: Option<Sourced<u32>>,
    pub seed: Option<Sourced<u32>>,
    pub stop: Option<Sourced<Vec<String>>>,
    pub timeouts: Sourced<Timeouts>,
    pub retry: Sourced<RetryPolicy>,
    /// The most an answer and its reasoning may hold, in bytes.
    pub answer_limit: Sourced<u64>,
}

/// What settings are made from: the flags, the environment, the configuration, the role.
pub struct Inputs<'a> {
    pub args: &'a CommonArgs,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub loaded: &'a Loaded,
    pub role: &'a Role,
    pub default_model_path: PathBuf,
}

impl Inputs<'_> {
    fn env(&self, name: &'static str) -> (Option<String>, Source) {
        (
            (self.env)(name).filter(|v| !v.trim().is_empty()),
            Source::Env(name),
        )
    }
}

/// Resolves the settings; an unknown profile or preset is an error that says what exists.
pub fn resolve(inputs: &Inputs) -> Result<Settings, String> {
    let args = inputs.args;
    let config = &inputs.loaded.config;
    let role_config = config.roles.get(&inputs.role.id);
    let role_source = || Source::RoleConfig(inputs.role.id.clone());

    let profile = first([
        (args.profile.clone(), Source::Flag("--profile")),
        inputs.env("ARCHBENCH_PROFILE"),
        (
            role_config.and_then(|r| r.profile.as_ref().map(|p| p.get_ref().clone())),
            role_source(),
        ),
        (
            config.default_profile.as_ref().map(|p| p.get_ref().clone()),
            Source::Config("default_profile"),
        ),
    ]);
    let chosen: Profile = match &profile {
        Some(name) => config.profiles.get(&name.value).cloned().ok_or_else(|| {
            let known: Vec<&str> = config.profiles.keys().map(String::as_str).collect();
            format!(
                "no profile `{}` ({}); profiles are [profiles.NAME] in {}",
                name.value,
                if known.is_empty() {
                    "the configuration defines none".to_string()
                } else {
                    format!("defined: {}", known.join(", "))
                },
                crate::config::path(args.config.as_deref()).display()
            )
        })?,
        None => Profile::default(),
    };
    let from_profile = || {
        profile
            .as_ref()
            .map_or(Source::Default, |p| Source::Profile(p.value.clone()))
    };

    let preset = first([
        (args.preset.clone(), Source::Flag("--preset")),
        inputs.env("ARCHBENCH_PRESET"),
        (
            chosen.preset.as_ref().map(|p| p.get_ref().clone()),
            from_profile(),
        ),
    ]);
    let preset_def = match &preset {
        Some(p) => Some(presets::find(&p.value).ok_or_else(|| {
            format!(
                "no preset `{}`; known: {}",
                p.value,
                presets::names().join(", ")
            )
        })?),
        None => None,
    };

    let explicit_base = first([
        (args.base_url.clone(), Source::Flag("--base-url")),
        inputs.env("ARCHBENCH_BASE_URL"),
        (chosen.base_url.clone(), from_profile()),
        (
            preset_def.map(|p| p.base_url.to_string()),
            Source::Preset(preset.as_ref().map(|p| p.value.clone()).unwrap_or_default()),
        ),
    ]);
    let model_path = first([
        (args.model_path.clone(), Source::Flag("--model-path")),
        (
            inputs.env("ARCHBENCH_MODEL_PATH").0.map(PathBuf::from),
            Source::Env("ARCHBENCH_MODEL_PATH"),
        ),
        (chosen.model_path.clone(), from_profile()),
    ]);
    let key_env_flag = first([
        (args.api_key_env.clone(), Source::Flag("--api-key-env")),
        (chosen.api_key_env.clone(), from_profile()),
    ]);

    let provider = match first([
        (args.provider, Source::Flag("--provider")),
        (
            inputs
                .env("ARCHBENCH_PROVIDER")
                .0
                .and_then(|v| <ProviderKind as clap::ValueEnum>::from_str(&v, true).ok()),
            Source::Env("ARCHBENCH_PROVIDER"),
        ),
        (chosen.provider, from_profile()),
        (preset_def.map(|_| ProviderKind::Openai), from_profile()),
    ]) {
        Some(p) => p,
        None if model_path.is_some() => sourced(
            ProviderKind::Local,
            Source::Detected("a model file was given"),
        ),
        None if explicit_base.is_some() && {
            let var = key_env_flag
                .as_ref()
                .map_or(DEFAULT_OPENAI_KEY_ENV.to_string(), |k| k.value.clone());
            (inputs.env)(&var).is_some_and(|k| !k.is_empty())
        } =>
        {
            sourced(
                ProviderKind::Openai,
                Source::Detected("an endpoint whose key is set"),
            )
        }
        None => sourced(ProviderKind::Local, Source::Default),
    };

    let base_url = explicit_base.unwrap_or_else(|| {
        sourced(
            match provider.value {
                ProviderKind::Anthropic => anthropic::DEFAULT_BASE_URL.to_string(),
                _ => DEFAULT_BASE_URL.to_string(),
            },
            Source::Default,
        )
    });
    let model = first([
        (args.model.clone(), Source::Flag("--model")),
        inputs.env("ARCHBENCH_MODEL"),
        (chosen.model.clone(), from_profile()),
    ])
    .unwrap_or_else(|| {
        sourced(
            match provider.value {
                ProviderKind::Anthropic => anthropic::DEFAULT_MODEL.to_string(),
                _ => DEFAULT_OPENAI_MODEL.to_string(),
            },
            Source::Default,
        )
    });
    let model_path =
        model_path.unwrap_or_else(|| sourced(inputs.default_model_path.clone(), Source::Default));
    let key = match (&key_env_flag, &chosen.api_key_cmd) {
        (Some(var), _) if var.source == Source::Flag("--api-key-env") => {
            sourced(KeySource::Env(var.value.clone()), var.source.clone())
        }
        (_, Some(cmd)) => sourced(KeySource::Command(cmd.get_ref().clone()), from_profile()),
        (Some(var), None) => sourced(KeySource::Env(var.value.clone()), var.source.clone()),
        (None, None) => sourced(
            KeySource::Env(match provider.value {
                ProviderKind::Anthropic => anthropic::DEFAULT_KEY_ENV.to_string(),
                _ => DEFAULT_OPENAI_KEY_ENV.to_string(),
            }),
            Source::Default,
        ),
    };

    // Parameters: flags, then this role's config, then the config's [params], then the role
    // file; what is still unset is the provider's default (filled in when it is built).
    let params = &config.params;
    let role_file = &inputs.role.params;
    let temperature = first([
        (args.temperature, Source::Flag("--temperature")),
        (role_config.and_then(|r| r.temperature), role_source()),
        (params.temperature, Source::Config("[params]")),
        (role_file.temperature, Source::RoleFile),
    ]);
    let max_tokens = first([
        (args.max_tokens, Source::Flag("--max-tokens")),
        (role_config.and_then(|r| r.max_tokens), role_source()),
        (params.max_tokens, Source::Config("[params]")),
        (role_file.max_tokens, Source::RoleFile),
    ]);
    let seed = first([
        (args.seed, Source::Flag("--seed")),
        (role_config.and_then(|r| r.seed), role_source()),
        (params.seed, Source::Config("[params]")),
        (role_file.seed, Source::RoleFile),
    ]);
    let nonempty = |v: Option<Vec<String>>| v.filter(|s| !s.is_empty());
    let stop = first([
        (nonempty(Some(args.stop.clone())), Source::Flag("--stop")),
        (
            nonempty(role_config.and_then(|r| r.stop.clone())),
            role_source(),
        ),
        (nonempty(params.stop.clone()), Source::Config("[params]")),
        (nonempty(Some(role_file.stop.clone())), Source::RoleFile),
    ]);

    let t = &config.timeouts;
    let secs = |v: &Option<toml::Spanned<f64>>, d: Duration| {
        v.as_ref()
            .map_or(d, |s| Duration::from_secs_f64(*s.get_ref()))
    };
    let defaults = Timeouts::default();
    let timeouts = Timeouts {
        connect: secs(&t.connect_secs, defaults.connect),
        first_token: secs(&t.first_token_secs, defaults.first_token),
        idle: secs(&t.idle_secs, defaults.idle),
    };
    let timeouts_source =
        if t.connect_secs.is_some() || t.first_token_secs.is_some() || t.idle_secs.is_some() {
            Source::Config("[timeouts]")
        } else {
            Source::Default
        };
    let r = &config.retry;
    let defaults = RetryPolicy::default();
    let retry = RetryPolicy {
        max_tries: r.max_tries.unwrap_or(defaults.max_tries).max(1),
        base: r.base_ms.map_or(defaults.base, Duration::from_millis),
        max: r.max_ms.map_or(defaults.max, Duration::from_millis),
    };
    let retry_source = if r.max_tries.is_some() || r.base_ms.is_some() || r.max_ms.is_some() {
        Source::Config("[retry]")
    } else {
        Source::Default
    };

    Ok(Settings {
        profile,
        provider,
        preset,
        base_url,
        model,
        model_path,
        key,
        temperature,
        max_tokens,
        seed,
        stop,
        timeouts: sourced(timeouts, timeouts_source),
        retry: sourced(retry, retry_source),
        answer_limit: match config.limits.answer_mb {
            Some(mb) => sourced(mb * 1024 * 1024, Source::Config("[limits]")),
            None => sourced(crate::provider::http::MAX_ANSWER_BYTES, Source::Default),
        },
    })
}

impl Settings {
    /// The provider to build.
    pub fn choice(&self) -> Choice {
        match self.provider.value {
            ProviderKind::Local => Choice::Local {
                path: self.model_path.value.clone(),
            },
            ProviderKind::Openai => Choice::OpenAi {
                base_url: self.base_url.value.clone(),
                model: self.model.value.clone(),
                key: self.key.value.clone(),
            },
            ProviderKind::Anthropic => Choice::Anthropic {
                base_url: self.base_url.value.clone(),
                model: self.model.value.clone(),
                key: self.key.value.clone(),
            },
        }
    }

    pub fn network(&self) -> Network {
        Network {
            timeouts: self.timeouts.value,
            retry: self.retry.value,
            answer_limit: self.answer_limit.value,
        }
    }

    /// The sampling parameters set anywhere (the provider's defaults fill the rest).
    pub fn params(&self) -> Params {
        Params {
            temperature: self.temperature.as_ref().map(|s| s.value),
            max_tokens: self.max_tokens.as_ref().map(|s| s.value),
            seed: self.seed.as_ref().map(|s| s.value),
            stop: self
                .stop
                .as_ref()
                .map(|s| s.value.clone())
                .unwrap_or_default(),
        }
    }

    /// One line per setting: name, value, source. Keys are never shown: only where they come
    /// from and whether they are there.
    pub fn report(&self, env: &dyn Fn(&str) -> Option<String>) -> Vec<(String, String, String)> {
        let mut rows = Vec::new();
        let mut row = |name: &str, value: String, source: &Source| {
            rows.push((name.to_string(), value, source.to_string()));
        };
        match &self.profile {
            Some(p) => row("profile", p.value.clone(), &p.source),
            None => row("profile", "(none)".into(), &Source::Default),
        }
        row(
            "provider",
            format!("{:?}", self.provider.value).to_lowercase(),
            &self.provider.source,
        );
        if let Some(p) = &self.preset {
            row("preset", p.value.clone(), &p.source);
        }
        match self.provider.value {
            ProviderKind::Local => row(
                "model_path",
                self.model_path.value.display().to_string(),
                &self.model_path.source,
            ),
            _ => {
                row(
                    "base_url",
                    self.base_url.value.clone(),
                    &self.base_url.source,
                );
                row("model", self.model.value.clone(), &self.model.source);
                let key = match &self.key.value {
                    KeySource::Env(var) => match env(var) {
                        Some(k) if !k.is_empty() => format!("${var} (set, masked)"),
                        _ => format!("${var} (not set)"),
                    },
                    KeySource::Command(cmd) => format!("output of `{cmd}` (run when needed)"),
                };
                row("key", key, &self.key.source);
            }
        }
        let opt = |v: Option<String>| v.unwrap_or_else(|| "(provider default)".into());
        let source_of = |s: Option<&Source>| s.cloned().unwrap_or(Source::Default);
        row(
            "temperature",
            opt(self.temperature.as_ref().map(|s| s.value.to_string())),
            &source_of(self.temperature.as_ref().map(|s| &s.source)),
        );
        row(
            "max_tokens",
            opt(self.max_tokens.as_ref().map(|s| s.value.to_string())),
            &source_of(self.max_tokens.as_ref().map(|s| &s.source)),
        );
        row(
            "seed",
            opt(self.seed.as_ref().map(|s| s.value.to_string())),
            &source_of(self.seed.as_ref().map(|s| &s.source)),
        );
        row(
            "stop",
            opt(self.stop.as_ref().map(|s| format!("{:?}", s.value))),
            &source_of(self.stop.as_ref().map(|s| &s.source)),
        );
        let t = &self.timeouts.value;
        row(
            "timeouts",
            format!(
                "connect {} s, first token {} s, idle {} s",
                t.connect.as_secs_f64(),
                t.first_token.as_secs_f64(),
                t.idle.as_secs_f64()
            ),
            &self.timeouts.source,
        );
        let r = &self.retry.value;
        row(
            "retry",
            format!(
                "{} tries, first wait {} ms, at most {} ms",
                r.max_tries,
                r.base.as_millis(),
                r.max.as_millis()
            ),
            &self.retry.source,
        );
        row(
            "answer limit",
            format!("{} MiB", self.answer_limit.value / (1024 * 1024)),
            &self.answer_limit.source,
        );
        rows
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
