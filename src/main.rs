//! archbench's entry point: parse the command line, load the role and the brief, pick the
//! provider, then run the workbench (default), a headless run, or a listing.

use archbench::cli::{exit, Cli, Command, CommonArgs, ConfigCommand, OutboxCommand};
use archbench::headless::{self, Approval, HeadlessRun};
use archbench::provider::choose::{self, Choice};
use archbench::provider::{Params, ProviderInfo};
use archbench::reviewer::Reviewer;
use archbench::role::{Role, RoleBook};
use archbench::sink::{Mode, SinkPlan, SinkSpec};
use archbench::state::{Chain, Notice, NoticeLevel, Session, State};
use archbench::{app, paths};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    // One set of run options for whatever command was given, wherever they were written.
    cli.common = cli.common_args();
    init_logging();
    let code = match &cli.command {
        Some(Command::Roles { .. }) => list_roles(&cli.common),
        Some(Command::Keys { .. }) => list_keys(&cli),
        Some(Command::Bench(args)) => bench(args),
        Some(Command::Audit(args)) => audit(args),
        Some(Command::Sessions(args)) => sessions(args),
        Some(Command::Watch { session, .. }) => with_runtime(|| watch(&cli, session.as_deref())),
        Some(Command::Models { command, .. }) => {
            with_runtime(|| models_command(&cli.common, command.as_ref()))
        }
        Some(Command::Outbox { command, .. }) => {
            with_runtime(|| outbox_command(&cli.common, command))
        }
        Some(Command::Config { command, .. }) => config_command(&cli.common, command),
        Some(Command::Resume { id: None, .. }) => {
            archbench::cmd::resume_list(&paths::deferred_dir())
        }
        Some(Command::Resume { id: Some(id), .. }) => with_runtime(|| resume(&cli, id)),
        Some(Command::Run(run)) => with_runtime(|| async {
            let common = &cli.common;
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
            let Some(brief_path) = &common.brief else {
                return fail(
                    exit::BAD_INPUT,
                    "run needs a brief: pass --brief FILE (or --brief - to read standard input)",
                );
            };
            let brief = match archbench::brief::read(brief_path) {
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
            let provider = match choose::build(&choice, common.threads, &settings.network(), &env) {
                Ok(p) => p,
                Err(e) => return fail(exit::PROVIDER, &e.to_string()),
            };
            let mut sinks = SinkPlan::resolve(&common.sinks, &loaded, Mode::Headless);
            if run.json {
                sinks.add_everywhere(SinkSpec::Stdout);
            }
            let job = HeadlessRun {
                role,
                roles: Arc::new(book),
                brief,
                params: settings.params().or(&provider.default_params()),
                approval,
                json: sinks.uses(&SinkSpec::Stdout),
                outbox: outbox(common, &loaded.config),
                reviewer: Reviewer::resolve(&loaded.config.reviewer),
                audit_log: Some(archbench::store::audit::AuditLog::new(
                    paths::audit_log(),
                    Some(paths::sessions_db()),
                )),
                sessions: paths::sessions_db(),
                sinks,
            };
            headless::run(job, provider).await
        }),
        None => with_runtime(|| tui(&cli)),
    };
    ExitCode::from(code.clamp(0, 255) as u8)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn fail(code: i32, message: &str) -> i32 {
    archbench::say::fail(code, message)
}

fn with_runtime<F, Fut>(f: F) -> i32
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = i32>,
{
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(f()),
        Err(e) => fail(
            exit::PROVIDER,
            &format!("cannot start the async runtime: {e}"),
        ),
    }
}

/// Logs go to a file in the state folder, never to the screen.
fn init_logging() {
    let file = paths::log_file();
    let Some(dir) = file.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    if let Ok(file) = options.open(&file) {
        let filter = tracing_subscriber::EnvFilter::try_from_env("ARCHBENCH_LOG")
            .unwrap_or_else(|_| "info".into());
        let _ = tracing_subscriber::fmt()
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .with_env_filter(filter)
            .try_init();
    }
}

