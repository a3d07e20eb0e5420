//! The history screen: every run the session store keeps, newest first or found by its words
//! (FTS5); one opened with its answer rendered; two compared side by side; a conversation
//! continued in the workbench, or a brief run again with another role. Loading is an effect; what
//! comes back is rendered here, when it arrives, never while drawing.

use super::notify::{audit, notice};
use super::view::sync_view;
use super::{Attempt, Focus, NoticeLevel, Phase, PromptKind, State};
use crate::action::Action;
use crate::effect::{Effect, RunsFor};
use crate::provider::{FinishReason, Usage};
use crate::render::AnswerDoc;
use crate::review::compare;
use crate::routing::envelope::sha256_hex;
use crate::routing::parse_decision;
use crate::store::sessions::{RunDetail, RunSummary};
use chrono::{DateTime, Utc};

/// How many runs the list holds.
pub const LIST_LIMIT: usize = 200;

pub struct History {
    /// The words searched for (`None`: the latest runs).
    pub query: Option<String>,
    pub rows: Vec<RunSummary>,
    /// The list has arrived from the store.
    pub loaded: bool,
    pub selected: usize,
    /// The run marked as the left side of a comparison.
    pub marked: Option<i64>,
    pub view: HistoryView,
}

pub enum HistoryView {
    List,
    /// One run, its answer rendered.
    Run {
        run: Box<RunDetail>,
        doc: Box<AnswerDoc>,
        scroll: usize,
    },
    /// Two runs side by side.
    Compare {
        left: Box<RunDetail>,
        right: Box<RunDetail>,
        rows: Vec<compare::Row>,
        counts: compare::Counts,
        scroll: usize,
    },
}

impl History {
    fn new() -> Self {
        Self {
            query: None,
            rows: Vec::new(),
            loaded: false,
            selected: 0,
            marked: None,
            view: HistoryView::List,
        }
    }

    fn selected_id(&self) -> Option<i64> {
        self.rows.get(self.selected).map(|r| r.id)
    }

    /// The run the keys act on: the one opened, else the one chosen in the list.
    fn current_id(&self) -> Option<i64> {
        match &self.view {
            HistoryView::Run { run, .. } => Some(run.id),
            HistoryView::Compare { right, .. } => Some(right.id),
            HistoryView::List => self.selected_id(),
        }
    }
}

/// Opens the history screen on the latest runs.
pub(super) fn open(state: &mut State) -> Vec<Effect> {
    state.history = Some(History::new());
    vec![Effect::LoadHistory { query: None }]
}

/// The list arrived (or the store could not be read).
pub(super) fn on_list(state: &mut State, result: Result<Vec<RunSummary>, String>) {
    let Some(history) = state.history.as_mut() else {
        return;
    };
    match result {
        Ok(rows) => {
            history.rows = rows;
            history.loaded = true;
            history.selected = history.selected.min(history.rows.len().saturating_sub(1));
        }
        Err(e) => {
            history.loaded = true;
            notice(state, NoticeLevel::Error, e);
        }
    }
}

/// Keys on the history screen. `None`: not a history key; the caller closes the screen and
/// applies it to the workbench (global keys such as quit and help go on working).
pub(super) fn apply(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let history = state.history.as_ref()?;
    let listing = matches!(history.view, HistoryView::List);
    let page = (state.height as usize).saturating_sub(6).max(1);
    match action {
        Action::HistoryContinue => return Some(continue_key(state)),
        Action::HistoryRerun => return Some(rerun_key(state)),
        _ => {}
    }
    if listing {
        list_key(state, action, page)
    } else {
        view_key(state, action, page)
    }
}

fn list_key(state: &mut State, action: Action, page: usize) -> Option<Vec<Effect>> {
    let history = state.history.as_mut()?;
    let last = history.rows.len().saturating_sub(1);
    match action {
        Action::PrevItem => history.selected = history.selected.saturating_sub(1),
        Action::NextItem => history.selected = (history.selected + 1).min(last),
        Action::PageUp => history.selected = history.selected.saturating_sub(page),
        Action::PageDown => history.selected = (history.selected + page).min(last),
        Action::OpenItem => {
            return Some(
                history
                    .selected_id()
                    .map(|id| Effect::LoadRuns {
                        ids: vec![id],
                        then: RunsFor::Open,
                    })
                    .into_iter()
                    .collect(),
            )
        }
        Action::Search => {
            let mut input = super::new_editor(history.query.as_deref().unwrap_or(""), "");
            input.select_all();
            state.prompt = Some(super::Prompt {
                kind: PromptKind::HistorySearch,
                input,
            });
        }
        Action::HistoryMark => {
            let id = history.selected_id();
            history.marked = if history.marked == id { None } else { id };
            let text = match history.marked {
                Some(id) => format!("Run #{id} marked: choose another and press d to compare."),
                None => "Mark cleared.".to_string(),
            };
            notice(state, NoticeLevel::Info, text);
        }
        Action::HistoryCompare => match (history.marked, history.selected_id()) {
            (Some(left), Some(right)) if left != right => {
                return Some(vec![Effect::LoadRuns {
                    ids: vec![left, right],
                    then: RunsFor::Compare,
                }])
            }
            _ => notice(
                state,
                NoticeLevel::Warning,
                "Mark one run with m, choose another, then d compares them.",
            ),
        },
        Action::ClosePrompt => state.history = None,
        _ => return None,
    }
    Some(Vec::new())
}

