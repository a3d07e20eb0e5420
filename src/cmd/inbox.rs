//! `archbench inbox list|verify`: the reviews waiting for a person, in the store the
//! configuration names (this machine's SQLite file, or the team's PostgreSQL), and the audit
//! chain the store keeps of them.

use super::fail;
use super::setup::load_config;
use crate::cli::{exit, CommonArgs, InboxCommand, InboxListArgs};
use crate::paths;
use crate::sanitize::sanitize_line;
use crate::store::inbox::{age, store_url, Filter, Inbox, Row};
use chrono::Utc;

pub async fn command(common: &CommonArgs, command: Option<&InboxCommand>) -> i32 {
    let loaded = match load_config(common) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let url = match store_url(common.store_url.as_deref(), &loaded.config.store) {
        Ok(url) => url,
        Err(e) => return fail(exit::BAD_INPUT, &e),
    };
    let inbox = match Inbox::open(url.as_deref(), &paths::sessions_db()).await {
        Ok(inbox) => inbox,
        Err(e) => {
            if let Some(owed) = owed(url.as_deref()).filter(|q| !q.is_empty()) {
                crate::tell!(
                    "archbench: {} kept on this machine for the team store, sent when it answers",
                    owed.len()
                );
            }
            return fail(exit::STORAGE, &e);
        }
    };
    // Whatever this machine kept for the store goes first: the list then shows it.
    let synced = match owed(url.as_deref()) {
        Some(queue) if !queue.is_empty() => Some(inbox.replay(&queue, None).await),
        _ => None,
    };
    if let Some(replayed) = &synced {
        for sent in &replayed.applied {
            crate::tell!("archbench: sent to the team store: {}", sanitize_line(sent));
        }
        if replayed.records > 0 {
            crate::tell!(
                "archbench: sent to the team store: {} audit record(s)",
                replayed.records
            );
        }
        for refused in &replayed.refused {
            crate::tell!(
                "archbench: the team store refused: {}",
                sanitize_line(refused)
            );
        }
        if replayed.left > 0 {
            crate::tell!(
                "archbench: {} still kept on this machine (a handoff waits for the workbench, or the store stopped answering)",
                replayed.left
            );
        }
    }
    // And the runs this machine has not yet copied into the team's history.
    let copied = match url.as_deref() {
        Some(url) => {
            let mut copier = crate::store::inbox::copying::Copier::new(url, &paths::sessions_db());
            match copier.pass().await {
                Ok(0) => Ok(()),
                Ok(n) => {
                    crate::tell!(
                        "archbench: sent to the team store: {n} run(s) of this machine's history"
                    );
                    Ok(())
                }
                Err(e) => {
                    crate::tell!(
                        "archbench: runs not yet sent to the team's history: {}",
                        sanitize_line(&e)
                    );
                    Err(())
                }
            }
        }
        None => Ok(()),
    };
    match command {
        Some(InboxCommand::Sync) => match synced {
            _ if copied.is_err() => exit::STORAGE,
            Some(r)
                if r.left > 0 && r.applied.is_empty() && r.records == 0 && r.refused.is_empty() =>
            {
                exit::STORAGE
            }
            _ => exit::OK,
        },
        Some(InboxCommand::List(args)) => list(&inbox, args).await,
        Some(InboxCommand::Verify) => verify(&inbox, url.as_deref()).await,
        Some(InboxCommand::History(args)) => {
            history(&inbox, &super::audit::Filter::of(args), args.json).await
        }
        None => {
            list(
                &inbox,
                &InboxListArgs {
                    json: false,
                    for_role: None,
                    older_than: None,
                    all: false,
                },
            )
            .await
        }
    }
}

/// This machine's queue for the team store at `url` (none for this machine's own store).
fn owed(url: Option<&str>) -> Option<crate::store::inbox::queue::Queue> {
    url.map(|url| crate::store::inbox::queue::Queue::new(&paths::sessions_db(), url))
}

/// Whether `archbench inbox` opens its screen (a terminal on both ends) or prints the list.
pub fn on_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