fn role_book(common: &CommonArgs) -> Result<RoleBook, i32> {
    let dir = common
        .roles_dir
        .clone()
        .unwrap_or_else(paths::user_roles_dir);
    RoleBook::load(Some(&dir)).map_err(|e| fail(exit::BAD_INPUT, &e.to_string()))
}

fn find_role(book: &RoleBook, id: &str) -> Result<Role, i32> {
    book.get(id).cloned().ok_or_else(|| {
        fail(
            exit::BAD_INPUT,
            &format!(
                "no role `{id}`; known roles: {} (see `archbench roles`)",
                book.ids().join(", ")
            ),
        )
    })
}

fn load_config(common: &CommonArgs) -> Result<archbench::config::Loaded, i32> {
    archbench::config::load(common.config.as_deref()).map_err(|e| {
        fail(
            exit::BAD_INPUT,
            &format!("{e} (archbench config check explains; fix it or pass --config FILE)"),
        )
    })
}

async fn outbox_command(common: &CommonArgs, command: &OutboxCommand) -> i32 {
    let loaded = match load_config(common) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let outbox = outbox(common, &loaded.config);
    match command {
        OutboxCommand::List => archbench::cmd::outbox_list(&outbox),
        OutboxCommand::Retry => {
            let plan = SinkPlan::resolve(&[], &loaded, Mode::Headless);
            archbench::cmd::outbox_retry(&outbox, &plan.options).await
        }
    }
}

fn config_command(common: &CommonArgs, command: &ConfigCommand) -> i32 {
    let flag = common.config.as_deref();
    match command {
        ConfigCommand::Path => archbench::cmd::config_path(flag),
        ConfigCommand::Show => config_show(common),
        ConfigCommand::Init => archbench::cmd::config_init(flag),
        ConfigCommand::Check => match role_book(common) {
            Ok(book) => {
                archbench::cmd::config_check(flag, &book.ids(), &paths::config_dir().join("themes"))
            }
            Err(code) => code,
        },
    }
}

/// The effective settings for `role`; a bad profile or preset is bad input, said plainly.
fn resolve_settings(
    common: &CommonArgs,
    loaded: &archbench::config::Loaded,
    role: &Role,
) -> Result<archbench::settings::Settings, i32> {
    archbench::settings::resolve(&archbench::settings::Inputs {
        args: common,
        env: &env,
        loaded,
        role,
        default_model_path: paths::default_model_path(),
    })
    .map_err(|e| fail(exit::BAD_INPUT, &e))
}

