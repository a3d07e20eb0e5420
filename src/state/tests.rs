//! `update` driven by events: state and effects out, no I/O, no clock, no runtime.

use super::*;
use crate::effect::Effect;
use crate::event::Event;
use crate::provider::{AgentEvent, FinishReason, ProviderError, Speaker, Usage};
use crate::role::RoleBook;
use crate::routing::decision::DecisionStatus;
use crate::routing::envelope::{DecidedBy, ReviewAction};
use crate::screen::layout;
use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub(crate) fn session() -> Session {
    let role = RoleBook::load(None)
        .unwrap()
        .get("database_architect")
        .unwrap()
        .clone();
    let role_id = "database_architect";
    Session {
        role,
        provider: ProviderInfo {
            kind: "openai".into(),
            model: "test-model".into(),
            endpoint: "http://127.0.0.1/v1".into(),
        },
        params: Params {
            temperature: Some(0.2),
            max_tokens: Some(2000),
            seed: Some(7),
            stop: Vec::new(),
        },
        reviewer: Reviewer {
            name: "Ada Reviewer".into(),
            email: Some("ada@example.com".into()),
            source: "git".into(),
        },
        chain_id: "chain-1".into(),
        price: None,
        chain: crate::state::Chain::start(
            role_id,
            std::sync::Arc::new(RoleBook::load(None).unwrap()),
            // The outbox only; tests of the chain add the chain sink.
            crate::sink::SinkPlan {
                default: [crate::sink::SinkSpec::Outbox].to_vec(),
                ..Default::default()
            },
        ),
    }
}

/// The outbox took the envelope (and no other sink was asked).
pub(crate) fn delivered(path: &str) -> crate::sink::Delivered {
    crate::sink::Delivered {
        envelope_id: "env-1".into(),
        target: "backup_disaster_specialist".into(),
        path: path.into(),
        payload_brief: "# Original brief".into(),
        results: vec![crate::sink::SinkResult {
            sink: "outbox".into(),
            outcome: Ok(path.into()),
            pending: false,
        }],
        chain: false,
    }
}

fn at(second: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap() + chrono::Duration::seconds(second.into())
}

struct Bench {
    state: State,
    clock: u32,
}

impl Bench {
    fn new(brief: &str) -> Self {
        Self {
            state: State::new(session(), brief, 100, 30),
            clock: 0,
        }
    }
    fn send(&mut self, event: Event) -> Vec<Effect> {
        self.clock += 1;
        self.state.handle(Timed {
            at: at(self.clock),
            event,
        })
    }
    fn key(&mut self, code: KeyCode) -> Vec<Effect> {
        self.send(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }
    fn ctrl(&mut self, c: char) -> Vec<Effect> {
        self.send(Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::CONTROL,
        )))
    }
    /// Tabs to the pane `target` (as a person does).
    fn focus(&mut self, target: Focus) {
        for _ in 0..4 {
            if self.state.focus == target {
                return;
            }
            self.key(KeyCode::Tab);
        }
        panic!("{target:?} was never focused");
    }
    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            let code = if c == '\n' {
                KeyCode::Enter
            } else {
                KeyCode::Char(c)
            };
            self.key(code);
        }
    }
    fn agent(&mut self, run_id: u64, event: AgentEvent) -> Vec<Effect> {
        self.send(Event::Agent { run_id, event })
    }
    /// Runs the brief and streams `answer` to completion; returns the run id.
    fn answer(&mut self, answer: &str) -> u64 {
        let effects = self.ctrl('s');
        let Some(Effect::StartRun { run_id, .. }) = effects.first() else {
            panic!("no run started: {effects:?}")
        };
        let run_id = *run_id;
        self.stream(run_id, answer);
        run_id
    }
    fn stream(&mut self, run_id: u64, answer: &str) {
        self.agent(
            run_id,
            AgentEvent::Started {
                model: "test-model".into(),
            },
        );
        for piece in answer
            .as_bytes()
            .chunks(7)
            .map(|c| String::from_utf8_lossy(c).into_owned())
        {
            self.agent(run_id, AgentEvent::Delta(piece));
        }
        self.agent(
            run_id,
            AgentEvent::Usage(Usage {
                prompt_tokens: 100,
                completion_tokens: 50,
            }),
        );
        self.agent(run_id, AgentEvent::Finished(FinishReason::Stop));
    }
    fn notice(&self) -> String {
        self.state
            .notice
            .as_ref()
            .map(|n| n.text.clone())
            .unwrap_or_default()
    }
}

const UNIQUE: &str = "# Data modeling\n\nTenants table.\n\nDECISION: backup_disaster_specialist\n";
const AMBIGUOUS: &str = "# Data modeling\n\nTenants table.\n\nDECISION: completed\n";

#[test]
fn running_an_empty_brief_is_refused_with_what_to_do() {
    let mut b = Bench::new("  \n");
    assert!(b.ctrl('s').is_empty());
    assert!(b.notice().contains("The brief is empty"));
    assert!(b.state.attempts.is_empty());
}

