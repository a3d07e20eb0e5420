use super::*;
use proptest::prelude::*;

fn text_of(lines: &[RenderedLine]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l.line.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect()
}

fn whole(text: &str) -> AnswerDoc {
    AnswerDoc::render_whole(text, MdStyles::default())
}

#[test]
fn headings_lists_quotes_rules_render_without_markers() {
    let doc = whole("# Data modeling\n\n- **tenants** table\n2. second\n> note\n---\n#### Deep\n");
    assert_eq!(
        text_of(doc.committed()),
        [
            "Data modeling",
            "",
            "• tenants table",
            "2. second",
            "▎ note",
            "───",
            "#### Deep"
        ]
    );
    assert_eq!(doc.committed()[0].kind, LineKind::Heading(1));
    assert_eq!(doc.committed()[2].hang, 2);
    assert_eq!(doc.headings().len(), 2);
    assert_eq!(doc.headings()[0].text, "Data modeling");
}

#[test]
fn inline_styles_apply() {
    let doc = whole("a *b* **c** `d` [e](http://x) ~~f~~\n");
    let spans = &doc.committed()[0].line.spans;
    let find = |t: &str| spans.iter().find(|s| s.content == t).unwrap().style;
    let styles = MdStyles::default();
    assert_eq!(find("b"), styles.emphasis);
    assert_eq!(find("c"), styles.strong);
    assert_eq!(find("d"), styles.code_inline);
    assert_eq!(find("e"), styles.link);
    assert!(spans.iter().any(|s| s.content == " (http://x)"));
    assert_eq!(find("f"), styles.strike);
}

#[test]
fn code_fences_are_framed_and_highlighted() {
    let doc = whole("```sql\nSELECT 1;\n```\n");
    let lines = text_of(doc.committed());
    assert_eq!(lines, ["┌ sql", "│ SELECT 1;", "└"]);
    assert_eq!(doc.committed()[1].kind, LineKind::Code);
    assert!(
        doc.committed()[1].line.spans.len() > 2,
        "highlighted into several spans"
    );
}

#[test]
fn headings_inside_code_are_not_headings() {
    let doc = whole("```bash\n# a comment\n```\n");
    assert!(doc.headings().is_empty());
}

#[test]
fn tables_align_columns() {
    let doc = whole("| col | b |\n|---|---|\n| longer cell | x |\nafter\n");
    assert_eq!(
        text_of(doc.committed()),
        [
            " col         │ b",
            "─────────────┼───",
            " longer cell │ x",
            "after"
        ]
    );
}

#[test]
fn escape_sequences_are_shown_not_sent() {
    let doc = whole("title\x1b]0;pwned\x07 and \x1b[2J\n");
    let text = text_of(doc.committed()).join("");
    assert!(!text.contains('\x1b'));
    assert!(text.contains("␛]0;pwned␇"));
}

#[test]
fn open_tail_is_provisional_until_its_newline() {
    let mut doc = AnswerDoc::new(MdStyles::default());
    doc.push("## Sche");
    assert!(doc.committed().is_empty());
    assert!(
        doc.provisional().is_empty(),
        "the tail is rendered per frame, not per delta"
    );
    doc.refresh();
    assert_eq!(text_of(doc.provisional()), ["Sche"]);
    doc.push("ma\nnext");
    doc.refresh();
    assert_eq!(text_of(doc.committed()), ["Schema"]);
    assert_eq!(text_of(doc.provisional()), ["next"]);
    doc.finish();
    assert_eq!(text_of(doc.committed()), ["Schema", "next"]);
    assert!(doc.provisional().is_empty());
}

#[test]
fn a_streaming_table_shows_provisionally() {
    let mut doc = AnswerDoc::new(MdStyles::default());
    doc.push("| a | b |\n|---|---|\n| 1 | 2");
    doc.refresh();
    assert!(doc.committed().is_empty());
    assert_eq!(doc.provisional().len(), 3);
}

fn markdown_line() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z ]{0,30}",
        "# [a-z ]{1,20}",
        "- [a-z*`_ ]{0,20}",
        "1\\. [a-z ]{0,10}",
        Just("```sql".to_string()),
        Just("```".to_string()),
        Just("SELECT * FROM t; /* multi".to_string()),
        Just("line */".to_string()),
        "\\| [a-z]{1,5} \\| [0-9]{1,3} \\|",
        Just("|---|---|".to_string()),
        "> [a-zé😀 ]{0,12}",
        Just("---".to_string()),
        "[\\x00-\\x7fé€😀]{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn streaming_in_any_split_renders_like_the_whole(lines in prop::collection::vec(markdown_line(), 0..25), cuts in prop::collection::vec(0usize..400, 0..20), trailing_newline: bool) {
        let mut text = lines.join("\n");
        if trailing_newline { text.push('\n'); }
        let expected = whole(&text);
        let mut cut_points: Vec<usize> = cuts.into_iter().map(|c| c % (text.len() + 1)).filter(|c| text.is_char_boundary(*c)).collect();
        cut_points.sort_unstable();
        let mut doc = AnswerDoc::new(MdStyles::default());
        let mut last = 0;
        for cut in cut_points.into_iter().chain([text.len()]) {
            doc.push(&text[last..cut]);
            last = cut;
        }
        doc.finish();
        prop_assert_eq!(doc.committed(), expected.committed());
        prop_assert_eq!(doc.headings(), expected.headings());
    }
}

#[test]
fn highlighting_state_never_crosses_blocks() {
    let after_unclosed = whole("```sql\n/* never closed\n```\n\n```sql\nSELECT 1;\n```\n");
    let fresh = whole("```sql\nSELECT 1;\n```\n");
    let select = |doc: &AnswerDoc| {
        doc.committed()
            .iter()
            .find(|l| l.line.spans.iter().any(|s| s.content == "SELECT"))
            .unwrap()
            .line
            .clone()
    };
    assert_eq!(
        select(&after_unclosed),
        select(&fresh),
        "the second block starts from a clean state"
    );
}
