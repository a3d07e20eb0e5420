//! The workbench's state, changed only by [`update`]: the brief, the attempts of the current
//! chain step with their answers, the review, focus and scrolling. No I/O, no clock, no tasks.

mod attempt;
mod blocks;
pub mod checks;
mod defer;
pub mod diff;
mod editing;
mod handoff;
pub mod history;
pub mod inbox;
pub mod journal;
pub mod notes;
mod notify;
mod overrides;
mod payload;
pub mod picker;
pub mod plans;
mod prompt;
mod readiness;
pub mod reading;
mod reask;
pub mod resume;
mod review;
mod running;
pub mod schema_view;
mod undo;
mod update;
pub mod vi;
mod view;
pub mod watch;

pub use attempt::{Attempt, Phase, Reask, RetryWait};
pub use review::{HandoffStatus, NextStep, Review, ReviewMode};
pub use update::update;

use crate::event::Timed;
use crate::keymap::Context;
use crate::provider::{Params, ProviderInfo};
use crate::render::{MdStyles, WrappedView};
use crate::reviewer::Reviewer;
use crate::role::Role;
use crate::sanitize::sanitize;
use ratatui_textarea::TextArea;

/// How many status-line messages the log keeps.
pub const MESSAGES_KEPT: usize = 500;

/// Facts fixed for the whole workbench session.
#[derive(Debug, Clone)]
pub struct Session {
    pub role: Role,
    pub provider: ProviderInfo,
    pub params: Params,
    pub reviewer: Reviewer,
    pub chain_id: String,
    pub chain: Chain,
    /// What the model costs per million tokens, when the configuration says.
    pub price: Option<crate::config::Price>,
}

/// Where this step sits in its chain of roles, and what the chain may do next.
#[derive(Debug, Clone)]
pub struct Chain {
    /// The envelope that handed the work to this step (`None` for the first step).
    pub parent_id: Option<String>,
    /// The roles of the chain so far, this step's last.
    pub breadcrumb: Vec<String>,
    /// Every role the chain may open next.
    pub roles: std::sync::Arc<crate::role::RoleBook>,
    pub sinks: crate::sink::SinkPlan,
    /// The deferred review this session resumed, removed once the review is settled.
    pub resumed_from: Option<std::path::PathBuf>,
}

impl Chain {
    /// The first step of a chain, at `role`.
    pub fn start(
        role: &str,
        roles: std::sync::Arc<crate::role::RoleBook>,
        sinks: crate::sink::SinkPlan,
    ) -> Self {
        Self {
            parent_id: None,
            breadcrumb: vec![role.to_string()],
            roles,
            sinks,
            resumed_from: None,
        }
    }

    /// 1 for the first step.
    pub fn depth(&self) -> usize {
        self.breadcrumb.len()
    }
}

/// What the one-line prompt asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    Search,
    SaveBlocks,
    Export,
    /// The role to hand off to instead of the listed ones: one of these known roles, by number
    /// or name, or another name (confirmed a second time).
    OverrideRole(Vec<String>),
    /// The override names a role no role file defines: its name typed again hands off anyway.
    ConfirmUnknown(String),
    /// Why, for an override to this role (required).
    OverrideReason(String),
    /// Why the answer is rejected (optional).
    Reject,
    /// The chain would open this role a second time: y opens it, n stops the chain.
    ConfirmRevisit(String),
    /// Words to find in the briefs and answers of the history.
    HistorySearch,
    /// The role to run this run's brief again with.
    RerunRole(i64),
    /// The SQL check has errors (or is still running): approving asks for a typed yes.
    ConfirmCheck(Box<checks::PendingHandoff>, String),
    /// Words of the names of the tables the schema view lists.
    SchemaSearch,
    /// A comment on these lines or this section of the latest answer.
    Comment(crate::review::comments::Anchor),
    /// A checklist item reworded (its index) or added (`None`).
    ChecklistItem(Option<usize>),
}

