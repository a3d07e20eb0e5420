//! The UI palette, read from `themes/*.toml` (the default one is compiled in).

use ratatui::style::Color;
use serde::Deserialize;

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PaletteFile {
    #[allow(dead_code)]
    name: String,
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

const DARK: &str = include_str!("../../themes/dark.toml");

impl Palette {
    /// Parses a theme file; the error names the field that is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: PaletteFile = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let c = |field: &str, value: &str| {
            value
                .parse::<Color>()
                .map_err(|_| format!("`{field}`: `{value}` is not a colour"))
        };
        Ok(Self {
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
        })
    }

    /// The shipped dark palette, parsed once.
    pub fn dark() -> Self {
        static DARK_PALETTE: std::sync::OnceLock<Palette> = std::sync::OnceLock::new();
        DARK_PALETTE.get_or_init(Self::parse_dark).clone()
    }

    fn parse_dark() -> Self {
        // The shipped theme is checked by a test; should it ever fail, plain colours still work.
        Self::parse(DARK).unwrap_or(Self {
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
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_theme_parses() {
        assert!(Palette::parse(DARK).is_ok());
    }

    #[test]
    fn a_bad_colour_names_its_field() {
        let broken = DARK.replace("warning = \"yellow\"", "warning = \"mauve-ish\"");
        assert_eq!(
            Palette::parse(&broken).unwrap_err(),
            "`warning`: `mauve-ish` is not a colour"
        );
    }
}
