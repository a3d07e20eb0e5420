//! What archbench writes to disk.

pub mod audit;
pub mod deferred;
pub mod outbox;
