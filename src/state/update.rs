//! The one place the state changes: an event in, effects out. Events and keys are dispatched
//! here to the file of their concern (editing, view, running, prompt, handoff, history, picker,
//! blocks, watch), each of which changes only the state it owns.

use super::blocks::{block_list, copy_block, copy_section, jump_block, ListKey};
use super::editing::{brief_key, save_draft, take_draft};
use super::handoff::{self, choose, confirm};
use super::notify::{log_notice, notice};
use super::prompt::{open_prompt, submit_prompt};
use super::readiness::reviewable;
use super::running::{cancel, on_agent, open_feedback, retry_notice, run, send_feedback};
use super::view::{find, outline_jump, page, scroll_by, show_attempt, sync_view};
use super::{defer, overrides, payload, reask};
use super::{Focus, NoticeLevel, ReviewMode, State};
use crate::action::Action;
use crate::effect::Effect;
use crate::event::{Event, Timed};
use crate::keymap;
use crate::sanitize::sanitize;
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};

/// Applies one event to the state and returns what must be done about it.
pub fn update(state: &mut State, timed: Timed) -> Vec<Effect> {
    state.now = timed.at;
    if state.view_due && !matches!(timed.event, Event::Agent { .. }) {
        // A key that scrolls or searches works on the answer as it now is.
        state.prepare_frame();
    }
    let typed = matches!(timed.event, Event::Key(_) | Event::Paste(_));
    let effects = dispatch(state, timed);
    if typed {
        state.note_brief_edit();
    }
    show_cursors(state);
    log_notice(state);
    effects
}

/// What a key does to an overlay that only scrolls (the help, the message log): the lines to
/// move, down positive; `None`, any other key, closes it and does nothing else.
fn overlay_scroll(code: KeyCode, page: usize) -> Option<isize> {
    let page = page as isize;
    match code {
        KeyCode::Up | KeyCode::Char('k') => Some(-1),
        KeyCode::Down | KeyCode::Char('j') => Some(1),
        KeyCode::PageUp => Some(-page),
        KeyCode::PageDown => Some(page),
        _ => None,
    }
}

/// The wheel scrolls what is on top: the help or the message log, the reasoning, a run from the
/// history, the answer.
fn wheel(state: &mut State, rows: i32, at: DateTime<Utc>) -> Vec<Effect> {
    let action = if rows < 0 {
        Action::ScrollUp
    } else {
        Action::ScrollDown
    };
    if state.help || state.messages_open.is_some() {
        let key = if rows < 0 { KeyCode::Up } else { KeyCode::Down };
        for _ in 0..rows.unsigned_abs() {
            on_key(
                state,
                KeyEvent::new(key, crossterm::event::KeyModifiers::NONE),
                at,
            );
        }
        return Vec::new();
    }
    let open = state.reasoning_open
        || state
            .history
            .as_ref()
            .is_some_and(|h| !matches!(h.view, super::history::HistoryView::List));
    if open {
        for _ in 0..rows.unsigned_abs() {
            apply(state, action, at);
        }
        return Vec::new();
    }
    if state.history.is_some() || state.picker.is_some() || state.prompt.is_some() {
        return Vec::new();
    }
    scroll_by(state, rows as isize)
}

/// Only the editor that has the keyboard shows its cursor.
fn show_cursors(state: &mut State) {
    let cursor = ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::REVERSED);
    let brief = state.focus == Focus::Brief && state.review.mode == ReviewMode::Choosing;
    state.brief.set_cursor_style(if brief {
        cursor
    } else {
        ratatui::style::Style::default()
    });
    state.review.feedback.set_cursor_style(cursor);
    state.review.payload_editor.set_cursor_style(cursor);
}

