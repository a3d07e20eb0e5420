//! Code highlighting with syntect and two-face's grammars, loaded once per process. The parse
//! state is carried across the lines of one code block (so multi-line comments and strings come
//! out right) and never across blocks.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use std::sync::OnceLock;
use syntect::highlighting::{FontStyle, HighlightIterator, HighlightState, Highlighter, Theme};
use syntect::parsing::{ParseState, ScopeStack, SyntaxReference, SyntaxSet};

/// Bytes of one line that are highlighted; the rest is plain, so one pathological line
/// (an 8 KB base64 blob in a bash block) cannot stall a frame.
pub const HIGHLIGHT_LIMIT: usize = 1024;

pub struct Highlighting {
    syntaxes: SyntaxSet,
}

/// The syntax theme in use; a theme switch replaces it (and the answers are rendered again).
static THEME: std::sync::RwLock<Option<std::sync::Arc<Theme>>> = std::sync::RwLock::new(None);

/// The syntax theme shipped as the default.
pub const DEFAULT_THEME: &str = "base16-ocean.dark";

fn current_theme() -> std::sync::Arc<Theme> {
    if let Some(theme) = THEME.read().ok().and_then(|t| t.clone()) {
        return theme;
    }
    let theme = std::sync::Arc::new(
        two_face::theme::extra()
            .get(two_face::theme::EmbeddedThemeName::Base16OceanDark)
            .clone(),
    );
    if let Ok(mut slot) = THEME.write() {
        slot.get_or_insert_with(|| theme.clone());
    }
    theme
}

/// The names of the syntax themes archbench carries.
pub fn theme_names() -> Vec<&'static str> {
    two_face::theme::EmbeddedLazyThemeSet::theme_names()
        .iter()
        .map(|n| n.as_name())
        .collect()
}

/// Reads a `.tmTheme` file (a theme's own code colours).
pub fn load_theme_file(path: &std::path::Path) -> Result<Theme, String> {
    syntect::highlighting::ThemeSet::get_theme(path)
        .map_err(|e| format!("cannot read the code theme {}: {e}", path.display()))
}

/// Uses the syntax theme `name` (or the `.tmTheme` file it names) from now on; an unknown name
/// is an error listing the known.
pub fn set_theme(name: &str) -> Result<(), String> {
    if name.ends_with(".tmTheme") {
        let theme = std::sync::Arc::new(load_theme_file(std::path::Path::new(name))?);
        if let Ok(mut slot) = THEME.write() {
            *slot = Some(theme);
        }
        return Ok(());
    }
    let found = two_face::theme::EmbeddedLazyThemeSet::theme_names()
        .iter()
        .find(|n| n.as_name() == name)
        .ok_or_else(|| {
            format!(
                "no syntax theme `{name}`; known: {}",
                theme_names().join(", ")
            )
        })?;
    let theme = std::sync::Arc::new(two_face::theme::extra().get(*found).clone());
    if let Ok(mut slot) = THEME.write() {
        *slot = Some(theme);
    }
    Ok(())
}

/// The grammars, loaded on first use: with Oniguruma's regexes loading takes a few milliseconds
/// and each language compiles its patterns in a few more when a block first uses it, so nothing
/// is loaded before an answer has code (an idle workbench holds no grammar).
pub fn highlighting() -> &'static Highlighting {
    static LOADED: OnceLock<Highlighting> = OnceLock::new();
    LOADED.get_or_init(|| Highlighting {
        syntaxes: two_face::syntax::extra_newlines(),
    })
}

/// Compiles the patterns of the languages architecture answers use most, so that a measurement
/// (the bench) does not count their one-time compilation.
pub fn warm_up() {
    for (lang, sample) in WARM_UP {
        if let Some(mut state) = CodeState::new(lang) {
            for line in sample.lines() {
                state.highlight_line(line);
            }
        }
    }
}

const WARM_UP: &[(&str, &str)] = &[
    ("sql", "/* c */\nCREATE TABLE t (id bigint PRIMARY KEY, n text NOT NULL DEFAULT 'x');\nSELECT a FROM t WHERE b = 1 -- c\n"),
    ("yaml", "a:\n  b: \"c\"\n  - 1\n# c\n"),
    ("bash", "echo \"$HOME\" | grep -v x # c\nfor i in 1 2; do :; done\n"),
    ("json", "{\"a\": [1, true, null, \"s\"]}\n"),
    ("python", "def f(x: int) -> str:\n    return f\"{x}\"  # c\n"),
    ("typescript", "const a: number = 1; // c\ninterface I { b: string }\n"),
];

