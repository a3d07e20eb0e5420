//! The configuration reader on any file text: settings, or errors each naming its line; never a
//! panic, whatever numbers the file holds.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let lines = text.lines().count() + 1;
    if let Err(errors) = archbench::config::parse_all(text, std::path::Path::new("fuzz.toml")) {
        assert!(!errors.is_empty());
        for e in errors {
            assert!(e.line.is_none_or(|l| l <= lines) && !e.message.is_empty());
        }
    }
});
