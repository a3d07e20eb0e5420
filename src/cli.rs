//! The command line. Flags named here are a contract: later versions extend it, never rename it.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Exit codes of archbench, in both modes.
pub mod exit {
    /// Done as the policy asked.
    pub const OK: i32 = 0;
    /// Bad input: usage, an unreadable brief, a bad role.
    pub const BAD_INPUT: i32 = 2;
    /// The provider or the network failed.
    pub const PROVIDER: i32 = 3;
    /// The decision needs a person (`--approve agent` and the decision is not unique).
    pub const NEEDS_PERSON: i32 = 4;
    /// `audit verify` found the log edited, cut or reordered.
    pub const TAMPERED: i32 = 5;
    /// Handed off to the outbox, but a webhook or command sink failed: it is pending there
    /// (`archbench outbox retry`).
    pub const SINK_FAILED: i32 = 6;
    /// The work was done, but a record of it could not be written to the audit log.
    pub const AUDIT_FAILED: i32 = 8;
    /// Storage: the outbox or the session store could not be written (a full disk, a folder
    /// that is a file, a permission); nothing was handed off.
    pub const STORAGE: i32 = 9;
    /// The answer was handed off or rejected before (by any path, process or reviewer): it is
    /// not handed off again.
    pub const ALREADY_SETTLED: i32 = 7;
    /// `check`, or `run --check`: a statement of the answer's SQL did not parse or apply.
    pub const SQL_FAILED: i32 = 10;
    /// `check`: no check server could be started or reached; the SQL was only parsed.
    pub const CHECK_SERVER: i32 = 11;
    /// `run --approve inbox`: the review waits in the inbox for a person (its id is printed).
    pub const WAITING_FOR_REVIEW: i32 = 12;
    /// Interrupted by Ctrl-C (SIGINT); 129 for SIGHUP and 143 for SIGTERM, as shells report them.
    pub const INTERRUPTED: i32 = 130;
    pub const HANGUP: i32 = 129;
    pub const TERMINATED: i32 = 143;
}

const EXIT_CODES: &str = "Exit codes:
  0    done as the policy asked
  2    bad input (usage, unreadable brief, bad role)
  3    provider or network failure
  4    the decision needs a person (--approve agent and the decision is not unique)
  5    audit verify: the audit log was tampered with
  6    handed off, but a webhook or command sink failed (pending: archbench outbox retry)
  7    refused: this answer was already handed off or rejected
  8    done, but the audit log could not be written (the message names the records missing)
  9    storage: the outbox or the session store could not be written (full disk, permission)
  10   check, run --check: a statement of the answer's SQL did not parse or apply
  11   check: no PostgreSQL to apply the SQL to could be started or reached (it was parsed only)
  12   run --approve inbox: the review waits in the inbox for a person (its id is printed)
  129  hung up (SIGHUP); the text so far is kept and the run marked interrupted
  130  interrupted (Ctrl-C, SIGINT); likewise
  143  terminated (SIGTERM); likewise";

