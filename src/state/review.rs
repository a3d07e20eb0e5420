//! The reviewer's side: which option is chosen, the feedback being written, the handoff.

use ratatui_textarea::TextArea;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReviewMode {
    /// Choosing a route.
    #[default]
    Choosing,
    /// Writing feedback for a revision.
    Feedback,
}

/// Where the handoff stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandoffStatus {
    /// Sent to the effect runner, not yet written.
    Sending { target: String },
    /// Written to the outbox.
    Written { target: String, path: PathBuf },
    /// The reviewer rejected the answer: nothing is handed off and the chain stops.
    Rejected { reason: Option<String> },
}

#[derive(Default)]
pub struct Review {
    /// Index of the chosen option.
    pub selected: Option<usize>,
    pub mode: ReviewMode,
    pub feedback: TextArea<'static>,
    pub handoff: Option<HandoffStatus>,
}
