//! The one place the state changes: an event in, effects out.

use super::blocks::{block_list, copy_block, copy_section, jump_block};
use super::handoff::{self, choose, confirm, decision_notice, reviewable};
use super::{Attempt, Focus, Notice, NoticeLevel, Phase, ReviewMode, State};
use crate::action::Action;
use crate::effect::Effect;
use crate::event::{Event, Timed};
use crate::keymap;
use crate::provider::{AgentEvent, ChatRequest, FinishReason, Message, Speaker};
use crate::routing::envelope::sha256_hex;
use crate::routing::parse_decision;
use crate::sanitize::sanitize;
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};

/// Applies one event to the state and returns what must be done about it.
pub fn update(state: &mut State, timed: Timed) -> Vec<Effect> {
    state.now = timed.at;
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

/// Keeps the status line's message in the session's log once, when it appears (whoever set it).
fn log_notice(state: &mut State) {
    let Some(notice) = &state.notice else { return };
    if state.messages.back().map(|(_, n)| n) == Some(notice) {
        return;
    }
    state.messages.push_back((state.now, notice.clone()));
    if state.messages.len() > super::MESSAGES_KEPT {
        state.messages.pop_front();
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

/// A key typed in the brief: Ctrl-Home and Ctrl-End go to its start and end, as in every
/// editor (the text area alone takes them to the line's); the rest is the text area's.
fn brief_key(state: &mut State, key: KeyEvent) {
    use ratatui_textarea::CursorMove;
    let ctrl = key
        .modifiers
        .contains(crossterm::event::KeyModifiers::CONTROL);
    match key.code {
        KeyCode::End if ctrl => {
            state.brief.move_cursor(CursorMove::Bottom);
            state.brief.move_cursor(CursorMove::End);
        }
        KeyCode::Home if ctrl => {
            state.brief.move_cursor(CursorMove::Top);
            state.brief.move_cursor(CursorMove::Head);
        }
        KeyCode::Char('r') if ctrl => {
            super::undo::redo(&mut state.brief);
        }
        _ => {
            state.brief.input(key);
        }
    }
}

/// The reviewer takes the draft an earlier workbench left for this brief.
fn take_draft(state: &mut State) {
    let Some(draft) = state.offered_draft.take() else {
        notice(
            state,
            NoticeLevel::Info,
            "No draft is waiting: drafts of workbenches that ended are offered when the same brief opens.",
        );
        return;
    };
    state.recover_draft(&draft);
    state.focus = Focus::Brief;
    notice(
        state,
        NoticeLevel::Success,
        format!(
            "The draft is in the editor ({} lines); Ctrl-Z twice brings back the brief it replaced.",
            draft.text.lines().count()
        ),
    );
}

/// The draft's delay has passed: save the brief if it changed since the last save.
fn save_draft(state: &mut State) -> Vec<Effect> {
    if state.brief_revision == state.draft_saved {
        return Vec::new();
    }
    state.draft_saved = state.brief_revision;
    vec![Effect::SaveDraft {
        owner: state.draft_owner(),
        text: state.brief_text(),
        replaces: state.taken_draft.take(),
    }]
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
                height.min(crate::terminal::INLINE_ROWS)
            } else {
                height
            };
            state.lay_out();
            Vec::new()
        }
        Event::Agent { run_id, event } => {
            on_agent(state, run_id, event, at);
            Vec::new()
        }
        Event::HandedOff(result) => handoff::on_handed_off(state, result, at),
        Event::Deferred(result) => handoff::on_deferred(state, result, at),
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
        Event::Reported(result) => {
            match result {
                Ok(text) => notice(state, NoticeLevel::Success, text),
                Err(text) => notice(state, NoticeLevel::Error, text),
            }
            Vec::new()
        }
    }
}

/// Queues one record for the audit log.
pub(super) fn audit(state: &mut State, kind: &str, at: DateTime<Utc>, data: serde_json::Value) {
    let attempt = state.attempts.last().map_or(0, |a| a.number);
    state.audit.push(crate::store::audit::AuditEntry {
        kind: kind.to_string(),
        chain_id: state.session.chain_id.clone(),
        role: state.session.role.id.clone(),
        attempt,
        at,
        data: data.clone(),
    });
    let key = super::journal::latest_key(state);
    // Without a key the run was made by another process: it is found by its answer.
    let answer = key
        .is_none()
        .then(|| super::journal::latest_answer(state))
        .flatten();
    state.records.push(crate::store::writer::Record::Event {
        key,
        answer,
        at,
        kind: kind.to_string(),
        data,
    });
}