fn dispatch(state: &mut State, timed: Timed) -> Vec<Effect> {
    let at = timed.at;
    match timed.event {
        Event::Key(key) => on_key(state, key, at),
        Event::Wheel(rows) => wheel(state, rows, at),
        Event::Paste(text) => {
            on_paste(state, &text);
            Vec::new()
        }
        Event::Resize { width, height } => {
            state.width = width;
            // Inline, the workbench has its viewport's rows, not the screen's.
            state.height = if state.inline {
                height.min(crate::screen::layout::INLINE_ROWS)
            } else {
                height
            };
            state.lay_out();
            Vec::new()
        }
        Event::Agent { run_id, event } => {
            let finished = matches!(event, crate::provider::AgentEvent::Finished(_));
            on_agent(state, run_id, event, at);
            if finished {
                super::checks::on_complete(state, run_id)
            } else {
                Vec::new()
            }
        }
        Event::CheckProgress {
            run_id,
            done,
            total,
        } => {
            super::checks::on_progress(state, run_id, done, total);
            Vec::new()
        }
        Event::Checked { run_id, report } => {
            super::checks::on_checked(state, run_id, *report, at);
            Vec::new()
        }
        Event::HandedOff(result) => handoff::on_handed_off(state, result, at),
        Event::Deferred(result) => defer::on_deferred(state, result, at),
        Event::Action(action) => apply(state, action, at),
        Event::DraftDue => save_draft(state),
        Event::BriefEdited(result) => {
            state.clear_screen = true;
            match result {
                Ok(text) => {
                    // Not saved anywhere yet: the draft will take it.
                    state.replace_brief(&text);
                    state.focus = super::Focus::Brief;
                    notice(
                        state,
                        NoticeLevel::Success,
                        format!(
                            "The brief came back from the editor ({} lines); Ctrl-Z twice undoes it.",
                            text.lines().count()
                        ),
                    );
                }
                Err(e) => notice(state, NoticeLevel::Error, e),
            }
            Vec::new()
        }
        Event::Watched(watch) => {
            super::watch::on_watch(state, watch, at);
            Vec::new()
        }
        Event::SyntaxThemeSet(result) => {
            match result {
                Ok(()) => state.render_again(),
                Err(e) => notice(state, NoticeLevel::Error, e),
            }
            Vec::new()
        }
        Event::ModelsListed(result) => {
            super::picker::on_listed(state, result);
            Vec::new()
        }
        Event::ProviderBuilt(result) => super::picker::on_built(state, result, at),
        Event::Tick => {
            retry_notice(state);
            super::reading::reading_notice(state);
            Vec::new()
        }
        Event::InboxLoaded(result) => {
            super::inbox::on_loaded(state, result, at);
            Vec::new()
        }
        Event::PendingOpened(result) => super::inbox::on_opened(state, result, at),
        Event::InboxChanged => super::inbox::on_changed(state),
        Event::ClaimLost(why) => {
            super::inbox::on_claim_lost(state, why);
            Vec::new()
        }
        Event::HistoryLoaded(result) => {
            super::history::on_list(state, result);
            Vec::new()
        }
        Event::RunsLoaded {
            then,
            result,
            chain_id,
        } => {
            super::history::on_runs(state, then, result, chain_id, at);
            Vec::new()
        }
        Event::CommentShared { key, comment } => {
            super::notes::receive_comment(state, &key, comment, at);
            Vec::new()
        }
        Event::Reported(result) => {
            match result {
                Ok(text) => notice(state, NoticeLevel::Success, text),
                Err(text) => notice(state, NoticeLevel::Error, text),
            }
            Vec::new()
        }
    }
}

