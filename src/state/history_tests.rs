//! The history screen's transitions: open, list, search, open a run, compare two, continue a
//! conversation, run a brief again with another role — and the refused ones.

use super::*;
use crate::effect::RunsFor;
use crate::state::history::HistoryView;
use crate::store::sessions::{RunDetail, RunSummary};

fn summary(id: i64, role: &str, brief: &str) -> RunSummary {
    RunSummary {
        id,
        started_at: format!("2026-11-2{id}T09:00:00.000Z"),
        role_id: role.into(),
        model: "m".into(),
        attempt: 1,
        status: "complete".into(),
        brief_first_line: brief.into(),
        bytes: 10,
        envelope_id: None,
        outcome: None,
    }
}

fn detail(id: i64, attempt: u32, answer: &str, feedback: Option<&str>) -> RunDetail {
    RunDetail {
        id,
        session_id: "old-session".into(),
        chain_id: "old-chain".into(),
        parent_id: None,
        role_id: "database_architect".into(),
        prompt_sha256: RoleBook::load(None)
            .unwrap()
            .get("database_architect")
            .unwrap()
            .prompt_sha256(),
        provider: serde_json::json!({"kind": "openai"}),
        model: "m".into(),
        parameters: serde_json::json!({}),
        brief: "Ledger for a bookstore".into(),
        attempt,
        feedback: feedback.map(str::to_string),
        reviewer: "Ada".into(),
        status: "complete".into(),
        started_at: "2026-11-20T09:00:00.000Z".into(),
        first_token_at: None,
        completed_at: None,
        finish_reason: Some("stop".into()),
        prompt_tokens: Some(5),
        completion_tokens: Some(7),
        decision: None,
        envelope_id: None,
        response_sha256: Some(crate::routing::envelope::sha256_hex(answer)),
        outcome: None,
        answer: answer.into(),
        events: Vec::new(),
    }
}

fn opened(b: &mut Bench) {
    let effects = b.ctrl('o');
    assert_eq!(effects, vec![Effect::LoadHistory { query: None }]);
    b.send(Event::HistoryLoaded(Ok(vec![
        summary(2, "database_architect", "Second brief"),
        summary(1, "database_architect", "First brief"),
    ])));
}

fn loaded(b: &mut Bench, then: RunsFor, runs: Vec<RunDetail>) {
    b.send(Event::RunsLoaded {
        then,
        result: Ok(runs),
        chain_id: "fresh-chain".into(),
    });
}

#[test]
fn the_history_lists_runs_and_opens_one() {
    let mut b = Bench::new("brief");
    opened(&mut b);
    assert_eq!(b.state.key_context(), crate::keymap::Context::History);
    b.key(KeyCode::Down);
    let effects = b.key(KeyCode::Enter);
    assert_eq!(
        effects,
        vec![Effect::LoadRuns {
            ids: vec![1],
            then: RunsFor::Open
        }]
    );
    loaded(
        &mut b,
        RunsFor::Open,
        vec![detail(1, 1, "## Schema\nCREATE TABLE t;", None)],
    );
    let history = b.state.history.as_ref().unwrap();
    let HistoryView::Run { run, doc, .. } = &history.view else {
        panic!("the run is not open")
    };
    assert_eq!(run.id, 1);
    assert_eq!(doc.text(), "## Schema\nCREATE TABLE t;");
    assert_eq!(b.state.key_context(), crate::keymap::Context::HistoryView);
    b.key(KeyCode::Esc);
    assert!(matches!(
        b.state.history.as_ref().unwrap().view,
        HistoryView::List
    ));
    b.key(KeyCode::Esc);
    assert!(
        b.state.history.is_none(),
        "Esc on the list closes the history"
    );
}

