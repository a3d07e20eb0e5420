//! Reviewing like code review: comments, the checklist, attempts compared, the schema view —
//! what the reviewer can do wrong, and what is kept.

use super::*;

/// Lines 1..=5 of a short answer, its decision unique.
const ANSWER: &str = "# Design\n\none\ntwo\nthree\n\nDECISION: backup_disaster_specialist\n";

fn answered(brief: &str) -> Bench {
    let mut b = Bench::new(brief);
    b.answer(ANSWER);
    b.focus(Focus::Answer);
    b.key(KeyCode::Char('g'));
    b
}

fn comment(b: &mut Bench, downs: usize, text: &str) {
    b.key(KeyCode::Char('m'));
    for _ in 0..downs {
        b.key(KeyCode::Char('j'));
    }
    b.key(KeyCode::Enter);
    b.type_text(text);
    b.key(KeyCode::Enter);
}

#[test]
fn no_answer_no_comment() {
    let mut b = Bench::new("brief");
    b.focus(Focus::Answer);
    b.key(KeyCode::Char('m'));
    assert!(b.state.marking.is_none());
    assert!(
        b.notice().contains("no answer to comment on"),
        "{}",
        b.notice()
    );
}

#[test]
fn a_comment_names_its_lines_and_quotes_them() {
    let mut b = answered("brief");
    b.key(KeyCode::Char('m'));
    b.key(KeyCode::Char('j'));
    b.key(KeyCode::Char('j'));
    b.key(KeyCode::Char('J'));
    assert_eq!(notes::marked_lines(&b.state), Some((3, 4)));
    b.key(KeyCode::Char('K'));
    b.key(KeyCode::Char('K'));
    assert_eq!(
        notes::marked_lines(&b.state),
        Some((2, 3)),
        "the range follows the cursor both ways"
    );
    b.key(KeyCode::Enter);
    b.type_text("why one?");
    b.key(KeyCode::Enter);
    let c = &b.state.latest().unwrap().comments[0];
    assert_eq!(
        c.anchor,
        crate::review::comments::Anchor::Lines { first: 2, last: 3 }
    );
    assert_eq!(c.quote, "\none");
    assert_eq!(c.text, "why one?");
    assert_eq!(c.author, b.state.session.reviewer.name);
    assert_eq!(b.state.audit.last().unwrap().kind, "comment");
}

#[test]
fn an_empty_comment_is_not_kept_and_esc_leaves_nothing() {
    let mut b = answered("brief");
    comment(&mut b, 2, "   ");
    assert!(b.state.latest().unwrap().comments.is_empty());
    assert!(b.notice().contains("empty"), "{}", b.notice());
    b.key(KeyCode::Char('m'));
    b.key(KeyCode::Esc);
    assert!(b.state.marking.is_none());
    assert!(b.state.prompt.is_none());
    assert!(b.state.latest().unwrap().comments.is_empty());
}

#[test]
fn comments_go_on_the_latest_attempt_only() {
    let mut b = answered("brief");
    revised(&mut b, ANSWER);
    b.key(KeyCode::Char('['));
    b.key(KeyCode::Char('m'));
    assert!(b.state.marking.is_none());
    assert!(b.notice().contains("latest attempt"), "{}", b.notice());
}

#[test]
fn a_comment_can_be_deleted_before_it_is_sent_and_the_deletion_is_audited() {
    let mut b = answered("brief");
    comment(&mut b, 1, "first");
    comment(&mut b, 2, "second");
    b.key(KeyCode::Char('M'));
    assert_eq!(b.state.comments_open, Some(0));
    b.key(KeyCode::Char('d'));
    let left: Vec<&str> = b
        .state
        .latest()
        .unwrap()
        .comments
        .iter()
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(left, ["second"]);
    assert_eq!(b.state.audit.last().unwrap().kind, "comment_deleted");
}

