//! The commented example configuration `archbench config init` writes (and the tests parse).

/// A commented example configuration, written by `archbench config init`.
pub const EXAMPLE: &str = r#"# archbench configuration. Every setting is optional.
# Keys never go here: archbench reads them from environment variables, or from the output of a
# command you name (api_key_cmd), and writes them nowhere.

# The provider profile used when none is chosen (a top-level setting: keep it above every [table]).
# default_profile = "claude"
# How the brief is edited: "default", or "vi" (Normal and Insert modes; Esc, i, a, o, dd, p, u…).
# editing = "vi"
# The mouse wheel scrolls; false leaves the mouse to the terminal (selection without Shift).
# mouse = true
# The theme: dark, light, high-contrast, sixteen, or one of yours in the config folder's themes/.
# theme = "light"
# Where envelopes are written (default: the outbox folder in archbench's data folder).
# outbox = "/srv/handoffs/outbox"

[reviewer]
# Recorded in every envelope; without it archbench uses git's user, else the OS user.
# name = "Ada Lovelace"
# email = "ada@example.com"

[handoff]
# Where approved work goes, in order. The outbox is always written first.
#   outbox          one JSON file per envelope in the outbox folder
#   stdout          the envelope on standard output (archbench run only)
#   chain           open the target role next, with a brief composed from this step
#   webhook:URL     POST the envelope, Idempotency-Key = envelope id, retried with backoff
#   exec:COMMAND    run COMMAND with the envelope on standard input (no shell)
# sinks = ["outbox", "chain"]
# max_chain_depth = 6
# webhook_timeout_secs = 10
# webhook_retries = 3
# webhook_backoff_ms = 500
# exec_timeout_secs = 60

# Per-role sinks replace the list above for that role's handoffs.
# [roles.backup_disaster_specialist]
# sinks = ["outbox", "webhook:https://ops.example.com/handoffs"]

# Provider profiles (below). Choose one with --profile NAME or ARCHBENCH_PROFILE; without
# either, default_profile (at the top of the file); without that, the local model. Flags and
# environment variables (ARCHBENCH_PROVIDER, ARCHBENCH_MODEL, ARCHBENCH_BASE_URL,
# ARCHBENCH_MODEL_PATH, ARCHBENCH_PRESET) override a profile's values. `archbench config show`
# prints what is in effect and where each value came from.
#
# [profiles.claude]
# provider = "anthropic"              # local, openai or anthropic
# model = "claude-sonnet-4-5"
# api_key_env = "ANTHROPIC_API_KEY"   # the default for anthropic
#
# [profiles.gpt]
# provider = "openai"
# model = "gpt-4o-mini"
# api_key_cmd = "pass show openai/api-key"   # a command that prints the key
#
# [profiles.ollama]
# preset = "ollama"                   # openai, ollama, llamacpp, vllm, lmstudio
# model = "qwen2.5:14b"
#
# [profiles.local]
# provider = "local"
# model_path = "/models/Qwen2.5-7B-Instruct-Q4_K_M.gguf"

# Sampling for every role. A role file's front matter sets defaults below these; a role's own
# section (roles.ID) and the flags go above them.
# [params]
# temperature = 0.2
# max_tokens = 8000
# seed = 7
# stop = ["\nEND"]

# [roles.database_architect]
# profile = "claude"
# temperature = 0.1

# [timeouts]
# connect_secs = 10
# first_token_secs = 180     # a server loading its model can take a while
# idle_secs = 60

# [retry]                    # for 429, 5xx and overloaded answers
# max_tries = 5
# base_ms = 1000
# max_ms = 30000

# The answer's SQL, applied to a throwaway PostgreSQL (or the server named here), linted, its
# queries planned.
# Where pending reviews and their claims are kept: a team's PostgreSQL (default: this machine).
# [store]
# url = "postgresql://reviewer@db.example.com/archbench"   # no password here
# password_cmd = "pass show archbench/db"                   # or password_env; default PGPASSWORD
# ca_file = "/etc/ssl/certs/team-ca.pem"                    # TLS: a team's own authority

# [check]
# enabled = true
# url = "postgresql://checker@db.example.com/postgres"   # needs CREATEROLE and CREATEDB
# require = "confirm"          # approving with errors: pass (refused) | confirm | off
# statement_timeout_secs = 5
# time_limit_secs = 60
# envelope_schema = ["mermaid", "json"]   # the built schema into the envelope: text, mermaid, dot, json
# [check.lints]
# prefer-text-field = false    # any rule of `archbench check --rules`

# Keys: a binding's name (context.action; a global one by its action alone, as `archbench keys`
# lists them) and the keys it should answer to. Conflicts are reported at start.
# [keys]
# run = ["ctrl-s", "f9"]
# "answer.copy_block" = ["y", "ctrl-y"]

# Prices per million tokens, by model, for the estimate in the status bar.
# [prices."claude-sonnet-4-5"]
# input = 3.0
# output = 15.0
"#;
