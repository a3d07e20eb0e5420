//! The inbox in the workbench: listing, claiming, opening, acting, the next review — and what a
//! reviewer can do wrong.

use super::*;
use crate::store::deferred::{DeferredReview, SavedAttempt, SavedPhase};
use crate::store::inbox::{Origin, Row};

const ANSWER: &str = "# Design\n\nOne database.\n\nDECISION: backup_disaster_specialist\n";

fn row(id: &str, claimed_by: Option<&str>) -> Row {
    Row {
        id: id.into(),
        role: "database_architect".into(),
        title: format!("Brief {id}"),
        status: if claimed_by.is_some() {
            "claimed"
        } else {
            "pending"
        }
        .into(),
        decision: "unique".into(),
        check: Some("3 statements · 3 applied · 0 errors".into()),
        created_at: at(0),
        origin: Origin {
            who: "ci@build-7".into(),
            how: "run --approve inbox".into(),
        },
        claimed_by: claimed_by.map(str::to_string),
        claimed_at: claimed_by.map(|_| at(5)),
        lease_until: claimed_by.map(|_| at(65)),
    }
}

fn saved(id: &str) -> DeferredReview {
    let routes = &session().role.routes;
    DeferredReview {
        format: crate::store::deferred::FORMAT.into(),
        id: id.into(),
        saved_at: at(0),
        reviewer: session().reviewer,
        chain_id: format!("chain-{id}"),
        parent_id: None,
        breadcrumb: vec!["database_architect".into()],
        role_id: "database_architect".into(),
        role_prompt_sha256: session().role.prompt_sha256(),
        provider: session().provider,
        parameters: session().params,
        brief: format!("# Brief {id}\n\n340 tenants."),
        attempts: vec![SavedAttempt {
            number: 1,
            feedback: None,
            text: ANSWER.into(),
            phase: SavedPhase::Complete(crate::provider::FinishReason::Stop),
            model: Some("m".into()),
            usage: None,
            decision: Some(crate::routing::parse_decision(ANSWER, routes)),
            reviewed_sha256: None,
            started_at: at(0),
            first_token_at: None,
            completed_at: Some(at(1)),
            reask: None,
            comments: Vec::new(),
        }],
        selected_option: None,
        payload_brief: None,
    }
}

/// The inbox open on two reviews, the second held by someone else.
fn listed() -> Bench {
    let mut b = Bench::new("");
    let effects = b.key(KeyCode::F(12));
    assert_eq!(effects, [Effect::LoadInbox(Default::default())]);
    b.send(Event::InboxLoaded(Ok(vec![
        row("r-1", None),
        row("r-2", Some("Bea")),
    ])));
    b
}

fn opened() -> Bench {
    let mut b = listed();
    b.key(KeyCode::Enter);
    let found = Box::new((row("r-1", None), saved("r-1")));
    b.send(Event::PendingOpened(Ok(Some(found))));
    b
}

#[test]
fn enter_claims_the_chosen_review() {
    let mut b = listed();
    let effects = b.key(KeyCode::Enter);
    assert_eq!(
        effects,
        [Effect::OpenPending {
            id: Some("r-1".into()),
            by: "Ada Reviewer <ada@example.com>".into(),
            role: None
        }]
    );
}

#[test]
fn a_review_someone_else_holds_is_not_claimed_and_says_by_whom() {
    let mut b = listed();
    b.key(KeyCode::Char('j'));
    let effects = b.key(KeyCode::Enter);
    assert!(effects.is_empty(), "{effects:?}");
    assert!(
        b.notice().contains("Being reviewed by Bea since 09:00"),
        "{}",
        b.notice()
    );
}

#[test]
fn a_claim_refused_by_the_store_is_said_and_the_inbox_stays() {
    let mut b = listed();
    b.key(KeyCode::Enter);
    b.send(Event::PendingOpened(Err(
        "Not opened: the review is being reviewed by Cy since 2026-11-25 09:00 UTC".into(),
    )));
    assert!(b.state.inbox.is_some());
    assert!(b.state.pending.is_none());
    assert!(
        b.notice().contains("being reviewed by Cy"),
        "{}",
        b.notice()
    );
}