/// `archbench models`: the local model folder, a server's list, or a download.
async fn models_command(
    common: &CommonArgs,
    command: Option<&archbench::cli::ModelsCommand>,
) -> i32 {
    use archbench::cli::ModelsCommand;
    use archbench::models;
    match command {
        None | Some(ModelsCommand::List { server: false }) => {
            let dir = paths::models_dir();
            let local = models::list_local(&dir);
            if local.is_empty() {
                archbench::tell!(
                    "No models in {}: scripts/fetch-model.sh fetches the default one; archbench models pull URL downloads another.",
                    dir.display()
                );
            }
            let default = paths::default_model_path();
            for m in local {
                archbench::say!(
                    "{:<48} {:>9.1} MB  {}{}",
                    m.name,
                    m.bytes as f64 / 1_000_000.0,
                    m.path.display(),
                    if m.path == default { "  (default)" } else { "" }
                );
            }
            exit::OK
        }
        Some(ModelsCommand::List { server: true }) => {
            let (_, _, settings) = match settings_for_role(common) {
                Ok(found) => found,
                Err(code) => return code,
            };
            if settings.provider.value == archbench::cli::ProviderKind::Local {
                return fail(exit::BAD_INPUT, "--server lists a server's models: choose one with --provider, --preset, --base-url or --profile");
            }
            let provider = match choose::build(&settings.choice(), None, &settings.network(), &env)
            {
                Ok(p) => p,
                Err(e) => return fail(exit::PROVIDER, &e.to_string()),
            };
            match provider.models().await {
                Ok(names) => {
                    let endpoint = provider.info().endpoint;
                    if names.is_empty() {
                        archbench::tell!("{endpoint} lists no models");
                    }
                    for name in names {
                        archbench::say!("{}", archbench::sanitize::sanitize_line(&name));
                    }
                    exit::OK
                }
                Err(e) => fail(
                    exit::PROVIDER,
                    &format!("{e} (not every server lists its models)"),
                ),
            }
        }
        Some(ModelsCommand::Pull {
            url,
            sha256,
            name,
            force,
        }) => {
            use std::io::{IsTerminal, Write};
            let job = models::Pull {
                url: url.clone(),
                dir: paths::models_dir(),
                name: name.clone(),
                sha256: sha256.clone(),
                force: *force,
                idle: std::time::Duration::from_secs(60),
            };
            let terminal = std::io::stderr().is_terminal();
            let mut bar = models::ProgressBar::new(terminal);
            let result = models::pull(&job, |p| {
                if let Some(line) = bar.line(p) {
                    let mut err = std::io::stderr();
                    let _ = if terminal {
                        write!(err, "\r{line}\x1b[K")
                    } else {
                        writeln!(err, "pull: {line}")
                    };
                }
            })
            .await;
            if terminal {
                archbench::tell!();
            }
            match result {
                Ok(path) => {
                    archbench::say!("{}", path.display());
                    archbench::tell!(
                        "archbench: installed; run it with --model-path {}",
                        path.display()
                    );
                    exit::OK
                }
                Err(e @ models::PullError::Cut { .. }) => fail(exit::PROVIDER, &e.to_string()),
                Err(e) => fail(exit::BAD_INPUT, &e.to_string()),
            }
        }
    }
}

/// Each profile of the configuration as the picker offers it: resolved as `--profile NAME` alone
/// would be (no other flag, no ARCHBENCH_* variable), so a profile means the same everywhere.
fn profile_choices(
    loaded: &archbench::config::Loaded,
    role: &Role,
) -> Vec<(String, archbench::provider::choose::Choice)> {
    let keys_only = |name: &str| {
        if name.starts_with("ARCHBENCH_") {
            None
        } else {
            env(name)
        }
    };
    loaded
        .config
        .profiles
        .keys()
        .filter_map(|name| {
            let args = Cli::try_parse_from(["archbench", "--profile", name.as_str()])
                .ok()?
                .common;
            let settings = archbench::settings::resolve(&archbench::settings::Inputs {
                args: &args,
                env: &keys_only,
                loaded,
                role,
                default_model_path: paths::default_model_path(),
            })
            .ok()?;
            Some((name.clone(), settings.choice()))
        })
        .collect()
}

/// The configuration, the `--role` and the settings it runs with (each failure reported).
fn settings_for_role(
    common: &CommonArgs,
) -> Result<
    (
        archbench::config::Loaded,
        Role,
        archbench::settings::Settings,
    ),
    i32,
> {
    let loaded = load_config(common)?;
    let book = role_book(common)?;
    let role = find_role(&book, common.role())?;
    let settings = resolve_settings(common, &loaded, &role)?;
    Ok((loaded, role, settings))
}

