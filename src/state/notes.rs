//! The reviewer's notes on an answer: comments on its lines and sections (marking lines, the
//! comment prompt, the list of comments) and the brief's checklist. Comments belong to the
//! attempt they were made on; the checklist belongs to the chain step, read from the brief when
//! it runs.

use super::notify::{audit, notice};
use super::view::{max_scroll, page};
use super::{NoticeLevel, PromptKind, State};
use crate::action::Action;
use crate::effect::Effect;
use crate::review::checklist::{self, Mark};
use crate::review::comments::{quote, Anchor, Comment};
use chrono::{DateTime, Utc};

/// Lines of the answer being marked for a comment: the cursor, and where a range began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marking {
    /// The line the cursor is on (from 1).
    pub cursor: usize,
    /// The other end of the range, once it is extended.
    pub anchor: Option<usize>,
}

impl Marking {
    /// The lines marked, first to last.
    pub fn lines(&self) -> (usize, usize) {
        let other = self.anchor.unwrap_or(self.cursor);
        (self.cursor.min(other), self.cursor.max(other))
    }
}

/// Why the latest answer cannot take comments now, if it cannot.
fn cannot_comment(state: &State) -> Option<&'static str> {
    match state.latest() {
        None => Some("There is no answer to comment on yet."),
        Some(a) if a.phase.is_live() => Some("Wait for the answer to finish before commenting."),
        Some(_) if state.shown + 1 != state.attempts.len() => {
            Some("Comments go on the latest attempt: ] shows it.")
        }
        Some(_) if state.review.settled() => {
            Some("This answer is already handed off, rejected or deferred.")
        }
        Some(_) => None,
    }
}

/// `m` in the answer: a cursor on the first line in view, to move and extend, then Enter.
/// `m` in the outline: a comment on the chosen section.
pub(super) fn start_comment(state: &mut State) {
    if let Some(problem) = cannot_comment(state) {
        notice(state, NoticeLevel::Warning, problem);
        return;
    }
    if state.focus == super::Focus::Outline {
        comment_on_section(state);
        return;
    }
    let Some(attempt) = state.shown_attempt() else {
        return;
    };
    let rendered = state.view.line_at_row(state.scroll);
    let cursor = attempt.doc.source_line_at(rendered).max(1);
    state.marking = Some(Marking {
        cursor,
        anchor: None,
    });
    notice(
        state,
        NoticeLevel::Info,
        "j/k move · J/K extend · Enter writes the comment · Esc cancels.",
    );
}

fn comment_on_section(state: &mut State) {
    let Some(crate::review::outline::Item::Heading { line, text, .. }) =
        state.outline().get(state.outline_selected).cloned()
    else {
        notice(
            state,
            NoticeLevel::Info,
            "Choose a heading of the answer in the outline to comment on its section.",
        );
        return;
    };
    let source = state
        .shown_attempt()
        .map_or(1, |a| a.doc.source_line_at(line));
    open_comment(
        state,
        Anchor::Section {
            line: source,
            title: crate::sanitize::sanitize_line(&text).into_owned(),
        },
    );
}

fn open_comment(state: &mut State, anchor: Anchor) {
    state.prompt = Some(super::Prompt {
        kind: PromptKind::Comment(anchor),
        input: super::new_editor("", ""),
    });
}

/// Keys while lines are being marked; `None` passes the action on (the marking ends).
pub(super) fn marking_key(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let mut marking = state.marking?;
    let last = state
        .shown_attempt()
        .map_or(1, |a| a.text().lines().count().max(1));
    match action {
        Action::ScrollUp | Action::ScrollDown | Action::ExtendUp | Action::ExtendDown => {
            let extend = matches!(action, Action::ExtendUp | Action::ExtendDown);
            if extend && marking.anchor.is_none() {
                marking.anchor = Some(marking.cursor);
            }
            if !extend {
                marking.anchor = None;
            }
            marking.cursor = match action {
                Action::ScrollUp | Action::ExtendUp => marking.cursor.saturating_sub(1).max(1),
                _ => (marking.cursor + 1).min(last),
            };
            state.marking = Some(marking);
            keep_in_view(state, marking.cursor);
        }
        Action::OpenItem | Action::Confirm | Action::SubmitPrompt => {
            state.marking = None;
            let (first, last) = marking.lines();
            open_comment(state, Anchor::Lines { first, last });
        }
        Action::ClosePrompt | Action::Cancel | Action::Comment => state.marking = None,
        _ => {
            state.marking = None;
            return None;
        }
    }
    Some(Vec::new())
}

/// Scrolls so that answer line `line` is on screen.
fn keep_in_view(state: &mut State, line: usize) {
    let Some(attempt) = state.shown_attempt() else {
        return;
    };
    let row = state.view.row_of_line(attempt.doc.rendered_line_of(line));
    let rows = page(state);
    if row < state.scroll {
        state.scroll = row;
    } else if row >= state.scroll + rows {
        state.scroll = (row + 1 - rows).min(max_scroll(state));
    }
    state.follow = false;
}

