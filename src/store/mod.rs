//! What archbench writes to disk.

pub mod audit;
pub mod audit_writer;
pub mod deferred;
pub mod draft;
pub mod follow;
pub mod inbox;
pub mod ledger;
pub mod outbox;
pub mod outcomes;
mod schema;
pub mod sessions;
pub mod writer;
