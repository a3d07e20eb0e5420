//! `archbench outbox list|retry`, with the outbox the configuration names.

use super::setup::{load_config, outbox};
use crate::cli::{CommonArgs, OutboxCommand};
use crate::sink::Mode;

pub async fn command(common: &CommonArgs, command: &OutboxCommand) -> i32 {
    let loaded = match load_config(common) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let outbox = outbox(common, &loaded.config);
    match command {
        OutboxCommand::List => crate::cmd::outbox_list(&outbox),
        OutboxCommand::Retry => {
            let plan = loaded.sink_plan(&[], Mode::Headless);
            crate::cmd::outbox_retry(&outbox, &plan.options).await
        }
    }
}
