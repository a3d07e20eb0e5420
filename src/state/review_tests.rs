//! Every transition of the review beyond confirm and choose: re-ask, edit the next role's brief,
//! defer and resume, and the chain that opens the next role — including the refused ones.

use super::*;
use crate::sink::{Delivered, SinkPlan, SinkResult, SinkSpec};

fn with_chain(b: &mut Bench, max_depth: usize) {
    let mut plan = SinkPlan {
        default: [SinkSpec::Outbox, SinkSpec::Chain].to_vec(),
        ..Default::default()
    };
    plan.max_chain_depth = max_depth;
    b.state.session.chain.sinks = plan;
}

fn chained(target: &str, id: &str) -> Delivered {
    Delivered {
        envelope_id: id.into(),
        target: target.into(),
        path: format!("/outbox/{id}.json").into(),
        payload_brief: format!("# Original brief\n\nfor {target}"),
        results: vec![SinkResult {
            sink: "outbox".into(),
            outcome: Ok(format!("/outbox/{id}.json")),
            pending: false,
        }],
        chain: true,
    }
}

fn handoff_request(effects: &[Effect]) -> crate::routing::HandoffRequest {
    match effects {
        [Effect::Handoff { request, .. }] => (**request).clone(),
        other => panic!("no handoff: {other:?}"),
    }
}

/// The next run started by `effects`, with its request.
fn started(effects: &[Effect]) -> (u64, crate::provider::ChatRequest) {
    match effects {
        [Effect::StartRun { run_id, request }] => (*run_id, request.clone()),
        other => panic!("no run: {other:?}"),
    }
}

fn audit_kinds(b: &Bench) -> Vec<String> {
    b.state.audit.iter().map(|e| e.kind.clone()).collect()
}

// ---- re-ask ----

#[test]
fn reask_asks_for_the_decision_line_only_and_resolves_an_ambiguous_decision() {
    let mut b = Bench::new("brief");
    b.answer(AMBIGUOUS);
    let (run_id, request) = started(&b.key(KeyCode::Char('a')));
    let last = request.messages.last().unwrap();
    assert_eq!(last.role, Speaker::User);
    assert!(last.content.contains("exactly one line"));
    assert!(last
        .content
        .contains("- completed: Go to product_catalog_manager"));
    assert_eq!(
        request.messages[request.messages.len() - 2].content,
        AMBIGUOUS,
        "the answer is in the conversation"
    );
    assert!(request.params.max_tokens.unwrap() <= 96);
    assert!(
        b.key(KeyCode::Enter).is_empty(),
        "no handoff while re-asking"
    );
    assert!(b.notice().contains("being asked again"));
    b.agent(
        run_id,
        AgentEvent::Delta("DECISION: completed: Go to product_catalog_manager".into()),
    );
    b.agent(run_id, AgentEvent::Finished(FinishReason::Stop));
    let attempt = b.state.latest().unwrap();
    assert_eq!(attempt.text(), AMBIGUOUS, "the answer itself is unchanged");
    assert_eq!(
        attempt.decision.as_ref().unwrap().status,
        DecisionStatus::Unique
    );
    assert_eq!(b.state.review.selected, Some(1));
    assert!(audit_kinds(&b).contains(&"decision_reasked".to_string()));
    let request = handoff_request(&b.key(KeyCode::Enter));
    assert_eq!(request.action, ReviewAction::Confirm);
    assert_eq!(request.response, AMBIGUOUS);
    let reask = request.reask.clone().unwrap();
    assert_eq!(reask.original_decision.status, DecisionStatus::Ambiguous);
    assert_eq!(
        reask.reply,
        "DECISION: completed: Go to product_catalog_manager"
    );
    let envelope = crate::routing::Envelope::build(request, "e".into(), at(99)).unwrap();
    assert!(
        !envelope.payload.brief.contains("DECISION"),
        "the answer's own decision line is left out of the next brief"
    );
}