#[test]
fn the_opened_review_is_on_screen_with_its_route_chosen() {
    let b = opened();
    assert!(b.state.inbox.is_none());
    assert_eq!(b.state.pending.as_ref().unwrap().id, "r-1");
    assert_eq!(b.state.attempts.len(), 1);
    assert_eq!(b.state.attempts[0].text(), ANSWER);
    assert_eq!(b.state.brief_text(), "# Brief r-1\n\n340 tenants.");
    assert_eq!(b.state.session.chain_id, "chain-r-1");
    assert_eq!(b.state.focus, Focus::Routes);
    assert!(
        b.notice().contains("Reviewing “Brief r-1” from ci@build-7"),
        "{}",
        b.notice()
    );
    assert_eq!(b.state.audit.last().unwrap().kind, "review_opened");
}

#[test]
fn handing_it_off_opens_the_next_review() {
    let mut b = opened();
    b.key(KeyCode::Char('1'));
    let effects = b.key(KeyCode::Enter);
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Handoff { .. })),
        "{effects:?}"
    );
    let effects = b.send(Event::HandedOff(Ok(tests::delivered("/o/env-1.json"))));
    assert!(
        effects.contains(&Effect::OpenPending {
            id: None,
            by: "Ada Reviewer <ada@example.com>".into(),
            role: None
        }),
        "{effects:?}"
    );
    assert!(
        b.notice().ends_with("the next review opens"),
        "{}",
        b.notice()
    );
    // None waits any more.
    b.send(Event::PendingOpened(Ok(None)));
    assert!(
        b.notice().starts_with("Handed off to fullstack_developer")
            && b.notice().ends_with("No review waits in the inbox."),
        "what was done stays in view: {}",
        b.notice()
    );
    assert!(b.state.inbox.is_some(), "the inbox is shown, empty");
}

#[test]
fn a_handoff_refused_for_a_lost_claim_hands_nothing_off_and_says_who_has_it() {
    let mut b = opened();
    b.key(KeyCode::Char('1'));
    b.key(KeyCode::Enter);
    let effects = b.send(Event::HandedOff(Err(crate::sink::HandoffError::ClaimLost(
        "being reviewed by Bea since 2026-11-25 09:02 UTC".into(),
    ))));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(
        b.notice()
            .contains("Refused: the review is being reviewed by Bea"),
        "{}",
        b.notice()
    );
    assert_eq!(b.state.audit.last().unwrap().kind, "handoff_refused");
}

#[test]
fn an_approval_kept_while_the_team_store_is_down_waits_and_cannot_be_made_twice() {
    let mut b = opened();
    b.key(KeyCode::Char('1'));
    b.key(KeyCode::Enter);
    let effects = b.send(Event::HandedOff(Err(crate::sink::HandoffError::Queued(
        "The team store cannot be reached (cannot reach the team store: connection refused): the handoff to fullstack_developer waits on this machine".into(),
    ))));
    assert!(
        effects.is_empty(),
        "no next review while the store is away: {effects:?}"
    );
    assert_eq!(
        b.state.review.handoff,
        Some(crate::state::HandoffStatus::Queued {
            target: "fullstack_developer".into()
        })
    );
    assert!(
        b.notice().contains("waits on this machine"),
        "{}",
        b.notice()
    );
    assert_eq!(b.state.audit.last().unwrap().kind, "handoff_queued");
    // Approved once: Enter again hands nothing off and says why.
    assert!(b.key(KeyCode::Enter).is_empty());
    assert!(
        b.notice().contains(
            "the handoff to fullstack_developer waits on this machine for the team store"
        ),
        "{}",
        b.notice()
    );
}

#[test]
fn rejecting_it_settles_it_in_the_inbox_then_opens_the_next() {
    let mut b = opened();
    b.key(KeyCode::Char('x'));
    b.type_text("wrong role");
    let effects = b.key(KeyCode::Enter);
    assert_eq!(
        effects,
        [
            Effect::SettlePending("rejected: wrong role".into()),
            Effect::OpenPending {
                id: None,
                by: "Ada Reviewer <ada@example.com>".into(),
                role: None
            }
        ],
        "{}",
        b.notice()
    );
}

