//! Property tests of the parsers that read untrusted text, run with every `cargo test`: the same
//! properties the fuzz targets in `fuzz/` check (see `scripts/fuzz.sh`), on random input.

use crate::provider::sse::SseParser;
use crate::render::{AnswerDoc, MdStyles};
use crate::role::{parse_role, RoleBook};
use crate::routing::{parse_decision, DecisionStatus};
use proptest::prelude::*;

/// Text with the hostile parts models and servers produce: escapes, C1 controls, bidi overrides,
/// CR, fences, decision lines.
fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[ -~]{0,20}",
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\x1b[2J\x1b]0;title\x07\x1b]52;c;aGk=\x07".to_string()),
        Just("\u{9b}31m\u{202e}evil\u{202c}".to_string()),
        Just("```sql\nSELECT 1;\n".to_string()),
        Just("```\n".to_string()),
        Just("DECISION: completed\n".to_string()),
        Just("**DECISION:** `completed: Go to fullstack_developer`\n".to_string()),
        Just("# Heading\n".to_string()),
        Just("| a | b |\n|---|---|\n".to_string()),
        "[\\x00-\\x7fé€😀]{0,8}",
    ];
    prop::collection::vec(piece, 0..30).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sse_events_do_not_depend_on_how_the_bytes_are_cut(bytes in prop::collection::vec(any::<u8>(), 0..600), cuts in prop::collection::vec(any::<u16>(), 0..40)) {
        let expected = SseParser::new().push(&bytes);
        let mut parser = SseParser::new();
        let mut events = Vec::new();
        let mut rest: &[u8] = &bytes;
        for cut in cuts {
            let at = cut as usize % (rest.len() + 1);
            events.extend(parser.push(&rest[..at]));
            rest = &rest[at..];
        }
        events.extend(parser.push(rest));
        prop_assert_eq!(events, expected);
    }

    #[test]
    fn the_decision_parser_is_consistent_on_any_answer(answer in hostile_text()) {
        let book = RoleBook::load(None).unwrap();
        let role = book.get("database_architect").unwrap();
        let decision = parse_decision(&answer, &role.routes);
        for candidate in &decision.candidates {
            prop_assert!(role.routes.iter().any(|o| &o.id == candidate));
        }
        if decision.status == DecisionStatus::Unique {
            prop_assert_eq!(decision.candidates.len(), 1);
        }
        if let Some(line) = decision.line_number {
            prop_assert!(line >= 1 && line <= answer.lines().count().max(1));
        }
    }

    #[test]
    fn the_role_parser_answers_any_text_with_a_role_or_a_located_error(body in hostile_text(), front in prop_oneof![Just(String::new()), Just("+++\nid = \"x\"\n+++\n".to_string()), Just("+++\nid = \n".to_string()), "\\+\\+\\+\n[a-z =\"]{0,30}\n\\+\\+\\+\n"]) {
        let text = format!("{front}{body}");
        match parse_role("prop.md", "prop", &text) {
            Ok(role) => {
                for option in &role.routes {
                    let prefix = format!("route:{}", option.target);
                    prop_assert!(option.id.starts_with(&prefix));
                }
            }
            Err(e) => prop_assert!(e.line <= text.lines().count() + 1 && !e.message.is_empty()),
        }
    }

    #[test]
    fn the_renderer_keeps_the_text_and_puts_no_control_character_on_screen(text in hostile_text(), cuts in prop::collection::vec(any::<u16>(), 0..12)) {
        let mut points: Vec<usize> = cuts.into_iter().map(|c| c as usize % (text.len() + 1)).filter(|c| text.is_char_boundary(*c)).collect();
        points.sort_unstable();
        let mut doc = AnswerDoc::new(MdStyles::default());
        let mut last = 0;
        for cut in points.into_iter().chain([text.len()]) {
            doc.push(&text[last..cut]);
            doc.refresh();
            last = cut;
        }
        doc.finish();
        prop_assert_eq!(doc.text(), text.as_str());
        for line in doc.committed() {
            for span in &line.line.spans {
                prop_assert!(!span.content.chars().any(|c| c.is_control() && c != '\t'), "{:?}", span.content);
                prop_assert!(!span.content.contains('\u{202e}'), "bidi override on screen: {:?}", span.content);
            }
        }
    }

    #[test]
    fn the_configuration_reader_reports_errors_by_line_and_never_panics(text in hostile_text()) {
        let lines = text.lines().count() + 1;
        if let Err(errors) = crate::config::parse_all(&text, std::path::Path::new("fuzz.toml")) {
            prop_assert!(!errors.is_empty());
            for e in errors {
                prop_assert!(e.line.is_none_or(|l| l <= lines) && !e.message.is_empty());
            }
        }
    }

    #[test]
    fn the_audit_reader_takes_any_bytes_and_counts_no_more_records_than_lines(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let lines = bytes.split(|&b| b == b'\n').count();
        match crate::store::audit::verify_bytes(&bytes, None) {
            Ok(report) => prop_assert!(report.records <= lines),
            Err(problems) => prop_assert!(problems.iter().all(|p| p.line <= lines)),
        }
    }
}