pub(super) fn notice(state: &mut State, level: NoticeLevel, text: impl Into<String>) {
    state.notice = Some(Notice {
        level,
        text: text.into(),
    });
}

fn on_key(state: &mut State, key: KeyEvent, at: DateTime<Utc>) -> Vec<Effect> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    if state.help {
        // Arrows and page keys scroll the help; any other key closes it and does nothing else.
        let total = crate::ui::panes::help_lines(
            crate::ui::panes::help_width(state.width),
            &crate::ui::theme::Palette::dark(),
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
    if let Some(selected) = state.block_list {
        return block_list(state, action, selected, at);
    }
    if state.picker.is_some() {
        if let Some(effects) = super::picker::apply(state, action) {
            return effects;
        }
        if !matches!(action, Action::Help | Action::Quit) {
            state.picker = None;
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
            let known = handoff::override_candidates(state);
            handoff::open_review_prompt(state, super::PromptKind::OverrideRole(known));
            Vec::new()
        }
        Action::Reject => {
            handoff::open_review_prompt(state, super::PromptKind::Reject);
            Vec::new()
        }
        Action::Reask => handoff::reask(state, at),
        Action::EditPayload => {
            handoff::edit_payload(state);
            Vec::new()
        }
        Action::SavePayload | Action::ClosePayload => {
            handoff::keep_payload(state, action == Action::ClosePayload, at);
            Vec::new()
        }
        Action::ResetPayload => {
            handoff::reset_payload(state);
            Vec::new()
        }
        Action::Defer => handoff::defer(state, at),
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

pub(super) fn open_prompt(state: &mut State, action: Action) {
    let (kind, text) = match action {
        Action::Search => (
            super::PromptKind::Search,
            state.search.clone().unwrap_or_default(),
        ),
        Action::SaveBlocks => (
            super::PromptKind::SaveBlocks,
            state.blocks_dir.display().to_string(),
        ),
        _ => (
            super::PromptKind::Export,
            state.blocks_dir.display().to_string(),
        ),
    };
    if kind != super::PromptKind::Search
        && state.shown_attempt().is_none_or(|a| a.text().is_empty())
    {
        notice(state, NoticeLevel::Warning, "There is no answer yet.");
        return;
    }
    let mut input = super::new_editor(&text, "");
    // The last term or folder, selected: Enter keeps it, typing replaces it.
    input.select_all();
    state.prompt = Some(super::Prompt { kind, input });
}

fn submit_prompt(state: &mut State, at: DateTime<Utc>) -> Vec<Effect> {
    let Some(prompt) = state.prompt.take() else {
        return Vec::new();
    };
    let text = prompt.input.lines().join(" ").trim().to_string();
    match &prompt.kind {
        super::PromptKind::ConfirmRevisit(_) => {
            state.prompt = Some(prompt);
            handoff::answer_revisit(
                state,
                text.eq_ignore_ascii_case("y") || text.eq_ignore_ascii_case("yes"),
                at,
            );
            return Vec::new();
        }
        super::PromptKind::Reject => {
            return handoff::reject(state, (!text.is_empty()).then(|| text.clone()), at);
        }
        super::PromptKind::OverrideRole(known) if !text.is_empty() => {
            let picked = text
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| known.get(i).cloned())
                .unwrap_or_else(|| text.clone());
            handoff::override_role(state, &picked);
            return Vec::new();
        }
        super::PromptKind::ConfirmUnknown(role) => {
            let role = role.clone();
            handoff::confirm_unknown(state, &role, &text);
            return Vec::new();
        }
        super::PromptKind::HistorySearch => return super::history::search(state, &text),
        super::PromptKind::RerunRole(id) => {
            let id = *id;
            return super::history::rerun_with(state, id, &text);
        }
        super::PromptKind::OverrideReason(role) => {
            if text.is_empty() {
                let role = role.clone();
                notice(state, NoticeLevel::Warning, format!("An override needs a reason: say why the work goes to {role} and not to a listed route."));
                state.prompt = Some(prompt);
                return Vec::new();
            }
            return handoff::override_send(state, role.clone(), &text, at);
        }
        _ => {}
    }
    if text.is_empty() {
        notice(
            state,
            NoticeLevel::Warning,
            "Nothing was typed; nothing was done.",
        );
        return Vec::new();
    }
    let Some(attempt) = state.shown_attempt() else {
        return Vec::new();
    };
    match prompt.kind {
        super::PromptKind::OverrideRole(_)
        | super::PromptKind::ConfirmUnknown(_)
        | super::PromptKind::OverrideReason(_)
        | super::PromptKind::Reject
        | super::PromptKind::ConfirmRevisit(_)
        | super::PromptKind::HistorySearch
        | super::PromptKind::RerunRole(_) => Vec::new(),
        super::PromptKind::Search => {
            state.search = Some(text);
            state.search_at = None;
            find(state, true);
            Vec::new()
        }
        super::PromptKind::SaveBlocks => {
            let blocks = attempt.doc.code_blocks().to_vec();
            state.blocks_dir = std::path::PathBuf::from(&text);
            if blocks.is_empty() {
                notice(
                    state,
                    NoticeLevel::Warning,
                    "The answer has no code blocks to save.",
                );
                return Vec::new();
            }
            vec![Effect::SaveBlocks {
                blocks,
                dir: state.blocks_dir.clone(),
            }]
        }
        super::PromptKind::Export => {
            let decision = attempt
                .decision
                .as_ref()
                .map(|d| d.candidates.join(", "))
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "none".into());
            let body = crate::review::blocks::export_markdown(
                attempt.text(),
                &state.session.role.id,
                &state.session.provider.model,
                &decision,
            );
            let name = format!("{}-attempt-{}.md", state.session.role.id, attempt.number);
            state.blocks_dir = std::path::PathBuf::from(&text);
            vec![Effect::Export {
                path: state.blocks_dir.join(name),
                text: body,
            }]
        }
    }
}

/// Moves to the next (or previous) line of the answer holding the search term.
/// Moves to the next (or previous) occurrence of the search term, wrapping around the ends;
/// every occurrence counts, several on one line too. The first search starts from the top of
/// the screen.
fn find(state: &mut State, forward: bool) {
    let Some(query) = state.search.clone().map(|q| q.to_lowercase()) else {
        notice(state, NoticeLevel::Info, "Press / to search the answer.");
        return;
    };
    let Some(attempt) = state.shown_attempt() else {
        return;
    };
    // The row of each occurrence, in order.
    let rows: Vec<usize> = attempt
        .doc
        .committed()
        .iter()
        .enumerate()
        .flat_map(|(i, l)| {
            let text: String = l.line.spans.iter().map(|s| s.content.as_ref()).collect();
            let count = if query.is_empty() {
                0
            } else {
                text.to_lowercase().matches(query.as_str()).count()
            };
            std::iter::repeat_n(state.view.row_of_line(i), count)
        })
        .collect();
    if rows.is_empty() {
        notice(
            state,
            NoticeLevel::Warning,
            format!("`{query}` is not in the answer."),
        );
        return;
    }
    let last = rows.len() - 1;
    let (at, wrapped) = match (state.search_at.filter(|a| *a <= last), forward) {
        (None, _) => (
            rows.iter().position(|r| *r >= state.scroll).unwrap_or(0),
            false,
        ),
        (Some(at), true) if at == last => (0, true),
        (Some(at), true) => (at + 1, false),
        (Some(0), false) => (last, true),
        (Some(at), false) => (at - 1, false),
    };
    state.search_at = Some(at);
    state.follow = false;
    state.scroll = rows[at].min(max_scroll(state));
    let wrap = match (wrapped, forward) {
        (true, true) => " (from the top)",
        (true, false) => " (from the end)",
        _ => "",
    };
    notice(
        state,
        NoticeLevel::Info,
        format!(
            "Match {} of {}{wrap} — n next, N previous.",
            at + 1,
            rows.len()
        ),
    );
}

fn outline_jump(state: &mut State) {
    use crate::review::outline::Item;
    match state.outline().get(state.outline_selected) {
        Some(Item::Heading { line, .. }) => {
            let row = state.view.row_of_line(*line);
            state.follow = false;
            state.scroll = row.min(max_scroll(state));
        }
        Some(Item::Absent { name, .. }) => {
            let when = if state.shown_attempt().is_some_and(|a| a.phase.is_live()) {
                "yet"
            } else {
                "at all"
            };
            notice(
                state,
                NoticeLevel::Info,
                format!("{name} is not in the answer {when}."),
            );
        }
        None => {}
    }
}

fn work_at_risk(state: &State) -> bool {
    state.running.is_some() || (state.latest().is_some() && !settled(state))
}

/// The review of the answer on screen is over: handed off, rejected or deferred.
fn settled(state: &State) -> bool {
    state
        .review
        .handoff
        .as_ref()
        .is_some_and(|h| h.is_settled())
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

/// The system prompt and brief, then each earlier answer with the feedback that followed it.
pub(super) fn conversation(state: &State) -> Vec<Message> {
    let mut messages = vec![
        Message::new(Speaker::System, state.session.role.prompt.clone()),
        Message::new(Speaker::User, state.brief_text()),
    ];
    for attempt in &state.attempts {
        if let Some(feedback) = &attempt.feedback {
            messages.push(Message::new(Speaker::User, feedback.clone()));
        }
        if !attempt.phase.is_live() {
            messages.push(Message::new(Speaker::Assistant, attempt.text().to_string()));
        }
    }
    messages
}

fn start_attempt(state: &mut State, feedback: Option<String>, at: DateTime<Utc>) -> Vec<Effect> {
    let run_id = state.next_run_id;
    state.next_run_id += 1;
    let number = state.attempts.len() as u32 + 1;
    state.attempts.push(Attempt::new(
        number,
        run_id,
        feedback,
        state.styles.clone(),
        at,
    ));
    let request = ChatRequest {
        messages: conversation(state),
        params: state.session.params.clone(),
    };
    let feedback = state.attempts.last().and_then(|a| a.feedback.clone());
    let data = serde_json::json!({
        "provider": state.session.provider,
        "parameters": state.session.params,
        "prompt_sha256": state.session.role.prompt_sha256(),
        "brief_sha256": sha256_hex(&state.brief_text()),
        "feedback": feedback,
    });
    super::journal::started(state, at);
    state.brief_kept = state.brief_revision;
    audit(state, "run_started", at, data);
    state.running = Some(run_id);
    state.shown = state.attempts.len() - 1;
    state.review.selected = None;
    state.review.handoff = None;
    // An edited brief for the next role belonged to the earlier answer.
    state.review.payload = None;
    state.outline_selected = 0;
    state.folded.clear();
    state.follow = true;
    state.scroll = 0;
    state.view = Default::default();
    sync_view(state);
    state.focus = Focus::Answer;
    notice(
        state,
        NoticeLevel::Info,
        format!(
            "Attempt {number} sent to {}. Esc cancels.",
            state.session.provider.model
        ),
    );
    vec![Effect::StartRun { run_id, request }]
}

fn run(state: &mut State, at: DateTime<Utc>) -> Vec<Effect> {
    if state.running.is_some() {
        notice(
            state,
            NoticeLevel::Warning,
            "An answer is still streaming: wait for it, or press Esc to cancel it.",
        );
        return Vec::new();
    }
    if state.brief_text().trim().is_empty() {
        state.focus = Focus::Brief;
        notice(
            state,
            NoticeLevel::Error,
            "The brief is empty: write what the architect should design, then press Ctrl-S.",
        );
        return Vec::new();
    }
    // An answer that broke off (network, server) is tried again at once, as the same attempt:
    // its partial text stays in the history, and the conversation before it is unchanged.
    if matches!(state.latest().map(|a| &a.phase), Some(Phase::Failed(_))) {
        let failed = state.attempts.pop();
        let feedback = failed.and_then(|a| a.feedback);
        let effects = start_attempt(state, feedback, at);
        let number = state.latest().map_or(1, |a| a.number);
        notice(
            state,
            NoticeLevel::Info,
            format!("Trying attempt {number} again; the broken-off answer is kept in the history (Ctrl-O). Esc cancels."),
        );
        return effects;
    }
    if !state.attempts.is_empty() && !settled(state) && !state.rerun_armed {
        state.rerun_armed = true;
        notice(state, NoticeLevel::Warning, "Ctrl-S again discards this answer and runs the brief anew; r sends it back with feedback instead.");
        return Vec::new();
    }
    state.rerun_armed = false;
    if state.review.handoff.as_ref().is_some_and(|h| h.is_final()) {
        new_chain(state);
    }
    state.attempts.clear();
    start_attempt(state, None, at)
}

/// Running a brief again after its answer was settled starts a chain of its own, so that the
/// new answer is never taken for the old one. The id is derived from this workbench's id and
/// the next run's number (update reads no clock and draws no random numbers).
fn new_chain(state: &mut State) {
    use sha2::{Digest, Sha256};
    let seed = Sha256::digest(format!("{}:{}", state.instance, state.next_run_id));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&seed[..16]);
    state.session.chain_id = uuid::Uuid::new_v8(bytes).to_string();
    state.session.chain.parent_id = None;
    state.session.chain.breadcrumb = vec![state.session.role.id.clone()];
    state.session.chain.resumed_from = None;
}

fn cancel(state: &mut State, at: DateTime<Utc>) -> Vec<Effect> {
    let Some(run_id) = state.running.take() else {
        return Vec::new();
    };
    if handoff::cancel_reask(state, run_id) {
        audit(
            state,
            "review_action",
            at,
            serde_json::json!({ "action": "cancel", "reask": true }),
        );
        return vec![Effect::CancelRun { run_id }];
    }
    if let Some(attempt) = state.attempts.iter_mut().find(|a| a.run_id == run_id) {
        attempt.doc.finish();
        attempt.phase = Phase::Cancelled;
    }
    super::journal::ended(state, run_id, at);
    sync_view(state);
    notice(
        state,
        NoticeLevel::Warning,
        "Cancelled. The partial answer stays; r sends it back with feedback, Ctrl-S runs again.",
    );
    let bytes = state.latest().map_or(0, |a| a.text().len());
    audit(
        state,
        "review_action",
        at,
        serde_json::json!({ "action": "cancel", "bytes_kept": bytes }),
    );
    vec![Effect::CancelRun { run_id }]
}

/// A provider event for run `run_id`, however it came (a provider, or a watched session).
pub(super) fn on_agent(state: &mut State, run_id: u64, event: AgentEvent, at: DateTime<Utc>) {
    if state.running != Some(run_id) {
        return;
    }
    if handoff::on_reask_event(state, run_id, &event, at) {
        return;
    }
    let Some(attempt) = state.attempts.iter_mut().find(|a| a.run_id == run_id) else {
        return;
    };
    if !matches!(event, AgentEvent::Retrying { .. }) {
        attempt.retry = None;
    }
    match event {
        AgentEvent::Started { model } => attempt.model = Some(model),
        AgentEvent::Reasoning(text) => {
            // Untrusted like the answer: made harmless once, as it arrives.
            attempt.reasoning.push_str(&sanitize(&text));
            return;
        }
        AgentEvent::Retrying {
            try_number,
            of,
            wait,
            why,
        } => {
            attempt.retry = Some(super::RetryWait {
                until: at + chrono::Duration::from_std(wait).unwrap_or_default(),
                try_number,
                of,
                why,
            });
            retry_notice(state);
            return;
        }
        AgentEvent::Delta(text) => {
            if attempt.first_token_at.is_none() {
                attempt.first_token_at = Some(at);
            }
            attempt.phase = Phase::Streaming;
            attempt.pieces += 1;
            attempt.doc.push(&text);
            super::journal::delta(state, run_id, &text);
        }
        AgentEvent::Usage(usage) => attempt.usage = Some(usage),
        AgentEvent::Finished(reason) => {
            attempt.doc.finish();
            attempt.completed_at = Some(at);
            let decision = parse_decision(attempt.text(), &state.session.role.routes);
            attempt.reviewed_sha256 = Some(sha256_hex(attempt.text()));
            let cut = reason == FinishReason::Length;
            let finish_json = serde_json::to_value(&reason).unwrap_or_default();
            attempt.phase = Phase::Complete(reason);
            state.running = None;
            state.review.selected = decision
                .unique_candidate()
                .and_then(|id| state.session.role.routes.iter().position(|o| o.id == id));
            let message = decision_notice(&decision, cut);
            let complete = serde_json::json!({
                "finish_reason": finish_json,
                "response_sha256": attempt.reviewed_sha256,
                "usage": attempt.usage,
                "bytes": attempt.text().len(),
            });
            let parsed = serde_json::to_value(&decision).unwrap_or_default();
            attempt.decision = Some(decision);
            state.focus = Focus::Routes;
            notice(state, message.0, message.1);
            super::journal::ended(state, run_id, at);
            audit(state, "answer_complete", at, complete);
            audit(state, "decision_parsed", at, parsed);
        }
        AgentEvent::Failed(error) => {
            attempt.doc.finish();
            attempt.completed_at = Some(at);
            attempt.phase = Phase::Failed(error.to_string());
            let bytes = attempt.text().len();
            state.running = None;
            super::journal::ended(state, run_id, at);
            audit(
                state,
                "run_failed",
                at,
                serde_json::json!({ "error": error.to_string(), "bytes_kept": bytes }),
            );
            notice(
                state,
                NoticeLevel::Error,
                format!("{error}. The partial answer stays; Ctrl-S tries again."),
            );
        }
    }
    sync_view(state);
}

/// The status line for a refused try being waited out, with the seconds left.
fn retry_notice(state: &mut State) {
    let Some(wait) = state.latest().and_then(|a| a.retry.clone()) else {
        return;
    };
    let left = (wait.until - state.now).num_milliseconds().max(0);
    let secs = (left + 999) / 1000;
    notice(
        state,
        NoticeLevel::Warning,
        format!(
            "{}: trying again in {secs} s (try {} of {}). Esc cancels.",
            crate::sanitize::sanitize_line(&wait.why),
            wait.try_number,
            wait.of
        ),
    );
}

fn open_feedback(state: &mut State) -> Vec<Effect> {
    let problem = match state.latest().map(|a| &a.phase) {
        None => Some("There is no answer to revise yet: press Ctrl-S to run the brief first."),
        Some(Phase::Waiting | Phase::Streaming) => {
            Some("Wait for the answer to finish (or Esc to cancel) before revising.")
        }
        Some(_) if state.running.is_some() => {
            Some("Wait for the agent's reply (or Esc to cancel) before revising.")
        }
        Some(_) if settled(state) => {
            Some("This answer is already handed off, rejected or deferred.")
        }
        Some(_) => None,
    };
    match problem {
        Some(problem) => notice(state, NoticeLevel::Warning, problem),
        None => state.review.mode = ReviewMode::Feedback,
    }
    Vec::new()
}

fn send_feedback(state: &mut State, at: DateTime<Utc>) -> Vec<Effect> {
    let feedback = state.review.feedback.lines().join("\n");
    if feedback.trim().is_empty() {
        notice(
            state,
            NoticeLevel::Warning,
            "The feedback is empty: say what the agent should change, then Ctrl-S.",
        );
        return Vec::new();
    }
    state.review.mode = ReviewMode::Choosing;
    state.review.feedback = super::new_editor(
        "",
        "What should the agent change? Ctrl-S sends, Esc closes.",
    );
    let reviewer = state.session.reviewer.clone();
    audit(
        state,
        "review_action",
        at,
        serde_json::json!({ "action": "revise", "feedback": feedback.trim(), "reviewer": reviewer }),
    );
    start_attempt(state, Some(feedback.trim().to_string()), at)
}

fn show_attempt(state: &mut State, index: Option<usize>) -> Vec<Effect> {
    match index {
        Some(i) if i < state.attempts.len() => {
            state.shown = i;
            state.view = Default::default();
            state.follow = i + 1 == state.attempts.len();
            state.scroll = 0;
            sync_view(state);
            notice(
                state,
                NoticeLevel::Info,
                format!("Attempt {} of {}", i + 1, state.attempts.len()),
            );
        }
        _ => notice(
            state,
            NoticeLevel::Info,
            format!(
                "{} attempt(s); [ and ] move between them.",
                state.attempts.len()
            ),
        ),
    }
    Vec::new()
}

pub(super) fn page(state: &State) -> usize {
    state
        .areas
        .map_or(10, |a| a.answer_inner().height as usize)
        .max(1)
}

pub(super) fn max_scroll(state: &State) -> usize {
    state.view.total_rows().saturating_sub(page(state))
}

fn scroll_by(state: &mut State, delta: isize) -> Vec<Effect> {
    let max = max_scroll(state);
    let next = (state.scroll as isize + delta).clamp(0, max as isize) as usize;
    state.scroll = next;
    // Scrolling back to the end resumes following the stream.
    state.follow = next >= max;
    Vec::new()
}

/// Re-measures the shown answer at the pane's width and keeps the end in view when following.
pub(super) fn sync_view(state: &mut State) {
    let Some(areas) = state.areas else {
        return;
    };
    let width = areas.answer_inner().width;
    if let Some(attempt) = state.attempts.get(state.shown) {
        state.view.sync(&attempt.doc, width);
    }
    let max = max_scroll(state);
    if state.follow {
        state.scroll = max;
    } else {
        state.scroll = state.scroll.min(max);
    }
}
