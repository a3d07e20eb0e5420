use super::*;
use crate::role::RoleBook;
use clap::Parser;
use std::collections::HashMap;
use std::path::Path;

fn args(flags: &[&str]) -> CommonArgs {
    let mut argv = vec!["archbench"];
    argv.extend(flags);
    crate::cli::Cli::try_parse_from(argv).unwrap().common
}

fn role() -> Role {
    RoleBook::load(None)
        .unwrap()
        .get("database_architect")
        .unwrap()
        .clone()
}

fn config(text: &str) -> Loaded {
    crate::config::parse(text, Path::new("config.toml")).unwrap()
}

struct Case {
    flags: Vec<&'static str>,
    env: HashMap<&'static str, &'static str>,
    file: &'static str,
}

impl Case {
    fn new() -> Self {
        Self {
            flags: Vec::new(),
            env: HashMap::new(),
            file: "",
        }
    }

    fn settings(&self) -> Result<Settings, String> {
        let env = |name: &str| self.env.get(name).map(|v| v.to_string());
        let loaded = config(self.file);
        let role = role();
        let args = args(&self.flags);
        resolve(&Inputs {
            args: &args,
            env: &env,
            loaded: &loaded,
            role: &role,
            default_model_path: PathBuf::from("/cache/default.gguf"),
        })
    }
}

/// A file with two profiles, the default one pointing at an Ollama server.
const FILE: &str = r#"
default_profile = "file"

[profiles.file]
provider = "openai"
preset = "ollama"
base_url = "http://file:1/v1"
model = "file-model"
model_path = "/file.gguf"

[profiles.named]
provider = "anthropic"
model = "named-model"
"#;

