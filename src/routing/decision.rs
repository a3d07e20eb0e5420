//! Reading the agent's `DECISION:` line exactly as `HANDOFF.md`'s table says.

use crate::role::RouteOption;
use serde::{Deserialize, Serialize};

/// What the decision line says about the route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionStatus {
    /// The line names exactly one option (its full text, or a target only it has).
    Unique,
    /// The line names only a label several options share, e.g. `DECISION: completed`.
    Ambiguous,
    /// The line names nothing the role offers.
    Invalid,
    /// The response has no DECISION line.
    Missing,
    /// A DECISION line exists but is not the last non-empty line.
    Misplaced,
}

impl DecisionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unique => "unique",
            Self::Ambiguous => "ambiguous",
            Self::Invalid => "invalid",
            Self::Missing => "missing",
            Self::Misplaced => "misplaced",
        }
    }
}

/// The agent's decision as parsed from its response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub status: DecisionStatus,
    /// The DECISION line as written (trimmed); `None` when missing.
    pub raw_line: Option<String>,
    /// 1-based line number of that line in the response.
    pub line_number: Option<usize>,
    /// Ids of the options the line matches.
    pub candidates: Vec<String>,
    /// More than one DECISION line: the last counts, and the response is flagged.
    pub multiple: bool,
}

impl Decision {
    /// The single option the agent chose, when there is exactly one candidate.
    pub fn unique_candidate(&self) -> Option<&str> {
        (self.status == DecisionStatus::Unique)
            .then(|| self.candidates.first().map(String::as_str))
            .flatten()
    }
}

const KEYWORD: &str = "decision:";

/// Parses the decision of `response` against the role's `options`.
pub fn parse_decision(response: &str, options: &[RouteOption]) -> Decision {
    let lines: Vec<&str> = response.lines().collect();
    let last_meaningful = lines.iter().rposition(|l| !is_ignorable_trailer(l));
    let decision_lines: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| decision_value(l).is_some())
        .map(|(i, _)| i)
        .collect();
    let Some(&index) = decision_lines.last() else {
        return Decision {
            status: DecisionStatus::Missing,
            raw_line: None,
            line_number: None,
            candidates: Vec::new(),
            multiple: false,
        };
    };
    let value = decision_value(lines[index]).unwrap_or_default();
    let (status, candidates) = match_value(&value, options);
    let status = if Some(index) == last_meaningful {
        status
    } else {
        DecisionStatus::Misplaced
    };
    Decision {
        status,
        raw_line: Some(lines[index].trim().to_string()),
        line_number: Some(index + 1),
        candidates,
        multiple: decision_lines.len() > 1,
    }
}

/// Blank lines and a closing code fence after the decision do not count as "after" it.
fn is_ignorable_trailer(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.chars().all(|c| c == '`' || c == '~')
}

/// Characters models wrap a decision in: bold, code, brackets, quotes.
fn strip_decoration(s: &str) -> &str {
    s.trim_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '*' | '_' | '`' | '[' | ']' | '"' | '\'' | '<' | '>' | '.' | '#'
            )
    })
}

/// The value after `DECISION:` when `line` is a decision line.
fn decision_value(line: &str) -> Option<String> {
    let cleaned = line.trim().trim_start_matches(['-', '>', ' ']);
    let cleaned = cleaned.trim_start_matches(['*', '_', '`', '[', '#', ' ']);
    let head = cleaned.get(..KEYWORD.len())?;
    if !head.eq_ignore_ascii_case(KEYWORD) {
        return None;
    }
    let rest = &cleaned[KEYWORD.len()..];
    let rest = rest.trim_start_matches(['*', '_', '`', ' ']);
    Some(normalize(strip_decoration(rest)))
}

/// Lowercase, single spaces, so that `Completed:  Go to X` matches `completed: Go to x`.
fn normalize(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn ids<'a>(options: impl Iterator<Item = &'a RouteOption>) -> Vec<String> {
    options.map(|o| o.id.clone()).collect()
}

fn match_value(value: &str, options: &[RouteOption]) -> (DecisionStatus, Vec<String>) {
    if value.is_empty() {
        return (DecisionStatus::Invalid, Vec::new());
    }
    // The full option text.
    let full: Vec<&RouteOption> = options
        .iter()
        .filter(|o| normalize(&o.text) == value)
        .collect();
    if full.len() == 1 {
        return (DecisionStatus::Unique, ids(full.into_iter()));
    }
    // A target name, bare or as `go to <target>` or `<label>: <target>`.
    let target = value.strip_prefix("go to ").unwrap_or(value);
    let target = target
        .rsplit_once(": ")
        .map_or(target, |(_, t)| t.strip_prefix("go to ").unwrap_or(t));
    let by_target: Vec<&RouteOption> = options
        .iter()
        .filter(|o| o.target.to_lowercase() == target)
        .collect();
    match by_target.len() {
        1 => return (DecisionStatus::Unique, ids(by_target.into_iter())),
        n if n > 1 => {
            // The same target listed under several labels: a label in the value may settle it.
            let labelled: Vec<&RouteOption> = by_target
                .iter()
                .copied()
                .filter(|o| value.starts_with(&format!("{}:", o.label.to_lowercase())))
                .collect();
            if labelled.len() == 1 {
                return (DecisionStatus::Unique, ids(labelled.into_iter()));
            }
            return (DecisionStatus::Ambiguous, ids(by_target.into_iter()));
        }
        _ => {}
    }
    // Only a label.
    let label = value.trim_end_matches(':');
    let by_label: Vec<&RouteOption> = options
        .iter()
        .filter(|o| o.label.to_lowercase() == label)
        .collect();
    match by_label.len() {
        0 => (DecisionStatus::Invalid, Vec::new()),
        1 => (DecisionStatus::Unique, ids(by_label.into_iter())),
        _ => (DecisionStatus::Ambiguous, ids(by_label.into_iter())),
    }
}

#[cfg(test)]
#[path = "decision_tests.rs"]
mod tests;
