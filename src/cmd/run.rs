//! `archbench run`: one role on one brief, headless, under an approval policy.

use super::fail;
use super::setup::{check_model, env, find_role, load_config, outbox, resolve_settings, role_book};
use crate::cli::{exit, CommonArgs, RunArgs};
use crate::headless::{self, Approval, HeadlessRun};
use crate::paths;
use crate::provider::choose;
use crate::reviewer::Reviewer;
use crate::sink::{Mode, SinkSpec};
use crate::store::inbox::queue::Queue;
use std::sync::Arc;

/// Reads the configuration, the role and the brief, builds the provider, and runs.
pub async fn command(common: &CommonArgs, run: &RunArgs) -> i32 {
    let loaded = match load_config(common) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let book = match role_book(common) {
        Ok(book) => book,
        Err(code) => return code,
    };
    let role = match find_role(&book, common.role()) {
        Ok(role) => role,
        Err(code) => return code,
    };
    let approval = match Approval::parse(&run.approve, &role) {
        Ok(a) => a,
        Err(e) => return fail(exit::BAD_INPUT, &e),
    };
    let store_url =
        match crate::store::inbox::store_url(common.store_url.as_deref(), &loaded.config.store) {
            Ok(url) => url,
            Err(e) => return fail(exit::BAD_INPUT, &e),
        };
    let Some(brief_path) = &common.brief else {
        return fail(
            exit::BAD_INPUT,
            "run needs a brief: pass --brief FILE (or --brief - to read standard input)",
        );
    };
    let brief = match crate::brief::read(brief_path) {
        Ok(b) => b,
        Err(e) => return fail(exit::BAD_INPUT, &e),
    };
    let settings = match resolve_settings(common, &loaded, &role) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    let choice = settings.choice();
    if let Err(e) = check_model(&choice) {
        return fail(exit::PROVIDER, &e);
    }
    let provider = match choose::build(&choice, common.local_run(), &settings.network(), &env) {
        Ok(p) => p,
        Err(e) => return fail(exit::PROVIDER, &e.to_string()),
    };
    let mut sinks = loaded.sink_plan(&common.sinks, Mode::Headless);
    if run.json {
        sinks.add_everywhere(SinkSpec::Stdout);
    }
    let checker = match run.check {
        true => {
            match crate::check::Settings::resolve(&loaded.config.check, run.check_url.as_deref()) {
                Ok(settings) => Some(Arc::new(crate::check::Checker::new(settings))),
                Err(e) => return crate::say::fail(exit::BAD_INPUT, &e),
            }
        }
        false => None,
    };
    let job = HeadlessRun {
        role,
        roles: Arc::new(book),
        brief,
        params: settings.params().or(&provider.default_params()),
        approval,
        json: sinks.uses(&SinkSpec::Stdout),
        outbox: outbox(common, &loaded.config),
        reviewer: Reviewer::resolve(&loaded.config.reviewer),
        audit_log: Some(
            crate::store::audit::AuditLog::new(paths::audit_log(), Some(paths::sessions_db()))
                .with_team(
                    store_url
                        .as_deref()
                        .map(|url| Queue::new(&paths::sessions_db(), url)),
                ),
        ),
        sessions: paths::sessions_db(),
        sinks,
        checker,
        store_url,
    };
    headless::run(job, provider).await
}
