//! Every screen state as an insta snapshot, driven by key events, at 80x24 and 160x48.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use archbench::event::Event;
use archbench::provider::{AgentEvent, FinishReason, ProviderError, Usage};
use common::{delivered, Driver};
use crossterm::event::KeyCode;

const BRIEF: &str = "Design the data layer for a multi-tenant bookstore: 340 tenants, 12M editions, 45k orders/day.";
const ANSWER: &str = include_str!("fixtures/answer.md");

fn stream(d: &mut Driver, text: &str) {
    d.send(Event::Agent {
        run_id: 1,
        event: AgentEvent::Started {
            model: "test-model".into(),
        },
    });
    for piece in text.as_bytes().chunks(5) {
        d.send(Event::Agent {
            run_id: 1,
            event: AgentEvent::Delta(String::from_utf8_lossy(piece).into_owned()),
        });
    }
}

fn finish(d: &mut Driver, text: &str) {
    stream(d, text);
    d.send(Event::Agent {
        run_id: 1,
        event: AgentEvent::Usage(Usage {
            prompt_tokens: 1200,
            completion_tokens: 340,
        }),
    });
    d.send(Event::Agent {
        run_id: 1,
        event: AgentEvent::Finished(FinishReason::Stop),
    });
}

fn done_with(decision: &str, w: u16, h: u16) -> Driver {
    let mut d = Driver::new(BRIEF, w, h);
    d.ctrl('s');
    finish(&mut d, &format!("{ANSWER}{decision}"));
    d
}

/// The brief with requirements listed, answered, and the answer pane focused at its top.
fn reviewing(w: u16, h: u16) -> Driver {
    let brief = format!("{BRIEF}\n\n- 340 tenants\n- RPO 5 min\n- EU residency\n");
    let mut d = Driver::new(&brief, w, h);
    d.ctrl('s');
    finish(&mut d, &format!("{ANSWER}\nDECISION: completed\n"));
    d.key(KeyCode::BackTab);
    d.key(KeyCode::BackTab);
    d.key(KeyCode::Char('g'));
    d
}

/// `reviewing`, with a comment on lines 12–13 and one on the second section.
fn commented(w: u16, h: u16) -> Driver {
    let mut d = reviewing(w, h);
    d.key(KeyCode::Char('m'));
    for _ in 0..11 {
        d.key(KeyCode::Char('j'));
    }
    d.key(KeyCode::Char('J'));
    d.key(KeyCode::Enter);
    d.type_text("Say why the tenant table is not partitioned.");
    d.key(KeyCode::Enter);
    d.key(KeyCode::Tab);
    d.key(KeyCode::Down);
    d.key(KeyCode::Char('m'));
    d.type_text("Name the RLS policies.");
    d.key(KeyCode::Enter);
    d.key(KeyCode::BackTab);
    d
}

/// A revision asked for with a comment and free text, its answer changed in three places (a
/// line reworded, a long line added, a line removed), compared with the first; `n` pressed
/// `next` times.
fn revised_and_compared(w: u16, h: u16, next: usize) -> Driver {
    let mut d = commented(w, h);
    d.key(KeyCode::Tab);
    d.key(KeyCode::Tab);
    d.key(KeyCode::Char('r'));
    d.type_text("Partition listing by tenant.");
    d.ctrl('s');
    let revised = format!("{ANSWER}\nDECISION: completed\n")
        .replace("- One database, schema per concern\n", "- One database, one schema per concern, listing partitioned by hash of tenant_id into 16 partitions so that no partition outgrows a day's vacuum\n")
        .replace("  name text NOT NULL\n", "  name text NOT NULL,\n  region text NOT NULL DEFAULT 'eu'\n")
        .replace("## 7. Backup strategy\n\n", "## 7. Backup strategy\n");
    d.send(Event::Agent {
        run_id: 2,
        event: AgentEvent::Delta(revised),
    });
    d.send(Event::Agent {
        run_id: 2,
        event: AgentEvent::Finished(FinishReason::Stop),
    });
    d.key(KeyCode::BackTab);
    d.key(KeyCode::BackTab);
    d.key(KeyCode::Char('D'));
    for _ in 0..next {
        d.key(KeyCode::Char('n'));
    }
    d
}

