//! What the commands that run a role share: the configuration, the role book and the role, the
//! settings they resolve to, the outbox, and the checks made before any work. Each failure is
//! reported here, once, and returned as the exit code.

use super::fail;
use crate::cli::{exit, Cli, CommonArgs};
use crate::paths;
use crate::provider::choose::Choice;
use crate::provider::Params;
use crate::role::{Role, RoleBook};
use clap::Parser;
use std::path::PathBuf;

pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

pub fn role_book(common: &CommonArgs) -> Result<RoleBook, i32> {
    let dir = common
        .roles_dir
        .clone()
        .unwrap_or_else(paths::user_roles_dir);
    RoleBook::load(Some(&dir)).map_err(|e| fail(exit::BAD_INPUT, &e.to_string()))
}

pub fn find_role(book: &RoleBook, id: &str) -> Result<Role, i32> {
    book.get(id).cloned().ok_or_else(|| {
        fail(
            exit::BAD_INPUT,
            &format!(
                "no role `{id}`; known roles: {} (see `archbench roles`)",
                book.ids().join(", ")
            ),
        )
    })
}

pub fn load_config(common: &CommonArgs) -> Result<crate::config::Loaded, i32> {
    crate::config::load(common.config.as_deref()).map_err(|e| {
        fail(
            exit::BAD_INPUT,
            &format!("{e} (archbench config check explains; fix it or pass --config FILE)"),
        )
    })
}

/// The effective settings for `role`; a bad profile or preset is bad input, said plainly.
pub fn resolve_settings(
    common: &CommonArgs,
    loaded: &crate::config::Loaded,
    role: &Role,
) -> Result<crate::settings::Settings, i32> {
    crate::settings::resolve(&crate::settings::Inputs {
        args: common,
        env: &env,
        loaded,
        role,
        default_model_path: paths::default_model_path(),
    })
    .map_err(|e| fail(exit::BAD_INPUT, &e))
}

/// Each profile of the configuration as the picker offers it: resolved as `--profile NAME` alone
/// would be (no other flag, no ARCHBENCH_* variable), so a profile means the same everywhere.
pub fn profile_choices(
    loaded: &crate::config::Loaded,
    role: &Role,
) -> Vec<(String, crate::provider::choose::Choice)> {
    let keys_only = |name: &str| {
        if name.starts_with("ARCHBENCH_") {
            None
        } else {
            env(name)
        }
    };
    loaded
        .config
        .profiles
        .keys()
        .filter_map(|name| {
            let args = Cli::try_parse_from(["archbench", "--profile", name.as_str()])
                .ok()?
                .common;
            let settings = crate::settings::resolve(&crate::settings::Inputs {
                args: &args,
                env: &keys_only,
                loaded,
                role,
                default_model_path: paths::default_model_path(),
            })
            .ok()?;
            Some((name.clone(), settings.choice()))
        })
        .collect()
}

/// The configuration, the `--role` and the settings it runs with (each failure reported).
pub fn settings_for_role(
    common: &CommonArgs,
) -> Result<(crate::config::Loaded, Role, crate::settings::Settings), i32> {
    let loaded = load_config(common)?;
    let book = role_book(common)?;
    let role = find_role(&book, common.role())?;
    let settings = resolve_settings(common, &loaded, &role)?;
    Ok((loaded, role, settings))
}

pub fn params(common: &CommonArgs) -> Params {
    Params {
        temperature: common.temperature,
        max_tokens: common.max_tokens,
        seed: common.seed,
        stop: common.stop.clone(),
    }
}

/// The outbox and where it came from: `--outbox`, then `ARCHBENCH_OUTBOX`, then the
/// configuration's `outbox`, then the data folder's.
pub fn outbox_with_source(
    common: &CommonArgs,
    config: &crate::config::Config,
) -> (PathBuf, &'static str) {
    if let Some(dir) = &common.outbox {
        return (dir.clone(), "flag --outbox");
    }
    if let Some(dir) = env("ARCHBENCH_OUTBOX").filter(|d| !d.trim().is_empty()) {
        return (PathBuf::from(dir), "environment ARCHBENCH_OUTBOX");
    }
    if let Some(dir) = &config.outbox {
        return (dir.clone(), "config outbox");
    }
    (paths::default_outbox(), "default")
}

pub fn outbox(common: &CommonArgs, config: &crate::config::Config) -> PathBuf {
    outbox_with_source(common, config).0
}

/// A local model file that is not there is reported before any work, with what to do.
pub fn check_model(choice: &Choice) -> Result<(), String> {
    match choice {
        Choice::Local { path } if !path.is_file() => Err(format!(
            "no model file at {}: run `scripts/fetch-model.sh` to fetch the default model, pass --model-path FILE, or use --provider openai",
            path.display()
        )),
        _ => Ok(()),
    }
}