#[test]
fn search_asks_for_words_and_reloads_the_list() {
    let mut b = Bench::new("brief");
    opened(&mut b);
    b.key(KeyCode::Char('/'));
    assert_eq!(
        b.state.prompt.as_ref().unwrap().kind,
        PromptKind::HistorySearch
    );
    b.type_text("tenant partitioning");
    let effects = b.key(KeyCode::Enter);
    assert_eq!(
        effects,
        vec![Effect::LoadHistory {
            query: Some("tenant partitioning".into())
        }]
    );
    assert!(
        !b.state.history.as_ref().unwrap().loaded,
        "the list is being read"
    );
    // Esc in a prompt closes the prompt only.
    b.key(KeyCode::Char('/'));
    b.key(KeyCode::Esc);
    assert!(b.state.prompt.is_none());
    assert!(b.state.history.is_some());
}

#[test]
fn two_marked_runs_are_compared_side_by_side() {
    let mut b = Bench::new("brief");
    opened(&mut b);
    let effects = b.key(KeyCode::Char('d'));
    assert!(effects.is_empty(), "nothing marked yet");
    assert!(b
        .state
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("Mark one run with m"));
    b.key(KeyCode::Char('m'));
    b.key(KeyCode::Down);
    let effects = b.key(KeyCode::Char('d'));
    assert_eq!(
        effects,
        vec![Effect::LoadRuns {
            ids: vec![2, 1],
            then: RunsFor::Compare
        }]
    );
    loaded(
        &mut b,
        RunsFor::Compare,
        vec![
            detail(2, 1, "a\nold\nc\n", None),
            detail(1, 1, "a\nnew\nc\nd\n", None),
        ],
    );
    let HistoryView::Compare { counts, rows, .. } = &b.state.history.as_ref().unwrap().view else {
        panic!("not compared")
    };
    assert_eq!(rows.len(), 4);
    assert_eq!((counts.changed, counts.added, counts.removed), (1, 1, 0));
}

