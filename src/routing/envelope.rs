//! The handoff envelope of `HANDOFF.md`: one JSON document per handoff, `archbench.handoff/1`.
//!
//! [`HandoffRequest`] is what the review decided, built without I/O; [`Envelope::build`] adds the
//! id and the time, and refuses when the response about to be sent is not the one reviewed.

use super::decision::Decision;
use crate::provider::{FinishReason, Params, ProviderInfo, Usage};
use crate::reviewer::Reviewer;
use crate::role::RouteOption;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const SCHEMA: &str = "archbench.handoff/1";

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Who settled the route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    /// A person at the workbench.
    Human,
    /// The agent's unique decision, accepted by the `--approve agent` policy.
    Agent,
    /// A forced route (`--approve TARGET`).
    Policy,
}

/// The reviewer's action, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    /// The agent's own (unique) route.
    Confirm,
    /// Another listed option, or one of several the agent's line matched.
    Choose,
    /// A headless policy.
    Policy,
    /// A role the prompt does not list, with a reason.
    Override,
}

impl ReviewAction {
    /// Its name as the envelope writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirm => "confirm",
            Self::Choose => "choose",
            Self::Policy => "policy",
            Self::Override => "override",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptRecord {
    pub number: u32,
    /// Feedback that started this attempt (none for the first).
    pub feedback: Option<String>,
    pub response_sha256: String,
    pub finish_reason: Option<FinishReason>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleRef {
    pub id: String,
    pub title: String,
    pub prompt_sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timestamps {
    pub run_started: Option<DateTime<Utc>>,
    pub first_token: Option<DateTime<Utc>>,
    pub response_completed: Option<DateTime<Utc>>,
    pub decided: DateTime<Utc>,
    /// Set by [`Envelope::build`].
    pub handed_off: Option<DateTime<Utc>>,
}

/// Everything the review settled, ready to become an envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct HandoffRequest {
    pub chain_id: String,
    pub parent_id: Option<String>,
    pub role: RoleRef,
    pub provider: ProviderInfo,
    pub parameters: Params,
    pub brief: String,
    pub response: String,
    /// sha256 of the response as the reviewer saw it when deciding.
    pub seen_sha256: String,
    pub finish_reason: Option<FinishReason>,
    pub usage: Option<Usage>,
    pub options: Vec<RouteOption>,
    pub decision: Decision,
    pub reviewer: Reviewer,
    pub action: ReviewAction,
    pub chosen: RouteOption,
    /// The reviewer's reason, for an override.
    pub reason: Option<String>,
    /// `false` when an override named a role no role file defines (confirmed twice).
    pub target_known: bool,
    pub decided_by: DecidedBy,
    pub attempts: Vec<AttemptRecord>,
    pub timestamps: Timestamps,
    /// The decision came from asking the agent again for it.
    pub reask: Option<ReaskRecord>,
    /// The brief for the next role as the reviewer edited it (`None`: the composed one).
    pub payload_brief: Option<String>,
    /// The SQL check of the approved answer, when there was one.
    pub check: Option<CheckRecord>,
    /// The reviewer's notes on the approved attempt.
    pub notes: Notes,
}

/// What the reviewer noted on the answer handed off: comments on its lines and sections, and
/// the brief's checklist as it stood.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notes {
    pub comments: Vec<crate::review::comments::Comment>,
    pub checklist: Vec<crate::review::checklist::Item>,
}

/// The SQL check of the answer handed off: its whole report, and whether the reviewer approved
/// despite its errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckRecord {
    #[serde(flatten)]
    pub report: crate::check::Report,
    pub approved_with_errors: bool,
    /// The schema the check built, written out in the formats `[check] envelope_schema` asks
    /// for (none unless asked: the report already says what the SQL did).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<Artifact>,
}

/// A file that travels inside the envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// `schema.mmd`.
    pub name: String,
    pub media_type: String,
    pub content: String,
}

impl CheckRecord {
    /// The one way a check becomes the envelope's record, from the workbench and headless alike.
    pub fn new(
        report: crate::check::Report,
        approved_with_errors: bool,
        schema_formats: &[crate::check::schema::render::Format],
    ) -> CheckRecord {
        let artifacts = match &report.schema {
            Some(Ok(schema)) if !schema.tables.is_empty() => schema_formats
                .iter()
                .map(|f| Artifact {
                    name: f.file_name().to_string(),
                    media_type: f.media_type().to_string(),
                    content: f.render(schema),
                })
                .collect(),
            _ => Vec::new(),
        };
        CheckRecord {
            report,
            approved_with_errors,
            artifacts,
        }
    }
}

