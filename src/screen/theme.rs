//! Themes: a UI palette and the code highlighting theme to use, from `themes/*.toml` (shipped
//! inside the binary) and from the user's `themes/` folder in the config folder. A broken theme
//! file is reported by file and field, and left out; the default stays available.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct Palette {
    pub border: Color,
    pub focus: Color,
    pub title: Color,
    pub dim: Color,
    pub info: Color,
    pub success: Color,
    pub warning: Color,
    pub error: Color,
    pub candidate: Color,
    pub selected_fg: Color,
    pub selected_bg: Color,
    pub header_bg: Color,
}

/// A theme: its name, palette, and syntax theme.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub palette: Palette,
    /// The code highlighting theme (a name from [`crate::render::highlight::theme_names`]).
    pub syntax: String,
    /// Where it came from: `shipped` or a file.
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    syntax: Option<String>,
    border: String,
    focus: String,
    title: String,
    dim: String,
    info: String,
    success: String,
    warning: String,
    error: String,
    candidate: String,
    selected_fg: String,
    selected_bg: String,
    header_bg: String,
}

/// The themes inside the binary, the default first.
pub const SHIPPED: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("sixteen", include_str!("../../themes/sixteen.toml")),
];

impl Theme {
    /// Parses a theme file; the error names the field that is wrong.
    pub fn parse(text: &str, source: &str) -> Result<Self, String> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let c = |field: &str, value: &str| {
            value
                .parse::<Color>()
                .map_err(|_| format!("`{field}`: `{value}` is not a colour"))
        };
        let mut syntax = file
            .syntax
            .unwrap_or_else(|| crate::render::highlight::DEFAULT_THEME.to_string());
        if syntax.ends_with(".tmTheme") {
            // A code theme shipped with the theme: its path is relative to the theme's file.
            let beside = Path::new(source).parent().unwrap_or(Path::new("."));
            let path = beside.join(&syntax);
            crate::render::highlight::load_theme_file(&path)
                .map_err(|e| format!("`syntax`: {e}"))?;
            syntax = path.display().to_string();
        } else if !crate::render::highlight::theme_names().contains(&syntax.as_str()) {
            return Err(format!(
                "`syntax`: no code theme `{syntax}`; known: {}",
                crate::render::highlight::theme_names().join(", ")
            ));
        }
        Ok(Self {
            name: file.name,
            syntax,
            source: source.to_string(),
            palette: Palette {
                border: c("border", &file.border)?,
                focus: c("focus", &file.focus)?,
                title: c("title", &file.title)?,
                dim: c("dim", &file.dim)?,
                info: c("info", &file.info)?,
                success: c("success", &file.success)?,
                warning: c("warning", &file.warning)?,
                error: c("error", &file.error)?,
                candidate: c("candidate", &file.candidate)?,
                selected_fg: c("selected_fg", &file.selected_fg)?,
                selected_bg: c("selected_bg", &file.selected_bg)?,
                header_bg: c("header_bg", &file.header_bg)?,
            },
        })
    }

    /// The default theme.
    pub fn dark() -> Self {
        static DARK: std::sync::OnceLock<Theme> = std::sync::OnceLock::new();
        DARK.get_or_init(|| {
            // The shipped themes are checked by a test; should one ever fail, plain colours work.
            Self::parse(SHIPPED[0].1, "shipped").unwrap_or(Self {
                name: "dark".into(),
                syntax: crate::render::highlight::DEFAULT_THEME.into(),
                source: "shipped".into(),
                palette: Palette {
                    border: Color::DarkGray,
                    focus: Color::LightCyan,
                    title: Color::White,
                    dim: Color::Gray,
                    info: Color::LightBlue,
                    success: Color::LightGreen,
                    warning: Color::Yellow,
                    error: Color::LightRed,
                    candidate: Color::LightYellow,
                    selected_fg: Color::Black,
                    selected_bg: Color::LightCyan,
                    header_bg: Color::Reset,
                },
            })
        })
        .clone()
    }

    /// How the answer's markdown looks in this theme.
    pub fn markdown(&self) -> crate::render::MdStyles {
        let p = &self.palette;
        crate::render::MdStyles {
            heading: [
                Style::new()
                    .fg(p.focus)
                    .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                Style::new().fg(p.focus).add_modifier(Modifier::BOLD),
                Style::new().fg(p.title).add_modifier(Modifier::BOLD),
            ],
            emphasis: Style::new().add_modifier(Modifier::ITALIC),
            strong: Style::new().add_modifier(Modifier::BOLD),
            code_inline: Style::new().fg(p.warning),
            code_frame: Style::new().fg(p.border),
            link: Style::new().fg(p.info).add_modifier(Modifier::UNDERLINED),
            quote: Style::new().fg(p.dim).add_modifier(Modifier::ITALIC),
            bullet: Style::new().fg(p.candidate),
            rule: Style::new().fg(p.border),
            table_header: Style::new().add_modifier(Modifier::BOLD),
            table_frame: Style::new().fg(p.border),
            strike: Style::new().add_modifier(Modifier::CROSSED_OUT),
        }
    }
}

impl Palette {
    /// The default theme's palette.
    pub fn dark() -> Self {
        Theme::dark().palette
    }
}

/// The shipped themes and the user's (`dir/*.toml`); a user theme with a shipped name replaces
/// it. Returns the themes and a message for each file that could not be used.
/// The theme asked for, and by what: `--theme`, else `ARCHBENCH_THEME`, else the configuration's
/// `theme`; `None` leaves the default. The one precedence the workbench and `config show` use.
pub fn wanted(
    flag: Option<&str>,
    env: Option<String>,
    config: Option<String>,
) -> Option<(String, &'static str)> {
    if let Some(flag) = flag {
        return Some((flag.to_string(), "flag --theme"));
    }
    if let Some(env) = env.filter(|t| !t.trim().is_empty()) {
        return Some((env, "environment ARCHBENCH_THEME"));
    }
    config.map(|c| (c, "config theme"))
}

