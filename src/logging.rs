//! The log: a file in the state folder, owner-only, never the screen (`ARCHBENCH_LOG` filters it).

/// Starts logging to the log file; without a writable state folder there is no log.
pub fn init() {
    let file = crate::paths::log_file();
    let Some(dir) = file.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    if let Ok(file) = options.open(&file) {
        let filter = tracing_subscriber::EnvFilter::try_from_env("ARCHBENCH_LOG")
            .unwrap_or_else(|_| "info".into());
        let _ = tracing_subscriber::fmt()
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .with_env_filter(filter)
            .try_init();
    }
}
