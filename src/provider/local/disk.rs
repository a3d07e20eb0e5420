//! The model's state after a role's prompt, kept on disk so the next process (the next start of
//! the workbench, the next headless run of a pipeline) skips reading that prompt again.
//!
//! A file is named by the hash of everything its state depends on: the model file's contents,
//! the engine's version, the context's shape and the exact prompt tokens. Its header repeats
//! that key and carries a checksum of the state, so a file of another model, another engine or
//! a torn write is ignored (and removed), never loaded. The folder is kept under a size limit,
//! least recently used first out.

use llama_cpp_2::context::session::LlamaStateSeqFlags;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::token::LlamaToken;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The engine whose state the files hold. Kept equal to Cargo.lock's llama-cpp-2 by a test, so an
/// upgrade of llama.cpp cannot load a state written by the one before.
pub const ENGINE: &str = "llama-cpp-2 0.1.160";
const MAGIC: &[u8; 16] = b"archbench-kv-1\n\0";
/// What the folder may hold before the least recently used files go.
pub const DEFAULT_LIMIT: u64 = 1 << 30;
const EXTENSION: &str = "kv";
/// Magic, key, the state's sha256, its length.
const HEADER: usize = 16 + 32 + 32 + 8;

/// The prompt-state files of one model under one engine and context shape.
#[derive(Debug, Clone)]
pub struct PromptCache {
    dir: PathBuf,
    limit: u64,
    /// Hash of the model's contents, the engine and the context's shape.
    base: [u8; 32],
}

impl PromptCache {
    /// The cache for `model` in `dir`; `shape` names every context parameter the state depends on.
    /// `None` when the model cannot be read (the run goes on without the cache).
    pub fn open(dir: &Path, limit: u64, model: &Path, shape: &str) -> Option<Self> {
        let model_hash = match model_hash(dir, model) {
            Ok(hash) => hash,
            Err(e) => {
                tracing::warn!("prompt cache off: cannot hash {}: {e}", model.display());
                return None;
            }
        };
        let mut base = Sha256::new();
        for part in [
            MAGIC.as_slice(),
            model_hash.as_bytes(),
            ENGINE.as_bytes(),
            std::env::consts::ARCH.as_bytes(),
            shape.as_bytes(),
        ] {
            base.update((part.len() as u64).to_le_bytes());
            base.update(part);
        }
        Some(Self {
            dir: dir.to_path_buf(),
            limit,
            base: base.finalize().into(),
        })
    }

    fn key(&self, tokens: &[LlamaToken]) -> [u8; 32] {
        let mut key = Sha256::new();
        key.update(self.base);
        key.update((tokens.len() as u64).to_le_bytes());
        for token in tokens {
            key.update(token.0.to_le_bytes());
        }
        key.finalize().into()
    }

    fn path(&self, key: &[u8; 32]) -> PathBuf {
        self.dir.join(format!("{}.{EXTENSION}", hex::encode(key)))
    }

    /// Whether a state for exactly `tokens` is on disk (not whether it is sound: `load` checks).
    pub fn has(&self, tokens: &[LlamaToken]) -> bool {
        self.path(&self.key(tokens)).is_file()
    }

    /// Puts the saved state for exactly `tokens` into sequence 0 of `ctx`, which must be empty.
    /// False, with `ctx` left empty, when there is none or it is not sound.
    pub fn load(&self, ctx: &mut LlamaContext<'_>, tokens: &[LlamaToken]) -> bool {
        let key = self.key(tokens);
        let path = self.path(&key);
        let Some(state) = read_state(&path, &key) else {
            return false;
        };
        // SAFETY: the bytes are what `state_seq_get_data_ext` wrote for this model, engine and
        // context shape (the key says so and the checksum says they are whole); llama.cpp reads
        // within the slice's length and checks the shapes it finds.
        let loaded = unsafe { ctx.state_seq_set_data_ext(&state, 0, LlamaStateSeqFlags::empty()) };
        let whole = loaded && ctx.kv_cache_seq_pos_max(0) == tokens.len() as i32 - 1;
        if !whole {
            tracing::warn!("prompt cache: {} did not load; removed", path.display());
            ctx.clear_kv_cache();
            let _ = std::fs::remove_file(&path);
            return false;
        }
        // Used now: the last to go when the folder is pruned.
        if let Ok(file) = std::fs::File::options().append(true).open(&path) {
            let _ = file.set_modified(SystemTime::now());
        }
        true
    }