/// An answer whose SQL check built the schema of `tests/fixtures/schema_view.json` (self
/// references, composite keys, partitions, policies), the schema view open on it.
fn schema_view(w: u16, h: u16) -> Driver {
    let mut d = done_with("\nDECISION: completed\n", w, h);
    let schema: archbench::check::schema::Schema =
        serde_json::from_str(include_str!("fixtures/schema_view.json")).unwrap();
    let report = archbench::check::Report {
        schema: Some(Ok(schema)),
        ..Default::default()
    };
    d.state.attempts[0].check = Some(archbench::state::checks::SqlCheck::Done(Box::new(report)));
    d.key(KeyCode::Char('S'));
    d
}

/// The plans view over the claims fixture's queries as the planner judged them.
fn plans_view(w: u16, h: u16) -> Driver {
    let mut d = done_with("\nDECISION: completed\n", w, h);
    let plans: Vec<archbench::check::planner::QueryPlan> =
        serde_json::from_str(include_str!("fixtures/query_plans.json")).unwrap();
    let report = archbench::check::Report {
        plans,
        ..Default::default()
    };
    d.state.attempts[0].check = Some(archbench::state::checks::SqlCheck::Done(Box::new(report)));
    d.key(KeyCode::Char('P'));
    d
}

/// A review made `minutes` before the driver's clock (09:00), held by `claimed_by` since three
/// minutes before it, if anyone.
fn inbox_row(
    id: &str,
    role: &str,
    title: &str,
    minutes: i64,
    claimed_by: Option<&str>,
) -> archbench::store::inbox::Row {
    let t = |m: i64| {
        chrono::DateTime::parse_from_rfc3339("2026-11-25T09:00:00Z")
            .unwrap()
            .to_utc()
            - chrono::Duration::minutes(m)
    };
    archbench::store::inbox::Row {
        id: id.into(),
        role: role.into(),
        title: title.into(),
        status: if claimed_by.is_some() {
            "claimed"
        } else {
            "pending"
        }
        .into(),
        decision: "unique".into(),
        check: (role == "database_architect")
            .then(|| "12 statements · 12 applied · 2 lints".into()),
        created_at: t(minutes),
        origin: archbench::store::inbox::Origin {
            who: "ci@build-7".into(),
            how: "run --approve inbox".into(),
        },
        claimed_by: claimed_by.map(str::to_string),
        claimed_at: claimed_by.map(|_| t(3)),
        lease_until: claimed_by.map(|_| t(-1)),
    }
}

/// The inbox over the workbench: three reviews waiting, one held by Bea.
fn inbox(w: u16, h: u16) -> Driver {
    let mut d = Driver::new("", w, h);
    d.key(KeyCode::F(12));
    d.send(Event::InboxLoaded(Ok(vec![
        inbox_row(
            "0193f2a4-7b1c-7d2e-9f00-000000000001",
            "database_architect",
            "Bookstore: 340 tenants, RPO 5 min",
            130,
            None,
        ),
        inbox_row(
            "0193f2a4-7b1c-7d2e-9f00-000000000002",
            "database_architect",
            "IoT telemetry: 2M devices, 90 days hot",
            45,
            Some("Bea"),
        ),
        inbox_row(
            "0193f2a4-7b1c-7d2e-9f00-000000000003",
            "fullstack_developer",
            "Checkout \x1b[31mpage\x1b[0m",
            2,
            None,
        ),
    ])));
    d
}

fn chain_on(d: &mut Driver) {
    d.state.session.chain.sinks = archbench::sink::SinkPlan {
        default: [
            archbench::sink::SinkSpec::Outbox,
            archbench::sink::SinkSpec::Chain,
        ]
        .to_vec(),
        ..Default::default()
    };
}

fn chained(target: &str) -> archbench::sink::Delivered {
    let mut d = delivered("/home/ada/.local/share/archbench/outbox/0193-e1.json");
    d.target = target.into();
    d.chain = true;
    d.payload_brief = format!("# Original brief\n\n{BRIEF}\n\n# Approved answer from Database architect (database_architect)\n\n{ANSWER}");
    d
}

fn run_row(id: i64, status: &str, brief: &str) -> archbench::store::sessions::RunSummary {
    archbench::store::sessions::RunSummary {
        id,
        started_at: format!("2026-11-{:02}T09:{:02}:00.000Z", 20 + id, id),
        role_id: "database_architect".into(),
        model: "test-model".into(),
        attempt: 1,
        status: status.into(),
        brief_first_line: brief.into(),
        bytes: 4200,
        envelope_id: None,
        outcome: None,
    }
}

