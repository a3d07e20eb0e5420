//! Reading aids for the reviewer: the outline of the answer and its coverage of the sections the
//! role expects.

pub mod blocks;
pub mod compare;
pub mod outline;