    /// Writes sequence 0 of `ctx`, which holds exactly `tokens`, then prunes the folder.
    pub fn save(&self, ctx: &LlamaContext<'_>, tokens: &[LlamaToken]) {
        let key = self.key(tokens);
        let size = ctx.state_seq_get_size_ext(0, LlamaStateSeqFlags::empty());
        let mut state = vec![0u8; size];
        // SAFETY: the buffer holds the size llama.cpp just reported for this sequence.
        let written = unsafe {
            ctx.state_seq_get_data_ext(state.as_mut_ptr(), 0, LlamaStateSeqFlags::empty())
        };
        if written != size {
            tracing::warn!("prompt cache: the state came out {written} bytes, not {size}");
            return;
        }
        if let Err(e) = self.write(&key, &state) {
            tracing::warn!("prompt cache: cannot write to {}: {e}", self.dir.display());
            return;
        }
        self.prune();
    }

    fn write(&self, key: &[u8; 32], state: &[u8]) -> std::io::Result<()> {
        let mut file = Vec::with_capacity(HEADER + state.len());
        file.extend_from_slice(MAGIC);
        file.extend_from_slice(key);
        file.extend_from_slice(&Sha256::digest(state));
        file.extend_from_slice(&(state.len() as u64).to_le_bytes());
        file.extend_from_slice(state);
        // Written aside and renamed, owner-only: the state encodes the role's prompt.
        let name = format!("{}.{EXTENSION}", hex::encode(key));
        crate::store::outbox::write_atomic(&self.dir, &name, &file).map(|_| ())
    }

    /// Removes the least recently used files until the folder is within its limit.
    fn prune(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut files: Vec<(SystemTime, u64, PathBuf)> = entries
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == EXTENSION))
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                Some((meta.modified().ok()?, meta.len(), e.path()))
            })
            .collect();
        let mut total: u64 = files.iter().map(|(_, len, _)| len).sum();
        files.sort();
        for (_, len, path) in files {
            if total <= self.limit {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
    }
}

/// The state in `path` when its header names `key` and its checksum holds; `None` (and the file
/// removed, when it is ours but damaged) otherwise.
fn read_state(path: &Path, key: &[u8; 32]) -> Option<Vec<u8>> {
    let mut file = std::fs::File::open(path).ok()?;
    let mut header = [0u8; HEADER];
    let sound =
        file.read_exact(&mut header).is_ok() && &header[..16] == MAGIC && &header[16..48] == key;
    let state = sound.then(|| {
        let len = u64::from_le_bytes(header[80..88].try_into().unwrap_or_default());
        let mut state = Vec::new();
        let read = file.take(len).read_to_end(&mut state).ok()?;
        (read as u64 == len && Sha256::digest(&state).as_slice() == &header[48..80])
            .then_some(state)
    });
    match state.flatten() {
        Some(state) => Some(state),
        None => {
            tracing::warn!(
                "prompt cache: {} is damaged or foreign; removed",
                path.display()
            );
            let _ = std::fs::remove_file(path);
            None
        }
    }
}

