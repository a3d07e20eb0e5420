//! Where an approved envelope goes. The outbox is always written first: it is the durable record,
//! and the place a failed delivery waits (marked pending) until `archbench outbox retry`.
//! Then each configured sink in order: standard output, a webhook, a command, and `chain`, which
//! the caller carries out (it opens the next role).

mod argv;
mod exec;
mod gate;
pub mod pending;
mod webhook;

pub use argv::split_command;
pub use gate::{deliver, HandoffError};

use crate::routing::Envelope;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One sink, as written in the configuration or on the command line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SinkSpec {
    Outbox,
    Stdout,
    /// POST to this URL.
    Webhook(String),
    /// Run this program with these arguments (already split; no shell).
    Exec(Vec<String>),
    /// Open the target role next.
    Chain,
}

impl SinkSpec {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        match text {
            "outbox" => return Ok(Self::Outbox),
            "stdout" => return Ok(Self::Stdout),
            "chain" => return Ok(Self::Chain),
            _ => {}
        }
        if let Some(url) = text.strip_prefix("webhook:") {
            let parsed = reqwest::Url::parse(url).map_err(|e| {
                format!("webhook `{url}` is not a URL ({e}); write webhook:https://host/path")
            })?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(format!(
                    "webhook `{url}`: only http and https URLs are supported"
                ));
            }
            return Ok(Self::Webhook(url.to_string()));
        }
        if let Some(command) = text.strip_prefix("exec:") {
            let argv = split_command(command)?;
            if argv.is_empty() {
                return Err("exec: needs a command, e.g. exec:/usr/local/bin/file-ticket".into());
            }
            return Ok(Self::Exec(argv));
        }
        Err(format!(
            "`{text}` is not a sink; use outbox, stdout, chain, webhook:URL or exec:COMMAND"
        ))
    }

    /// How the sink is named in messages and the audit log.
    pub fn label(&self) -> String {
        match self {
            Self::Outbox => "outbox".into(),
            Self::Stdout => "stdout".into(),
            Self::Chain => "chain".into(),
            Self::Webhook(url) => format!("webhook:{}", redact_url(url)),
            Self::Exec(argv) => format!("exec:{}", argv.join(" ")),
        }
    }
}

/// A URL as shown: any user:password in it is hidden (it is a secret).
fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_username("***");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// How sinks that talk to other systems behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryOptions {
    pub webhook_timeout: Duration,
    /// Further tries after the first.
    pub webhook_retries: u32,
    /// The first wait between tries; doubled each time, capped at [`MAX_BACKOFF`].
    pub webhook_backoff: Duration,
    pub exec_timeout: Duration,
}

const MAX_BACKOFF: Duration = Duration::from_secs(30);

impl Default for DeliveryOptions {
    fn default() -> Self {
        Self {
            webhook_timeout: Duration::from_secs(10),
            webhook_retries: 3,
            webhook_backoff: Duration::from_millis(500),
            exec_timeout: Duration::from_secs(60),
        }
    }
}

/// Which sinks each role's handoffs go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkPlan {
    pub default: Vec<SinkSpec>,
    pub per_role: BTreeMap<String, Vec<SinkSpec>>,
    pub options: DeliveryOptions,
    pub max_chain_depth: usize,
}

/// Where the plan is used: the workbench chains by default; a headless run does not unless asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Workbench,
    Headless,
}

/// How many handoffs a chain may make in a row when the configuration does not say.
pub const DEFAULT_MAX_CHAIN_DEPTH: usize = 6;

impl SinkPlan {
    /// What runs without flags or configuration: for the workbench, the outbox then the chain;
    /// headless, the outbox only.
    pub fn mode_default(mode: Mode) -> Vec<SinkSpec> {
        match mode {
            Mode::Workbench => vec![SinkSpec::Outbox, SinkSpec::Chain],
            Mode::Headless => vec![SinkSpec::Outbox],
        }
    }

    pub fn for_role(&self, role: &str) -> &[SinkSpec] {
        self.per_role.get(role).unwrap_or(&self.default)
    }

    /// Adds `sink` to every role's list where it is missing (`--json` adds `stdout`).
    pub fn add_everywhere(&mut self, sink: SinkSpec) {
        for list in std::iter::once(&mut self.default).chain(self.per_role.values_mut()) {
            if !list.contains(&sink) {
                list.push(sink.clone());
            }
        }
    }

    /// Some role's handoffs go to `sink`.
    pub fn uses(&self, sink: &SinkSpec) -> bool {
        self.default.contains(sink) || self.per_role.values().any(|l| l.contains(sink))
    }
}

impl Default for SinkPlan {
    fn default() -> Self {
        Self {
            default: Self::mode_default(Mode::Workbench),
            per_role: BTreeMap::new(),
            options: DeliveryOptions::default(),
            max_chain_depth: DEFAULT_MAX_CHAIN_DEPTH,
        }
    }
}

/// What one sink did with the envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkResult {
    pub sink: String,
    /// What happened, for a person: `Ok` on success, `Err` when it failed.
    pub outcome: Result<String, String>,
    /// The delivery waits in the outbox for `archbench outbox retry`.
    pub pending: bool,
}

/// The handoff as delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub envelope_id: String,
    pub target: String,
    /// The envelope's file in the outbox.
    pub path: PathBuf,
    /// The brief composed for the target role.
    pub payload_brief: String,
    pub results: Vec<SinkResult>,
    /// The `chain` sink is among the sinks: the caller opens the target role next.
    pub chain: bool,
}

