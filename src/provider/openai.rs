//! OpenAI-compatible chat completions with streaming: OpenAI, Ollama, llama.cpp's server, vLLM,
//! LM Studio and anything else that speaks `POST {base}/chat/completions` with `stream: true`.

use super::http::{self, Timeouts};
use super::{
    AgentEvent, ChatRequest, EventSink, FinishReason, Provider, ProviderError, ProviderInfo,
    RunHandle, Usage,
};
use serde_json::{json, Value};

pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

#[derive(Clone, Debug)]
pub struct OpenAiProvider {
    ep: http::Endpoint,
}

/// The provider speaking this API to `ep`.
impl From<http::Endpoint> for OpenAiProvider {
    fn from(ep: http::Endpoint) -> Self {
        Self { ep }
    }
}

impl OpenAiProvider {
    pub fn new(
        base_url: &str,
        model: &str,
        api_key: Option<String>,
        key_source: String,
        timeouts: Timeouts,
        retry: http::RetryPolicy,
    ) -> Result<Self, ProviderError> {
        Ok(Self {
            ep: http::Endpoint::new(base_url, model, api_key, key_source, timeouts, retry)?,
        })
    }

    fn body(&self, request: &ChatRequest) -> Value {
        let messages: Vec<Value> = request
            .messages
            .iter()
            .map(|m| json!({"role": m.role.as_str(), "content": m.content}))
            .collect();
        let mut body = json!({
            "model": self.ep.model,
            "messages": messages,
            "stream": true,
            "stream_options": {"include_usage": true},
        });
        if let Some(t) = request.params.temperature {
            body["temperature"] = json!(t);
        }
        if let Some(n) = request.params.max_tokens {
            body["max_tokens"] = json!(n);
        }
        if let Some(s) = request.params.seed {
            body["seed"] = json!(s);
        }
        if !request.params.stop.is_empty() {
            body["stop"] = json!(request.params.stop);
        }
        body
    }

    /// The models the server lists (`GET {base}/models`), where it offers the list.
    pub async fn list_models(&self) -> Result<Vec<String>, ProviderError> {
        let url = format!("{}/models", self.ep.base_url);
        let mut call = self.ep.client.get(&url);
        if let Some(key) = &self.ep.api_key {
            call = call.bearer_auth(key);
        }
        http::list_model_ids(call, &url)
            .await
            .map_err(|e| e.withholding(self.ep.api_key.as_slice()))
    }

    async fn run(&self, request: ChatRequest, events: &EventSink) -> Result<(), ProviderError> {
        let url = format!("{}/chat/completions", self.ep.base_url);
        let body = self.body(&request);
        let post = || {
            let call = self.ep.client.post(&url).json(&body);
            match &self.ep.api_key {
                Some(key) => call.bearer_auth(key),
                None => call,
            }
        };
        let response = self
            .ep
            .open(events, &url, post, || self.list_models())
            .await?;
        events.send(AgentEvent::Started {
            model: self.ep.model.clone(),
        });
        let mut read = Read::default();
        let done = self.ep.read_events(response, &mut read, events).await?;
        match read.finish {
            // Some servers close after the last chunk without `[DONE]`.
            Some(reason) => {
                events.send(AgentEvent::Finished(reason));
                Ok(())
            }
            None if done => {
                events.send(AgentEvent::Finished(FinishReason::Stop));
                Ok(())
            }
            None => Err(ProviderError::Stream(
                "the server closed the connection before the answer finished".into(),
            )),
        }
    }
}

/// What the stream has said so far.
#[derive(Default)]
struct Read {
    /// Bytes of the answer and of its reasoning so far.
    size: u64,
    finish: Option<FinishReason>,
}

impl http::EventReader for Read {
    fn read(&mut self, data: &str, events: &EventSink) -> Result<bool, ProviderError> {
        if data.trim() == "[DONE]" {
            return Ok(true);
        }
        read_chunk(data, events, self)?;
        Ok(false)
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn cut_off(&mut self) {
        self.finish = Some(FinishReason::Length);
    }
}

/// One chat completion chunk, borrowed from the event's text where it can be (most deltas hold
/// no escapes), so a token costs one small parse and one copy.
#[derive(serde::Deserialize)]
struct Chunk<'a> {
    #[serde(default, borrow)]
    choices: Vec<Choice<'a>>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(serde::Deserialize)]
struct Choice<'a> {
    #[serde(default, borrow)]
    delta: Option<Delta<'a>>,
    #[serde(default, borrow)]
    finish_reason: Option<std::borrow::Cow<'a, str>>,
}

#[derive(serde::Deserialize)]
struct Delta<'a> {
    #[serde(default, borrow)]
    content: Option<std::borrow::Cow<'a, str>>,
    /// DeepSeek, vLLM and llama.cpp's server send the model's reasoning here.
    #[serde(default, borrow)]
    reasoning_content: Option<std::borrow::Cow<'a, str>>,
    /// OpenRouter and Ollama name it `reasoning`.
    #[serde(default, borrow)]
    reasoning: Option<std::borrow::Cow<'a, str>>,
}

#[derive(serde::Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
}

/// Reads one `data:` payload of a chat completion chunk.
fn read_chunk(data: &str, events: &EventSink, read: &mut Read) -> Result<(), ProviderError> {
    let chunk: Chunk = serde_json::from_str(data).map_err(|e| {
        tracing::warn!(line = %events.withheld(data), "malformed event from the server");
        ProviderError::Malformed(format!(
            "{e} in `{}`",
            data.chars().take(120).collect::<String>()
        ))
    })?;
    if let Some(error) = chunk.error {
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("unknown error");
        return Err(ProviderError::Stream(format!(
            "the server reported an error: {message}"
        )));
    }
    if let Some(choice) = chunk.choices.into_iter().next() {
        if let Some(delta) = choice.delta {
            if let Some(thought) = delta.reasoning_content.or(delta.reasoning) {
                if !thought.is_empty() {
                    read.size += thought.len() as u64;
                    events.send(AgentEvent::Reasoning(thought.into_owned()));
                }
            }
            if let Some(text) = delta.content {
                if !text.is_empty() {
                    read.size += text.len() as u64;
                    events.send(AgentEvent::Delta(text.into_owned()));
                }
            }
        }
        if let Some(reason) = choice.finish_reason {
            read.finish = Some(FinishReason::from_wire(&reason));
        }
    }
    if let Some(usage) = chunk.usage {
        events.send(AgentEvent::Usage(Usage {
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
        }));
    }
    Ok(())
}

impl Provider for OpenAiProvider {
    fn info(&self) -> ProviderInfo {
        ProviderInfo {
            kind: "openai".into(),
            model: self.ep.model.clone(),
            endpoint: self.ep.base_url.clone(),
        }
    }

    fn models(&self) -> super::ModelList<'_> {
        Box::pin(self.list_models())
    }

    fn start(&self, request: ChatRequest, events: EventSink) -> RunHandle {
        let this = self.clone();
        let events = events.withholding(self.ep.api_key.as_deref());
        http::spawn_run(events, move |events| async move {
            this.run(request, &events).await
        })
    }
}
