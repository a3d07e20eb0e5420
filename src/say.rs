//! The one gate between what a command prints and the terminal. Every line a subcommand writes
//! (tables, messages, errors) goes through [`say!`](crate::say) or [`tell!`](crate::tell), which
//! pass it through the sanitizer: role files, configuration values, server replies and command
//! output quoted in it never act on the terminal. JSON goes through [`json`], which escapes what
//! could act on a terminal inside its strings, so the data stays exactly what it was.

use crate::sanitize::sanitize;
use std::io::Write;

/// Prints `text` and a newline on standard output, sanitized.
pub fn out(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", sanitize(text));
}

/// Prints `text` and a newline on standard error, sanitized.
pub fn err(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{}", sanitize(text));
}

/// Prints `archbench: message` on standard error and returns `code`, for `return fail(…)`.
pub fn fail(code: i32, message: &str) -> i32 {
    err(&format!("archbench: {message}"));
    code
}

/// A JSON document as text, with every character that could act on a terminal (C0 and C1
/// controls, DEL, bidirectional overrides) written as a `\uXXXX` escape: the same JSON value.
pub fn json_text(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        let code = u32::from(c);
        let acts =
            c.is_control() || matches!(code, 0x200E..=0x200F | 0x202A..=0x202E | 0x2066..=0x2069);
        // Outside strings JSON has only spaces and newlines, which pass unchanged.
        if acts && c != '\n' && c != ' ' {
            out.push_str(&format!("\\u{code:04x}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// Prints a JSON document on standard output (see [`json_text`]).
pub fn json(json: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", json_text(json));
}

/// `println!` through the sanitizer.
#[macro_export]
macro_rules! say {
    () => { $crate::say::out("") };
    ($($arg:tt)*) => { $crate::say::out(&format!($($arg)*)) };
}

/// `eprintln!` through the sanitizer.
#[macro_export]
macro_rules! tell {
    () => { $crate::say::err("") };
    ($($arg:tt)*) => { $crate::say::err(&format!($($arg)*)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_its_value_and_loses_what_acts_on_a_terminal() {
        let value = serde_json::json!({
            "title": "Evil \u{1b}]0;pwned\u{7}\u{9b}31m \u{202e}txt.exe",
            "lines": "a\nb",
        });
        let text = serde_json::to_string_pretty(&value).unwrap();
        let safe = json_text(&text);
        assert!(!safe.chars().any(|c| c.is_control() && c != '\n'), "{safe}");
        assert!(!safe.contains('\u{202e}'));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
    }
}
