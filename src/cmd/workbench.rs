//! The full-screen commands: the workbench (the default command), `archbench watch` and
//! `archbench resume ID`.

use super::fail;
use super::look::look;
use super::setup::{
    check_model, env, find_role, load_config, outbox, params, profile_choices, resolve_settings,
    role_book,
};
use crate::cli::{exit, Cli, CommonArgs};
use crate::provider::choose;
use crate::provider::{Params, ProviderInfo};
use crate::reviewer::Reviewer;
use crate::sink::{Mode, SinkPlan};
use crate::state::{Chain, Notice, NoticeLevel, Session, State};
use crate::{app, paths};
use std::sync::Arc;

/// What the workbench needs, whether it starts fresh or resumes: the session for `role_id`, the
/// provider, and a problem with the model to show (the screen still opens).
struct Workbench {
    session: Session,
    provider: Arc<dyn crate::provider::Provider>,
    model_problem: Option<String>,
    models: crate::state::picker::ModelSetup,
    builder: crate::app::ProviderBuilder,
    /// The configuration, read once for the whole start.
    config: crate::config::Config,
    /// The team store of the inbox (none: this machine's session store).
    store_url: Option<String>,
}

fn workbench(common: &CommonArgs, role_id: &str) -> Result<Workbench, i32> {
    let loaded = load_config(common)?;
    let store_url =
        crate::store::inbox::store_url(common.store_url.as_deref(), &loaded.config.store)
            .map_err(|e| fail(exit::BAD_INPUT, &e))?;
    let book = role_book(common)?;
    let role = find_role(&book, role_id)?;
    let settings = resolve_settings(common, &loaded, &role)?;
    let choice = settings.choice();
    let model_problem = check_model(&choice).err();
    let provider = choose::build(&choice, common.local_run(), &settings.network(), &env)
        .map_err(|e| fail(exit::PROVIDER, &e.to_string()))?;
    let info: ProviderInfo = provider.info();
    let info_model = info.model.clone();
    let sinks = loaded.sink_plan(&common.sinks, Mode::Workbench);
    let session = Session {
        chain: Chain::start(&role.id, Arc::new(book), sinks),
        role,
        provider: info,
        params: settings.params().or(&provider.default_params()),
        reviewer: Reviewer::resolve(&loaded.config.reviewer),
        chain_id: uuid::Uuid::now_v7().to_string(),
        price: loaded.config.prices.get(&info_model).copied(),
    };
    let models = crate::state::picker::ModelSetup {
        current: Some(choice),
        requested: settings.params(),
        profiles: profile_choices(&loaded, &session.role),
        prices: loaded.config.prices.clone(),
    };
    let local = common.local_run();
    let network = settings.network();
    let builder: crate::app::ProviderBuilder =
        Arc::new(move |choice| choose::build(choice, local, &network, &env));
    Ok(Workbench {
        session,
        provider,
        model_problem,
        models,
        builder,
        config: loaded.config,
        store_url,
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

pub async fn tui(cli: &Cli) -> i32 {
    if let Err(code) = require_terminal("the workbench") {
        return code;
    }
    let common = &cli.common;
    let brief = match &common.brief {
        Some(path) => match crate::brief::read(path) {
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
    let mut state = State::new(bench.session.clone(), &brief, 80, 24);
    state.models = bench.models.clone();
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
    let outbox = outbox(common, &bench.config);
    let checker = match checker(&bench.config, cli.check_url.as_deref(), &mut state) {
        Ok(checker) => checker,
        Err(e) => return fail(exit::BAD_INPUT, &e),
    };
    let opening = app::Opening {
        first: autorun.then_some(crate::action::Action::Run),
        ..Default::default()
    };
    open(state, bench, outbox, checker, opening).await
}

/// `archbench inbox` on a terminal: the workbench with the inbox open, for the configured role
/// (each review opens with its own).
pub async fn inbox(cli: &Cli) -> i32 {
    if let Err(code) = require_terminal("archbench inbox") {
        return code;
    }
    let common = &cli.common;
    let bench = match workbench(common, common.role()) {
        Ok(bench) => bench,
        Err(code) => return code,
    };
    let mut state = State::new(bench.session.clone(), "", 80, 24);
    let (outbox, checker) = match for_review(cli, &bench, &mut state) {
        Ok(ready) => ready,
        Err(code) => return code,
    };
    let opening = app::Opening {
        first: Some(crate::action::Action::OpenInbox),
        ..Default::default()
    };
    open(state, bench, outbox, checker, opening).await
}

/// Puts the draft an earlier workbench left (it did not end cleanly, or quit with the brief
/// unsent) into the editor, when it differs from the brief given; says so, and how to undo it.
/// A draft that a workbench now gone left for this role and brief file. Over an empty brief
/// (no `--brief`) it is put in the editor, and said so; over a file named with `--brief` it is
/// only offered: the file is what opens. Returns whether the brief on screen is a draft.
fn offer_draft(state: &mut State, role: &str, brief: &str) -> bool {
    let found =
        crate::store::draft::left_behind(&paths::drafts_dir(), role, state.brief_file.as_deref());
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

/// No session matches `session`: what to do about it.
fn no_session(session: Option<&str>, where_: &str) -> i32 {
    fail(
        exit::BAD_INPUT,
        &format!(
            "no session matches `{}` in {where_}: archbench sessions list --json shows each run's session_id",
            session.unwrap_or("")
        ),
    )
}

/// The latest run of the session in this machine's session store.
fn watched_here(session: Option<&str>) -> Result<crate::store::sessions::Watched, i32> {
    let path = paths::sessions_db();
    if !path.exists() {
        return Err(fail(
            exit::BAD_INPUT,
            &format!(
                "no session store at {} yet: a session appears once someone runs the workbench (or archbench run) on this machine",
                path.display()
            ),
        ));
    }
    match crate::store::sessions::Store::open(&path).and_then(|s| s.latest_of_session(session)) {
        Ok(Some(run)) => Ok(run),
        Ok(None) => Err(no_session(session, "this machine's history")),
        Err(e) => Err(fail(exit::BAD_INPUT, &e.to_string())),
    }
}

/// The latest run of the session in the team's history, whichever machine runs it.
async fn watched_in_team(
    url: &str,
    session: Option<&str>,
) -> Result<crate::store::sessions::Watched, i32> {
    let team = crate::store::inbox::PgInbox::connect(url)
        .await
        .map_err(|e| fail(exit::STORAGE, &e))?;
    match team.latest_of_session(session).await {
        Ok(Some(run)) => Ok(run),
        Ok(None) => Err(no_session(session, "the team's history")),
        Err(e) => Err(fail(exit::STORAGE, &e)),
    }
}

/// `archbench watch [SESSION]`: finds the session in the store (the team's, when one is
/// configured: the session may run on another machine), then follows it read-only.
pub async fn watch(cli: &Cli, session: Option<&str>) -> i32 {
    if let Err(code) = require_terminal("archbench watch") {
        return code;
    }
    let common = &cli.common;
    let loaded = match load_config(common) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let look = look(cli, &loaded.config);
    let url =
        match crate::store::inbox::store_url(common.store_url.as_deref(), &loaded.config.store) {
            Ok(url) => url,
            Err(e) => return fail(exit::BAD_INPUT, &e),
        };
    let (run, source) = match url {
        Some(url) => match watched_in_team(&url, session).await {
            Ok(run) => (run, app::Watching::Team(url)),
            Err(code) => return code,
        },
        None => match watched_here(session) {
            Ok(run) => (run, app::Watching::Here(paths::sessions_db())),
            Err(code) => return code,
        },
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
    match app::run_watch(state, source, Some(run.session_id)).await {
        Ok(()) => exit::OK,
        Err(e) => fail(exit::PROVIDER, &format!("{e}")),
    }
}

/// `archbench resume ID`: the deferred review, in the workbench, as it was left.
pub async fn resume(cli: &Cli, id: &str) -> i32 {
    let common = &cli.common;
    let (path, saved) = match crate::store::deferred::find(&paths::deferred_dir(), id) {
        Ok(found) => found,
        Err(e) => return fail(exit::BAD_INPUT, &e),
    };
    if let Err(e) = crate::state::resume::check(&saved) {
        return fail(exit::BAD_INPUT, &e);
    }
    let settled = match crate::store::sessions::Store::open(&paths::sessions_db())
        .map_err(|e| e.to_string())
        .and_then(|store| crate::state::resume::check_stored(&saved, &store))
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
    // Deferred in a workbench, it waits in the inbox too: it is claimed there first, so that
    // nobody else takes it meanwhile and its handoff is settled there once.
    let claim = match claim_deferred(&saved, &bench).await {
        Ok(claim) => claim,
        Err(code) => return code,
    };
    let mut state = State::resume(
        bench.session.clone(),
        &saved,
        path,
        80,
        24,
        chrono::Utc::now(),
    );
    if claim.is_some() {
        state.pending = Some(crate::state::inbox::Pending {
            id: saved.id.clone(),
            title: crate::store::inbox::Summary::of(&saved, None).title,
        });
    }
    if let Some(outcome) = settled {
        state.settled_elsewhere(outcome);
    }
    let (outbox, checker) = match for_review(cli, &bench, &mut state) {
        Ok(ready) => ready,
        Err(code) => return code,
    };
    let opening = app::Opening {
        claim,
        ..Default::default()
    };
    open(state, bench, outbox, checker, opening).await
}

/// What a review opened from elsewhere (the inbox, a deferred file) needs besides its state: the
/// models, the look, a model problem said (reviewing needs no model), the outbox, the SQL check.
fn for_review(
    cli: &Cli,
    bench: &Workbench,
    state: &mut State,
) -> Result<(std::path::PathBuf, Option<Arc<crate::check::Checker>>), i32> {
    state.models = bench.models.clone();
    look(cli, &bench.config).apply(state);
    if let Some(problem) = &bench.model_problem {
        state.notice = Some(Notice {
            level: NoticeLevel::Warning,
            text: format!("{problem} (reviewing needs no model; revising does)"),
        });
    }
    let outbox = outbox(&cli.common, &bench.config);
    let checker = checker(&bench.config, cli.check_url.as_deref(), state)
        .map_err(|e| fail(exit::BAD_INPUT, &e))?;
    Ok((outbox, checker))
}

/// The deferred review's claim in the inbox, when it waits there (one deferred before the inbox
/// existed does not); refused while someone else holds it or once it was settled.
async fn claim_deferred(
    saved: &crate::store::deferred::DeferredReview,
    bench: &Workbench,
) -> Result<Option<crate::store::inbox::Claim>, i32> {
    use crate::store::inbox::{Inbox, Refused, LEASE};
    let inbox = Inbox::open(bench.store_url.as_deref(), &paths::sessions_db())
        .await
        .map_err(|e| fail(exit::STORAGE, &e))?;
    let me = bench.session.reviewer.label();
    match inbox.claim(&saved.id, &me, LEASE, chrono::Utc::now()).await {
        Ok(claim) => Ok(Some(claim)),
        Err(Refused::Missing) => Ok(None),
        Err(Refused::Settled { by, outcome }) => Err(fail(
            exit::ALREADY_SETTLED,
            &format!(
                "the review {} was settled from the inbox by {by}: {outcome}",
                saved.id
            ),
        )),
        Err(refused) => Err(fail(
            exit::ALREADY_SETTLED,
            &format!(
                "the review {} is {refused}; `archbench inbox` shows who holds what",
                saved.id
            ),
        )),
    }
}

/// Runs the workbench on `state` until it is quit.
async fn open(
    state: State,
    bench: Workbench,
    outbox: std::path::PathBuf,
    checker: Option<Arc<crate::check::Checker>>,
    opening: app::Opening,
) -> i32 {
    let opening = app::Opening {
        store_url: bench.store_url,
        ..opening
    };
    let run = app::run_tui(
        state,
        bench.provider,
        outbox,
        opening,
        Some(bench.builder),
        checker,
    );
    match run.await {
        Ok(()) => exit::OK,
        Err(e) => fail(exit::PROVIDER, &format!("{e}")),
    }
}

/// The SQL check of `[check]` and `--check-url`: its approval policy set on the state, its
/// checker for the effect runner (none when the check is off); a URL that does not parse is an
/// error.
fn checker(
    config: &crate::config::Config,
    url: Option<&str>,
    state: &mut State,
) -> Result<Option<Arc<crate::check::Checker>>, String> {
    let settings = crate::check::Settings::resolve(&config.check, url)?;
    // ARCHBENCH_CHECK=off turns it off for one session, above the configuration.
    let off = std::env::var("ARCHBENCH_CHECK")
        .is_ok_and(|v| matches!(v.trim(), "off" | "0" | "false" | "no"));
    if !settings.enabled || off {
        return Ok(None);
    }
    state.check_policy = Some(settings.require);
    state.schema_artifacts = settings.envelope_schema.clone();
    Ok(Some(Arc::new(crate::check::Checker::new(settings))))
}
