//! Anthropic's Messages API with streaming: the role prompt as the system prompt, the
//! conversation as alternating user and assistant messages, and the event stream read as the
//! documentation gives it — `message_start`, `content_block_start/delta/stop`, `message_delta`
//! (stop reason, usage), `message_stop`, `ping`, and `error` mid-stream.

use super::http::{self, Timeouts};
use super::{
    AgentEvent, ChatRequest, EventSink, FinishReason, Provider, ProviderError, ProviderInfo,
    RunHandle, Speaker, Usage,
};
use serde_json::{json, Value};

pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
pub const DEFAULT_MODEL: &str = "claude-sonnet-4-5";
pub const DEFAULT_KEY_ENV: &str = "ANTHROPIC_API_KEY";
const API_VERSION: &str = "2023-06-01";
/// The API requires a limit on the answer; architecture answers are long.
pub const DEFAULT_MAX_TOKENS: u32 = 16_000;

#[derive(Clone, Debug)]
pub struct AnthropicProvider {
    ep: http::Endpoint,
}

/// The provider speaking this API to `ep`.
impl From<http::Endpoint> for AnthropicProvider {
    fn from(ep: http::Endpoint) -> Self {
        Self { ep }
    }
}

impl AnthropicProvider {
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

    /// The request body: system messages joined into `system`, the rest in order.
    pub fn body(&self, request: &ChatRequest) -> Value {
        let system: Vec<&str> = request
            .messages
            .iter()
            .filter(|m| m.role == Speaker::System)
            .map(|m| m.content.as_str())
            .collect();
        let messages: Vec<Value> = request
            .messages
            .iter()
            .filter(|m| m.role != Speaker::System)
            .map(|m| json!({"role": m.role.as_str(), "content": m.content}))
            .collect();
        let mut body = json!({
            "model": self.ep.model,
            "max_tokens": request.params.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
            "messages": messages,
            "stream": true,
        });
        if !system.is_empty() {
            body["system"] = json!(system.join("\n\n"));
        }
        if let Some(t) = request.params.temperature {
            body["temperature"] = json!(t);
        }
        if !request.params.stop.is_empty() {
            body["stop_sequences"] = json!(request.params.stop);
        }
        body
    }

    fn post(&self, url: &str, body: &Value) -> reqwest::RequestBuilder {
        let mut call = self
            .ep
            .client
            .post(url)
            .header("anthropic-version", API_VERSION)
            .json(body);
        if let Some(key) = &self.ep.api_key {
            call = call.header("x-api-key", key);
        }
        call
    }

    /// The models the server lists (`GET /v1/models`), for a message when ours is unknown.
    pub async fn list_models(&self) -> Result<Vec<String>, ProviderError> {
        let url = format!("{}/v1/models", self.ep.base_url);
        let mut call = self
            .ep
            .client
            .get(&url)
            .header("anthropic-version", API_VERSION);
        if let Some(key) = &self.ep.api_key {
            call = call.header("x-api-key", key);
        }
        http::list_model_ids(call, &url)
            .await
            .map_err(|e| e.withholding(self.ep.api_key.as_slice()))
    }

    async fn run(&self, request: ChatRequest, events: &EventSink) -> Result<(), ProviderError> {
        let url = format!("{}/v1/messages", self.ep.base_url);
        let body = self.body(&request);
        let response = self
            .ep
            .open(
                events,
                &url,
                || self.post(&url, &body),
                || self.list_models(),
            )
            .await?;
        let mut reader = Reader::default();
        if self.ep.read_events(response, &mut reader, events).await? {
            if reader.cut {
                // Cut off at a limit: no message_stop came to finish it.
                events.send(AgentEvent::Finished(FinishReason::Length));
            }
            return Ok(());
        }
        Err(ProviderError::Stream(
            "the server closed the connection before the answer finished".into(),
        ))
    }
}

/// What the stream has said so far.
#[derive(Default)]
struct Reader {
    /// Bytes of the answer and of its reasoning so far.
    size: u64,
    /// Cut off at a limit before the message stopped.
    cut: bool,
    input_tokens: u32,
    output_tokens: u32,
    stop: Option<FinishReason>,
}

impl http::EventReader for Reader {
    fn size(&self) -> u64 {
        self.size
    }

    fn cut_off(&mut self) {
        self.cut = true;
    }

    /// Reads one event's data; true once the message is complete.
    fn read(&mut self, data: &str, events: &EventSink) -> Result<bool, ProviderError> {
        let value: Value = serde_json::from_str(data).map_err(|e| {
            tracing::warn!(line = %events.withheld(data), "malformed event from the server");
            ProviderError::Malformed(format!(
                "{e} in `{}`",
                data.chars().take(120).collect::<String>()
            ))
        })?;
        let kind = value.get("type").and_then(Value::as_str).unwrap_or("");
        match kind {
            "message_start" => {
                let message = &value["message"];
                if let Some(model) = message.get("model").and_then(Value::as_str) {
                    events.send(AgentEvent::Started {
                        model: model.to_string(),
                    });
                }
                self.input_tokens = tokens(&message["usage"], "input_tokens");
                self.output_tokens = tokens(&message["usage"], "output_tokens");
            }
            "content_block_delta" => {
                let delta = &value["delta"];
                match delta.get("type").and_then(Value::as_str) {
                    Some("text_delta") => {
                        if let Some(text) = delta.get("text").and_then(Value::as_str) {
                            // An empty delta is no content: it restarts no timeout.
                            if !text.is_empty() {
                                self.size += text.len() as u64;
                                events.send(AgentEvent::Delta(text.to_string()));
                            }
                        }
                    }
                    Some("thinking_delta") => {
                        if let Some(text) = delta.get("thinking").and_then(Value::as_str) {
                            if !text.is_empty() {
                                self.size += text.len() as u64;
                                events.send(AgentEvent::Reasoning(text.to_string()));
                            }
                        }
                    }
                    // Signatures of thinking blocks and tool input carry nothing to show.
                    _ => {}
                }
            }
            "message_delta" => {
                if let Some(reason) = value["delta"].get("stop_reason").and_then(Value::as_str) {
                    self.stop = Some(FinishReason::from_wire(reason));
                }
                let out = tokens(&value["usage"], "output_tokens");
                if out > 0 {
                    self.output_tokens = out;
                }
            }
            "message_stop" => {
                events.send(AgentEvent::Usage(Usage {
                    prompt_tokens: self.input_tokens,
                    completion_tokens: self.output_tokens,
                }));
                events.send(AgentEvent::Finished(
                    self.stop.clone().unwrap_or(FinishReason::Stop),
                ));
                return Ok(true);
            }
            "error" => {
                let error = &value["error"];
                let what = error.get("type").and_then(Value::as_str).unwrap_or("error");
                let message = error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("no message");
                return Err(ProviderError::Stream(format!(
                    "the server reported {what}: {message}"
                )));
            }
            // ping, content_block_start, content_block_stop, and event types added later.
            _ => {}
        }
        Ok(false)
    }
}

fn tokens(usage: &Value, name: &str) -> u32 {
    usage
        .get(name)
        .and_then(Value::as_u64)
        .map_or(0, |n| n.min(u32::MAX as u64) as u32)
}

impl Provider for AnthropicProvider {
    fn info(&self) -> ProviderInfo {
        ProviderInfo {
            kind: "anthropic".into(),
            model: self.ep.model.clone(),
            endpoint: self.ep.base_url.clone(),
        }
    }

    fn default_params(&self) -> super::Params {
        super::Params {
            max_tokens: Some(DEFAULT_MAX_TOKENS),
            ..Default::default()
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
