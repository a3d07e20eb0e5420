//! What archbench writes to disk.

pub mod outbox;