#[test]
fn a_reask_without_a_decision_line_leaves_the_answers_decision() {
    let mut b = Bench::new("brief");
    b.answer(AMBIGUOUS);
    let (run_id, _) = started(&b.key(KeyCode::Char('a')));
    b.agent(run_id, AgentEvent::Delta("I think it is done.".into()));
    b.agent(run_id, AgentEvent::Finished(FinishReason::Stop));
    let attempt = b.state.latest().unwrap();
    assert_eq!(
        attempt.decision.as_ref().unwrap().status,
        DecisionStatus::Ambiguous
    );
    assert!(b.notice().contains("no DECISION line"));
}

#[test]
fn esc_stops_a_reask_and_the_answers_decision_stands() {
    let mut b = Bench::new("brief");
    b.answer(AMBIGUOUS);
    let (run_id, _) = started(&b.key(KeyCode::Char('a')));
    let effects = b.key(KeyCode::Esc);
    assert_eq!(effects, vec![Effect::CancelRun { run_id }]);
    let attempt = b.state.latest().unwrap();
    assert_eq!(
        attempt.phase,
        Phase::Complete(FinishReason::Stop),
        "the answer stays complete"
    );
    assert_eq!(attempt.reask.as_ref().unwrap().phase, Phase::Cancelled);
    b.agent(
        run_id,
        AgentEvent::Delta("DECISION: fullstack_developer".into()),
    );
    assert_eq!(
        b.state.latest().unwrap().decision.as_ref().unwrap().status,
        DecisionStatus::Ambiguous,
        "a late reply of the stopped re-ask is ignored"
    );
    b.key(KeyCode::Char('1'));
    assert!(handoff_request(&b.key(KeyCode::Enter)).reask.is_none());
}

#[test]
fn reask_is_refused_while_the_answer_streams() {
    let mut b = Bench::new("brief");
    b.ctrl('s');
    b.focus(Focus::Routes);
    assert!(b.key(KeyCode::Char('a')).is_empty());
    assert!(b.notice().contains("still streaming"));
}

// ---- edit the next role's brief ----

#[test]
fn the_next_roles_brief_starts_composed_and_the_edit_is_sent() {
    let mut b = Bench::new("Design a bookstore.");
    b.answer(UNIQUE);
    b.key(KeyCode::Char('e'));
    assert_eq!(b.state.review.mode, ReviewMode::EditPayload);
    let composed = b.state.review.payload_editor.lines().join("\n");
    assert!(composed.starts_with("# Original brief\n\nDesign a bookstore."));
    assert!(!composed.contains("DECISION"));
    b.ctrl('r');
    for _ in 0..20 {
        b.key(KeyCode::Down);
    }
    b.key(KeyCode::End);
    b.type_text("\nFocus on restores.");
    b.ctrl('s');
    assert_eq!(b.state.review.mode, ReviewMode::Choosing);
    let edited = b.state.review.payload.clone().unwrap();
    assert!(edited.ends_with("Focus on restores."), "{edited:?}");
    assert!(b.notice().contains("edited brief"));
    let request = handoff_request(&b.key(KeyCode::Enter));
    assert_eq!(request.payload_brief.as_deref(), Some(edited.as_str()));
    let envelope = crate::routing::Envelope::build(request, "e".into(), at(99)).unwrap();
    assert!(envelope.payload.edited);
    assert_eq!(envelope.payload.brief, edited);
    let edit = b
        .state
        .audit
        .iter()
        .find(|e| e.data["action"] == "edit_brief")
        .unwrap();
    assert_eq!(edit.data["edited"], true);
}

