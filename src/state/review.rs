//! The reviewer's side: which option is chosen, the feedback being written, the brief the next
//! role will receive, the handoff.

use ratatui_textarea::TextArea;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReviewMode {
    /// Choosing a route.
    #[default]
    Choosing,
    /// Writing feedback for a revision.
    Feedback,
    /// Editing the brief the next role will receive.
    EditPayload,
}

/// Where the handoff stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandoffStatus {
    /// Sent to the effect runner, not yet written.
    Sending { target: String },
    /// Written to the outbox (and delivered to the other sinks, or left pending there).
    Written {
        target: String,
        path: PathBuf,
        envelope_id: String,
    },
    /// The reviewer rejected the answer: nothing is handed off and the chain stops.
    Rejected { reason: Option<String> },
    /// Being saved for later.
    Deferring,
    /// Saved for later: `archbench resume` continues it.
    Deferred { id: String, path: PathBuf },
    /// The answer was settled before, elsewhere (another workbench, an earlier session, a
    /// headless run): the session store refused to settle it again.
    Settled(Box<crate::store::outcomes::Outcome>),
    /// Approved while the team store could not be reached: the handoff waits on this machine and
    /// is made once the store settles the review.
    Queued { target: String },
}

impl HandoffStatus {
    /// The answer's step is over: handed off or rejected, here or elsewhere (a deferral is not).
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Written { .. } | Self::Rejected { .. } | Self::Settled(_) | Self::Queued { .. }
        )
    }

    /// The review of this answer is over in this session (handed off, rejected or deferred).
    pub fn is_settled(&self) -> bool {
        matches!(
            self,
            Self::Written { .. }
                | Self::Rejected { .. }
                | Self::Deferred { .. }
                | Self::Settled(_)
                | Self::Queued { .. }
        )
    }
}

#[derive(Default)]
pub struct Review {
    /// Index of the chosen option.
    pub selected: Option<usize>,
    pub mode: ReviewMode,
    pub feedback: TextArea<'static>,
    /// The editor of the next role's brief, while it is open.
    pub payload_editor: TextArea<'static>,
    /// The brief the next role receives, when the reviewer edited the composed one.
    pub payload: Option<String>,
    pub handoff: Option<HandoffStatus>,
    /// The brief's requirements, as the reviewer marks them.
    pub checklist: Vec<crate::review::checklist::Item>,
}

impl Review {
    /// The review of the answer on screen is over: handed off, rejected or deferred.
    pub fn settled(&self) -> bool {
        self.handoff.as_ref().is_some_and(HandoffStatus::is_settled)
    }
}

/// The next step of the chain, waiting for the reviewer to confirm a revisit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextStep {
    pub role: String,
    pub brief: String,
    pub parent_id: String,
}
