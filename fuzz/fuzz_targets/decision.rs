//! The decision parser on any answer, against the shipped architect's routes: it never panics,
//! and what it reports is consistent (candidates are listed options; unique means one).
#![no_main]

use archbench::role::RoleBook;
use archbench::routing::{parse_decision, DecisionStatus};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// The shipped roles, parsed once (parsing them is not what is fuzzed here).
fn book() -> Option<&'static RoleBook> {
    static BOOK: OnceLock<Option<RoleBook>> = OnceLock::new();
    BOOK.get_or_init(|| RoleBook::load(None).ok()).as_ref()
}

fuzz_target!(|answer: &str| {
    let Some(role) = book().and_then(|b| b.get("database_architect")) else { return };
    let decision = parse_decision(answer, &role.routes);
    for candidate in &decision.candidates {
        assert!(role.routes.iter().any(|o| &o.id == candidate), "{candidate}");
    }
    if decision.status == DecisionStatus::Unique {
        assert_eq!(decision.candidates.len(), 1);
    }
    if let Some(line) = decision.line_number {
        assert!(line >= 1 && line <= answer.lines().count().max(1));
    }
});
