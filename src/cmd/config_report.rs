//! What `archbench config show` says beside the model's settings: how the workbench looks and
//! behaves, who reviews, where handoffs go and how they are delivered, each with its source.

use crate::cli::CommonArgs;
use crate::reviewer::Reviewer;
use crate::sink::Mode;

/// The settings beside the model's, each with where it came from: how the workbench looks and
/// behaves, who reviews, where handoffs go and how they are delivered.
pub fn rows(
    common: &CommonArgs,
    loaded: &crate::config::Loaded,
    role: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<(String, String, String)> {
    let config = &loaded.config;
    let row =
        |name: &str, value: String, source: &str| (name.to_string(), value, source.to_string());
    let mut rows = Vec::new();
    // `config show` takes no --theme: the flag, when given to the workbench, wins over these.
    let theme = crate::screen::theme::wanted(None, env("ARCHBENCH_THEME"), config.theme.clone());
    rows.push(match theme {
        Some((name, source)) => row("theme", name, &format!("{source} (--theme wins)")),
        None => row("theme", "dark".into(), "default (--theme wins)"),
    });
    let reviewer = Reviewer::resolve(&config.reviewer);
    let source = match reviewer.source.as_str() {
        "config" => "config [reviewer]",
        "git" => "git user.name / user.email",
        _ => "the account (USER, else the user database)",
    };
    rows.push(row("reviewer", reviewer.label(), source));
    rows.push(match &config.editing {
        Some(e) => row(
            "editing",
            e.get_ref().clone(),
            "config editing (--editing wins)",
        ),
        None => row("editing", "default".into(), "default (--editing wins)"),
    });
    rows.push(match config.mouse {
        Some(m) => row("mouse", m.to_string(), "config mouse (--no-mouse wins)"),
        None => row("mouse", "true".into(), "default (--no-mouse wins)"),
    });
    rows.push(row(
        "keys",
        format!("{} override(s)", config.keys.len()),
        if config.keys.is_empty() {
            "default"
        } else {
            "config [keys] (archbench keys lists them)"
        },
    ));
    let sinks_source = if !common.sinks.is_empty() {
        "flag --sink"
    } else if config.roles.get(role).is_some_and(|r| r.sinks.is_some()) {
        "config [roles.ROLE] sinks"
    } else if config.handoff.sinks.is_some() {
        "config handoff.sinks"
    } else {
        "default"
    };
    for (name, mode) in [("sinks", Mode::Workbench), ("sinks (run)", Mode::Headless)] {
        let plan = loaded.sink_plan(&common.sinks, mode);
        let labels: Vec<String> = plan.for_role(role).iter().map(|s| s.label()).collect();
        rows.push(row(name, labels.join(", "), sinks_source));
    }
    let plan = loaded.sink_plan(&common.sinks, Mode::Headless);
    let o = &plan.options;
    let handoff = &config.handoff;
    let from = |set: bool, key: &str| {
        if set {
            format!("config handoff.{key}")
        } else {
            "default".into()
        }
    };
    rows.push(row(
        "chain depth",
        plan.max_chain_depth.to_string(),
        &from(handoff.max_chain_depth.is_some(), "max_chain_depth"),
    ));
    rows.push(row(
        "webhook",
        format!(
            "{:.1} s timeout, {} retries, first wait {} ms",
            o.webhook_timeout.as_secs_f64(),
            o.webhook_retries,
            o.webhook_backoff.as_millis()
        ),
        &from(
            handoff.webhook_timeout_secs.is_some()
                || handoff.webhook_retries.is_some()
                || handoff.webhook_backoff_ms.is_some(),
            "webhook_*",
        ),
    ));
    rows.push(row(
        "exec",
        format!("{:.1} s timeout", o.exec_timeout.as_secs_f64()),
        &from(handoff.exec_timeout_secs.is_some(), "exec_timeout_secs"),
    ));
    rows
}
