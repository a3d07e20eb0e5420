//! Colour that adapts to the terminal: truecolor where it says so (`COLORTERM`), else 256
//! colours, else the 16 ANSI ones, else none (`NO_COLOR`, or asked for). It is decided once at
//! start from the environment (never by querying the terminal, which tmux and many ssh setups
//! block) and applied to the finished frame, so the palette and the syntax colours alike never
//! reach the terminal as RGB it cannot show. Without colour, structure stays: what was set apart
//! by a background is shown reversed.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// 24-bit colour.
    Truecolor,
    /// The 256-colour palette.
    Ansi256,
    /// The 16 ANSI colours.
    Ansi16,
    /// No colour: bold, underline and reverse only.
    None,
}

/// The `--color` flag: a depth, or `auto` to ask the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColourFlag {
    Auto,
    Truecolor,
    #[value(name = "256")]
    Ansi256,
    #[value(name = "16")]
    Ansi16,
    None,
}

impl ColourFlag {
    pub fn depth(self, env: &dyn Fn(&str) -> Option<String>) -> Depth {
        match self {
            Self::Auto => detect(env),
            Self::Truecolor => Depth::Truecolor,
            Self::Ansi256 => Depth::Ansi256,
            Self::Ansi16 => Depth::Ansi16,
            Self::None => Depth::None,
        }
    }
}

/// The depth the environment says: `NO_COLOR` (any value) means none; `COLORTERM` of
/// `truecolor` or `24bit` means truecolor; a `TERM` naming 256 colours means 256; `dumb` means
/// none; anything else, 16.
pub fn detect(env: &dyn Fn(&str) -> Option<String>) -> Depth {
    if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return Depth::None;
    }
    let colorterm = env("COLORTERM").unwrap_or_default().to_ascii_lowercase();
    if colorterm == "truecolor" || colorterm == "24bit" {
        return Depth::Truecolor;
    }
    let term = env("TERM").unwrap_or_default().to_ascii_lowercase();
    if term.contains("256color") || term.contains("direct") {
        Depth::Ansi256
    } else if term == "dumb" {
        Depth::None
    } else {
        Depth::Ansi16
    }
}

/// Maps every cell of `buffer` to `depth`.
pub fn adapt(buffer: &mut Buffer, depth: Depth) {
    if depth == Depth::Truecolor {
        return;
    }
    for cell in buffer.content.iter_mut() {
        if depth == Depth::None {
            if !matches!(cell.bg, Color::Reset) {
                cell.modifier.insert(Modifier::REVERSED);
            }
            cell.fg = Color::Reset;
            cell.bg = Color::Reset;
            continue;
        }
        cell.fg = map(cell.fg, depth);
        cell.bg = map(cell.bg, depth);
    }
}

/// One colour at `depth` (truecolor and named colours pass; `None` is handled by [`adapt`]).
pub fn map(colour: Color, depth: Depth) -> Color {
    match (colour, depth) {
        (Color::Rgb(r, g, b), Depth::Ansi256) => Color::Indexed(to_256(r, g, b)),
        (Color::Rgb(r, g, b), Depth::Ansi16) => to_16(r, g, b),
        (Color::Indexed(n), Depth::Ansi16) if n >= 16 => {
            let (r, g, b) = rgb_of_256(n);
            to_16(r, g, b)
        }
        (Color::Indexed(n), Depth::Ansi16) => ANSI16[n as usize].0,
        (other, _) => other,
    }
}

const CUBE: [u8; 6] = [0, 95, 135, 175, 215, 255];

fn distance(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).pow(2) as u32;
    // Weighted as the eye weighs them (green most, blue least).
    3 * d(a.0, b.0) + 4 * d(a.1, b.1) + 2 * d(a.2, b.2)
}

/// The nearest colour of the 256-colour palette's cube and grey ramp.
fn to_256(r: u8, g: u8, b: u8) -> u8 {
    let level = |v: u8| {
        CUBE.iter()
            .enumerate()
            .min_by_key(|(_, c)| (i32::from(**c) - i32::from(v)).abs())
            .map_or(0, |(i, _)| i as u8)
    };
    let (cr, cg, cb) = (level(r), level(g), level(b));
    let cube = 16 + 36 * cr + 6 * cg + cb;
    let cube_rgb = (CUBE[cr as usize], CUBE[cg as usize], CUBE[cb as usize]);
    let grey_level = ((u32::from(r) + u32::from(g) + u32::from(b)) / 3) as u8;
    let grey_index = (grey_level.saturating_sub(8) / 10).min(23);
    let grey_value = 8 + 10 * grey_index;
    let grey = (grey_value, grey_value, grey_value);
    if distance((r, g, b), grey) < distance((r, g, b), cube_rgb) {
        232 + grey_index
    } else {
        cube
    }
}