#[test]
fn a_revision_may_be_comments_alone_but_not_nothing() {
    let mut b = answered("brief");
    b.focus(Focus::Routes);
    b.key(KeyCode::Char('r'));
    assert!(b.ctrl('s').is_empty());
    assert!(b.notice().contains("feedback is empty"), "{}", b.notice());
    b.key(KeyCode::Esc);
    b.focus(Focus::Answer);
    comment(&mut b, 2, "why one?");
    b.focus(Focus::Routes);
    b.key(KeyCode::Char('r'));
    let effects = b.ctrl('s');
    let Some(Effect::StartRun { request, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    let asked = &request.messages.last().unwrap().content;
    assert!(asked.starts_with("Comments on your answer:"), "{asked}");
    assert!(asked.contains("> one\nwhy one?"), "{asked}");
}

#[test]
fn the_checklist_is_read_from_the_brief_and_keeps_its_marks_when_run_again() {
    let mut b = answered("Needs:\n- a\n- b\n");
    b.key(KeyCode::Char('l'));
    b.key(KeyCode::Char('n'));
    b.key(KeyCode::Char('a'));
    b.type_text("c");
    b.key(KeyCode::Enter);
    let marks = |b: &Bench| -> Vec<(String, Mark)> {
        b.state
            .review
            .checklist
            .iter()
            .map(|i| (i.text.clone(), i.mark))
            .collect()
    };
    use crate::review::checklist::Mark;
    assert_eq!(
        marks(&b),
        [
            ("a".into(), Mark::NotMet),
            ("b".into(), Mark::Open),
            ("c".into(), Mark::Open)
        ]
    );
    b.key(KeyCode::Esc);
    // Run again (twice: the first asks): the same brief keeps the marks and the added item.
    b.ctrl('s');
    b.answer(ANSWER);
    assert_eq!(
        marks(&b),
        [
            ("a".into(), Mark::NotMet),
            ("b".into(), Mark::Open),
            ("c".into(), Mark::Open)
        ]
    );
}

#[test]
fn an_empty_item_changes_nothing() {
    let mut b = answered("- a\n");
    b.key(KeyCode::Char('l'));
    b.key(KeyCode::Char('e'));
    b.ctrl('u');
    for _ in 0..3 {
        b.key(KeyCode::Backspace);
    }
    b.key(KeyCode::Enter);
    assert_eq!(b.state.review.checklist[0].text, "a");
    assert!(b.notice().contains("empty"), "{}", b.notice());
}

#[test]
fn a_settled_answer_takes_no_marks_and_no_comments() {
    let mut b = answered("- a\n");
    b.focus(Focus::Routes);
    b.key(KeyCode::Char('x'));
    b.key(KeyCode::Enter);
    assert!(b.state.review.settled());
    b.key(KeyCode::Char('l'));
    b.key(KeyCode::Char('y'));
    assert_eq!(
        b.state.review.checklist[0].mark,
        crate::review::checklist::Mark::Open
    );
    b.key(KeyCode::Esc);
    b.focus(Focus::Answer);
    b.key(KeyCode::Char('m'));
    assert!(b.state.marking.is_none());
}

// ---- attempts compared ----

fn revised(b: &mut Bench, answer: &str) {
    b.focus(Focus::Routes);
    b.key(KeyCode::Char('r'));
    b.type_text("more");
    let effects = b.ctrl('s');
    let Some(Effect::StartRun { run_id, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    b.stream(*run_id, answer);
    b.focus(Focus::Answer);
}

#[test]
fn the_first_attempt_has_nothing_to_compare_with() {
    let mut b = answered("brief");
    b.key(KeyCode::Char('D'));
    assert!(b.state.diff.is_none());
    assert!(b.notice().contains("first attempt"), "{}", b.notice());
}

#[test]
fn n_and_shift_n_walk_the_changes_and_say_where_they_are() {
    let mut b = answered("brief");
    let changed = ANSWER
        .replace("one\n", "ONE\n")
        .replace("three\n", "three\nfour\n");
    revised(&mut b, &changed);
    b.key(KeyCode::Char('D'));
    let diff = b.state.diff.as_ref().unwrap();
    assert_eq!(diff.feedback.as_deref(), Some("more"));
    assert_eq!(diff.change_starts(), [2, 5]);
    assert_eq!(
        diff.top, 0,
        "opened at the first change, the line before it in view"
    );
    b.key(KeyCode::Char('n'));
    assert_eq!(b.state.diff.as_ref().unwrap().top, 3);
    assert!(b.notice().contains("Change 2 of 2"), "{}", b.notice());
    b.key(KeyCode::Char('n'));
    assert!(b.notice().contains("No change after"), "{}", b.notice());
    b.key(KeyCode::Char('N'));
    assert_eq!(b.state.diff.as_ref().unwrap().top, 0);
    b.key(KeyCode::Esc);
    assert!(b.state.diff.is_none());
}

#[test]
fn an_identical_revision_compares_as_identical() {
    let mut b = answered("brief");
    revised(&mut b, ANSWER);
    b.key(KeyCode::Char('D'));
    b.key(KeyCode::Char('n'));
    assert!(b.notice().contains("identical"), "{}", b.notice());
}

// ---- the schema view ----

fn with_schema() -> Bench {
    let mut b = answered("brief");
    let schema: crate::check::schema::Schema =
        serde_json::from_str(include_str!("../../tests/fixtures/schema_view.json")).unwrap();
    let report = crate::check::Report {
        schema: Some(Ok(schema)),
        ..Default::default()
    };
    b.state.attempts[0].check = Some(checks::SqlCheck::Done(Box::new(report)));
    b
}

#[test]
fn without_a_check_the_schema_view_says_how_to_get_one() {
    let mut b = answered("brief");
    b.key(KeyCode::Char('S'));
    assert!(b.state.schema_view.is_none());
    assert!(b.notice().contains("C checks it"), "{}", b.notice());
}

#[test]
fn keys_are_followed_and_b_goes_back() {
    let mut b = with_schema();
    b.key(KeyCode::Char('S'));
    let table = |b: &Bench| b.state.schema_view.as_ref().unwrap().table.clone();
    assert_eq!(table(&b), "categories");
    b.key(KeyCode::Char('3'));
    assert_eq!(table(&b), "tenants", "3: categories' key to tenants");
    b.key(KeyCode::Char('2'));
    assert_eq!(table(&b), "orders", "2: orders' key into tenants");
    b.key(KeyCode::Char('9'));
    assert!(b.notice().contains("no relationship 9"), "{}", b.notice());
    b.key(KeyCode::Char('b'));
    b.key(KeyCode::Char('b'));
    assert_eq!(table(&b), "categories");
    b.key(KeyCode::Char('b'));
    assert!(b.notice().contains("where you started"), "{}", b.notice());
}

#[test]
fn a_search_that_finds_nothing_keeps_the_list() {
    let mut b = with_schema();
    b.key(KeyCode::Char('S'));
    b.key(KeyCode::Char('/'));
    b.type_text("invoices");
    b.key(KeyCode::Enter);
    let view = b.state.schema_view.as_ref().unwrap();
    assert_eq!(view.filter, None);
    assert!(
        b.notice().contains("No table's name has “invoices”"),
        "{}",
        b.notice()
    );
}

#[test]
fn enter_shows_the_line_that_created_the_table() {
    let mut b = with_schema();
    b.key(KeyCode::Char('S'));
    b.key(KeyCode::Enter);
    assert!(b.state.schema_view.is_none());
    assert_eq!(b.state.focus, Focus::Answer);
    assert!(
        b.notice().contains("categories is created at line 11"),
        "{}",
        b.notice()
    );
}

// ---- the queries beside their plans ----

fn with_plans(plans: Vec<crate::check::planner::QueryPlan>) -> Bench {
    let mut b = answered("brief");
    let report = crate::check::Report {
        plans,
        ..Default::default()
    };
    b.state.attempts[0].check = Some(checks::SqlCheck::Done(Box::new(report)));
    b
}

fn fixture_plans() -> Vec<crate::check::planner::QueryPlan> {
    serde_json::from_str(include_str!("../../tests/fixtures/query_plans.json")).unwrap()
}

#[test]
fn without_a_check_or_a_query_the_plans_say_why() {
    let mut b = answered("brief");
    b.key(KeyCode::Char('P'));
    assert!(b.state.plans_view.is_none());
    assert!(b.notice().contains("C checks it"), "{}", b.notice());
    let mut b = with_plans(Vec::new());
    b.key(KeyCode::Char('P'));
    assert!(b.state.plans_view.is_none());
    assert!(b.notice().contains("no query to plan"), "{}", b.notice());
}

#[test]
fn the_plans_open_at_the_first_contradicted_claim_and_walk_the_queries() {
    let mut plans = fixture_plans();
    // The first query's claims all hold: the view opens where the planner disagrees.
    plans[0].claims.retain(|c| c.holds);
    let mut b = with_plans(plans);
    b.key(KeyCode::Char('P'));
    let at = |b: &Bench| b.state.plans_view.unwrap().at;
    assert_eq!(at(&b), 2, "the third query's claim is contradicted");
    b.key(KeyCode::Char('n'));
    assert_eq!(at(&b), 2);
    assert!(b.notice().contains("the last query"), "{}", b.notice());
    b.key(KeyCode::Char('N'));
    b.key(KeyCode::Char('N'));
    assert_eq!(at(&b), 0);
    b.key(KeyCode::Char('N'));
    assert!(b.notice().contains("the first query"), "{}", b.notice());
    b.key(KeyCode::Esc);
    assert!(b.state.plans_view.is_none());
}

#[test]
fn enter_shows_the_query_in_the_answer() {
    let mut b = with_plans(fixture_plans());
    b.focus(Focus::Routes);
    b.key(KeyCode::Char('P'));
    b.key(KeyCode::Char('n'));
    b.key(KeyCode::Enter);
    assert!(b.state.plans_view.is_none());
    assert_eq!(b.state.focus, Focus::Answer);
    assert!(b.notice().contains("query at line 25"), "{}", b.notice());
}

// ---- co-review ----

#[test]
fn a_shared_comment_joins_its_attempt_once_and_is_audited() {
    let mut b = answered("brief");
    let key = b
        .state
        .latest()
        .unwrap()
        .store_key
        .as_deref()
        .unwrap()
        .to_string();
    let comment = crate::review::comments::Comment {
        anchor: crate::review::comments::Anchor::Lines { first: 3, last: 3 },
        quote: "one".into(),
        text: "why \u{1b}[2Jone?".into(),
        author: "bea".into(),
        at: at(1),
    };
    let shared = |b: &mut Bench, key: &str| {
        b.send(Event::CommentShared {
            key: key.into(),
            comment: comment.clone(),
        })
    };
    shared(&mut b, "another-workbench:1");
    assert!(
        b.state.latest().unwrap().comments.is_empty(),
        "not this run's"
    );
    shared(&mut b, &key);
    shared(&mut b, &key);
    assert_eq!(b.state.latest().unwrap().comments.len(), 1);
    assert!(
        b.notice()
            .starts_with("bea commented on line 3 of attempt 1"),
        "{}",
        b.notice()
    );
    assert!(!b.notice().contains('\u{1b}'), "the notice is sanitised");
    let kinds: Vec<&str> = b.state.audit.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "comment").count(), 1);
}

#[test]
fn a_watchers_comment_is_shared_not_recorded() {
    let mut b = answered("brief");
    b.state.read_only = true;
    let audited = b.state.audit.len();
    b.key(KeyCode::Char('m'));
    b.key(KeyCode::Enter);
    b.type_text("look");
    let effects = b.key(KeyCode::Enter);
    let [Effect::ShareComment { key, comment }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(
        Some(key.as_str()),
        b.state.latest().unwrap().store_key.as_deref()
    );
    assert_eq!(comment.text, "look");
    assert_eq!(
        b.state.audit.len(),
        audited,
        "a watcher keeps no record of its own"
    );
}

#[test]
fn saving_the_blocks_saves_the_schema_the_check_built_beside_them() {
    let mut b = Bench::new("brief");
    b.answer("# Design\n\n```sql\nCREATE TABLE t (id int);\n```\n\nDECISION: completed\n");
    let schema: crate::check::schema::Schema =
        serde_json::from_str(include_str!("../../tests/fixtures/schema_view.json")).unwrap();
    b.state.attempts.last_mut().unwrap().check =
        Some(checks::SqlCheck::Done(Box::new(crate::check::Report {
            schema: Some(Ok(schema)),
            ..Default::default()
        })));
    b.focus(Focus::Answer);
    b.key(KeyCode::Char('s'));
    let effects = b.key(KeyCode::Enter);
    let [Effect::SaveBlocks { exports, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let names: Vec<&str> = exports.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["schema.txt", "schema.mmd", "schema.dot", "schema.json"]
    );
    assert!(exports[1].1.contains("categories"), "{}", exports[1].1);
}

#[test]
fn a_deferred_review_keeps_its_comments_and_resumes_with_them() {
    let mut b = answered("brief");
    comment(&mut b, 1, "why one?");
    b.focus(Focus::Routes);
    let effects = b.key(KeyCode::Char('d'));
    let [Effect::Defer(saved)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(saved.attempts[0].comments.len(), 1);
    // Through the file, as `archbench resume` reads it.
    let read: crate::store::deferred::DeferredReview =
        serde_json::from_str(&serde_json::to_string(saved).unwrap()).unwrap();
    let state = State::resume(
        b.state.session.clone(),
        &read,
        "/d/x.json".into(),
        100,
        30,
        chrono::Utc::now(),
    );
    let comments = &state.latest().unwrap().comments;
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].text, "why one?");
    assert_eq!(
        comments[0].anchor,
        b.state.latest().unwrap().comments[0].anchor
    );
}