#[test]
fn run_sends_the_role_prompt_and_the_brief() {
    let mut b = Bench::new("Design a bookstore.");
    let effects = b.ctrl('s');
    let [Effect::StartRun { run_id, request }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(*run_id, 1);
    assert_eq!(request.messages.len(), 2);
    assert_eq!(request.messages[0].role, Speaker::System);
    assert_eq!(request.messages[0].content, b.state.session.role.prompt);
    assert_eq!(request.messages[1].content, "Design a bookstore.");
    assert_eq!(request.params.seed, Some(7));
    assert_eq!(b.state.focus, Focus::Answer);
    assert_eq!(b.state.latest().unwrap().phase, Phase::Waiting);
}

#[test]
fn typing_edits_the_brief_and_undo_reverts() {
    let mut b = Bench::new("");
    b.type_text("abc");
    assert_eq!(b.state.brief_text(), "abc");
    b.ctrl('z');
    assert_ne!(b.state.brief_text(), "abc");
}

#[test]
fn deltas_stream_into_the_answer_and_the_view_follows() {
    let mut b = Bench::new("brief");
    b.ctrl('s');
    b.agent(1, AgentEvent::Delta("# Sch".into()));
    assert_eq!(b.state.latest().unwrap().phase, Phase::Streaming);
    b.agent(1, AgentEvent::Delta("ema\n".into()));
    for i in 0..60 {
        b.agent(1, AgentEvent::Delta(format!("line {i}\n")));
    }
    // Pieces are measured once, for the frame that shows them.
    assert!(b.state.view_due);
    b.state.prepare_frame();
    assert!(!b.state.view_due);
    let attempt = b.state.latest().unwrap();
    assert_eq!(attempt.doc.headings()[0].text, "Schema");
    assert!(b.state.follow);
    assert!(b.state.scroll > 0, "following keeps the end in view");
    assert_eq!(
        b.state.scroll + layout::areas(100, 30).unwrap().answer_inner().height as usize,
        b.state.view.total_rows()
    );
    assert_eq!(attempt.first_token_at, Some(at(2)));
}

#[test]
fn scrolling_up_stops_following_and_end_resumes() {
    let mut b = Bench::new("brief");
    b.ctrl('s');
    b.agent(1, AgentEvent::Delta("x\n".repeat(100)));
    b.key(KeyCode::Up);
    assert!(!b.state.follow);
    let held = b.state.scroll;
    b.agent(1, AgentEvent::Delta("y\n".repeat(10)));
    assert_eq!(b.state.scroll, held, "the view stays where the reader is");
    b.key(KeyCode::End);
    assert!(b.state.follow);
    assert_eq!(
        b.state.scroll,
        b.state.view.total_rows() - layout::areas(100, 30).unwrap().answer_inner().height as usize
    );
}

#[test]
fn events_of_another_run_are_ignored() {
    let mut b = Bench::new("brief");
    b.ctrl('s');
    b.agent(99, AgentEvent::Delta("stale".into()));
    assert_eq!(b.state.latest().unwrap().text(), "");
}

#[test]
fn a_unique_decision_is_preselected_and_enter_confirms_it() {
    let mut b = Bench::new("brief");
    b.answer(UNIQUE);
    let attempt = b.state.latest().unwrap();
    assert_eq!(
        attempt.decision.as_ref().unwrap().status,
        DecisionStatus::Unique
    );
    assert_eq!(b.state.focus, Focus::Routes);
    assert_eq!(b.state.review.selected, Some(2));
    let effects = b.key(KeyCode::Enter);
    let [Effect::Handoff { request, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(request.action, ReviewAction::Confirm);
    assert_eq!(request.decided_by, DecidedBy::Human);
    assert_eq!(request.chosen.target, "backup_disaster_specialist");
    assert_eq!(request.response, UNIQUE);
    assert_eq!(
        request.seen_sha256,
        crate::routing::envelope::sha256_hex(UNIQUE)
    );
    assert_eq!(request.reviewer.name, "Ada Reviewer");
    assert_eq!(request.usage.unwrap().completion_tokens, 50);
    assert!(matches!(
        b.state.review.handoff,
        Some(HandoffStatus::Sending { .. })
    ));
}

#[test]
fn an_ambiguous_decision_cannot_be_confirmed_until_a_route_is_chosen() {
    let mut b = Bench::new("brief");
    b.answer(AMBIGUOUS);
    assert_eq!(b.state.review.selected, None);
    assert!(
        b.key(KeyCode::Enter).is_empty(),
        "confirm on ambiguous is refused"
    );
    assert!(b.notice().contains("ambiguous"));
    b.key(KeyCode::Char('2'));
    assert_eq!(b.state.review.selected, Some(1));
    let effects = b.key(KeyCode::Enter);
    let [Effect::Handoff { request, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(request.action, ReviewAction::Choose);
    assert_eq!(request.chosen.target, "product_catalog_manager");
}

#[test]
fn choosing_another_route_than_the_agents_is_recorded_as_choose() {
    let mut b = Bench::new("brief");
    b.answer(UNIQUE);
    b.key(KeyCode::Up);
    assert_eq!(b.state.review.selected, Some(1));
    let effects = b.key(KeyCode::Enter);
    let [Effect::Handoff { request, .. }] = effects.as_slice() else {
        panic!()
    };
    assert_eq!(request.action, ReviewAction::Choose);
}

#[test]
fn choosing_an_option_that_does_not_exist_says_so() {
    let mut b = Bench::new("brief");
    b.answer(AMBIGUOUS);
    b.key(KeyCode::Char('7'));
    assert_eq!(b.state.review.selected, None);
    assert!(b.notice().contains("no option 7"), "{}", b.notice());
}

#[test]
fn routes_cannot_be_chosen_before_an_answer_exists() {
    let mut b = Bench::new("brief");
    b.key(KeyCode::BackTab);
    assert_eq!(b.state.focus, Focus::Routes);
    b.key(KeyCode::Char('1'));
    assert_eq!(b.state.review.selected, None);
    assert!(b.key(KeyCode::Enter).is_empty());
}

#[test]
fn the_handoff_result_is_shown_and_a_second_confirm_sends_nothing() {
    let mut b = Bench::new("brief");
    b.answer(UNIQUE);
    b.key(KeyCode::Enter);
    b.send(Event::HandedOff(Ok(delivered("/outbox/e.json"))));
    assert_eq!(
        b.state.review.handoff,
        Some(HandoffStatus::Written {
            target: "backup_disaster_specialist".into(),
            path: "/outbox/e.json".into(),
            envelope_id: "env-1".into(),
        })
    );
    assert!(b.notice().contains("/outbox/e.json"));
    assert!(b.key(KeyCode::Enter).is_empty());
}

#[test]
fn a_failed_handoff_loses_nothing_and_can_be_retried() {
    let mut b = Bench::new("brief");
    b.answer(UNIQUE);
    b.key(KeyCode::Enter);
    b.send(Event::HandedOff(Err(crate::sink::HandoffError::Failed(
        "cannot write the envelope into /ro: Permission denied".into(),
    ))));
    assert_eq!(b.state.review.handoff, None);
    assert!(b.notice().contains("Permission denied"));
    assert_eq!(b.state.review.selected, Some(2), "the choice is kept");
    assert!(matches!(
        b.key(KeyCode::Enter).as_slice(),
        [Effect::Handoff { .. }]
    ));
}

#[test]
fn escape_cancels_and_keeps_the_partial_answer() {
    let mut b = Bench::new("brief");
    b.ctrl('s');
    b.agent(1, AgentEvent::Delta("# Partial\nsome".into()));
    let effects = b.key(KeyCode::Esc);
    assert_eq!(effects, [Effect::CancelRun { run_id: 1 }]);
    let attempt = b.state.latest().unwrap();
    assert_eq!(attempt.phase, Phase::Cancelled);
    assert_eq!(attempt.text(), "# Partial\nsome");
    assert_eq!(
        attempt.doc.committed().len(),
        2,
        "the open tail is kept too"
    );
    assert!(b.agent(1, AgentEvent::Delta("late".into())).is_empty());
    assert_eq!(b.state.latest().unwrap().text(), "# Partial\nsome");
    b.key(KeyCode::Tab);
    b.key(KeyCode::Tab);
    assert_eq!(b.state.focus, Focus::Routes);
    assert!(
        b.key(KeyCode::Enter).is_empty(),
        "a cancelled answer is not handed off"
    );
    assert!(b.notice().contains("cancelled"), "{}", b.notice());
}

#[test]
fn a_failed_run_keeps_what_arrived_and_says_what_happened() {
    let mut b = Bench::new("brief");
    b.ctrl('s');
    b.agent(1, AgentEvent::Delta("half an answer".into()));
    b.agent(
        1,
        AgentEvent::Failed(ProviderError::Stream("connection reset".into())),
    );
    let attempt = b.state.latest().unwrap();
    assert!(matches!(&attempt.phase, Phase::Failed(m) if m.contains("connection reset")));
    assert_eq!(attempt.text(), "half an answer");
    assert!(b.notice().contains("connection reset"));
    assert_eq!(b.state.running, None);
}

#[test]
fn revise_runs_the_same_role_again_with_the_conversation_and_feedback() {
    let mut b = Bench::new("brief");
    b.answer(AMBIGUOUS);
    b.key(KeyCode::Char('r'));
    assert_eq!(b.state.review.mode, ReviewMode::Feedback);
    assert!(b.ctrl('s').is_empty(), "empty feedback is refused");
    b.type_text("Add row-level security.");
    b.key(KeyCode::Esc);
    assert_eq!(
        b.state.review.mode,
        ReviewMode::Choosing,
        "Esc closes the editor"
    );
    b.key(KeyCode::Char('r'));
    assert_eq!(
        b.state.review.feedback.lines(),
        ["Add row-level security."],
        "and keeps the text"
    );
    let effects = b.ctrl('s');
    let [Effect::StartRun { run_id: 2, request }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let roles: Vec<Speaker> = request.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [
            Speaker::System,
            Speaker::User,
            Speaker::Assistant,
            Speaker::User
        ]
    );
    assert_eq!(request.messages[2].content, AMBIGUOUS);
    assert_eq!(request.messages[3].content, "Add row-level security.");
    assert_eq!(b.state.attempts.len(), 2);
    assert_eq!(b.state.latest().unwrap().number, 2);
    b.stream(2, UNIQUE);
    let effects = b.key(KeyCode::Enter);
    let [Effect::Handoff { request, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(request.attempts.len(), 2);
    assert_eq!(
        request.attempts[1].feedback.as_deref(),
        Some("Add row-level security.")
    );
}

#[test]
fn earlier_attempts_stay_viewable_and_only_the_latest_is_handed_off() {
    let mut b = Bench::new("brief");
    b.answer(AMBIGUOUS);
    b.key(KeyCode::Char('r'));
    b.type_text("more");
    b.ctrl('s');
    b.stream(2, UNIQUE);
    b.focus(Focus::Answer);
    b.key(KeyCode::Char('['));
    assert_eq!(b.state.shown, 0);
    assert_eq!(b.state.shown_attempt().unwrap().text(), AMBIGUOUS);
    b.key(KeyCode::Tab);
    b.key(KeyCode::Tab);
    assert_eq!(b.state.focus, Focus::Routes);
    assert!(b.key(KeyCode::Enter).is_empty());
    assert!(b.notice().contains("attempt 1"), "{}", b.notice());
    b.focus(Focus::Answer);
    b.key(KeyCode::Char(']'));
    b.key(KeyCode::Tab);
    b.key(KeyCode::Tab);
    assert!(matches!(
        b.key(KeyCode::Enter).as_slice(),
        [Effect::Handoff { .. }]
    ));
}

#[test]
fn running_again_over_an_answer_asks_first() {
    let mut b = Bench::new("brief");
    b.answer(UNIQUE);
    assert!(b.ctrl('s').is_empty());
    assert!(b.notice().contains("again discards"));
    assert!(matches!(
        b.ctrl('s').as_slice(),
        [Effect::StartRun { run_id: 2, .. }]
    ));
    assert_eq!(b.state.attempts.len(), 1);
}

#[test]
fn quitting_with_work_not_handed_off_asks_first() {
    let mut b = Bench::new("brief");
    b.answer(UNIQUE);
    assert!(b.ctrl('q').is_empty());
    assert!(!b.state.quit);
    assert_eq!(b.ctrl('q'), [Effect::Quit]);
    assert!(b.state.quit);
}

#[test]
fn quitting_while_streaming_cancels_the_run() {
    let mut b = Bench::new("brief");
    b.ctrl('s');
    b.ctrl('q');
    assert_eq!(b.ctrl('q'), [Effect::CancelRun { run_id: 1 }, Effect::Quit]);
}

#[test]
fn quitting_with_nothing_at_stake_is_immediate() {
    let mut b = Bench::new("");
    assert_eq!(b.ctrl('q'), [Effect::Quit]);
}

#[test]
fn paste_goes_into_the_brief_with_controls_made_visible() {
    let mut b = Bench::new("");
    b.send(Event::Paste("line one\r\nline \x1b[31mtwo".into()));
    assert_eq!(b.state.brief_text(), "line one\nline ␛[31mtwo");
    b.key(KeyCode::Tab);
    b.send(Event::Paste("x".into()));
    assert!(b.notice().contains("Paste goes into the brief"));
}

#[test]
fn help_opens_and_any_key_closes_it_without_acting() {
    let mut b = Bench::new("brief");
    b.key(KeyCode::F(1));
    assert!(b.state.help);
    assert!(b.ctrl('s').is_empty());
    assert!(!b.state.help);
    assert!(b.state.attempts.is_empty());
}

#[test]
fn a_brief_from_disk_has_its_controls_made_visible() {
    let b = Bench::new("Design\x1b]0;x\x07 it");
    assert_eq!(b.state.brief_text(), "Design␛]0;x␇ it");
}

#[test]
fn the_outline_follows_the_answer_and_jumps_to_a_section() {
    let mut b = Bench::new("brief");
    b.ctrl('s');
    b.agent(
        1,
        AgentEvent::Delta("# Design\n\n## 1. Data Modeling\n".into()),
    );
    b.agent(
        1,
        AgentEvent::Delta(format!(
            "{}## 2. Schema design\n{}",
            "text\n".repeat(80),
            "more\n".repeat(80)
        )),
    );
    let items = b.state.outline();
    use crate::review::outline::{Item, SectionState};
    assert!(matches!(
        items[1],
        Item::Heading {
            section: Some((0, SectionState::Done)),
            ..
        }
    ));
    assert!(matches!(
        items[2],
        Item::Heading {
            section: Some((1, SectionState::Streaming)),
            ..
        }
    ));
    assert!(matches!(
        &items[3],
        Item::Absent {
            state: SectionState::Pending,
            ..
        }
    ));
    b.key(KeyCode::Tab);
    assert_eq!(b.state.focus, Focus::Outline);
    b.key(KeyCode::Down);
    b.key(KeyCode::Enter);
    assert!(!b.state.follow, "a jump stops following");
    let line = b.state.latest().unwrap().doc.headings()[1].line;
    assert_eq!(b.state.scroll, b.state.view.row_of_line(line));
    b.key(KeyCode::Down);
    b.key(KeyCode::Down);
    b.key(KeyCode::Enter);
    assert!(
        b.notice()
            .contains("Indexing strategy is not in the answer yet"),
        "{}",
        b.notice()
    );
}

#[test]
fn folding_a_heading_hides_its_subsections_in_the_outline() {
    let mut b = Bench::new("brief");
    b.answer("# Design\n## Data modeling\n### Entities\n### Relations\n## Schema design\nDECISION: completed\n");
    let headings = |b: &Bench| {
        b.state
            .outline()
            .iter()
            .filter(|i| matches!(i, crate::review::outline::Item::Heading { .. }))
            .count()
    };
    assert_eq!(headings(&b), 5);
    b.key(KeyCode::BackTab);
    assert_eq!(b.state.focus, Focus::Outline);
    b.key(KeyCode::Down);
    b.key(KeyCode::Char(' '));
    assert_eq!(
        headings(&b),
        3,
        "Entities and Relations are folded under Data modeling"
    );
    b.key(KeyCode::Char(' '));
    assert_eq!(headings(&b), 5);
}

const BLOCKS: &str = "# Design\n\n## Schema design\n\n```sql\nCREATE TABLE t (id bigint);\n```\n\ntext\n\n## Backup strategy\n\n```yaml\nretention: 35d\n```\n\nDECISION: completed\n";

fn long_answer() -> String {
    format!("{}{}{}", "intro\n".repeat(40), BLOCKS, "outro\n".repeat(40))
}

#[test]
fn braces_jump_between_code_blocks_and_y_copies_the_one_in_view() {
    let mut b = Bench::new("brief");
    b.answer(&long_answer());
    b.focus(Focus::Answer);
    b.key(KeyCode::Home);
    b.key(KeyCode::Char('}'));
    let blocks = b.state.latest().unwrap().doc.code_blocks().to_vec();
    assert_eq!(b.state.scroll, b.state.view.row_of_line(blocks[0].line));
    assert!(b.notice().contains("Code block 1 of 2"), "{}", b.notice());
    let effects = b.key(KeyCode::Char('y'));
    assert_eq!(
        effects,
        [Effect::Copy {
            text: "CREATE TABLE t (id bigint);\n".into(),
            what: "code block 1 (sql, 1 lines)".into()
        }]
    );
    b.key(KeyCode::Char('}'));
    assert!(
        matches!(b.key(KeyCode::Char('y')).as_slice(), [Effect::Copy { text, .. }] if text == "retention: 35d\n")
    );
    b.key(KeyCode::Char('{'));
    assert_eq!(b.state.scroll, b.state.view.row_of_line(blocks[0].line));
    assert!(
        matches!(b.key(KeyCode::Char('Y')).as_slice(), [Effect::Copy { text, .. }] if *text == long_answer())
    );
}

#[test]
fn search_finds_moves_between_and_reports_matches() {
    let mut b = Bench::new("brief");
    b.answer(&long_answer());
    b.focus(Focus::Answer);
    b.key(KeyCode::Home);
    b.key(KeyCode::Char('/'));
    assert_eq!(b.state.key_context(), crate::keymap::Context::Prompt);
    b.type_text("RETENTION");
    b.key(KeyCode::Enter);
    assert!(b.state.prompt.is_none());
    assert!(b.notice().contains("Match 1 of 1"), "{}", b.notice());
    let line = b
        .state
        .latest()
        .unwrap()
        .doc
        .committed()
        .iter()
        .position(|l| l.line.spans.iter().any(|s| s.content.contains("retention")))
        .unwrap();
    assert_eq!(
        b.state.scroll,
        b.state
            .view
            .row_of_line(line)
            .min(b.state.view.total_rows() - 26)
    );
    b.key(KeyCode::Char('/'));
    b.type_text("outro");
    b.key(KeyCode::Enter);
    assert!(b.notice().contains("of 40"), "{}", b.notice());
    let first = b.state.scroll;
    b.key(KeyCode::Char('N'));
    assert_ne!(b.state.scroll, first);
    b.key(KeyCode::Char('/'));
    b.type_text("no such words");
    b.key(KeyCode::Enter);
    assert!(
        b.notice().contains("is not in the answer"),
        "{}",
        b.notice()
    );
}

#[test]
fn escape_closes_the_prompt_without_acting() {
    let mut b = Bench::new("brief");
    b.answer(BLOCKS);
    b.focus(Focus::Answer);
    b.key(KeyCode::Char('s'));
    assert!(b.state.prompt.is_some());
    assert!(b.key(KeyCode::Esc).is_empty());
    assert!(b.state.prompt.is_none());
    assert_eq!(
        b.state.running, None,
        "Esc in the prompt cancels nothing else"
    );
}

#[test]
fn save_and_export_ask_for_a_folder() {
    let mut b = Bench::new("brief");
    b.answer(BLOCKS);
    b.focus(Focus::Answer);
    b.key(KeyCode::Char('s'));
    assert_eq!(
        b.state.prompt.as_ref().unwrap().input.lines(),
        ["archbench-blocks"]
    );
    b.type_text("/tmp/out");
    let effects = b.key(KeyCode::Enter);
    let [Effect::SaveBlocks {
        blocks,
        exports,
        dir,
    }] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(blocks.len(), 2);
    assert!(exports.is_empty(), "no check, no schema to save");
    assert_eq!(dir, &std::path::PathBuf::from("/tmp/out"));
    b.key(KeyCode::Char('e'));
    assert_eq!(
        b.state.prompt.as_ref().unwrap().input.lines(),
        ["/tmp/out"],
        "the folder is remembered"
    );
    let effects = b.key(KeyCode::Enter);
    let [Effect::Export { path, text }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(
        path,
        &std::path::PathBuf::from("/tmp/out/database_architect-attempt-1.md")
    );
    assert!(text.starts_with("---\nrole: \"database_architect\"\nmodel: \"test-model\"\n"));
    assert!(text.ends_with(BLOCKS));
    b.send(Event::Reported(Err(
        "Could not export into /tmp/out: denied".into(),
    )));
    assert!(b.notice().contains("denied"));
}

#[test]
fn half_pages_scroll_half_the_pane() {
    let mut b = Bench::new("brief");
    b.answer(&long_answer());
    b.focus(Focus::Answer);
    b.key(KeyCode::Home);
    b.ctrl('d');
    let page = layout::areas(100, 30).unwrap().answer_inner().height as usize;
    assert_eq!(b.state.scroll, page / 2);
    b.ctrl('u');
    assert_eq!(b.state.scroll, 0);
}

#[test]
fn copying_with_no_blocks_says_so() {
    let mut b = Bench::new("brief");
    b.answer("Just prose.\nDECISION: completed\n");
    b.focus(Focus::Answer);
    assert!(b.key(KeyCode::Char('y')).is_empty());
    assert!(b.notice().contains("no code block"));
}

#[test]
fn the_block_list_numbers_jumps_and_copies() {
    let mut b = Bench::new("brief");
    b.answer(&long_answer());
    b.focus(Focus::Answer);
    b.key(KeyCode::Char('c'));
    assert_eq!(b.state.block_list, Some(0));
    assert_eq!(b.state.key_context(), crate::keymap::Context::Blocks);
    b.key(KeyCode::Down);
    b.key(KeyCode::Down);
    assert_eq!(b.state.block_list, Some(1), "stops at the last block");
    assert!(
        matches!(b.key(KeyCode::Char('y')).as_slice(), [Effect::Copy { text, .. }] if text == "retention: 35d\n")
    );
    b.key(KeyCode::Enter);
    assert_eq!(b.state.block_list, None);
    let line = b.state.latest().unwrap().doc.code_blocks()[1].line;
    assert_eq!(
        b.state.scroll,
        b.state
            .view
            .row_of_line(line)
            .min(b.state.view.total_rows() - 26)
    );
    b.key(KeyCode::Char('c'));
    b.key(KeyCode::Esc);
    assert_eq!(b.state.block_list, None);
    assert_eq!(b.state.running, None);
}

#[test]
fn y_in_the_outline_copies_the_whole_section() {
    let mut b = Bench::new("brief");
    b.answer(BLOCKS);
    b.key(KeyCode::BackTab);
    assert_eq!(b.state.focus, Focus::Outline);
    b.key(KeyCode::Down);
    let effects = b.key(KeyCode::Char('y'));
    let [Effect::Copy { text, what }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(
        text,
        "## Schema design\n\n```sql\nCREATE TABLE t (id bigint);\n```\n\ntext\n\n"
    );
    assert_eq!(what, "the section “Schema design”");
}

#[test]
fn every_state_change_is_queued_for_the_audit_log_in_order() {
    let mut b = Bench::new("brief");
    b.answer(AMBIGUOUS);
    b.key(KeyCode::Char('r'));
    b.type_text("Add RLS.");
    b.ctrl('s');
    b.stream(2, UNIQUE);
    b.key(KeyCode::Enter);
    b.send(Event::HandedOff(Ok(delivered("/outbox/e.json"))));
    let kinds: Vec<(&str, u32)> = b
        .state
        .audit
        .iter()
        .map(|e| (e.kind.as_str(), e.attempt))
        .collect();
    assert_eq!(
        kinds,
        [
            ("run_started", 1),
            ("answer_complete", 1),
            ("decision_parsed", 1),
            ("review_action", 1),
            ("run_started", 2),
            ("answer_complete", 2),
            ("decision_parsed", 2),
            ("review_action", 2),
            ("handoff_sent", 2)
        ]
    );
    let revise = &b.state.audit[3];
    assert_eq!(revise.data["action"], "revise");
    assert_eq!(revise.data["feedback"], "Add RLS.");
    assert_eq!(b.state.audit[6].data["status"], "unique");
    assert_eq!(b.state.audit[7].data["action"], "confirm");
    assert_eq!(b.state.audit[7].data["reviewer"]["name"], "Ada Reviewer");
    assert!(b
        .state
        .audit
        .iter()
        .all(|e| e.chain_id == "chain-1" && e.role == "database_architect"));
}

#[test]
fn override_needs_an_unlisted_role_and_a_reason() {
    let mut b = Bench::new("brief");
    b.answer(AMBIGUOUS);
    b.key(KeyCode::Char('o'));
    b.type_text("fullstack_developer");
    b.key(KeyCode::Enter);
    assert!(
        b.notice()
            .contains("fullstack_developer is listed: choose it with 1"),
        "{}",
        b.notice()
    );
    b.key(KeyCode::Char('o'));
    b.type_text("not a role!");
    b.key(KeyCode::Enter);
    assert!(b.notice().contains("is not a role id"), "{}", b.notice());
    b.key(KeyCode::Char('o'));
    b.type_text("security_auditor");
    b.key(KeyCode::Enter);
    // No role file defines it: a second confirmation names it as unknown.
    assert_eq!(
        b.state.prompt.as_ref().unwrap().kind,
        PromptKind::ConfirmUnknown("security_auditor".into())
    );
    b.type_text("security_auditor");
    b.key(KeyCode::Enter);
    assert_eq!(
        b.state.prompt.as_ref().unwrap().kind,
        PromptKind::OverrideReason("security_auditor".into())
    );
    assert!(
        b.key(KeyCode::Enter).is_empty(),
        "an override without a reason is refused"
    );
    assert!(b.notice().contains("An override needs a reason"));
    assert!(b.state.prompt.is_some(), "and the prompt stays open");
    b.type_text("PCI scope needs review first");
    let effects = b.key(KeyCode::Enter);
    let [Effect::Handoff { request, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(request.action, ReviewAction::Override);
    assert_eq!(request.chosen.target, "security_auditor");
    assert_eq!(request.chosen.id, "override:security_auditor");
    assert_eq!(
        request.reason.as_deref(),
        Some("PCI scope needs review first")
    );
    let audit = b.state.audit.last().unwrap();
    assert_eq!(audit.data["action"], "override");
    assert_eq!(audit.data["reason"], "PCI scope needs review first");
}

#[test]
fn reject_stops_the_chain_and_nothing_is_handed_off() {
    let mut b = Bench::new("brief");
    b.answer(UNIQUE);
    b.key(KeyCode::Char('x'));
    assert_eq!(b.state.prompt.as_ref().unwrap().kind, PromptKind::Reject);
    assert!(b.key(KeyCode::Enter).is_empty(), "the reason is optional");
    assert_eq!(
        b.state.review.handoff,
        Some(HandoffStatus::Rejected { reason: None })
    );
    assert!(
        b.key(KeyCode::Enter).is_empty(),
        "a rejected answer is not handed off"
    );
    assert!(b.notice().contains("rejected"), "{}", b.notice());
    assert!(b.key(KeyCode::Char('o')).is_empty());
    assert!(b.state.prompt.is_none(), "nor overridden");
    assert_eq!(b.state.audit.last().unwrap().data["action"], "reject");
    assert_eq!(b.ctrl('q'), [Effect::Quit], "nothing is at stake any more");
}

#[test]
fn override_and_reject_wait_for_a_finished_answer() {
    let mut b = Bench::new("brief");
    b.ctrl('s');
    b.key(KeyCode::Tab);
    b.key(KeyCode::Tab);
    b.key(KeyCode::Char('x'));
    assert!(b.state.prompt.is_none());
    assert!(b.notice().contains("still streaming"), "{}", b.notice());
}

#[test]
fn copying_a_section_whose_title_repeats_copies_the_chosen_one() {
    let mut b = Bench::new("brief");
    b.answer("# Notes\nfirst\n# Notes\nsecond\nDECISION: completed\n");
    b.focus(Focus::Outline);
    b.key(KeyCode::Down);
    let effects = b.key(KeyCode::Char('y'));
    let [Effect::Copy { text, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(text, "# Notes\nsecond\nDECISION: completed\n");
}

#[path = "review_tests.rs"]
mod review;

#[path = "notes_tests.rs"]
mod notes_tests;

mod journal_and_draft {
    use super::*;
    use crate::store::writer::Record;

    #[test]
    fn a_run_is_recorded_as_it_starts_streams_and_ends() {
        let mut b = Bench::new("Ledger brief");
        let run_id = b.answer("## Schema\nDECISION: completed: Go to fullstack_developer\n");
        let key = journal::run_key(&b.state, run_id);
        let records = std::mem::take(&mut b.state.records);
        let Some(Record::Started(run)) = records.first() else {
            panic!("the first record is the start: {records:?}")
        };
        assert_eq!(run.key, key);
        assert_eq!(run.brief, "Ledger brief");
        assert_eq!(run.attempt, 1);
        assert_eq!(run.reviewer, "Ada Reviewer <ada@example.com>");
        let text: String = records
            .iter()
            .filter_map(|r| match r {
                Record::Delta { key: k, text } if **k == *key => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            text,
            "## Schema\nDECISION: completed: Go to fullstack_developer\n"
        );
        let ended = records.iter().find_map(|r| match r {
            Record::Ended { key: k, end } if *k == key => Some(end),
            _ => None,
        });
        let ended = ended.expect("an end record");
        assert_eq!(ended.status, "complete");
        assert_eq!(ended.finish_reason.as_deref(), Some("stop"));
        assert_eq!(ended.decision.as_ref().unwrap()["status"], "unique");
        assert!(
            records.iter().any(|r| matches!(r, Record::Event { key: Some(k), kind, .. } if *k == key && kind == "decision_parsed")),
            "audit events are kept with the run"
        );
    }

    #[test]
    fn a_cancelled_run_is_recorded_as_cancelled() {
        let mut b = Bench::new("brief");
        let effects = b.ctrl('s');
        let Some(Effect::StartRun { run_id, .. }) = effects.first() else {
            panic!("{effects:?}")
        };
        let run_id = *run_id;
        b.agent(run_id, AgentEvent::Delta("half".into()));
        b.key(KeyCode::Esc);
        let ended = b.state.records.iter().find_map(|r| match r {
            Record::Ended { end, .. } => Some(end.status.clone()),
            _ => None,
        });
        assert_eq!(ended.as_deref(), Some("cancelled"));
    }

    #[test]
    fn a_burst_of_typing_costs_one_draft_write() {
        let mut b = Bench::new("");
        b.focus(Focus::Brief);
        b.type_text("Bookstore");
        assert_eq!(b.state.brief_revision, 9);
        let effects = b.send(Event::DraftDue);
        assert_eq!(
            effects,
            vec![Effect::SaveDraft {
                owner: b.state.draft_owner(),
                text: "Bookstore".into(),
                replaces: None,
            }]
        );
        assert!(b.send(Event::DraftDue).is_empty(), "nothing new to save");
        // Keys that change nothing (moving the cursor) are not edits.
        b.key(KeyCode::Left);
        assert!(b.send(Event::DraftDue).is_empty());
        b.type_text("s");
        assert_eq!(b.send(Event::DraftDue).len(), 1);
    }

    #[test]
    fn a_brief_sent_in_a_run_needs_no_draft_but_later_edits_do() {
        let mut b = Bench::new("From the file");
        assert!(!b.state.brief_needs_draft(), "the file holds it");
        b.focus(Focus::Brief);
        b.type_text(" and more");
        assert!(b.state.brief_needs_draft());
        b.answer("DECISION: completed\n");
        assert!(!b.state.brief_needs_draft(), "the run holds it");
        b.focus(Focus::Brief);
        b.type_text("!");
        assert!(b.state.brief_needs_draft());
    }

    fn left_draft(text: &str) -> crate::store::draft::Draft {
        crate::store::draft::Draft {
            text: text.into(),
            saved_at: Utc::now(),
            path: "/drafts/database_architect.gone.json".into(),
            owner: crate::store::draft::Owner {
                role: "database_architect".into(),
                brief_file: Some("/briefs/a.md".into()),
                instance: "gone".into(),
                pid: 1,
            },
        }
    }

    #[test]
    fn an_offered_draft_waits_for_f7_and_undo_brings_the_file_back() {
        let mut b = Bench::new("Brief from the file");
        b.state.offered_draft = Some(left_draft("Draft line one\nDraft line two\n"));
        assert_eq!(
            b.state.brief_text(),
            "Brief from the file",
            "never applied on its own"
        );
        b.key(KeyCode::F(7));
        assert_eq!(b.state.brief_text(), "Draft line one\nDraft line two");
        assert!(
            b.notice().contains("The draft is in the editor"),
            "{}",
            b.notice()
        );
        assert!(
            b.state.brief_needs_draft(),
            "kept until it runs or is saved"
        );
        // Saved as this workbench's own draft, after which the one taken goes.
        let effects = b.send(Event::DraftDue);
        let [Effect::SaveDraft {
            owner, replaces, ..
        }] = effects.as_slice()
        else {
            panic!("{effects:?}")
        };
        assert_eq!(owner.instance, b.state.instance);
        assert_eq!(
            replaces.as_deref(),
            Some(std::path::Path::new("/drafts/database_architect.gone.json"))
        );
        b.focus(Focus::Brief);
        b.ctrl('z');
        b.ctrl('z');
        assert_eq!(b.state.brief_text(), "Brief from the file");
        b.key(KeyCode::F(7));
        assert!(b.notice().contains("No draft is waiting"), "{}", b.notice());
    }
}

#[path = "history_tests.rs"]
mod history_tests;

#[test]
fn a_broken_off_answer_is_tried_again_with_one_key_as_the_same_attempt() {
    let mut b = Bench::new("brief");
    b.answer("First answer\nDECISION: completed\n");
    b.key(KeyCode::Char('r'));
    b.type_text("add indexes");
    let effects = b.ctrl('s');
    let Some(Effect::StartRun { run_id, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    let run_id = *run_id;
    b.agent(run_id, AgentEvent::Delta("## Indexes\npartial".into()));
    b.agent(
        run_id,
        AgentEvent::Failed(ProviderError::Stream(
            "the server closed the connection".into(),
        )),
    );
    assert!(b
        .state
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("Ctrl-S tries again"));
    let effects = b.ctrl('s');
    let Some(Effect::StartRun { request, .. }) = effects.first() else {
        panic!("one key retries: {effects:?}")
    };
    assert_eq!(
        b.state.attempts.len(),
        2,
        "the broken-off attempt is replaced"
    );
    assert_eq!(b.state.attempts[1].number, 2);
    assert_eq!(b.state.attempts[1].feedback.as_deref(), Some("add indexes"));
    let texts: Vec<&str> = request
        .messages
        .iter()
        .map(|m| m.content.as_str())
        .collect();
    assert_eq!(
        texts.last(),
        Some(&"add indexes"),
        "the same request as before"
    );
    assert!(
        !texts.iter().any(|t| t.contains("partial")),
        "the broken text is not sent back"
    );
}

#[test]
fn a_retry_wait_is_counted_down_on_the_status_line() {
    let mut b = Bench::new("brief");
    let effects = b.ctrl('s');
    let Some(Effect::StartRun { run_id, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    let run_id = *run_id;
    b.agent(
        run_id,
        AgentEvent::Retrying {
            try_number: 2,
            of: 5,
            wait: std::time::Duration::from_secs(3),
            why: "HTTP 429".into(),
        },
    );
    // Bench's clock moves one second per event.
    assert_eq!(
        b.state.notice.as_ref().unwrap().text,
        "HTTP 429: trying again in 3 s (try 2 of 5). Esc cancels."
    );
    assert!(b.state.wants_ticks());
    b.send(Event::Tick);
    assert_eq!(
        b.state.notice.as_ref().unwrap().text,
        "HTTP 429: trying again in 2 s (try 2 of 5). Esc cancels."
    );
    b.agent(run_id, AgentEvent::Delta("Now it flows".into()));
    assert!(!b.state.wants_ticks(), "the wait is over once text arrives");
    b.key(KeyCode::Esc);
    assert!(b.state.running.is_none(), "Esc cancels, wait or not");
}

#[test]
fn an_attempt_identical_to_the_one_before_is_said_so_at_once() {
    let mut b = Bench::new("brief");
    b.answer(AMBIGUOUS);
    assert!(!b.state.attempts[0].same_as_previous);
    b.key(KeyCode::Char('r'));
    b.type_text("Add row-level security.");
    let effects = b.ctrl('s');
    let [Effect::StartRun { run_id, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let run_id = *run_id;
    b.stream(run_id, AMBIGUOUS);
    assert!(b.state.attempts[1].same_as_previous);
    let notice = b.state.notice.as_ref().unwrap();
    assert_eq!(notice.level, NoticeLevel::Warning);
    assert!(
        notice.text.starts_with(
            "Attempt 2 is identical to attempt 1, byte for byte: the feedback changed nothing."
        ),
        "{}",
        notice.text
    );
    assert!(
        b.state
            .audit
            .iter()
            .any(|e| e.kind == "attempt_identical" && e.data["same_as"] == 1),
        "recorded"
    );

    // A revision that changes something is not flagged.
    b.key(KeyCode::Char('r'));
    b.type_text("Again, please.");
    let effects = b.ctrl('s');
    let [Effect::StartRun { run_id, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let run_id = *run_id;
    b.stream(run_id, &format!("{AMBIGUOUS}\nWith RLS."));
    assert!(!b.state.attempts[2].same_as_previous);
}

#[test]
fn reading_the_prompt_is_counted_on_the_status_line_until_the_first_token() {
    let mut b = Bench::new("brief");
    let effects = b.ctrl('s');
    let Some(Effect::StartRun { run_id, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    let run_id = *run_id;
    let reading = |read| AgentEvent::Reading {
        read,
        total: 1752,
        kept: 1200,
    };
    b.agent(run_id, reading(1200));
    assert_eq!(
        b.state.notice.as_ref().unwrap().text,
        "Reading the prompt: 1,200 of 1,752 tokens (1,200 kept from before). Esc cancels."
    );
    assert!(b.state.wants_ticks(), "the estimate counts down");
    // Bench's clock moves one second per event: 128 tokens a second, 424 tokens left.
    b.agent(run_id, reading(1328));
    assert_eq!(
        b.state.notice.as_ref().unwrap().text,
        "Reading the prompt: 1,328 of 1,752 tokens (1,200 kept from before) · about 3 s left. Esc cancels."
    );
    b.send(Event::Tick);
    assert_eq!(
        b.state.notice.as_ref().unwrap().text,
        "Reading the prompt: 1,328 of 1,752 tokens (1,200 kept from before) · about 2 s left. Esc cancels."
    );
    b.agent(run_id, AgentEvent::Delta("The answer".into()));
    assert!(b.state.reading.is_none() && !b.state.wants_ticks());
    assert!(
        b.state.notice.is_none(),
        "the count is gone with the first token"
    );

    // Esc while the prompt is read cancels the run and the count with it.
    b.agent(run_id, AgentEvent::Finished(FinishReason::Stop));
    let effects = b.ctrl('s');
    let effects = if effects.is_empty() {
        b.ctrl('s')
    } else {
        effects
    };
    let Some(Effect::StartRun { run_id, .. }) = effects.first() else {
        panic!("{effects:?} {:?}", b.state.notice)
    };
    let run_id = *run_id;
    b.agent(run_id, reading(1300));
    let effects = b.key(KeyCode::Esc);
    assert_eq!(effects, vec![Effect::CancelRun { run_id }]);
    assert!(b.state.reading.is_none() && !b.state.wants_ticks());
    b.send(Event::Tick);
    assert!(
        !b.state.notice.as_ref().unwrap().text.starts_with("Reading"),
        "{:?}",
        b.state.notice
    );
}

#[path = "picker_tests.rs"]
mod picker_tests;

#[path = "inbox_tests.rs"]
mod inbox_tests;

#[test]
fn f3_cycles_the_themes_and_renders_the_answers_again() {
    let mut b = Bench::new("brief");
    b.state.themes = crate::screen::theme::SHIPPED
        .iter()
        .map(|(_, text)| crate::screen::theme::Theme::parse(text, "shipped").unwrap())
        .collect();
    b.answer("# Plan\n\n```sql\nSELECT 1;\n```\nDECISION: completed\n");
    let effects = b.key(KeyCode::F(3));
    assert_eq!(
        effects,
        vec![Effect::SetSyntaxTheme("InspiredGitHub".into())]
    );
    assert_eq!(b.state.theme.name, "light");
    assert!(b
        .state
        .notice
        .as_ref()
        .unwrap()
        .text
        .starts_with("Theme light (2 of 4)"));
    let heading = b.state.theme.markdown().heading[0];
    b.send(Event::SyntaxThemeSet(Ok(())));
    let doc = &b.state.attempts[0].doc;
    assert_eq!(
        doc.text(),
        "# Plan\n\n```sql\nSELECT 1;\n```\nDECISION: completed\n"
    );
    assert_eq!(
        doc.committed()[0].line.spans[0].style.fg,
        heading.fg,
        "rendered in the new theme"
    );
    for _ in 0..3 {
        b.key(KeyCode::F(3));
    }
    assert_eq!(b.state.theme.name, "dark", "round the cycle");
}

#[test]
fn a_watched_session_replays_into_the_state_and_nothing_can_change_it() {
    use crate::store::follow::Watch;
    use crate::store::sessions::{EventRow, Watched};
    let mut b = Bench::new("");
    b.state.read_only = true;
    b.send(Event::Watched(Watch::Started(Box::new(Watched {
        id: 7,
        key: "s:1".into(),
        session_id: "s".into(),
        role_id: "database_architect".into(),
        brief: "Their brief".into(),
        attempt: 1,
        model: "their-model".into(),
        status: "running".into(),
        finish_reason: None,
        reviewer: "Ada".into(),
        feedback: None,
    }))));
    assert_eq!(b.state.brief_text(), "Their brief");
    assert!(b
        .state
        .notice
        .as_ref()
        .unwrap()
        .text
        .starts_with("Watching Ada: run #7"));
    b.send(Event::Watched(Watch::Pieces(vec![
        "## Schema\n".into(),
        "DECISION: completed\n".into(),
    ])));
    assert_eq!(
        b.state.latest().unwrap().text(),
        "## Schema\nDECISION: completed\n"
    );
    b.send(Event::Watched(Watch::Ended {
        status: "complete".into(),
        finish_reason: Some("stop".into()),
    }));
    assert!(matches!(
        b.state.latest().unwrap().phase,
        Phase::Complete(FinishReason::Stop)
    ));
    assert_eq!(
        b.state.latest().unwrap().decision.as_ref().unwrap().status,
        DecisionStatus::Ambiguous,
        "the decision is read as on the reviewer's screen"
    );
    // Nothing a watcher presses changes the work.
    for effects in [
        b.key(KeyCode::Char('2')),
        b.key(KeyCode::Enter),
        b.ctrl('s'),
        b.key(KeyCode::Char('r')),
    ] {
        assert!(effects.is_empty(), "{effects:?}");
    }
    assert!(b
        .state
        .notice
        .as_ref()
        .unwrap()
        .text
        .starts_with("Watching: read-only"));
    assert_eq!(b.state.review.selected, None);
    b.send(Event::Paste("pasted".into()));
    assert_eq!(b.state.brief_text(), "Their brief");
    b.send(Event::Watched(Watch::Events(vec![EventRow {
        at: "t".into(),
        kind: "handoff_sent".into(),
        data: serde_json::json!({"target": "backup_disaster_specialist", "sink": "outbox"}),
    }])));
    assert_eq!(
        b.state.notice.as_ref().unwrap().text,
        "Handed off to backup_disaster_specialist (outbox)."
    );
    // The outcome the store keeps, with who and when, and the routes pane shows it.
    let outcome = crate::store::outcomes::Outcome::handoff(
        "choose",
        "backup_disaster_specialist",
        true,
        "env-7",
        "Ada",
        None,
        Utc::now(),
    );
    b.send(Event::Watched(Watch::Outcome(Box::new(outcome))));
    assert!(b
        .notice()
        .contains("handed off to backup_disaster_specialist in envelope env-7 by Ada"));
    assert!(matches!(
        b.state.review.handoff,
        Some(crate::state::HandoffStatus::Settled(_))
    ));
}

#[test]
fn the_wheel_scrolls_what_is_on_top() {
    let mut b = Bench::new("brief");
    let long: String = (0..200).map(|i| format!("line {i}\n")).collect();
    b.answer(&format!("{long}DECISION: completed\n"));
    b.focus(Focus::Answer);
    b.key(KeyCode::Home);
    b.focus(Focus::Brief);
    b.send(Event::Wheel(3));
    assert_eq!(b.state.scroll, 3, "the answer scrolls whatever has focus");
    b.send(Event::Wheel(-3));
    assert_eq!(b.state.scroll, 0);
    b.key(KeyCode::F(1));
    b.send(Event::Wheel(3));
    assert_eq!(b.state.help_scroll, 3, "the help, when it is open");
    assert_eq!(b.state.scroll, 0);
    b.key(KeyCode::Esc);
    b.key(KeyCode::F(8));
    b.send(Event::Wheel(-2));
    assert_eq!(
        b.state.messages_open,
        Some(2),
        "the message log, when it is open"
    );
    assert_eq!(b.state.scroll, 0);
}

#[test]
fn the_brief_back_from_the_editor_is_an_undoable_edit_that_the_draft_takes() {
    let mut b = Bench::new("Before");
    b.send(Event::BriefEdited(Ok("After the editor\n".into())));
    assert_eq!(b.state.brief_text(), "After the editor");
    assert!(b.state.clear_screen, "the editor drew on the screen");
    assert_eq!(
        b.send(Event::DraftDue),
        vec![Effect::SaveDraft {
            owner: b.state.draft_owner(),
            text: "After the editor".into(),
            replaces: None,
        }]
    );
    b.focus(Focus::Brief);
    b.ctrl('z');
    b.ctrl('z');
    assert_eq!(b.state.brief_text(), "Before");
    b.send(Event::BriefEdited(Err(
        "`vi` exited with 1; the brief is unchanged".into(),
    )));
    assert_eq!(b.state.brief_text(), "Before");
    assert!(b.state.notice.as_ref().unwrap().text.contains("unchanged"));
}

#[test]
fn override_offers_the_known_roles_and_a_typo_is_not_a_handoff() {
    // A user role beside the shipped ones, which the architect's routes do not list.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("security_auditor.md"),
        "+++\nid = \"security_auditor\"\ntitle = \"Security auditor\"\n+++\nAudit the design.\n",
    )
    .unwrap();
    let mut b = Bench::new("brief");
    b.state.session.chain.roles =
        std::sync::Arc::new(crate::role::RoleBook::load(Some(dir.path())).unwrap());
    b.answer(AMBIGUOUS);
    b.key(KeyCode::Char('o'));
    let PromptKind::OverrideRole(known) = b.state.prompt.as_ref().unwrap().kind.clone() else {
        panic!("no override prompt")
    };
    // Neither the routes' targets nor the architect itself.
    assert_eq!(known, ["security_auditor"]);
    let label = b.state.prompt.as_ref().unwrap().kind.label();
    assert!(label.contains("1 security_auditor; or a name"), "{label}");
    // Picked by its number, a known role goes straight to the reason.
    b.type_text("1");
    b.key(KeyCode::Enter);
    assert_eq!(
        b.state.prompt.as_ref().unwrap().kind,
        PromptKind::OverrideReason("security_auditor".into())
    );
    b.key(KeyCode::Esc);
    b.key(KeyCode::Char('o'));
    // A typo is asked again, naming it as unknown; a different answer hands nothing off.
    b.type_text("fulstack_developer");
    b.key(KeyCode::Enter);
    let label = b.state.prompt.as_ref().unwrap().kind.label();
    assert!(
        label.contains("No role file defines fulstack_developer; type it again"),
        "{label}"
    );
    b.type_text("fullstack_developer");
    assert!(b.key(KeyCode::Enter).is_empty());
    assert!(b.notice().contains("Not confirmed"), "{}", b.notice());
    assert!(b.state.prompt.is_none());
    assert_eq!(b.state.review.handoff, None);
}

#[test]
fn an_override_to_an_unknown_role_is_recorded_as_unknown() {
    let mut b = Bench::new("brief");
    b.answer(AMBIGUOUS);
    b.key(KeyCode::Char('o'));
    b.type_text("security_auditor");
    b.key(KeyCode::Enter);
    b.type_text("security_auditor");
    b.key(KeyCode::Enter);
    b.type_text("PCI first");
    let effects = b.key(KeyCode::Enter);
    let [Effect::Handoff { request, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(!request.target_known);
    let audit = b
        .state
        .audit
        .iter()
        .rev()
        .find(|e| e.kind == "review_action")
        .unwrap();
    assert_eq!(audit.data["target_known"], false);
    let envelope =
        crate::routing::Envelope::build((**request).clone(), "e".into(), Utc::now()).unwrap();
    assert!(!envelope.route.target_known);
}

#[test]
fn search_counts_every_occurrence_and_wraps_around_both_ends() {
    let mut b = Bench::new("brief");
    // Three occurrences, two of them on one line, and the last near the end of the answer.
    let mut text: String = (0..60).map(|i| format!("line {i}\n")).collect();
    text.insert_str(0, "tenant and tenant\n");
    text.push_str("the last tenant\nDECISION: completed\n");
    b.answer(&text);
    b.focus(Focus::Answer);
    b.key(KeyCode::Home);
    b.key(KeyCode::Char('/'));
    b.type_text("tenant");
    b.key(KeyCode::Enter);
    assert!(b.notice().starts_with("Match 1 of 3"), "{}", b.notice());
    b.key(KeyCode::Char('n'));
    assert!(b.notice().starts_with("Match 2 of 3"), "{}", b.notice());
    b.key(KeyCode::Char('n'));
    assert!(b.notice().starts_with("Match 3 of 3"), "{}", b.notice());
    let bottom = b.state.scroll;
    b.key(KeyCode::Char('n'));
    assert!(
        b.notice().starts_with("Match 1 of 3 (from the top)"),
        "{}",
        b.notice()
    );
    assert!(b.state.scroll < bottom, "back at the top");
    b.key(KeyCode::Char('N'));
    assert!(
        b.notice().starts_with("Match 3 of 3 (from the end)"),
        "{}",
        b.notice()
    );
}

#[test]
fn ctrl_end_goes_to_the_end_of_the_brief_and_ctrl_home_to_its_start() {
    let mut b = Bench::new("first line\nsecond line\nthird line");
    b.focus(Focus::Brief);
    b.state.brief.move_cursor(ratatui_textarea::CursorMove::Top);
    b.send(Event::Key(KeyEvent::new(
        KeyCode::End,
        KeyModifiers::CONTROL,
    )));
    let at = |b: &Bench| {
        let c = b.state.brief.cursor();
        (c.0, c.1)
    };
    assert_eq!(at(&b), (2, 10));
    b.send(Event::Key(KeyEvent::new(
        KeyCode::Home,
        KeyModifiers::CONTROL,
    )));
    assert_eq!(at(&b), (0, 0));
}

#[test]
fn only_headings_with_subsections_fold() {
    // "Design" has two subsections; "Notes" has none. (That folding keeps the coverage line is
    // tested on the screen: tests/screens.rs.)
    let mut b = Bench::new("brief");
    b.answer("# Design\n## Data modeling\n## Schema design\n# Notes\nDECISION: completed\n");
    assert_eq!(b.state.foldable().len(), 1);
    b.key(KeyCode::BackTab);
    b.key(KeyCode::Char(' '));
    assert_eq!(b.state.outline().len() + 2, b.state.outline_all().len());
    // Space on "Notes" folds nothing, and says so.
    b.key(KeyCode::Down);
    b.key(KeyCode::Char(' '));
    assert!(b.notice().contains("no subsections"), "{}", b.notice());
    assert_eq!(b.state.folded.len(), 1);
}

#[test]
fn tab_and_esc_in_the_feedback_overlay_keep_the_reviewer_where_they_were() {
    let mut b = Bench::new("brief");
    b.answer(AMBIGUOUS);
    b.focus(Focus::Routes);
    b.key(KeyCode::Char('r'));
    assert_eq!(b.state.key_context(), crate::keymap::Context::Feedback);
    b.type_text("add indexes");
    b.key(KeyCode::Tab);
    b.key(KeyCode::BackTab);
    assert_eq!(
        b.state.focus,
        Focus::Routes,
        "no pane moved behind the overlay"
    );
    assert_eq!(b.state.key_context(), crate::keymap::Context::Feedback);
    b.key(KeyCode::Esc);
    assert_eq!(b.state.focus, Focus::Routes);
    assert!(b
        .state
        .review
        .feedback
        .lines()
        .join("\n")
        .starts_with("add indexes"));
}

#[test]
fn every_message_is_kept_once_in_the_log_and_f8_shows_it() {
    let mut b = Bench::new("brief");
    b.answer(AMBIGUOUS);
    b.key(KeyCode::Enter);
    b.key(KeyCode::Enter);
    let refusals = b
        .state
        .messages
        .iter()
        .filter(|(_, n)| n.text.contains("is ambiguous"))
        .count();
    assert_eq!(refusals, 1, "the same message twice in a row is kept once");
    b.key(KeyCode::F(8));
    assert_eq!(b.state.messages_open, Some(0));
    b.key(KeyCode::Up);
    assert_eq!(b.state.messages_open, Some(1));
    // Any other key closes it, and does nothing else.
    let effects = b.key(KeyCode::Char('x'));
    assert!(effects.is_empty());
    assert_eq!(b.state.messages_open, None);
    assert!(b.state.prompt.is_none(), "x did not open the reject prompt");
}
