//! `archbench audit verify|show`: the audit log checked, or read as a table (every record unless
//! a filter is given) or as JSON. What the log holds was written from model output and reviewers'
//! words: every field printed passes through the sanitizer.

use crate::cli::exit;
use crate::sanitize::sanitize_line;
use crate::store::audit::{self, AuditRecord};
use std::path::Path;

/// What the log is checked against besides itself.
#[derive(Debug, Clone, Default)]
pub struct Witnesses<'a> {
    /// The session store, which keeps the last record it saw written.
    pub store: Option<&'a Path>,
    /// The outbox, whose envelopes name their handoff's record.
    pub outbox: Option<&'a Path>,
}

/// `archbench audit verify`: exit 0 with the crashes recovered, or 5 with every problem: in the
/// log's own chain, and against the session store's head and the outbox's envelopes.
pub fn verify(path: &Path, witnesses: &Witnesses) -> i32 {
    let mut result = audit::verify_report(path);
    let hashes = audit::line_hashes(path).unwrap_or_default();
    let mut against = cross_check(path, &hashes, witnesses);
    if !against.is_empty() {
        result = match result {
            Ok(_) => Err(against),
            Err(mut problems) => {
                problems.append(&mut against);
                Err(problems)
            }
        };
    }
    match result {
        Ok(report) => {
            for crash in &report.crashes {
                crate::say!("{}:{}: {}", path.display(), crash.line, crash.message);
            }
            let crashes = match report.crashes.len() {
                0 => String::new(),
                n => format!(" ({n} crash(es) recovered, listed above: not tampering)"),
            };
            crate::say!(
                "{}: {} records, the chain is intact{crashes}",
                path.display(),
                report.records
            );
            exit::OK
        }
        Err(problems) => {
            for p in &problems {
                crate::tell!("{}:{}: {}", path.display(), p.line, p.message);
            }
            crate::tell!(
                "archbench: the audit log has been tampered with ({} problem(s))",
                problems.len()
            );
            exit::TAMPERED
        }
    }
}

/// Problems the log's own chain cannot show: records the session store saw written, or that an
/// envelope names, which the log no longer holds (the log or its end deleted with its head file).
fn cross_check(
    path: &Path,
    hashes: &std::collections::HashMap<u64, String>,
    witnesses: &Witnesses,
) -> Vec<audit::Problem> {
    let mut problems = Vec::new();
    let holds = |seq: u64, sha: &str| hashes.get(&seq).is_some_and(|h| h == sha);
    if let Some(store) = witnesses.store.filter(|s| s.exists()) {
        let head = crate::store::sessions::Store::open(store)
            .and_then(|s| s.audit_head(&audit::log_key(path)));
        match head {
            Ok(Some((seq, sha, at))) if !holds(seq, &sha) => problems.push(audit::Problem {
                line: 0,
                message: format!(
                    "the session store {} saw record {seq} written at {at}, and the log does not hold it: the log, or its end, was deleted or replaced",
                    store.display()
                ),
            }),
            Ok(_) => {}
            Err(e) => tracing::warn!("cannot read the audit head from {}: {e}", store.display()),
        }
    }
    if let Some(outbox) = witnesses.outbox {
        let this_log = audit::log_id(path).unwrap_or_default();
        for (file, id, audit_ref) in envelopes(outbox) {
            let message = if audit_ref.log != this_log {
                format!(
                    "the envelope {} ({id}) was recorded in an audit log whose first record is not this log's: the log was deleted or replaced (or the envelope belongs to another log: give its --log)",
                    file.display()
                )
            } else if !holds(audit_ref.seq, &audit_ref.sha256) {
                format!(
                    "the envelope {} ({id}) was recorded as record {}, and the log does not hold it: records were deleted",
                    file.display(),
                    audit_ref.seq
                )
            } else {
                continue;
            };
            problems.push(audit::Problem { line: 0, message });
        }
    }
    problems
}

/// The envelopes in `outbox` that name their audit record.
fn envelopes(
    outbox: &Path,
) -> Vec<(
    std::path::PathBuf,
    String,
    crate::routing::envelope::AuditRef,
)> {
    let Ok(entries) = std::fs::read_dir(outbox) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|p| {
            let envelope: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&p).ok()?).ok()?;
            let audit_ref = serde_json::from_value(envelope.get("audit")?.clone()).ok()?;
            let id = envelope.get("id")?.as_str()?.to_string();
            Some((p, id, audit_ref))
        })
        .collect()
}

/// Which records `show` prints: all, unless a chain or a role is given.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// A prefix of the chain's id.
    pub chain: Option<String>,
    pub role: Option<String>,
}

impl Filter {
    /// The filter the command line asked for.
    pub fn of(args: &crate::cli::ShowArgs) -> Filter {
        Filter {
            chain: args.chain.clone(),
            role: args.role.clone(),
        }
    }

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
            crate::tell!(
                "archbench: cannot read the audit log {}: {e}",
                path.display()
            );
            return exit::BAD_INPUT;
        }
    };
    print(&records, filter, json)
}

/// Records of a log or of the team's chain, as `audit show` prints them.
pub fn print(records: &[AuditRecord], filter: &Filter, json: bool) -> i32 {
    let kept: Vec<&AuditRecord> = records.iter().filter(|r| filter.keeps(r)).collect();
    if json {
        crate::say::json(&serde_json::to_string(&kept).unwrap_or_default());
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
    crate::say!(
        "{:>5}  {:<19}  {:<kind_w$}  {:<role_w$}  {:>3}  {:<8}  {:<who_w$}  {:<action_w$}  {:<target_w$}  reason / detail",
        "seq", "time (UTC)", "kind", "role", "try", "chain", "reviewer", "action", "target"
    );
    for (r, row) in kept.iter().zip(&rows) {
        crate::say!(
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
        crate::tell!(
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
        // The reviewer's name; in the team's chain, whoever acted on the inbox, or the person
        // and machine whose log a record was copied from.
        let reviewer = r
            .data
            .get("reviewer")
            .and_then(|v| v.get("name").or(Some(v)))
            .and_then(|v| v.as_str())
            .or_else(|| r.data.get("by").and_then(|v| v.as_str()))
            .or_else(|| r.data.pointer("/from/who").and_then(|v| v.as_str()))
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
    for key in [
        "status",
        "sink",
        "finish_reason",
        "path",
        "envelope_id",
        "review",
        "pending_review",
        "outcome",
    ] {
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

/// `archbench audit verify|show`, on the default log unless `--log` names another.
pub fn command(args: &crate::cli::AuditArgs) -> i32 {
    use crate::cli::AuditCommand;
    let path = args.log.clone().unwrap_or_else(crate::paths::audit_log);
    match &args.command {
        AuditCommand::Verify { outbox, store } => {
            // The default outbox holds the default log's envelopes: another log (--log) is
            // checked against an outbox only when one is named.
            let outbox = match (outbox, &args.log) {
                (Some(dir), _) => Some(dir.clone()),
                (None, None) => Some(crate::paths::default_outbox()),
                (None, Some(_)) => None,
            };
            let store = store.clone().unwrap_or_else(crate::paths::sessions_db);
            let witnesses = Witnesses {
                store: Some(&store),
                outbox: outbox.as_deref(),
            };
            verify(&path, &witnesses)
        }
        AuditCommand::Show(args) => show(&path, &Filter::of(args), args.json),
    }
}