impl PromptKind {
    pub fn label(&self) -> String {
        match self {
            Self::Search => "Search".into(),
            Self::SaveBlocks => "Save code blocks to folder".into(),
            Self::Export => "Export the answer to folder".into(),
            Self::OverrideRole(known) if known.is_empty() => {
                "Override: hand off to role (no other role is defined here; a name)".into()
            }
            Self::OverrideRole(known) => {
                let offered: Vec<String> = known
                    .iter()
                    .enumerate()
                    .map(|(i, role)| format!("{} {role}", i + 1))
                    .collect();
                format!(
                    "Override: hand off to role ({}; or a name)",
                    offered.join(", ")
                )
            }
            Self::ConfirmUnknown(role) => {
                format!("No role file defines {role}; type it again to confirm")
            }
            Self::OverrideReason(_) => "Reason for the override (required)".into(),
            Self::Reject => "Reject: the chain stops here. Reason (optional)".into(),
            Self::ConfirmRevisit(role) => {
                format!("{role} ran earlier in this chain. Run it again? y/n")
            }
            Self::HistorySearch => "Search the history (every word; empty: the latest)".into(),
            Self::RerunRole(id) => format!("Run the brief of #{id} again with role"),
            Self::ConfirmCheck(_, question) => question.clone(),
            Self::SchemaSearch => "Tables whose name has (empty: all)".into(),
            Self::Comment(anchor) => format!("Comment on {}", anchor.label()),
            Self::ChecklistItem(Some(_)) => "Checklist item".into(),
            Self::ChecklistItem(None) => {
                "New checklist item (a requirement the answer must meet)".into()
            }
        }
    }
}

/// The one-line prompt shown in the status line.
pub struct Prompt {
    pub kind: PromptKind,
    pub input: TextArea<'static>,
}

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Brief,
    Answer,
    Outline,
    Routes,
}

