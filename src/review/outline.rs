//! The outline: the answer's headings as a tree, each matched to the sections the role's front
//! matter expects, with each expected section pending, streaming, done or missing, and a coverage
//! line such as `6/8 sections — missing: Backup strategy, Analytics architecture`.

use crate::render::markdown::Heading;

/// Where an expected section stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionState {
    /// Not in the answer yet, which is still streaming.
    Pending,
    /// Its heading is the last one so far, and the answer is still streaming.
    Streaming,
    /// Its heading arrived and the answer has moved past it (or ended).
    Done,
    /// The answer ended without it.
    Missing,
}

/// One row of the outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A heading of the answer; `section` is the expected section it covers.
    Heading {
        line: usize,
        level: u8,
        text: String,
        section: Option<(usize, SectionState)>,
    },
    /// An expected section no heading covers (yet).
    Absent {
        section: usize,
        name: String,
        state: SectionState,
    },
}

/// Words of a heading or section name, without numbering, markup or case:
/// `**3. Indexing Strategy:**` and `indexing strategy` both give `indexing strategy`.
pub fn normalize(text: &str) -> String {
    let lowered = text.to_lowercase();
    let words: Vec<&str> = lowered
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    // Leading numbering: `3`, `iv`, `section 3`, `part b`.
    let mut start = 0;
    while start < words.len() {
        let w = words[start];
        let numbering = w.chars().all(|c| c.is_ascii_digit())
            || matches!(
                w,
                "i" | "ii"
                    | "iii"
                    | "iv"
                    | "v"
                    | "vi"
                    | "vii"
                    | "viii"
                    | "ix"
                    | "x"
                    | "section"
                    | "part"
                    | "step"
            );
        if !numbering {
            break;
        }
        start += 1;
    }
    words[start..].join(" ")
}

/// Whether `heading` covers the expected section `name`: the same words, or the heading starts
/// with the section's words (`Data modeling: conceptual and logical`), or the section's first
/// word leads a heading that is a shorter form of it (`Indexing` for `Indexing strategy`).
pub fn covers(heading: &str, name: &str) -> bool {
    let (h, n) = (normalize(heading), normalize(name));
    if h.is_empty() || n.is_empty() {
        return false;
    }
    h == n || h.starts_with(&format!("{n} ")) || (n.starts_with(&format!("{h} ")) && h.len() >= 5)
}

/// Builds the outline from the headings so far and the expected sections.
pub fn build(headings: &[Heading], expected: &[String], live: bool) -> Vec<Item> {
    let mut found: Vec<Option<usize>> = vec![None; expected.len()];
    for (h_index, heading) in headings.iter().enumerate() {
        for (s_index, name) in expected.iter().enumerate() {
            if found[s_index].is_none() && covers(&heading.text, name) {
                found[s_index] = Some(h_index);
                break;
            }
        }
    }
    let last = headings.len().checked_sub(1);
    let state_of = |h_index: usize| {
        if live && Some(h_index) == last {
            SectionState::Streaming
        } else {
            SectionState::Done
        }
    };
    let mut items: Vec<Item> = headings
        .iter()
        .enumerate()
        .map(|(h_index, heading)| Item::Heading {
            line: heading.line,
            level: heading.level,
            text: heading.text.clone(),
            section: found
                .iter()
                .position(|f| *f == Some(h_index))
                .map(|s| (s, state_of(h_index))),
        })
        .collect();
    for (s_index, name) in expected.iter().enumerate() {
        if found[s_index].is_none() {
            let state = if live {
                SectionState::Pending
            } else {
                SectionState::Missing
            };
            items.push(Item::Absent {
                section: s_index,
                name: name.clone(),
                state,
            });
        }
    }
    items
}

/// `items` without the subsections of the headings whose lines are in `folded`.
pub fn unfolded(items: Vec<Item>, folded: &[usize]) -> Vec<Item> {
    let mut hidden_below: Option<u8> = None;
    items
        .into_iter()
        .filter(|item| {
            let Item::Heading { line, level, .. } = item else {
                return true;
            };
            if let Some(fold_level) = hidden_below {
                if *level > fold_level {
                    return false;
                }
                hidden_below = None;
            }
            if folded.contains(line) {
                hidden_below = Some(*level);
            }
            true
        })
        .collect()
}

/// The lines of the headings in `items` that have subsections (only those can fold).
pub fn foldable(items: &[Item]) -> Vec<usize> {
    let headings: Vec<(usize, u8)> = items
        .iter()
        .filter_map(|i| match i {
            Item::Heading { line, level, .. } => Some((*line, *level)),
            _ => None,
        })
        .collect();
    headings
        .windows(2)
        .filter(|w| w[1].1 > w[0].1)
        .map(|w| w[0].0)
        .collect()
}