/// For one setting: the flag beats the environment, the environment beats the file, the file
/// beats the default.
fn precedence<T: PartialEq + std::fmt::Debug>(
    flag: [&'static str; 2],
    env: (&'static str, &'static str),
    get: impl Fn(&Settings) -> Sourced<T>,
    expect: [T; 4],
) {
    let mut case = Case::new();
    case.file = FILE;
    case.env.insert(env.0, env.1);
    case.flags.extend(flag);
    let [from_flag, from_env, from_file, from_default] = expect;
    let s = get(&case.settings().unwrap());
    assert_eq!(s.value, from_flag, "flag");
    assert!(matches!(s.source, Source::Flag(_)), "{:?}", s.source);
    case.flags.clear();
    let s = get(&case.settings().unwrap());
    assert_eq!(s.value, from_env, "environment");
    assert_eq!(s.source, Source::Env(env.0));
    case.env.clear();
    let s = get(&case.settings().unwrap());
    assert_eq!(s.value, from_file, "file");
    assert!(matches!(s.source, Source::Profile(_)), "{:?}", s.source);
    case.file = "";
    let s = get(&case.settings().unwrap());
    assert_eq!(s.value, from_default, "default");
    assert!(
        matches!(s.source, Source::Default | Source::Detected(_)),
        "{:?}",
        s.source
    );
}

#[test]
fn model_flag_over_environment_over_file_over_default() {
    precedence(
        ["--model", "flag-model"],
        ("ARCHBENCH_MODEL", "env-model"),
        |s| s.model.clone(),
        [
            "flag-model".into(),
            "env-model".into(),
            "file-model".into(),
            DEFAULT_OPENAI_MODEL.to_string(),
        ],
    );
}

#[test]
fn base_url_flag_over_environment_over_file_over_default() {
    precedence(
        ["--base-url", "http://flag:1/v1"],
        ("ARCHBENCH_BASE_URL", "http://env:1/v1"),
        |s| s.base_url.clone(),
        [
            "http://flag:1/v1".into(),
            "http://env:1/v1".into(),
            "http://file:1/v1".into(),
            DEFAULT_BASE_URL.to_string(),
        ],
    );
}

#[test]
fn model_path_flag_over_environment_over_file_over_default() {
    precedence(
        ["--model-path", "/flag.gguf"],
        ("ARCHBENCH_MODEL_PATH", "/env.gguf"),
        |s| s.model_path.clone(),
        [
            "/flag.gguf".into(),
            "/env.gguf".into(),
            "/file.gguf".into(),
            PathBuf::from("/cache/default.gguf"),
        ],
    );
}

#[test]
fn provider_flag_over_environment_over_file_over_default() {
    precedence(
        ["--provider", "local"],
        ("ARCHBENCH_PROVIDER", "anthropic"),
        |s| s.provider.clone(),
        [
            ProviderKind::Local,
            ProviderKind::Anthropic,
            ProviderKind::Openai,
            ProviderKind::Local,
        ],
    );
}

#[test]
fn profile_flag_over_environment_over_file_over_none() {
    let mut case = Case::new();
    case.file = FILE;
    case.flags = vec!["--profile", "named"];
    case.env.insert("ARCHBENCH_PROFILE", "file");
    let s = case.settings().unwrap();
    assert_eq!(s.profile.as_ref().unwrap().value, "named");
    assert_eq!(s.provider.value, ProviderKind::Anthropic);
    assert_eq!(s.model.value, "named-model");
    assert_eq!(
        s.base_url.value,
        anthropic::DEFAULT_BASE_URL,
        "anthropic's own default"
    );
    assert_eq!(s.key.value, KeySource::Env("ANTHROPIC_API_KEY".into()));
    case.flags.clear();
    assert_eq!(
        case.settings().unwrap().profile.unwrap().source,
        Source::Env("ARCHBENCH_PROFILE")
    );
    case.env.clear();
    assert_eq!(
        case.settings().unwrap().profile.unwrap().source,
        Source::Config("default_profile")
    );
    case.file = "";
    assert_eq!(case.settings().unwrap().profile, None);
}

#[test]
fn an_unknown_profile_or_preset_says_what_exists() {
    let mut case = Case::new();
    case.file = FILE;
    case.flags = vec!["--profile", "nope"];
    let err = case.settings().unwrap_err();
    assert!(
        err.contains("no profile `nope`") && err.contains("defined: file, named"),
        "{err}"
    );
    let err = crate::cli::Cli::try_parse_from(["archbench", "--preset", "nope"]).unwrap_err();
    assert!(err.to_string().contains("known: openai, ollama"), "{err}");
}

#[test]
fn a_preset_sets_the_server_and_needs_no_provider_flag() {
    let mut case = Case::new();
    case.flags = vec!["--preset", "lmstudio"];
    let s = case.settings().unwrap();
    assert_eq!(s.provider.value, ProviderKind::Openai);
    assert_eq!(s.base_url.value, "http://localhost:1234/v1");
    assert_eq!(s.base_url.source, Source::Preset("lmstudio".into()));
    case.flags.extend(["--base-url", "http://gpu-box:1234/v1"]);
    assert_eq!(
        case.settings().unwrap().base_url.value,
        "http://gpu-box:1234/v1"
    );
}

#[test]
fn without_any_setting_the_local_model_runs_and_an_endpoint_with_its_key_is_detected() {
    let mut case = Case::new();
    assert_eq!(case.settings().unwrap().provider.value, ProviderKind::Local);
    case.flags = vec!["--base-url", "http://h/v1"];
    assert_eq!(
        case.settings().unwrap().provider.value,
        ProviderKind::Local,
        "no key: still local"
    );
    case.env.insert("OPENAI_API_KEY", "k");
    let s = case.settings().unwrap();
    assert_eq!(s.provider.value, ProviderKind::Openai);
    assert!(matches!(s.provider.source, Source::Detected(_)));
    case.flags.extend(["--model-path", "/m.gguf"]);
    let s = case.settings().unwrap();
    assert_eq!(
        s.provider.value,
        ProviderKind::Local,
        "a model file wins over an endpoint"
    );
}

#[test]
fn parameters_come_from_flags_then_role_config_then_params_then_the_role_file() {
    let mut role = role();
    role.params = Params {
        temperature: Some(0.9),
        max_tokens: Some(100),
        seed: Some(1),
        stop: vec!["ROLE".into()],
    };
    let loaded = config(
        "[params]\ntemperature = 0.5\nmax_tokens = 200\n[roles.database_architect]\ntemperature = 0.3\n",
    );
    let env = |_: &str| None;
    let args = args(&["--seed", "42"]);
    let s = resolve(&Inputs {
        args: &args,
        env: &env,
        loaded: &loaded,
        role: &role,
        default_model_path: PathBuf::from("/m.gguf"),
    })
    .unwrap();
    assert_eq!(s.temperature.as_ref().unwrap().value, 0.3);
    assert_eq!(
        s.temperature.as_ref().unwrap().source,
        Source::RoleConfig("database_architect".into())
    );
    assert_eq!(s.max_tokens.as_ref().unwrap().value, 200);
    assert_eq!(
        s.max_tokens.as_ref().unwrap().source,
        Source::Config("[params]")
    );
    assert_eq!(s.seed.as_ref().unwrap().value, 42);
    assert_eq!(s.stop.as_ref().unwrap().value, vec!["ROLE".to_string()]);
    assert_eq!(s.stop.as_ref().unwrap().source, Source::RoleFile);
    assert_eq!(
        s.params(),
        Params {
            temperature: Some(0.3),
            max_tokens: Some(200),
            seed: Some(42),
            stop: vec!["ROLE".into()]
        }
    );
}

#[test]
fn a_key_command_and_timeouts_come_from_the_file_and_the_report_masks_keys() {
    let mut case = Case::new();
    case.file = "default_profile = \"p\"\n[profiles.p]\nprovider = \"openai\"\napi_key_cmd = \"pass show openai\"\n[timeouts]\nidle_secs = 2.5\n[retry]\nmax_tries = 2\n";
    let s = case.settings().unwrap();
    assert_eq!(s.key.value, KeySource::Command("pass show openai".into()));
    assert_eq!(s.timeouts.value.idle, Duration::from_millis(2500));
    assert_eq!(s.retry.value.max_tries, 2);
    case.file = "";
    case.flags = vec!["--provider", "openai"];
    case.env.insert("OPENAI_API_KEY", "sk-canary-123");
    let s = case.settings().unwrap();
    let env = |name: &str| (name == "OPENAI_API_KEY").then(|| "sk-canary-123".to_string());
    let report = s.report(&env);
    let key = report.iter().find(|(name, _, _)| name == "key").unwrap();
    assert_eq!(key.1, "$OPENAI_API_KEY (set, masked)");
    assert!(!format!("{report:?}").contains("sk-canary"));
}
