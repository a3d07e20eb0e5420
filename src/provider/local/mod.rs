//! The embedded llama.cpp engine: a GGUF model run in this process, so a machine with no key and
//! no network still runs the whole loop. One worker thread owns the model (loaded on first use,
//! kept for later runs) and streams tokens into the run's channel; the UI never waits on it.

mod disk;
mod engine;

pub use disk::{PromptCache, DEFAULT_LIMIT as DEFAULT_CACHE_LIMIT};
pub use engine::{Engine, Reading, Warm, CHUNK, DEFAULT_MAX_TOKENS};

use super::{
    AgentEvent, ChatRequest, EventSink, Params, Provider, ProviderError, ProviderInfo, RunHandle,
};
use engine::{DEFAULT_SEED, DEFAULT_TEMPERATURE};
use llama_cpp_2::llama_backend::LlamaBackend;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::OnceLock;
use tokio_util::sync::CancellationToken;

/// llama.cpp's backend may be initialised once per process.
fn backend() -> Result<&'static LlamaBackend, ProviderError> {
    static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            // llama.cpp logs to stderr by default, which would tear the full-screen UI.
            llama_cpp_2::send_logs_to_tracing(
                llama_cpp_2::LogOptions::default().with_logs_enabled(false),
            );
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| ProviderError::Local(format!("cannot start llama.cpp: {e}")))
}

/// Threads for llama.cpp: the cores this process may use. More threads than cores makes it
/// a hundred times slower, so the count is read, not guessed.
pub fn default_threads() -> i32 {
    std::thread::available_parallelism()
        .map(|n| n.get() as i32)
        .unwrap_or(1)
        .max(1)
}

/// Passes on the longest complete UTF-8 prefix; a character split across tokens waits for the rest.
fn emit_complete_utf8(pending: &mut Vec<u8>, on_piece: &mut impl FnMut(&str)) {
    let valid = match std::str::from_utf8(pending) {
        Ok(s) => s.len(),
        // An invalid sequence (not merely incomplete) is passed on as U+FFFD rather than stalling.
        Err(e) if e.error_len().is_some() => {
            let text = String::from_utf8_lossy(pending).into_owned();
            pending.clear();
            on_piece(&text);
            return;
        }
        Err(e) => e.valid_up_to(),
    };
    if valid > 0 {
        if let Ok(text) = std::str::from_utf8(&pending[..valid]) {
            on_piece(text);
        }
        pending.drain(..valid);
    }
}

struct Job {
    request: ChatRequest,
    events: EventSink,
    cancel: CancellationToken,
}

/// Where the state after a role's prompt is kept between processes, and how much of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheFolder {
    pub dir: PathBuf,
    pub limit: u64,
}

impl CacheFolder {
    /// `prompts/` in archbench's cache folder, within the default limit.
    pub fn standard() -> Self {
        Self {
            dir: crate::paths::cache_dir().join("prompts"),
            limit: DEFAULT_CACHE_LIMIT,
        }
    }
}

/// The local model as a [`Provider`].
pub struct LocalProvider {
    path: PathBuf,
    jobs: mpsc::Sender<Job>,
}

impl LocalProvider {
    /// Starts the worker with the standard prompt cache; the model loads on the first run, so
    /// the screen comes up at once.
    pub fn new(path: PathBuf, threads: i32) -> Self {
        Self::with_cache(path, threads, Some(CacheFolder::standard()))
    }

    /// Starts the worker; `cache` keeps role prompts read between processes (`None`: not kept).
    pub fn with_cache(path: PathBuf, threads: i32, cache: Option<CacheFolder>) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let worker_path = path.clone();
        let spawned = std::thread::Builder::new()
            .name("llama".into())
            .spawn(move || serve(&worker_path, threads, cache, queue));
        if let Err(e) = spawned {
            tracing::error!("cannot start the llama worker thread: {e}");
        }
        Self { path, jobs }
    }
}

/// The worker: loads the model on the first job (a failed load is told to that job and tried
/// again on the next), then runs every job on one context kept warm between them. The context
/// lives as long as this thread, that is as long as the provider: another model is another
/// provider, and starts cold.
fn serve(path: &Path, threads: i32, cache: Option<CacheFolder>, queue: mpsc::Receiver<Job>) {
    let (engine, first) = loop {
        let Ok(job) = queue.recv() else { return };
        match Engine::load(path, threads) {
            Ok(engine) => break (engine, job),
            Err(error) => {
                job.events.send(AgentEvent::Failed(error));
            }
        }
    };
    let cache = cache.and_then(|c| PromptCache::open(&c.dir, c.limit, path, &engine.shape()));
    let mut warm = engine.warm(cache);
    run_job(&mut warm, &first, path);
    for job in queue {
        run_job(&mut warm, &job, path);
    }
}

fn run_job(warm: &mut Warm<'_>, job: &Job, path: &Path) {
    let model = model_name(path);
    job.events.send(AgentEvent::Started { model });
    let result = warm.generate(
        &job.request,
        &job.cancel,
        |reading| {
            job.events.send(AgentEvent::Reading {
                read: reading.read,
                total: reading.total,
                kept: reading.kept,
            });
        },
        |piece| {
            job.events.send(AgentEvent::Delta(piece.to_string()));
        },
    );
    if job.cancel.is_cancelled() {
        return;
    }
    match result {
        Ok((finish, usage)) => {
            job.events.send(AgentEvent::Usage(usage));
            job.events.send(AgentEvent::Finished(finish));
        }
        Err(error) => {
            job.events.send(AgentEvent::Failed(error));
        }
    }
}

/// The file name without `.gguf`: what the status bar and the envelope call the model.
pub fn model_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "local".into())
}

impl Provider for LocalProvider {
    fn info(&self) -> ProviderInfo {
        ProviderInfo {
            kind: "local".into(),
            model: model_name(&self.path),
            endpoint: self.path.display().to_string(),
        }
    }

    fn default_params(&self) -> Params {
        Params {
            temperature: Some(DEFAULT_TEMPERATURE),
            max_tokens: Some(DEFAULT_MAX_TOKENS),
            seed: Some(DEFAULT_SEED),
            stop: Vec::new(),
        }
    }

    fn models(&self) -> super::ModelList<'_> {
        let dir = self
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Box::pin(async move {
            Ok(crate::models::list_local(&dir)
                .into_iter()
                .map(|m| m.path.display().to_string())
                .collect())
        })
    }

    fn start(&self, request: ChatRequest, events: EventSink) -> RunHandle {
        let handle = RunHandle::new();
        let job = Job {
            request,
            events: events.clone(),
            cancel: handle.token(),
        };
        if self.jobs.send(job).is_err() {
            events.send(AgentEvent::Failed(ProviderError::Local(
                "the llama worker thread has stopped".into(),
            )));
        }
        handle
    }
}

#[cfg(test)]
mod tests {
    use super::emit_complete_utf8;

    #[test]
    fn characters_split_across_tokens_wait_for_their_rest() {
        let mut out = String::new();
        let mut pending = Vec::new();
        for byte in "é€😀".as_bytes() {
            pending.push(*byte);
            emit_complete_utf8(&mut pending, &mut |s| out.push_str(s));
        }
        assert_eq!(out, "é€😀");
        assert!(pending.is_empty());
    }
}