/// `archbench config show`: every effective setting for the role, with its source.
fn config_show(common: &CommonArgs) -> i32 {
    let (loaded, role, settings) = match settings_for_role(common) {
        Ok(found) => found,
        Err(code) => return code,
    };
    match &loaded.path {
        Some(path) => archbench::say!("configuration: {}", path.display()),
        None => archbench::say!(
            "configuration: none ({} does not exist; archbench config init writes an example)",
            archbench::config::path(common.config.as_deref()).display()
        ),
    }
    archbench::say!("role: {}", role.id);
    let (dir, source) = outbox_with_source(common, &loaded.config);
    archbench::say!("{:<12} {:<52} {source}", "outbox", dir.display());
    let mut rows = settings.report(&env);
    rows.extend(archbench::cmd::config_report::rows(
        common, &loaded, &role.id, &env,
    ));
    for (name, value, source) in rows {
        archbench::say!(
            "{name:<12} {:<52} {source}",
            archbench::sanitize::sanitize_line(&value)
        );
    }
    exit::OK
}

fn params(common: &CommonArgs) -> Params {
    Params {
        temperature: common.temperature,
        max_tokens: common.max_tokens,
        seed: common.seed,
        stop: common.stop.clone(),
    }
}

/// The outbox and where it came from: `--outbox`, then `ARCHBENCH_OUTBOX`, then the
/// configuration's `outbox`, then the data folder's.
fn outbox_with_source(
    common: &CommonArgs,
    config: &archbench::config::Config,
) -> (PathBuf, &'static str) {
    if let Some(dir) = &common.outbox {
        return (dir.clone(), "flag --outbox");
    }
    if let Some(dir) = env("ARCHBENCH_OUTBOX").filter(|d| !d.trim().is_empty()) {
        return (PathBuf::from(dir), "environment ARCHBENCH_OUTBOX");
    }
    if let Some(dir) = &config.outbox {
        return (dir.clone(), "config outbox");
    }
    (paths::default_outbox(), "default")
}

fn outbox(common: &CommonArgs, config: &archbench::config::Config) -> PathBuf {
    outbox_with_source(common, config).0
}

/// A local model file that is not there is reported before any work, with what to do.
fn check_model(choice: &Choice) -> Result<(), String> {
    match choice {
        Choice::Local { path } if !path.is_file() => Err(format!(
            "no model file at {}: run `scripts/fetch-model.sh` to fetch the default model, pass --model-path FILE, or use --provider openai",
            path.display()
        )),
        _ => Ok(()),
    }
}

fn audit(args: &archbench::cli::AuditArgs) -> i32 {
    use archbench::cli::AuditCommand;
    use archbench::cmd::audit;
    let path = args.log.clone().unwrap_or_else(paths::audit_log);
    match &args.command {
        AuditCommand::Verify { outbox, store } => {
            // The default outbox holds the default log's envelopes: another log (--log) is
            // checked against an outbox only when one is named.
            let outbox = match (outbox, &args.log) {
                (Some(dir), _) => Some(dir.clone()),
                (None, None) => Some(paths::default_outbox()),
                (None, Some(_)) => None,
            };
            let store = store.clone().unwrap_or_else(paths::sessions_db);
            let witnesses = audit::Witnesses {
                store: Some(&store),
                outbox: outbox.as_deref(),
            };
            audit::verify(&path, &witnesses)
        }
        AuditCommand::Show { chain, role, json } => {
            let filter = audit::Filter {
                chain: chain.clone(),
                role: role.clone(),
            };
            audit::show(&path, &filter, *json)
        }
    }
}

fn sessions(args: &archbench::cli::SessionsArgs) -> i32 {
    use archbench::cli::SessionsCommand;
    use archbench::cmd::sessions;
    let store = args.store.clone().unwrap_or_else(paths::sessions_db);
    match &args.command {
        SessionsCommand::List { limit, json } => sessions::list(&store, *limit, *json),
        SessionsCommand::Show { id, json } => sessions::show(&store, *id, *json),
        SessionsCommand::Search { words, limit, json } => {
            sessions::search(&store, &words.join(" "), *limit, *json)
        }
        SessionsCommand::Export { id, format, output } => {
            sessions::export(&store, *id, *format, output.as_deref())
        }
    }
}