fn view_key(state: &mut State, action: Action, page: usize) -> Option<Vec<Effect>> {
    let history = state.history.as_mut()?;
    let delta: isize = match action {
        Action::ScrollUp | Action::PrevItem => -1,
        Action::ScrollDown | Action::NextItem => 1,
        Action::PageUp => -(page as isize),
        Action::PageDown => page as isize,
        Action::ClosePrompt => {
            history.view = HistoryView::List;
            return Some(Vec::new());
        }
        _ => return None,
    };
    if let HistoryView::Run { scroll, .. } | HistoryView::Compare { scroll, .. } = &mut history.view
    {
        *scroll = scroll.saturating_add_signed(delta);
    }
    Some(Vec::new())
}

fn continue_key(state: &mut State) -> Vec<Effect> {
    if state.running.is_some() {
        notice(
            state,
            NoticeLevel::Warning,
            "An answer is streaming: wait for it, or Esc to cancel it, before continuing another run.",
        );
        return Vec::new();
    }
    state
        .history
        .as_ref()
        .and_then(History::current_id)
        .map(|id| Effect::LoadRuns {
            ids: vec![id],
            then: RunsFor::Continue,
        })
        .into_iter()
        .collect()
}

fn rerun_key(state: &mut State) -> Vec<Effect> {
    let Some(history) = state.history.as_ref() else {
        return Vec::new();
    };
    let Some(id) = history.current_id() else {
        return Vec::new();
    };
    let role = match &history.view {
        HistoryView::Run { run, .. } => Some(run.role_id.clone()),
        _ => history
            .rows
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.role_id.clone()),
    }
    .unwrap_or_else(|| state.session.role.id.clone());
    let mut input = super::new_editor(&role, "");
    input.select_all();
    state.prompt = Some(super::Prompt {
        kind: PromptKind::RerunRole(id),
        input,
    });
    Vec::new()
}

/// The search words were given (empty: the latest runs again).
pub(super) fn search(state: &mut State, words: &str) -> Vec<Effect> {
    let Some(history) = state.history.as_mut() else {
        return Vec::new();
    };
    let query = Some(words.trim().to_string()).filter(|w| !w.is_empty());
    history.query = query.clone();
    history.selected = 0;
    history.loaded = false;
    vec![Effect::LoadHistory { query }]
}

/// The role to run a brief again with was given.
pub(super) fn rerun_with(state: &mut State, id: i64, role: &str) -> Vec<Effect> {
    let role = role.trim();
    if state.session.chain.roles.get(role).is_none() {
        let known = state.session.chain.roles.ids().join(", ");
        notice(
            state,
            NoticeLevel::Error,
            format!("No role `{role}`; known roles: {known}. R asks again."),
        );
        return Vec::new();
    }
    if state.running.is_some() {
        notice(
            state,
            NoticeLevel::Warning,
            "An answer is streaming: wait for it, or Esc to cancel it, before loading another brief.",
        );
        return Vec::new();
    }
    vec![Effect::LoadRuns {
        ids: vec![id],
        then: RunsFor::Rerun {
            role: role.to_string(),
        },
    }]
}

/// Runs arrived from the store. `chain_id` is a fresh chain for a brief run again.
pub(super) fn on_runs(
    state: &mut State,
    then: RunsFor,
    result: Result<Vec<RunDetail>, String>,
    chain_id: String,
    at: DateTime<Utc>,
) {
    let runs = match result {
        Ok(runs) if !runs.is_empty() => runs,
        Ok(_) => {
            notice(
                state,
                NoticeLevel::Error,
                "That run is no longer in the store.",
            );
            return;
        }
        Err(e) => {
            notice(state, NoticeLevel::Error, e);
            return;
        }
    };
    match then {
        RunsFor::Open => {
            let Some(history) = state.history.as_mut() else {
                return;
            };
            let run = runs.into_iter().next_back();
            if let Some(run) = run {
                let doc = AnswerDoc::render_whole(&run.answer, state.styles.clone());
                history.view = HistoryView::Run {
                    run: Box::new(run),
                    doc: Box::new(doc),
                    scroll: 0,
                };
            }
        }
        RunsFor::Compare => {
            let Some(history) = state.history.as_mut() else {
                return;
            };
            let mut runs = runs.into_iter();
            if let (Some(left), Some(right)) = (runs.next(), runs.next()) {
                let rows = compare::rows(&left.answer, &right.answer);
                let counts = compare::counts(&rows);
                history.view = HistoryView::Compare {
                    left: Box::new(left),
                    right: Box::new(right),
                    rows,
                    counts,
                    scroll: 0,
                };
            }
        }
        RunsFor::Continue => continue_conversation(state, runs, at),
        RunsFor::Rerun { role } => {
            if let Some(run) = runs.last() {
                rerun(state, run, &role, chain_id, at);
            }
        }
    }
}

