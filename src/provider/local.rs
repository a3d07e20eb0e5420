//! The embedded llama.cpp engine: a GGUF model run in this process, so a machine with no key and
//! no network still runs the whole loop. One worker thread owns the model (loaded on first use,
//! kept for later runs) and streams tokens into the run's channel; the UI never waits on it.

use super::{
    AgentEvent, ChatRequest, EventSink, FinishReason, Params, Provider, ProviderError,
    ProviderInfo, RunHandle, Usage,
};
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::OnceLock;
use tokio_util::sync::CancellationToken;

/// Largest context archbench asks for; the model's own training context may be smaller.
const MAX_CONTEXT: u32 = 8192;
const BATCH: usize = 512;
/// Answers of a local model stop here unless the request sets `max_tokens`.
pub const DEFAULT_MAX_TOKENS: u32 = 1536;
const DEFAULT_TEMPERATURE: f32 = 0.7;
const DEFAULT_SEED: u32 = 0x5eed;

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

/// A loaded model, ready to generate.
pub struct Engine {
    model: LlamaModel,
    template: Option<LlamaChatTemplate>,
    threads: i32,
}

impl Engine {
    pub fn load(path: &Path, threads: i32) -> Result<Self, ProviderError> {
        if !path.is_file() {
            return Err(ProviderError::Local(format!(
                "no model file at {}; run `scripts/fetch-model.sh` to fetch the default model, or pass --model-path FILE",
                path.display()
            )));
        }
        let backend = backend()?;
        let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default())
            .map_err(|e| {
                ProviderError::Local(format!(
                    "cannot load {}: {e} (is it a GGUF file?)",
                    path.display()
                ))
            })?;
        let template = model.chat_template(None).ok();
        Ok(Self {
            model,
            template,
            threads,
        })
    }

    /// The conversation as the model's own chat template lays it out; ChatML when the file
    /// carries no template.
    pub fn prompt(&self, request: &ChatRequest) -> Result<String, ProviderError> {
        let chatml = || {
            let mut text: String = request
                .messages
                .iter()
                .map(|m| format!("<|im_start|>{}\n{}<|im_end|>\n", m.role.as_str(), m.content))
                .collect();
            text.push_str("<|im_start|>assistant\n");
            text
        };
        let Some(template) = &self.template else {
            return Ok(chatml());
        };
        let messages: Result<Vec<LlamaChatMessage>, _> = request
            .messages
            .iter()
            .map(|m| LlamaChatMessage::new(m.role.as_str().to_string(), m.content.clone()))
            .collect();
        let messages =
            messages.map_err(|e| ProviderError::Local(format!("message holds a NUL byte: {e}")))?;
        Ok(self
            .model
            .apply_chat_template(template, &messages, true)
            .unwrap_or_else(|_| chatml()))
    }

    /// Generates an answer to `request`, calling `on_piece` with each complete piece of UTF-8 text.
    /// Stops at the end of the answer, at the token limit, or when `cancel` fires.
    pub fn generate(
        &self,
        request: &ChatRequest,
        cancel: &CancellationToken,
        mut on_piece: impl FnMut(&str),
    ) -> Result<(FinishReason, Usage), ProviderError> {
        let local =
            |what: &str, e: &dyn std::fmt::Display| ProviderError::Local(format!("{what}: {e}"));
        let prompt = self.prompt(request)?;
        let vocab = self.model.vocab();
        let tokens = vocab.tokenize(prompt.as_bytes(), true, true);
        let n_ctx = self.model.n_ctx_train().clamp(512, MAX_CONTEXT);
        let max_tokens = request.params.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
        let room = n_ctx as usize;
        if tokens.len() >= room {
            return Err(ProviderError::Local(format!(
                "the prompt is {} tokens but the model's context holds {room}: shorten the brief by about {} tokens",
                tokens.len(),
                tokens.len() + 1 - room
            )));
        }
        let budget = max_tokens.min((room - tokens.len()) as u32);
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(n_ctx))
            .with_n_batch(BATCH as u32)
            .with_n_threads(self.threads)
            .with_n_threads_batch(self.threads);
        let backend = backend()?;
        let mut ctx = self
            .model
            .new_context(backend, params)
            .map_err(|e| local("cannot create a context", &e))?;

        let mut batch = LlamaBatch::new(BATCH, 1);
        let last = tokens.len() - 1;
        for (chunk_index, chunk) in tokens.chunks(BATCH).enumerate() {
            if cancel.is_cancelled() {
                return Ok((FinishReason::Other("cancelled".into()), Usage::default()));
            }
            batch.clear();
            for (i, token) in chunk.iter().enumerate() {
                let pos = chunk_index * BATCH + i;
                batch
                    .add(*token, pos as i32, &[0], pos == last)
                    .map_err(|e| local("batch", &e))?;
            }
            ctx.decode(&mut batch)
                .map_err(|e| local("decoding the prompt failed", &e))?;
        }

        let temperature = request.params.temperature.unwrap_or(DEFAULT_TEMPERATURE);
        let seed = request.params.seed.unwrap_or(DEFAULT_SEED);
        let mut sampler = if temperature <= 0.0 {
            LlamaSampler::chain_simple([
                LlamaSampler::penalties(-1, 64, 1.1, 0.0, 0.0),
                LlamaSampler::greedy(),
            ])
        } else {
            LlamaSampler::chain_simple([
                // Small models loop without a repetition penalty.
                LlamaSampler::penalties(-1, 64, 1.1, 0.0, 0.0),
                LlamaSampler::top_k(40),
                LlamaSampler::top_p(0.95, 1),
                LlamaSampler::temp(temperature),
                LlamaSampler::dist(seed),
            ])
        };

        let mut pending: Vec<u8> = Vec::new();
        let mut pos = tokens.len() as i32;
        let mut produced = 0u32;
        let mut stops = super::stop::StopFilter::new(&request.params.stop);
        let mut stopped = false;
        let mut emit = |piece: &str, stopped: &mut bool| {
            let (text, hit) = stops.push(piece);
            if !text.is_empty() {
                on_piece(&text);
            }
            *stopped |= hit;
        };
        let finish = loop {
            if cancel.is_cancelled() {
                break FinishReason::Other("cancelled".into());
            }
            let token = sampler.sample(&ctx, batch.n_tokens() - 1);
            if vocab.is_eog(token) {
                break FinishReason::Stop;
            }
            pending.extend(vocab.token_to_piece(token, false, None));
            emit_complete_utf8(&mut pending, &mut |piece| emit(piece, &mut stopped));
            produced += 1;
            if stopped {
                break FinishReason::Stop;
            }
            if produced >= budget {
                break FinishReason::Length;
            }
            batch.clear();
            batch
                .add(token, pos, &[0], true)
                .map_err(|e| local("batch", &e))?;
            pos += 1;
            ctx.decode(&mut batch)
                .map_err(|e| local("decoding failed", &e))?;
        };
        if !stopped {
            if !pending.is_empty() {
                emit(&String::from_utf8_lossy(&pending), &mut stopped);
            }
            if !stopped {
                let rest = stops.finish();
                if !rest.is_empty() {
                    on_piece(&rest);
                }
            }
        }
        Ok((
            finish,
            Usage {
                prompt_tokens: tokens.len() as u32,
                completion_tokens: produced,
            },
        ))
    }
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

/// The local model as a [`Provider`].
pub struct LocalProvider {
    path: PathBuf,
    jobs: mpsc::Sender<Job>,
}

impl LocalProvider {
    /// Starts the worker; the model loads on the first run, so the screen comes up at once.
    pub fn new(path: PathBuf, threads: i32) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let worker_path = path.clone();
        let spawned = std::thread::Builder::new()
            .name("llama".into())
            .spawn(move || {
                let mut engine: Option<Engine> = None;
                for job in queue {
                    if engine.is_none() {
                        match Engine::load(&worker_path, threads) {
                            Ok(e) => engine = Some(e),
                            Err(error) => {
                                job.events.send(AgentEvent::Failed(error));
                                continue;
                            }
                        }
                    }
                    if let Some(engine) = &engine {
                        run_job(engine, &job, &worker_path);
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start the llama worker thread: {e}");
        }
        Self { path, jobs }
    }
}

fn run_job(engine: &Engine, job: &Job, path: &Path) {
    let model = model_name(path);
    job.events.send(AgentEvent::Started { model });
    let result = engine.generate(&job.request, &job.cancel, |piece| {
        job.events.send(AgentEvent::Delta(piece.to_string()));
    });
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
