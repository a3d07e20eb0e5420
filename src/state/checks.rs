//! The SQL check in the workbench: asked for when an answer completes (and again on a key), its
//! report kept with the attempt whose text it checked and dropped if the text is not that one,
//! its findings listed with a jump to their line, and the approval gate that names the errors
//! before a route is approved. Pure like the rest of `update`: effects out, no I/O.

use super::notify::{audit, notice};
use super::{NoticeLevel, State};
use crate::action::Action;
use crate::check::{Report, Require, Severity};
use crate::effect::Effect;
use crate::role::RouteOption;
use crate::routing::envelope::ReviewAction;
use crate::routing::CheckRecord;
use chrono::{DateTime, Utc};

/// Where an attempt's SQL check stands.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlCheck {
    /// Asked for (its report is kept only if it checked the text the attempt holds); `done` of
    /// `total` statements applied so far (`total` 0 until the server has started).
    Running {
        done: usize,
        total: usize,
    },
    Done(Box<Report>),
}

/// A handoff waiting for the reviewer to confirm it despite the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingHandoff {
    pub chosen: RouteOption,
    pub action: ReviewAction,
    pub reason: Option<String>,
}

/// One row of the findings list (and a mark in the answer's gutter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingRow {
    pub line: usize,
    pub level: Severity,
    pub text: String,
    /// A block's own line (its counts), above its findings.
    pub header: bool,
}

/// The report's findings block by block, as a reviewer reads them: each block's line (what it
/// is, how many of its statements applied), then its errors, missing extensions and lints; the
/// blocks not checked (other engines, psql commands) in their place.
pub fn findings(report: &Report) -> Vec<FindingRow> {
    use crate::check::report::plural;
    let row = |line: usize, level: Severity, text: String| FindingRow {
        line,
        level,
        text,
        header: false,
    };
    let mut items: Vec<(usize, u8, FindingRow)> = Vec::new();
    for e in &report.errors {
        let follows = e
            .follows_from
            .map(|l| format!(" (follows from line {l})"))
            .unwrap_or_default();
        let text = format!(
            "{}:{} {} {}{follows}",
            e.line, e.column, e.sqlstate, e.message
        );
        items.push((e.line, 1, row(e.line, Severity::Error, text)));
    }
    for u in &report.unavailable {
        let text = format!("{}: extension {}: {}", u.line, u.extension, u.reason);
        items.push((u.line, 1, row(u.line, Severity::Info, text)));
    }
    for l in &report.lints {
        let text = format!("{}:{} {} {}", l.line, l.column, l.rule, l.message);
        items.push((l.line, 2, row(l.line, l.severity, text)));
    }
    // Each query with the plan that serves it, and what the answer claims of it.
    for p in &report.plans {
        let text = format!("{}: {} {}", p.line, p.kind, p.served());
        items.push((p.line, 2, row(p.line, Severity::Info, text)));
        for c in &p.claims {
            let level = if c.holds {
                Severity::Info
            } else {
                Severity::Warning
            };
            let text = format!("{}: {}", c.line, c.verdict());
            items.push((c.line, 2, row(c.line, level, text)));
        }
    }
    for s in &report.skipped {
        items.push((
            s.line,
            1,
            row(s.line, Severity::Info, format!("{}: {}", s.line, s.reason)),
        ));
    }
    for b in &report.blocks {
        let in_block = |line: usize| line >= b.line && line <= b.last_line;
        let errors = report.errors.iter().filter(|e| in_block(e.line)).count();
        let lints = report.lints.iter().filter(|l| in_block(l.line)).count();
        let counts = if b.dialect == crate::check::dialect::Dialect::Postgres {
            format!(
                "{} · {} applied · {} · {}",
                plural(b.statements, "statement"),
                b.applied,
                plural(errors, "error"),
                plural(lints, "lint")
            )
        } else {
            format!("parsed only · {}", plural(errors, "error"))
        };
        let label = if b.label.is_empty() {
            "unlabelled"
        } else {
            b.label.as_str()
        };
        let text = format!(
            "lines {}–{} · {label} · {}: {counts}",
            b.line, b.last_line, b.dialect
        );
        // A block's line sorts before everything at or after its first line.
        items.push((
            b.line,
            0,
            FindingRow {
                header: true,
                ..row(b.line, Severity::Info, text)
            },
        ));
    }
    items.sort_by_key(|(line, order, _)| (*line, *order));
    items.into_iter().map(|(_, _, row)| row).collect()
}