/// The few fields of a record's data a person scans for.
fn bench(args: &archbench::cli::BenchArgs) -> i32 {
    if let Some(tokens) = args.memory_probe {
        return match archbench::bench::memory_probe(tokens) {
            Ok(kb) => {
                archbench::say!("{kb}");
                exit::OK
            }
            Err(e) => fail(exit::PROVIDER, &e),
        };
    }
    if let Some(out) = &args.measure {
        return archbench::bench::measure::measure(out, &args.command)
            .unwrap_or_else(|e| fail(exit::BAD_INPUT, &e));
    }
    if let Some(tokens) = args.serve {
        let rate = args.paced.then_some(args.rate);
        return match archbench::bench::serve(tokens, rate) {
            Ok(()) => exit::OK,
            Err(e) => fail(exit::PROVIDER, &e),
        };
    }
    let config = archbench::bench::Config {
        sizes: args.sizes.clone(),
        naive_sizes: args.naive_sizes.clone(),
        runs: args.runs,
        paced_rate: Some(args.rate),
        memory_probe: std::env::current_exe().ok(),
    };
    match archbench::bench::run(&config, |step| archbench::tell!("bench: {step}")) {
        Ok(report) => {
            let command: Vec<String> = std::env::args().collect();
            archbench::say!("{}", report.markdown());
            archbench::say!("Command: `{}`", command.join(" "));
            exit::OK
        }
        Err(e) => fail(exit::PROVIDER, &e),
    }
}

/// `archbench keys`: the table in force (the configuration's overrides applied), and what is
/// wrong with them.
fn list_keys(cli: &Cli) -> i32 {
    let loaded = match load_config(&cli.common) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let problems = look(cli, &loaded.config).problems;
    for b in archbench::keybindings::table() {
        let keys: Vec<String> = b.keys.iter().map(|k| k.label()).collect();
        archbench::say!(
            "{:<28} {:<18} {}",
            archbench::keybindings::name(b),
            keys.join(" "),
            b.description
        );
    }
    for p in &problems {
        archbench::tell!("archbench: {p}");
    }
    exit::OK
}

fn list_roles(common: &CommonArgs) -> i32 {
    let book = match role_book(common) {
        Ok(b) => b,
        Err(code) => return code,
    };
    for role in book.all() {
        archbench::say!("{} — {}", role.id, role.title);
        archbench::say!("  {}", role.description);
        archbench::say!("  source: {}", role.source);
        if !role.sections.is_empty() {
            archbench::say!("  sections: {}", role.sections.join(", "));
        }
        for (i, option) in role.routes.iter().enumerate() {
            archbench::say!(
                "  {}. {:<16} → {:<28} ({})",
                i + 1,
                option.label,
                option.target,
                option.id
            );
        }
        for warning in role.warnings() {
            archbench::say!("  warning: {warning}");
        }
        archbench::say!();
    }
    exit::OK
}

/// What the workbench needs, whether it starts fresh or resumes: the session for `role_id`, the
/// provider, and a problem with the model to show (the screen still opens).
struct Workbench {
    session: Session,
    provider: Arc<dyn archbench::provider::Provider>,
    model_problem: Option<String>,
    models: archbench::state::picker::ModelSetup,
    builder: archbench::app::ProviderBuilder,
    /// The configuration, read once for the whole start.
    config: archbench::config::Config,
}

