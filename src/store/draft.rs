//! The brief being written, kept on disk as it is typed: saved atomically and owner-only, at most a
//! second behind the keyboard, and offered back at the next start if the workbench did not end
//! cleanly (ssh dropped, the process was killed, a panic).

use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A draft found on disk.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub text: String,
    pub saved_at: DateTime<Utc>,
    pub path: PathBuf,
}

/// The draft file of `role` in `dir`.
pub fn path(dir: &Path, role: &str) -> PathBuf {
    // Role ids are file stems already; anything else is kept out of the path.
    let safe: String = role
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{safe}.md"))
}

/// Saves `text` as the draft of `role`.
pub fn save(dir: &Path, role: &str, text: &str) -> std::io::Result<PathBuf> {
    let file = path(dir, role);
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    super::outbox::write_atomic(dir, &name, text.as_bytes())
}

/// The draft of `role`, if one is saved and not empty.
pub fn load(dir: &Path, role: &str) -> Option<Draft> {
    let file = path(dir, role);
    let text = std::fs::read_to_string(&file).ok()?;
    if text.trim().is_empty() {
        return None;
    }
    let saved_at = std::fs::metadata(&file)
        .and_then(|m| m.modified())
        .map(DateTime::<Utc>::from)
        .unwrap_or_else(|_| Utc::now());
    Some(Draft {
        text,
        saved_at,
        path: file,
    })
}

/// The draft is no longer needed (the workbench ended cleanly with nothing unsaved).
pub fn remove(dir: &Path, role: &str) {
    let _ = std::fs::remove_file(path(dir, role));
}

/// The latest brief, where the panic hook can reach it: a panic unwinds past the loop that owns
/// the state, so the hook writes this copy instead.
static LAST_BRIEF: Mutex<Option<(PathBuf, String, String)>> = Mutex::new(None);

/// Keeps a copy of the brief for [`flush_on_panic`] (called when the brief changes).
pub fn remember(dir: &Path, role: &str, text: &str) {
    if let Ok(mut slot) = LAST_BRIEF.lock() {
        *slot = Some((dir.to_path_buf(), role.to_string(), text.to_string()));
    }
}

/// Writes the remembered brief; the panic hook calls it. Never panics itself.
pub fn flush_on_panic() {
    let Ok(slot) = LAST_BRIEF.try_lock() else {
        return;
    };
    if let Some((dir, role, text)) = slot.as_ref() {
        if !text.trim().is_empty() {
            let _ = save(dir, role, text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_is_saved_private_and_loaded_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = save(
            dir.path(),
            "database_architect",
            "Multi-tenant ledger\nwith audit",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "draft readable by others: {mode:o}");
        }
        let draft = load(dir.path(), "database_architect").unwrap();
        assert_eq!(draft.text, "Multi-tenant ledger\nwith audit");
        assert_eq!(draft.path, file);
        remove(dir.path(), "database_architect");
        assert!(load(dir.path(), "database_architect").is_none());
    }

    #[test]
    fn an_empty_draft_is_no_draft_and_odd_role_names_stay_in_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), "r", "  \n").unwrap();
        assert!(load(dir.path(), "r").is_none());
        assert_eq!(path(dir.path(), "../x/y"), dir.path().join("___x_y.md"));
    }

    #[test]
    fn the_remembered_brief_is_written_on_panic() {
        let dir = tempfile::tempdir().unwrap();
        remember(dir.path(), "panicky_role", "typed before the crash");
        flush_on_panic();
        assert_eq!(
            load(dir.path(), "panicky_role").unwrap().text,
            "typed before the crash"
        );
    }
}
