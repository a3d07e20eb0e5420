//! The outbox: one JSON file per envelope, written to a temporary name, synced and renamed, so a
//! reader never sees half an envelope and a crash never leaves one.

use crate::routing::Envelope;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `envelope` into `dir` as `<id>.json`; returns the path.
pub fn write_envelope(dir: &Path, envelope: &Envelope) -> Result<PathBuf, String> {
    let json = serde_json::to_vec_pretty(envelope)
        .map_err(|e| format!("cannot encode the envelope: {e}"))?;
    let name = format!("{}.json", envelope.id);
    write_atomic(dir, &name, &json).map_err(|e| {
        format!(
            "cannot write the envelope into {}: {}",
            dir.display(),
            what_to_do(dir, &e)
        )
    })
}

/// A write error as a person can act on it: a folder that is a file, a full disk, a permission.
pub fn what_to_do(dir: &Path, e: &std::io::Error) -> String {
    if dir.exists() && !dir.is_dir() {
        return "it is a file, not a folder: remove it, or pass --outbox DIR (or set outbox in the configuration)".into();
    }
    match e.raw_os_error() {
        Some(libc::ENOSPC) | Some(libc::EDQUOT) => {
            "the disk is full: free some space and try again (nothing was lost)".into()
        }
        Some(libc::EACCES) | Some(libc::EPERM) | Some(libc::EROFS) => {
            format!("{e}: give yourself write permission there, or pass --outbox DIR")
        }
        _ => e.to_string(),
    }
}

/// Writes `bytes` to `dir/name` atomically, readable by the owner only (envelopes hold private text).
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    fs::create_dir_all(dir)?;
    let target = dir.join(name);
    let temp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, &target)?;
        // The rename itself is durable only once the folder is synced.
        if let Ok(folder) = fs::File::open(dir) {
            let _ = folder.sync_all();
        }
        Ok(target.clone())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outbox_that_is_a_file_says_so_and_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("outbox");
        fs::write(&file, "").unwrap();
        let e = write_atomic(&file, "a.json", b"{}").unwrap_err();
        let said = what_to_do(&file, &e);
        assert!(
            said.contains("is a file, not a folder") && said.contains("--outbox"),
            "{said}"
        );
    }

    #[test]
    fn a_full_disk_is_named() {
        let e = std::io::Error::from_raw_os_error(libc::ENOSPC);
        assert!(what_to_do(Path::new("/tmp"), &e).contains("the disk is full"));
    }

    #[test]
    fn atomic_write_leaves_only_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_atomic(dir.path(), "a.json", b"{}").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{}");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from("a.json")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn unwritable_folder_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        fs::write(&file, "x").unwrap();
        assert!(write_atomic(&file, "a.json", b"{}").is_err());
    }
}
