//! The markdown renderer on any answer, streamed in any pieces: it never panics, keeps the text
//! byte for byte, renders as the whole text does, and never puts a control character on screen.
#![no_main]

use archbench::render::{AnswerDoc, MdStyles};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, Vec<u16>)| {
    let (text, cuts) = input;
    let mut doc = AnswerDoc::new(MdStyles::default());
    let mut last = 0;
    let mut points: Vec<usize> = cuts
        .into_iter()
        .map(|c| c as usize % (text.len() + 1))
        .filter(|c| text.is_char_boundary(*c))
        .collect();
    points.sort_unstable();
    for cut in points.into_iter().chain([text.len()]) {
        doc.push(&text[last..cut]);
        doc.refresh();
        last = cut;
    }
    doc.finish();
    assert_eq!(doc.text(), text);
    let whole = AnswerDoc::render_whole(text, MdStyles::default());
    assert_eq!(doc.committed(), whole.committed());
    for line in doc.committed() {
        for span in &line.line.spans {
            assert!(
                !span.content.chars().any(|c| c.is_control() && c != '\t'),
                "a control character reached the screen: {:?}",
                span.content
            );
        }
    }
});