impl Delivered {
    pub fn failures(&self) -> impl Iterator<Item = &SinkResult> {
        self.results.iter().filter(|r| r.outcome.is_err())
    }
}

/// Delivers the written envelope to each sink but the outbox.
pub(super) async fn to_sinks(
    envelope: &Envelope,
    path: &Path,
    outbox: &Path,
    sinks: &[SinkSpec],
    options: &DeliveryOptions,
    stdout_allowed: bool,
) -> Vec<SinkResult> {
    let json = serde_json::to_vec_pretty(envelope).unwrap_or_default();
    let mut results = vec![SinkResult {
        sink: "outbox".into(),
        outcome: Ok(path.display().to_string()),
        pending: false,
    }];
    for sink in sinks {
        let outcome = match sink {
            SinkSpec::Outbox | SinkSpec::Chain => continue,
            SinkSpec::Stdout if !stdout_allowed => {
                Ok("skipped: standard output is the workbench's screen (the stdout sink is for archbench run)".into())
            }
            // One envelope per line, so a pipeline reads a chain's envelopes one by one.
            SinkSpec::Stdout => serde_json::to_vec(envelope)
                .map_err(|e| format!("cannot encode the envelope: {e}"))
                .and_then(|line| print_json(&line)),
            SinkSpec::Webhook(url) => webhook::post(url, &envelope.id, &json, options).await,
            SinkSpec::Exec(argv) => exec::run(argv, envelope, path, &json, options).await,
        };
        let retryable = matches!(sink, SinkSpec::Webhook(_) | SinkSpec::Exec(_));
        let mut pending = false;
        let outcome = match outcome {
            Err(message) if retryable => {
                match pending::mark(outbox, &envelope.id, sink, &message) {
                    Ok(_) => {
                        pending = true;
                        Err(format!(
                            "{message}; the envelope is pending in the outbox: `archbench outbox retry` sends it again"
                        ))
                    }
                    Err(e) => Err(format!(
                        "{message}; and it could not be marked pending: {e}"
                    )),
                }
            }
            other => other,
        };
        results.push(SinkResult {
            sink: sink.label(),
            outcome,
            pending,
        });
    }
    results
}

/// One envelope on standard output, through the output gate's JSON escaping: the answer it
/// carries is model output, and the same JSON value reaches a pipeline.
fn print_json(json: &[u8]) -> Result<String, String> {
    use std::io::Write;
    let text = crate::say::json_text(&String::from_utf8_lossy(json));
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.write_all(b"\n"))
        .and_then(|_| out.flush())
        .map(|_| "printed on standard output".to_string())
        .map_err(|e| format!("cannot write to standard output: {e}"))
}

/// Sends one pending delivery again (for `archbench outbox retry`).
pub async fn redeliver(
    outbox: &Path,
    entry: &pending::Pending,
    options: &DeliveryOptions,
) -> Result<String, String> {
    let path = outbox.join(format!("{}.json", entry.envelope_id));
    let json = std::fs::read(&path)
        .map_err(|e| format!("cannot read the envelope {}: {e}", path.display()))?;
    let envelope: Envelope = serde_json::from_slice(&json)
        .map_err(|e| format!("the envelope {} is not valid: {e}", path.display()))?;
    let sink = SinkSpec::parse(&entry.sink)?;
    let result = match &sink {
        SinkSpec::Webhook(url) => webhook::post(url, &envelope.id, &json, options).await,
        SinkSpec::Exec(argv) => exec::run(argv, &envelope, &path, &json, options).await,
        other => Err(format!("{} cannot be retried", other.label())),
    };
    match &result {
        Ok(_) => pending::clear(outbox, entry)?,
        Err(message) => pending::record_failure(outbox, entry, message)?,
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sinks_parse_from_their_written_form() {
        assert_eq!(SinkSpec::parse("outbox"), Ok(SinkSpec::Outbox));
        assert_eq!(SinkSpec::parse(" chain "), Ok(SinkSpec::Chain));
        assert_eq!(
            SinkSpec::parse("webhook:https://example.com/h"),
            Ok(SinkSpec::Webhook("https://example.com/h".into()))
        );
        assert_eq!(
            SinkSpec::parse("exec:notify --to 'ops team'"),
            Ok(SinkSpec::Exec(vec![
                "notify".into(),
                "--to".into(),
                "ops team".into()
            ]))
        );
    }

    #[test]
    fn bad_sinks_say_what_to_write() {
        assert!(SinkSpec::parse("email")
            .unwrap_err()
            .contains("outbox, stdout, chain, webhook:URL or exec:COMMAND"));
        assert!(SinkSpec::parse("webhook:not a url")
            .unwrap_err()
            .contains("is not a URL"));
        assert!(SinkSpec::parse("webhook:ftp://x/y")
            .unwrap_err()
            .contains("only http and https"));
        assert!(SinkSpec::parse("exec:  ")
            .unwrap_err()
            .contains("needs a command"));
    }

    #[test]
    fn a_webhook_password_is_never_shown() {
        let sink = SinkSpec::parse("webhook:https://user:hunter2@example.com/h").unwrap();
        assert!(!sink.label().contains("hunter2"), "{}", sink.label());
    }
}
