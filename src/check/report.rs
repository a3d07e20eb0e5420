//! A check's report as people read it: the one-line summary (outline, routes pane, history) and
//! the full text `archbench check` prints. Raw text: the caller's output gate sanitises it.

use super::{Report, Severity};

/// `SQL: 31 statements · 29 applied · 2 errors · 5 warnings`, with what else there is to say.
pub fn summary(report: &Report) -> String {
    let mut parts = vec![format!("{} statements", report.statements)];
    if report.server.is_some() {
        parts.push(format!("{} applied", report.applied));
    } else {
        parts.push("not applied".into());
    }
    parts.push(plural(report.errors.len(), "error"));
    parts.push(plural(report.warnings(), "warning"));
    if !report.unavailable.is_empty() {
        parts.push(format!(
            "{} unavailable",
            plural(report.unavailable.len(), "extension")
        ));
    }
    if report.not_run > 0 {
        parts.push(format!("{} not run (time limit)", report.not_run));
    }
    if !report.skipped.is_empty() {
        parts.push(format!("{} skipped", report.skipped.len()));
    }
    format!("SQL: {}", parts.join(" · "))
}

/// `1 error`, `2 errors`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The whole report, a section per kind of finding, each line led by `line:column`.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let server = report.server.as_deref().unwrap_or("no server");
    out.push_str(&format!(
        "{}\nchecked on {server} in {:.2} s\n",
        summary(report),
        report.elapsed_ms as f64 / 1000.0
    ));
    if let Some(why) = &report.not_applied {
        out.push_str(&format!("not applied: {why}\n"));
    }
    if !report.errors.is_empty() {
        out.push_str("\nErrors\n");
        for e in &report.errors {
            out.push_str(&format!(
                "  {:>4}:{:<3} {}  {}",
                e.line, e.column, e.sqlstate, e.message
            ));
            if let Some(line) = e.follows_from {
                out.push_str(&format!("  (follows from line {line})"));
            }
            out.push('\n');
            for (label, value) in [("detail", &e.detail), ("hint", &e.hint)] {
                if let Some(value) = value {
                    out.push_str(&format!("             {label}: {value}\n"));
                }
            }
        }
    }
    if !report.unavailable.is_empty() {
        out.push_str("\nNot available on the check server (not a mistake of the design)\n");
        for u in &report.unavailable {
            out.push_str(&format!(
                "  {:>4}      {}: {}\n",
                u.line, u.extension, u.reason
            ));
        }
    }
    if !report.plans.is_empty() {
        out.push_str("\nQueries, planned (EXPLAIN, sequential scans discouraged)\n");
        for p in &report.plans {
            out.push_str(&format!(
                "  {:>4}      {}: {}\n",
                p.line,
                p.kind,
                p.served()
            ));
            for c in &p.claims {
                out.push_str(&format!("  {:>4}      {}\n", c.line, c.verdict()));
            }
        }
    }
    if !report.lints.is_empty() {
        out.push_str("\nLints\n");
        for l in &report.lints {
            let severity = match l.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            out.push_str(&format!(
                "  {:>4}:{:<3} {severity:<7} {}  {}\n",
                l.line, l.column, l.rule, l.message
            ));
        }
    }
    if !report.skipped.is_empty() || !report.parsed_only.is_empty() {
        out.push_str("\nNot applied\n");
        for p in &report.parsed_only {
            out.push_str(&format!(
                "  {:>4}      {}: {} statements parsed with its grammar (parse only)\n",
                p.line, p.dialect, p.statements
            ));
        }
        for s in &report.skipped {
            out.push_str(&format!("  {:>4}      {}\n", s.line, s.reason));
        }
    }
    out
}