#[derive(Debug, Parser)]
#[command(name = "archbench", version, args_override_self = true, about = "A terminal workbench: run a role-prompted agent on a brief, read its answer, approve where the work goes next.", after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Start the run as soon as the screen is up (scripts and demos).
    #[arg(long)]
    pub run: bool,
    /// The theme: dark, light, high-contrast, sixteen, or a user theme (env ARCHBENCH_THEME).
    #[arg(long)]
    pub theme: Option<String>,
    /// A PostgreSQL to check the answers' SQL on instead of a throwaway server (overrides
    /// [check] url; its user needs CREATEROLE and CREATEDB).
    #[arg(long)]
    pub check_url: Option<String>,
    /// No alternate screen: the workbench sits at the bottom of the terminal and the answer goes
    /// into the scrollback as it completes.
    #[arg(long)]
    pub inline: bool,
    /// How the brief is edited: `default`, or `vi` (Normal and Insert modes).
    #[arg(long, value_parser = ["default", "vi"])]
    pub editing: Option<String>,
    /// Leave the mouse to the terminal (its own selection without Shift); the wheel then does
    /// not scroll.
    #[arg(long)]
    pub no_mouse: bool,
    /// Colours: auto (from NO_COLOR, COLORTERM and TERM), truecolor, 256, 16 or none.
    #[arg(long, value_enum, default_value_t = crate::screen::colour::ColourFlag::Auto)]
    pub color: crate::screen::colour::ColourFlag,
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// The run options of the command given, with those given before its name where it leaves
    /// one unset (`archbench --role x run` and `archbench run --role x` say the same).
    pub fn common_args(&self) -> CommonArgs {
        let given = match &self.command {
            Some(Command::Run(run)) => run.common.clone(),
            Some(
                Command::Roles { common }
                | Command::Keys { common }
                | Command::Resume { common, .. }
                | Command::Watch { common, .. },
            ) => common.clone(),
            Some(
                Command::Models { common, .. }
                | Command::Outbox { common, .. }
                | Command::Inbox { common, .. }
                | Command::Config { common, .. },
            ) => common.clone().into(),
            _ => return self.common.clone(),
        };
        given.or(&self.common)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run headless: stream the answer to standard output and hand off as the policy allows.
    #[command(after_help = EXIT_CODES)]
    Run(RunArgs),
    /// List the roles, their routes, and warnings about them.
    Roles {
        #[command(flatten)]
        common: CommonArgs,
    },
    /// List every key binding: its name (for [keys] in the configuration), keys and what it does.
    Keys {
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Measure the answer view against PERFORMANCE.md and print the figures (build with --release).
    Bench(BenchArgs),
    /// Check or read the audit log of runs, review actions and handoffs.
    Audit(AuditArgs),
    /// List deferred reviews, or open one in the workbench to finish it.
    Resume {
        /// The review to open (a prefix of its id is enough); without it, the list.
        id: Option<String>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Follow a session someone else is driving on this machine, read-only: the answer as it
    /// streams, the outline, the decision and the review's actions as they happen.
    Watch {
        /// The session's id, or its first characters (archbench sessions list --json shows them);
        /// without it, the session of the latest run.
        session: Option<String>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Local models (the model folder) and the models a server offers; download a GGUF.
    Models {
        #[command(subcommand)]
        command: Option<ModelsCommand>,
        #[command(flatten)]
        common: NestedCommonArgs,
    },
    /// The runs kept in the session store: list, show, search, export.
    Sessions(SessionsArgs),
    /// Check the SQL of a markdown answer or a .sql file: parsed with PostgreSQL's grammar,
    /// applied to a scratch database on a real PostgreSQL, and linted.
    Check(CheckArgs),
    /// The schema an answer's SQL builds, read from a real PostgreSQL's catalog: every table with
    /// its columns, keys, indexes, policies and partitions, and the line that made it.
    Schema(SchemaArgs),
    /// Envelopes in the outbox, and deliveries waiting there.
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
        #[command(flatten)]
        common: NestedCommonArgs,
    },
    /// The reviews waiting for a person (left by `run --approve inbox`), in this machine's store
    /// or the team's (--store-url, [store] url): `inbox list` prints them.
    Inbox {
        #[command(subcommand)]
        command: Option<InboxCommand>,
        #[command(flatten)]
        common: NestedCommonArgs,
    },
    /// The configuration file.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
        #[command(flatten)]
        common: NestedCommonArgs,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum ModelsCommand {
    /// The GGUF files in the model folder; with --server, the models the configured server lists.
    List {
        #[arg(long)]
        server: bool,
    },
    /// Download a GGUF model into the model folder over HTTPS: progress, resume of a partial
    /// download (run the same command again), and a checksum when one is given.
    Pull {
        /// The file's URL (a model hub's download link).
        url: String,
        /// The sha256 the file must have; it is refused otherwise.
        #[arg(long)]
        sha256: Option<String>,
        /// The file name in the model folder (default: the URL's).
        #[arg(long)]
        name: Option<String>,
        /// Replace a model of the same name.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct SessionsArgs {
    /// The session store to read (default: sessions.db in the data folder); this machine's.
    #[arg(long, global = true)]
    pub store: Option<PathBuf>,
    /// The team store whose history to read (default: `[store] url` of the configuration).
    #[arg(long, global = true, value_name = "URL")]
    pub store_url: Option<String>,
    /// This machine's history, even with a team store configured.
    #[arg(long, global = true, conflicts_with = "store_url")]
    pub local: bool,
    /// The configuration file (for `[store]`).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: SessionsCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum SessionsCommand {
    /// The latest runs, newest first.
    List {
        /// How many runs.
        #[arg(long, default_value_t = 30)]
        limit: usize,
        /// One JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Everything kept about one run: what ran, the brief, the answer, the review.
    Show {
        /// The run's number (the first column of `list`).
        id: i64,
        /// JSON instead of markdown.
        #[arg(long)]
        json: bool,
    },
    /// Runs whose brief or answer contain every word given.
    Search {
        /// The words to find.
        #[arg(required = true)]
        words: Vec<String>,
        #[arg(long, default_value_t = 30)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Write one run as markdown or JSON, to a file or standard output.
    Export {
        id: i64,
        #[arg(long, value_enum, default_value = "markdown")]
        format: ExportFormat,
        /// The file to write (written whole or not at all); standard output without it.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum OutboxCommand {
    /// List the envelopes and the deliveries pending.
    List,
    /// Send every pending delivery again (same envelope, same idempotency key).
    Retry,
}

#[derive(Debug, Clone, Subcommand)]
pub enum InboxCommand {
    /// Print the reviews waiting, oldest first: who holds each, since when.
    List(InboxListArgs),
    /// Check the inbox's audit chain (every review left, claimed, let go and settled, in the
    /// order the store took them): exits 5 and names each record edited, deleted or reordered.
    Verify,
    /// Print the inbox's audit chain as a table (or JSON): with a team store, every machine's
    /// runs, answers, review actions and handoffs, and every act on a pending review.
    History(ShowArgs),
    /// Send the team store what this machine kept for it while it could not be reached
    /// (reviews left, rejections, reviews let go), in order; approved handoffs wait for the
    /// workbench, which makes them. Exits 9 while the store still does not answer.
    Sync,
}

#[derive(Debug, Clone, Args)]
pub struct InboxListArgs {
    /// One JSON object per line (id, role, title, status, decision, check, created_at, origin,
    /// claimed_by, claimed_at, lease_until).
    #[arg(long)]
    pub json: bool,
    /// Only this role's reviews.
    #[arg(long = "for-role")]
    pub for_role: Option<String>,
    /// Only reviews older than this: 90s, 30m, 2h, 3d.
    #[arg(long, value_parser = crate::store::inbox::parse_age)]
    pub older_than: Option<std::time::Duration>,
    /// Settled reviews too.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ConfigCommand {
    /// Print where the configuration file is read from.
    Path,
    /// Print every effective setting for --role with where it came from (flag, environment,
    /// file, role file, default); keys are never shown.
    Show,
    /// Check the configuration; each error names its line.
    Check,
    /// Write a commented example configuration (never over an existing file).
    Init,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// A markdown answer, or a `.sql` file; `-` reads standard input.
    #[arg(required_unless_present = "rules")]
    pub file: Option<PathBuf>,
    /// Print one JSON object instead of the report.
    #[arg(long)]
    pub json: bool,
    /// Read the input as SQL, not markdown (the default for files ending in .sql).
    #[arg(long)]
    pub sql: bool,
    /// The brief the answer was written for (read for what it asks: a multi-tenant design, say).
    #[arg(long)]
    pub brief: Option<PathBuf>,
    /// A PostgreSQL to check on (postgresql://user@host/db; its user needs CREATEROLE and
    /// CREATEDB) instead of a throwaway server; overrides [check] url.
    #[arg(long)]
    pub check_url: Option<String>,
    /// Parse and lint only: start no server.
    #[arg(long)]
    pub parse_only: bool,
    /// List the lint rules, their severity and why, and exit.
    #[arg(long)]
    pub rules: bool,
    /// The configuration file (default: config.toml in the config folder).
    #[arg(long, env = "ARCHBENCH_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct SchemaArgs {
    /// A markdown answer, or a `.sql` file; `-` reads standard input.
    pub file: PathBuf,
    /// A Mermaid erDiagram instead of text.
    #[arg(long, group = "form")]
    pub mermaid: bool,
    /// A Graphviz (dot) graph instead of text.
    #[arg(long, group = "form")]
    pub dot: bool,
    /// The schema as the server dumps it (`pg_dump --schema-only`) instead of text.
    #[arg(long, group = "form")]
    pub sql: bool,
    /// The schema as JSON (tables, columns, keys, indexes, policies, partitions, lines).
    #[arg(long, group = "form")]
    pub json: bool,
    /// A PostgreSQL to build it on instead of a throwaway server; overrides [check] url.
    #[arg(long)]
    pub check_url: Option<String>,
    /// The configuration file (default: config.toml in the config folder).
    #[arg(long, env = "ARCHBENCH_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// The log to read (default: audit.jsonl in the data folder).
    #[arg(long)]
    pub log: Option<PathBuf>,
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum AuditCommand {
    /// Check the chain of hashes, and the log against the session store's record of its head
    /// and the outbox's envelopes: exits 5 and names each edited, deleted, inserted or reordered
    /// record; crashes recovered are listed, not counted as tampering.
    Verify {
        /// The outbox whose envelopes to check (default: the default outbox).
        #[arg(long)]
        outbox: Option<PathBuf>,
        /// The session store to check against (default: sessions.db in the data folder).
        #[arg(long)]
        store: Option<PathBuf>,
    },
    /// Print the log as a table.
    Show(ShowArgs),
}

/// Which audit records to print, and how: `audit show` and `inbox history` alike.
#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// Only this chain (a prefix of its id is enough).
    #[arg(long)]
    pub chain: Option<String>,
    /// Only this role.
    #[arg(long)]
    pub role: Option<String>,
    /// One JSON array of the records instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Answer sizes in tokens.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "10000,20000,50000,100000"
    )]
    pub sizes: Vec<usize>,
    /// Sizes at which the naive baseline (re-render everything on every line) runs too.
    #[arg(long, value_delimiter = ',', default_value = "10000,20000")]
    pub naive_sizes: Vec<usize>,
    /// Runs per size; figures are medians.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Also stream the largest size at this rate (tokens a second).
    #[arg(long, default_value_t = 3000.0)]
    pub rate: f64,
    /// Internal: stream N tokens and print the peak resident memory in KiB.
    #[arg(long, hide = true)]
    pub memory_probe: Option<usize>,
    /// Serve the bench corpus of N tokens as an OpenAI-compatible loopback server (at --rate
    /// when --paced), print its base URL, and answer requests until stopped: the model for
    /// measuring the real binary from outside (scripts/bench-lean.sh).
    #[arg(long, value_name = "TOKENS")]
    pub serve: Option<usize>,
    /// With --serve: pace the stream at --rate tokens a second.
    #[arg(long, requires = "serve")]
    pub paced: bool,
    /// Run the command after `--` and write its CPU seconds and peak memory (KiB) to FILE: to
    /// measure another program in the same terminal (scripts/bench-side-by-side.sh).
    #[arg(long, value_name = "FILE", requires = "command")]
    pub measure: Option<std::path::PathBuf>,
    /// The command --measure runs.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
    /// The SQL check's figures instead: server start, a 200-statement schema checked, parsing
    /// alone, and P4/P5 while checks run (needs PostgreSQL, as the check does).
    #[arg(long)]
    pub check: bool,
    /// The inbox's figures instead: 10,000 pending reviews listed and one opened (PostgreSQL and
    /// SQLite), 8 producers and 4 reviewers on one PostgreSQL for --seconds, NOTIFY's latency, a
    /// watched session's latency across machines.
    #[arg(long)]
    pub inbox: bool,
    /// With --inbox: how long the producers and reviewers run.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// The local engine's first-token times instead: a first run, a second run of the role, a
    /// revision, a fresh process with the role's prompt on disk; and the prompt reading rate.
    #[arg(long)]
    pub first_token: bool,
    /// The model for --first-token (default: the model `scripts/fetch-model.sh` fetches).
    #[arg(long, value_name = "FILE")]
    pub model_path: Option<std::path::PathBuf>,
    /// Internal: one fresh-process run for --first-token, printing `first-token` at once.
    #[arg(long, hide = true)]
    pub first_token_probe: bool,
    /// Internal: the prompt cache folder of --first-token-probe (none when absent).
    #[arg(long, hide = true)]
    pub cache_dir: Option<std::path::PathBuf>,
}

/// The role run when none is named.
pub const DEFAULT_ROLE: &str = "database_architect";

impl CommonArgs {
    /// How the local engine runs, from the flags.
    pub fn local_run(&self) -> crate::provider::choose::LocalRun {
        crate::provider::choose::LocalRun {
            threads: self.threads,
            prompt_cache: !self.no_prompt_cache,
        }
    }

    /// The role named by `--role`, else the database architect.
    pub fn role(&self) -> &str {
        self.role.as_deref().unwrap_or(DEFAULT_ROLE)
    }
}

/// The options of a run: which role, brief, model and parameters, where handoffs go. Taken by
/// the commands that run or set up a role (the workbench, `run`, `resume`, `watch`, `roles`,
/// `keys`, `models`, `outbox`, `config`), and by no other: `audit`, `sessions` and `bench` list
/// only their own options. [`common_args!`] writes it twice: as given to a command, and
/// `Nested`, for a command with subcommands of its own, after which they may also come.
macro_rules! common_args {
    ($($(#[doc = $doc:literal])* #[arg($($arg:tt)*)] pub $name:ident: $ty:ty,)*) => {
        #[derive(Debug, Clone, Default, Args)]
        pub struct CommonArgs {
            $($(#[doc = $doc])* #[arg($($arg)*)] pub $name: $ty,)*
        }

        /// [`CommonArgs`] for a command with subcommands: given after any of them.
        #[derive(Debug, Clone, Default, Args)]
        pub struct NestedCommonArgs {
            $($(#[doc = $doc])* #[arg($($arg)*, global = true)] pub $name: $ty,)*
        }

        impl From<NestedCommonArgs> for CommonArgs {
            fn from(n: NestedCommonArgs) -> Self {
                Self { $($name: n.$name,)* }
            }
        }

        impl CommonArgs {
            /// These options, with `earlier`'s where these leave one unset (options given before
            /// the command's name).
            pub fn or(self, earlier: &CommonArgs) -> Self {
                Self { $($name: Unset::or_else(self.$name, &earlier.$name),)* }
            }
        }
    };
}

/// An option left unset: `None`, or an empty list.
trait Unset: Sized {
    fn or_else(self, other: &Self) -> Self;
}

impl<T: Clone> Unset for Option<T> {
    fn or_else(self, other: &Self) -> Self {
        self.or_else(|| other.clone())
    }
}

/// A switch is set when given in either place.
impl Unset for bool {
    fn or_else(self, other: &Self) -> Self {
        self || *other
    }
}

impl<T: Clone> Unset for Vec<T> {
    fn or_else(self, other: &Self) -> Self {
        if self.is_empty() {
            other.clone()
        } else {
            self
        }
    }
}

common_args! {
    /// The role to run (default: database_architect).
    #[arg(long)]
    pub role: Option<String>,
    /// The brief, a text or markdown file (`-` reads standard input in `run`).
    #[arg(long)]
    pub brief: Option<PathBuf>,
    /// Which provider runs the model (env ARCHBENCH_PROVIDER; default: the profile's, else an
    /// endpoint whose key is set, else local).
    #[arg(long, value_enum)]
    pub provider: Option<crate::provider::ProviderKind>,
    /// A provider profile of the configuration file (env ARCHBENCH_PROFILE).
    #[arg(long)]
    pub profile: Option<String>,
    /// A known OpenAI-compatible server: openai, ollama, llamacpp, vllm, lmstudio (sets the base
    /// URL; env ARCHBENCH_PRESET).
    #[arg(long, value_parser = crate::provider::presets::parse)]
    pub preset: Option<String>,
    /// Base URL of the server, e.g. http://localhost:11434/v1 (env ARCHBENCH_BASE_URL).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Model name for the server (env ARCHBENCH_MODEL).
    #[arg(long)]
    pub model: Option<String>,
    /// Environment variable that holds the API key (default: OPENAI_API_KEY, or
    /// ANTHROPIC_API_KEY for --provider anthropic).
    #[arg(long)]
    pub api_key_env: Option<String>,
    /// GGUF model file for the local provider (env ARCHBENCH_MODEL_PATH).
    #[arg(long)]
    pub model_path: Option<PathBuf>,
    /// Folder the handoff envelopes are written to.
    #[arg(long)]
    pub outbox: Option<PathBuf>,
    /// Folder of extra role files (`*.md`).
    #[arg(long)]
    pub roles_dir: Option<PathBuf>,
    /// Threads for the local model (default: the cores available).
    #[arg(long)]
    pub threads: Option<i32>,
    /// Read the role's prompt afresh in every new process, instead of keeping the local model's
    /// state after it in the cache folder (`prompts/`, at most 1 GiB, least recently used out).
    #[arg(long)]
    pub no_prompt_cache: bool,
    /// Sampling temperature.
    #[arg(long)]
    pub temperature: Option<f32>,
    /// Most tokens the answer may take.
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Sampling seed.
    #[arg(long)]
    pub seed: Option<u32>,
    /// A sequence that ends the answer where it appears (repeatable).
    #[arg(long = "stop")]
    pub stop: Vec<String>,
    /// The configuration file (default: config.toml in the config folder).
    #[arg(long, env = "ARCHBENCH_CONFIG")]
    pub config: Option<PathBuf>,
    /// A team's PostgreSQL for pending reviews and claims (overrides [store] url; no password
    /// in it: set PGPASSWORD).
    #[arg(long)]
    pub store_url: Option<String>,
    /// Where handoffs go: outbox, stdout, chain, webhook:URL, exec:COMMAND. Repeatable; replaces
    /// the configured sinks (default: outbox and chain in the workbench, outbox headless).
    #[arg(long = "sink", value_parser = crate::sink::SinkSpec::parse)]
    pub sinks: Vec<crate::sink::SinkSpec>,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Who decides the route: `agent` (hand off only a unique decision), `never`, `inbox` (leave
    /// the review for a person: exit 12 with its id), or a target role.
    #[arg(long, default_value = "agent")]
    pub approve: String,
    /// Print each envelope as one line of JSON on standard output instead of the answer (the same
    /// as `--sink stdout` added to the sinks).
    #[arg(long)]
    pub json: bool,
    /// Check the answer's SQL before handing off (parsed, applied to a scratch PostgreSQL,
    /// linted); with `--approve agent`, an answer whose SQL failed is not handed off (exit 10).
    #[arg(long)]
    pub check: bool,
    /// A PostgreSQL to check on instead of a throwaway server (overrides [check] url).
    #[arg(long)]
    pub check_url: Option<String>,
}

/// Which form `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Markdown,
    Json,
}