#[test]
fn an_empty_brief_for_the_next_role_is_refused_and_reset_restores_it() {
    let mut b = Bench::new("brief");
    b.answer(UNIQUE);
    b.key(KeyCode::Char('e'));
    b.state.review.payload_editor = crate::state::new_editor("", "");
    b.ctrl('s');
    assert_eq!(
        b.state.review.mode,
        ReviewMode::EditPayload,
        "the editor stays open"
    );
    assert!(b.notice().contains("is empty"));
    b.ctrl('r');
    b.key(KeyCode::Esc);
    assert_eq!(b.state.review.mode, ReviewMode::Choosing);
    assert_eq!(
        b.state.review.payload, None,
        "the composed brief, unchanged"
    );
}

#[test]
fn esc_keeps_the_edits() {
    let mut b = Bench::new("brief");
    b.answer(UNIQUE);
    b.key(KeyCode::Char('e'));
    b.type_text("Note: ");
    b.key(KeyCode::Esc);
    assert!(b
        .state
        .review
        .payload
        .as_deref()
        .unwrap()
        .starts_with("Note: "));
    b.key(KeyCode::Char('e'));
    assert!(
        b.state.review.payload_editor.lines()[0].starts_with("Note: "),
        "reopened with the edits"
    );
}

#[test]
fn editing_the_next_brief_waits_for_an_answer() {
    let mut b = Bench::new("brief");
    b.focus(Focus::Routes);
    b.key(KeyCode::Char('e'));
    assert_eq!(b.state.review.mode, ReviewMode::Choosing);
    assert!(b.notice().contains("Nothing to hand off yet"));
}

#[test]
fn a_revision_drops_the_edit_made_for_the_earlier_answer() {
    let mut b = Bench::new("brief");
    b.answer(UNIQUE);
    b.key(KeyCode::Char('e'));
    b.type_text("x");
    b.ctrl('s');
    assert!(b.state.review.payload.is_some());
    b.key(KeyCode::Char('r'));
    b.type_text("more");
    b.ctrl('s');
    assert_eq!(b.state.review.payload, None);
}

// ---- defer and resume ----

fn deferred(b: &mut Bench) -> crate::store::deferred::DeferredReview {
    match b.key(KeyCode::Char('d')).as_slice() {
        [Effect::Defer(review)] => (**review).clone(),
        other => panic!("no defer: {other:?}"),
    }
}

#[test]
fn defer_saves_everything_and_settles_the_review() {
    let mut b = Bench::new("brief");
    b.answer(AMBIGUOUS);
    b.key(KeyCode::Char('2'));
    let saved = deferred(&mut b);
    assert_eq!(saved.brief, "brief");
    assert_eq!(saved.attempts.len(), 1);
    assert_eq!(saved.attempts[0].text, AMBIGUOUS);
    assert_eq!(
        saved.selected_option.as_deref(),
        Some("route:product_catalog_manager")
    );
    assert_eq!(b.state.review.handoff, Some(HandoffStatus::Deferring));
    b.send(Event::Deferred(Ok((
        saved.id.clone(),
        "/data/deferred/x.json".into(),
    ))));
    assert!(b.notice().contains("archbench resume"));
    assert!(matches!(
        b.state.review.handoff,
        Some(HandoffStatus::Deferred { .. })
    ));
    assert!(
        b.key(KeyCode::Enter).is_empty(),
        "a deferred review is not handed off here"
    );
    assert!(b.notice().contains("deferred"));
    let quit = b.ctrl('q');
    assert!(
        quit.contains(&Effect::Quit),
        "nothing is at risk: quit at once"
    );
    assert!(b.state.audit.iter().any(|e| e.data["action"] == "defer"));
}

#[test]
fn a_failed_defer_loses_nothing() {
    let mut b = Bench::new("brief");
    b.answer(UNIQUE);
    deferred(&mut b);
    b.send(Event::Deferred(Err(
        "cannot save the review into /ro: Permission denied".into(),
    )));
    assert_eq!(b.state.review.handoff, None);
    assert!(b.notice().contains("d tries again"));
    assert!(!handoff_request(&b.key(KeyCode::Enter)).response.is_empty());
}

