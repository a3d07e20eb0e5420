//! Model output, briefs and role files are untrusted text: before any of it reaches a terminal,
//! control characters and escape sequences become visible, inert placeholders.
//!
//! ESC, the C0 and C1 controls and DEL are shown as Unicode "control pictures" (ESC becomes `␛`),
//! so a CSI, OSC, DCS or APC sequence loses the byte that makes a terminal act on it, while the
//! reader can still see that the model tried to send one. Bidirectional overrides and isolates,
//! which can make text read differently from what it is, are shown as `⟨U+202E⟩`.

use std::borrow::Cow;

/// True for characters that must never be written to a terminal as they are.
fn is_unsafe(c: char) -> bool {
    let n = c as u32;
    n < 0x20 && c != '\n' && c != '\t'
        || n == 0x7f
        || (0x80..=0x9f).contains(&n)
        || is_bidi_control(c)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

fn push_placeholder(out: &mut String, c: char) {
    let n = c as u32;
    match n {
        // C0 controls map onto the Control Pictures block, U+2400 + n.
        0x00..=0x1f => out.push(char::from_u32(0x2400 + n).unwrap_or('\u{FFFD}')),
        0x7f => out.push('\u{2421}'),
        _ => {
            out.push_str(&format!("⟨U+{n:04X}⟩"));
        }
    }
}

/// Replaces every unsafe character of one line (or a whole text) by its placeholder. Newlines
/// are kept; tabs are kept too and expanded later by the renderer, which knows the tab stops.
/// Returns the input unchanged, without allocating, when there is nothing to replace.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            push_placeholder(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Like [`sanitize`], and also turns a carriage return into its placeholder: for text shown in
/// one line of the screen, where a bare CR would move the cursor.
pub fn sanitize_line(text: &str) -> Cow<'_, str> {
    let cleaned = sanitize(text);
    if cleaned.contains(['\n', '\t']) {
        Cow::Owned(cleaned.replace('\t', "    ").replace('\n', "\u{2424}"))
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(sanitize("SELECT 1;\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_sequences_lose_their_escape() {
        let hostile = "a\x1b[2Jb\x1b]0;title\x07c\x1b]52;c;ZXZpbA==\x1b\\d";
        let shown = sanitize(hostile);
        assert!(!shown.contains('\x1b'));
        assert!(!shown.contains('\x07'));
        assert_eq!(shown, "a␛[2Jb␛]0;title␇c␛]52;c;ZXZpbA==␛\\d");
    }

    #[test]
    fn c1_controls_and_bidi_overrides_are_named() {
        assert_eq!(sanitize("x\u{9b}31m"), "x⟨U+009B⟩31m");
        assert_eq!(sanitize("abc\u{202E}fed"), "abc⟨U+202E⟩fed");
        assert_eq!(sanitize("\u{2066}i\u{2069}"), "⟨U+2066⟩i⟨U+2069⟩");
    }

    #[test]
    fn carriage_return_and_del_are_visible() {
        assert_eq!(sanitize("a\rb\x7f"), "a␍b␡");
    }

    #[test]
    fn newlines_and_tabs_survive_sanitize_but_not_sanitize_line() {
        assert_eq!(sanitize("a\tb\nc"), "a\tb\nc");
        assert_eq!(sanitize_line("a\tb\nc"), "a    b␤c");
    }
}
