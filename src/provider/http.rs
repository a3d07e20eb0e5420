//! What real networks do to a streaming request, handled once for every HTTP provider: separate
//! connect, first-token and idle timeouts; 429 and 5xx retried with exponential backoff and
//! jitter, honouring `Retry-After`, with the wait announced (the screen counts it down, Esc
//! cancels) and a limit on tries.

use super::{AgentEvent, EventSink, ProviderError};
use futures_util::StreamExt;
use std::future::Future;
use std::time::{Duration, SystemTime};

/// How long each stage of a request may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To open the connection (TCP and TLS).
    pub connect: Duration,
    /// From sending the request to the first piece of the answer (a server may be loading the
    /// model, or thinking before it writes).
    pub first_token: Duration,
    /// Between two pieces of the answer once it flows.
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            first_token: Duration::from_secs(180),
            idle: Duration::from_secs(60),
        }
    }
}

/// How a refused request (429, 5xx) is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub max_tries: u32,
    /// The wait after the first failure; doubled after each further one.
    pub base: Duration,
    /// The longest wait between two tries (a `Retry-After` longer than this is still honoured).
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_tries: 5,
            base: Duration::from_secs(1),
            max: Duration::from_secs(30),
        }
    }
}

/// What every HTTP provider holds: the client, the server, the model, the key (never shown)
/// and how it treats the network.
#[derive(Clone)]
pub struct Endpoint {
    pub client: reqwest::Client,
    pub base_url: String,
    pub model: String,
    pub api_key: Option<String>,
    /// Where the key came from, for messages; never the key itself.
    pub key_source: String,
    pub timeouts: Timeouts,
    pub retry: RetryPolicy,
    /// The most an answer and its reasoning may hold, in bytes.
    pub answer_limit: u64,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is left out on purpose: Debug output can end up in logs.
        f.debug_struct("Endpoint")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .finish()
    }
}

impl Endpoint {
    pub fn new(
        base_url: &str,
        model: &str,
        api_key: Option<String>,
        key_source: String,
        timeouts: Timeouts,
        retry: RetryPolicy,
    ) -> Result<Self, ProviderError> {
        // A key in the URL itself would be written wherever the URL is (the envelope, the
        // audit log, the session store): refused, with what to do instead.
        if let Ok(url) = reqwest::Url::parse(base_url) {
            if !url.username().is_empty() || url.password().is_some() {
                let mut shown = url.clone();
                let _ = shown.set_username("");
                let _ = shown.set_password(None);
                return Err(ProviderError::Key(format!(
                    "the base URL {shown} carries a user name or password; archbench writes the base URL into envelopes and logs, so a secret never goes there: give the key through api_key_env or api_key_cmd"
                )));
            }
        }
        let client = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            // Keys go to one origin only: a redirect is reported, never followed.
            .redirect(reqwest::redirect::Policy::none())
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
            timeouts,
            retry,
            answer_limit: MAX_ANSWER_BYTES,
        })
    }
}

/// The most an answer and its reasoning may hold together by default (`[limits] answer_mb`): far
/// beyond any real answer (100k tokens are about 400 KB); past it the run ends as cut off, like
/// a length stop.
pub const MAX_ANSWER_BYTES: u64 = 8 * 1024 * 1024;

/// The longest line or event a stream may send: a model's events are small.
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// The most of an error body that is read (and then only its start is shown).
pub const MAX_ERROR_BODY: usize = 64 * 1024;

impl Endpoint {
    /// Cuts an answer off past `bytes` (with its reasoning), like a length stop.
    pub fn with_answer_limit(mut self, bytes: u64) -> Self {
        self.answer_limit = bytes;
        self
    }
}

