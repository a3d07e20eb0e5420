//! What parsing alone does not catch: profiles that name what does not exist, values out of
//! range. Every problem is reported, each with its line.

use super::schema::Config;

/// A configuration that could not be used, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ConfigError {
    pub path: String,
    pub line: Option<usize>,
    pub message: String,
}

/// Profiles named anywhere exist; presets are known; a profile takes its key one way; timeouts
/// are positive.
pub(super) fn check_profiles(
    config: &Config,
    error: &impl Fn(Option<std::ops::Range<usize>>, String) -> ConfigError,
    errors: &mut Vec<ConfigError>,
) {
    let known = || {
        let names: Vec<&str> = config.profiles.keys().map(String::as_str).collect();
        if names.is_empty() {
            "none is defined".to_string()
        } else {
            format!("defined: {}", names.join(", "))
        }
    };
    let named = config
        .default_profile
        .iter()
        .chain(config.roles.values().filter_map(|r| r.profile.as_ref()));
    for name in named {
        if !config.profiles.contains_key(name.get_ref()) {
            errors.push(error(
                Some(name.span()),
                format!("no profile `{}` ({})", name.get_ref(), known()),
            ));
        }
    }
    for (name, profile) in &config.profiles {
        if let Some(preset) = &profile.preset {
            if crate::provider::presets::find(preset.get_ref()).is_none() {
                errors.push(error(
                    Some(preset.span()),
                    format!(
                        "profile `{name}`: no preset `{}`; known: {}",
                        preset.get_ref(),
                        crate::provider::presets::names().join(", ")
                    ),
                ));
            }
        }
        if let (Some(_), Some(cmd)) = (&profile.api_key_env, &profile.api_key_cmd) {
            errors.push(error(
                Some(cmd.span()),
                format!("profile `{name}`: give api_key_env or api_key_cmd, not both"),
            ));
        }
    }
    let timeouts = &config.timeouts;
    for t in [
        &timeouts.connect_secs,
        &timeouts.first_token_secs,
        &timeouts.idle_secs,
    ]
    .into_iter()
    .flatten()
    {
        if !(*t.get_ref() > 0.0 && t.get_ref().is_finite()) {
            errors.push(error(
                Some(t.span()),
                "a timeout is a number of seconds above 0".into(),
            ));
        }
    }
    if let Some(editing) = &config.editing {
        if !matches!(editing.get_ref().as_str(), "default" | "vi") {
            errors.push(error(
                Some(editing.span()),
                format!(
                    "editing is \"default\" or \"vi\", not \"{}\"",
                    editing.get_ref()
                ),
            ));
        }
    }
    if config.retry.max_tries == Some(0) {
        errors.push(error(None, "retry.max_tries must be at least 1".into()));
    }
    check_ranges(config, error, errors);
    check_sql_check(&config.check, error, errors);
    if let Some(url) = &config.store.url {
        if let Err(e) = crate::store::inbox::parse_url(url.get_ref(), "store.url") {
            errors.push(error(Some(url.span()), e));
        }
    }
    if let (Some(_), Some(cmd)) = (&config.store.password_env, &config.store.password_cmd) {
        errors.push(error(
            Some(cmd.span()),
            "store: give password_env or password_cmd, not both".into(),
        ));
    }
}

