use super::*;
use crate::role::parse_routes;

fn architect_options() -> Vec<RouteOption> {
    parse_routes(
        "=== ROUTING DECISION REQUIRED ===\n- completed: Go to fullstack_developer\n- completed: Go to product_catalog_manager\n- completed: Go to backup_disaster_specialist\n",
    )
    .unwrap()
}

fn parse(text: &str) -> Decision {
    parse_decision(text, &architect_options())
}

#[test]
fn full_option_text_is_unique() {
    let d = parse("# Design\n\nBody\n\nDECISION: completed: Go to backup_disaster_specialist\n");
    assert_eq!(d.status, DecisionStatus::Unique);
    assert_eq!(d.candidates, ["route:backup_disaster_specialist"]);
    assert_eq!(d.line_number, Some(5));
    assert_eq!(
        d.raw_line.as_deref(),
        Some("DECISION: completed: Go to backup_disaster_specialist")
    );
    assert_eq!(
        d.unique_candidate(),
        Some("route:backup_disaster_specialist")
    );
}

#[test]
fn target_name_alone_is_unique() {
    for line in [
        "DECISION: fullstack_developer",
        "decision: Go to fullstack_developer",
        "**DECISION:** `fullstack_developer`",
        "DECISION: [fullstack_developer]",
    ] {
        let d = parse(&format!("text\n{line}\n"));
        assert_eq!(d.status, DecisionStatus::Unique, "{line}");
        assert_eq!(d.candidates, ["route:fullstack_developer"], "{line}");
    }
}

#[test]
fn shared_label_is_ambiguous_with_every_candidate() {
    let d = parse("answer\n\nDECISION: completed");
    assert_eq!(d.status, DecisionStatus::Ambiguous);
    assert_eq!(d.candidates.len(), 3);
    assert_eq!(d.unique_candidate(), None);
}

#[test]
fn unknown_value_is_invalid() {
    let d = parse("answer\nDECISION: ship_it\n");
    assert_eq!(d.status, DecisionStatus::Invalid);
    assert!(d.candidates.is_empty());
    let d = parse("answer\nDECISION: [ONE_OF_THE_ABOVE_CHOICES]\n");
    assert_eq!(d.status, DecisionStatus::Invalid);
}

#[test]
fn no_decision_is_missing() {
    let d = parse("answer without a route\n");
    assert_eq!(d.status, DecisionStatus::Missing);
    assert_eq!(d.raw_line, None);
    assert_eq!(parse("").status, DecisionStatus::Missing);
}

#[test]
fn decision_before_more_text_is_misplaced_and_keeps_candidates() {
    let d = parse("DECISION: product_catalog_manager\nI chose this because...\n");
    assert_eq!(d.status, DecisionStatus::Misplaced);
    assert_eq!(d.candidates, ["route:product_catalog_manager"]);
    assert_eq!(d.line_number, Some(1));
}

#[test]
fn trailing_blank_lines_and_closing_fence_are_ignored() {
    let d = parse("```\nDECISION: backup_disaster_specialist\n```\n\n   \n");
    assert_eq!(d.status, DecisionStatus::Unique);
    assert_eq!(d.line_number, Some(2));
}

#[test]
fn several_decision_lines_the_last_counts_and_is_flagged() {
    let d = parse("DECISION: fullstack_developer\nmore\nDECISION: backup_disaster_specialist\n");
    assert_eq!(d.status, DecisionStatus::Unique);
    assert!(d.multiple);
    assert_eq!(d.candidates, ["route:backup_disaster_specialist"]);
}

#[test]
fn case_and_spacing_do_not_matter() {
    let d = parse("x\n  decision:   COMPLETED:  go to   Product_Catalog_Manager  \n");
    assert_eq!(d.status, DecisionStatus::Unique);
    assert_eq!(d.candidates, ["route:product_catalog_manager"]);
}

#[test]
fn a_unique_label_is_unique() {
    let options = parse_routes("=== ROUTING DECISION REQUIRED ===\n- needs_revision: Go to database_architect\n- done: Go to end\n").unwrap();
    let d = parse_decision("x\nDECISION: done\n", &options);
    assert_eq!(d.status, DecisionStatus::Unique);
    assert_eq!(d.candidates, ["route:end"]);
}

#[test]
fn a_target_listed_twice_is_settled_by_its_label() {
    let options = parse_routes(
        "=== ROUTING DECISION REQUIRED ===\n- approved: Go to qa\n- rejected: Go to qa\n",
    )
    .unwrap();
    assert_eq!(options[0].id, "route:qa:approved");
    let d = parse_decision("DECISION: qa", &options);
    assert_eq!(d.status, DecisionStatus::Ambiguous);
    let d = parse_decision("DECISION: rejected: Go to qa", &options);
    assert_eq!(d.candidates, ["route:qa:rejected"]);
}