/// The workbench takes up the conversation where run `runs.last()` left it: the same role,
/// chain and attempts; `r` revises it further, Enter hands it off.
fn continue_conversation(state: &mut State, runs: Vec<RunDetail>, at: DateTime<Utc>) {
    let Some(last) = runs.last() else { return };
    let Some(role) = state.session.chain.roles.get(&last.role_id).cloned() else {
        notice(
            state,
            NoticeLevel::Error,
            format!(
                "Run #{} was made by the role `{}`, which no role file defines now.",
                last.id, last.role_id
            ),
        );
        return;
    };
    let prompt_changed = role.prompt_sha256() != last.prompt_sha256;
    state.session.role = role;
    state.session.chain_id = last.chain_id.clone();
    state.session.chain.parent_id = last.parent_id.clone();
    state.session.chain.breadcrumb = vec![last.role_id.clone()];
    state.session.chain.resumed_from = None;
    let brief = runs.first().map(|r| r.brief.clone()).unwrap_or_default();
    replace_brief(state, &brief);
    state.attempts.clear();
    for run in &runs {
        let mut attempt = Attempt::new(
            run.attempt,
            0,
            run.feedback.clone(),
            state.styles.clone(),
            parse_time(&run.started_at).unwrap_or(at),
        );
        attempt.doc.push(&run.answer);
        attempt.doc.finish();
        attempt.phase = match run.status.as_str() {
            "complete" => Phase::Complete(FinishReason::from_wire(
                run.finish_reason.as_deref().unwrap_or("stop"),
            )),
            "cancelled" => Phase::Cancelled,
            other => Phase::Failed(format!("{other}: the answer stopped before its end")),
        };
        attempt.model = Some(run.model.clone());
        attempt.usage = match (run.prompt_tokens, run.completion_tokens) {
            (Some(p), Some(c)) => Some(Usage {
                prompt_tokens: p.max(0) as u32,
                completion_tokens: c.max(0) as u32,
            }),
            _ => None,
        };
        attempt.decision = Some(parse_decision(&run.answer, &state.session.role.routes));
        attempt.reviewed_sha256 = Some(sha256_hex(&run.answer));
        attempt.completed_at = run.completed_at.as_deref().and_then(parse_time);
        state.attempts.push(attempt);
    }
    reset_review(state);
    state.review.selected = state
        .attempts
        .last()
        .and_then(|a| a.decision.as_ref())
        .and_then(|d| d.unique_candidate().map(str::to_string))
        .and_then(|id| state.session.role.routes.iter().position(|o| o.id == id));
    state.focus = Focus::Routes;
    sync_view(state);
    audit(
        state,
        "conversation_continued",
        at,
        serde_json::json!({ "run": last.id, "attempts": runs.len() }),
    );
    let warning = if prompt_changed {
        " The role's prompt changed since; r revises with the new one."
    } else {
        ""
    };
    // An answer settled before is shown as such: it is not handed off (or rejected) again.
    if let Some(outcome) = last.outcome.clone().filter(|o| o.kind.is_final()) {
        state.settled_elsewhere(outcome);
        return;
    }
    notice(
        state,
        if prompt_changed {
            NoticeLevel::Warning
        } else {
            NoticeLevel::Success
        },
        format!(
            "Continuing run #{} ({} attempt{}): r revises it with feedback, Enter hands it off.{warning}",
            last.id,
            runs.len(),
            if runs.len() == 1 { "" } else { "s" }
        ),
    );
}

/// The brief of `run` in the editor, for `role`, in a new chain; Ctrl-S runs it.
fn rerun(state: &mut State, run: &RunDetail, role: &str, chain_id: String, at: DateTime<Utc>) {
    let Some(role) = state.session.chain.roles.get(role).cloned() else {
        return;
    };
    state.session.role = role;
    state.session.chain_id = chain_id;
    state.session.chain.parent_id = None;
    state.session.chain.breadcrumb = vec![state.session.role.id.clone()];
    state.session.chain.resumed_from = None;
    replace_brief(state, &run.brief);
    state.attempts.clear();
    reset_review(state);
    state.focus = Focus::Brief;
    sync_view(state);
    audit(
        state,
        "brief_loaded",
        at,
        serde_json::json!({ "from_run": run.id, "role": state.session.role.id }),
    );
    notice(
        state,
        NoticeLevel::Success,
        format!(
            "The brief of run #{} is loaded for {}; Ctrl-S runs it on {}.",
            run.id, state.session.role.title, state.session.provider.model
        ),
    );
}

/// Puts `text` in the brief editor as an edit (undo brings the earlier brief back) and closes
/// the history screen.
fn replace_brief(state: &mut State, text: &str) {
    state.replace_brief(text);
    // The store holds this brief already.
    state.brief_kept = state.brief_revision;
    state.history = None;
}

fn reset_review(state: &mut State) {
    state.fresh_review();
    state.quit_armed = false;
    state.rerun_armed = false;
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
