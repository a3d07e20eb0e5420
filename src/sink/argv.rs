//! Splitting a configured command into words, the way a person expects from a shell's quoting,
//! and nothing more: no variables, no globs, no pipes. The envelope never takes part in it. The
//! splitting is shlex's (POSIX shell word rules); this module gives its refusal a message.

/// Splits `command` into words: whitespace separates, '…' is literal, "…" allows \" and \\,
/// a backslash outside quotes takes the next character as it is, and a word that starts with #
/// begins a comment, as in a shell.
pub fn split_command(command: &str) -> Result<Vec<String>, String> {
    shlex::split(command).ok_or_else(|| {
        format!("the command `{command}` has an unclosed quote or a trailing backslash: close the quote, or escape it with \\")
    })
}

/// Quotes `word` so that [`split_command`] gives it back unchanged.
pub fn quote(word: &str) -> String {
    shlex::try_quote(word).map_or_else(|_| word.to_string(), |q| q.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_quotes() {
        assert_eq!(
            split_command(r#"tool -m 'two words' "say \"hi\"" a\ b"#).unwrap(),
            ["tool", "-m", "two words", "say \"hi\"", "a b"]
        );
    }

    #[test]
    fn shell_syntax_is_just_text() {
        assert_eq!(
            split_command("echo $HOME; rm -rf * | cat `id`").unwrap(),
            ["echo", "$HOME;", "rm", "-rf", "*", "|", "cat", "`id`"]
        );
    }

    #[test]
    fn an_unclosed_quote_is_an_error() {
        for command in ["tool 'open", "tool \"open"] {
            let said = split_command(command).unwrap_err();
            assert!(said.contains("unclosed quote"), "{said}");
            assert!(said.contains(command), "{said}");
        }
    }

    #[test]
    fn quoted_words_come_back_unchanged() {
        let words = [
            "plain",
            "two words",
            "it's",
            "say \"hi\"",
            "a\\b",
            "",
            "$HOME;",
        ];
        let line: Vec<String> = words.iter().map(|w| quote(w)).collect();
        assert_eq!(split_command(&line.join(" ")).unwrap(), words);
    }

    #[test]
    fn empty_quotes_make_an_empty_word() {
        assert_eq!(split_command("tool ''").unwrap(), ["tool", ""]);
    }
}
