//! The interactive loop: terminal events, provider events and handoff results go through
//! [`crate::state::update`]; the effects it returns are carried out by the effect runner, the
//! only place that starts runs, writes files or spawns tasks. Frames are coalesced: many deltas
//! between two frames cost one.

mod drive;
mod effects;
mod history;
mod inbox;
mod start;

pub use drive::{drive, Instruments, DRAFT_DELAY};
pub use effects::{EffectRunner, ProviderBuilder, ShareTo, Wiring};
pub use start::{run_tui, run_watch, Opening, Watching};
