//! Headless runs for pipelines: the answer streams to standard output, the decision status goes
//! to standard error, and the envelope is written only when the approval policy allows.

use crate::cli::exit;
use crate::provider::{
    AgentEvent, ChatRequest, FinishReason, Message, Params, Provider, Speaker, Usage,
};
use crate::reviewer::Reviewer;
use crate::role::{Role, RouteOption};
use crate::routing::envelope::{
    sha256_hex, AttemptRecord, DecidedBy, ReviewAction, RoleRef, Timestamps,
};
use crate::routing::{parse_decision, Envelope, HandoffRequest};
use crate::sanitize::sanitize;
use crate::store::outbox;
use chrono::Utc;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc::unbounded_channel;

/// Who may settle the route without a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    /// Hand off only when the agent's decision is unique (and the answer was not cut off).
    Agent,
    /// Never hand off; report the decision only.
    Never,
    /// Force this option, recording that a policy chose it.
    Route(RouteOption),
}

impl Approval {
    /// How the audit log names the policy: `agent`, `never` or `route:<target>`.
    pub fn name(&self) -> String {
        match self {
            Self::Agent => "agent".into(),
            Self::Never => "never".into(),
            Self::Route(option) => format!("route:{}", option.target),
        }
    }

    /// Reads `--approve`; a target must be one of the role's routes.
    pub fn parse(value: &str, role: &Role) -> Result<Self, String> {
        match value {
            "agent" => Ok(Self::Agent),
            "never" => Ok(Self::Never),
            target => role
                .routes
                .iter()
                .find(|o| o.target == target || o.id == target)
                .cloned()
                .map(Self::Route)
                .ok_or_else(|| {
                    let targets: Vec<&str> = role.routes.iter().map(|o| o.target.as_str()).collect();
                    format!("--approve {target}: the role {} has no such route; use agent, never, or one of: {}", role.id, targets.join(", "))
                }),
        }
    }
}

pub struct HeadlessRun {
    pub role: Role,
    pub brief: String,
    pub params: Params,
    pub approval: Approval,
    pub json: bool,
    pub outbox: PathBuf,
    pub reviewer: Reviewer,
    /// The audit log to append to (none in some tests).
    pub audit_log: Option<PathBuf>,
}

/// Writes the run's records to the audit log; a log that cannot be written is reported, and the
/// run goes on.
struct Recorder {
    log: Option<PathBuf>,
    role: String,
    chain_id: String,
}

impl Recorder {
    fn record(&self, kind: &str, data: serde_json::Value) {
        let Some(path) = &self.log else { return };
        let entry = crate::store::audit::AuditEntry {
            kind: kind.into(),
            chain_id: self.chain_id.clone(),
            role: self.role.clone(),
            attempt: 1,
            at: Utc::now(),
            data,
        };
        if let Err(e) = crate::store::audit::append(path, &entry) {
            eprintln!(
                "archbench: the audit log {} could not be written: {e}",
                path.display()
            );
        }
    }
}

