//! Building the provider that [`crate::settings`] chose, with its key read from where the
//! settings say.

use super::anthropic::AnthropicProvider;
use super::http::{RetryPolicy, Timeouts};
use super::openai::OpenAiProvider;
use super::{Provider, ProviderError};
use std::path::PathBuf;
use std::sync::Arc;

/// Where an HTTP provider's key comes from. The key itself is read only when the provider is
/// built, and kept nowhere but in the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// An environment variable.
    Env(String),
    /// A command that prints the key (a password manager), run with `sh -c`.
    Command(String),
}

impl KeySource {
    /// For messages: where the key came from, never the key.
    pub fn describe(&self) -> String {
        match self {
            Self::Env(var) => format!("the environment variable {var}"),
            Self::Command(cmd) => format!("the key command `{cmd}`"),
        }
    }

    /// The key, if there is one. A key command that fails is an error that names it; what it
    /// printed on standard output (perhaps the key) is never repeated.
    pub fn read(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<String>, ProviderError> {
        match self {
            Self::Env(var) => Ok(env(var).filter(|k| !k.is_empty())),
            Self::Command(cmd) => {
                let out = std::process::Command::new("sh")
                    .args(["-c", cmd])
                    .stdin(std::process::Stdio::null())
                    .output()
                    .map_err(|e| {
                        ProviderError::Key(format!("cannot run the key command `{cmd}`: {e}"))
                    })?;
                if !out.status.success() {
                    let why = String::from_utf8_lossy(&out.stderr);
                    let why = why.lines().next().unwrap_or("").trim();
                    return Err(ProviderError::Key(format!(
                        "the key command `{cmd}` failed ({}){}",
                        out.status,
                        if why.is_empty() {
                            String::new()
                        } else {
                            format!(": {why}")
                        }
                    )));
                }
                let key = String::from_utf8_lossy(&out.stdout).trim().to_string();
                if key.is_empty() {
                    return Err(ProviderError::Key(format!(
                        "the key command `{cmd}` printed nothing"
                    )));
                }
                // A key goes into an HTTP header: one line of visible characters. What the
                // command printed is never quoted (it may be a key).
                if key.chars().any(char::is_control) {
                    let lines = key.lines().count();
                    return Err(ProviderError::Key(format!(
                        "the key command `{cmd}` printed {lines} line(s) or control characters; it must print the key alone, on one line"
                    )));
                }
                Ok(Some(key))
            }
        }
    }
}

/// The provider to build, decided without side effects (see [`crate::settings`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    OpenAi {
        base_url: String,
        model: String,
        key: KeySource,
    },
    Anthropic {
        base_url: String,
        model: String,
        key: KeySource,
    },
    Local {
        path: PathBuf,
    },
}

pub const DEFAULT_OPENAI_MODEL: &str = "gpt-4o-mini";
pub const DEFAULT_OPENAI_KEY_ENV: &str = "OPENAI_API_KEY";

/// How HTTP providers treat the network.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Network {
    pub timeouts: Timeouts,
    pub retry: RetryPolicy,
    /// The most an answer and its reasoning may hold, in bytes.
    pub answer_limit: u64,
}

/// How the local engine runs: its threads (default: the cores available) and whether the state
/// after a role's prompt is kept in the cache folder for the next process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalRun {
    pub threads: Option<i32>,
    pub prompt_cache: bool,
}

impl Default for LocalRun {
    fn default() -> Self {
        Self {
            threads: None,
            prompt_cache: true,
        }
    }
}

/// Builds the chosen provider (reading its key now: a key command runs here).
pub fn build(
    choice: &Choice,
    local: LocalRun,
    network: &Network,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Arc<dyn Provider>, ProviderError> {
    // Both HTTP APIs run on one endpoint: the server, the key, how the network is treated.
    let endpoint = |base_url: &str, model: &str, key: &KeySource| {
        Ok::<_, ProviderError>(
            super::http::Endpoint::new(
                base_url,
                model,
                key.read(env)?,
                key.describe(),
                network.timeouts,
                network.retry,
            )?
            .with_answer_limit(network.answer_limit),
        )
    };
    match choice {
        Choice::OpenAi {
            base_url,
            model,
            key,
        } => Ok(Arc::new(OpenAiProvider::from(endpoint(
            base_url, model, key,
        )?))),
        Choice::Anthropic {
            base_url,
            model,
            key,
        } => Ok(Arc::new(AnthropicProvider::from(endpoint(
            base_url, model, key,
        )?))),
        #[cfg(feature = "local")]
        Choice::Local { path } => {
            let threads = local
                .threads
                .unwrap_or_else(super::local::default_threads)
                .max(1);
            let cache = local.prompt_cache.then(super::local::CacheFolder::standard);
            Ok(Arc::new(super::local::LocalProvider::with_cache(
                path.clone(),
                threads,
                cache,
            )))
        }
        #[cfg(not(feature = "local"))]
        Choice::Local { .. } => {
            let _ = local;
            Err(ProviderError::Local(
                "this archbench was built without the local engine; use --provider openai or anthropic".into(),
            ))
        }
    }
}

/// A provider built for a choice, on its way to the runner.
#[derive(Clone)]
pub struct Built {
    pub provider: Arc<dyn Provider>,
    pub choice: Choice,
}

impl std::fmt::Debug for Built {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Built")
            .field("provider", &self.provider.info())
            .field("choice", &self.choice)
            .finish()
    }
}

impl PartialEq for Built {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.provider, &other.provider) && self.choice == other.choice
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_command_gives_the_key_and_its_failure_never_repeats_its_output() {
        let none = |_: &str| None;
        let key = KeySource::Command("printf 'sk-from-cmd\\n'".into());
        assert_eq!(key.read(&none).unwrap().as_deref(), Some("sk-from-cmd"));
        let failing = KeySource::Command("printf 'sk-%s' secret; echo locked >&2; exit 3".into());
        let message = failing.read(&none).unwrap_err().to_string();
        assert!(
            message.contains("failed") && message.contains("locked"),
            "{message}"
        );
        assert!(!message.contains("sk-secret"), "{message}");
        let silent = KeySource::Command("true".into());
        assert!(silent
            .read(&none)
            .unwrap_err()
            .to_string()
            .contains("printed nothing"));
        let env = |v: &str| (v == "K").then(|| "from-env".to_string());
        assert_eq!(
            KeySource::Env("K".into()).read(&env).unwrap().as_deref(),
            Some("from-env")
        );
        assert_eq!(KeySource::Env("OTHER".into()).read(&env).unwrap(), None);
    }
}
