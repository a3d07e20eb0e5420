//! `archbench audit verify|show`: the audit log checked, or read as a table (every record unless
//! a filter is given) or as JSON. What the log holds was written from model output and reviewers'
//! words: every field printed passes through the sanitizer.

use crate::cli::exit;
use crate::sanitize::sanitize_line;
use crate::store::audit::{self, AuditRecord};
use std::path::Path;

/// `archbench audit verify`: exit 0 with the crashes recovered, or 5 with every problem.
pub fn verify(path: &Path) -> i32 {
    match audit::verify_report(path) {
        Ok(report) => {
            for crash in &report.crashes {
                println!("{}:{}: {}", path.display(), crash.line, crash.message);
            }
            let crashes = match report.crashes.len() {
                0 => String::new(),
                n => format!(" ({n} crash(es) recovered, listed above: not tampering)"),
            };
            println!(
                "{}: {} records, the chain is intact{crashes}",
                path.display(),
                report.records
            );
            exit::OK
        }
        Err(problems) => {
            for p in &problems {
                eprintln!("{}:{}: {}", path.display(), p.line, p.message);
            }
            eprintln!(
                "archbench: the audit log has been tampered with ({} problem(s))",
                problems.len()
            );
            exit::TAMPERED
        }
    }
}

/// Which records `show` prints: all, unless a chain or a role is given.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// A prefix of the chain's id.
    pub chain: Option<String>,
    pub role: Option<String>,
}

impl Filter {
    fn keeps(&self, r: &AuditRecord) -> bool {
        self.chain
            .as_ref()
            .is_none_or(|c| r.chain_id.starts_with(c.as_str()))
            && self.role.as_ref().is_none_or(|x| &r.role == x)
    }
}

/// `archbench audit show`: a table with who did what, to where and why; or JSON (one array).
pub fn show(path: &Path, filter: &Filter, json: bool) -> i32 {
    let records = match audit::read(path) {
        Ok(records) => records,
        Err(e) => {
            eprintln!(
                "archbench: cannot read the audit log {}: {e}",
                path.display()
            );
            return exit::BAD_INPUT;
        }
    };
    let kept: Vec<&AuditRecord> = records.iter().filter(|r| filter.keeps(r)).collect();
    if json {
        println!("{}", serde_json::to_string(&kept).unwrap_or_default());
        return exit::OK;
    }
    let rows: Vec<Row> = kept.iter().map(|r| Row::of(r)).collect();
    let width = |f: &dyn Fn(&Row) -> usize, header: &str| {
        rows.iter().map(f).max().unwrap_or(0).max(header.len())
    };
    let kind_w = width(&|r| r.kind.chars().count(), "kind");
    let role_w = width(&|r| r.role.chars().count(), "role");
    let who_w = width(&|r| r.reviewer.chars().count(), "reviewer").min(24);
    let action_w = width(&|r| r.action.chars().count(), "action");
    let target_w = width(&|r| r.target.chars().count(), "target").min(28);
    println!(
        "{:>5}  {:<19}  {:<kind_w$}  {:<role_w$}  {:>3}  {:<8}  {:<who_w$}  {:<action_w$}  {:<target_w$}  reason / detail",
        "seq", "time (UTC)", "kind", "role", "try", "chain", "reviewer", "action", "target"
    );
    for (r, row) in kept.iter().zip(&rows) {
        println!(
            "{:>5}  {:<19}  {:<kind_w$}  {:<role_w$}  {:>3}  {:<8}  {:<who_w$}  {:<action_w$}  {:<target_w$}  {}",
            r.seq,
            r.at.format("%Y-%m-%d %H:%M:%S"),
            row.kind,
            row.role,
            r.attempt,
            row.chain,
            cut(&row.reviewer, who_w),
            row.action,
            cut(&row.target, target_w),
            row.detail
        );
    }
    if kept.len() < records.len() {
        eprintln!(
            "{} of {} records shown (the others are outside the filter)",
            kept.len(),
            records.len()
        );
    }
    exit::OK
}

/// A record's columns, sanitized.
struct Row {
    kind: String,
    role: String,
    chain: String,
    reviewer: String,
    action: String,
    target: String,
    detail: String,
}

impl Row {
    fn of(r: &AuditRecord) -> Self {
        let text = |key: &str| {
            r.data.get(key).filter(|v| !v.is_null()).map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            })
        };
        let clean = |s: &str| sanitize_line(s).into_owned();
        let reviewer = r
            .data
            .get("reviewer")
            .and_then(|v| v.get("name").or(Some(v)))
            .and_then(|v| v.as_str())
            .unwrap_or("-");
        let reason = text("reason")
            .or_else(|| text("why"))
            .or_else(|| text("error"))
            .or_else(|| text("feedback"));
        let detail = match reason {
            Some(reason) => reason,
            None => detail(&r.data),
        };
        Self {
            kind: clean(&r.kind),
            role: clean(&r.role),
            chain: clean(&r.chain_id.chars().take(8).collect::<String>()),
            reviewer: clean(reviewer),
            action: clean(&text("action").unwrap_or_else(|| "-".into())),
            target: clean(
                &text("target")
                    .or_else(|| text("to"))
                    .unwrap_or_else(|| "-".into()),
            ),
            detail: clean(&detail),
        }
    }
}

/// The other facts of a record, `key=value`, each cut short.
fn detail(data: &serde_json::Value) -> String {
    let mut parts = Vec::new();
    for key in ["status", "sink", "finish_reason", "path", "envelope_id"] {
        if let Some(v) = data.get(key).filter(|v| !v.is_null()) {
            let text = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            parts.push(format!(
                "{key}={}",
                text.chars().take(60).collect::<String>()
            ));
        }
    }
    parts.join(" ")
}

/// `text` at most `width` characters, with an ellipsis when cut.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}