fn workbench(common: &CommonArgs, role_id: &str) -> Result<Workbench, i32> {
    let loaded = load_config(common)?;
    let book = role_book(common)?;
    let role = find_role(&book, role_id)?;
    let settings = resolve_settings(common, &loaded, &role)?;
    let choice = settings.choice();
    let model_problem = check_model(&choice).err();
    let provider = choose::build(&choice, common.threads, &settings.network(), &env)
        .map_err(|e| fail(exit::PROVIDER, &e.to_string()))?;
    let info: ProviderInfo = provider.info();
    let info_model = info.model.clone();
    let sinks = SinkPlan::resolve(&common.sinks, &loaded, Mode::Workbench);
    let session = Session {
        chain: Chain::start(&role.id, Arc::new(book), sinks),
        role,
        provider: info,
        params: settings.params().or(&provider.default_params()),
        reviewer: Reviewer::resolve(&loaded.config.reviewer),
        chain_id: uuid::Uuid::now_v7().to_string(),
        price: loaded.config.prices.get(&info_model).copied(),
    };
    let models = archbench::state::picker::ModelSetup {
        current: Some(choice),
        requested: settings.params(),
        profiles: profile_choices(&loaded, &session.role),
        prices: loaded.config.prices.clone(),
    };
    let threads = common.threads;
    let network = settings.network();
    let builder: archbench::app::ProviderBuilder =
        Arc::new(move |choice| choose::build(choice, threads, &network, &env));
    Ok(Workbench {
        session,
        provider,
        model_problem,
        models,
        builder,
        config: loaded.config,
    })
}

/// The full-screen commands need a terminal on both ends; a pipeline gets a clear refusal.
fn require_terminal(what: &str) -> Result<(), i32> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        return Ok(());
    }
    Err(fail(
        exit::BAD_INPUT,
        &format!("{what} is a full-screen program and needs a terminal (standard input and output are not one here). In a pipeline or a script, run `archbench run --brief FILE` instead."),
    ))
}

async fn tui(cli: &Cli) -> i32 {
    if let Err(code) = require_terminal("the workbench") {
        return code;
    }
    let common = &cli.common;
    let brief = match &common.brief {
        Some(path) => match archbench::brief::read(path) {
            Ok(b) => b,
            Err(e) => return fail(exit::BAD_INPUT, &e),
        },
        None => String::new(),
    };
    let bench = match workbench(common, common.role()) {
        Ok(bench) => bench,
        Err(code) => return code,
    };
    let role_id = bench.session.role.id.clone();
    let mut state = State::new(bench.session, &brief, 80, 24);
    state.models = bench.models;
    state.inline = cli.inline;
    look(cli, &bench.config).apply(&mut state);
    state.brief_file = common
        .brief
        .as_deref()
        .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()));
    let recovered_draft = offer_draft(&mut state, &role_id, &brief);
    if let Some(problem) = &bench.model_problem {
        state.notice = Some(Notice {
            level: NoticeLevel::Error,
            text: problem.clone(),
        });
    }
    // A recovered draft is shown to its writer before anything runs; --run says why it waits.
    let autorun = cli.run && bench.model_problem.is_none() && !recovered_draft;
    if cli.run && !autorun {
        let why = if recovered_draft {
            "a recovered draft is on screen: read it, then Ctrl-S runs it"
        } else {
            "the model is not ready (above)"
        };
        let shown = state.notice.take().map(|n| n.text).unwrap_or_default();
        state.notice = Some(Notice {
            level: NoticeLevel::Warning,
            text: format!("--run did not start: {why}. {shown}"),
        });
    }
    match app::run_tui(
        state,
        bench.provider,
        outbox(common, &bench.config),
        autorun,
        Some(bench.builder),
    )
    .await
    {
        Ok(()) => exit::OK,
        Err(e) => fail(exit::PROVIDER, &format!("{e}")),
    }
}

/// How the workbench looks: the colours the terminal shows and the theme.
struct Look {
    mouse: bool,
    vi: bool,
    colour: archbench::ui::colour::Depth,
    theme: archbench::ui::theme::Theme,
    themes: Vec<archbench::ui::theme::Theme>,
    /// Theme files that could not be used, a theme name not found.
    problems: Vec<String>,
}

