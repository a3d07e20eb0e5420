//! The brief being written, kept on disk as it is typed: saved atomically and owner-only, at most a
//! second behind the keyboard, and offered back at the next start if the workbench did not end
//! cleanly (ssh dropped, the process was killed, a panic).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Whose draft it is: one workbench (its instance and process), writing the brief of one role,
/// opened on one brief file or on none. Two live workbenches never share a draft: each has its
/// own file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub role: String,
    /// The file given with `--brief`, as an absolute path; none for a brief begun on screen.
    pub brief_file: Option<PathBuf>,
    pub instance: String,
    pub pid: u32,
}

/// What a draft file holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Saved {
    owner: Owner,
    text: String,
}

/// A draft found on disk.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub text: String,
    pub saved_at: DateTime<Utc>,
    pub path: PathBuf,
    pub owner: Owner,
}

/// Keeps a file name to letters, digits, `_` and `-`.
fn safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The draft file of `owner` in `dir`.
pub fn path(dir: &Path, owner: &Owner) -> PathBuf {
    dir.join(format!(
        "{}.{}.json",
        safe(&owner.role),
        safe(&owner.instance)
    ))
}

/// Saves `text` as `owner`'s draft.
pub fn save(dir: &Path, owner: &Owner, text: &str) -> std::io::Result<PathBuf> {
    let file = path(dir, owner);
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let saved = Saved {
        owner: owner.clone(),
        text: text.to_string(),
    };
    let json = serde_json::to_vec(&saved).map_err(std::io::Error::other)?;
    super::outbox::write_atomic(dir, &name, &json)
}

/// Drafts that workbenches now gone left for `role` on the same brief file (or on none), the
/// newest first. A draft of a live workbench is never offered to another.
pub fn left_behind(dir: &Path, role: &str, brief_file: Option<&Path>) -> Vec<Draft> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<Draft> = entries
        .flatten()
        .filter_map(|e| read(&e.path()))
        .filter(|d| {
            d.owner.role == role
                && d.owner.brief_file.as_deref() == brief_file
                && d.owner.pid != std::process::id()
                && !super::sessions::process_alive(i64::from(d.owner.pid))
                && !d.text.trim().is_empty()
        })
        .collect();
    found.sort_by_key(|d| std::cmp::Reverse(d.saved_at));
    found
}

/// The draft in `file`, if it is one.
fn read(file: &Path) -> Option<Draft> {
    if file.extension().and_then(|e| e.to_str()) != Some("json") {
        return None;
    }
    let saved: Saved = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
    let saved_at = std::fs::metadata(file)
        .and_then(|m| m.modified())
        .map(DateTime::<Utc>::from)
        .unwrap_or_else(|_| Utc::now());
    Some(Draft {
        text: saved.text,
        saved_at,
        path: file.to_path_buf(),
        owner: saved.owner,
    })
}

/// `owner`'s draft is no longer needed (the workbench ended cleanly with nothing unsaved).
pub fn remove(dir: &Path, owner: &Owner) {
    let _ = std::fs::remove_file(path(dir, owner));
}

/// The latest brief, where the panic hook can reach it: a panic unwinds past the loop that owns
/// the state, so the hook writes this copy instead.
static LAST_BRIEF: Mutex<Option<(PathBuf, Owner, String)>> = Mutex::new(None);

/// Keeps a copy of the brief for [`flush_on_panic`] (called when the brief changes).
pub fn remember(dir: &Path, owner: &Owner, text: &str) {
    if let Ok(mut slot) = LAST_BRIEF.lock() {
        *slot = Some((dir.to_path_buf(), owner.clone(), text.to_string()));
    }
}

/// Writes the remembered brief; the panic hook calls it. Never panics itself.
pub fn flush_on_panic() {
    let Ok(slot) = LAST_BRIEF.try_lock() else {
        return;
    };
    if let Some((dir, owner, text)) = slot.as_ref() {
        if !text.trim().is_empty() {
            let _ = save(dir, owner, text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(instance: &str, pid: u32, file: Option<&str>) -> Owner {
        Owner {
            role: "database_architect".into(),
            brief_file: file.map(PathBuf::from),
            instance: instance.into(),
            pid,
        }
    }

    /// A process id no process has (beyond the kernel's limit).
    const GONE: u32 = 4_194_305;

    #[test]
    fn a_draft_is_saved_private_and_found_once_its_workbench_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let gone = owner("w1", GONE, None);
        let file = save(dir.path(), &gone, "Multi-tenant ledger\nwith audit").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "draft readable by others: {mode:o}");
        }
        let found = left_behind(dir.path(), "database_architect", None);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].text, "Multi-tenant ledger\nwith audit");
        assert_eq!(found[0].path, file);
        remove(dir.path(), &gone);
        assert!(left_behind(dir.path(), "database_architect", None).is_empty());
    }

    #[test]
    fn two_live_workbenches_never_share_a_draft_and_a_live_ones_is_not_offered() {
        let dir = tempfile::tempdir().unwrap();
        // The test's parent process is alive: its workbench's draft is not offered.
        let live = owner("w1", std::os::unix::process::parent_id(), None);
        let other = owner("w2", GONE, None);
        save(dir.path(), &live, "brief A").unwrap();
        save(dir.path(), &other, "brief B").unwrap();
        assert_ne!(path(dir.path(), &live), path(dir.path(), &other));
        let found = left_behind(dir.path(), "database_architect", None);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].text, "brief B");
    }

    #[test]
    fn a_draft_belongs_to_its_brief_file() {
        let dir = tempfile::tempdir().unwrap();
        save(
            dir.path(),
            &owner("w1", GONE, Some("/briefs/a.md")),
            "A, edited",
        )
        .unwrap();
        assert!(left_behind(
            dir.path(),
            "database_architect",
            Some(Path::new("/briefs/b.md"))
        )
        .is_empty());
        assert!(left_behind(dir.path(), "database_architect", None).is_empty());
        assert_eq!(
            left_behind(
                dir.path(),
                "database_architect",
                Some(Path::new("/briefs/a.md"))
            )[0]
            .text,
            "A, edited"
        );
    }

    #[test]
    fn an_empty_draft_is_no_draft_and_odd_names_stay_in_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), &owner("w1", GONE, None), "  \n").unwrap();
        assert!(left_behind(dir.path(), "database_architect", None).is_empty());
        let mut odd = owner("../x", GONE, None);
        odd.role = "../y".into();
        assert_eq!(path(dir.path(), &odd), dir.path().join("___y.___x.json"));
    }

    #[test]
    fn flush_on_panic_writes_the_remembered_brief() {
        let dir = tempfile::tempdir().unwrap();
        let gone = owner("w1", GONE, None);
        remember(dir.path(), &gone, "typed before the crash");
        flush_on_panic();
        assert_eq!(
            left_behind(dir.path(), "database_architect", None)[0].text,
            "typed before the crash"
        );
    }
}