fn run_detail(id: i64, answer: &str) -> archbench::store::sessions::RunDetail {
    archbench::store::sessions::RunDetail {
        id,
        session_id: "s".into(),
        chain_id: "c".into(),
        parent_id: None,
        role_id: "database_architect".into(),
        prompt_sha256: "ab".repeat(32),
        provider: serde_json::json!({"kind": "openai"}),
        model: "test-model".into(),
        parameters: serde_json::json!({"temperature": 0.2, "seed": 7}),
        brief: BRIEF.into(),
        attempt: 1,
        feedback: None,
        reviewer: "Ada Reviewer".into(),
        status: "complete".into(),
        started_at: format!("2026-11-{:02}T09:00:00.000Z", 20 + id),
        first_token_at: None,
        completed_at: None,
        finish_reason: Some("stop".into()),
        prompt_tokens: Some(1200),
        completion_tokens: Some(340),
        decision: Some(serde_json::json!({"status": "ambiguous"})),
        envelope_id: None,
        response_sha256: None,
        outcome: None,
        answer: answer.into(),
        events: Vec::new(),
    }
}

/// The run with the comments its events leave standing: the reviewer's on two lines, a watcher's
/// on a section, and one deleted (not shown).
fn with_comments(
    mut run: archbench::store::sessions::RunDetail,
) -> archbench::store::sessions::RunDetail {
    use archbench::review::comments::{Anchor, Comment};
    let comment = |anchor, text: &str, author: &str| {
        serde_json::to_value(Comment {
            anchor,
            quote: String::new(),
            text: text.into(),
            author: author.into(),
            at: chrono::DateTime::parse_from_rfc3339("2026-11-23T09:05:00Z")
                .unwrap()
                .into(),
        })
        .unwrap()
    };
    let event = |kind: &str, data| archbench::store::sessions::EventRow {
        at: "2026-11-23T09:05:00.000Z".into(),
        kind: kind.into(),
        data,
    };
    let gone = comment(Anchor::Lines { first: 3, last: 3 }, "typo", "Ada Reviewer");
    run.events = vec![
        event(
            "comment",
            comment(
                Anchor::Lines { first: 9, last: 10 },
                "Why bigint for a tenant id?",
                "Ada Reviewer",
            ),
        ),
        event("comment", gone.clone()),
        event(
            "shared_comment",
            comment(
                Anchor::Section {
                    line: 7,
                    title: "2. Schema design".into(),
                },
                "Partition orders by month.",
                "bea",
            ),
        ),
        event("comment_deleted", gone),
    ];
    run
}

fn history(w: u16, h: u16) -> Driver {
    let mut d = Driver::new(BRIEF, w, h);
    d.ctrl('o');
    d.send(Event::HistoryLoaded(Ok(vec![
        {
            let mut row = run_row(3, "complete", BRIEF);
            row.outcome = Some(archbench::store::outcomes::Outcome::handoff(
                "confirm",
                "fullstack_developer",
                true,
                "0190-env",
                "Ada Reviewer",
                None,
                chrono::DateTime::parse_from_rfc3339("2026-11-23T09:10:00Z")
                    .unwrap()
                    .into(),
            ));
            row
        },
        run_row(4, "complete", "An answer awaiting review"),
        run_row(2, "interrupted", "IoT telemetry: 2M devices, 90 days hot"),
        run_row(1, "cancelled", "Ledger with \x1b[31mred\x1b[0m escapes"),
    ])));
    d
}

