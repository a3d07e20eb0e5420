//! Deliveries that failed and wait in the outbox: one small JSON file per envelope and sink in
//! `outbox/pending/`, removed once `archbench outbox retry` delivers it.

use super::SinkSpec;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub envelope_id: String,
    /// The sink as configured (`webhook:URL`, `exec:COMMAND`).
    pub sink: String,
    pub failures: u32,
    pub last_error: String,
    pub first_failed: DateTime<Utc>,
    pub last_failed: DateTime<Utc>,
}

fn folder(outbox: &Path) -> PathBuf {
    outbox.join("pending")
}

/// One file per envelope and sink, so two failing sinks of one envelope wait side by side.
fn file_name(envelope_id: &str, sink: &str) -> String {
    let digest = hex::encode(Sha256::digest(sink.as_bytes()));
    format!("{envelope_id}--{}.json", &digest[..12])
}

fn written_form(sink: &SinkSpec) -> String {
    match sink {
        SinkSpec::Webhook(url) => format!("webhook:{url}"),
        SinkSpec::Exec(argv) => format!(
            "exec:{}",
            argv.iter()
                .map(|w| super::argv::quote(w))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        other => other.label(),
    }
}

/// Marks the envelope pending for `sink`.
pub fn mark(
    outbox: &Path,
    envelope_id: &str,
    sink: &SinkSpec,
    error: &str,
) -> Result<PathBuf, String> {
    let now = Utc::now();
    let entry = Pending {
        envelope_id: envelope_id.to_string(),
        sink: written_form(sink),
        failures: 1,
        last_error: error.to_string(),
        first_failed: now,
        last_failed: now,
    };
    save(outbox, &entry)
}

fn save(outbox: &Path, entry: &Pending) -> Result<PathBuf, String> {
    let json = serde_json::to_vec_pretty(entry).map_err(|e| e.to_string())?;
    crate::store::outbox::write_atomic(
        &folder(outbox),
        &file_name(&entry.envelope_id, &entry.sink),
        &json,
    )
    .map_err(|e| format!("cannot write into {}: {e}", folder(outbox).display()))
}

/// Every pending delivery, oldest first. Unreadable markers are reported, not skipped silently.
pub fn list(outbox: &Path) -> Result<Vec<Pending>, String> {
    let dir = folder(outbox);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let pending: Pending = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a pending delivery: {e}", path.display()))?;
        out.push(pending);
    }
    out.sort_by_key(|a| a.first_failed);
    Ok(out)
}

/// The delivery succeeded: it no longer waits.
pub fn clear(outbox: &Path, entry: &Pending) -> Result<(), String> {
    let path = folder(outbox).join(file_name(&entry.envelope_id, &entry.sink));
    std::fs::remove_file(&path).map_err(|e| format!("cannot remove {}: {e}", path.display()))
}

/// The delivery failed again: count it.
pub fn record_failure(outbox: &Path, entry: &Pending, error: &str) -> Result<(), String> {
    let mut updated = entry.clone();
    updated.failures += 1;
    updated.last_error = error.to_string();
    updated.last_failed = Utc::now();
    save(outbox, &updated).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marked_delivery_is_listed_then_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let sink = SinkSpec::Exec(vec!["notify".into(), "two words".into(), "it's".into()]);
        mark(dir.path(), "env-1", &sink, "exit 1").unwrap();
        let listed = list(dir.path()).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(SinkSpec::parse(&listed[0].sink).unwrap(), sink);
        record_failure(dir.path(), &listed[0], "exit 2").unwrap();
        let again = list(dir.path()).unwrap();
        assert_eq!(
            (again[0].failures, again[0].last_error.as_str()),
            (2, "exit 2")
        );
        clear(dir.path(), &again[0]).unwrap();
        assert!(list(dir.path()).unwrap().is_empty());
    }

    #[test]
    fn no_pending_folder_means_nothing_pending() {
        let dir = tempfile::tempdir().unwrap();
        assert!(list(dir.path()).unwrap().is_empty());
    }
}
