//! Headless runs for pipelines: the answer streams to standard output, the decision status goes
//! to standard error, and the envelope is written only when the approval policy allows.

mod inbox;

use crate::cli::exit;
use crate::provider::{
    AgentEvent, ChatRequest, FinishReason, Message, Params, Provider, Speaker, Usage,
};
use crate::reviewer::Reviewer;
use crate::role::{Role, RoleBook, RouteOption};
use crate::routing::envelope::{
    sha256_hex, AttemptRecord, DecidedBy, ReviewAction, RoleRef, Timestamps,
};
use crate::routing::{parse_decision, Envelope, HandoffRequest};
use crate::sanitize::sanitize;
use crate::sink::{SinkPlan, SinkSpec};
use crate::store::sessions::{NewRun, RunEnd};
use crate::store::writer::{Record, SessionWriter};
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
    /// Leave the review pending in the inbox for a person.
    Inbox,
    /// Force this option, recording that a policy chose it.
    Route(RouteOption),
}

impl Approval {
    /// How the audit log names the policy: `agent`, `never` or `route:<target>`.
    pub fn name(&self) -> String {
        match self {
            Self::Agent => "agent".into(),
            Self::Never => "never".into(),
            Self::Inbox => "inbox".into(),
            Self::Route(option) => format!("route:{}", option.target),
        }
    }

    /// Reads `--approve`; a target must be one of the role's routes.
    pub fn parse(value: &str, role: &Role) -> Result<Self, String> {
        match value {
            "agent" => Ok(Self::Agent),
            "never" => Ok(Self::Never),
            "inbox" => Ok(Self::Inbox),
            target => role
                .routes
                .iter()
                .find(|o| o.target == target || o.id == target)
                .cloned()
                .map(Self::Route)
                .ok_or_else(|| {
                    let targets: Vec<&str> = role.routes.iter().map(|o| o.target.as_str()).collect();
                    format!("--approve {target}: the role {} has no such route; use agent, never, inbox, or one of: {}", role.id, targets.join(", "))
                }),
        }
    }
}

pub struct HeadlessRun {
    pub role: Role,
    /// Every role a chain may open.
    pub roles: Arc<RoleBook>,
    pub brief: String,
    pub params: Params,
    pub approval: Approval,
    /// Print each envelope on standard output (one JSON document per line) instead of the answer.
    pub json: bool,
    pub outbox: PathBuf,
    pub reviewer: Reviewer,
    /// The audit log to append to (none in some tests).
    pub audit_log: Option<crate::store::audit::AuditLog>,
    /// The session store: keeps every run, and each answer handed off at most once.
    pub sessions: PathBuf,
    pub sinks: SinkPlan,
    /// `--check`: the answer's SQL is checked before any handoff (none: not checked).
    pub checker: Option<Arc<crate::check::Checker>>,
    /// The team store for `--approve inbox` (none: the session store's SQLite file).
    pub store_url: Option<String>,
}

/// Writes the run's records to the audit log; a log that cannot be written is reported, and the
/// run goes on.
struct Recorder<'a> {
    log: Option<&'a crate::store::audit::AuditLog>,
    role: &'a str,
    chain_id: &'a str,
    /// The session store's writer and the run's key there.
    sessions: Option<(&'a SessionWriter, String)>,
}

impl Recorder<'_> {
    fn record(&self, kind: &str, data: serde_json::Value) {
        if let Some((writer, key)) = &self.sessions {
            writer.send(Record::Event {
                key: Some(key.clone()),
                answer: None,
                at: Utc::now(),
                kind: kind.into(),
                data: data.clone(),
            });
        }
        let Some(log) = self.log else { return };
        let entry = crate::store::audit::AuditEntry {
            kind: kind.into(),
            chain_id: self.chain_id.to_string(),
            role: self.role.to_string(),
            attempt: 1,
            at: Utc::now(),
            data,
        };
        // One more try before the record is reported lost; the run then ends non-zero.
        let written = log.append(&entry).or_else(|_| log.append(&entry));
        if let Err(e) = written {
            AUDIT_FAILED.store(true, std::sync::atomic::Ordering::SeqCst);
            crate::tell!(
                "archbench: the audit log {} could not be written ({e}): the {} record is missing from it; this run exits {}",
                log.path.display(),
                kind,
                exit::AUDIT_FAILED
            );
        }
    }
}