impl Focus {
    pub fn next(self) -> Self {
        match self {
            Self::Brief => Self::Answer,
            Self::Answer => Self::Outline,
            Self::Outline => Self::Routes,
            Self::Routes => Self::Brief,
        }
    }
    pub fn prev(self) -> Self {
        self.next().next().next()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeLevel {
    Info,
    Success,
    Warning,
    Error,
}

/// A message for the status line: what happened, or what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub level: NoticeLevel,
    pub text: String,
}

pub struct State {
    pub session: Session,
    pub brief: TextArea<'static>,
    pub focus: Focus,
    pub width: u16,
    pub height: u16,
    pub attempts: Vec<Attempt>,
    /// Index of the attempt on screen (the latest unless the reviewer looks back).
    pub shown: usize,
    pub view: WrappedView,
    /// Pieces arrived since the view was last measured: the next frame, or the next event that
    /// is not the stream's, measures it first.
    pub view_due: bool,
    /// First visible row of the answer.
    pub scroll: usize,
    /// Keep the end of the answer in view as it grows.
    pub follow: bool,
    pub review: Review,
    pub notice: Option<Notice>,
    pub help: bool,
    /// First line of the help overlay shown.
    pub help_scroll: usize,
    /// Every message the status line showed this session, with its time, the newest last (at
    /// most [`MESSAGES_KEPT`]); F8 shows them in full.
    pub messages: std::collections::VecDeque<(chrono::DateTime<chrono::Utc>, Notice)>,
    /// The message log is open, scrolled this many lines up from its end.
    pub messages_open: Option<usize>,
    /// Quit was pressed once while work would be lost.
    pub quit_armed: bool,
    /// Run was pressed once while an answer not handed off is on screen.
    pub rerun_armed: bool,
    /// The run whose events are accepted; events of any other run are stale.
    pub running: Option<u64>,
    /// The local model reading the running run's prompt, until its first token.
    pub reading: Option<reading::PromptReading>,
    pub next_run_id: u64,
    pub styles: MdStyles,
    pub quit: bool,
    /// The panes at the current size (`None` below the minimum); solved once per resize.
    pub areas: Option<crate::screen::layout::Areas>,
    /// The row chosen in the outline.
    pub outline_selected: usize,
    /// Lines of the headings whose subsections are folded in the outline.
    pub folded: Vec<usize>,
    pub prompt: Option<Prompt>,
    /// The search term, once one is given.
    pub search: Option<String>,
    /// The occurrence of the search term on screen (its number among all of them), once found.
    pub search_at: Option<usize>,
    /// Where code blocks are saved and answers exported, unless the reviewer types another folder.
    pub blocks_dir: std::path::PathBuf,
    /// The code-block list is open, with this block chosen.
    pub block_list: Option<usize>,
    /// The SQL check's findings list, open, with its selected row.
    pub check_list: Option<usize>,
    /// The schema view, while open.
    pub schema_view: Option<schema_view::SchemaView>,
    /// The attempt on screen compared with the one before it, while open.
    pub diff: Option<diff::AttemptDiff>,
    pub plans_view: Option<plans::PlansView>,
    /// Lines of the answer being marked for a comment.
    pub marking: Option<notes::Marking>,
    /// The list of comments on the attempt on screen, open, with its selected row.
    pub comments_open: Option<usize>,
    /// The brief's checklist, open, with its selected row.
    pub checklist_open: Option<usize>,
    /// What approving asks of the SQL check; none: the check is off.
    pub check_policy: Option<crate::check::Require>,
    /// The schema's formats the envelope carries (`[check] envelope_schema`).
    pub schema_artifacts: Vec<crate::check::schema::render::Format>,
    /// State changes for the audit log, queued by `update` as data; the loop takes them out and
    /// appends them, in order.
    pub audit: Vec<crate::store::audit::AuditEntry>,
    /// A chain step waiting for the reviewer to confirm that its role may run again.
    pub next_step: Option<NextStep>,
    /// This workbench's id in the session store (its runs are `instance:run_id`).
    pub instance: String,
    /// What the session store keeps, queued by `update` as data; the loop takes them out in order.
    pub records: Vec<crate::store::writer::Record>,
    /// Counts edits of the brief; the draft on disk is saved at some revision.
    pub brief_revision: u64,
    /// The revision of the brief last saved as a draft (or loaded).
    pub draft_saved: u64,
    /// The history screen, while it is open.
    pub history: Option<history::History>,
    /// The inbox, while it is open.
    pub inbox: Option<inbox::InboxView>,
    /// The review of the inbox on screen, claimed by this workbench.
    pub pending: Option<inbox::Pending>,
    /// The focused pane fills the screen.
    pub zoom: bool,
    /// The workbench sits inline at the bottom of the screen and writes the answer into the
    /// scrollback (`--inline`).
    pub inline: bool,
    /// Of the attempt written to the scrollback (its number), how many lines are written.
    pub scrollback: (u32, usize),
    /// The vi-like editing style for the brief, when chosen.
    pub vi: Option<vi::Vi>,
    /// The mouse wheel scrolls (the terminal's own selection then needs Shift held).
    pub mouse: bool,
    /// Another program drew on the screen (the editor): the next frame redraws everything.
    pub clear_screen: bool,
    /// Watching someone else's session: nothing here may change the work.
    pub read_only: bool,
    /// The file the brief was opened from (`--brief`), absolute: drafts belong to it.
    pub brief_file: Option<std::path::PathBuf>,
    /// A draft an earlier workbench left for this brief, offered (F7 takes it), never applied
    /// on its own over a file named with `--brief`.
    pub offered_draft: Option<crate::store::draft::Draft>,
    /// The file of a draft taken into the editor: it goes once this workbench saved its own.
    pub taken_draft: Option<std::path::PathBuf>,
    /// Deliveries of this session's handoffs that failed and wait in the outbox for
    /// `archbench outbox retry` (shown in the top line until the workbench quits).
    pub pending_deliveries: usize,
    /// How many colours the terminal shows (decided at start).
    pub colour: crate::screen::colour::Depth,
    /// The theme in use, and those a key cycles through.
    pub theme: crate::screen::theme::Theme,
    pub themes: Vec<crate::screen::theme::Theme>,
    /// What the model picker offers, and what runs now.
    pub models: picker::ModelSetup,
    /// The model picker, while it is open.
    pub picker: Option<picker::Picker>,
    /// The time of the latest event (update reads no clock; the screen counts down from this).
    pub now: chrono::DateTime<chrono::Utc>,
    /// The model's reasoning for the attempt on screen is open over the answer.
    pub reasoning_open: bool,
    /// Lines scrolled back from the end of the reasoning.
    pub reasoning_scroll: usize,
    /// The revision of the brief last kept elsewhere (loaded from its file, or sent in a run):
    /// a clean quit at that revision needs no draft.
    pub brief_kept: u64,
    /// A fingerprint of the brief's text, to tell an edit from a key that changed nothing.
    pub brief_hash: u64,
}

impl State {
    pub fn new(session: Session, brief: &str, width: u16, height: u16) -> Self {
        let mut state = Self {
            session,
            brief: new_editor(
                brief,
                "Write the brief: what should the data layer do, for whom, at what scale…",
            ),
            focus: Focus::Brief,
            width,
            height,
            attempts: Vec::new(),
            shown: 0,
            view: WrappedView::default(),
            view_due: false,
            scroll: 0,
            follow: true,
            review: Review::default(),
            notice: None,
            help: false,
            help_scroll: 0,
            messages: std::collections::VecDeque::new(),
            messages_open: None,
            quit_armed: false,
            rerun_armed: false,
            running: None,
            reading: None,
            next_run_id: 1,
            styles: crate::screen::theme::Theme::dark().markdown(),
            quit: false,
            areas: crate::screen::layout::areas(width, height),
            outline_selected: 0,
            folded: Vec::new(),
            prompt: None,
            search: None,
            search_at: None,
            blocks_dir: std::path::PathBuf::from("archbench-blocks"),
            block_list: None,
            check_list: None,
            diff: None,
            plans_view: None,
            schema_view: None,
            marking: None,
            comments_open: None,
            checklist_open: None,
            check_policy: None,
            schema_artifacts: Vec::new(),
            audit: Vec::new(),
            next_step: None,
            instance: uuid::Uuid::new_v4().to_string(),
            records: Vec::new(),
            brief_revision: 0,
            draft_saved: 0,
            history: None,
            inbox: None,
            pending: None,
            read_only: false,
            brief_file: None,
            offered_draft: None,
            taken_draft: None,
            pending_deliveries: 0,
            zoom: false,
            vi: None,
            inline: false,
            scrollback: (0, 0),
            mouse: true,
            clear_screen: false,
            colour: crate::screen::colour::Depth::Truecolor,
            theme: crate::screen::theme::Theme::dark(),
            themes: vec![crate::screen::theme::Theme::dark()],
            models: picker::ModelSetup::default(),
            picker: None,
            now: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
            reasoning_open: false,
            reasoning_scroll: 0,
            brief_kept: 0,
            brief_hash: 0,
        };
        state.brief_hash = state.brief_fingerprint();
        state.review.feedback = new_editor(
            "",
            "What should the agent change? Ctrl-S sends, Esc closes.",
        );
        state
    }