/// The colours: `--color`, else what the environment says. The theme: `--theme`, else
/// `ARCHBENCH_THEME`, else the configuration's, else dark; user themes from the config folder.
fn look(cli: &Cli, config: &archbench::config::Config) -> Look {
    use archbench::ui::theme::{self, Theme};
    let colour = cli.color.depth(&env);
    let (themes, mut problems) = theme::load(Some(&paths::config_dir().join("themes")));
    let mouse = !cli.no_mouse && config.mouse.unwrap_or(true);
    let vi = cli
        .editing
        .clone()
        .or_else(|| config.editing.as_ref().map(|e| e.get_ref().clone()))
        .is_some_and(|e| e == "vi");
    if !config.keys.is_empty() {
        let keys = &config.keys;
        let (table, key_problems) = archbench::keybindings::with_overrides(keys);
        archbench::keybindings::install(table);
        problems.extend(key_problems);
    }
    let wanted = theme::wanted(
        cli.theme.as_deref(),
        env("ARCHBENCH_THEME"),
        config.theme.clone(),
    )
    .map(|(name, _)| name);
    let theme = match wanted {
        Some(name) => theme::choose(&themes, &name).unwrap_or_else(|e| {
            problems.push(format!("{e}; the default is used"));
            Theme::dark()
        }),
        None => Theme::dark(),
    };
    Look {
        mouse,
        vi,
        colour,
        theme,
        themes,
        problems,
    }
}

impl Look {
    fn apply(self, state: &mut State) {
        // Checked when the theme was read; the default code theme stays on a failure.
        let _ = archbench::render::highlight::set_theme(&self.theme.syntax);
        state.colour = self.colour;
        state.mouse = self.mouse;
        if self.vi {
            state.vi = Some(archbench::state::vi::Vi::new());
        }
        state.use_theme(self.theme);
        state.themes = self.themes;
        if !self.problems.is_empty() {
            let text = self.problems.join("; ");
            state.notice = Some(match state.notice.take() {
                Some(earlier) => Notice {
                    level: earlier.level,
                    text: format!("{} {text}.", earlier.text),
                },
                None => Notice {
                    level: NoticeLevel::Warning,
                    text: format!("{text}."),
                },
            });
        }
    }
}

/// Puts the draft an earlier workbench left (it did not end cleanly, or quit with the brief
/// unsent) into the editor, when it differs from the brief given; says so, and how to undo it.
/// A draft that a workbench now gone left for this role and brief file. Over an empty brief
/// (no `--brief`) it is put in the editor, and said so; over a file named with `--brief` it is
/// only offered: the file is what opens. Returns whether the brief on screen is a draft.
fn offer_draft(state: &mut State, role: &str, brief: &str) -> bool {
    let found = archbench::store::draft::left_behind(
        &paths::drafts_dir(),
        role,
        state.brief_file.as_deref(),
    );
    let Some(draft) = found
        .into_iter()
        .find(|d| d.text.trim_end() != brief.trim_end())
    else {
        return false;
    };
    let when = draft
        .saved_at
        .with_timezone(&chrono::Local)
        .format("%Y-%m-%d %H:%M");
    let lines = draft.text.lines().count();
    let text = match &state.brief_file {
        None => {
            state.recover_draft(&draft);
            format!("Recovered the brief you were writing when a workbench ended ({lines} lines, saved {when}). Ctrl-Z twice brings back the empty brief.")
        }
        Some(file) => {
            // What to press first: a long path must not push it off a narrow status line.
            let text = format!("F7 takes the draft of this brief that a workbench left when it ended ({lines} lines, saved {when}); the file {} is what is open (Ctrl-Z twice undoes F7).", file.display());
            state.offered_draft = Some(draft);
            text
        }
    };
    state.notice = Some(Notice {
        level: NoticeLevel::Warning,
        text,
    });
    state.brief_file.is_none()
}

