//! Providers run a model behind one trait. A run streams [`AgentEvent`]s into a channel and stops
//! when its [`RunHandle`] is cancelled; nothing else about a provider leaks into the state.

pub mod anthropic;
pub mod choose;
pub mod http;
#[cfg(feature = "local")]
pub mod local;
pub mod openai;
pub mod presets;
pub mod sse;
pub mod stop;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

/// Who said a message of the conversation.
/// Which kind of provider answers: named on the command line and in the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// Any OpenAI-compatible chat completions server.
    Openai,
    /// Anthropic's Messages API.
    Anthropic,
    /// The embedded llama.cpp engine with a GGUF model.
    Local,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    System,
    User,
    Assistant,
}

impl Speaker {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Speaker,
    pub content: String,
}

impl Message {
    pub fn new(role: Speaker, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}

/// Sampling parameters; `None` leaves the provider's default. Recorded in every envelope.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Params {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u32>,
    /// Sequences that end the answer where they appear.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
}

impl Params {
    /// These parameters, with any left unset taken from `defaults`.
    pub fn or(self, defaults: &Params) -> Params {
        Params {
            temperature: self.temperature.or(defaults.temperature),
            max_tokens: self.max_tokens.or(defaults.max_tokens),
            seed: self.seed.or(defaults.seed),
            stop: if self.stop.is_empty() {
                defaults.stop.clone()
            } else {
                self.stop
            },
        }
    }
}

/// One request: the whole conversation so far.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub messages: Vec<Message>,
    pub params: Params,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model ended its answer.
    Stop,
    /// The token limit cut the answer off.
    Length,
    /// Anything else the server reported.
    Other(String),
}

impl FinishReason {
    pub fn from_wire(s: &str) -> Self {
        match s {
            "stop" | "end_turn" | "eos" => Self::Stop,
            "length" | "max_tokens" => Self::Length,
            other => Self::Other(other.to_string()),
        }
    }

    /// The name kept in the session store: `stop`, `length`, or what the server said.
    pub fn as_wire(&self) -> &str {
        match self {
            Self::Stop => "stop",
            Self::Length => "length",
            Self::Other(other) => other,
        }
    }
}

/// What a provider reports while a run goes on.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentEvent {
    /// The provider has accepted the request; the model is named as the server reports it.
    Started { model: String },
    /// The model is reading the prompt: `read` of `total` tokens, `kept` of them already held
    /// from an earlier run (local engine only; servers do not tell).
    Reading { read: u32, total: u32, kept: u32 },
    /// A piece of the answer, in order.
    Delta(String),
    /// Token counts, when the provider reports them.
    Usage(Usage),
    /// The model's reasoning (kept apart from the answer: never rendered as it, never parsed for
    /// the decision).
    Reasoning(String),
    /// The server refused this try (rate limit, overload); the next starts after `wait`.
    Retrying {
        try_number: u32,
        of: u32,
        wait: std::time::Duration,
        why: String,
    },
    /// The answer is complete.
    Finished(FinishReason),
    /// The run failed; any text already streamed stays.
    Failed(ProviderError),
}

/// A failure the user can act on; the message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("cannot reach {url}: {detail}")]
    Connect { url: String, detail: String },
    #[error("the server refused the key (HTTP {status}); check the key in {key_source}")]
    Unauthorized { status: u16, key_source: String },
    #[error("HTTP {status} from {url}: {body}")]
    Http {
        status: u16,
        url: String,
        body: String,
    },
    #[error("{url} answered HTTP {status}, pointing to {location}; archbench follows no redirect, so that the key goes to the configured server only (if you trust where it points, make that the base URL)")]
    Redirected {
        status: u16,
        url: String,
        location: String,
    },
    #[error("the stream broke off: {0}")]
    Stream(String),
    #[error("{what} for {} s ({setting} in the configuration sets this)", format_secs(*millis))]
    Timeout {
        what: String,
        millis: u64,
        setting: String,
    },
    #[error("the server has no model `{model}`{}", offered(available))]
    ModelNotFound {
        model: String,
        available: Vec<String>,
    },
    #[error("gave up after {tries} tries; the last: {last}")]
    GaveUp { tries: u32, last: String },
    #[error("the server sent an event archbench cannot read: {0}")]
    Malformed(String),
    #[error("local model: {0}")]
    Local(String),
    #[error("{0}")]
    Key(String),
}

fn format_secs(millis: u64) -> String {
    if millis.is_multiple_of(1000) {
        (millis / 1000).to_string()
    } else {
        format!("{:.1}", millis as f64 / 1000.0)
    }
}

fn offered(available: &[String]) -> String {
    if available.is_empty() {
        "; pick another with --model".into()
    } else {
        format!(
            "; it offers: {} (pick one with --model)",
            available.join(", ")
        )
    }
}

/// Description of the provider, shown in the status bar and recorded in the envelope (never a key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderInfo {
    /// `openai` or `local`.
    pub kind: String,
    pub model: String,
    /// Base URL for HTTP providers, model file for the local one.
    pub endpoint: String,
}

/// Stops a run: the provider stops producing and sends no more events.
#[derive(Debug, Clone, Default)]
pub struct RunHandle {
    cancel: CancellationToken,
}

