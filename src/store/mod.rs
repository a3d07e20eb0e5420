//! What archbench writes to disk.

pub mod audit;
pub mod outbox;
