//! archbench's entry point: parse the command line and hand it to its command in `cmd/`.

use archbench::cli::{exit, Cli, Command};
use archbench::{cmd, paths};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    // One set of run options for whatever command was given, wherever they were written.
    cli.common = cli.common_args();
    archbench::logging::init();
    let code = match &cli.command {
        Some(Command::Roles { .. }) => cmd::roles::command(&cli.common),
        Some(Command::Keys { .. }) => cmd::look::keys(&cli),
        Some(Command::Bench(args)) => cmd::bench::command(args),
        Some(Command::Audit(args)) => cmd::audit::command(args),
        Some(Command::Sessions(args)) => with_runtime(|| cmd::sessions::command(args)),
        Some(Command::Check(args)) => with_runtime(|| cmd::check::command(args)),
        Some(Command::Schema(args)) => with_runtime(|| cmd::schema::command(args)),
        Some(Command::Config { command, .. }) => cmd::config::command(&cli.common, command),
        Some(Command::Resume { id: None, .. }) => cmd::resume_list(&paths::deferred_dir()),
        Some(Command::Resume { id: Some(id), .. }) => {
            with_runtime(|| cmd::workbench::resume(&cli, id))
        }
        Some(Command::Watch { session, .. }) => {
            with_runtime(|| cmd::workbench::watch(&cli, session.as_deref()))
        }
        Some(Command::Models { command, .. }) => {
            with_runtime(|| cmd::models::command(&cli.common, command.as_ref()))
        }
        Some(Command::Outbox { command, .. }) => {
            with_runtime(|| cmd::outbox::command(&cli.common, command))
        }
        Some(Command::Inbox { command: None, .. }) if cmd::inbox::on_terminal() => {
            with_runtime(|| cmd::workbench::inbox(&cli))
        }
        Some(Command::Inbox { command, .. }) => {
            with_runtime(|| cmd::inbox::command(&cli.common, command.as_ref()))
        }
        Some(Command::Run(run)) => with_runtime(|| cmd::run::command(&cli.common, run)),
        None => with_runtime(|| cmd::workbench::tui(&cli)),
    };
    ExitCode::from(code.clamp(0, 255) as u8)
}

/// Runs an async command on a runtime of its own. One worker beside the thread that runs the
/// loop: the network's few tasks need no more, and a second worker woken to steal each task
/// the first one schedules cost a quarter of a paced stream's CPU (docs/BENCHMARKS.md, M4).
fn with_runtime<F, Fut>(f: F) -> i32
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = i32>,
{
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(f()),
        Err(e) => archbench::say::fail(
            exit::PROVIDER,
            &format!("cannot start the async runtime: {e}"),
        ),
    }
}
