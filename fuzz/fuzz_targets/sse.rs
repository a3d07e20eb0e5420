//! The event-stream parser on any bytes, cut anywhere: it never panics, and how the bytes are cut
//! never changes the events that come out.
#![no_main]

use archbench::provider::sse::SseParser;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (Vec<u8>, Vec<u8>)| {
    let (bytes, cuts) = input;
    let mut whole = SseParser::new();
    let expected = whole.push(&bytes);
    let mut parser = SseParser::new();
    let mut events = Vec::new();
    let mut rest: &[u8] = &bytes;
    for cut in cuts {
        if rest.is_empty() {
            break;
        }
        let at = (cut as usize) % (rest.len() + 1);
        events.extend(parser.push(&rest[..at]));
        rest = &rest[at..];
    }
    events.extend(parser.push(rest));
    assert_eq!(events, expected);
});
