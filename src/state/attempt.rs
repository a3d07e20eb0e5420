//! One attempt of a chain step: the answer as it streams, its phase, usage and times.

use crate::provider::{FinishReason, Usage};
use crate::render::{AnswerDoc, MdStyles};
use crate::routing::Decision;
use chrono::{DateTime, Utc};

/// Where an attempt's answer stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Sent; no token yet (the local model may be loading).
    Waiting,
    /// Tokens are arriving.
    Streaming,
    /// The model ended its answer.
    Complete(FinishReason),
    /// The reviewer stopped it; the partial answer stays.
    Cancelled,
    /// The provider failed; the partial answer stays.
    Failed(String),
}

impl Phase {
    pub fn is_live(&self) -> bool {
        matches!(self, Self::Waiting | Self::Streaming)
    }
}

pub struct Attempt {
    pub number: u32,
    pub run_id: u64,
    /// The feedback that asked for this attempt (none for the first).
    pub feedback: Option<String>,
    pub doc: AnswerDoc,
    pub phase: Phase,
    pub model: Option<String>,
    pub usage: Option<Usage>,
    pub decision: Option<Decision>,
    /// sha256 of the answer when it completed: what the reviewer is shown and approves.
    pub reviewed_sha256: Option<String>,
    pub started_at: DateTime<Utc>,
    pub first_token_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    /// The agent was asked again for its decision line (the answer itself is unchanged).
    pub reask: Option<Reask>,
    /// The model's reasoning, apart from the answer: shown on request, never parsed.
    pub reasoning: String,
    /// Pieces of the answer received (about one token each), for the rate while it streams.
    pub pieces: u32,
    /// The run's name in the session store, made once when it starts (each piece of the answer
    /// is recorded under it).
    pub store_key: Option<std::sync::Arc<str>>,
    /// The server refused a try; the next starts at `until`.
    pub retry: Option<RetryWait>,
    /// The SQL check of this answer (none: not asked for).
    pub check: Option<super::checks::SqlCheck>,
    /// The answer is byte for byte the one before it: the feedback changed nothing.
    pub same_as_previous: bool,
    /// The reviewer's comments on its lines and sections (and those of anyone following).
    pub comments: Vec<crate::review::comments::Comment>,
}

/// A refused try being waited out (the status line counts it down; Esc cancels the run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryWait {
    pub until: DateTime<Utc>,
    pub try_number: u32,
    pub of: u32,
    pub why: String,
}

/// Asking the agent again for the decision line only. Its reply is kept apart from the answer:
/// the answer the reviewer approves does not change, only the decision read for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reask {
    pub run_id: u64,
    pub prompt: String,
    pub reply: String,
    pub phase: Phase,
    /// The decision the answer itself gave.
    pub original: Decision,
}

impl Attempt {
    pub fn new(
        number: u32,
        run_id: u64,
        feedback: Option<String>,
        styles: MdStyles,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            number,
            run_id,
            feedback,
            doc: AnswerDoc::new(styles),
            phase: Phase::Waiting,
            model: None,
            usage: None,
            decision: None,
            reviewed_sha256: None,
            started_at: at,
            first_token_at: None,
            completed_at: None,
            reask: None,
            reasoning: String::new(),
            pieces: 0,
            store_key: None,
            retry: None,
            check: None,
            same_as_previous: false,
            comments: Vec::new(),
        }
    }

    pub fn text(&self) -> &str {
        self.doc.text()
    }
}