#[test]
fn defer_waits_for_the_answer() {
    let mut b = Bench::new("brief");
    b.focus(Focus::Routes);
    assert!(b.key(KeyCode::Char('d')).is_empty());
    assert!(b.notice().contains("no answer to defer"));
    b.ctrl('s');
    b.focus(Focus::Routes);
    assert!(b.key(KeyCode::Char('d')).is_empty());
    assert!(b.notice().contains("Wait for the answer"));
}

#[test]
fn a_resumed_review_is_the_review_that_was_deferred() {
    let mut b = Bench::new("Design a bookstore.");
    b.answer(AMBIGUOUS);
    b.key(KeyCode::Char('2'));
    b.key(KeyCode::Char('e'));
    b.type_text("Edited: ");
    b.ctrl('s');
    let saved = deferred(&mut b);
    let json = serde_json::to_string(&saved).unwrap();
    let saved: crate::store::deferred::DeferredReview = serde_json::from_str(&json).unwrap();
    crate::state::resume::check(&saved).unwrap();
    let mut other = session();
    other.reviewer.name = "Grace Second".into();
    let mut r = Bench {
        state: State::resume(
            other,
            &saved,
            "/data/deferred/x.json".into(),
            100,
            30,
            at(50),
        ),
        clock: 60,
    };
    assert_eq!(r.state.focus, Focus::Routes);
    assert_eq!(r.state.review.selected, Some(1));
    assert!(r
        .state
        .review
        .payload
        .as_deref()
        .unwrap()
        .starts_with("Edited: "));
    assert!(r
        .notice()
        .contains("Resumed the review Ada Reviewer deferred"));
    assert_eq!(r.state.audit[0].kind, "review_resumed");
    let request = handoff_request(&r.key(KeyCode::Enter));
    assert_eq!(request.response, AMBIGUOUS);
    assert_eq!(request.chain_id, "chain-1");
    assert_eq!(request.reviewer.name, "Grace Second");
    assert_eq!(request.chosen.target, "product_catalog_manager");
    crate::routing::Envelope::build(request, "e".into(), at(99)).unwrap();
    let effects = r.send(Event::HandedOff(Ok(super::delivered("/outbox/e.json"))));
    assert_eq!(
        effects,
        vec![Effect::ForgetDeferred("/data/deferred/x.json".into())],
        "once settled, the saved review goes"
    );
}

#[test]
fn a_deferred_review_altered_on_disk_is_refused() {
    let mut b = Bench::new("brief");
    b.answer(UNIQUE);
    let mut saved = deferred(&mut b);
    saved.attempts[0].text.push_str("\nAlso drop all tables.");
    let err = crate::state::resume::check(&saved).unwrap_err();
    assert!(err.contains("was altered after it was saved"), "{err}");
}

// ---- the chain ----

#[test]
fn a_delivered_handoff_opens_the_target_role_with_the_composed_brief() {
    let mut b = Bench::new("brief");
    with_chain(&mut b, 6);
    b.answer(UNIQUE);
    b.key(KeyCode::Enter);
    b.send(Event::HandedOff(Ok(chained(
        "backup_disaster_specialist",
        "env-1",
    ))));
    let s = &b.state;
    assert_eq!(s.session.role.id, "backup_disaster_specialist");
    assert_eq!(
        s.session.chain.breadcrumb,
        ["database_architect", "backup_disaster_specialist"]
    );
    assert_eq!(s.session.chain.parent_id.as_deref(), Some("env-1"));
    assert_eq!(
        s.brief_text(),
        "# Original brief\n\nfor backup_disaster_specialist"
    );
    assert!(s.attempts.is_empty());
    assert_eq!(s.review.handoff, None);
    assert_eq!(s.focus, Focus::Brief);
    assert!(b.notice().contains("Step 2 of the chain"));
    let opened = b
        .state
        .audit
        .iter()
        .find(|e| e.kind == "chain_opened")
        .unwrap();
    assert_eq!(opened.data["from"], "database_architect");
    assert_eq!(opened.role, "backup_disaster_specialist");
    // The next handoff names its parent.
    b.answer("Backups.\n\nDECISION: fullstack_developer\n");
    let request = handoff_request(&b.key(KeyCode::Enter));
    assert_eq!(request.parent_id.as_deref(), Some("env-1"));
    assert_eq!(request.role.id, "backup_disaster_specialist");
}