/// What reads one API's event stream: each event's data in turn.
pub trait EventReader {
    /// Bytes of answer and reasoning read so far: the first-token timeout holds until they grow
    /// from 0, the idle one from each growth to the next; the answer limit applies to them.
    fn size(&self) -> u64;
    /// The answer is cut off here (a limit was reached): it finishes as a length stop.
    fn cut_off(&mut self);
    /// Reads one event's data, sending what it says; true once the answer is complete.
    fn read(&mut self, data: &str, events: &super::EventSink) -> Result<bool, ProviderError>;
}

impl Endpoint {
    /// Sends a request (`post` makes a fresh one for each try) with the retries. A 404 that names
    /// the model becomes [`ProviderError::ModelNotFound`] with the models `list` offers; a 404
    /// without it is a wrong base URL, and says so as it is.
    pub async fn open<L, LF>(
        &self,
        events: &super::EventSink,
        url: &str,
        post: impl Fn() -> reqwest::RequestBuilder,
        list: L,
    ) -> Result<reqwest::Response, ProviderError>
    where
        L: FnOnce() -> LF,
        LF: Future<Output = Result<Vec<String>, ProviderError>>,
    {
        let response = with_retries(&self.retry, events, random_jitter, || {
            send(post(), url, &self.key_source, &self.timeouts)
        })
        .await;
        match response {
            Err(ProviderError::Http {
                status: 404, body, ..
            }) if body.to_lowercase().contains("model") => Err(ProviderError::ModelNotFound {
                model: self.model.clone(),
                available: list().await.unwrap_or_default(),
            }),
            other => other,
        }
    }

    /// Reads `response`'s event stream into `reader` with the first-token and idle timeouts;
    /// true once the reader says the answer is complete, false if the stream ends first. The
    /// timeouts count content, not bytes: comments, keepalives and partial lines do not reset
    /// them, and the message says what was seen.
    pub async fn read_events(
        &self,
        response: reqwest::Response,
        reader: &mut impl EventReader,
        events: &super::EventSink,
    ) -> Result<bool, ProviderError> {
        let mut parser = super::sse::SseParser::new();
        let mut stream = response.bytes_stream();
        let mut waiting = Wait::new(self.timeouts, reader.size());
        loop {
            let Ok(next) = tokio::time::timeout_at(waiting.deadline(), stream.next()).await else {
                return Err(waiting.expired());
            };
            let Some(chunk) = next else {
                return Ok(false);
            };
            let chunk = chunk.map_err(|e| ProviderError::Stream(crate::errors::chain(&e)))?;
            waiting.bytes();
            for event in parser.push(&chunk) {
                if reader.read(&event.data, events)? {
                    return Ok(true);
                }
                // Checked per event, not per chunk: a chunk may hold many events, and what is
                // kept passes the limit by one piece at most.
                if reader.size() > self.answer_limit {
                    tracing::warn!("the answer passed {} bytes: cut off", self.answer_limit);
                    reader.cut_off();
                    return Ok(true);
                }
            }
            if parser.pending() > MAX_EVENT_BYTES {
                return Err(ProviderError::Stream(format!(
                    "the server sent an event longer than {} MB, which no model's stream does; it was stopped there",
                    MAX_EVENT_BYTES / (1024 * 1024)
                )));
            }
            waiting.content(reader.size());
        }
    }
}

/// The first-token or idle wait of a stream, on content: it restarts only when a piece of the
/// answer arrives.
pub struct Wait {
    timeouts: Timeouts,
    /// Bytes of answer and reasoning so far.
    size: u64,
    /// When the wait began: the request, or the last piece.
    since: tokio::time::Instant,
    /// Bytes arrived since then, none of them a piece (keepalives, comments, a partial line).
    bytes_only: bool,
}

impl Wait {
    pub fn new(timeouts: Timeouts, size: u64) -> Self {
        Self {
            timeouts,
            size,
            since: tokio::time::Instant::now(),
            bytes_only: false,
        }
    }

    fn limit(&self) -> Duration {
        if self.size == 0 {
            self.timeouts.first_token
        } else {
            self.timeouts.idle
        }
    }