/// The theme named `name` among `themes`, or why there is none.
pub fn choose(themes: &[Theme], name: &str) -> Result<Theme, String> {
    themes
        .iter()
        .find(|t| t.name == name)
        .cloned()
        .ok_or_else(|| {
            let known: Vec<&str> = themes.iter().map(|t| t.name.as_str()).collect();
            format!("no theme `{name}` (known: {})", known.join(", "))
        })
}

pub fn load(dir: Option<&Path>) -> (Vec<Theme>, Vec<String>) {
    let mut themes: Vec<Theme> = SHIPPED
        .iter()
        .filter_map(|(_, text)| Theme::parse(text, "shipped").ok())
        .collect();
    let mut problems = Vec::new();
    let mut files: Vec<std::path::PathBuf> = dir
        .and_then(|d| std::fs::read_dir(d).ok())
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for path in files {
        let shown = path.display().to_string();
        let parsed = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| Theme::parse(&text, &shown));
        match parsed {
            Ok(theme) => match themes.iter_mut().find(|t| t.name == theme.name) {
                Some(existing) => *existing = theme,
                None => themes.push(theme),
            },
            Err(e) => problems.push(format!("theme {shown}: {e}; it is left out")),
        }
    }
    (themes, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_over_the_environment_which_wins_over_the_configuration() {
        let some = |s: &str| Some(s.to_string());
        assert_eq!(
            wanted(Some("light"), some("sixteen"), some("dark")),
            Some(("light".into(), "flag --theme"))
        );
        assert_eq!(
            wanted(None, some("sixteen"), some("dark")),
            Some(("sixteen".into(), "environment ARCHBENCH_THEME"))
        );
        assert_eq!(
            wanted(None, some("  "), some("dark")),
            Some(("dark".into(), "config theme"))
        );
        assert_eq!(wanted(None, None, None), None);
    }

    #[test]
    fn every_shipped_theme_parses() {
        for (name, text) in SHIPPED {
            let theme = Theme::parse(text, "shipped").unwrap();
            assert_eq!(&theme.name, name);
        }
    }

    #[test]
    fn the_sixteen_colour_theme_uses_only_ansi_colours() {
        let theme = Theme::parse(SHIPPED[3].1, "shipped").unwrap();
        let p = &theme.palette;
        for c in [
            p.border,
            p.focus,
            p.title,
            p.dim,
            p.info,
            p.success,
            p.warning,
            p.error,
            p.candidate,
            p.selected_fg,
            p.selected_bg,
            p.header_bg,
        ] {
            assert!(!matches!(c, Color::Rgb(..) | Color::Indexed(_)), "{c:?}");
        }
        assert_eq!(
            theme.syntax, "ansi",
            "code colours from the terminal's palette too"
        );
    }

    #[test]
    fn a_bad_colour_or_syntax_theme_names_its_field() {
        let broken = SHIPPED[0]
            .1
            .replace("warning = \"yellow\"", "warning = \"mauve-ish\"");
        assert_eq!(
            Theme::parse(&broken, "x").unwrap_err(),
            "`warning`: `mauve-ish` is not a colour"
        );
        let broken = SHIPPED[0].1.replace("base16-ocean.dark", "vaporwave");
        assert!(Theme::parse(&broken, "x")
            .unwrap_err()
            .starts_with("`syntax`: no code theme `vaporwave`"));
    }

    #[test]
    fn a_theme_may_bring_its_own_tmtheme_file() {
        let dir = tempfile::tempdir().unwrap();
        let tm = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict><key>name</key><string>Mine</string><key>settings</key><array>
<dict><key>settings</key><dict><key>foreground</key><string>#112233</string></dict></dict>
<dict><key>scope</key><string>keyword</string><key>settings</key><dict><key>foreground</key><string>#AA0000</string></dict></dict>
</array></dict></plist>"#;
        std::fs::write(dir.path().join("mine.tmTheme"), tm).unwrap();
        let file = dir.path().join("mine.toml");
        let text = SHIPPED[0]
            .1
            .replace("name = \"dark\"", "name = \"mine\"")
            .replace("base16-ocean.dark", "mine.tmTheme");
        let theme = Theme::parse(&text, &file.display().to_string()).unwrap();
        assert_eq!(
            theme.syntax,
            dir.path().join("mine.tmTheme").display().to_string()
        );
        let missing = text.replace("mine.tmTheme", "gone.tmTheme");
        let err = Theme::parse(&missing, &file.display().to_string()).unwrap_err();
        assert!(
            err.starts_with("`syntax`: cannot read the code theme"),
            "{err}"
        );
    }

    #[test]
    fn user_themes_join_the_shipped_ones_and_a_broken_file_is_named_and_left_out() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.toml"),
            SHIPPED[0].1.replace("name = \"dark\"", "name = \"mine\""),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("broken.toml"),
            SHIPPED[0]
                .1
                .replace("focus = \"light_cyan\"", "focus = \"sky\""),
        )
        .unwrap();
        let (themes, problems) = load(Some(dir.path()));
        let names: Vec<&str> = themes.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["dark", "light", "high-contrast", "sixteen", "mine"]);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].contains("broken.toml") && problems[0].contains("`focus`: `sky`"),
            "{}",
            problems[0]
        );
    }
}