fn on_key(state: &mut State, key: KeyEvent, at: DateTime<Utc>) -> Vec<Effect> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    if state.help {
        // Arrows and page keys scroll the help; any other key closes it and does nothing else.
        let total = crate::screen::help::help_lines(
            crate::screen::help::help_width(state.width),
            &crate::screen::theme::Palette::dark(),
        )
        .len();
        let rows = (state.height as usize).saturating_sub(2);
        let last = total.saturating_sub(rows);
        match overlay_scroll(key.code, rows) {
            Some(by) => {
                state.help_scroll = state.help_scroll.saturating_add_signed(by).min(last);
            }
            None => {
                state.help = false;
                state.help_scroll = 0;
            }
        }
        return Vec::new();
    }
    if let Some(up) = state.messages_open {
        // The log counts its scroll from its end, the newest message.
        let rows = (state.height as usize).saturating_sub(4).max(1);
        state.messages_open =
            overlay_scroll(key.code, rows).map(|by| up.saturating_add_signed(-by));
        return Vec::new();
    }
    state.notice = None;
    if state.next_step.is_some() {
        if let KeyCode::Char(c @ ('y' | 'Y' | 'n' | 'N')) = key.code {
            handoff::answer_revisit(state, c.eq_ignore_ascii_case(&'y'), at);
            return Vec::new();
        }
    }
    let context = state.key_context();
    if context == keymap::Context::Brief && !state.read_only && super::vi::key(state, &key) {
        return Vec::new();
    }
    let action = match keymap::resolve(context, &key) {
        // An overlay being written in keeps the keyboard: Tab moves no pane behind it, so Esc
        // comes back to where the reviewer was.
        Some(Action::FocusNext | Action::FocusPrev)
            if matches!(
                context,
                keymap::Context::Feedback | keymap::Context::Payload
            ) =>
        {
            None
        }
        other => other,
    };
    if action != Some(Action::Quit) {
        state.quit_armed = false;
    }
    if action != Some(Action::Run) {
        state.rerun_armed = false;
    }
    if state.read_only {
        match action {
            Some(action) if super::watch::allowed(action) => return apply(state, action, at),
            Some(_) => {
                super::watch::refuse(state);
                return Vec::new();
            }
            None if context == keymap::Context::Prompt => {}
            None => {
                if matches!(
                    key.code,
                    KeyCode::Char(_) | KeyCode::Enter | KeyCode::Backspace
                ) {
                    super::watch::refuse(state);
                }
                return Vec::new();
            }
        }
    }
    match action {
        Some(action) => apply(state, action, at),
        None => {
            match context {
                keymap::Context::Brief => brief_key(state, key),
                keymap::Context::Feedback => {
                    state.review.feedback.input(key);
                }
                keymap::Context::Payload => {
                    state.review.payload_editor.input(key);
                }
                keymap::Context::Prompt => {
                    if let Some(prompt) = &mut state.prompt {
                        prompt.input.input(key);
                    }
                }
                _ => {}
            }
            Vec::new()
        }
    }
}

fn on_paste(state: &mut State, text: &str) {
    if state.read_only && state.prompt.is_none() {
        super::watch::refuse(state);
        return;
    }
    let text = sanitize(&text.replace("\r\n", "\n").replace('\r', "\n")).into_owned();
    if let Some(prompt) = &mut state.prompt {
        prompt.input.insert_str(text.replace('\n', " "));
    } else if state.review.mode == ReviewMode::Feedback {
        state.review.feedback.insert_str(&text);
    } else if state.review.mode == ReviewMode::EditPayload {
        state.review.payload_editor.insert_str(&text);
    } else if state.focus == Focus::Brief {
        state.brief.insert_str(&text);
    } else {
        notice(
            state,
            NoticeLevel::Warning,
            "Paste goes into the brief: focus it with Tab first.",
        );
    }
}