/// The agent was asked again, for its decision line only; `decision` is read from its reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaskRecord {
    /// What archbench asked.
    pub prompt: String,
    /// What the agent replied.
    pub reply: String,
    pub reply_sha256: String,
    /// The decision the answer itself gave.
    pub original_decision: Decision,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseRecord {
    pub text: String,
    pub sha256: String,
    pub finish_reason: Option<FinishReason>,
    pub usage: Option<Usage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewRecord {
    pub reviewer: Reviewer,
    pub action: ReviewAction,
    pub option_id: String,
    /// Why the reviewer overrode the listed routes (required for an override).
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteRecord {
    /// The next role, or `end`.
    pub target: String,
    pub option_id: String,
    pub decided_by: DecidedBy,
    /// The route chosen is one the agent's decision line named.
    pub agreed_with_agent: bool,
    /// `false` when an override named a role no role file defines (confirmed twice).
    #[serde(default = "known")]
    pub target_known: bool,
}

fn known() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// The role that receives the work (`end`: none).
    pub role: String,
    /// The brief composed for it, or as the reviewer edited it.
    pub brief: String,
    /// The reviewer edited the composed brief.
    pub edited: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Routing {
    pub options: Vec<RouteOption>,
}

/// The document handed off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub schema: String,
    pub id: String,
    pub chain_id: String,
    pub parent_id: Option<String>,
    pub attempt: u32,
    pub role: RoleRef,
    pub provider: ProviderInfo,
    pub parameters: Params,
    pub brief: String,
    pub response: ResponseRecord,
    pub routing: Routing,
    pub decision: Decision,
    pub review: ReviewRecord,
    pub route: RouteRecord,
    pub payload: Payload,
    pub attempts: Vec<AttemptRecord>,
    /// The re-ask that gave the decision, if the reviewer asked again.
    pub reask: Option<ReaskRecord>,
    pub timestamps: Timestamps,
    /// The audit record of this handoff, so that `audit verify --outbox` finds a log cut or
    /// replaced (none when no audit log is kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<AuditRef>,
    /// The SQL check of the answer (absent when the check is off or found nothing to do).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckRecord>,
    /// The reviewer's comments on the approved attempt (absent: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<crate::review::comments::Comment>,
    /// The brief's checklist as the reviewer marked it (absent: the brief listed none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checklist: Vec<crate::review::checklist::Item>,
}

/// Where an envelope's handoff is in the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRef {
    /// sha256 of the log's first line: which log holds the record.
    pub log: String,
    pub seq: u64,
    /// sha256 of the record's line.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("the answer changed after you reviewed it (reviewed {seen}, now {now}); nothing was sent — review it again")]
    ResponseChanged { seen: String, now: String },
}

impl Envelope {
    /// Builds the envelope, refusing when the response is not the one the reviewer saw.
    pub fn build(
        request: HandoffRequest,
        id: String,
        now: DateTime<Utc>,
    ) -> Result<Self, EnvelopeError> {
        let sha = sha256_hex(&request.response);
        if sha != request.seen_sha256 {
            return Err(EnvelopeError::ResponseChanged {
                seen: short(&request.seen_sha256),
                now: short(&sha),
            });
        }
        let agreed = request.decision.candidates.contains(&request.chosen.id);
        let payload = Payload {
            role: request.chosen.target.clone(),
            edited: request.payload_brief.is_some(),
            brief: request
                .payload_brief
                .clone()
                .unwrap_or_else(|| compose_brief(&request)),
        };
        let mut timestamps = request.timestamps;
        timestamps.handed_off = Some(now);
        Ok(Self {
            schema: SCHEMA.to_string(),
            id,
            chain_id: request.chain_id,
            parent_id: request.parent_id,
            attempt: request.attempts.len().max(1) as u32,
            role: request.role,
            provider: request.provider,
            parameters: request.parameters,
            brief: request.brief,
            response: ResponseRecord {
                text: request.response,
                sha256: sha,
                finish_reason: request.finish_reason,
                usage: request.usage,
            },
            routing: Routing {
                options: request.options,
            },
            decision: request.decision,
            review: ReviewRecord {
                reviewer: request.reviewer,
                action: request.action,
                option_id: request.chosen.id.clone(),
                reason: request.reason.clone(),
                at: timestamps.decided,
            },
            route: RouteRecord {
                target: request.chosen.target,
                option_id: request.chosen.id,
                decided_by: request.decided_by,
                agreed_with_agent: agreed,
                target_known: request.target_known,
            },
            payload,
            attempts: request.attempts,
            reask: request.reask,
            timestamps,
            audit: None,
            check: request.check,
            comments: request.notes.comments,
            checklist: request.notes.checklist,
        })
    }
}

fn short(sha: &str) -> String {
    sha.chars().take(12).collect()
}

/// The brief the next role receives: the original brief, the approved answer (without its
/// routing line, which was meant for archbench), and the reviewer's notes.
pub fn compose_brief(request: &HandoffRequest) -> String {
    // After a re-ask the decision line is in the reply; the answer's own line is the original's.
    let decision = request
        .reask
        .as_ref()
        .map_or(&request.decision, |r| &r.original_decision);
    let notes: Vec<&str> = request
        .attempts
        .iter()
        .filter_map(|a| a.feedback.as_deref())
        .collect();
    let mut brief = compose(
        &request.brief,
        &request.role,
        &request.response,
        decision.line_number,
        &notes,
    );
    if let Some(check) = &request.check {
        brief.push_str(&check_section(&check.report));
    }
    brief
}

