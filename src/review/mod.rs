//! Reading aids for the reviewer: the outline of the answer and its coverage of the sections the
//! role expects, comments on its lines, the brief's checklist, attempts compared.

pub mod blocks;
pub mod checklist;
pub mod comments;
pub mod compare;
pub mod outline;
pub mod revision;
