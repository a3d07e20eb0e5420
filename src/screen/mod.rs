//! What the screen is made of, apart from what the state says: its geometry (the panes' areas, the
//! minimum size), its colours (themes, the terminal's colour depth) and the help overlay's text.
//! The state keeps these; the views draw with them.

pub mod colour;
pub mod help;
pub mod layout;
pub mod theme;