macro_rules! screens {
    ($($name:ident => $build:expr;)*) => {
        mod small {
            use super::*;
            $(#[test] fn $name() { let mut d: Driver = ($build)(80, 24); insta::assert_snapshot!(d.screen()); })*
        }
        mod wide {
            use super::*;
            $(#[test] fn $name() { let mut d: Driver = ($build)(160, 48); insta::assert_snapshot!(d.screen()); })*
        }
    };
}

screens! {
    empty => |w, h| Driver::new("", w, h);
    editing => |w, h| {
        let mut d = Driver::new("", w, h);
        d.type_text("Design the data layer\nfor a bookstore.");
        d
    };
    streaming => |w, h| {
        let mut d = Driver::new(BRIEF, w, h);
        d.ctrl('s');
        stream(&mut d, &ANSWER[..ANSWER.find("CREATE INDEX").unwrap()]);
        d
    };
    done_unique => |w, h| done_with("\nDECISION: backup_disaster_specialist\n", w, h);
    done_ambiguous => |w, h| done_with("\nDECISION: completed\n", w, h);
    done_invalid => |w, h| done_with("\nDECISION: ship_it\n", w, h);
    done_missing => |w, h| done_with("\nThat is the design.\n", w, h);
    done_misplaced => |w, h| done_with("\nDECISION: fullstack_developer\nI chose it because the API comes next.\n", w, h);
    option_chosen => |w, h| {
        let mut d = done_with("\nDECISION: completed\n", w, h);
        d.key(KeyCode::Char('2'));
        d
    };
    revise_prompt => |w, h| {
        let mut d = done_with("\nDECISION: completed\n", w, h);
        d.key(KeyCode::Char('r'));
        d.type_text("Add row-level security policies\nand the partitioning DDL.");
        d
    };
    handoff_written => |w, h| {
        let mut d = done_with("\nDECISION: backup_disaster_specialist\n", w, h);
        d.key(KeyCode::Enter);
        d.send(Event::HandedOff(Ok(delivered("/home/ada/.local/share/archbench/outbox/0193-e1.json"))));
        d
    };
    error => |w, h| {
        let mut d = Driver::new(BRIEF, w, h);
        d.ctrl('s');
        stream(&mut d, "# Bookstore data layer\n\n## 1. Data mod");
        d.send(Event::Agent { run_id: 1, event: AgentEvent::Failed(ProviderError::Stream("the server closed the connection before the answer finished".into())) });
        d
    };
    cancelled => |w, h| {
        let mut d = Driver::new(BRIEF, w, h);
        d.ctrl('s');
        stream(&mut d, "# Bookstore data layer\n\n## 1. Data mod");
        d.key(KeyCode::Esc);
        d
    };
    outline => |w, h| {
        let mut d = done_with("\nDECISION: completed\n", w, h);
        d.key(KeyCode::BackTab);
        d.key(KeyCode::Down);
        d
    };
    search_prompt => |w, h| {
        let mut d = done_with("\nDECISION: completed\n", w, h);
        d.key(KeyCode::BackTab);
        d.key(KeyCode::BackTab);
        d.key(KeyCode::Char('/'));
        d.type_text("listing");
        d
    };
    block_list => |w, h| {
        let mut d = done_with("\nDECISION: completed\n", w, h);
        d.key(KeyCode::BackTab);
        d.key(KeyCode::BackTab);
        d.key(KeyCode::Char('c'));
        d.key(KeyCode::Down);
        d
    };
    override_unknown_role_confirm => |w, h| {
        let mut d = done_with("\nDECISION: completed\n", w, h);
        d.key(KeyCode::Char('o'));
        d.type_text("security_auditor");
        d.key(KeyCode::Enter);
        d
    };
    override_reason_prompt => |w, h| {
        let mut d = done_with("\nDECISION: completed\n", w, h);
        d.key(KeyCode::Char('o'));
        d.type_text("security_auditor");
        d.key(KeyCode::Enter);
        d.type_text("security_auditor");
        d.key(KeyCode::Enter);
        d.key(KeyCode::Enter);
        d
    };
    long_message_cut => |w, h| {
        let mut d = done_with("\nDECISION: completed\n", w, h);
        // Enter on an ambiguous decision: the refusal is longer than a narrow status line.
        d.key(KeyCode::Enter);
        d
    };
    message_log => |w, h| {
        let mut d = done_with("\nDECISION: completed\n", w, h);
        d.key(KeyCode::Enter);
        d.key(KeyCode::F(8));
        d
    };
    rejected => |w, h| {
        let mut d = done_with("\nDECISION: completed\n", w, h);
        d.key(KeyCode::Char('x'));
        d.type_text("Wrong tenancy model");
        d.key(KeyCode::Enter);
        d
    };
    reask_waiting => |w, h| {
        let mut d = done_with("\nDECISION: completed\n", w, h);
        d.key(KeyCode::Char('a'));
        d
    };
    reasked => |w, h| {
        let mut d = done_with("\nDECISION: completed\n", w, h);
        d.key(KeyCode::Char('a'));
        d.send(Event::Agent { run_id: 2, event: AgentEvent::Delta("DECISION: completed: Go to product_catalog_manager".into()) });
        d.send(Event::Agent { run_id: 2, event: AgentEvent::Finished(FinishReason::Stop) });
        d
    };
    revised_identically => |w, h| {
        let mut d = done_with("\nDECISION: completed\n", w, h);
        d.key(KeyCode::Char('r'));
        d.type_text("Add row-level security.");
        d.ctrl('s');
        let same = format!("{ANSWER}\nDECISION: completed\n");
        d.send(Event::Agent { run_id: 2, event: AgentEvent::Delta(same) });
        d.send(Event::Agent { run_id: 2, event: AgentEvent::Finished(FinishReason::Stop) });
        d
    };
    comment_marking => |w, h| {
        let mut d = reviewing(w, h);
        d.key(KeyCode::Char('m'));
        for _ in 0..11 {
            d.key(KeyCode::Char('j'));
        }
        d.key(KeyCode::Char('J'));
        d.key(KeyCode::Char('J'));
        d
    };
    comment_prompt => |w, h| {
        let mut d = reviewing(w, h);
        d.key(KeyCode::Char('m'));
        d.key(KeyCode::Char('J'));
        d.key(KeyCode::Enter);
        d.type_text("The title should name the tenancy model.");
        d
    };
    comments_list => |w, h| {
        let mut d = commented(w, h);
        d.key(KeyCode::Char('M'));
        d
    };
    checklist_marked => |w, h| {
        let mut d = commented(w, h);
        d.key(KeyCode::Char('l'));
        d.key(KeyCode::Char('y'));
        d.key(KeyCode::Char('n'));
        d.key(KeyCode::Char('a'));
        d.type_text("Partitions of orders by month");
        d.key(KeyCode::Enter);
        d
    };
    revise_with_notes => |w, h| {
        let mut d = commented(w, h);
        d.key(KeyCode::Char('l'));
        d.key(KeyCode::Char('n'));
        d.key(KeyCode::Esc);
        d.key(KeyCode::Tab);
        d.key(KeyCode::Tab);
        d.key(KeyCode::Char('r'));
        d.type_text("Also: the retention of the audit trail.");
        d
    };
    attempts_compared => |w, h| revised_and_compared(w, h, 0);
    attempts_compared_next_change => |w, h| revised_and_compared(w, h, 1);
    schema_first_table => schema_view;
    schema_followed_a_key => |w, h| {
        let mut d = schema_view(w, h);
        d.key(KeyCode::Char('j'));
        d.key(KeyCode::Char('1'));
        d
    };
    schema_found_by_name => |w, h| {
        let mut d = schema_view(w, h);
        d.key(KeyCode::Char('/'));
        d.type_text("orders");
        d.key(KeyCode::Enter);
        d
    };
    plans_first_contradicted => plans_view;
    plans_no_index_serves => |w, h| {
        let mut d = plans_view(w, h);
        d.key(KeyCode::Char('n'));
        d.key(KeyCode::Char('n'));
        d
    };
    inbox_waiting => inbox;
    inbox_held_by_another => |w, h| {
        let mut d = inbox(w, h);
        d.key(KeyCode::Char('j'));
        d.key(KeyCode::Enter);
        d
    };
    handoff_waiting_for_the_team_store => |w, h| {
        let mut d = done_with("\nDECISION: backup_disaster_specialist\n", w, h);
        d.key(KeyCode::Enter);
        d.send(Event::HandedOff(Err(archbench::sink::HandoffError::Queued(
            "The team store cannot be reached (cannot reach the team store: connection refused): the handoff to backup_disaster_specialist waits on this machine and is made once the store settles the review — nothing is handed off before, and quitting keeps it".into(),
        ))));
        d
    };
    payload_editor => |w, h| {
        let mut d = done_with("\nDECISION: backup_disaster_specialist\n", w, h);
        d.key(KeyCode::Char('e'));
        d
    };
    payload_edited => |w, h| {
        let mut d = done_with("\nDECISION: backup_disaster_specialist\n", w, h);
        d.key(KeyCode::Char('e'));
        d.type_text("Focus on point-in-time recovery. ");
        d.ctrl('s');
        d
    };
    deferred => |w, h| {
        let mut d = done_with("\nDECISION: completed\n", w, h);
        d.key(KeyCode::Char('2'));
        d.key(KeyCode::Char('d'));
        d.send(Event::Deferred(Ok(("0193f2a4-7b1c-7d2e-9f00-123456789abc".into(), "/home/ada/.local/share/archbench/deferred/0193f2a4.json".into()))));
        d
    };
    chain_step_two => |w, h| {
        let mut d = done_with("\nDECISION: backup_disaster_specialist\n", w, h);
        chain_on(&mut d);
        d.key(KeyCode::Enter);
        d.send(Event::HandedOff(Ok(chained("backup_disaster_specialist"))));
        d
    };
    revisit_prompt => |w, h| {
        let mut d = done_with("\nDECISION: backup_disaster_specialist\n", w, h);
        chain_on(&mut d);
        d.state.session.chain.breadcrumb.insert(0, "backup_disaster_specialist".into());
        d.key(KeyCode::Enter);
        d.send(Event::HandedOff(Ok(chained("backup_disaster_specialist"))));
        d
    };
    help => |w, h| {
        let mut d = Driver::new(BRIEF, w, h);
        d.key(KeyCode::F(1));
        d
    };
    model_picker => |w, h| {
        let mut d = Driver::new(BRIEF, w, h);
        let server = |model: &str| archbench::provider::choose::Choice::OpenAi {
            base_url: "http://localhost:11434/v1".into(),
            model: model.into(),
            key: archbench::provider::choose::KeySource::Env("OPENAI_API_KEY".into()),
        };
        d.state.models = archbench::state::picker::ModelSetup {
            current: Some(server("qwen2.5:14b")),
            profiles: vec![(
                "claude".into(),
                archbench::provider::choose::Choice::Anthropic {
                    base_url: "https://api.anthropic.com".into(),
                    model: "claude-sonnet-4-5".into(),
                    key: archbench::provider::choose::KeySource::Env("ANTHROPIC_API_KEY".into()),
                },
            )],
            ..Default::default()
        };
        d.ctrl('p');
        d.send(Event::ModelsListed(Ok(vec!["llama3.1:8b".into(), "qwen2.5:14b".into()])));
        d.key(KeyCode::Down);
        d
    };
    zoomed_answer => |w, h| {
        let mut d = done_with("\nDECISION: completed\n", w, h);
        d.key(KeyCode::BackTab);
        d.key(KeyCode::BackTab);
        d.key(KeyCode::F(6));
        d
    };
    history_list => |w, h| {
        let mut d = history(w, h);
        d.key(KeyCode::Char('m'));
        d.key(KeyCode::Down);
        d
    };
    history_empty_search => |w, h| {
        let mut d = history(w, h);
        d.key(KeyCode::Char('/'));
        d.type_text("kubernetes");
        d.key(KeyCode::Enter);
        d.send(Event::HistoryLoaded(Ok(Vec::new())));
        d
    };
    history_run => |w, h| {
        let mut d = history(w, h);
        d.key(KeyCode::Enter);
        d.send(Event::RunsLoaded {
            then: archbench::effect::RunsFor::Open,
            result: Ok(vec![with_comments(run_detail(3, ANSWER))]),
            chain_id: String::new(),
        });
        d
    };
    history_compare => |w, h| {
        let mut d = history(w, h);
        d.key(KeyCode::Char('m'));
        d.key(KeyCode::Down);
        d.key(KeyCode::Char('d'));
        let changed = ANSWER.replacen("PRIMARY KEY", "PRIMARY KEY NOT DEFERRABLE", 1);
        d.send(Event::RunsLoaded {
            then: archbench::effect::RunsFor::Compare,
            result: Ok(vec![run_detail(3, ANSWER), run_detail(2, &format!("{changed}\nAn extra closing line.\n"))]),
            chain_id: String::new(),
        });
        d
    };
    help_scrolled_to_the_end => |w, h| {
        let mut d = Driver::new(BRIEF, w, h);
        d.key(KeyCode::F(1));
        for _ in 0..10 {
            d.key(KeyCode::PageDown);
        }
        d
    };
}

#[test]
fn a_terminal_below_80x24_gets_a_message_not_a_panic() {
    for (w, h) in [(79, 24), (80, 23), (40, 10), (1, 1), (0, 0)] {
        let mut d = Driver::new(BRIEF, 100, 30);
        d.ctrl('s');
        stream(&mut d, ANSWER);
        d.send(Event::Resize {
            width: w,
            height: h,
        });
        let screen = d.screen();
        if w >= 30 && h >= 3 {
            assert!(screen.contains("at least"), "{w}x{h}:\n{screen}");
        }
    }
    let mut d = Driver::new(BRIEF, 60, 20);
    insta::assert_snapshot!(d.screen());
}

#[test]
fn resizing_keeps_the_answer_and_the_end_in_view() {
    let mut d = Driver::new(BRIEF, 160, 48);
    d.ctrl('s');
    finish(&mut d, &format!("{ANSWER}\nDECISION: completed\n"));
    d.send(Event::Resize {
        width: 80,
        height: 24,
    });
    let screen = d.screen();
    assert!(screen.contains("DECISION: completed"), "{screen}");
}

#[test]
fn the_status_line_estimates_the_cost_from_the_configured_price() {
    let mut d = Driver::new(BRIEF, 200, 50);
    d.state.session.price = Some(archbench::config::Price {
        input: 3.0,
        output: 15.0,
    });
    d.ctrl('s');
    finish(&mut d, "# Plan\n\nDECISION: completed\n");
    let screen = d.screen();
    let top = screen.lines().next().unwrap();
    // 1200 tokens in at 3.0 and 340 out at 15.0 per million.
    assert!(top.contains("1200 in · 340 out · cost ≈ 0.0087"), "{top}");
    assert!(
        top.contains("first token") && top.contains("tok/s"),
        "{top}"
    );
}

/// The screen's text, then how many cells carry each style: what a terminal of that depth shows.
fn styled(d: &mut Driver) -> String {
    use std::collections::BTreeMap;
    d.state.prepare_frame();
    let (w, h) = (d.state.width, d.state.height);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|frame| archbench::ui::draw(frame, &d.state))
        .unwrap();
    let buffer = terminal.backend().buffer().clone();
    let mut census: BTreeMap<String, usize> = BTreeMap::new();
    for cell in buffer.content.iter() {
        let key = format!("fg={:?} bg={:?} {:?}", cell.fg, cell.bg, cell.modifier);
        *census.entry(key).or_default() += 1;
        match d.state.colour {
            archbench::screen::colour::Depth::Ansi256 => {
                assert!(
                    !matches!(cell.fg, ratatui::style::Color::Rgb(..))
                        && !matches!(cell.bg, ratatui::style::Color::Rgb(..)),
                    "RGB in 256 colours"
                );
            }
            archbench::screen::colour::Depth::Ansi16 => {
                for c in [cell.fg, cell.bg] {
                    assert!(
                        !matches!(
                            c,
                            ratatui::style::Color::Rgb(..) | ratatui::style::Color::Indexed(_)
                        ),
                        "{c:?} in 16 colours"
                    );
                }
            }
            archbench::screen::colour::Depth::None => {
                assert_eq!(
                    (cell.fg, cell.bg),
                    (ratatui::style::Color::Reset, ratatui::style::Color::Reset)
                );
            }
            archbench::screen::colour::Depth::Truecolor => {}
        }
    }
    let mut out = common::buffer_text(&buffer);
    out.push_str("--- cells by style ---\n");
    for (style, count) in census {
        out.push_str(&format!("{count:>6} {style}\n"));
    }
    out
}

fn themed(theme: usize, depth: archbench::screen::colour::Depth, w: u16, h: u16) -> Driver {
    let mut d = done_with("\nDECISION: completed\n", w, h);
    let theme = archbench::screen::theme::Theme::parse(
        archbench::screen::theme::SHIPPED[theme].1,
        "shipped",
    )
    .unwrap();
    d.state.colour = depth;
    d.state.use_theme(theme);
    d.state.render_again();
    d.key(KeyCode::Char('2'));
    d
}

macro_rules! themed_screens {
    ($($name:ident => ($theme:expr, $depth:ident);)*) => {
        mod themed {
            use super::*;
            use archbench::screen::colour::Depth;
            $(#[test] fn $name() {
                // One code theme per process: these run one after the other.
                let _one = THEMES.lock().unwrap_or_else(|e| e.into_inner());
                let theme = archbench::screen::theme::Theme::parse(archbench::screen::theme::SHIPPED[$theme].1, "shipped").unwrap();
                archbench::render::highlight::set_theme(&theme.syntax).unwrap();
                for (w, h) in [(80, 24), (100, 30), (200, 60)] {
                    // The three main screens: empty, an answer streaming, an answer to review.
                    let mut shots = Vec::new();
                    let mut empty = Driver::new("", w, h);
                    let mut streaming = Driver::new(BRIEF, w, h);
                    streaming.ctrl('s');
                    stream(&mut streaming, &ANSWER[..ANSWER.find("CREATE INDEX").unwrap()]);
                    for d in [&mut empty, &mut streaming] {
                        d.state.colour = Depth::$depth;
                        d.state.use_theme(theme.clone());
                        d.state.render_again();
                        shots.push(styled(d));
                    }
                    shots.push(styled(&mut themed($theme, Depth::$depth, w, h)));
                    insta::assert_snapshot!(format!("{}_{w}x{h}", stringify!($name)), shots.join("\n=== next screen ===\n"));
                }
                archbench::render::highlight::set_theme(archbench::render::highlight::DEFAULT_THEME).unwrap();
            })*
        }
    };
}