/// The answer of run `run_id` completed: check its SQL.
pub(super) fn on_complete(state: &mut State, run_id: u64) -> Vec<Effect> {
    if state.check_policy.is_none() {
        return Vec::new();
    }
    let Some(index) = state.attempts.iter().position(|a| {
        a.run_id == run_id && matches!(a.phase, super::Phase::Complete(_)) && a.check.is_none()
    }) else {
        return Vec::new();
    };
    ask(state, index)
}

/// A review opened from elsewhere (the inbox): its latest answer is checked like a live one.
pub(super) fn on_loaded(state: &mut State) -> Vec<Effect> {
    if state.check_policy.is_none() {
        return Vec::new();
    }
    let index = state.attempts.len().saturating_sub(1);
    match state.attempts.get(index) {
        Some(a) if matches!(a.phase, super::Phase::Complete(_)) && a.check.is_none() => {
            ask(state, index)
        }
        _ => Vec::new(),
    }
}

/// `C`: check the shown answer's SQL again, in a fresh database.
pub(super) fn recheck(state: &mut State) -> Vec<Effect> {
    if state.check_policy.is_none() {
        notice(
            state,
            NoticeLevel::Info,
            "The SQL check is off ([check] enabled = false).",
        );
        return Vec::new();
    }
    let index = state.shown;
    match state.attempts.get(index).map(|a| &a.phase) {
        Some(super::Phase::Complete(_)) => ask(state, index),
        _ => {
            notice(
                state,
                NoticeLevel::Warning,
                "There is no finished answer to check.",
            );
            Vec::new()
        }
    }
}

fn ask(state: &mut State, index: usize) -> Vec<Effect> {
    let brief = state.brief_text();
    let Some(attempt) = state.attempts.get_mut(index) else {
        return Vec::new();
    };
    attempt.check = Some(SqlCheck::Running { done: 0, total: 0 });
    let effect = Effect::CheckSql {
        run_id: attempt.run_id,
        text: attempt.text().to_string(),
        brief,
    };
    notice(state, NoticeLevel::Info, "Checking the answer's SQL…");
    vec![effect]
}

/// The check of run `run_id` has gone further.
pub(super) fn on_progress(state: &mut State, run_id: u64, done: usize, total: usize) {
    if let Some(SqlCheck::Running {
        done: d, total: t, ..
    }) = state
        .attempts
        .iter_mut()
        .find(|a| a.run_id == run_id)
        .and_then(|a| a.check.as_mut())
    {
        (*d, *t) = (done, total);
    }
}

/// A check's report arrived: kept if it checked the text the attempt holds, else dropped.
pub(super) fn on_checked(state: &mut State, run_id: u64, report: Report, at: DateTime<Utc>) {
    let Some(attempt) = state.attempts.iter_mut().find(|a| a.run_id == run_id) else {
        return;
    };
    let current = crate::check::text_hash(attempt.text());
    if report.checked_sha256 != current {
        return;
    }
    let summary = report.summary();
    let listed = findings(&report).iter().any(|r| !r.header);
    let level = if !report.errors.is_empty() {
        NoticeLevel::Error
    } else if report.not_applied.is_some() || report.warnings() > 0 {
        NoticeLevel::Warning
    } else {
        NoticeLevel::Success
    };
    let data = report.record();
    let why = report.not_applied.clone();
    attempt.check = Some(SqlCheck::Done(Box::new(report)));
    let text = match why {
        Some(why) => format!("{summary} — not applied: {why}"),
        None if listed => format!("{summary} — ! lists them"),
        None => format!("{summary}: every statement applied"),
    };
    notice(state, level, text);
    audit(state, "sql_checked", at, data);
}

impl super::Attempt {
    /// The report of this answer's SQL check, once it is done.
    pub fn check_report(&self) -> Option<&Report> {
        match &self.check {
            Some(SqlCheck::Done(report)) => Some(report),
            _ => None,
        }
    }
}

/// The report of the shown attempt, when its check is done.
pub fn report_of(state: &State) -> Option<&Report> {
    state.shown_attempt().and_then(super::Attempt::check_report)
}