#[test]
fn revisiting_a_role_asks_first() {
    let mut b = Bench::new("brief");
    with_chain(&mut b, 6);
    b.answer(UNIQUE);
    b.key(KeyCode::Enter);
    b.send(Event::HandedOff(Ok(chained(
        "backup_disaster_specialist",
        "env-1",
    ))));
    b.answer("Backups.\n\nDECISION: fullstack_developer\n");
    b.key(KeyCode::Enter);
    b.send(Event::HandedOff(Ok(chained(
        "fullstack_developer",
        "env-2",
    ))));
    b.answer("App.\n\nDECISION: backup_disaster_specialist\n");
    b.key(KeyCode::Enter);
    b.send(Event::HandedOff(Ok(chained(
        "backup_disaster_specialist",
        "env-3",
    ))));
    assert_eq!(
        b.state.session.role.id, "fullstack_developer",
        "not opened yet"
    );
    assert!(matches!(
        b.state.prompt.as_ref().map(|p| &p.kind),
        Some(PromptKind::ConfirmRevisit(role)) if role == "backup_disaster_specialist"
    ));
    b.key(KeyCode::Char('n'));
    assert_eq!(b.state.session.role.id, "fullstack_developer");
    assert!(b.state.prompt.is_none());
    assert!(b.notice().contains("The chain stops here"));
    assert_eq!(b.state.audit.last().unwrap().kind, "chain_stopped");
}

#[test]
fn a_confirmed_revisit_opens_the_role_again() {
    let mut b = Bench::new("brief");
    with_chain(&mut b, 6);
    b.answer(UNIQUE);
    b.key(KeyCode::Enter);
    b.send(Event::HandedOff(Ok(chained(
        "backup_disaster_specialist",
        "env-1",
    ))));
    b.answer("Backups.\n\nDECISION: fullstack_developer\n");
    b.key(KeyCode::Enter);
    b.send(Event::HandedOff(Ok(chained(
        "fullstack_developer",
        "env-2",
    ))));
    b.answer("App.\n\nDECISION: backup_disaster_specialist\n");
    b.key(KeyCode::Enter);
    b.send(Event::HandedOff(Ok(chained(
        "backup_disaster_specialist",
        "env-3",
    ))));
    b.key(KeyCode::Char('y'));
    assert_eq!(b.state.session.role.id, "backup_disaster_specialist");
    assert_eq!(b.state.session.chain.depth(), 4);
}

#[test]
fn the_chain_stops_at_its_depth_limit() {
    let mut b = Bench::new("brief");
    with_chain(&mut b, 2);
    b.answer(UNIQUE);
    b.key(KeyCode::Enter);
    b.send(Event::HandedOff(Ok(chained(
        "backup_disaster_specialist",
        "env-1",
    ))));
    b.answer("Backups.\n\nDECISION: fullstack_developer\n");
    b.key(KeyCode::Enter);
    b.send(Event::HandedOff(Ok(chained(
        "fullstack_developer",
        "env-2",
    ))));
    assert_eq!(b.state.session.role.id, "backup_disaster_specialist");
    assert!(b.notice().contains("its limit"), "{}", b.notice());
    assert!(matches!(
        b.state.review.handoff,
        Some(HandoffStatus::Written { .. })
    ));
}