static THEMES: std::sync::Mutex<()> = std::sync::Mutex::new(());

themed_screens! {
    dark_256 => (0, Ansi256);
    dark_16 => (0, Ansi16);
    dark_no_color => (0, None);
    light_256 => (1, Ansi256);
    light_16 => (1, Ansi16);
    light_no_color => (1, None);
    high_contrast_256 => (2, Ansi256);
    high_contrast_16 => (2, Ansi16);
    high_contrast_no_color => (2, None);
    sixteen_256 => (3, Ansi256);
    sixteen_16 => (3, Ansi16);
    sixteen_no_color => (3, None);
}

#[test]
fn zoom_follows_the_focus_and_gives_the_panes_back() {
    let mut d = done_with("\nDECISION: completed\n", 100, 30);
    d.key(KeyCode::F(6));
    let routes = d.screen();
    assert!(
        routes.contains("Routes") && !routes.contains("Brief"),
        "{routes}"
    );
    d.key(KeyCode::Tab);
    let brief = d.screen();
    assert!(
        brief.contains("Brief") && !brief.contains("Routes"),
        "{brief}"
    );
    d.key(KeyCode::F(6));
    let all = d.screen();
    assert!(
        all.contains("Brief") && all.contains("Routes") && all.contains("Answer"),
        "{all}"
    );
}