#[test]
fn a_conversation_is_continued_with_every_attempt_and_revised_further() {
    let mut b = Bench::new("A brief being written");
    opened(&mut b);
    let effects = b.key(KeyCode::Char('c'));
    assert_eq!(
        effects,
        vec![Effect::LoadRuns {
            ids: vec![2],
            then: RunsFor::Continue
        }]
    );
    loaded(
        &mut b,
        RunsFor::Continue,
        vec![
            detail(1, 1, "First answer\nDECISION: completed\n", None),
            detail(
                2,
                2,
                "Second answer\nDECISION: completed: Go to fullstack_developer\n",
                Some("add indexes"),
            ),
        ],
    );
    assert!(b.state.history.is_none(), "back in the workbench");
    assert_eq!(b.state.brief_text(), "Ledger for a bookstore");
    assert_eq!(b.state.attempts.len(), 2);
    assert_eq!(b.state.session.chain_id, "old-chain");
    assert_eq!(b.state.focus, Focus::Routes);
    assert_eq!(
        b.state.review.selected,
        Some(0),
        "the unique decision is preselected"
    );
    // r goes on with the conversation: both answers and the feedback between them are sent.
    b.key(KeyCode::Char('r'));
    b.type_text("now add backups");
    let effects = b.ctrl('s');
    let Some(Effect::StartRun { request, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    let texts: Vec<&str> = request
        .messages
        .iter()
        .map(|m| m.content.as_str())
        .collect();
    assert_eq!(texts[1], "Ledger for a bookstore");
    assert!(texts.contains(&"First answer\nDECISION: completed\n"));
    assert!(texts.contains(&"add indexes"));
    assert_eq!(texts.last(), Some(&"now add backups"));
    assert_eq!(b.state.attempts.last().unwrap().number, 3);
}

#[test]
fn a_brief_is_run_again_with_another_role_in_a_new_chain() {
    let mut b = Bench::new("brief");
    opened(&mut b);
    b.key(KeyCode::Char('R'));
    assert_eq!(
        b.state.prompt.as_ref().unwrap().kind,
        PromptKind::RerunRole(2)
    );
    assert_eq!(
        b.state.prompt.as_ref().unwrap().input.lines()[0],
        "database_architect"
    );
    b.type_text("no_such_role");
    assert!(b.key(KeyCode::Enter).is_empty());
    assert!(b
        .state
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("No role `no_such_role`"));
    b.key(KeyCode::Char('R'));
    b.type_text("backup_disaster_specialist");
    let effects = b.key(KeyCode::Enter);
    let then = RunsFor::Rerun {
        role: "backup_disaster_specialist".into(),
    };
    assert_eq!(
        effects,
        vec![Effect::LoadRuns {
            ids: vec![2],
            then: then.clone()
        }]
    );
    loaded(&mut b, then, vec![detail(2, 1, "old answer", None)]);
    assert_eq!(b.state.session.role.id, "backup_disaster_specialist");
    assert_eq!(b.state.session.chain_id, "fresh-chain");
    assert_eq!(b.state.brief_text(), "Ledger for a bookstore");
    assert!(b.state.attempts.is_empty());
    assert_eq!(b.state.focus, Focus::Brief);
    // Two undos bring back the brief that was in the editor.
    b.ctrl('z');
    b.ctrl('z');
    assert_eq!(b.state.brief_text(), "brief");
}

#[test]
fn continuing_is_refused_while_an_answer_streams_and_a_store_error_is_shown() {
    let mut b = Bench::new("brief");
    b.ctrl('s');
    opened(&mut b);
    assert!(b.key(KeyCode::Char('c')).is_empty());
    assert!(b
        .state
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("An answer is streaming"));
    b.send(Event::RunsLoaded {
        then: RunsFor::Open,
        result: Err("the session store /x: disk I/O error".into()),
        chain_id: String::new(),
    });
    assert!(b
        .state
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("disk I/O error"));
}

#[test]
fn help_and_quit_work_over_the_history_and_other_keys_close_it() {
    let mut b = Bench::new("brief");
    opened(&mut b);
    b.key(KeyCode::F(1));
    assert!(b.state.help);
    assert!(b.state.history.is_some());
    b.key(KeyCode::Esc);
    assert!(
        !b.state.help && b.state.history.is_some(),
        "Esc closes the help only"
    );
    let effects = b.ctrl('q');
    assert_eq!(
        effects,
        vec![Effect::Quit],
        "nothing at risk: quit at once, over the history"
    );
    let mut b = Bench::new("brief");
    opened(&mut b);
    b.key(KeyCode::Tab);
    assert!(
        b.state.history.is_none(),
        "a workbench key closes the history"
    );
}

#[test]
fn continuing_a_handed_off_run_shows_its_outcome_and_a_run_again_starts_a_new_chain() {
    let mut b = Bench::new("brief");
    opened(&mut b);
    b.key(KeyCode::Char('c'));
    let mut run = detail(
        2,
        1,
        "Answer\nDECISION: completed: Go to fullstack_developer\n",
        None,
    );
    run.outcome = Some(crate::store::outcomes::Outcome::handoff(
        "confirm",
        "fullstack_developer",
        true,
        "env-1",
        "Ada",
        None,
        chrono::Utc::now(),
    ));
    loaded(&mut b, RunsFor::Continue, vec![run]);
    let notice = b.state.notice.clone().unwrap().text;
    assert!(
        notice.contains("already handed off to fullstack_developer in envelope env-1 by Ada"),
        "{notice}"
    );
    // Enter does not hand it off again: no effect, and the screen says why.
    assert!(b.key(KeyCode::Enter).is_empty());
    let notice = b.state.notice.clone().unwrap().text;
    assert!(notice.contains("not handed off again"), "{notice}");
    // Running the brief again is a new chain, so its answer is never taken for the old one.
    b.ctrl('s');
    assert_ne!(b.state.session.chain_id, "old-chain");
    assert_eq!(b.state.session.chain.parent_id, None);
}
