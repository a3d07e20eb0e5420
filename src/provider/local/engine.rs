//! One loaded model, and the context it keeps warm between runs.
//!
//! Reading a prompt is most of a local run's wait (1,752 tokens of the database architect's
//! prompt and a brief take seconds on a CPU), and most of each prompt was read before: the role's
//! system prompt for a new brief, the whole conversation for a revision or a re-ask. So the
//! context is kept with the tokens it holds, and a run decodes only what follows the longest
//! prefix the new prompt shares with them. The state after the role's prompt is also kept on
//! disk ([`PromptCache`]) for the next process.

use super::disk::PromptCache;
use super::{backend, emit_complete_utf8};
use crate::provider::{ChatRequest, FinishReason, ProviderError, Speaker, Usage};
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use std::num::NonZeroU32;
use std::path::Path;
use tokio_util::sync::CancellationToken;

/// Largest context archbench asks for; the model's own training context may be smaller.
const MAX_CONTEXT: u32 = 8192;
/// Most tokens llama.cpp takes in one decode.
const BATCH: usize = 512;
/// Tokens of the prompt read between two looks at the cancel token and two progress reports.
/// Measured (docs/BENCHMARKS.md, F6): chunks of 128 read as fast as whole batches of 512, chunks
/// of 64 up to a fifth slower; 128 tokens take about half a second with the default model here,
/// so Esc is obeyed within that.
pub const CHUNK: usize = 128;
/// Answers of a local model stop here unless the request sets `max_tokens`.
pub const DEFAULT_MAX_TOKENS: u32 = 1536;
pub const DEFAULT_TEMPERATURE: f32 = 0.7;
pub const DEFAULT_SEED: u32 = 0x5eed;

/// How far reading the prompt has come: `read` of `total` tokens, of which `kept` were already
/// in the context (or on disk) and cost nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub read: u32,
    pub total: u32,
    pub kept: u32,
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

    /// The context's size: the model's training context, within archbench's bounds.
    fn n_ctx(&self) -> u32 {
        self.model.n_ctx_train().clamp(512, MAX_CONTEXT)
    }

    /// Every parameter a kept state depends on, for the disk cache's key.
    pub fn shape(&self) -> String {
        format!(
            "n_ctx={} n_batch={BATCH} type_k=f16 type_v=f16",
            self.n_ctx()
        )
    }

    /// The conversation as the model's own chat template lays it out; ChatML when the file
    /// carries no template. `answer_next` adds the opening of the assistant's turn.
    fn layout(&self, request: &ChatRequest, answer_next: bool) -> Result<String, ProviderError> {
        let chatml = || {
            let mut text: String = request
                .messages
                .iter()
                .map(|m| format!("<|im_start|>{}\n{}<|im_end|>\n", m.role.as_str(), m.content))
                .collect();
            if answer_next {
                text.push_str("<|im_start|>assistant\n");
            }
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
            .apply_chat_template(template, &messages, answer_next)
            .unwrap_or_else(|_| chatml()))
    }

    /// The prompt the model reads for `request`.
    pub fn prompt(&self, request: &ChatRequest) -> Result<String, ProviderError> {
        self.layout(request, true)
    }

    fn tokens(&self, text: &str) -> Vec<LlamaToken> {
        self.model.vocab().tokenize(text.as_bytes(), true, true)
    }

    /// How many of `tokens` are the role's system prompt alone: the part every run of the role
    /// begins with, which the disk cache keeps. `None` when there is no system message, or when
    /// the template lays it out differently alone (then there is no such shared part).
    fn role_part(&self, request: &ChatRequest, tokens: &[LlamaToken]) -> Option<usize> {
        let system: Vec<_> = request
            .messages
            .iter()
            .take_while(|m| m.role == Speaker::System)
            .cloned()
            .collect();
        if system.is_empty() {
            return None;
        }
        let alone = ChatRequest {
            messages: system,
            ..request.clone()
        };
        let part = self.tokens(&self.layout(&alone, false).ok()?);
        (part.len() < tokens.len() && tokens.starts_with(&part)).then_some(part.len())
    }

    /// A context for this engine's runs, empty, with `cache` for role prompts across processes.
    pub fn warm(&self, cache: Option<PromptCache>) -> Warm<'_> {
        Warm {
            engine: self,
            ctx: None,
            held: Vec::new(),
            cache,
            chunk: CHUNK,
        }
    }
}