#[test]
fn the_reasoning_shows_its_newest_lines_harmless_and_scrolls_back() {
    let mut d = Driver::new(BRIEF, 100, 30);
    d.ctrl('s');
    let thoughts: String = (1..=60).map(|i| format!("thought {i}\n")).collect();
    d.send(Event::Agent {
        run_id: 1,
        event: AgentEvent::Reasoning(format!("{thoughts}last \u{1b}]0;title\u{7} one")),
    });
    finish(&mut d, "# Plan\n\nDECISION: completed\n");
    d.key(KeyCode::BackTab);
    d.key(KeyCode::BackTab);
    d.key(KeyCode::Char('z'));
    let screen = d.screen();
    assert!(screen.contains("Reasoning · attempt 1"), "{screen}");
    assert!(
        screen.contains("last ␛]0;title"),
        "the newest line, its escape shown:\n{screen}"
    );
    // `thought 1 ` (a space after it, not thought 10-19): the oldest is out of view.
    assert!(
        screen.contains("thought 60") && !screen.contains("thought 1 "),
        "{screen}"
    );
    for _ in 0..10 {
        d.key(KeyCode::Up);
    }
    let screen = d.screen();
    assert!(
        screen.contains("thought 50") && !screen.contains("last ␛"),
        "scrolled back:\n{screen}"
    );
    for _ in 0..100 {
        d.key(KeyCode::Up);
    }
    assert!(
        d.screen().contains("thought 1 "),
        "never past the first line"
    );
}

/// Folding a heading hides its subsections' rows in the outline, and the coverage line above
/// them stays what it was: a folded section is still covered.
#[test]
fn folding_a_heading_keeps_the_coverage_on_screen() {
    let mut d = done_with("\nDECISION: completed\n", 160, 48);
    let coverage = |d: &mut Driver| {
        // The pane's text only: its border changes with the focus.
        d.screen()
            .lines()
            .flat_map(|l| l.split(['│', '┃']).map(str::to_string).collect::<Vec<_>>())
            .find(|cell| cell.contains(" sections"))
            .expect("a coverage line")
    };
    let before = coverage(&mut d);
    let rows_before = d.state.outline().len();
    d.state.focus = archbench::state::Focus::Outline;
    d.key(KeyCode::Char(' '));
    assert!(d.state.outline().len() < rows_before, "the heading folded");
    assert_eq!(coverage(&mut d), before);
}