/// A record of this run could not be written to the audit log. A headless run is one process,
/// so one flag serves every step's recorder.
static AUDIT_FAILED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Opens the session store for a headless run; a store that cannot be opened is reported and the
/// run goes on without it.
fn open_sessions(path: &std::path::Path) -> Option<SessionWriter> {
    match SessionWriter::open(path, |message| crate::tell!("archbench: {message}")) {
        Ok((writer, recovered)) => {
            if let Some(latest) = recovered.iter().max_by_key(|r| r.id) {
                crate::tell!(
                    "archbench: recovered {} run(s) that ended with their process; the latest: archbench sessions show {}",
                    recovered.len(),
                    latest.id
                );
            }
            Some(writer)
        }
        Err(e) => {
            crate::tell!("archbench: {e}; this run is not kept in history");
            None
        }
    }
}

/// One step of a headless chain.
struct Step {
    role: Role,
    brief: String,
    parent_id: Option<String>,
}

/// How a step ended.
enum StepEnd {
    /// Stop with this exit code.
    Exit(i32),
    /// Handed off; the envelope and whether every sink took it.
    HandedOff {
        envelope: Box<Envelope>,
        all_delivered: bool,
    },
}

/// Runs the role on the brief and, when the sinks say `chain`, each next role in turn while the
/// policy approves; returns the exit code.
pub async fn run(job: HeadlessRun, provider: Arc<dyn Provider>) -> i32 {
    let (url, sessions) = (job.store_url.clone(), job.sessions.clone());
    let copying = url
        .as_deref()
        .and_then(|url| inbox::copy_runs(url, &sessions));
    let code = run_chain(job, provider).await;
    if let Some(task) = copying {
        task.abort();
    }
    if let Some(url) = url {
        inbox::send_what_is_owed(&url, &sessions).await;
    }
    // A run whose audit trail is incomplete does not pass as done.
    if code == exit::OK && AUDIT_FAILED.load(std::sync::atomic::Ordering::SeqCst) {
        return exit::AUDIT_FAILED;
    }
    code
}

async fn run_chain(job: HeadlessRun, provider: Arc<dyn Provider>) -> i32 {
    let chains = |role: &str| job.sinks.for_role(role).contains(&SinkSpec::Chain);
    if matches!(job.approval, Approval::Route(_)) && chains(&job.role.id) {
        crate::tell!("archbench: --approve TARGET forces one role's route and cannot drive a chain; use --approve agent (hand off each unique decision) or drop the chain sink");
        return exit::BAD_INPUT;
    }
    let chain_id = uuid::Uuid::now_v7().to_string();
    let sessions = open_sessions(&job.sessions);
    let mut step = Step {
        role: job.role.clone(),
        brief: job.brief.clone(),
        parent_id: None,
    };
    let mut breadcrumb = vec![job.role.id.clone()];
    let mut failed_sinks = false;
    // One listener for the whole run: a Ctrl-C that arrives while a delta is being written, or
    // between two steps, must not fall between two listeners (it would be lost).
    let mut interrupt = match Interrupt::new() {
        Ok(i) => i,
        Err(e) => {
            crate::tell!("archbench: cannot listen for Ctrl-C: {e}");
            return exit::PROVIDER;
        }
    };
    loop {
        let (envelope, all_delivered) = match run_step(
            &job,
            &step,
            &chain_id,
            provider.clone(),
            &mut interrupt,
            sessions.as_ref(),
            &breadcrumb,
        )
        .await
        {
            StepEnd::Exit(code) => return code,
            StepEnd::HandedOff {
                envelope,
                all_delivered,
            } => (envelope, all_delivered),
        };
        failed_sinks |= !all_delivered;
        let done = if failed_sinks {
            exit::SINK_FAILED
        } else {
            exit::OK
        };
        let target = envelope.route.target.clone();
        if !chains(&step.role.id) || target == "end" {
            return done;
        }
        let recorder = Recorder {
            log: job.audit_log.as_ref(),
            role: &step.role.id,
            chain_id: &chain_id,
            sessions: None,
        };
        let Some(next) = job.roles.get(&target).cloned() else {
            crate::tell!("archbench: the chain ends: no role file defines {target}");
            return done;
        };
        // The guards (depth, a revisit) decided before the handoff, in run_step.
        let depth = breadcrumb.len();
        breadcrumb.push(target.clone());
        recorder.record("chain_opened", serde_json::json!({ "from": step.role.id, "to": target, "parent_id": envelope.id, "depth": depth + 1 }));
        crate::tell!(
            "archbench: chain step {}: {}",
            depth + 1,
            breadcrumb.join(" → ")
        );
        step = Step {
            role: next,
            brief: envelope.payload.brief.clone(),
            parent_id: Some(envelope.id.clone()),
        };
    }
}