/// `archbench watch [SESSION]`: finds the session in the store, then follows it read-only.
async fn watch(cli: &Cli, session: Option<&str>) -> i32 {
    if let Err(code) = require_terminal("archbench watch") {
        return code;
    }
    let common = &cli.common;
    let loaded = match load_config(common) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let look = look(cli, &loaded.config);
    let path = paths::sessions_db();
    if !path.exists() {
        return fail(
            exit::BAD_INPUT,
            &format!(
                "no session store at {} yet: a session appears once someone runs the workbench (or archbench run) on this machine",
                path.display()
            ),
        );
    }
    let found =
        archbench::store::sessions::Store::open(&path).and_then(|s| s.latest_of_session(session));
    let run = match found {
        Ok(Some(run)) => run,
        Ok(None) => {
            return fail(
                exit::BAD_INPUT,
                &format!(
                    "no session matches `{}`: archbench sessions list --json shows each run's session_id",
                    session.unwrap_or("")
                ),
            )
        }
        Err(e) => return fail(exit::BAD_INPUT, &e.to_string()),
    };
    let book = match role_book(common) {
        Ok(book) => book,
        Err(code) => return code,
    };
    let Some(role) = book
        .get(&run.role_id)
        .or_else(|| book.get(common.role()))
        .cloned()
    else {
        return fail(exit::BAD_INPUT, &format!("no role `{}`", run.role_id));
    };
    let session_info = Session {
        chain: Chain::start(&role.id, Arc::new(book), SinkPlan::default()),
        role,
        provider: ProviderInfo {
            kind: "watching".into(),
            model: run.model.clone(),
            endpoint: String::new(),
        },
        params: Params::default(),
        reviewer: Reviewer::detect(),
        chain_id: String::new(),
        price: None,
    };
    let mut state = State::new(session_info, &run.brief, 80, 24);
    state.read_only = true;
    look.apply(&mut state);
    match app::run_watch(state, path, Some(run.session_id)).await {
        Ok(()) => exit::OK,
        Err(e) => fail(exit::PROVIDER, &format!("{e}")),
    }
}

/// `archbench resume ID`: the deferred review, in the workbench, as it was left.
async fn resume(cli: &Cli, id: &str) -> i32 {
    let common = &cli.common;
    let (path, saved) = match archbench::store::deferred::find(&paths::deferred_dir(), id) {
        Ok(found) => found,
        Err(e) => return fail(exit::BAD_INPUT, &e),
    };
    if let Err(e) = archbench::state::resume::check(&saved) {
        return fail(exit::BAD_INPUT, &e);
    }
    let settled = match archbench::store::sessions::Store::open(&paths::sessions_db())
        .map_err(|e| e.to_string())
        .and_then(|store| archbench::state::resume::check_stored(&saved, &store))
    {
        Ok(outcome) => outcome.filter(|o| o.kind.is_final()),
        Err(e) => return fail(exit::BAD_INPUT, &e),
    };
    if let Err(code) = require_terminal("archbench resume") {
        return code;
    }
    let mut bench = match workbench(common, &saved.role_id) {
        Ok(bench) => bench,
        Err(code) => return code,
    };
    // The parameters the answers were made with, unless a flag says otherwise.
    bench.session.params = params(common).or(&saved.parameters);
    let mut state = State::resume(bench.session, &saved, path, 80, 24, chrono::Utc::now());
    if let Some(outcome) = settled {
        state.settled_elsewhere(outcome);
    }
    state.models = bench.models;
    look(cli, &bench.config).apply(&mut state);
    if let Some(problem) = &bench.model_problem {
        state.notice = Some(Notice {
            level: NoticeLevel::Warning,
            text: format!("{problem} (reviewing needs no model; revising does)"),
        });
    }
    match app::run_tui(
        state,
        bench.provider,
        outbox(common, &bench.config),
        false,
        Some(bench.builder),
    )
    .await
    {
        Ok(()) => exit::OK,
        Err(e) => fail(exit::PROVIDER, &format!("{e}")),
    }
}
