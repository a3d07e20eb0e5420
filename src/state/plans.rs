//! The agent's queries beside their plans: `P` in the Answer pane shows each query the SQL check
//! planned, its text on one side and on the other the plan as it stands, the plan with
//! sequential scans discouraged (the index of the design that serves it, if any) and what the
//! answer claims of it; n/N go between the queries, Enter shows the query in the answer.

use super::notify::notice;
use super::{NoticeLevel, State};
use crate::action::Action;
use crate::check::planner::QueryPlan;
use crate::effect::Effect;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlansView {
    /// The query shown, by its place in the report's plans.
    pub at: usize,
    /// Rows of the plan scrolled past.
    pub scroll: usize,
}

/// The queries the check planned for the attempt on screen, or why there are none.
pub fn plans_of(state: &State) -> Result<&[QueryPlan], &'static str> {
    let report = super::checks::report_of(state)
        .ok_or("The plans come from the SQL check of the answer: C checks it.")?;
    if report.plans.is_empty() {
        return Err(if report.not_applied.is_some() {
            "The SQL was not applied: no query could be planned."
        } else {
            "The answer has no query to plan (SELECT, UPDATE, DELETE, INSERT … SELECT)."
        });
    }
    Ok(&report.plans)
}

/// `P`: the first query beside its plan, or the first whose claim the planner contradicts.
pub(super) fn open(state: &mut State) {
    match plans_of(state) {
        Ok(plans) => {
            let at = plans
                .iter()
                .position(|p| p.contradictions().next().is_some())
                .unwrap_or(0);
            state.plans_view = Some(PlansView { at, scroll: 0 });
        }
        Err(why) => notice(state, NoticeLevel::Info, why),
    }
}

/// Keys while the plans are open; `None` passes the action on (the view closes).
pub(super) fn key(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let mut view = state.plans_view?;
    let Ok(plans) = plans_of(state) else {
        state.plans_view = None;
        return None;
    };
    let count = plans.len();
    let line = plans.get(view.at).map(|p| p.line);
    match action {
        Action::ScrollDown => view.scroll += 1,
        Action::ScrollUp => view.scroll = view.scroll.saturating_sub(1),
        Action::Top => view.scroll = 0,
        Action::NextMatch | Action::PrevMatch => {
            let next = if action == Action::NextMatch {
                (view.at + 1 < count).then_some(view.at + 1)
            } else {
                view.at.checked_sub(1)
            };
            match next {
                Some(at) => view = PlansView { at, scroll: 0 },
                None => {
                    let text = if action == Action::NextMatch {
                        "This is the last query planned."
                    } else {
                        "This is the first query planned."
                    };
                    notice(state, NoticeLevel::Info, text);
                }
            }
        }
        Action::OpenItem => {
            state.plans_view = None;
            if let Some(line) = line {
                super::view::show_line(state, line);
                notice(
                    state,
                    NoticeLevel::Info,
                    format!("The query at line {line}."),
                );
            }
            return Some(Vec::new());
        }
        Action::ClosePrompt | Action::QueryPlans => {
            state.plans_view = None;
            return Some(Vec::new());
        }
        _ => {
            state.plans_view = None;
            return None;
        }
    }
    state.plans_view = Some(view);
    Some(Vec::new())
}