    pub fn brief_text(&self) -> String {
        self.brief.lines().join("\n")
    }

    fn brief_fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.brief.lines().hash(&mut hasher);
        hasher.finish()
    }

    /// Counts an edit of the brief if its text changed (called after keys and pastes).
    pub(crate) fn note_brief_edit(&mut self) {
        let hash = self.brief_fingerprint();
        if hash != self.brief_hash {
            self.brief_hash = hash;
            self.brief_revision += 1;
        }
    }

    /// Who owns this workbench's draft: its role, its brief file, this instance and process.
    pub fn draft_owner(&self) -> crate::store::draft::Owner {
        crate::store::draft::Owner {
            role: self.session.role.id.clone(),
            brief_file: self.brief_file.clone(),
            instance: self.instance.clone(),
            pid: std::process::id(),
        }
    }

    /// Whether the brief holds text kept nowhere but in the draft (a clean quit keeps the draft).
    pub fn brief_needs_draft(&self) -> bool {
        self.brief_revision != self.brief_kept
    }

    /// Puts a draft recovered from disk into the editor in place of the brief it was started with;
    /// undo (twice: the draft's insertion, then the brief's removal) brings that brief back.
    /// The draft's file goes once this workbench has saved the text as its own draft.
    pub fn recover_draft(&mut self, draft: &crate::store::draft::Draft) {
        self.replace_brief(&draft.text);
        self.taken_draft = Some(draft.path.clone());
    }