#[test]
fn end_and_unknown_roles_end_the_chain() {
    let mut b = Bench::new("brief");
    with_chain(&mut b, 6);
    b.answer(UNIQUE);
    b.key(KeyCode::Enter);
    b.send(Event::HandedOff(Ok(chained("end", "env-1"))));
    assert_eq!(b.state.session.role.id, "database_architect");
    let mut b = Bench::new("brief");
    with_chain(&mut b, 6);
    b.answer(UNIQUE);
    b.key(KeyCode::Char('o'));
    b.type_text("security_auditor\n");
    b.type_text("security_auditor\n");
    b.type_text("needs an audit\n");
    b.send(Event::HandedOff(Ok(chained("security_auditor", "env-1"))));
    assert_eq!(b.state.session.role.id, "database_architect");
    assert!(b.notice().contains("No role file defines security_auditor"));
}

#[test]
fn a_failing_sink_is_reported_and_audited_but_the_handoff_stands() {
    let mut b = Bench::new("brief");
    b.answer(UNIQUE);
    b.key(KeyCode::Enter);
    let mut d = super::delivered("/outbox/e.json");
    d.results.push(SinkResult {
        sink: "webhook:https://ops.example/h".into(),
        outcome: Err("the webhook failed 4 times (last: HTTP 503); the envelope is pending".into()),
        pending: true,
    });
    b.send(Event::HandedOff(Ok(d)));
    assert!(matches!(
        b.state.review.handoff,
        Some(HandoffStatus::Written { .. })
    ));
    assert_eq!(b.state.notice.as_ref().unwrap().level, NoticeLevel::Warning);
    assert!(b
        .notice()
        .contains("webhook:https://ops.example/h: the webhook failed 4 times"));
    let failed = b
        .state
        .audit
        .iter()
        .find(|e| e.kind == "handoff_failed")
        .unwrap();
    assert_eq!(failed.data["pending"], true);
    assert_eq!(failed.data["envelope_id"], "env-1");
}

