//! What to do: returned by [`crate::state::update`] as data and carried out by the effect runner
//! in [`crate::app`], the only code that touches the network, the disk or tasks.

use crate::provider::ChatRequest;
use crate::routing::HandoffRequest;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A watcher's comment on the run `key`, written to the session store it follows for the
    /// reviewer's workbench to pick up.
    ShareComment {
        key: String,
        comment: crate::review::comments::Comment,
    },
    /// Start a provider run; its events come back tagged with `run_id`.
    StartRun { run_id: u64, request: ChatRequest },
    /// Stop a run.
    CancelRun { run_id: u64 },
    /// Build the envelope, check the response hash, write it to the outbox and deliver it to the
    /// sinks; the result comes back as [`crate::event::Event::HandedOff`].
    Handoff {
        request: Box<HandoffRequest>,
        sinks: Vec<crate::sink::SinkSpec>,
    },
    /// Save the review for later; the result comes back as [`crate::event::Event::Deferred`].
    Defer(Box<crate::store::deferred::DeferredReview>),
    /// The resumed review is settled: its saved file is no longer needed.
    ForgetDeferred(std::path::PathBuf),
    /// Put text on the clipboard: OSC 52 to the terminal, and the native clipboard where one exists.
    Copy { text: String, what: String },
    /// Save code blocks into a folder, under names from their sections and languages.
    SaveBlocks {
        blocks: Vec<crate::render::CodeBlock>,
        /// The schema the SQL check built, drawn (file name, contents), saved beside them.
        exports: Vec<(String, String)>,
        dir: std::path::PathBuf,
    },
    /// Write the exported answer to a file.
    Export {
        path: std::path::PathBuf,
        text: String,
    },
    /// Open the brief in the user's editor; the text comes back as
    /// [`crate::event::Event::BriefEdited`].
    EditBrief { text: String },
    /// Highlight code with this syntax theme from now on; then
    /// [`crate::event::Event::SyntaxThemeSet`] comes back.
    SetSyntaxTheme(String),
    /// Ask the current provider which models it offers.
    ListModels,
    /// Build a provider for this choice (its key is read now); the result comes back as
    /// [`crate::event::Event::ProviderBuilt`].
    BuildProvider(crate::provider::choose::Choice),
    /// Run the next runs on this provider (a run already going keeps its own).
    UseProvider(crate::provider::choose::Built),
    /// Read the inbox: the reviews waiting that `Filter` keeps.
    LoadInbox(crate::store::inbox::Filter),
    /// Claim review `id` (none: the oldest waiting, of `role` if given) for `by`, letting go of
    /// any claim held, and read it.
    OpenPending {
        id: Option<String>,
        by: String,
        role: Option<String>,
    },
    /// Settle the review held (rejected, with these words) in the inbox.
    SettlePending(String),
    /// Put the review held back in the inbox.
    ReleasePending,
    /// Put the review held back in the inbox as it now stands (with the comments made on it).
    PutBackPending(Box<crate::store::deferred::DeferredReview>),
    /// Read the latest runs, or those matching `query`, from the session store.
    LoadHistory { query: Option<String> },
    /// Read runs `ids` (for a conversation, every attempt leading to the last id) from the store.
    LoadRuns { ids: Vec<i64>, then: RunsFor },
    /// Save the brief being written as this workbench's draft (atomically, owner-only); once it
    /// is written, the draft it was taken from (left by an earlier workbench) goes.
    SaveDraft {
        owner: crate::store::draft::Owner,
        text: String,
        replaces: Option<std::path::PathBuf>,
    },
    /// Start the SQL check's server now, so it is ready when the answer completes.
    WarmCheckServer,
    /// Check the SQL of run `run_id`'s answer; the report comes back as
    /// [`crate::event::Event::Checked`].
    CheckSql {
        run_id: u64,
        text: String,
        brief: String,
    },
    /// Leave the program.
    Quit,
}

/// What runs are loaded for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunsFor {
    Open,
    Compare,
    /// The conversation that ends with the run, to go on with it in the workbench.
    Continue,
    /// The run's brief, to run again with this role.
    Rerun {
        role: String,
    },
}
