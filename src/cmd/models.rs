//! `archbench models`: the local model folder, a server's list of models, or a download.

use super::fail;
use super::setup::{env, settings_for_role};
use crate::cli::{exit, CommonArgs};
use crate::paths;
use crate::provider::choose;

/// `archbench models`: the local model folder, a server's list, or a download.
pub async fn command(common: &CommonArgs, command: Option<&crate::cli::ModelsCommand>) -> i32 {
    use crate::cli::ModelsCommand;
    use crate::models;
    match command {
        None | Some(ModelsCommand::List { server: false }) => {
            let dir = paths::models_dir();
            let local = models::list_local(&dir);
            if local.is_empty() {
                crate::tell!(
                    "No models in {}: scripts/fetch-model.sh fetches the default one; archbench models pull URL downloads another.",
                    dir.display()
                );
            }
            let default = paths::default_model_path();
            for m in local {
                crate::say!(
                    "{:<48} {:>9.1} MB  {}{}",
                    m.name,
                    m.bytes as f64 / 1_000_000.0,
                    m.path.display(),
                    if m.path == default { "  (default)" } else { "" }
                );
            }
            exit::OK
        }
        Some(ModelsCommand::List { server: true }) => {
            let (_, _, settings) = match settings_for_role(common) {
                Ok(found) => found,
                Err(code) => return code,
            };
            if settings.provider.value == crate::provider::ProviderKind::Local {
                return fail(exit::BAD_INPUT, "--server lists a server's models: choose one with --provider, --preset, --base-url or --profile");
            }
            let provider = match choose::build(
                &settings.choice(),
                Default::default(),
                &settings.network(),
                &env,
            ) {
                Ok(p) => p,
                Err(e) => return fail(exit::PROVIDER, &e.to_string()),
            };
            match provider.models().await {
                Ok(names) => {
                    let endpoint = provider.info().endpoint;
                    if names.is_empty() {
                        crate::tell!("{endpoint} lists no models");
                    }
                    for name in names {
                        crate::say!("{}", crate::sanitize::sanitize_line(&name));
                    }
                    exit::OK
                }
                Err(e) => fail(
                    exit::PROVIDER,
                    &format!("{e} (not every server lists its models)"),
                ),
            }
        }
        Some(ModelsCommand::Pull {
            url,
            sha256,
            name,
            force,
        }) => {
            use std::io::IsTerminal;
            let job = models::Pull {
                url: url.clone(),
                dir: paths::models_dir(),
                name: name.clone(),
                sha256: sha256.clone(),
                force: *force,
                idle: std::time::Duration::from_secs(60),
            };
            let mut display = models::ProgressDisplay::new(std::io::stderr().is_terminal());
            let result = models::pull(&job, |p| display.show(p)).await;
            display.finish();
            match result {
                Ok(path) => {
                    crate::say!("{}", path.display());
                    crate::tell!(
                        "archbench: installed; run it with --model-path {}",
                        path.display()
                    );
                    exit::OK
                }
                Err(e @ models::PullError::Cut { .. }) => fail(exit::PROVIDER, &e.to_string()),
                Err(e) => fail(exit::BAD_INPUT, &e.to_string()),
            }
        }
    }
}