fn rgb_of_256(n: u8) -> (u8, u8, u8) {
    match n {
        0..=15 => ANSI16[n as usize].1,
        16..=231 => {
            let i = n - 16;
            (
                CUBE[(i / 36) as usize],
                CUBE[((i / 6) % 6) as usize],
                CUBE[(i % 6) as usize],
            )
        }
        _ => {
            let v = 8 + 10 * (n - 232);
            (v, v, v)
        }
    }
}

/// The 16 ANSI colours and the values xterm gives them.
const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

fn to_16(r: u8, g: u8, b: u8) -> Color {
    ANSI16
        .iter()
        .min_by_key(|(_, rgb)| distance((r, g, b), *rgb))
        .map_or(Color::Reset, |(c, _)| *c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_depth_comes_from_the_environment_without_asking_the_terminal() {
        assert_eq!(
            detect(&env(&[("COLORTERM", "truecolor"), ("TERM", "xterm")])),
            Depth::Truecolor
        );
        assert_eq!(detect(&env(&[("TERM", "screen-256color")])), Depth::Ansi256);
        assert_eq!(detect(&env(&[("TERM", "xterm")])), Depth::Ansi16);
        assert_eq!(detect(&env(&[("TERM", "dumb")])), Depth::None);
        assert_eq!(
            detect(&env(&[("NO_COLOR", "1"), ("COLORTERM", "truecolor")])),
            Depth::None,
            "NO_COLOR wins"
        );
        assert_eq!(
            detect(&env(&[("NO_COLOR", ""), ("TERM", "xterm")])),
            Depth::Ansi16,
            "an empty NO_COLOR is unset"
        );
    }

    #[test]
    fn rgb_is_mapped_to_the_nearest_colour_the_terminal_has() {
        assert_eq!(
            map(Color::Rgb(255, 0, 0), Depth::Ansi256),
            Color::Indexed(196)
        );
        assert_eq!(
            map(Color::Rgb(0x1f, 0x24, 0x30), Depth::Ansi256),
            Color::Indexed(235),
            "a dark grey-blue: grey ramp"
        );
        assert_eq!(map(Color::Rgb(250, 250, 250), Depth::Ansi16), Color::White);
        assert_eq!(map(Color::Rgb(200, 20, 20), Depth::Ansi16), Color::Red);
        assert_eq!(map(Color::Indexed(196), Depth::Ansi16), Color::LightRed);
        assert_eq!(map(Color::Indexed(3), Depth::Ansi16), Color::Yellow);
        assert_eq!(
            map(Color::LightCyan, Depth::Ansi16),
            Color::LightCyan,
            "named colours pass"
        );
        assert_eq!(
            map(Color::Rgb(1, 2, 3), Depth::Truecolor),
            Color::Rgb(1, 2, 3)
        );
    }

    #[test]
    fn without_colour_what_had_a_background_is_reversed() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 3, 1));
        buffer.set_string(
            0,
            0,
            "a",
            Style::default()
                .fg(Color::Rgb(9, 9, 9))
                .add_modifier(Modifier::BOLD),
        );
        buffer.set_string(1, 0, "b", Style::default().bg(Color::LightCyan));
        adapt(&mut buffer, Depth::None);
        let a = &buffer[(0, 0)];
        assert_eq!((a.fg, a.bg), (Color::Reset, Color::Reset));
        assert!(a.modifier.contains(Modifier::BOLD), "structure stays");
        let b = &buffer[(1, 0)];
        assert!(b.modifier.contains(Modifier::REVERSED));
        assert_eq!(b.bg, Color::Reset);
    }

    #[test]
    fn a_16_colour_frame_holds_no_rgb_or_indexed_colour() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 2, 1));
        buffer.set_string(
            0,
            0,
            "x",
            Style::default()
                .fg(Color::Rgb(100, 149, 237))
                .bg(Color::Indexed(235)),
        );
        adapt(&mut buffer, Depth::Ansi16);
        for cell in buffer.content.iter() {
            for c in [cell.fg, cell.bg] {
                assert!(!matches!(c, Color::Rgb(..) | Color::Indexed(_)), "{c:?}");
            }
        }
    }
}
