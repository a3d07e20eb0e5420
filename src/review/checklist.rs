//! The brief's requirements as a checklist: each list item or numbered item of the brief is a
//! line the reviewer marks met, not met or not applicable while reading the answer (and may
//! reword, or add to). Unmet items go back to the agent with a revision; the list goes into the
//! envelope as it stood at the handoff.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// Not looked at yet.
    #[default]
    Open,
    Met,
    NotMet,
    NotApplicable,
}

impl Mark {
    /// The box the list shows.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Open => "[ ]",
            Self::Met => "[✓]",
            Self::NotMet => "[✗]",
            Self::NotApplicable => "[–]",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub text: String,
    pub mark: Mark,
    /// Written by the reviewer, not read from the brief.
    pub added: bool,
}

impl Item {
    pub fn new(text: &str, added: bool) -> Self {
        Self {
            text: text.trim().to_string(),
            mark: Mark::Open,
            added,
        }
    }
}

/// The requirements of `brief`: its bulleted (`-`, `*`, `+`) and numbered (`1.`, `1)`) items,
/// outside code blocks, in order.
pub fn from_brief(brief: &str) -> Vec<Item> {
    let mut fenced = false;
    let mut items = Vec::new();
    for line in brief.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        if let Some(text) = item_text(trimmed) {
            let clean = crate::sanitize::sanitize_line(text);
            if !clean.trim().is_empty() {
                items.push(Item::new(&clean, false));
            }
        }
    }
    items
}

/// The text of a list item, without its marker.
fn item_text(line: &str) -> Option<&str> {
    if let Some(rest) = line
        .strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))
        .or_else(|| line.strip_prefix("+ "))
    {
        // A task-list box written in the brief is not part of the requirement.
        let rest = rest.trim_start();
        let rest = ["[ ] ", "[x] ", "[X] "]
            .iter()
            .find_map(|b| rest.strip_prefix(b))
            .unwrap_or(rest);
        return Some(rest);
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let rest = &line[digits..];
    rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") "))
}

/// Every requirement is met or does not apply: nothing left for the reviewer or the agent.
pub fn done(items: &[Item]) -> bool {
    items
        .iter()
        .all(|i| matches!(i.mark, Mark::Met | Mark::NotApplicable))
}

/// "checklist 3/5 met, 1 not met, 1 open": how far the review of the brief has got.
pub fn summary(items: &[Item]) -> String {
    let count = |m: Mark| items.iter().filter(|i| i.mark == m).count();
    let applicable = items.len() - count(Mark::NotApplicable);
    let mut text = format!("checklist {}/{applicable} met", count(Mark::Met));
    for (mark, word) in [(Mark::NotMet, "not met"), (Mark::Open, "open")] {
        if count(mark) > 0 {
            text.push_str(&format!(", {} {word}", count(mark)));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_and_numbered_items_become_requirements() {
        let brief = "# Orders\n\nWe need:\n\n- 340 tenants\n* RPO 5 min\n+ [ ] audit trail\n\
                     1. p99 read under 20 ms\n2) EU residency\n\n```\n- not this\n```\n\
                     2024. a year, not an item\n-not an item\n";
        let texts: Vec<String> = from_brief(brief).into_iter().map(|i| i.text).collect();
        assert_eq!(
            texts,
            [
                "340 tenants",
                "RPO 5 min",
                "audit trail",
                "p99 read under 20 ms",
                "EU residency"
            ]
        );
    }

    #[test]
    fn control_characters_in_the_brief_do_not_reach_the_list() {
        let items = from_brief("- evil \u{1b}[2J item\n");
        assert!(!items[0].text.contains('\u{1b}'));
    }

    #[test]
    fn the_summary_counts_what_applies() {
        let mut items = from_brief("- a\n- b\n- c\n- d\n");
        items[0].mark = Mark::Met;
        items[1].mark = Mark::NotMet;
        items[2].mark = Mark::NotApplicable;
        assert_eq!(summary(&items), "checklist 1/3 met, 1 not met, 1 open");
        assert!(!done(&items), "an item not met and one open are left");
        items[1].mark = Mark::Met;
        items[3].mark = Mark::NotApplicable;
        assert!(done(&items));
    }
}