pub(super) fn apply(state: &mut State, action: Action, at: DateTime<Utc>) -> Vec<Effect> {
    if let Some(selected) = state.check_list {
        if let Some(effects) = super::checks::list_key(state, action, selected) {
            return effects;
        }
    }
    if state.prompt.is_none() {
        if let Some(effects) = super::schema_view::key(state, action) {
            return effects;
        }
        if let Some(effects) = super::diff::key(state, action) {
            return effects;
        }
        if let Some(effects) = super::plans::key(state, action) {
            return effects;
        }
        if let Some(effects) = super::notes::marking_key(state, action) {
            return effects;
        }
        if let Some(selected) = state.comments_open {
            if let Some(effects) = super::notes::comments_key(state, action, selected, at) {
                return effects;
            }
        }
        if let Some(selected) = state.checklist_open {
            if let Some(effects) = super::notes::checklist_key(state, action, selected, at) {
                return effects;
            }
        }
    }
    if let Some(selected) = state.block_list {
        match block_list(state, action, selected) {
            ListKey::Done(effects) => return effects,
            ListKey::Pass(action) => return apply(state, action, at),
        }
    }
    if state.picker.is_some() {
        if let Some(effects) = super::picker::apply(state, action) {
            return effects;
        }
        if !matches!(action, Action::Help | Action::Quit) {
            state.picker = None;
        }
    }
    if state.inbox.is_some() && state.prompt.is_none() {
        if let Some(effects) = super::inbox::key(state, action) {
            return effects;
        }
    }
    // A prompt opened from the history (search, re-run) takes its own keys first.
    if state.history.is_some() && state.prompt.is_none() {
        if let Some(effects) = super::history::apply(state, action) {
            return effects;
        }
        // Help and quit work over the history; anything else is for the workbench behind it.
        if !matches!(action, Action::Help | Action::Quit | Action::OpenHistory) {
            state.history = None;
        }
    }
    match action {
        Action::Quit => quit(state),
        Action::OpenHistory => super::history::open(state),
        Action::OpenInbox => super::inbox::open(state),
        Action::Messages => {
            state.messages_open = Some(0);
            Vec::new()
        }
        Action::TakeDraft => {
            take_draft(state);
            Vec::new()
        }
        Action::PickModel => super::picker::open(state),
        Action::NextTheme => {
            let count = state.themes.len().max(1);
            let at = state
                .themes
                .iter()
                .position(|t| t.name == state.theme.name)
                .map_or(0, |i| (i + 1) % count);
            let Some(theme) = state.themes.get(at).cloned() else {
                return Vec::new();
            };
            let syntax = theme.syntax.clone();
            let name = theme.name.clone();
            state.use_theme(theme);
            notice(
                state,
                NoticeLevel::Info,
                format!("Theme {name} ({} of {count}); F3 for the next.", at + 1),
            );
            vec![Effect::SetSyntaxTheme(syntax)]
        }
        Action::ToggleReasoning => {
            state.reasoning_open = !state.reasoning_open;
            state.reasoning_scroll = 0;
            Vec::new()
        }
        Action::ScrollUp if state.reasoning_open => {
            let lines = state
                .shown_attempt()
                .map_or(0, |a| a.reasoning.lines().count());
            if state.reasoning_scroll + 1 < lines {
                state.reasoning_scroll += 1;
            }
            Vec::new()
        }
        Action::ScrollDown if state.reasoning_open => {
            state.reasoning_scroll = state.reasoning_scroll.saturating_sub(1);
            Vec::new()
        }
        Action::HistoryMark
        | Action::HistoryCompare
        | Action::HistoryContinue
        | Action::HistoryRerun => Vec::new(),
        Action::Run => run(state, at),
        Action::Cancel => cancel(state, at),
        Action::FocusNext => {
            state.focus = state.focus.next();
            if state.zoom {
                state.lay_out();
            }
            Vec::new()
        }
        Action::FocusPrev => {
            state.focus = state.focus.prev();
            if state.zoom {
                state.lay_out();
            }
            Vec::new()
        }
        Action::EditExternally => vec![Effect::EditBrief {
            text: state.brief_text(),
        }],
        Action::Zoom => {
            state.zoom = !state.zoom;
            state.lay_out();
            Vec::new()
        }
        Action::Help => {
            state.help = true;
            Vec::new()
        }
        Action::ScrollUp => scroll_by(state, -1),
        Action::ScrollDown => scroll_by(state, 1),
        Action::PageUp => scroll_by(state, -(page(state) as isize)),
        Action::PageDown => scroll_by(state, page(state) as isize),
        Action::Top => {
            state.follow = false;
            state.scroll = 0;
            Vec::new()
        }
        Action::Bottom => {
            state.follow = true;
            sync_view(state);
            Vec::new()
        }
        Action::PrevAttempt => show_attempt(state, state.shown.checked_sub(1)),
        Action::NextAttempt => show_attempt(state, Some(state.shown + 1)),
        Action::Choose(index) => choose(state, index),
        Action::RouteUp | Action::RouteDown => {
            let count = state.session.role.routes.len();
            if count > 0 && reviewable(state) {
                let step = if action == Action::RouteDown {
                    1
                } else {
                    count - 1
                };
                let next = state.review.selected.map_or(0, |s| (s + step) % count);
                state.review.selected = Some(next);
            }
            Vec::new()
        }
        Action::Confirm => confirm(state, at),
        Action::Revise => open_feedback(state),
        Action::SendFeedback => send_feedback(state, at),
        Action::CloseFeedback => {
            state.review.mode = ReviewMode::Choosing;
            Vec::new()
        }
        Action::Undo => {
            super::undo::undo(&mut state.brief);
            Vec::new()
        }
        Action::PrevItem | Action::NextItem => {
            let count = state.outline().len();
            if count > 0 {
                let current = state.outline_selected.min(count - 1);
                state.outline_selected = if action == Action::NextItem {
                    (current + 1).min(count - 1)
                } else {
                    current.saturating_sub(1)
                };
            }
            Vec::new()
        }
        Action::OpenItem => {
            outline_jump(state);
            Vec::new()
        }
        Action::HalfPageUp => scroll_by(state, -((page(state) / 2).max(1) as isize)),
        Action::HalfPageDown => scroll_by(state, (page(state) / 2).max(1) as isize),
        Action::PrevBlock | Action::NextBlock => {
            jump_block(state, action == Action::NextBlock);
            Vec::new()
        }
        Action::CopyBlock => copy_block(state),
        Action::BlockList => {
            if state
                .shown_attempt()
                .is_some_and(|a| !a.doc.code_blocks().is_empty())
            {
                state.block_list = Some(0);
            } else {
                notice(state, NoticeLevel::Info, "The answer has no code blocks.");
            }
            Vec::new()
        }
        Action::CopySection => copy_section(state),
        Action::CheckList => {
            super::checks::open_list(state);
            Vec::new()
        }
        Action::Recheck => super::checks::recheck(state),
        Action::SchemaView => {
            super::schema_view::open(state);
            Vec::new()
        }
        Action::SchemaBack | Action::InboxRole | Action::InboxAge => Vec::new(),
        Action::DiffAttempt => {
            super::diff::open(state);
            Vec::new()
        }
        Action::QueryPlans => {
            super::plans::open(state);
            Vec::new()
        }
        Action::Comment => {
            super::notes::start_comment(state);
            Vec::new()
        }
        Action::Comments => {
            super::notes::open_comments(state);
            Vec::new()
        }
        Action::Checklist => {
            super::notes::open_checklist(state);
            Vec::new()
        }
        Action::ExtendUp
        | Action::ExtendDown
        | Action::MarkMet
        | Action::MarkNotMet
        | Action::MarkNotApplicable
        | Action::MarkOpen
        | Action::AddItem
        | Action::EditItem
        | Action::DeleteItem => Vec::new(),
        Action::CopyAnswer => match state.shown_attempt() {
            Some(a) if !a.text().is_empty() => vec![Effect::Copy {
                text: a.text().to_string(),
                what: format!("the answer of attempt {}", a.number),
            }],
            _ => {
                notice(
                    state,
                    NoticeLevel::Warning,
                    "There is no answer to copy yet.",
                );
                Vec::new()
            }
        },
        Action::SaveBlocks | Action::ExportAnswer | Action::Search => {
            open_prompt(state, action);
            Vec::new()
        }
        Action::SubmitPrompt => submit_prompt(state, at),
        Action::Override => {
            let known = overrides::override_candidates(state);
            overrides::open_review_prompt(state, super::PromptKind::OverrideRole(known));
            Vec::new()
        }
        Action::Reject => {
            overrides::open_review_prompt(state, super::PromptKind::Reject);
            Vec::new()
        }
        Action::Reask => reask::reask(state, at),
        Action::EditPayload => {
            payload::edit_payload(state);
            Vec::new()
        }
        Action::SavePayload | Action::ClosePayload => {
            payload::keep_payload(state, action == Action::ClosePayload, at);
            Vec::new()
        }
        Action::ResetPayload => {
            payload::reset_payload(state);
            Vec::new()
        }
        Action::Defer => defer::defer(state, at),
        Action::ClosePrompt => {
            if state.next_step.is_some() {
                handoff::answer_revisit(state, false, at);
            }
            state.prompt = None;
            Vec::new()
        }
        Action::NextMatch | Action::PrevMatch => {
            find(state, action == Action::NextMatch);
            Vec::new()
        }
        Action::OutlineFold => {
            if let Some(crate::review::outline::Item::Heading { line, .. }) =
                state.outline().get(state.outline_selected)
            {
                let line = *line;
                if !state.foldable().contains(&line) {
                    notice(
                        state,
                        NoticeLevel::Info,
                        "This heading has no subsections to fold.",
                    );
                    return Vec::new();
                }
                match state.folded.iter().position(|l| *l == line) {
                    Some(i) => {
                        state.folded.remove(i);
                    }
                    None => state.folded.push(line),
                }
            }
            Vec::new()
        }
    }
}

fn work_at_risk(state: &State) -> bool {
    state.running.is_some() || (state.latest().is_some() && !state.review.settled())
}

fn quit(state: &mut State) -> Vec<Effect> {
    if work_at_risk(state) && !state.quit_armed {
        state.quit_armed = true;
        notice(
            state,
            NoticeLevel::Warning,
            "The answer is not handed off. Press Ctrl-Q again to quit anyway.",
        );
        return Vec::new();
    }
    state.quit = true;
    let mut effects: Vec<Effect> = state
        .running
        .take()
        .map(|run_id| Effect::CancelRun { run_id })
        .into_iter()
        .collect();
    effects.push(Effect::Quit);
    effects
}
