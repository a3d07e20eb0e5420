//! How the workbench looks and is driven: colours, theme, mouse, vi editing and the key table,
//! from the flags, the environment and the configuration (`archbench keys` prints the table).

use super::setup::{env, load_config};
use crate::cli::{exit, Cli};
use crate::paths;
use crate::state::{Notice, NoticeLevel, State};

/// How the workbench looks: the colours the terminal shows and the theme.
pub struct Look {
    mouse: bool,
    vi: bool,
    colour: crate::screen::colour::Depth,
    theme: crate::screen::theme::Theme,
    themes: Vec<crate::screen::theme::Theme>,
    /// Theme files that could not be used, a theme name not found.
    problems: Vec<String>,
}

/// The colours: `--color`, else what the environment says. The theme: `--theme`, else
/// `ARCHBENCH_THEME`, else the configuration's, else dark; user themes from the config folder.
pub fn look(cli: &Cli, config: &crate::config::Config) -> Look {
    use crate::screen::theme::{self, Theme};
    let colour = cli.color.depth(&env);
    let (themes, mut problems) = theme::load(Some(&paths::config_dir().join("themes")));
    let mouse = !cli.no_mouse && config.mouse.unwrap_or(true);
    let vi = cli
        .editing
        .clone()
        .or_else(|| config.editing.as_ref().map(|e| e.get_ref().clone()))
        .is_some_and(|e| e == "vi");
    if !config.keys.is_empty() {
        let keys = &config.keys;
        let (table, key_problems) = crate::keymap::with_overrides(keys);
        crate::keymap::install(table);
        problems.extend(key_problems);
    }
    let wanted = theme::wanted(
        cli.theme.as_deref(),
        env("ARCHBENCH_THEME"),
        config.theme.clone(),
    )
    .map(|(name, _)| name);
    let theme = match wanted {
        Some(name) => theme::choose(&themes, &name).unwrap_or_else(|e| {
            problems.push(format!("{e}; the default is used"));
            Theme::dark()
        }),
        None => Theme::dark(),
    };
    Look {
        mouse,
        vi,
        colour,
        theme,
        themes,
        problems,
    }
}

impl Look {
    pub fn apply(self, state: &mut State) {
        // Checked when the theme was read; the default code theme stays on a failure.
        let _ = crate::render::highlight::set_theme(&self.theme.syntax);
        state.colour = self.colour;
        state.mouse = self.mouse;
        if self.vi {
            state.vi = Some(crate::state::vi::Vi::new());
        }
        state.use_theme(self.theme);
        state.themes = self.themes;
        if !self.problems.is_empty() {
            let text = self.problems.join("; ");
            state.notice = Some(match state.notice.take() {
                Some(earlier) => Notice {
                    level: earlier.level,
                    text: format!("{} {text}.", earlier.text),
                },
                None => Notice {
                    level: NoticeLevel::Warning,
                    text: format!("{text}."),
                },
            });
        }
    }
}

/// `archbench keys`: the table in force (the configuration's overrides applied), and what is
/// wrong with them.
pub fn keys(cli: &Cli) -> i32 {
    let loaded = match load_config(&cli.common) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let problems = look(cli, &loaded.config).problems;
    for b in crate::keymap::table() {
        let keys: Vec<String> = b.keys.iter().map(|k| k.label()).collect();
        crate::say!(
            "{:<28} {:<18} {}",
            crate::keymap::name(b),
            keys.join(" "),
            b.description
        );
    }
    for p in &problems {
        crate::tell!("archbench: {p}");
    }
    exit::OK
}