#[test]
fn deferring_it_puts_it_back_in_the_inbox_with_the_comments_made_on_it() {
    let mut b = opened();
    // Ada comments on the answer's first line, then puts the review back.
    b.focus(Focus::Answer);
    b.key(KeyCode::Char('g'));
    b.key(KeyCode::Char('m'));
    b.key(KeyCode::Enter);
    b.type_text("RPO needs WAL archiving");
    b.key(KeyCode::Enter);
    assert_eq!(b.state.attempts[0].comments.len(), 1, "{}", b.notice());
    b.focus(Focus::Routes);
    let effects = b.key(KeyCode::Char('d'));
    let [Effect::PutBackPending(review), Effect::LoadInbox(filter)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(*filter, Default::default());
    assert_eq!(review.id, "r-1", "the same pending review, saved again");
    let comments = &review.attempts[0].comments;
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0].text, "RPO needs WAL archiving");
    assert!(b.state.pending.is_none());
    assert!(b.notice().contains("back in the inbox"), "{}", b.notice());
}

#[test]
fn a_review_opened_shows_the_comments_it_was_put_back_with() {
    let mut b = listed();
    b.key(KeyCode::Enter);
    let mut review = saved("r-1");
    review.attempts[0]
        .comments
        .push(crate::review::comments::Comment {
            anchor: crate::review::comments::Anchor::Lines { first: 1, last: 1 },
            quote: "# Design".into(),
            text: "RPO needs WAL archiving".into(),
            author: "Bea".into(),
            at: at(30),
        });
    b.send(Event::PendingOpened(Ok(Some(Box::new((
        row("r-1", None),
        review,
    ))))));
    let shown = &b.state.attempts[0].comments;
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].author, "Bea");
}

#[test]
fn r_and_a_filter_the_list_by_role_and_age() {
    let mut b = listed();
    let effects = b.key(KeyCode::Char('r'));
    let Effect::LoadInbox(filter) = &effects[0] else {
        panic!("{effects:?}")
    };
    assert_eq!(filter.role.as_deref(), Some("database_architect"));
    let effects = b.key(KeyCode::Char('a'));
    let Effect::LoadInbox(filter) = &effects[0] else {
        panic!("{effects:?}")
    };
    assert_eq!(
        filter.older_than,
        Some(std::time::Duration::from_secs(3600))
    );
    assert_eq!(
        filter.role.as_deref(),
        Some("database_architect"),
        "filters add up"
    );
    b.key(KeyCode::Char('r'));
    assert_eq!(
        b.state.inbox.as_ref().unwrap().filter.role,
        None,
        "then all roles"
    );
}

#[test]
fn a_review_cannot_be_opened_over_a_running_answer() {
    let mut b = Bench::new("brief");
    b.ctrl('s');
    b.key(KeyCode::F(12));
    b.send(Event::InboxLoaded(Ok(vec![row("r-1", None)])));
    let effects = b.key(KeyCode::Enter);
    assert!(effects.is_empty(), "{effects:?}");
    assert!(
        b.notice().contains("Wait for the answer to finish"),
        "{}",
        b.notice()
    );
}

#[test]
fn an_open_inbox_is_read_again_when_it_changes_elsewhere() {
    let mut b = listed();
    let effects = b.send(Event::InboxChanged);
    assert_eq!(effects, [Effect::LoadInbox(Default::default())]);
    // Not while it is being read, and not when it is closed.
    assert!(b.send(Event::InboxChanged).is_empty());
    b.send(Event::InboxLoaded(Ok(Vec::new())));
    b.key(KeyCode::Esc);
    assert!(b.send(Event::InboxChanged).is_empty());
}

#[test]
fn a_lost_claim_is_said_at_once() {
    let mut b = opened();
    b.send(Event::ClaimLost("being reviewed by Bea since 09:02".into()));
    assert!(
        b.notice().contains("no longer yours to act on"),
        "{}",
        b.notice()
    );
}

#[test]
fn an_unreadable_inbox_is_said_with_what_to_do() {
    let mut b = Bench::new("");
    b.key(KeyCode::F(12));
    b.send(Event::InboxLoaded(Err(
        "cannot reach the team store: connection refused".into(),
    )));
    assert!(
        b.notice().contains("connection refused") && b.notice().contains("Alt-I tries again"),
        "{}",
        b.notice()
    );
}
