//! The reviewer's comments on lines and sections of an answer, like a code review's: each names
//! the lines it is about and quotes them, so the agent (and the audit log) read what was meant
//! even after the answer changed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a comment is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "on", rename_all = "snake_case")]
pub enum Anchor {
    /// Lines `first..=last` of the answer, counted from 1.
    Lines { first: usize, last: usize },
    /// The section under the heading at `line`.
    Section { line: usize, title: String },
}

impl Anchor {
    /// The first line of the answer the comment is about (where the gutter marks it).
    pub fn line(&self) -> usize {
        match self {
            Self::Lines { first, .. } => *first,
            Self::Section { line, .. } => *line,
        }
    }

    /// "line 12", "lines 12–14", "section “Indexes”": how the comment names its place.
    pub fn label(&self) -> String {
        match self {
            Self::Lines { first, last } if first == last => format!("line {first}"),
            Self::Lines { first, last } => format!("lines {first}–{last}"),
            Self::Section { title, .. } => format!("section “{title}”"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    #[serde(flatten)]
    pub anchor: Anchor,
    /// The lines commented on, as the answer had them.
    pub quote: String,
    pub text: String,
    /// Who wrote it: the reviewer, or someone following with `archbench watch`.
    pub author: String,
    pub at: DateTime<Utc>,
}

/// The comments a run's events leave standing, in the order they were made: the reviewer's
/// (`comment`) and the watchers' (`shared_comment`), less those deleted (`comment_deleted`).
pub fn standing<'e>(
    events: impl IntoIterator<Item = (&'e str, &'e serde_json::Value)>,
) -> Vec<Comment> {
    let mut kept: Vec<Comment> = Vec::new();
    for (kind, data) in events {
        let Ok(comment) = serde_json::from_value::<Comment>(data.clone()) else {
            continue;
        };
        match kind {
            "comment" | "shared_comment" => kept.push(comment),
            "comment_deleted" => {
                if let Some(i) = kept.iter().position(|c| *c == comment) {
                    kept.remove(i);
                }
            }
            _ => {}
        }
    }
    kept
}

/// At most this many lines of the answer are quoted per comment (a section is quoted by its
/// heading): enough to find the place, not a second copy of the answer.
const QUOTED_LINES: usize = 8;

/// The lines `anchor` names in `answer`, as a quotation.
pub fn quote(answer: &str, anchor: &Anchor) -> String {
    let (first, last) = match anchor {
        Anchor::Lines { first, last } => (*first, *last),
        Anchor::Section { line, .. } => (*line, *line),
    };
    let lines: Vec<&str> = answer
        .lines()
        .skip(first.saturating_sub(1))
        .take(last.saturating_sub(first) + 1)
        .collect();
    let mut quoted: Vec<&str> = lines.iter().take(QUOTED_LINES).copied().collect();
    if lines.len() > QUOTED_LINES {
        quoted.push("…");
    }
    quoted.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_is_the_lines_named_and_at_most_eight_of_them() {
        let answer: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let one = Anchor::Lines { first: 3, last: 3 };
        assert_eq!(quote(&answer, &one), "line 3");
        let range = Anchor::Lines { first: 2, last: 4 };
        assert_eq!(quote(&answer, &range), "line 2\nline 3\nline 4");
        let long = Anchor::Lines { first: 1, last: 20 };
        let quoted = quote(&answer, &long);
        assert_eq!(quoted.lines().count(), 9);
        assert!(quoted.ends_with("line 8\n…"));
        let section = Anchor::Section {
            line: 5,
            title: "x".into(),
        };
        assert_eq!(quote(&answer, &section), "line 5");
    }

    #[test]
    fn labels_name_the_place() {
        assert_eq!(Anchor::Lines { first: 4, last: 4 }.label(), "line 4");
        assert_eq!(Anchor::Lines { first: 4, last: 6 }.label(), "lines 4–6");
        let s = Anchor::Section {
            line: 1,
            title: "Indexes".into(),
        };
        assert_eq!(s.label(), "section “Indexes”");
    }
}