/// `[check]`: a known policy, timeouts in range, lint rules that exist, a URL that parses.
fn check_sql_check(
    check: &super::schema::CheckConfig,
    error: &impl Fn(Option<std::ops::Range<usize>>, String) -> ConfigError,
    errors: &mut Vec<ConfigError>,
) {
    for format in &check.envelope_schema {
        if crate::check::schema::render::Format::parse(format.get_ref()).is_none() {
            errors.push(error(
                Some(format.span()),
                format!(
                    "check.envelope_schema lists \"text\", \"mermaid\", \"dot\" or \"json\", not \"{}\"",
                    format.get_ref()
                ),
            ));
        }
    }
    if let Some(require) = &check.require {
        if crate::check::Require::parse(require.get_ref()).is_none() {
            errors.push(error(
                Some(require.span()),
                format!(
                    "check.require is \"pass\", \"confirm\" or \"off\", not \"{}\"",
                    require.get_ref()
                ),
            ));
        }
    }
    for (name, t) in [
        (
            "check.statement_timeout_secs",
            &check.statement_timeout_secs,
        ),
        ("check.time_limit_secs", &check.time_limit_secs),
    ] {
        if let Some(t) = t {
            let v = *t.get_ref();
            if !(v > 0.0 && v <= MAX_SECONDS) {
                errors.push(error(
                    Some(t.span()),
                    format!(
                        "{name} is a number of seconds above 0 and at most {MAX_SECONDS}, not {}",
                        short_number(v)
                    ),
                ));
            }
        }
    }
    for (rule, on) in &check.lints {
        if crate::check::lint::rule_named(rule).is_none() {
            errors.push(error(
                Some(on.span()),
                format!(
                    "check.lints: no rule `{rule}`; the rules are listed by `archbench check --rules`"
                ),
            ));
        }
    }
    if let Some(url) = &check.url {
        if let Err(e) = url.get_ref().parse::<tokio_postgres::Config>() {
            errors.push(error(
                Some(url.span()),
                format!("check.url does not parse ({e}): write it as postgresql://user@host:port/dbname"),
            ));
        }
    }
}

/// The longest any timeout or wait may be set to: a day. Beyond it a value is a mistake, and
/// some (1e300 seconds) cannot even be a duration.
const MAX_SECONDS: f64 = 86_400.0;

/// A number as a person wrote it: 1e300, not three hundred digits.
fn short_number(n: f64) -> String {
    if n.abs() < 1e12 {
        n.to_string()
    } else {
        format!("{n:e}")
    }
}

/// Every number within what archbench can use: checked here, once, for `config check` and for
/// every start alike.
fn check_ranges(
    config: &Config,
    error: &impl Fn(Option<std::ops::Range<usize>>, String) -> ConfigError,
    errors: &mut Vec<ConfigError>,
) {
    let timeouts = &config.timeouts;
    for (name, t) in [
        ("timeouts.connect_secs", &timeouts.connect_secs),
        ("timeouts.first_token_secs", &timeouts.first_token_secs),
        ("timeouts.idle_secs", &timeouts.idle_secs),
    ] {
        if let Some(t) = t.as_ref().filter(|t| *t.get_ref() > MAX_SECONDS) {
            errors.push(error(
                Some(t.span()),
                format!(
                    "{name} is at most {MAX_SECONDS} seconds (a day), not {}",
                    short_number(*t.get_ref())
                ),
            ));
        }
    }
    let day_ms = (MAX_SECONDS * 1000.0) as u64;
    let handoff = &config.handoff;
    let limits: [(&str, Option<u64>, u64); 7] = [
        ("retry.base_ms", config.retry.base_ms, day_ms),
        ("retry.max_ms", config.retry.max_ms, day_ms),
        (
            "retry.max_tries",
            config.retry.max_tries.map(u64::from),
            100,
        ),
        (
            "handoff.webhook_timeout_secs",
            handoff.webhook_timeout_secs,
            MAX_SECONDS as u64,
        ),
        (
            "handoff.webhook_backoff_ms",
            handoff.webhook_backoff_ms,
            day_ms,
        ),
        (
            "handoff.webhook_retries",
            handoff.webhook_retries.map(u64::from),
            100,
        ),
        (
            "handoff.exec_timeout_secs",
            handoff.exec_timeout_secs,
            MAX_SECONDS as u64,
        ),
    ];
    for (name, value, most) in limits {
        if let Some(value) = value.filter(|v| *v > most) {
            errors.push(error(
                None,
                format!("{name} is at most {most}, not {value}"),
            ));
        }
    }
    if let Some(mb) = config.limits.answer_mb.filter(|mb| !(1..=256).contains(mb)) {
        errors.push(error(
            None,
            format!("limits.answer_mb is from 1 to 256, not {mb}"),
        ));
    }
    if let Some(depth) = handoff.max_chain_depth.filter(|d| *d > 100) {
        errors.push(error(
            None,
            format!("handoff.max_chain_depth is at most 100, not {depth}"),
        ));
    }
}
