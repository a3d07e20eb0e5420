//! Which provider runs: an explicit flag wins; without one, a configured endpoint whose key is
//! set; without that, the local model.

use super::anthropic::{self, AnthropicProvider};
use super::http::{RetryPolicy, Timeouts};
use super::openai::{OpenAiProvider, DEFAULT_BASE_URL};
use super::{Provider, ProviderError};
use crate::cli::{CommonArgs, ProviderKind};
use std::path::PathBuf;
use std::sync::Arc;

/// The provider to build, decided without side effects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    OpenAi {
        base_url: String,
        model: String,
        key_env: String,
    },
    Anthropic {
        base_url: String,
        model: String,
        key_env: String,
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
}

/// Decides the provider from the flags and the environment (`env` looks a variable up).
pub fn choose(
    args: &CommonArgs,
    env: impl Fn(&str) -> Option<String>,
    default_model: PathBuf,
) -> Choice {
    let openai_key = args
        .api_key_env
        .clone()
        .unwrap_or_else(|| DEFAULT_OPENAI_KEY_ENV.to_string());
    let openai = || Choice::OpenAi {
        base_url: args
            .base_url
            .clone()
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
        model: args
            .model
            .clone()
            .unwrap_or_else(|| DEFAULT_OPENAI_MODEL.to_string()),
        key_env: openai_key.clone(),
    };
    let anthropic = || Choice::Anthropic {
        base_url: args
            .base_url
            .clone()
            .unwrap_or_else(|| anthropic::DEFAULT_BASE_URL.to_string()),
        model: args
            .model
            .clone()
            .unwrap_or_else(|| anthropic::DEFAULT_MODEL.to_string()),
        key_env: args
            .api_key_env
            .clone()
            .unwrap_or_else(|| anthropic::DEFAULT_KEY_ENV.to_string()),
    };
    let local = || Choice::Local {
        path: args.model_path.clone().unwrap_or(default_model.clone()),
    };
    match args.provider {
        Some(ProviderKind::Openai) => openai(),
        Some(ProviderKind::Anthropic) => anthropic(),
        Some(ProviderKind::Local) => local(),
        None if args.model_path.is_some() => local(),
        // An endpoint given (flag or ARCHBENCH_BASE_URL) with its key set: a local server
        // without keys is chosen with `--provider openai`.
        None if args.base_url.is_some() && env(&openai_key).is_some_and(|k| !k.is_empty()) => {
            openai()
        }
        None => local(),
    }
}

/// Builds the chosen provider.
pub fn build(
    choice: &Choice,
    threads: Option<i32>,
    network: &Network,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Arc<dyn Provider>, ProviderError> {
    match choice {
        Choice::OpenAi {
            base_url,
            model,
            key_env,
        } => {
            let key = env(key_env);
            Ok(Arc::new(OpenAiProvider::new(
                base_url,
                model,
                key,
                format!("the environment variable {key_env}"),
                network.timeouts,
                network.retry,
            )?))
        }
        Choice::Anthropic {
            base_url,
            model,
            key_env,
        } => {
            let key = env(key_env);
            Ok(Arc::new(AnthropicProvider::new(
                base_url,
                model,
                key,
                format!("the environment variable {key_env}"),
                network.timeouts,
                network.retry,
            )?))
        }
        #[cfg(feature = "local")]
        Choice::Local { path } => {
            let threads = threads.unwrap_or_else(super::local::default_threads).max(1);
            Ok(Arc::new(super::local::LocalProvider::new(
                path.clone(),
                threads,
            )))
        }
        #[cfg(not(feature = "local"))]
        Choice::Local { .. } => {
            let _ = threads;
            Err(ProviderError::Local(
                "this archbench was built without the local engine; use --provider openai".into(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(flags: &[&str]) -> CommonArgs {
        let mut argv = vec!["archbench"];
        argv.extend(flags);
        crate::cli::Cli::try_parse_from(argv).unwrap().common
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn model() -> PathBuf {
        PathBuf::from("/cache/m.gguf")
    }

    #[test]
    fn nothing_configured_means_the_local_model() {
        assert_eq!(
            choose(&args(&[]), no_env, model()),
            Choice::Local { path: model() }
        );
    }

    #[test]
    fn a_key_alone_does_not_pick_a_remote_endpoint() {
        assert_eq!(
            choose(&args(&[]), |_| Some("k".into()), model()),
            Choice::Local { path: model() }
        );
    }

    #[test]
    fn an_endpoint_with_its_key_set_is_chosen() {
        let a = args(&["--base-url", "http://h/v1", "--model", "m"]);
        assert!(matches!(
            choose(&a, |v| (v == "OPENAI_API_KEY").then(|| "k".into()), model()),
            Choice::OpenAi { .. }
        ));
        assert_eq!(choose(&a, no_env, model()), Choice::Local { path: model() });
    }

    #[test]
    fn an_explicit_flag_wins() {
        let a = args(&["--provider", "openai", "--base-url", "http://h/v1"]);
        assert_eq!(
            choose(&a, no_env, model()),
            Choice::OpenAi {
                base_url: "http://h/v1".into(),
                model: DEFAULT_OPENAI_MODEL.into(),
                key_env: "OPENAI_API_KEY".into()
            }
        );
        let a = args(&[
            "--provider",
            "local",
            "--base-url",
            "http://h/v1",
            "--model-path",
            "/x.gguf",
        ]);
        assert_eq!(
            choose(&a, |_| Some("k".into()), model()),
            Choice::Local {
                path: "/x.gguf".into()
            }
        );
    }

    #[test]
    fn the_key_variable_can_be_renamed() {
        let a = args(&["--base-url", "http://h/v1", "--api-key-env", "MY_KEY"]);
        assert!(matches!(
            choose(&a, |v| (v == "MY_KEY").then(|| "k".into()), model()),
            Choice::OpenAi { .. }
        ));
    }
}