/// A context kept between runs, with the tokens whose keys and values it holds, in order.
pub struct Warm<'m> {
    engine: &'m Engine,
    ctx: Option<LlamaContext<'m>>,
    held: Vec<LlamaToken>,
    cache: Option<PromptCache>,
    chunk: usize,
}

impl<'m> Warm<'m> {
    /// Reads prompts `chunk` tokens at a time instead of [`CHUNK`] (the benchmark compares).
    pub fn chunked(mut self, chunk: usize) -> Self {
        self.chunk = chunk.clamp(1, BATCH);
        self
    }

    /// The tokens the context holds (for tests and the benchmark).
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Forgets what the context holds: after a failed decode nothing in it can be trusted.
    fn drop_context(&mut self) {
        self.ctx = None;
        self.held.clear();
    }

    fn context(&mut self) -> Result<&mut LlamaContext<'m>, ProviderError> {
        if self.ctx.is_none() {
            let threads = self.engine.threads;
            let params = LlamaContextParams::default()
                .with_n_ctx(NonZeroU32::new(self.engine.n_ctx()))
                .with_n_batch(BATCH as u32)
                .with_n_threads(threads)
                .with_n_threads_batch(threads);
            let ctx = self
                .engine
                .model
                .new_context(backend()?, params)
                .map_err(|e| ProviderError::Local(format!("cannot create a context: {e}")))?;
            self.ctx = Some(ctx);
            self.held.clear();
        }
        self.ctx
            .as_mut()
            .ok_or_else(|| ProviderError::Local("no context".into()))
    }

    /// Generates an answer to `request`, telling `on_reading` how reading the prompt goes and
    /// `on_piece` each complete piece of UTF-8 text. Stops at the end of the answer, at the token
    /// limit, or when `cancel` fires (checked between chunks of the prompt and between tokens).
    pub fn generate(
        &mut self,
        request: &ChatRequest,
        cancel: &CancellationToken,
        mut on_reading: impl FnMut(Reading),
        on_piece: impl FnMut(&str),
    ) -> Result<(FinishReason, Usage), ProviderError> {
        let engine = self.engine;
        let tokens = engine.tokens(&engine.prompt(request)?);
        let room = engine.n_ctx() as usize;
        if tokens.len() >= room {
            return Err(ProviderError::Local(format!(
                "the prompt is {} tokens but the model's context holds {room}: shorten the brief by about {} tokens",
                tokens.len(),
                tokens.len() + 1 - room
            )));
        }
        let role_part = engine.role_part(request, &tokens);
        let kept = self.keep_prefix(&tokens, role_part)?;
        let total = tokens.len() as u32;
        on_reading(Reading {
            read: kept as u32,
            total,
            kept: kept as u32,
        });
        let mut batch = LlamaBatch::new(BATCH, 1);
        let mut at = kept;
        while at < tokens.len() {
            if cancel.is_cancelled() {
                return Ok((FinishReason::Other("cancelled".into()), Usage::default()));
            }
            // The role's part ends a chunk, so its state can be saved as it stands.
            let end = match role_part {
                Some(part) if at < part => (at + self.chunk).min(part),
                _ => (at + self.chunk).min(tokens.len()),
            };
            batch.clear();
            for (pos, token) in tokens.iter().enumerate().take(end).skip(at) {
                batch
                    .add(*token, pos as i32, &[0], pos == tokens.len() - 1)
                    .map_err(|e| ProviderError::Local(format!("batch: {e}")))?;
            }
            self.decode(&mut batch, &tokens[at..end], "decoding the prompt failed")?;
            at = end;
            if Some(end) == role_part {
                if let (Some(cache), Some(ctx)) = (&self.cache, &self.ctx) {
                    if !cache.has(&tokens[..end]) {
                        cache.save(ctx, &tokens[..end]);
                    }
                }
            }
            on_reading(Reading {
                read: at as u32,
                total,
                kept: kept as u32,
            });
        }
        let budget = request
            .params
            .max_tokens
            .unwrap_or(DEFAULT_MAX_TOKENS)
            .min((room - tokens.len()) as u32);
        let finish = self.answer(request, batch, budget, cancel, on_piece)?;
        Ok((
            finish.0,
            Usage {
                prompt_tokens: total,
                completion_tokens: finish.1,
            },
        ))
    }

    /// Makes the context hold the longest prefix of `tokens` it can without decoding: what it
    /// holds already, or else the role's part from disk. Returns how many tokens that is, always
    /// fewer than all of them (the last is decoded for its logits).
    fn keep_prefix(
        &mut self,
        tokens: &[LlamaToken],
        role_part: Option<usize>,
    ) -> Result<usize, ProviderError> {
        let shared = common_prefix(&self.held, tokens).min(tokens.len() - 1);
        self.context()?;
        let Warm {
            ctx, held, cache, ..
        } = self;
        let ctx = ctx
            .as_mut()
            .ok_or_else(|| ProviderError::Local("no context".into()))?;
        let mut kept = shared;
        if shared < held.len() {
            // Positions past the shared prefix are removed; a model whose memory cannot be cut
            // (recurrent ones) starts again from nothing.
            if !ctx
                .clear_kv_cache_seq(Some(0), Some(shared as u32), None)
                .unwrap_or(false)
            {
                ctx.clear_kv_cache();
                kept = 0;
            }
            held.truncate(kept);
        }
        if let (Some(cache), Some(part)) = (cache.as_ref(), role_part) {
            if kept < part && cache.has(&tokens[..part]) {
                ctx.clear_kv_cache();
                held.clear();
                kept = 0;
                if cache.load(ctx, &tokens[..part]) {
                    held.extend_from_slice(&tokens[..part]);
                    kept = part;
                }
            }
        }
        Ok(kept)
    }

    fn decode(
        &mut self,
        batch: &mut LlamaBatch,
        tokens: &[LlamaToken],
        what: &str,
    ) -> Result<(), ProviderError> {
        let ctx = self.context()?;
        match ctx.decode(batch) {
            Ok(()) => {
                self.held.extend_from_slice(tokens);
                Ok(())
            }
            Err(e) => {
                self.drop_context();
                Err(ProviderError::Local(format!("{what}: {e}")))
            }
        }
    }

    /// Samples the answer after the prompt's last chunk (in `batch`); returns why it ended and
    /// how many tokens it made.
    fn answer(
        &mut self,
        request: &ChatRequest,
        mut batch: LlamaBatch,
        budget: u32,
        cancel: &CancellationToken,
        mut on_piece: impl FnMut(&str),
    ) -> Result<(FinishReason, u32), ProviderError> {
        let engine = self.engine;
        let vocab = engine.model.vocab();
        let mut sampler = sampler(request);
        let mut pending: Vec<u8> = Vec::new();
        let mut produced = 0u32;
        let mut stops = crate::provider::stop::StopFilter::new(&request.params.stop);
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
            let ctx = self.context()?;
            let token = sampler.sample(ctx, batch.n_tokens() - 1);
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
                .add(token, self.held.len() as i32, &[0], true)
                .map_err(|e| ProviderError::Local(format!("batch: {e}")))?;
            self.decode(&mut batch, &[token], "decoding failed")?;
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
        Ok((finish, produced))
    }
}

fn sampler(request: &ChatRequest) -> LlamaSampler {
    let temperature = request.params.temperature.unwrap_or(DEFAULT_TEMPERATURE);
    let seed = request.params.seed.unwrap_or(DEFAULT_SEED);
    if temperature <= 0.0 {
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
    }
}

/// How many leading tokens `held` and `wanted` share.
fn common_prefix(held: &[LlamaToken], wanted: &[LlamaToken]) -> usize {
    held.iter().zip(wanted).take_while(|(a, b)| a == b).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_prefix_stops_at_the_first_difference() {
        let t = |v: &[i32]| v.iter().map(|&i| LlamaToken(i)).collect::<Vec<_>>();
        assert_eq!(common_prefix(&t(&[1, 2, 3]), &t(&[1, 2, 4, 5])), 2);
        assert_eq!(common_prefix(&t(&[]), &t(&[1])), 0);
        assert_eq!(common_prefix(&t(&[1, 2, 3, 4]), &t(&[1, 2])), 2);
    }
}
