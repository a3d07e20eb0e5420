//! The role parser on any file text: it returns a role or an error naming a line, never panics.
#![no_main]

use archbench::role::parse_role;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match parse_role("fuzz.md", "fuzz", text) {
        Ok(role) => {
            for option in &role.routes {
                assert!(option.id.starts_with(&format!("route:{}", option.target)));
            }
        }
        // An error names its line (0: the file as a whole) and says what is wrong.
        Err(e) => assert!(e.line <= text.lines().count() + 1 && !e.message.is_empty()),
    }
});