async fn list(inbox: &Inbox, args: &InboxListArgs) -> i32 {
    let filter = Filter {
        role: args.for_role.clone(),
        older_than: args.older_than,
        all: args.all,
        limit: None,
    };
    let now = Utc::now();
    let rows = match inbox.list(&filter, now).await {
        Ok(rows) => rows,
        Err(e) => return fail(exit::STORAGE, &format!("cannot read the inbox: {e}")),
    };
    if args.json {
        for row in &rows {
            println!("{}", serde_json::to_string(row).unwrap_or_default());
        }
        return exit::OK;
    }
    if rows.is_empty() {
        println!("No review waits. `archbench run --approve inbox` leaves one.");
        return exit::OK;
    }
    for row in &rows {
        println!("{}", line(row, now));
    }
    exit::OK
}

/// One review as a line: id, role, age, status, decision, SQL, where from, title. Everything
/// but the id came from someone else's run: shown, never obeyed.
fn line(row: &Row, now: chrono::DateTime<Utc>) -> String {
    sanitize_line(&format!(
        "{}  {:<24} {:>4}  {:<20}  {:<9}  {:<36}  {}  {}",
        row.id,
        row.role,
        age(row.created_at, now),
        row.standing(),
        row.decision,
        row.check_line(),
        row.origin.who,
        row.title
    ))
    .into_owned()
}

/// `archbench inbox verify`: the store's chain read by the verifier of every audit log; exit 0
/// with the number of records, or 5 with each problem.
async fn verify(inbox: &Inbox, url: Option<&str>) -> i32 {
    let place = match url {
        // Never the URL itself: a team's URL may say more than a person wants printed.
        Some(_) => "the team store".to_string(),
        None => paths::sessions_db().display().to_string(),
    };
    let (bytes, head) = match inbox.audit_chain().await {
        Ok(chain) => chain,
        Err(e) => {
            return fail(
                exit::STORAGE,
                &format!("cannot read the inbox's audit chain: {e}"),
            )
        }
    };
    let checked = crate::store::audit::verify_bytes(&bytes, Some(head)).and_then(|report| {
        let problems = copies_of_this_log(&bytes, &paths::audit_log());
        match problems.is_empty() {
            true => Ok(report),
            false => Err(problems),
        }
    });
    match checked {
        Ok(report) => {
            crate::say!("{place}: {} records, the chain is intact", report.records);
            exit::OK
        }
        Err(problems) => {
            for p in &problems {
                crate::tell!("{place}: record {}: {}", p.line, sanitize_line(&p.message));
            }
            crate::tell!(
                "archbench: the inbox's audit chain has been tampered with ({} problem(s))",
                problems.len()
            );
            exit::TAMPERED
        }
    }
}

/// The chain's copies of this machine's audit log (`log`) held against the log itself: a copy
/// whose line the log no longer holds means the log was edited or cut after it was sent.
fn copies_of_this_log(chain: &[u8], log: &std::path::Path) -> Vec<crate::store::audit::Problem> {
    use crate::store::audit;
    let Some(this_log) = audit::log_id(log) else {
        return Vec::new();
    };
    let hashes = audit::line_hashes(log).unwrap_or_default();
    audit::records(chain)
        .into_iter()
        .filter(|r| r.data.pointer("/from/log").and_then(|v| v.as_str()) == Some(&this_log))
        .filter_map(|r| {
            let seq = r.data.pointer("/from/seq")?.as_u64()?;
            let sha = r.data.pointer("/from/sha256")?.as_str()?;
            (hashes.get(&seq).map(String::as_str) != Some(sha)).then(|| audit::Problem {
                line: r.seq as usize,
                message: format!(
                    "it copies record {seq} of this machine's audit log {}, which no longer holds that record: the log was edited, cut or replaced after it was sent",
                    log.display()
                ),
            })
        })
        .collect()
}

/// `archbench inbox history`: the store's chain, as `audit show` prints a log.
async fn history(inbox: &Inbox, filter: &super::audit::Filter, json: bool) -> i32 {
    let bytes = match inbox.audit_chain().await {
        Ok((bytes, _)) => bytes,
        Err(e) => {
            return fail(
                exit::STORAGE,
                &format!("cannot read the inbox's audit chain: {e}"),
            )
        }
    };
    let records = crate::store::audit::records(&bytes);
    if records.is_empty() && !json {
        println!("No records yet: the chain begins with the first review left in the inbox.");
        return exit::OK;
    }
    super::audit::print(&records, filter, json)
}