/// Runs one role once and hands off as the policy allows.
async fn run_step(
    job: &HeadlessRun,
    step: &Step,
    chain_id: &str,
    provider: Arc<dyn Provider>,
    interrupt: &mut Interrupt,
    sessions: Option<&SessionWriter>,
    breadcrumb: &[String],
) -> StepEnd {
    let role = &step.role;
    let request = ChatRequest {
        messages: vec![
            Message::new(Speaker::System, role.prompt.clone()),
            Message::new(Speaker::User, step.brief.clone()),
        ],
        params: job.params.clone(),
    };
    let started = Utc::now();
    // A headless chain never runs a role twice, so the chain and the role name the run.
    let key = format!("{chain_id}:{}", role.id);
    // Shared by every piece of the answer rather than copied for each.
    let delta_key: std::sync::Arc<str> = key.as_str().into();
    let recorder = Recorder {
        log: job.audit_log.as_ref(),
        role: &role.id,
        chain_id,
        sessions: sessions.map(|w| (w, key.clone())),
    };
    let keep = |record: Record| {
        if let Some(writer) = sessions {
            writer.send(record);
        }
    };
    let ended = |status: &str,
                 finish: Option<&FinishReason>,
                 usage: Option<Usage>,
                 decision: Option<serde_json::Value>,
                 first_token: Option<chrono::DateTime<Utc>>| {
        keep(Record::Ended {
            key: key.clone(),
            end: RunEnd {
                status: status.into(),
                finish_reason: finish.map(|f| f.as_wire().to_string()),
                usage,
                decision,
                first_token_at: first_token,
                completed_at: Utc::now(),
            },
        })
    };
    keep(Record::Started(Box::new(NewRun {
        key: key.clone(),
        session_id: chain_id.to_string(),
        chain_id: chain_id.to_string(),
        parent_id: step.parent_id.clone(),
        role_id: role.id.clone(),
        prompt_sha256: role.prompt_sha256(),
        provider: provider.info(),
        parameters: job.params.clone(),
        brief: step.brief.clone(),
        attempt: 1,
        feedback: None,
        reviewer: format!("policy:{}", job.approval.name()),
        started_at: started,
    })));
    recorder.record("run_started", serde_json::json!({ "provider": provider.info(), "parameters": job.params, "prompt_sha256": role.prompt_sha256(), "brief_sha256": sha256_hex(&step.brief), "mode": "headless", "parent_id": step.parent_id }));
    let (tx, mut rx) = unbounded_channel();
    let handle = provider.start(request, crate::provider::EventSink::new(0, tx));
    let stdout = std::io::stdout();
    let to_terminal = stdout.is_terminal();
    let mut out = stdout.lock();
    let mut text = String::new();
    let mut first_token = None;
    let mut usage: Option<Usage> = None;
    let mut reasoning = 0usize;
    let finish: FinishReason = loop {
        let event = tokio::select! {
            event = rx.recv() => event.map(|(_, event)| event),
            signal = interrupt.recv() => {
                handle.cancel();
                let _ = out.flush();
                // What was printed is what is kept: every piece went to the store before it was
                // printed, and the store is closed (flushed) before the process ends.
                ended("interrupted", None, usage, None, first_token);
                recorder.record(
                    "run_interrupted",
                    serde_json::json!({ "signal": signal.name(), "bytes_kept": text.len(), "sha256_kept": sha256_hex(&text) }),
                );
                crate::tell!(
                    "\narchbench: {} ({}); the {} bytes printed are kept (archbench sessions list) and nothing was handed off",
                    signal.describe(),
                    signal.name(),
                    text.len()
                );
                return StepEnd::Exit(signal.exit_code());
            }
        };
        match event {
            Some(AgentEvent::Delta(piece)) => {
                first_token.get_or_insert_with(Utc::now);
                text.push_str(&piece);
                keep(Record::Delta {
                    key: delta_key.clone(),
                    text: piece.clone(),
                });
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
            // Reasoning is not the answer: never printed as it, never parsed.
            Some(AgentEvent::Reasoning(thought)) => reasoning += thought.len(),
            Some(AgentEvent::Retrying {
                try_number,
                of,
                wait,
                why,
            }) => crate::tell!(
                "archbench: {why}: trying again in {:.1} s (try {try_number} of {of})",
                wait.as_secs_f64()
            ),
            Some(AgentEvent::Started { .. }) => {}
            // Told once, when reading starts: a pipeline's log shows what the wait was.
            Some(AgentEvent::Reading { read, total, kept }) if read == kept => {
                if kept > 0 {
                    crate::tell!("archbench: reading the prompt: {total} tokens, {kept} of them kept from an earlier run");
                } else {
                    crate::tell!("archbench: reading the prompt: {total} tokens");
                }
            }
            Some(AgentEvent::Reading { .. }) => {}
            Some(AgentEvent::Finished(reason)) => break reason,
            Some(AgentEvent::Failed(error)) => {
                let _ = out.flush();
                // The message may quote the server's reply: untrusted text too.
                crate::tell!("\narchbench: {error}");
                ended("failed", None, usage, None, first_token);
                recorder.record(
                    "run_failed",
                    serde_json::json!({ "error": error.to_string(), "bytes_kept": text.len() }),
                );
                return StepEnd::Exit(exit::PROVIDER);
            }
            None => {
                ended("failed", None, usage, None, first_token);
                crate::tell!("\narchbench: the provider stopped without finishing the answer");
                return StepEnd::Exit(exit::PROVIDER);
            }
        }
    };
    if !job.json && !text.ends_with('\n') {
        let _ = writeln!(out);
    }
    if reasoning > 0 {
        crate::tell!("archbench: the model reasoned for {reasoning} bytes first (kept apart, not part of the answer)");
    }
    drop(out);
    let completed = Utc::now();
    let decision = parse_decision(&text, &role.routes);
    ended(
        "complete",
        Some(&finish),
        usage,
        serde_json::to_value(&decision).ok(),
        first_token,
    );
    recorder.record("answer_complete", serde_json::json!({ "finish_reason": finish, "response_sha256": sha256_hex(&text), "usage": usage, "bytes": text.len() }));
    recorder.record(
        "decision_parsed",
        serde_json::to_value(&decision).unwrap_or_default(),
    );
    let candidates: Vec<&str> = decision.candidates.iter().map(String::as_str).collect();
    let raw = decision.raw_line.as_deref().unwrap_or_default();
    crate::tell!(
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
        crate::tell!("archbench: the answer was cut off at the token limit");
    }
    let check = match &job.checker {
        Some(checker) => Some(checked(checker, &text, &step.brief, &recorder).await),
        None => None,
    };
    let failed_check = check
        .as_ref()
        .filter(|r| !r.errors.is_empty() || r.not_applied.is_some() || r.not_run > 0);
    let (chosen, action, decided_by) = match &job.approval {
        Approval::Never => {
            crate::tell!("archbench: --approve never: nothing handed off");
            recorder.record(
                "review_action",
                serde_json::json!({ "action": "policy", "policy": "never" }),
            );
            return StepEnd::Exit(exit::OK);
        }
        Approval::Agent => {
            let unique = decision
                .unique_candidate()
                .and_then(|id| role.routes.iter().find(|o| o.id == id));
            if let Some(report) = failed_check {
                crate::tell!("archbench: --approve agent hands off only an answer whose SQL applied ({}): a person must decide", report.summary());
                recorder.record("review_action", serde_json::json!({ "action": "policy", "policy": "agent", "outcome": "needs a person", "why": "the SQL check failed" }));
                return StepEnd::Exit(exit::SQL_FAILED);
            }
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
                    crate::tell!("archbench: {why}: a person must decide (run the workbench, or pass --approve TARGET)");
                    recorder.record("review_action", serde_json::json!({ "action": "policy", "policy": "agent", "outcome": "needs a person", "why": why }));
                    return StepEnd::Exit(exit::NEEDS_PERSON);
                }
            }
        }
        Approval::Route(option) => (option.clone(), ReviewAction::Policy, DecidedBy::Policy),
        Approval::Inbox => {
            // The answer as it arrived: what the reviewer will read, and what the handoff names.
            let arrived = sha256_hex(&text);
            let review = crate::store::deferred::DeferredReview {
                format: crate::store::deferred::FORMAT.into(),
                id: uuid::Uuid::now_v7().to_string(),
                saved_at: completed,
                reviewer: job.reviewer.clone(),
                chain_id: chain_id.to_string(),
                parent_id: step.parent_id.clone(),
                breadcrumb: breadcrumb.to_vec(),
                role_id: role.id.clone(),
                role_prompt_sha256: role.prompt_sha256(),
                provider: provider.info(),
                parameters: job.params.clone(),
                brief: step.brief.clone(),
                selected_option: decision.unique_candidate().map(str::to_string),
                attempts: vec![crate::store::deferred::SavedAttempt {
                    number: 1,
                    feedback: None,
                    text,
                    phase: crate::store::deferred::SavedPhase::Complete(finish),
                    model: Some(provider.info().model),
                    usage,
                    decision: Some(decision),
                    reviewed_sha256: Some(arrived),
                    started_at: started,
                    first_token_at: first_token,
                    completed_at: Some(completed),
                    reask: None,
                    comments: Vec::new(),
                }],
                payload_brief: None,
            };
            let check = check.as_ref().map(crate::check::Report::summary);
            return inbox::leave_pending(job, &review, check, &recorder).await;
        }
    };
    let sha = sha256_hex(&text);
    recorder.record("review_action", serde_json::json!({ "action": "policy", "policy": job.approval.name(), "option_id": chosen.id, "target": chosen.target, "decided_by": decided_by }));
    let request = HandoffRequest {
        chain_id: chain_id.to_string(),
        parent_id: step.parent_id.clone(),
        role: RoleRef {
            id: role.id.clone(),
            title: role.title.clone(),
            prompt_sha256: role.prompt_sha256(),
        },
        provider: provider.info(),
        parameters: job.params.clone(),
        brief: step.brief.clone(),
        response: text,
        seen_sha256: sha.clone(),
        finish_reason: Some(finish.clone()),
        usage,
        options: role.routes.clone(),
        decision,
        reviewer: job.reviewer.clone(),
        action,
        chosen,
        reason: None,
        target_known: true,
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
        reask: None,
        payload_brief: None,
        check: check.map(|report| {
            let formats = job
                .checker
                .as_ref()
                .map_or(&[][..], |c| &c.settings.envelope_schema);
            let with_errors = !report.errors.is_empty();
            crate::routing::CheckRecord::new(report, with_errors, formats)
        }),
        // Nobody read it: no comments, no checklist marked.
        notes: Default::default(),
    };
    let envelope = match Envelope::build(request, uuid::Uuid::now_v7().to_string(), Utc::now()) {
        Ok(envelope) => envelope,
        Err(e) => {
            crate::tell!("archbench: {e}");
            return StepEnd::Exit(exit::PROVIDER);
        }
    };
    let sinks = job.sinks.for_role(&role.id);
    // The chain's guards decide before anything is written: a handoff that would open a role
    // past the depth limit, or one the chain already ran, is left to a person.
    let target = &envelope.route.target;
    if sinks.contains(&SinkSpec::Chain) && target != "end" && job.roles.get(target).is_some() {
        let depth = breadcrumb.len();
        let stop = if depth >= job.sinks.max_chain_depth {
            Some((
                format!("the chain is {depth} roles deep, its limit (handoff.max_chain_depth): nothing is handed off to {target}"),
                "max_chain_depth",
            ))
        } else if breadcrumb.contains(target) {
            Some((
                format!("the chain would run {target} again ({}); a person must confirm a revisit, so nothing is handed off: continue in the workbench", breadcrumb.join(" → ")),
                "revisit needs a person",
            ))
        } else {
            None
        };
        if let Some((message, why)) = stop {
            crate::tell!("archbench: {message}");
            recorder.record(
                "chain_stopped",
                serde_json::json!({ "target": target, "depth": depth, "why": why }),
            );
            return StepEnd::Exit(exit::NEEDS_PERSON);
        }
    }
    let ledger = crate::store::ledger::Ledger::new(&job.sessions).with_audit(job.audit_log.clone());
    let delivered = match crate::sink::deliver(
        &envelope,
        &ledger,
        &job.outbox,
        sinks,
        &job.sinks.options,
        true,
    )
    .await
    {
        Ok(delivered) => delivered,
        Err(crate::sink::HandoffError::Settled(outcome)) => {
            crate::tell!(
                "archbench: refused: this answer was already {}",
                outcome.describe()
            );
            recorder.record("handoff_refused", serde_json::json!({ "target": envelope.route.target, "why": "already settled", "settled": outcome }));
            return StepEnd::Exit(exit::ALREADY_SETTLED);
        }
        // A headless run hands off no review of the inbox: it has no claim to lose.
        Err(crate::sink::HandoffError::ClaimLost(why)) => {
            crate::tell!("archbench: refused: the review is {why}");
            return StepEnd::Exit(exit::ALREADY_SETTLED);
        }
        Err(crate::sink::HandoffError::Unrecorded(e)) => {
            AUDIT_FAILED.store(true, std::sync::atomic::Ordering::SeqCst);
            crate::tell!("archbench: {e}; nothing was handed off");
            return StepEnd::Exit(exit::AUDIT_FAILED);
        }
        Err(crate::sink::HandoffError::Failed(e) | crate::sink::HandoffError::Queued(e)) => {
            crate::tell!("archbench: {e}; nothing was handed off");
            recorder.record("handoff_failed", serde_json::json!({ "target": envelope.route.target, "error": e, "sink": "outbox" }));
            return StepEnd::Exit(exit::STORAGE);
        }
    };
    crate::tell!(
        "archbench: handed off to {}: {}",
        envelope.route.target,
        delivered.path.display()
    );
    for result in &delivered.results {
        match &result.outcome {
            Ok(detail) => {
                if result.sink != "outbox" {
                    crate::tell!("archbench: {}: {detail}", result.sink);
                }
                recorder.record("handoff_sent", serde_json::json!({ "target": envelope.route.target, "path": delivered.path, "sink": result.sink, "envelope_id": envelope.id, "detail": detail }));
            }
            Err(error) => {
                crate::tell!("archbench: {}: {error}", result.sink);
                recorder.record("handoff_failed", serde_json::json!({ "target": envelope.route.target, "path": delivered.path, "sink": result.sink, "envelope_id": envelope.id, "error": error, "pending": result.pending }));
            }
        }
    }
    let all_delivered = delivered.failures().next().is_none();
    StepEnd::HandedOff {
        envelope: Box::new(envelope),
        all_delivered,
    }
}