/// Runs once and returns the exit code.
pub async fn run(job: HeadlessRun, provider: Arc<dyn Provider>) -> i32 {
    let request = ChatRequest {
        messages: vec![
            Message::new(Speaker::System, job.role.prompt.clone()),
            Message::new(Speaker::User, job.brief.clone()),
        ],
        params: job.params.clone(),
    };
    let started = Utc::now();
    let chain_id = uuid::Uuid::now_v7().to_string();
    let recorder = Recorder {
        log: job.audit_log.clone(),
        role: job.role.id.clone(),
        chain_id: chain_id.clone(),
    };
    recorder.record("run_started", serde_json::json!({ "provider": provider.info(), "parameters": job.params, "prompt_sha256": job.role.prompt_sha256(), "brief_sha256": sha256_hex(&job.brief), "mode": "headless" }));
    let (tx, mut rx) = unbounded_channel();
    let handle = provider.start(request, crate::provider::EventSink::new(0, tx));
    let stdout = std::io::stdout();
    let to_terminal = stdout.is_terminal();
    let mut out = stdout.lock();
    let mut text = String::new();
    let mut first_token = None;
    let mut usage: Option<Usage> = None;
    // One listener for the whole run: a Ctrl-C that arrives while a delta is being written must
    // not fall between two listeners (tokio owns SIGINT from the first one on, so a missed signal
    // would leave the run waiting).
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    let finish: FinishReason = loop {
        let event = tokio::select! {
            event = rx.recv() => event.map(|(_, event)| event),
            _ = &mut interrupt => {
                handle.cancel();
                let _ = out.flush();
                eprintln!("\narchbench: interrupted; nothing was handed off");
                return exit::INTERRUPTED;
            }
        };
        match event {
            Some(AgentEvent::Delta(piece)) => {
                first_token.get_or_insert_with(Utc::now);
                text.push_str(&piece);
                if !job.json {
                    // Model output is untrusted: on a terminal its control sequences are shown, not run.
                    let shown = if to_terminal {
                        sanitize(&piece)
                    } else {
                        piece.as_str().into()
                    };
                    let _ = out.write_all(shown.as_bytes());
                    let _ = out.flush();
                }
            }
            Some(AgentEvent::Usage(u)) => usage = Some(u),
            Some(AgentEvent::Started { .. }) => {}
            Some(AgentEvent::Finished(reason)) => break reason,
            Some(AgentEvent::Failed(error)) => {
                let _ = out.flush();
                // The message may quote the server's reply: untrusted text too.
                eprintln!("\narchbench: {}", sanitize(&error.to_string()));
                recorder.record(
                    "run_failed",
                    serde_json::json!({ "error": error.to_string(), "bytes_kept": text.len() }),
                );
                return exit::PROVIDER;
            }
            None => {
                eprintln!("\narchbench: the provider stopped without finishing the answer");
                return exit::PROVIDER;
            }
        }
    };
    if !job.json && !text.ends_with('\n') {
        let _ = writeln!(out);
    }
    drop(out);
    let completed = Utc::now();
    let decision = parse_decision(&text, &job.role.routes);
    recorder.record("answer_complete", serde_json::json!({ "finish_reason": finish, "response_sha256": sha256_hex(&text), "usage": usage, "bytes": text.len() }));
    recorder.record(
        "decision_parsed",
        serde_json::to_value(&decision).unwrap_or_default(),
    );
    let candidates: Vec<&str> = decision.candidates.iter().map(String::as_str).collect();
    let raw = decision
        .raw_line
        .as_deref()
        .map(|r| sanitize(r).into_owned())
        .unwrap_or_default();
    eprintln!(
        "archbench: decision {}{}{}",
        decision.status.as_str(),
        if candidates.is_empty() {
            String::new()
        } else {
            format!(" [{}]", candidates.join(", "))
        },
        decision
            .line_number
            .map(|n| format!(" (line {n}: {raw})"))
            .unwrap_or_default()
    );
    if finish == FinishReason::Length {
        eprintln!("archbench: the answer was cut off at the token limit");
    }
    let (chosen, action, decided_by) = match &job.approval {
        Approval::Never => {
            eprintln!("archbench: --approve never: nothing handed off");
            recorder.record(
                "review_action",
                serde_json::json!({ "action": "policy", "policy": "never" }),
            );
            return exit::OK;
        }
        Approval::Agent => {
            let unique = decision
                .unique_candidate()
                .and_then(|id| job.role.routes.iter().find(|o| o.id == id));
            match unique {
                Some(option) if finish != FinishReason::Length => {
                    (option.clone(), ReviewAction::Policy, DecidedBy::Agent)
                }
                _ => {
                    let why = if finish == FinishReason::Length {
                        "the answer was cut off"
                    } else {
                        "the decision is not unique"
                    };
                    eprintln!("archbench: {why}: a person must decide (run the workbench, or pass --approve TARGET)");
                    recorder.record("review_action", serde_json::json!({ "action": "policy", "policy": "agent", "outcome": "needs a person", "why": why }));
                    return exit::NEEDS_PERSON;
                }
            }
        }
        Approval::Route(option) => (option.clone(), ReviewAction::Policy, DecidedBy::Policy),
    };
    let sha = sha256_hex(&text);
    recorder.record("review_action", serde_json::json!({ "action": "policy", "policy": job.approval.name(), "option_id": chosen.id, "target": chosen.target, "decided_by": decided_by }));
    let request = HandoffRequest {
        chain_id: chain_id.clone(),
        parent_id: None,
        role: RoleRef {
            id: job.role.id.clone(),
            title: job.role.title.clone(),
            prompt_sha256: job.role.prompt_sha256(),
        },
        provider: provider.info(),
        parameters: job.params,
        brief: job.brief,
        response: text,
        seen_sha256: sha.clone(),
        finish_reason: Some(finish.clone()),
        usage,
        options: job.role.routes.clone(),
        decision,
        reviewer: job.reviewer.clone(),
        action,
        chosen,
        reason: None,
        decided_by,
        attempts: vec![AttemptRecord {
            number: 1,
            feedback: None,
            response_sha256: sha,
            finish_reason: Some(finish),
        }],
        timestamps: Timestamps {
            run_started: Some(started),
            first_token,
            response_completed: Some(completed),
            decided: completed,
            handed_off: None,
        },
    };
    let envelope = match Envelope::build(request, uuid::Uuid::now_v7().to_string(), Utc::now()) {
        Ok(envelope) => envelope,
        Err(e) => {
            eprintln!("archbench: {e}");
            return exit::PROVIDER;
        }
    };
    match outbox::write_envelope(&job.outbox, &envelope) {
        Ok(path) => {
            eprintln!(
                "archbench: handed off to {}: {}",
                envelope.route.target,
                path.display()
            );
            recorder.record("handoff_sent", serde_json::json!({ "target": envelope.route.target, "path": path, "sink": "outbox", "envelope_id": envelope.id }));
        }
        Err(e) => {
            eprintln!("archbench: {e}");
            recorder.record("handoff_failed", serde_json::json!({ "target": envelope.route.target, "error": e, "sink": "outbox" }));
            return exit::BAD_INPUT;
        }
    }
    if job.json {
        match serde_json::to_string_pretty(&envelope) {
            Ok(json) => println!("{json}"),
            Err(e) => eprintln!("archbench: cannot print the envelope: {e}"),
        }
    }
    exit::OK
}