/// What the next agent should know of the SQL check: where it ran, and each error.
pub fn check_section(report: &crate::check::Report) -> String {
    if report.errors.is_empty() && report.unavailable.is_empty() {
        return String::new();
    }
    let server = report.server.as_deref().unwrap_or("no server");
    let mut text = format!("\n# SQL check ({server})\n\n{}\n\n", report.summary());
    for e in &report.errors {
        text.push_str(&format!(
            "- line {}:{} {} {}{}\n",
            e.line,
            e.column,
            e.sqlstate,
            e.message,
            e.follows_from
                .map(|l| format!(" (follows from line {l})"))
                .unwrap_or_default()
        ));
    }
    for u in &report.unavailable {
        text.push_str(&format!(
            "- line {}: extension {}: {}\n",
            u.line, u.extension, u.reason
        ));
    }
    text
}

/// [`compose_brief`] from its parts: the workbench composes the default before a request exists.
pub fn compose(
    brief: &str,
    role: &RoleRef,
    response: &str,
    decision_line: Option<usize>,
    notes: &[&str],
) -> String {
    let mut answer: Vec<&str> = response.lines().collect();
    if let Some(n) = decision_line {
        if n >= 1 && n <= answer.len() {
            answer.remove(n - 1);
        }
    }
    let answer = answer.join("\n");
    let mut brief = format!(
        "# Original brief\n\n{}\n\n# Approved answer from {} ({})\n\n{}\n",
        brief.trim_end(),
        role.title,
        role.id,
        answer.trim_end()
    );
    if !notes.is_empty() {
        brief.push_str("\n# Reviewer notes\n\n");
        for note in notes {
            brief.push_str(&format!("- {}\n", note.trim().replace('\n', "\n  ")));
        }
    }
    brief
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::role::RoleBook;
    use crate::routing::parse_decision;
    use chrono::TimeZone;

    #[test]
    fn an_actions_name_is_the_one_the_envelope_writes() {
        use ReviewAction::*;
        for action in [Confirm, Choose, Policy, Override] {
            assert_eq!(serde_json::to_value(action).unwrap(), action.as_str());
        }
    }

    /// A request to hand off `response` along its first route (for tests elsewhere too).
    pub(crate) fn request(response: &str) -> HandoffRequest {
        let role = RoleBook::load(None)
            .unwrap()
            .get("database_architect")
            .unwrap()
            .clone();
        let decision = parse_decision(response, &role.routes);
        HandoffRequest {
            chain_id: "c".into(),
            parent_id: None,
            role: RoleRef {
                id: role.id.clone(),
                title: role.title.clone(),
                prompt_sha256: role.prompt_sha256(),
            },
            provider: ProviderInfo {
                kind: "openai".into(),
                model: "m".into(),
                endpoint: "http://x/v1".into(),
            },
            parameters: Params::default(),
            brief: "Brief.".into(),
            response: response.into(),
            seen_sha256: sha256_hex(response),
            finish_reason: Some(FinishReason::Stop),
            usage: None,
            options: role.routes.clone(),
            decision,
            reviewer: Reviewer {
                name: "r".into(),
                email: None,
                source: "os".into(),
            },
            action: ReviewAction::Confirm,
            chosen: role.routes[0].clone(),
            reason: None,
            target_known: true,
            decided_by: DecidedBy::Human,
            attempts: vec![AttemptRecord {
                number: 1,
                feedback: Some("tighten".into()),
                response_sha256: sha256_hex(response),
                finish_reason: None,
            }],
            timestamps: Timestamps {
                run_started: None,
                first_token: None,
                response_completed: None,
                decided: Utc.timestamp_opt(0, 0).unwrap(),
                handed_off: None,
            },
            reask: None,
            payload_brief: None,
            check: None,
            notes: Notes::default(),
        }
    }

    #[test]
    fn a_response_that_changed_after_review_is_not_sent() {
        let mut r = request("answer\nDECISION: fullstack_developer");
        r.response.push_str(" and more");
        let err = Envelope::build(r, "id".into(), Utc::now()).unwrap_err();
        assert!(err.to_string().contains("changed after you reviewed it"));
    }

    #[test]
    fn the_envelope_carries_the_route_and_the_composed_brief() {
        let e = Envelope::build(
            request("answer\nDECISION: fullstack_developer"),
            "id-1".into(),
            Utc.timestamp_opt(5, 0).unwrap(),
        )
        .unwrap();
        assert_eq!(e.schema, SCHEMA);
        assert_eq!(e.route.target, "fullstack_developer");
        assert!(e.route.agreed_with_agent);
        assert_eq!(
            e.timestamps.handed_off,
            Some(Utc.timestamp_opt(5, 0).unwrap())
        );
        assert_eq!(e.payload.brief, "# Original brief\n\nBrief.\n\n# Approved answer from Database architect (database_architect)\n\nanswer\n\n# Reviewer notes\n\n- tighten\n");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["decision"]["status"], "unique");
        assert_eq!(json["response"]["finish_reason"], "stop");
    }
}