/// `!`: the findings list.
pub(super) fn open_list(state: &mut State) {
    match state.shown_attempt().and_then(|a| a.check.as_ref()) {
        Some(SqlCheck::Done(report)) if !findings(report).is_empty() => {
            // The first error (else the first finding) is selected: Enter goes to it.
            let rows = findings(report);
            let first = rows
                .iter()
                .position(|r| r.level == Severity::Error)
                .or_else(|| rows.iter().position(|r| !r.header))
                .unwrap_or(0);
            state.check_list = Some(first);
        }
        Some(SqlCheck::Done(report)) => {
            let text = format!("{}: nothing to list.", report.summary());
            notice(state, NoticeLevel::Success, text);
        }
        Some(SqlCheck::Running { .. }) => {
            notice(state, NoticeLevel::Info, "The SQL check is still running.")
        }
        None => notice(
            state,
            NoticeLevel::Info,
            "The answer's SQL has not been checked: C checks it.",
        ),
    }
}

/// Keys while the findings list is open; `None` passes the action on (the list closes).
pub(super) fn list_key(state: &mut State, action: Action, selected: usize) -> Option<Vec<Effect>> {
    let rows = report_of(state).map(findings).unwrap_or_default();
    match action {
        Action::PrevItem => state.check_list = Some(selected.saturating_sub(1)),
        Action::NextItem => {
            state.check_list = Some((selected + 1).min(rows.len().saturating_sub(1)))
        }
        Action::OpenItem => {
            state.check_list = None;
            if let Some(row) = rows.get(selected) {
                super::view::show_line(state, row.line);
                notice(state, NoticeLevel::Info, format!("Line {}.", row.line));
            }
        }
        Action::Recheck => {
            state.check_list = None;
            return Some(recheck(state));
        }
        Action::ClosePrompt | Action::CheckList => state.check_list = None,
        _ => {
            state.check_list = None;
            return None;
        }
    }
    Some(Vec::new())
}

/// What approving the latest answer asks, given its check and `[check] require`.
pub(super) enum Gate {
    /// Go on; the envelope carries this record of the check (none when there is none).
    Open(Option<Box<CheckRecord>>),
    /// Ask the reviewer to confirm, in these words.
    Ask(String),
    /// Refused, in these words.
    Refuse(String),
}

pub(super) fn gate(state: &State, confirmed: bool) -> Gate {
    let Some(policy) = state.check_policy else {
        return Gate::Open(None);
    };
    let record = |report: &Report| {
        Box::new(CheckRecord::new(
            report.clone(),
            confirmed && !report.errors.is_empty(),
            &state.schema_artifacts,
        ))
    };
    match state.latest().and_then(|a| a.check.as_ref()) {
        None => Gate::Open(None),
        Some(SqlCheck::Done(report)) if report.errors.is_empty() || policy == Require::Off => {
            Gate::Open(Some(record(report)))
        }
        Some(SqlCheck::Done(report)) if confirmed => Gate::Open(Some(record(report))),
        Some(SqlCheck::Done(report)) => {
            let first = &report.errors[0];
            let named = format!(
                "{} — first: line {}: {}",
                report.summary(),
                first.line,
                crate::sanitize::sanitize_line(&first.message)
            );
            if policy == Require::Pass {
                Gate::Refuse(format!(
                    "Not approved: the SQL must apply first ([check] require = \"pass\"). {named}. ! lists them; revise with f."
                ))
            } else {
                Gate::Ask(format!("{named}. Approve anyway? Type yes"))
            }
        }
        Some(SqlCheck::Running { .. }) if confirmed => Gate::Open(None),
        Some(SqlCheck::Running { .. }) if policy == Require::Pass => {
            Gate::Refuse("The SQL check is still running: approve once it has passed.".into())
        }
        Some(SqlCheck::Running { .. }) if policy == Require::Off => Gate::Open(None),
        Some(SqlCheck::Running { .. }) => {
            Gate::Ask("The SQL check is still running. Approve without its result? Type yes".into())
        }
    }
}

/// The reviewer answered the gate's question.
pub(super) fn answer_gate(
    state: &mut State,
    pending: PendingHandoff,
    text: &str,
    at: DateTime<Utc>,
) -> Vec<Effect> {
    if text.eq_ignore_ascii_case("yes") || text.eq_ignore_ascii_case("y") {
        let errors = state
            .latest()
            .and_then(super::Attempt::check_report)
            .map_or(0, |r| r.errors.len());
        audit(
            state,
            "check_confirmed",
            at,
            serde_json::json!({ "errors": errors, "option_id": pending.chosen.id }),
        );
        super::handoff::send_checked_handoff(state, pending, true, at)
    } else {
        notice(
            state,
            NoticeLevel::Info,
            "Not approved. ! lists the SQL check's findings; f asks the agent to revise.",
        );
        Vec::new()
    }
}
