//! The check's settings, from `[check]` (validated once, in `config::check`) and the flags.

use super::server::ServerSpec;
use super::Options;
use crate::config::CheckConfig;
use std::time::Duration;

/// What approving a route asks while the check has errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Require {
    /// Approval is refused until the SQL applies.
    Pass,
    /// Approval asks for a confirmation that names the errors (the default).
    #[default]
    Confirm,
    /// The check informs; approval asks nothing more.
    Off,
}

impl Require {
    pub fn parse(text: &str) -> Option<Require> {
        match text {
            "pass" => Some(Require::Pass),
            "confirm" => Some(Require::Confirm),
            "off" => Some(Require::Off),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub enabled: bool,
    pub server: ServerSpec,
    pub require: Require,
    pub options: Options,
    /// The schema's formats written into the envelope.
    pub envelope_schema: Vec<super::schema::render::Format>,
}

impl Settings {
    /// `--check-url` over `[check] url`; the rest from `[check]`, defaults where unset. A flag's
    /// URL that does not parse is refused here, before anything runs (the file's is checked
    /// where the configuration is read).
    pub fn resolve(config: &CheckConfig, url_flag: Option<&str>) -> Result<Settings, String> {
        if let Some(url) = url_flag {
            if let Err(e) = url.parse::<tokio_postgres::Config>() {
                return Err(format!(
                    "--check-url does not parse ({e}): write it as postgresql://user@host:port/dbname"
                ));
            }
        }
        let url = url_flag
            .map(str::to_string)
            .or_else(|| config.url.as_ref().map(|u| u.get_ref().clone()));
        let defaults = Options::default();
        let secs = |v: &Option<toml::Spanned<f64>>, default: Duration| {
            v.as_ref()
                .map(|s| Duration::from_secs_f64(*s.get_ref()))
                .unwrap_or(default)
        };
        Ok(Settings {
            enabled: config.enabled.unwrap_or(true),
            server: url.map(ServerSpec::Url).unwrap_or(ServerSpec::Throwaway),
            require: config
                .require
                .as_ref()
                .and_then(|r| Require::parse(r.get_ref()))
                .unwrap_or_default(),
            options: Options {
                statement_timeout: secs(&config.statement_timeout_secs, defaults.statement_timeout),
                time_limit: secs(&config.time_limit_secs, defaults.time_limit),
                lints_off: config
                    .lints
                    .iter()
                    .filter(|(_, on)| !*on.get_ref())
                    .map(|(name, _)| name.clone())
                    .collect(),
                brief: None,
                progress: super::Progress::default(),
                dump: false,
            },
            // Names the validator refused never get here; any left over are skipped.
            envelope_schema: config
                .envelope_schema
                .iter()
                .filter_map(|f| super::schema::render::Format::parse(f.get_ref()))
                .collect(),
        })
    }
}