    /// Puts `text` in the brief editor in place of what is there, as edits undo takes back
    /// (twice: the insertion, then the removal), and counts it as an edit of the brief.
    pub(crate) fn replace_brief(&mut self, text: &str) {
        let clean = sanitize(&text.replace("\r\n", "\n")).into_owned();
        self.brief.select_all();
        self.brief.insert_str(clean.trim_end_matches('\n'));
        self.brief.move_cursor(ratatui_textarea::CursorMove::Top);
        self.note_brief_edit();
    }

    /// The attempt on screen.
    pub fn shown_attempt(&self) -> Option<&Attempt> {
        self.attempts.get(self.shown)
    }

    /// The attempt a handoff would send: always the latest.
    pub fn latest(&self) -> Option<&Attempt> {
        self.attempts.last()
    }

    /// The system prompt and brief, then each earlier answer with the feedback that followed it.
    pub fn conversation(&self) -> Vec<crate::provider::Message> {
        let mut messages = vec![
            crate::provider::Message::new(
                crate::provider::Speaker::System,
                self.session.role.prompt.clone(),
            ),
            crate::provider::Message::new(crate::provider::Speaker::User, self.brief_text()),
        ];
        for attempt in &self.attempts {
            if let Some(feedback) = &attempt.feedback {
                messages.push(crate::provider::Message::new(
                    crate::provider::Speaker::User,
                    feedback.clone(),
                ));
            }
            if !attempt.phase.is_live() {
                messages.push(crate::provider::Message::new(
                    crate::provider::Speaker::Assistant,
                    attempt.text().to_string(),
                ));
            }
        }
        messages
    }

    /// The pane zoomed, if any: the focused one.
    pub fn zoomed(&self) -> Option<crate::screen::layout::Zoom> {
        use crate::screen::layout::Zoom;
        self.zoom.then_some(match self.focus {
            Focus::Brief => Zoom::Brief,
            Focus::Answer => Zoom::Answer,
            Focus::Outline => Zoom::Outline,
            Focus::Routes => Zoom::Routes,
        })
    }

    /// Lays the panes out again (after a resize, a zoom, a change of focus while zoomed).
    pub fn lay_out(&mut self) {
        self.areas = crate::screen::layout::zoomed(self.width, self.height, self.zoomed());
        view::sync_view(self);
    }

    /// Whether the loop should send a tick each second (a retry or the prompt's reading is
    /// being counted down).
    pub fn wants_ticks(&self) -> bool {
        self.running.is_some()
            && (self.latest().is_some_and(|a| a.retry.is_some())
                || self.reading.as_ref().map(|r| r.run_id) == self.running)
    }

    pub fn key_context(&self) -> Context {
        if self.prompt.is_some() {
            return Context::Prompt;
        }
        if self.reasoning_open {
            return Context::Reasoning;
        }
        if self.picker.is_some() {
            return Context::Picker;
        }
        if self.block_list.is_some() {
            return Context::Blocks;
        }
        if self.check_list.is_some() {
            return Context::Checks;
        }
        if self.schema_view.is_some() {
            return Context::Schema;
        }
        if self.diff.is_some() {
            return Context::Diff;
        }
        if self.plans_view.is_some() {
            return Context::Plans;
        }
        if self.marking.is_some() {
            return Context::Marking;
        }
        if self.comments_open.is_some() {
            return Context::Comments;
        }
        if self.checklist_open.is_some() {
            return Context::Checklist;
        }
        if self.inbox.is_some() {
            return Context::Inbox;
        }
        if let Some(history) = &self.history {
            return match history.view {
                history::HistoryView::List => Context::History,
                _ => Context::HistoryView,
            };
        }
        match self.review.mode {
            ReviewMode::Feedback => return Context::Feedback,
            ReviewMode::EditPayload => return Context::Payload,
            ReviewMode::Choosing => {}
        }
        match self.focus {
            Focus::Brief => Context::Brief,
            Focus::Answer => Context::Answer,
            Focus::Outline => Context::Outline,
            Focus::Routes => Context::Routes,
        }
    }