/// `6/8 sections — missing: Backup strategy, Analytics architecture` (while streaming, the
/// sections not yet seen are `to come`).
pub fn coverage(items: &[Item], expected: usize, live: bool) -> String {
    let covered = items
        .iter()
        .filter(|i| {
            matches!(
                i,
                Item::Heading {
                    section: Some(_),
                    ..
                }
            )
        })
        .count();
    let absent: Vec<&str> = items
        .iter()
        .filter_map(|i| match i {
            Item::Absent { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    if absent.is_empty() {
        return format!("{covered}/{expected} sections");
    }
    let word = if live { "to come" } else { "missing" };
    format!(
        "{covered}/{expected} sections — {word}: {}",
        absent.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headings(texts: &[(u8, &str)]) -> Vec<Heading> {
        texts
            .iter()
            .enumerate()
            .map(|(i, (level, text))| Heading {
                line: i * 10,
                level: *level,
                text: text.to_string(),
            })
            .collect()
    }

    fn expected() -> Vec<String> {
        [
            "Data modeling",
            "Schema design",
            "Indexing strategy",
            "Query optimization",
            "Scalability design",
            "Security framework",
            "Backup strategy",
            "Analytics architecture",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn numbering_markup_and_case_are_ignored() {
        assert_eq!(normalize("**3. Indexing Strategy:**"), "indexing strategy");
        assert_eq!(normalize("Section 2 — SCHEMA DESIGN"), "schema design");
        assert_eq!(normalize("IV) Scalability Design"), "scalability design");
        assert!(covers("1. DATA MODELING", "Data modeling"));
        assert!(covers(
            "Data Modeling: conceptual, logical and physical",
            "Data modeling"
        ));
        assert!(covers("Indexing", "Indexing strategy"));
        assert!(covers("7) Backup Strategy", "Backup strategy"));
        assert!(!covers("Data", "Data modeling"), "too short to count");
        assert!(!covers("Schema migrations", "Schema design"));
        assert!(!covers("Backup", "Analytics architecture"));
    }

    #[test]
    fn states_while_streaming_and_after() {
        let h = headings(&[
            (1, "Bookstore data layer"),
            (2, "1. Data Modeling"),
            (2, "2. Schema design"),
            (3, "Tables"),
            (2, "**3. Indexing Strategy**"),
        ]);
        let live = build(&h, &expected(), true);
        assert_eq!(
            live[1],
            Item::Heading {
                line: 10,
                level: 2,
                text: "1. Data Modeling".into(),
                section: Some((0, SectionState::Done))
            }
        );
        assert_eq!(
            live[3],
            Item::Heading {
                line: 30,
                level: 3,
                text: "Tables".into(),
                section: None
            }
        );
        assert!(matches!(
            live[4],
            Item::Heading {
                section: Some((2, SectionState::Streaming)),
                ..
            }
        ));
        assert!(matches!(
            &live[5],
            Item::Absent {
                section: 3,
                state: SectionState::Pending,
                ..
            }
        ));
        assert_eq!(coverage(&live, 8, true), "3/8 sections — to come: Query optimization, Scalability design, Security framework, Backup strategy, Analytics architecture");
        let done = build(&h, &expected(), false);
        assert!(matches!(
            done[4],
            Item::Heading {
                section: Some((2, SectionState::Done)),
                ..
            }
        ));
        assert!(matches!(
            &done[5],
            Item::Absent {
                state: SectionState::Missing,
                ..
            }
        ));
        assert!(coverage(&done, 8, false).starts_with("3/8 sections — missing: Query optimization"));
    }

    #[test]
    fn full_coverage_has_no_missing_list() {
        let names = expected();
        let texts: Vec<(u8, &str)> = names.iter().map(|n| (2u8, n.as_str())).collect();
        let items = build(&headings(&texts), &names, false);
        assert_eq!(coverage(&items, 8, false), "8/8 sections");
    }

    #[test]
    fn each_section_is_matched_once() {
        let h = headings(&[(2, "Backup strategy"), (2, "Backup strategy (continued)")]);
        let items = build(&h, &expected(), false);
        assert!(matches!(
            items[0],
            Item::Heading {
                section: Some((6, _)),
                ..
            }
        ));
        assert!(matches!(items[1], Item::Heading { section: None, .. }));
    }
}