    pub fn deadline(&self) -> tokio::time::Instant {
        self.since + self.limit()
    }

    /// Some bytes came.
    pub fn bytes(&mut self) {
        self.bytes_only = true;
    }

    /// The reader has read `size` bytes of content in all: more than before restarts the wait.
    pub fn content(&mut self, size: u64) {
        if size != self.size {
            self.size = size;
            self.since = tokio::time::Instant::now();
            self.bytes_only = false;
        }
    }

    /// The error of a wait that ran out, saying what was seen meanwhile.
    pub fn expired(&self) -> ProviderError {
        let seen = if self.bytes_only {
            "only keepalives or partial lines"
        } else {
            "nothing"
        };
        let (what, setting) = if self.size == 0 {
            ("no answer began", "timeouts.first_token_secs")
        } else {
            ("the answer stopped arriving", "timeouts.idle_secs")
        };
        ProviderError::Timeout {
            what: format!("{what}: {seen}"),
            millis: self.limit().as_millis().min(u64::MAX as u128) as u64,
            setting: setting.into(),
        }
    }
}

/// Starts a provider's run on the runtime: a failure becomes the run's last event, and cancelling
/// the handle drops the run wherever it is (a wait between tries included).
pub fn spawn_run<F, Fut>(events: super::EventSink, run: F) -> super::RunHandle
where
    F: FnOnce(super::EventSink) -> Fut,
    Fut: Future<Output = Result<(), ProviderError>> + Send + 'static,
{
    let handle = super::RunHandle::new();
    let token = handle.token();
    let work = run(events.clone());
    tokio::spawn(async move {
        tokio::select! {
            _ = token.cancelled() => {}
            result = work => {
                if let Err(error) = result {
                    events.send(AgentEvent::Failed(error));
                }
            }
        }
    });
    handle
}

/// What one try of a request came to.
pub enum Try<T> {
    Done(T),
    /// Worth trying again: why (for the screen), and how long the server asked to wait.
    Again {
        why: String,
        retry_after: Option<Duration>,
    },
    Fail(ProviderError),
}

/// Whether an HTTP status is worth trying again: rate limits, overload, server errors.
pub fn retryable(status: u16) -> bool {
    status == 429 || status == 408 || status == 529 || (500..=599).contains(&status)
}

/// The wait before try `next` (2 for the first retry). The server's `Retry-After` wins; otherwise
/// exponential backoff with "equal jitter": half the step fixed, half random (`jitter` in 0..1),
/// so many clients refused together do not return together.
pub fn backoff(
    policy: &RetryPolicy,
    next: u32,
    retry_after: Option<Duration>,
    jitter: f64,
) -> Duration {
    if let Some(wait) = retry_after {
        return wait;
    }
    let doublings = next.saturating_sub(2).min(20);
    let step = policy
        .base
        .saturating_mul(1u32 << doublings)
        .min(policy.max);
    let half = step / 2;
    half + half.mul_f64(jitter.clamp(0.0, 1.0))
}

