//! What happened: the inputs of [`crate::state::update`]. Time comes in on the event, so update
//! never reads a clock.

use crate::action::Action;
use crate::provider::AgentEvent;
use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub enum Event {
    /// A key was pressed.
    Key(KeyEvent),
    /// The mouse wheel turned: rows to scroll (negative: up).
    Wheel(i32),
    /// Text was pasted (bracketed paste): it goes into the editor as one edit.
    Paste(String),
    /// The terminal changed size.
    Resize { width: u16, height: u16 },
    /// A provider reported progress on run `run_id` (events of a cancelled run are ignored).
    Agent { run_id: u64, event: AgentEvent },
    /// The handoff was delivered (or the outbox could not be written: nothing was handed off).
    HandedOff(Result<crate::sink::Delivered, crate::sink::HandoffError>),
    /// The review was saved for later: its id and file (or why not).
    Deferred(Result<(String, PathBuf), String>),
    /// An action asked for without a key (the `--run` flag).
    Action(Action),
    /// Someone following the session commented on the run `key`.
    CommentShared {
        key: String,
        comment: crate::review::comments::Comment,
    },
    /// A copy, save or export finished: what to tell the user.
    Reported(Result<String, String>),
    /// The inbox's list arrived (or why not).
    InboxLoaded(Result<Vec<crate::store::inbox::Row>, String>),
    /// A review of the inbox was claimed and read; `None`: none waits.
    PendingOpened(Result<Option<Box<crate::state::inbox::Opened>>, String>),
    /// The inbox changed (a review was left in it, or taken): read it again if it is open.
    InboxChanged,
    /// The claim on the review held was lost (another holds it now, in these words).
    ClaimLost(String),
    /// The history list arrived from the session store (or why not).
    HistoryLoaded(Result<Vec<crate::store::sessions::RunSummary>, String>),
    /// Runs arrived from the session store, for `then`; `chain_id` is fresh, for a brief that
    /// starts a new chain.
    RunsLoaded {
        then: crate::effect::RunsFor,
        result: Result<Vec<crate::store::sessions::RunDetail>, String>,
        chain_id: String,
    },
    /// The brief came back from the external editor (or why not).
    BriefEdited(Result<String, String>),
    /// What the watched session did since the last look (`archbench watch`).
    Watched(crate::store::follow::Watch),
    /// The code theme was set: the answers can be rendered again.
    SyntaxThemeSet(Result<(), String>),
    /// The current provider's list of models arrived (or why not).
    ModelsListed(Result<Vec<String>, String>),
    /// A provider was built for the model picker's choice (or why not).
    ProviderBuilt(Result<crate::provider::choose::Built, String>),
    /// The SQL check of run `run_id`'s answer has applied `done` of its `total` statements.
    CheckProgress {
        run_id: u64,
        done: usize,
        total: usize,
    },
    /// The SQL check of run `run_id`'s answer finished.
    Checked {
        run_id: u64,
        report: Box<crate::check::Report>,
    },
    /// A second passed while something is counted down (a retry's wait).
    Tick,
    /// The brief changed a moment ago: time to save the draft (the loop waits a little so a burst
    /// of typing costs one write).
    DraftDue,
}

/// An event and when it happened.
#[derive(Debug, Clone)]
pub struct Timed {
    pub at: DateTime<Utc>,
    pub event: Event,
}
