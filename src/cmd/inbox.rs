//! `archbench inbox list`: the reviews waiting for a person, in the store the configuration
//! names (this machine's SQLite file, or the team's PostgreSQL).

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
        Err(e) => return fail(exit::STORAGE, &e),
    };
    match command {
        Some(InboxCommand::List(args)) => list(&inbox, args).await,
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