impl RunHandle {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn cancel(&self) {
        self.cancel.cancel();
    }
    pub fn token(&self) -> CancellationToken {
        self.cancel.clone()
    }
}

/// Where a run's events go: the loop's channel, each event tagged with the run it belongs to,
/// so the loop can drop events of a run it has cancelled.
#[derive(Clone)]
pub struct EventSink {
    run_id: u64,
    tx: UnboundedSender<(u64, AgentEvent)>,
    /// Values that must leave the provider layer in no message: the run's key.
    secrets: std::sync::Arc<[String]>,
}

impl std::fmt::Debug for EventSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSink")
            .field("run_id", &self.run_id)
            .finish()
    }
}

impl EventSink {
    pub fn new(run_id: u64, tx: UnboundedSender<(u64, AgentEvent)>) -> Self {
        Self {
            run_id,
            tx,
            secrets: std::sync::Arc::new([]),
        }
    }

    /// The same sink, withholding `secret` from every message it carries.
    pub fn withholding(mut self, secret: Option<&str>) -> Self {
        if let Some(secret) = secret.filter(|s| !s.trim().is_empty()) {
            let mut all = self.secrets.to_vec();
            all.push(secret.to_string());
            self.secrets = all.into();
        }
        self
    }

    /// `text` with the run's key replaced, for a log line that quotes the server.
    pub fn withheld(&self, text: &str) -> String {
        withhold(text, &self.secrets)
    }

    /// Sends one event; false once the loop is gone. What the server said (an error, a reason
    /// to try again) leaves here with the key replaced: the one place every provider's messages
    /// pass before the screen, the logs, the audit log and the session store.
    pub fn send(&self, event: AgentEvent) -> bool {
        let event = match event {
            AgentEvent::Failed(error) if !self.secrets.is_empty() => {
                AgentEvent::Failed(error.withholding(&self.secrets))
            }
            AgentEvent::Retrying {
                try_number,
                of,
                wait,
                why,
            } => AgentEvent::Retrying {
                try_number,
                of,
                wait,
                why: withhold(&why, &self.secrets),
            },
            other => other,
        };
        self.tx.send((self.run_id, event)).is_ok()
    }
}

/// `text` with each of `secrets` replaced.
pub fn withhold(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(text.to_string(), |t, s| {
            t.replace(s.as_str(), "[key withheld]")
        })
}

impl ProviderError {
    /// The error with each of `secrets` replaced wherever the server's words are quoted.
    pub fn withholding(self, secrets: &[String]) -> Self {
        let w = |s: String| withhold(&s, secrets);
        match self {
            Self::Connect { url, detail } => Self::Connect {
                url: w(url),
                detail: w(detail),
            },
            Self::Http { status, url, body } => Self::Http {
                status,
                url: w(url),
                body: w(body),
            },
            Self::Redirected {
                status,
                url,
                location,
            } => Self::Redirected {
                status,
                url: w(url),
                location: w(location),
            },
            Self::Stream(s) => Self::Stream(w(s)),
            Self::Timeout {
                what,
                millis,
                setting,
            } => Self::Timeout {
                what: w(what),
                millis,
                setting,
            },
            Self::ModelNotFound { model, available } => Self::ModelNotFound {
                model: w(model),
                available: available.into_iter().map(w).collect(),
            },
            Self::GaveUp { tries, last } => Self::GaveUp {
                tries,
                last: w(last),
            },
            Self::Malformed(s) => Self::Malformed(w(s)),
            Self::Local(s) => Self::Local(w(s)),
            Self::Key(s) => Self::Key(w(s)),
            unauthorized @ Self::Unauthorized { .. } => unauthorized,
        }
    }
}

/// A model behind an API or in this process.
pub trait Provider: Send + Sync {
    fn info(&self) -> ProviderInfo;
    /// Parameters this provider uses when the request leaves them unset, so that the envelope
    /// records what was really used. Remote servers' defaults are unknown: none by default.
    fn default_params(&self) -> Params {
        Params::default()
    }
    /// Starts a run and returns at once; events arrive on `events` until `Finished` or `Failed`,
    /// or until the handle is cancelled (then nothing more is sent).
    fn start(&self, request: ChatRequest, events: EventSink) -> RunHandle;
    /// The models this provider can run, where it can tell (a server's list; the local model
    /// folder). None known by default.
    fn models(&self) -> ModelList<'_> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// The provider of `archbench watch`: the watched reviewer's archbench runs the model; this one
/// runs nothing (the watcher's keys that would start a run are refused before it is asked).
pub struct Nothing;

impl Provider for Nothing {
    fn info(&self) -> ProviderInfo {
        ProviderInfo {
            kind: "watch".into(),
            model: String::new(),
            endpoint: String::new(),
        }
    }

    fn start(&self, _request: ChatRequest, events: EventSink) -> RunHandle {
        events.send(AgentEvent::Failed(ProviderError::Local(
            "watching: nothing runs here".into(),
        )));
        RunHandle::new()
    }
}

/// What [`Provider::models`] returns: the model names, when they arrive.
pub type ModelList<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Vec<String>, ProviderError>> + Send + 'a>,
>;
