//! Splitting a configured command into words, the way a person expects from a shell's quoting,
//! and nothing more: no variables, no globs, no pipes. The envelope never takes part in it.

/// Splits `command` into words: whitespace separates, '…' is literal, "…" allows \" and \\,
/// and a backslash outside quotes takes the next character as it is.
pub fn split_command(command: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(unterminated(command, '\'')),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(unterminated(command, '"')),
                        },
                        Some(c) => word.push(c),
                        None => return Err(unterminated(command, '"')),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(c) => word.push(c),
                    None => word.push('\\'),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

fn unterminated(command: &str, quote: char) -> String {
    format!("the command `{command}` has an unclosed {quote}: close it, or escape it with \\")
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
        assert!(split_command("tool 'open")
            .unwrap_err()
            .contains("unclosed '"));
        assert!(split_command("tool \"open")
            .unwrap_err()
            .contains("unclosed \""));
    }

    #[test]
    fn empty_quotes_make_an_empty_word() {
        assert_eq!(split_command("tool ''").unwrap(), ["tool", ""]);
    }
}
