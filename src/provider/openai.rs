//! OpenAI-compatible chat completions with streaming: OpenAI, Ollama, llama.cpp's server, vLLM,
//! LM Studio and anything else that speaks `POST {base}/chat/completions` with `stream: true`.

use super::sse::SseParser;
use super::{
    AgentEvent, ChatRequest, EventSink, FinishReason, Provider, ProviderError, ProviderInfo,
    RunHandle, Usage,
};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;

pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

pub struct OpenAiProvider {
    client: reqwest::Client,
    base_url: String,
    model: String,
    api_key: Option<String>,
    /// Where the key came from (`env OPENAI_API_KEY`), for messages; never the key itself.
    key_source: String,
}

impl std::fmt::Debug for OpenAiProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is left out on purpose: Debug output can end up in logs.
        f.debug_struct("OpenAiProvider")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .finish()
    }
}

impl OpenAiProvider {
    pub fn new(
        base_url: &str,
        model: &str,
        api_key: Option<String>,
        key_source: String,
    ) -> Result<Self, ProviderError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ProviderError::Connect {
                url: base_url.to_string(),
                detail: e.to_string(),
            })?;
        Ok(Self {
            client,
            base_url: base_url.trim_end_matches('/').to_string(),
            model: model.to_string(),
            api_key: api_key.filter(|k| !k.is_empty()),
            key_source,
        })
    }

    fn body(&self, request: &ChatRequest) -> Value {
        let messages: Vec<Value> = request
            .messages
            .iter()
            .map(|m| json!({"role": m.role.as_str(), "content": m.content}))
            .collect();
        let mut body = json!({
            "model": self.model,
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
        body
    }

    async fn run(&self, request: ChatRequest, events: &EventSink) -> Result<(), ProviderError> {
        let url = format!("{}/chat/completions", self.base_url);
        let mut call = self.client.post(&url).json(&self.body(&request));
        if let Some(key) = &self.api_key {
            call = call.bearer_auth(key);
        }
        let response = call.send().await.map_err(|e| ProviderError::Connect {
            url: url.clone(),
            detail: error_chain(&e),
        })?;
        let status = response.status();
        if status == 401 || status == 403 {
            return Err(ProviderError::Unauthorized {
                status: status.as_u16(),
                key_source: self.key_source.clone(),
            });
        }
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(ProviderError::Http {
                status: status.as_u16(),
                url,
                body: body.chars().take(500).collect(),
            });
        }
        events.send(AgentEvent::Started {
            model: self.model.clone(),
        });
        let mut parser = SseParser::new();
        let mut stream = response.bytes_stream();
        let mut finish: Option<FinishReason> = None;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| ProviderError::Stream(error_chain(&e)))?;
            for event in parser.push(&chunk) {
                if event.data.trim() == "[DONE]" {
                    events.send(AgentEvent::Finished(finish.unwrap_or(FinishReason::Stop)));
                    return Ok(());
                }
                read_chunk(&event.data, events, &mut finish)?;
            }
        }
        match finish {
            // Some servers close after the last chunk without `[DONE]`.
            Some(reason) => {
                events.send(AgentEvent::Finished(reason));
                Ok(())
            }
            None => Err(ProviderError::Stream(
                "the server closed the connection before the answer finished".into(),
            )),
        }
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
}

#[derive(serde::Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
}

/// Reads one `data:` payload of a chat completion chunk.
fn read_chunk(
    data: &str,
    events: &EventSink,
    finish: &mut Option<FinishReason>,
) -> Result<(), ProviderError> {
    let chunk: Chunk = serde_json::from_str(data).map_err(|e| {
        tracing::warn!(line = %data, "malformed event from the server");
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
        if let Some(text) = choice.delta.and_then(|d| d.content) {
            if !text.is_empty() {
                events.send(AgentEvent::Delta(text.into_owned()));
            }
        }
        if let Some(reason) = choice.finish_reason {
            *finish = Some(FinishReason::from_wire(&reason));
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

/// reqwest's top-level message hides the cause ("error sending request"); the chain names it.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl Provider for OpenAiProvider {
    fn info(&self) -> ProviderInfo {
        ProviderInfo {
            kind: "openai".into(),
            model: self.model.clone(),
            endpoint: self.base_url.clone(),
        }
    }

    fn start(&self, request: ChatRequest, events: EventSink) -> RunHandle {
        let handle = RunHandle::new();
        let token = handle.token();
        let this = Self {
            client: self.client.clone(),
            base_url: self.base_url.clone(),
            model: self.model.clone(),
            api_key: self.api_key.clone(),
            key_source: self.key_source.clone(),
        };
        tokio::spawn(async move {
            tokio::select! {
                _ = token.cancelled() => {}
                result = this.run(request, &events) => {
                    if let Err(error) = result {
                        events.send(AgentEvent::Failed(error));
                    }
                }
            }
        });
        handle
    }
}
