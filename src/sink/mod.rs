//! Where an approved envelope goes. The outbox is always written first: it is the durable record,
//! and the place a failed delivery waits (marked pending) until `archbench outbox retry`.
//! Then each configured sink in order: standard output, a webhook, a command, and `chain`, which
//! the caller carries out (it opens the next role).

mod argv;
mod exec;
pub mod pending;
mod webhook;

pub use argv::split_command;

use crate::routing::Envelope;
use crate::store::outcomes::{AnswerId, Ledger, Outcome, SettleError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One sink, as written in the configuration or on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
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

impl SinkPlan {
    /// `--sink` flags win over the configuration (for every role); the configuration's per-role
    /// lists win over its global one; without either, the mode's default.
    pub fn resolve(flags: &[SinkSpec], loaded: &crate::config::Loaded, mode: Mode) -> Self {
        let handoff = &loaded.config.handoff;
        let defaults = DeliveryOptions::default();
        let options = DeliveryOptions {
            webhook_timeout: handoff
                .webhook_timeout_secs
                .map_or(defaults.webhook_timeout, Duration::from_secs),
            webhook_retries: handoff.webhook_retries.unwrap_or(defaults.webhook_retries),
            webhook_backoff: handoff
                .webhook_backoff_ms
                .map_or(defaults.webhook_backoff, Duration::from_millis),
            exec_timeout: handoff
                .exec_timeout_secs
                .map_or(defaults.exec_timeout, Duration::from_secs),
        };
        let max_chain_depth = handoff
            .max_chain_depth
            .unwrap_or(crate::config::DEFAULT_MAX_CHAIN_DEPTH);
        if !flags.is_empty() {
            return Self {
                default: flags.to_vec(),
                per_role: BTreeMap::new(),
                options,
                max_chain_depth,
            };
        }
        let default = loaded.sinks.clone().unwrap_or_else(|| match mode {
            Mode::Workbench => vec![SinkSpec::Outbox, SinkSpec::Chain],
            Mode::Headless => vec![SinkSpec::Outbox],
        });
        Self {
            default,
            per_role: loaded.role_sinks.clone(),
            options,
            max_chain_depth,
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
        Self::resolve(&[], &crate::config::Loaded::default(), Mode::Workbench)
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

/// Why nothing was handed off.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandoffError {
    /// The answer already has its final outcome (handed off, rejected), by whatever path.
    #[error("Refused: this answer was already {}", .0.describe())]
    Settled(Box<Outcome>),
    /// The store or the outbox could not be written.
    #[error("{0}")]
    Failed(String),
    /// The audit log could not record the handoff, so it was not made.
    #[error("{0}")]
    Unrecorded(String),
}

/// The one gate every handoff goes through, from the workbench, a resumed or continued review,
/// or a headless run: the handoff is claimed in the session store (`ledger`), which refuses a
/// second one for the same answer; then the envelope is written to the outbox (the claim is
/// taken back if it cannot be) and delivered to each sink. A failing sink is reported in the
/// results and, for a webhook or a command, left pending in the outbox.
///
/// `stdout` is a sink only where standard output is not the screen (headless); the workbench
/// passes `false` and the sink is reported as skipped.
pub async fn deliver(
    envelope: &Envelope,
    ledger: &Ledger,
    outbox: &Path,
    sinks: &[SinkSpec],
    options: &DeliveryOptions,
    stdout_allowed: bool,
) -> Result<Delivered, HandoffError> {
    claim(envelope, ledger)?;
    let envelope = &match recorded(envelope, ledger) {
        Ok(envelope) => envelope,
        Err(e) => {
            let _ = ledger.unsettle(&envelope.id);
            return Err(HandoffError::Unrecorded(e));
        }
    };
    let path = match crate::store::outbox::write_envelope(outbox, envelope) {
        Ok(path) => path,
        Err(e) => {
            let kept = match ledger.unsettle(&envelope.id) {
                Ok(()) => String::new(),
                Err(store) => format!(" (and its claim could not be taken back: {store})"),
            };
            return Err(HandoffError::Failed(format!("{e}{kept}")));
        }
    };
    let results = to_sinks(envelope, &path, outbox, sinks, options, stdout_allowed).await;
    Ok(Delivered {
        envelope_id: envelope.id.clone(),
        target: envelope.route.target.clone(),
        path,
        payload_brief: envelope.payload.brief.clone(),
        results,
        chain: sinks.contains(&SinkSpec::Chain),
    })
}

/// The handoff recorded in the audit log before its envelope exists, and the envelope naming
/// that record. A log that refuses the record stops the handoff: it is not reported as done.
fn recorded(envelope: &Envelope, ledger: &Ledger) -> Result<Envelope, String> {
    let mut envelope = envelope.clone();
    let Some(log) = &ledger.audit else {
        return Ok(envelope);
    };
    let entry = crate::store::audit::AuditEntry {
        kind: "handoff_claimed".into(),
        chain_id: envelope.chain_id.clone(),
        role: envelope.role.id.clone(),
        attempt: envelope.attempt,
        at: envelope.timestamps.handed_off.unwrap_or(envelope.review.at),
        data: serde_json::json!({
            "envelope_id": envelope.id,
            "target": envelope.route.target,
            "target_known": envelope.route.target_known,
            "action": envelope.review.action,
            "reviewer": envelope.review.reviewer,
            "reason": envelope.review.reason,
            "response_sha256": envelope.response.sha256,
        }),
    };
    let appended = log.append(&entry).map_err(|e| {
        format!(
            "the audit log {} cannot record the handoff ({e})",
            log.path.display()
        )
    })?;
    envelope.audit = Some(crate::routing::envelope::AuditRef {
        log: crate::store::audit::log_id(&log.path).unwrap_or_default(),
        seq: appended.record.seq,
        sha256: appended.sha256,
    });
    Ok(envelope)
}

/// Claims the handoff of the envelope's answer in the session store.
fn claim(envelope: &Envelope, ledger: &Ledger) -> Result<(), HandoffError> {
    let answer = AnswerId::new(
        &envelope.chain_id,
        envelope.parent_id.as_deref(),
        envelope.attempt,
        &envelope.response.text,
    );
    let review = &envelope.review;
    let action = serde_json::to_value(review.action)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let outcome = Outcome::handoff(
        &action,
        &envelope.route.target,
        envelope.route.target_known,
        &envelope.id,
        &review.reviewer.label(),
        review.reason.clone(),
        envelope.timestamps.handed_off.unwrap_or(review.at),
    );
    ledger.settle(&answer, &outcome).map_err(|e| match e {
        SettleError::Settled(first) => HandoffError::Settled(first),
        SettleError::Store(e) => HandoffError::Failed(format!(
            "the session store, which keeps each answer handed off at most once, cannot be written ({e})"
        )),
    })
}

/// Delivers the written envelope to each sink but the outbox.
async fn to_sinks(
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

fn print_json(json: &[u8]) -> Result<String, String> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(json)
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

    fn envelope(id: &str) -> Envelope {
        let request = crate::routing::envelope::tests::request(
            "An answer\nDECISION: completed: Go to fullstack_developer",
        );
        Envelope::build(request, id.into(), chrono::Utc::now()).unwrap()
    }

    #[tokio::test]
    async fn the_gate_hands_one_answer_off_once_and_names_the_first_handoff() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::new(dir.path().join("s.db"));
        let outbox = dir.path().join("outbox");
        let options = DeliveryOptions::default();
        let first = deliver(&envelope("env-1"), &ledger, &outbox, &[], &options, false).await;
        assert!(first.is_ok(), "{first:?}");
        let second = deliver(&envelope("env-2"), &ledger, &outbox, &[], &options, false).await;
        let Err(HandoffError::Settled(outcome)) = &second else {
            panic!("{second:?}")
        };
        assert_eq!(outcome.envelope_id.as_deref(), Some("env-1"));
        assert!(second.unwrap_err().to_string().contains("envelope env-1"));
        let files: Vec<_> = std::fs::read_dir(&outbox).unwrap().collect();
        assert_eq!(files.len(), 1, "one envelope in the outbox");
    }

    /// One of the racing processes of the test below; run alone (no race folder), it does nothing.
    #[tokio::test]
    async fn racing_handoff_process() {
        let Ok(dir) = std::env::var("ARCHBENCH_RACE_DIR") else {
            return;
        };
        let dir = std::path::PathBuf::from(dir);
        let me = std::process::id().to_string();
        // All start together: each waits for the go file.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !dir.join("go").exists() {
            assert!(std::time::Instant::now() < deadline, "never told to go");
            std::thread::park_timeout(Duration::from_millis(1));
        }
        let ledger = Ledger::new(dir.join("s.db"));
        let result = deliver(
            &envelope(&format!("env-{me}")),
            &ledger,
            &dir.join("outbox"),
            &[],
            &DeliveryOptions::default(),
            false,
        )
        .await;
        let said = match result {
            Ok(_) => "handed-off",
            Err(HandoffError::Settled(_)) => "refused",
            Err(e) => panic!("{e}"),
        };
        std::fs::write(dir.join(format!("result-{me}")), said).unwrap();
    }

    #[test]
    fn processes_racing_to_hand_off_one_answer_write_one_envelope() {
        let dir = tempfile::tempdir().unwrap();
        // The store exists before the race, as it does once any workbench ran.
        crate::store::sessions::Store::open(&dir.path().join("s.db")).unwrap();
        let children: Vec<_> = (0..4)
            .map(|_| {
                std::process::Command::new(std::env::current_exe().unwrap())
                    .args([
                        "--exact",
                        "sink::tests::racing_handoff_process",
                        "--test-threads=1",
                    ])
                    .env("ARCHBENCH_RACE_DIR", dir.path())
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        std::fs::write(dir.path().join("go"), "").unwrap();
        for mut child in children {
            assert!(child.wait().unwrap().success());
        }
        let results: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("result-"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .collect();
        assert_eq!(results.len(), 4);
        assert_eq!(
            results.iter().filter(|r| *r == "handed-off").count(),
            1,
            "{results:?}"
        );
        let envelopes = std::fs::read_dir(dir.path().join("outbox"))
            .unwrap()
            .count();
        assert_eq!(envelopes, 1, "exactly one envelope");
    }

    #[tokio::test]
    async fn an_envelope_that_cannot_be_written_gives_its_claim_back() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::new(dir.path().join("s.db"));
        // A file where the outbox folder should be: nothing can be written there.
        let blocked = dir.path().join("blocked");
        std::fs::write(&blocked, "").unwrap();
        let options = DeliveryOptions::default();
        let failed = deliver(
            &envelope("env-1"),
            &ledger,
            &blocked.join("outbox"),
            &[],
            &options,
            false,
        )
        .await;
        assert!(matches!(failed, Err(HandoffError::Failed(_))), "{failed:?}");
        let outbox = dir.path().join("outbox");
        let retried = deliver(&envelope("env-2"), &ledger, &outbox, &[], &options, false).await;
        assert!(retried.is_ok(), "{retried:?}");
    }

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

    #[test]
    fn flags_replace_the_configuration_and_roles_override_the_global_list() {
        let loaded = crate::config::parse(
            "[handoff]\nsinks = [\"outbox\"]\n[roles.fullstack_developer]\nsinks = [\"chain\"]\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let plan = SinkPlan::resolve(&[], &loaded, Mode::Workbench);
        assert_eq!(plan.for_role("database_architect"), [SinkSpec::Outbox]);
        assert_eq!(plan.for_role("fullstack_developer"), [SinkSpec::Chain]);
        let plan = SinkPlan::resolve(&[SinkSpec::Stdout], &loaded, Mode::Headless);
        assert_eq!(plan.for_role("fullstack_developer"), [SinkSpec::Stdout]);
        let plan = SinkPlan::resolve(&[], &Default::default(), Mode::Headless);
        assert_eq!(plan.for_role("x"), [SinkSpec::Outbox]);
        let plan = SinkPlan::resolve(&[], &Default::default(), Mode::Workbench);
        assert_eq!(plan.for_role("x"), [SinkSpec::Outbox, SinkSpec::Chain]);
    }
}
