//! What a revision asks of the agent: the reviewer's free text, then each comment with the lines
//! it is about quoted, then the brief's requirements the reviewer marked not met.

use super::checklist::{Item, Mark};
use super::comments::Comment;

/// The message sent to the agent for a revision; empty when there is nothing to send.
pub fn compose(free_text: &str, comments: &[Comment], checklist: &[Item]) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !free_text.trim().is_empty() {
        parts.push(free_text.trim().to_string());
    }
    if !comments.is_empty() {
        let mut text = String::from("Comments on your answer:");
        for comment in comments {
            text.push_str(&format!("\n\nOn {}:\n", comment.anchor.label()));
            for line in comment.quote.lines() {
                text.push_str(&format!("> {line}\n"));
            }
            text.push_str(comment.text.trim());
            text.push_str(&format!(" ({})", comment.author));
        }
        parts.push(text);
    }
    let unmet: Vec<&Item> = checklist
        .iter()
        .filter(|i| i.mark == Mark::NotMet)
        .collect();
    if !unmet.is_empty() {
        let mut text = String::from("Requirements of the brief the answer does not meet yet:");
        for item in unmet {
            text.push_str(&format!("\n- {}", item.text));
        }
        parts.push(text);
    }
    parts.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::comments::Anchor;

    #[test]
    fn free_text_comments_quoted_and_unmet_items_in_order() {
        let comment = Comment {
            anchor: Anchor::Lines { first: 3, last: 4 },
            quote: "CREATE INDEX a ON t (x);\nCREATE INDEX b ON t (y);".into(),
            text: "b duplicates a's use".into(),
            author: "ana".into(),
            at: chrono::DateTime::UNIX_EPOCH,
        };
        let mut items = super::super::checklist::from_brief("- 340 tenants\n- RPO 5 min\n");
        items[1].mark = Mark::NotMet;
        let text = compose("Shorter, please.", &[comment], &items);
        assert_eq!(
            text,
            "Shorter, please.\n\nComments on your answer:\n\nOn lines 3–4:\n\
             > CREATE INDEX a ON t (x);\n> CREATE INDEX b ON t (y);\n\
             b duplicates a's use (ana)\n\n\
             Requirements of the brief the answer does not meet yet:\n- RPO 5 min"
        );
    }

    #[test]
    fn nothing_to_say_is_empty() {
        assert_eq!(compose("  ", &[], &[]), "");
    }
}
