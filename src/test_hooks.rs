//! Hooks that let the end-to-end tests reach states no user action reaches, in debug builds only
//! (in release builds both are constant no-ops and the variables are never read): a panic on
//! demand, to check what a panic leaves behind, and a draft autosave slow enough that only a
//! signal's flush can have written a draft.

use std::time::Duration;

/// Panics when the brief holds the text of `ARCHBENCH_TEST_PANIC` (checked after the brief's
/// copy for the panic hook is taken, so that copy holds the marker).
pub fn panic_if_asked(brief: &str) {
    if !cfg!(debug_assertions) {
        return;
    }
    static MARKER: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let marker = MARKER.get_or_init(|| std::env::var("ARCHBENCH_TEST_PANIC").ok());
    if let Some(marker) = marker.as_deref().filter(|m| !m.is_empty()) {
        assert!(
            !brief.contains(marker),
            "ARCHBENCH_TEST_PANIC: the brief holds the marker"
        );
    }
}

/// How long after the last edit the draft is saved: `normal`, or in debug builds
/// `ARCHBENCH_TEST_DRAFT_DELAY_MS` when set.
pub fn draft_delay(normal: Duration) -> Duration {
    if !cfg!(debug_assertions) {
        return normal;
    }
    std::env::var("ARCHBENCH_TEST_DRAFT_DELAY_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(normal, Duration::from_millis)
}
