//! What to do: returned by [`crate::state::update`] as data and carried out by the effect runner
//! in [`crate::app`], the only code that touches the network, the disk or tasks.

use crate::provider::ChatRequest;
use crate::routing::HandoffRequest;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Start a provider run; its events come back tagged with `run_id`.
    StartRun { run_id: u64, request: ChatRequest },
    /// Stop a run.
    CancelRun { run_id: u64 },
    /// Build the envelope, check the response hash, and write it to the sinks.
    Handoff(Box<HandoffRequest>),
    /// Leave the program.
    Quit,
}