/// The comment prompt was answered.
pub(super) fn add_comment(
    state: &mut State,
    anchor: Anchor,
    text: &str,
    at: DateTime<Utc>,
) -> Vec<Effect> {
    if text.trim().is_empty() {
        notice(
            state,
            NoticeLevel::Warning,
            "The comment is empty; nothing was added.",
        );
        return Vec::new();
    }
    if let Some(problem) = cannot_comment(state) {
        notice(state, NoticeLevel::Warning, problem);
        return Vec::new();
    }
    let author = state.session.reviewer.name.clone();
    let read_only = state.read_only;
    let Some(attempt) = state.attempts.last_mut() else {
        return Vec::new();
    };
    let comment = Comment {
        quote: quote(attempt.text(), &anchor),
        anchor,
        text: text.trim().to_string(),
        author,
        at,
    };
    let label = comment.anchor.label();
    attempt.comments.push(comment.clone());
    let count = attempt.comments.len();
    if read_only {
        // A watcher keeps no record of its own: the comment goes to the store it follows, and
        // the reviewer's workbench records it.
        let Some(key) = attempt.store_key.as_deref().map(str::to_string) else {
            return Vec::new();
        };
        notice(
            state,
            NoticeLevel::Info,
            format!("Comment on {label} sent to the reviewer."),
        );
        return vec![Effect::ShareComment { key, comment }];
    }
    audit(state, "comment", at, serde_json::json!(comment));
    notice(
        state,
        NoticeLevel::Success,
        format!("Comment on {label} kept ({count} on this attempt; M lists them). r sends them with a revision."),
    );
    Vec::new()
}

/// A comment someone following the session wrote on the run `key`: it joins that attempt's
/// comments, named by its author, and the audit log hears of it (the store has it already).
pub fn receive_comment(state: &mut State, key: &str, comment: Comment, at: DateTime<Utc>) {
    let Some(attempt) = state
        .attempts
        .iter_mut()
        .find(|a| a.store_key.as_deref() == Some(key))
    else {
        return;
    };
    if attempt.comments.contains(&comment) {
        return;
    }
    let number = attempt.number;
    attempt.comments.push(comment.clone());
    let text = format!(
        "{} commented on {} of attempt {number}: {}",
        comment.author,
        comment.anchor.label(),
        comment.text
    );
    super::notify::audit_log_only(state, "comment", number, at, serde_json::json!(comment));
    notice(
        state,
        NoticeLevel::Info,
        crate::sanitize::sanitize_line(&text).into_owned(),
    );
}

/// `M`: the comments on the attempt on screen.
pub(super) fn open_comments(state: &mut State) {
    match state.shown_attempt().map(|a| a.comments.len()) {
        Some(n) if n > 0 => state.comments_open = Some(0),
        _ => notice(
            state,
            NoticeLevel::Info,
            "No comments on this attempt: m marks lines in the answer (or a section in the outline) to comment.",
        ),
    }
}

/// Keys while the comments list is open; `None` passes the action on (the list closes).
pub(super) fn comments_key(
    state: &mut State,
    action: Action,
    selected: usize,
    at: DateTime<Utc>,
) -> Option<Vec<Effect>> {
    let count = state.shown_attempt().map_or(0, |a| a.comments.len());
    match action {
        Action::PrevItem => state.comments_open = Some(selected.saturating_sub(1)),
        Action::NextItem => state.comments_open = Some((selected + 1).min(count.saturating_sub(1))),
        Action::OpenItem => {
            state.comments_open = None;
            let line = state
                .shown_attempt()
                .and_then(|a| a.comments.get(selected))
                .map(|c| c.anchor.line());
            if let Some(line) = line {
                super::view::show_line(state, line);
            }
        }
        Action::DeleteItem => {
            if let Some(problem) = cannot_comment(state) {
                notice(state, NoticeLevel::Warning, problem);
                return Some(Vec::new());
            }
            let Some(attempt) = state.attempts.last_mut() else {
                return Some(Vec::new());
            };
            if selected >= attempt.comments.len() {
                return Some(Vec::new());
            }
            let removed = attempt.comments.remove(selected);
            let left = attempt.comments.len();
            state.comments_open = (left > 0).then(|| selected.min(left - 1));
            audit(state, "comment_deleted", at, serde_json::json!(removed));
            notice(
                state,
                NoticeLevel::Info,
                format!("The comment on {} is deleted.", removed.anchor.label()),
            );
        }
        Action::ClosePrompt | Action::Comments => state.comments_open = None,
        _ => {
            state.comments_open = None;
            return None;
        }
    }
    Some(Vec::new())
}