#[test]
fn the_handoff_goes_to_the_sinks_of_its_role() {
    let mut b = Bench::new("brief");
    let loaded = crate::config::parse(
        "[handoff]\nsinks = [\"outbox\"]\n[roles.database_architect]\nsinks = [\"outbox\", \"exec:file-ticket --queue db\"]\n",
        std::path::Path::new("c.toml"),
    )
    .unwrap();
    b.state.session.chain.sinks = loaded.sink_plan(&[], crate::sink::Mode::Workbench);
    b.answer(UNIQUE);
    match b.key(KeyCode::Enter).as_slice() {
        [Effect::Handoff { sinks, .. }] => assert_eq!(
            sinks,
            &[
                SinkSpec::Outbox,
                SinkSpec::Exec(vec!["file-ticket".into(), "--queue".into(), "db".into()])
            ]
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_failed_sink_is_said_even_as_the_chain_opens_and_its_delivery_counts_as_pending() {
    let mut b = Bench::new("brief");
    with_chain(&mut b, 6);
    b.answer(UNIQUE);
    b.key(KeyCode::Enter);
    let mut delivered = chained("backup_disaster_specialist", "env-1");
    delivered.results.push(SinkResult {
        sink: "webhook http://127.0.0.1:9/h".into(),
        outcome: Err("the webhook failed 3 times (last: cannot connect); the envelope is pending in the outbox".into()),
        pending: true,
    });
    b.send(Event::HandedOff(Ok(delivered)));
    assert_eq!(b.state.session.role.id, "backup_disaster_specialist");
    let notice = b.state.notice.clone().unwrap();
    assert_eq!(notice.level, crate::state::NoticeLevel::Warning);
    assert!(
        notice.text.contains("webhook failed 3 times"),
        "{}",
        notice.text
    );
    assert!(
        notice.text.contains("Step 2 of the chain"),
        "{}",
        notice.text
    );
    assert_eq!(b.state.pending_deliveries, 1);
    assert!(crate::ui::header::segments(&b.state)
        .iter()
        .any(|s| s.contains("1 delivery pending")));
}

/// A session store holding the answers of `saved`, as the workbench kept them while they streamed.
fn store_with(
    saved: &crate::store::deferred::DeferredReview,
) -> (tempfile::TempDir, crate::store::sessions::Store) {
    use crate::store::sessions::{NewRun, RunEnd, Store};
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.db")).unwrap();
    for (i, a) in saved.attempts.iter().enumerate() {
        let run = NewRun {
            key: format!("w:{i}"),
            session_id: "w".into(),
            chain_id: saved.chain_id.clone(),
            parent_id: saved.parent_id.clone(),
            role_id: saved.role_id.clone(),
            prompt_sha256: saved.role_prompt_sha256.clone(),
            provider: saved.provider.clone(),
            parameters: saved.parameters.clone(),
            brief: saved.brief.clone(),
            attempt: a.number,
            feedback: a.feedback.clone(),
            reviewer: "Ada".into(),
            started_at: a.started_at,
        };
        let id = store.begin_run(&run).unwrap();
        store.append(id, std::slice::from_ref(&a.text)).unwrap();
        let end = RunEnd {
            status: "complete".into(),
            finish_reason: Some("stop".into()),
            usage: None,
            decision: None,
            first_token_at: None,
            completed_at: a.started_at,
        };
        store.end_run(id, &end).unwrap();
    }
    (dir, store)
}

#[test]
fn a_deferred_file_edited_with_its_hash_recomputed_is_refused_by_the_store() {
    let mut b = Bench::new("brief");
    b.answer(UNIQUE);
    let saved = deferred(&mut b);
    let (_dir, store) = store_with(&saved);
    assert_eq!(crate::state::resume::check_stored(&saved, &store), Ok(None));

    // The adversary: another target in the text, its hash recomputed, the decision set to match.
    let mut forged = saved.clone();
    let text = UNIQUE.replace("backup_disaster_specialist", "fullstack_developer");
    forged.attempts[0].reviewed_sha256 = Some(crate::routing::envelope::sha256_hex(&text));
    forged.attempts[0].text = text;
    crate::state::resume::check(&forged).unwrap();
    let err = crate::state::resume::check_stored(&forged, &store).unwrap_err();
    assert!(err.contains("does not match the session store"), "{err}");
}

#[test]
fn a_resumed_review_reads_its_decision_from_the_text_not_the_file() {
    let mut b = Bench::new("brief");
    b.answer(UNIQUE);
    let mut saved = deferred(&mut b);
    // The saved decision names another route; the text says backup_disaster_specialist.
    let routes = &b.state.session.role.routes;
    saved.attempts[0].decision = Some(crate::routing::parse_decision(
        "DECISION: fullstack_developer",
        routes,
    ));
    let state = State::resume(session(), &saved, "/d/x.json".into(), 100, 30, at(50));
    let decision = state.latest().unwrap().decision.clone().unwrap();
    assert_eq!(
        decision.unique_candidate(),
        Some("route:backup_disaster_specialist")
    );
}

#[test]
fn resuming_an_answer_handed_off_meanwhile_shows_it_and_hands_nothing_off() {
    let mut b = Bench::new("brief");
    b.answer(UNIQUE);
    let saved = deferred(&mut b);
    let (_dir, mut store) = store_with(&saved);
    let answer = crate::store::outcomes::AnswerId::new(
        &saved.chain_id,
        saved.parent_id.as_deref(),
        1,
        UNIQUE,
    );
    let handed = crate::store::outcomes::Outcome::handoff(
        "confirm",
        "backup_disaster_specialist",
        true,
        "env-9",
        "Ada",
        None,
        at(40),
    );
    store.settle(&answer, &handed).unwrap();
    let outcome = crate::state::resume::check_stored(&saved, &store)
        .unwrap()
        .unwrap();
    let mut r = Bench {
        state: State::resume(session(), &saved, "/d/x.json".into(), 100, 30, at(50)),
        clock: 60,
    };
    r.state.settled_elsewhere(outcome);
    assert!(r.key(KeyCode::Enter).is_empty());
    assert!(r.notice().contains("env-9"), "{}", r.notice());
}