    /// A review not begun for the attempts in place: no route chosen, nothing handed off, the
    /// latest attempt shown from the end, the outline unfolded.
    pub(crate) fn fresh_review(&mut self) {
        self.shown = self.attempts.len().saturating_sub(1);
        self.review.selected = None;
        self.review.handoff = None;
        self.review.payload = None;
        self.review.mode = ReviewMode::Choosing;
        self.outline_selected = 0;
        self.folded.clear();
        self.search = None;
        self.view = Default::default();
        self.scroll = 0;
        self.follow = true;
    }

    /// Uses `theme` from now on: its palette at once, its markdown styles for what is rendered
    /// next (the loop renders the answers again once the code theme is set).
    pub fn use_theme(&mut self, theme: crate::screen::theme::Theme) {
        self.styles = theme.markdown();
        self.theme = theme;
    }

    /// Renders every answer again, in the current styles and code theme (after a theme switch).
    pub fn render_again(&mut self) {
        for attempt in &mut self.attempts {
            let text = attempt.doc.text().to_string();
            let mut doc = crate::render::AnswerDoc::new(self.styles.clone());
            doc.push(&text);
            if !attempt.phase.is_live() {
                doc.finish();
            }
            attempt.doc = doc;
        }
        self.view = Default::default();
        view::sync_view(self);
    }

    /// Brings what the next frame shows up to date: the open tail of the answer on screen is
    /// rendered and measured. The loop calls it once before each frame, so many deltas between
    /// two frames cost one render of the tail.
    pub fn prepare_frame(&mut self) {
        if let Some(attempt) = self.attempts.get_mut(self.shown) {
            attempt.doc.refresh();
        }
        view::sync_view(self);
        self.view_due = false;
        if let (Some(areas), Some(attempt)) = (self.areas, self.attempts.get(self.shown)) {
            let rows = areas.answer_inner().height as usize;
            self.view.prepare(&attempt.doc, self.scroll, rows);
        }
    }

    /// The outline of the answer on screen: every heading (minus folded subsections) and the
    /// expected sections not covered. Headings are few; this is cheap enough to build per frame.
    pub fn outline(&self) -> Vec<crate::review::outline::Item> {
        crate::review::outline::unfolded(self.outline_all(), &self.folded)
    }

    /// The whole outline, folds ignored: what coverage counts, and what says which headings have
    /// subsections to fold.
    pub fn outline_all(&self) -> Vec<crate::review::outline::Item> {
        let (headings, live) = match self.shown_attempt() {
            Some(a) => (a.doc.headings(), a.phase.is_live()),
            None => (&[][..], true),
        };
        crate::review::outline::build(headings, &self.session.role.sections, live)
    }

    /// The lines of the headings that have subsections (only those can fold).
    pub fn foldable(&self) -> Vec<usize> {
        crate::review::outline::foldable(&self.outline_all())
    }

    /// Feeds one event through [`update`]; a convenience for the loop and for tests.
    pub fn handle(&mut self, event: Timed) -> Vec<crate::effect::Effect> {
        update(self, event)
    }
}

/// An editor holding `text`, with control characters made visible (a brief read from disk or
/// pasted is untrusted text too).
pub fn new_editor(text: &str, placeholder: &str) -> TextArea<'static> {
    let clean = sanitize(&text.replace("\r\n", "\n")).into_owned();
    let lines: Vec<String> = if clean.is_empty() {
        vec![String::new()]
    } else {
        clean.lines().map(str::to_string).collect()
    };
    let mut editor = TextArea::new(lines);
    editor.set_placeholder_text(placeholder);
    editor.set_cursor_line_style(ratatui::style::Style::default());
    editor.set_max_histories(500);
    editor.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
    editor
}

#[cfg(test)]
mod tests;