/// A new run of the brief: its checklist read again, keeping the marks and the reviewer's own
/// items where the text is the same.
pub(super) fn read_checklist(state: &mut State) {
    let mut items = checklist::from_brief(&state.brief_text());
    for item in &mut items {
        if let Some(old) = state.review.checklist.iter().find(|o| o.text == item.text) {
            item.mark = old.mark;
        }
    }
    items.extend(state.review.checklist.iter().filter(|o| o.added).cloned());
    state.review.checklist = items;
}

/// `l`: the brief's checklist.
pub(super) fn open_checklist(state: &mut State) {
    if state.review.checklist.is_empty() && state.attempts.is_empty() {
        notice(
            state,
            NoticeLevel::Info,
            "The checklist is read from the brief's list items when it runs: Ctrl-S first.",
        );
        return;
    }
    state.checklist_open = Some(0);
}

/// Keys while the checklist is open; `None` passes the action on (the list closes).
pub(super) fn checklist_key(
    state: &mut State,
    action: Action,
    selected: usize,
    at: DateTime<Utc>,
) -> Option<Vec<Effect>> {
    let count = state.review.checklist.len();
    let chosen = (selected < count).then_some(selected);
    match action {
        Action::PrevItem => state.checklist_open = Some(selected.saturating_sub(1)),
        Action::NextItem => {
            state.checklist_open = Some((selected + 1).min(count.saturating_sub(1)))
        }
        Action::MarkMet => mark_item(state, chosen, Mark::Met, at),
        Action::MarkNotMet => mark_item(state, chosen, Mark::NotMet, at),
        Action::MarkNotApplicable => mark_item(state, chosen, Mark::NotApplicable, at),
        Action::MarkOpen => mark_item(state, chosen, Mark::Open, at),
        Action::AddItem => {
            state.prompt = Some(super::Prompt {
                kind: PromptKind::ChecklistItem(None),
                input: super::new_editor("", ""),
            });
        }
        Action::EditItem => {
            if let Some(i) = chosen {
                let mut input = super::new_editor(&state.review.checklist[i].text, "");
                input.move_cursor(ratatui_textarea::CursorMove::End);
                state.prompt = Some(super::Prompt {
                    kind: PromptKind::ChecklistItem(Some(i)),
                    input,
                });
            }
        }
        Action::DeleteItem => {
            if let Some(i) = chosen {
                let item = state.review.checklist.remove(i);
                audit(state, "checklist_item_deleted", at, serde_json::json!(item));
                state.checklist_open = Some(i.min(count.saturating_sub(2)));
            }
        }
        Action::ClosePrompt | Action::Checklist => state.checklist_open = None,
        _ => {
            state.checklist_open = None;
            return None;
        }
    }
    Some(Vec::new())
}

/// Marks item `chosen` (none: the list is empty) and moves to the next; refused once the answer
/// is settled.
fn mark_item(state: &mut State, chosen: Option<usize>, mark: Mark, at: DateTime<Utc>) {
    let Some(i) = chosen else { return };
    if state.review.settled() {
        notice(
            state,
            NoticeLevel::Warning,
            "This answer is already handed off, rejected or deferred.",
        );
        return;
    }
    let item = &mut state.review.checklist[i];
    item.mark = mark;
    let data = serde_json::json!({ "item": item.text, "mark": mark });
    audit(state, "checklist_mark", at, data);
    let last = state.review.checklist.len() - 1;
    state.checklist_open = Some((i + 1).min(last));
}

/// The checklist prompt was answered: an item reworded (`Some(index)`) or added.
pub(super) fn keep_item(state: &mut State, index: Option<usize>, text: &str, at: DateTime<Utc>) {
    let text = crate::sanitize::sanitize_line(text.trim()).into_owned();
    if text.is_empty() {
        notice(
            state,
            NoticeLevel::Warning,
            "The item is empty; the checklist is unchanged.",
        );
        return;
    }
    match index.filter(|i| *i < state.review.checklist.len()) {
        Some(i) => {
            let item = &mut state.review.checklist[i];
            let was = std::mem::replace(&mut item.text, text.clone());
            audit(
                state,
                "checklist_item_edited",
                at,
                serde_json::json!({ "was": was, "now": text }),
            );
            state.checklist_open = Some(i);
        }
        None => {
            state
                .review
                .checklist
                .push(checklist::Item::new(&text, true));
            audit(
                state,
                "checklist_item_added",
                at,
                serde_json::json!({ "item": text }),
            );
            state.checklist_open = Some(state.review.checklist.len() - 1);
        }
    }
}

/// The lines of the marked range, for the answer pane to highlight.
pub fn marked_lines(state: &State) -> Option<(usize, usize)> {
    state.marking.map(|m| m.lines())
}
