//! The check as a service of a long-lived process (the workbench, `run --check`): one server for
//! the whole process, started once, the first time a check (or a warm-up) needs it, and kept
//! until the process ends; each check still gets its own scratch database.

use super::server::CheckServer;
use super::{Report, Settings, Source};
use tokio::sync::OnceCell;

pub struct Checker {
    pub settings: Settings,
    server: OnceCell<Result<CheckServer, String>>,
}

impl Checker {
    pub fn new(settings: Settings) -> Checker {
        Checker {
            settings,
            server: OnceCell::new(),
        }
    }

    /// The server, started on first use (a failure to start is kept: it is said once per check,
    /// not retried on every answer).
    pub async fn server(&self) -> Result<&CheckServer, &str> {
        self.server
            .get_or_init(|| CheckServer::start(&self.settings.server))
            .await
            .as_ref()
            .map_err(String::as_str)
    }

    /// Checks an answer; without a server its SQL is still parsed and linted, and the report
    /// says why it was not applied.
    pub async fn check(
        &self,
        text: &str,
        brief: Option<&str>,
        progress: super::Progress,
    ) -> Report {
        let mut options = self.settings.options.clone();
        options.brief = brief.map(str::to_string);
        options.progress = progress;
        match self.server().await {
            Ok(server) => super::check(text, Source::Markdown, Some(server), &options).await,
            Err(why) => {
                let mut report = super::check(text, Source::Markdown, None, &options).await;
                report.not_applied = Some(why.to_string());
                report
            }
        }
    }
}