/// A `Retry-After` value: seconds, or an HTTP date (a wait from `now` until then).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let when = SystemTime::from(when.with_timezone(&chrono::Utc));
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A random number in 0..1 for the jitter (uuid's generator: no other source is needed).
pub fn random_jitter() -> f64 {
    (uuid::Uuid::new_v4().as_u128() % 10_000) as f64 / 10_000.0
}

/// Runs `attempt` until it is done, fails for good, or the tries run out; between tries it waits
/// as [`backoff`] says and tells the screen (`AgentEvent::Retrying`). Cancelling the run drops
/// this future, wait included.
pub async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    events: &EventSink,
    mut jitter: impl FnMut() -> f64,
    mut attempt: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Try<T>>,
{
    let mut tried = 1;
    loop {
        match attempt().await {
            Try::Done(value) => return Ok(value),
            Try::Fail(error) => return Err(error),
            Try::Again { why, retry_after } => {
                if tried >= policy.max_tries {
                    return Err(ProviderError::GaveUp {
                        tries: tried,
                        last: why,
                    });
                }
                tried += 1;
                let wait = backoff(policy, tried, retry_after, jitter());
                tracing::info!(why = %events.withheld(&why), ?wait, tried, "retrying");
                events.send(AgentEvent::Retrying {
                    try_number: tried,
                    of: policy.max_tries,
                    wait,
                    why,
                });
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// Sends one try of a request and sorts the answer: a stream to read, a refusal worth another try
/// (with the server's `Retry-After`), or a failure to report.
pub async fn send(
    call: reqwest::RequestBuilder,
    url: &str,
    key_source: &str,
    timeouts: &Timeouts,
) -> Try<reqwest::Response> {
    let response = match tokio::time::timeout(timeouts.first_token, call.send()).await {
        Err(_) => {
            return Try::Fail(ProviderError::Timeout {
                what: "the server did not answer the request: nothing".into(),
                millis: timeouts.first_token.as_millis().min(u64::MAX as u128) as u64,
                setting: "timeouts.first_token_secs".into(),
            })
        }
        Ok(Err(e)) => {
            return Try::Fail(ProviderError::Connect {
                url: url.to_string(),
                detail: crate::errors::chain(&e),
            })
        }
        Ok(Ok(response)) => response,
    };
    let status = response.status().as_u16();
    if status == 401 || status == 403 {
        return Try::Fail(ProviderError::Unauthorized {
            status,
            key_source: key_source.to_string(),
        });
    }
    if response.status().is_success() {
        return Try::Done(response);
    }
    if response.status().is_redirection() {
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .map(|l| {
                String::from_utf8_lossy(l.as_bytes())
                    .chars()
                    .take(200)
                    .collect()
            })
            .unwrap_or_else(|| "nowhere".into());
        return Try::Fail(ProviderError::Redirected {
            status,
            url: url.to_string(),
            location,
        });
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    let body = tokio::time::timeout(timeouts.idle, capped_text(response))
        .await
        .unwrap_or_default();
    let body: String = body.trim().chars().take(300).collect();
    if retryable(status) {
        let why = if body.is_empty() {
            format!("HTTP {status}")
        } else {
            format!("HTTP {status}: {body}")
        };
        return Try::Again { why, retry_after };
    }
    Try::Fail(ProviderError::Http {
        status,
        url: url.to_string(),
        body,
    })
}

/// The start of a response's body, reading at most [`MAX_ERROR_BODY`] bytes of it.
async fn capped_text(response: reqwest::Response) -> String {
    let mut stream = response.bytes_stream();
    let mut body = Vec::new();
    while let Some(Ok(chunk)) = stream.next().await {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_ERROR_BODY {
            body.truncate(MAX_ERROR_BODY);
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// The model ids a server lists (`{"data": [{"id": …}, …]}`, as OpenAI, Anthropic, Ollama, vLLM
/// and LM Studio answer `GET …/models`).
pub async fn list_model_ids(
    call: reqwest::RequestBuilder,
    url: &str,
) -> Result<Vec<String>, ProviderError> {
    let response = call.send().await.map_err(|e| ProviderError::Connect {
        url: url.to_string(),
        detail: crate::errors::chain(&e),
    })?;
    let status = response.status().as_u16();
    if !response.status().is_success() {
        // What the server said, capped: it often names the fix (a wrong path, a missing key).
        let body = capped_text(response).await;
        return Err(ProviderError::Http {
            status,
            url: url.to_string(),
            body: body.trim().chars().take(300).collect(),
        });
    }
    let value: serde_json::Value = response
        .json()
        .await
        .map_err(|e| ProviderError::Malformed(e.to_string()))?;
    let mut ids: Vec<String> = value["data"]
        .as_array()
        .map(|models| {
            models
                .iter()
                .filter_map(|m| m.get("id").and_then(|i| i.as_str()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    Ok(ids)
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