/// Fence names models use that the grammars know by another name.
fn canonical(lang: &str) -> &str {
    match lang {
        "postgresql" | "postgres" | "psql" | "pgsql" | "plpgsql" | "mysql" | "sqlite" | "tsql" => {
            "sql"
        }
        "shell" | "sh" | "zsh" | "console" | "shell-session" => "bash",
        "yml" => "yaml",
        "jsonc" | "json5" => "json",
        "py" => "python",
        "ts" => "typescript",
        "js" => "javascript",
        "dockerfile" => "Dockerfile",
        other => other,
    }
}

fn find_syntax<'a>(set: &'a SyntaxSet, lang: &str) -> Option<&'a SyntaxReference> {
    let lang = lang.trim().to_ascii_lowercase();
    let lang = canonical(&lang);
    set.find_syntax_by_token(lang)
        .or_else(|| set.find_syntax_by_name(lang))
}

/// Highlighting state of one code block.
#[derive(Clone)]
pub struct CodeState {
    parse: ParseState,
    highlight: HighlightState,
}

impl CodeState {
    /// State for a block in `lang`; `None` when no grammar knows the language (plain text then).
    pub fn new(lang: &str) -> Option<Self> {
        let hl = highlighting();
        let syntax = find_syntax(&hl.syntaxes, lang)?;
        let theme = current_theme();
        let highlighter = Highlighter::new(&theme);
        Some(Self {
            parse: ParseState::new(syntax),
            highlight: HighlightState::new(&highlighter, ScopeStack::new()),
        })
    }

    /// Highlights one line (without its newline), advancing the block's state.
    pub fn highlight_line(&mut self, line: &str) -> Vec<Span<'static>> {
        let hl = highlighting();
        let cut = floor_char_boundary(line, HIGHLIGHT_LIMIT);
        let (head, rest) = line.split_at(cut);
        let with_newline = format!("{head}\n");
        let Ok(ops) = self.parse.parse_line(&with_newline, &hl.syntaxes) else {
            return vec![Span::raw(line.to_string())];
        };
        let theme = current_theme();
        let highlighter = Highlighter::new(&theme);
        let mut spans: Vec<Span<'static>> =
            HighlightIterator::new(&mut self.highlight, &ops, &with_newline, &highlighter)
                .filter_map(|(style, text)| {
                    let text = text.trim_end_matches('\n');
                    (!text.is_empty()).then(|| Span::styled(text.to_string(), convert(style)))
                })
                .collect();
        if !rest.is_empty() {
            spans.push(Span::raw(rest.to_string()));
        }
        spans
    }
}

fn convert(style: syntect::highlighting::Style) -> Style {
    let fg = style.foreground;
    // The ANSI themes (bat's convention): alpha 0 means "palette colour r", alpha 1 the
    // terminal's own default; anything else is a true colour.
    let colour = match fg.a {
        0 => Color::Indexed(fg.r),
        1 => Color::Reset,
        _ => Color::Rgb(fg.r, fg.g, fg.b),
    };
    let mut out = Style::new().fg(colour);
    if style.font_style.contains(FontStyle::BOLD) {
        out = out.add_modifier(Modifier::BOLD);
    }
    if style.font_style.contains(FontStyle::ITALIC) {
        out = out.add_modifier(Modifier::ITALIC);
    }
    if style.font_style.contains(FontStyle::UNDERLINE) {
        out = out.add_modifier(Modifier::UNDERLINED);
    }
    out
}

pub fn floor_char_boundary(s: &str, mut index: usize) -> usize {
    if index >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    fn colours(spans: &[Span]) -> Vec<Option<Color>> {
        spans.iter().map(|s| s.style.fg).collect()
    }

    #[test]
    fn common_languages_have_grammars() {
        for lang in [
            "sql",
            "postgresql",
            "yaml",
            "yml",
            "json",
            "bash",
            "sh",
            "python",
            "typescript",
            "ts",
            "toml",
        ] {
            assert!(CodeState::new(lang).is_some(), "{lang}");
        }
        assert!(CodeState::new("no-such-language").is_none());
    }

    #[test]
    fn state_carries_a_multiline_comment_across_lines() {
        let mut block = CodeState::new("sql").unwrap();
        block.highlight_line("/* start of a comment");
        let inside = block.highlight_line("SELECT still comment");
        let mut fresh = CodeState::new("sql").unwrap();
        let outside = fresh.highlight_line("SELECT still comment");
        assert_ne!(colours(&inside), colours(&outside));
        assert_eq!(
            inside.len(),
            1,
            "the whole line is one comment span: {inside:?}"
        );
    }

    #[test]
    fn long_lines_are_highlighted_only_up_to_the_limit() {
        let mut block = CodeState::new("bash").unwrap();
        let line = format!("echo {}", "A".repeat(8000));
        let spans = block.highlight_line(&line);
        let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, line);
        assert_eq!(spans.last().unwrap().style, Style::default());
    }
}
