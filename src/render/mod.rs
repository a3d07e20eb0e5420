//! Markdown to styled lines, incrementally: a completed line is parsed and highlighted once and
//! cached; only the open tail is redone. Wrapping to the pane's width is cached per width, and
//! only the visible slice is wrapped for drawing.

pub mod highlight;
mod inline;
mod line;
pub mod markdown;
pub mod style;
mod table;
pub mod view;
pub mod wrap;

pub use line::{LineKind, RenderedLine};
pub use markdown::{AnswerDoc, CodeBlock};
pub use style::MdStyles;
pub use view::WrappedView;
