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
    write_atomic(dir, &name, &json)
        .map_err(|e| format!("cannot write the envelope into {}: {e}", dir.display()))
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
