//! Routing: reading the agent's decision, and the handoff envelope written when a person approves.

pub mod decision;
pub mod envelope;

pub use decision::{parse_decision, Decision, DecisionStatus};
pub use envelope::{CheckRecord, Envelope, HandoffRequest};

/// The target that ends the chain instead of naming a next role.
pub const END_TARGET: &str = "end";