/// The signals that end a headless run cleanly: Ctrl-C, a closed terminal or ssh session, and
/// `kill` (or a CI job's timeout). Each is kept until it is read.
struct Interrupt {
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

/// Which signal ended the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Interrupt,
    Hangup,
    Terminate,
}

impl Stop {
    fn name(self) -> &'static str {
        match self {
            Self::Interrupt => "SIGINT",
            Self::Hangup => "SIGHUP",
            Self::Terminate => "SIGTERM",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Interrupt => "interrupted",
            Self::Hangup => "the terminal hung up",
            Self::Terminate => "terminated",
        }
    }

    /// 128 + the signal's number, as shells report a process the signal killed.
    fn exit_code(self) -> i32 {
        match self {
            Self::Interrupt => exit::INTERRUPTED,
            Self::Hangup => exit::HANGUP,
            Self::Terminate => exit::TERMINATED,
        }
    }
}

impl Interrupt {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    async fn recv(&mut self) -> Stop {
        tokio::select! {
            _ = self.int.recv() => Stop::Interrupt,
            _ = self.hup.recv() => Stop::Hangup,
            _ = self.term.recv() => Stop::Terminate,
        }
    }
}

/// `run --check`: the answer's SQL checked, the summary and each error told on standard error,
/// the check recorded in the audit log and the session store.
async fn checked(
    checker: &crate::check::Checker,
    text: &str,
    brief: &str,
    recorder: &Recorder<'_>,
) -> crate::check::Report {
    let report = checker
        .check(text, Some(brief), crate::check::Progress::default())
        .await;
    crate::tell!("archbench: {}", report.summary());
    if let Some(why) = &report.not_applied {
        crate::tell!("archbench: the SQL was not applied: {why}");
    }
    for e in &report.errors {
        crate::tell!(
            "archbench: line {}:{} {} {}",
            e.line,
            e.column,
            e.sqlstate,
            e.message
        );
    }
    recorder.record("sql_checked", report.record());
    report
}