/// The sha256 of the model file, remembered beside the cache by path, size and modification
/// time, so a multi-gigabyte model is read once, not at every start.
fn model_hash(dir: &Path, model: &Path) -> std::io::Result<String> {
    let model = std::fs::canonicalize(model)?;
    let meta = std::fs::metadata(&model)?;
    let modified = meta
        .modified()?
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let identity = format!("{}\n{}\n{modified}", model.display(), meta.len());
    let memo = dir.join(format!(
        "model-{}.sha256",
        &hex::encode(Sha256::digest(identity.as_bytes()))[..24]
    ));
    if let Ok(known) = std::fs::read_to_string(&memo) {
        if known.len() == 64 && known.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(known);
        }
    }
    let mut hasher = Sha256::new();
    std::io::copy(&mut std::fs::File::open(&model)?, &mut hasher)?;
    let hash = hex::encode(hasher.finalize());
    if std::fs::create_dir_all(dir).is_ok() {
        let _ = std::fs::write(&memo, &hash);
    }
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_named_in_the_key_is_the_one_built() {
        let lock = include_str!("../../../Cargo.lock");
        let locked = lock
            .split("[[package]]")
            .find(|p| p.contains("name = \"llama-cpp-2\""))
            .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = ")))
            .map(|v| v.trim_matches('"'));
        assert_eq!(
            Some(ENGINE.trim_start_matches("llama-cpp-2 ")),
            locked,
            "llama-cpp-2 changed: bump ENGINE so old prompt states are not loaded"
        );
    }

    fn cache(dir: &Path, model: &Path) -> PromptCache {
        PromptCache::open(dir, 1000, model, "n_ctx=8192").unwrap()
    }

    #[test]
    fn keys_differ_by_model_contents_shape_and_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.gguf");
        let b = dir.path().join("b.gguf");
        std::fs::write(&a, "model a").unwrap();
        std::fs::write(&b, "model b").unwrap();
        let tokens = [LlamaToken(1), LlamaToken(2)];
        let ka = cache(dir.path(), &a).key(&tokens);
        assert_eq!(ka, cache(dir.path(), &a).key(&tokens), "stable");
        assert_ne!(ka, cache(dir.path(), &b).key(&tokens));
        let other_shape = PromptCache::open(dir.path(), 1000, &a, "n_ctx=4096").unwrap();
        assert_ne!(ka, other_shape.key(&tokens));
        assert_ne!(ka, cache(dir.path(), &a).key(&tokens[..1]));
    }

    #[test]
    fn a_state_reads_back_only_whole_and_under_its_own_key() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("m.gguf");
        std::fs::write(&model, "model").unwrap();
        let cache = cache(dir.path(), &model);
        let key = cache.key(&[LlamaToken(7)]);
        cache.write(&key, b"the state").unwrap();
        let path = cache.path(&key);
        assert_eq!(read_state(&path, &key).as_deref(), Some(&b"the state"[..]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the owner's only");
        }

        let other = cache.key(&[LlamaToken(8)]);
        assert_eq!(read_state(&path, &other), None, "another key's file");
        assert!(!path.exists(), "a foreign file is removed");

        cache.write(&key, b"the state").unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read_state(&path, &key), None, "a flipped bit");

        cache.write(&key, b"the state").unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        assert_eq!(read_state(&path, &key), None, "a torn write");
    }

    #[test]
    fn the_folder_keeps_within_its_limit_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("m.gguf");
        std::fs::write(&model, "model").unwrap();
        let cache = cache(dir.path(), &model);
        let keys: Vec<_> = (0..3).map(|i| cache.key(&[LlamaToken(i)])).collect();
        for (i, key) in keys.iter().enumerate() {
            cache.write(key, &[0u8; 400]).unwrap();
            let file = std::fs::File::options()
                .append(true)
                .open(cache.path(key))
                .unwrap();
            let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000 + i as u64);
            file.set_modified(at).unwrap();
        }
        cache.prune();
        let kept: Vec<bool> = keys.iter().map(|k| cache.path(k).exists()).collect();
        assert_eq!(
            kept,
            [false, true, true],
            "each file is 488 bytes; 1000 hold two"
        );
    }

    #[test]
    fn the_model_is_hashed_once_per_version_of_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("m.gguf");
        std::fs::write(&model, "model").unwrap();
        let first = model_hash(dir.path(), &model).unwrap();
        assert_eq!(first, hex::encode(Sha256::digest(b"model")));
        let memo: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("model-"))
            .collect();
        assert_eq!(memo.len(), 1);
        std::fs::write(&model, "another model, longer").unwrap();
        assert_ne!(model_hash(dir.path(), &model).unwrap(), first);
    }
}
