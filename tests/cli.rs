//! The command line outside a run: listing roles, broken role files, help text.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::home::Home;
use common::server::{openai_sse, Reply, Server};

fn archbench(home: &Home, args: &[&str], roles_dir: &std::path::Path) -> std::process::Output {
    home.command()
        .args(args)
        .arg("--roles-dir")
        .arg(roles_dir)
        .output()
        .unwrap()
}

#[test]
fn roles_lists_every_role_with_its_routes_and_warnings() {
    let home = Home::new();
    let dir = home.path().join("roles");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("sql_reviewer.md"), "Review SQL.\n=== ROUTING DECISION REQUIRED ===\n- approved: Go to fullstack_developer\n- rejected: Go to database_architect\n").unwrap();
    let out = archbench(&home, &["roles"], &dir);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for id in [
        "database_architect",
        "fullstack_developer",
        "product_catalog_manager",
        "backup_disaster_specialist",
        "sql_reviewer",
    ] {
        assert!(text.contains(&format!("{id} — ")), "{id} missing:\n{text}");
    }
    assert!(
        text.contains("completed        → backup_disaster_specialist"),
        "{text}"
    );
    assert!(
        text.contains("warning: options 1, 2, 3 share the label `completed`"),
        "{text}"
    );
    assert!(
        text.contains("rejected         → database_architect"),
        "{text}"
    );
}

#[test]
fn a_broken_role_file_is_named_with_its_line() {
    let home = Home::new();
    let dir = home.path().join("roles");
    std::fs::create_dir(&dir).unwrap();
    let path = dir.join("broken.md");
    std::fs::write(&path, "+++\nid = \"broken\"\ntitle = [\n+++\nPrompt\n").unwrap();
    let out = archbench(&home, &["roles"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:3: front matter: unclosed array",
            path.display()
        )),
        "{stderr}"
    );
}

#[test]
fn help_documents_the_exit_codes_and_the_flags() {
    let out = Home::new()
        .command()
        .args(["run", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--approve",
        "--json",
        "--brief",
        "--role",
        "--provider",
        "--base-url",
        "--model",
        "--api-key-env",
        "--model-path",
        "--outbox",
        "--roles-dir",
        "4    the decision needs a person",
        "130  interrupted",
    ] {
        assert!(text.contains(needle), "{needle} missing from run --help");
    }
    let out = Home::new().command().args(["--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("--run"));
}

#[test]
fn a_flag_given_twice_takes_the_last_value() {
    let cli = <archbench::cli::Cli as clap::Parser>::try_parse_from([
        "archbench",
        "--seed",
        "2",
        "--seed",
        "5",
    ])
    .unwrap();
    assert_eq!(cli.common.seed, Some(5));
}

fn in_home(home: &Home, args: &[&str]) -> std::process::Output {
    home.command().args(args).output().unwrap()
}

#[test]
fn config_init_writes_an_example_that_checks_and_never_overwrites() {
    let home = Home::new();
    let path = in_home(&home, &["config", "path"]);
    assert!(String::from_utf8_lossy(&path.stdout)
        .contains("config/archbench/config.toml (not created yet"));
    let init = in_home(&home, &["config", "init"]);
    assert_eq!(init.status.code(), Some(0));
    let check = in_home(&home, &["config", "check"]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(String::from_utf8_lossy(&check.stdout).contains("valid"));
    let again = in_home(&home, &["config", "init"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("left as it is"));
}

#[test]
fn config_check_names_an_unknown_role() {
    let home = Home::new();
    let dir = home.path().join("config/archbench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "[roles.databse_architect]\nsinks = [\"outbox\"]\n",
    )
    .unwrap();
    let check = in_home(&home, &["config", "check"]);
    assert_eq!(check.status.code(), Some(2));
    let err = String::from_utf8_lossy(&check.stderr);
    assert!(
        err.contains("[roles.databse_architect] names no known role"),
        "{err}"
    );
}

#[test]
fn resume_without_reviews_says_how_to_defer_and_a_wrong_id_is_named() {
    let home = Home::new();
    let list = in_home(&home, &["resume"]);
    assert_eq!(list.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&list.stdout).contains("No deferred reviews"));
    let open = in_home(&home, &["resume", "0193ffff"]);
    assert_eq!(open.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&open.stderr).contains("no deferred review starts with `0193ffff`")
    );
}

#[test]
fn an_empty_outbox_lists_nothing_pending_and_retry_has_nothing_to_do() {
    let home = Home::new();
    let outbox = home.path().join("outbox");
    let list = in_home(
        &home,
        &["outbox", "list", "--outbox", outbox.to_str().unwrap()],
    );
    assert_eq!(list.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&list.stdout).contains("Nothing pending"));
    let retry = in_home(
        &home,
        &["outbox", "retry", "--outbox", outbox.to_str().unwrap()],
    );
    assert_eq!(retry.status.code(), Some(0));
}

#[test]
fn the_workbench_without_a_terminal_says_so_and_exits_2() {
    let home = Home::new();
    // Standard input and output are pipes here, as in a pipeline.
    let out = in_home(&home, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("needs a terminal") && err.contains("archbench run --brief FILE"),
        "{err}"
    );
    let watch = in_home(&home, &["watch"]);
    assert_eq!(watch.status.code(), Some(2));
}

#[test]
fn config_check_reports_every_problem_of_a_file_in_one_pass() {
    let home = Home::new();
    let dir = home.path().join("config/archbench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "theme = \"solarized\"\n\
         [timeouts]\nconnect_secs = 1e300\n\
         [handoff]\nwebhook_backoff_ms = 18446744073709551615\n\
         [keys]\n\"answer.scrol_up\" = [\"k\"]\nrun = [\"ctrl-q\"]\n\
         [roles.databse_architect]\nsinks = [\"outbox\"]\n",
    )
    .unwrap();
    let check = in_home(&home, &["config", "check"]);
    assert_eq!(check.status.code(), Some(2));
    let err = String::from_utf8_lossy(&check.stderr);
    for expected in [
        "timeouts.connect_secs is at most 86400",
        "handoff.webhook_backoff_ms is at most",
        "no theme `solarized`",
        "keys.answer.scrol_up: no such binding",
        "`Ctrl-Q` is bound to both",
        "[roles.databse_architect] names no known role",
        "6 error(s)",
    ] {
        assert!(err.contains(expected), "{expected}: {err}");
    }
    // The program refuses the same file, through the same validation.
    let show = in_home(&home, &["config", "show"]);
    assert_eq!(show.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&show.stderr).contains("is at most"));
}

#[test]
fn config_show_shows_every_effective_setting_with_its_source() {
    let home = Home::new();
    let dir = home.path().join("config/archbench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "theme = \"light\"\nediting = \"vi\"\nmouse = false\n[reviewer]\nname = \"Ada Reviewer\"\n[handoff]\nsinks = [\"outbox\", \"webhook:http://127.0.0.1:9/h\"]\n",
    )
    .unwrap();
    let show = in_home(&home, &["config", "show"]);
    assert_eq!(show.status.code(), Some(0));
    let out = String::from_utf8_lossy(&show.stdout);
    for (name, value, source) in [
        ("theme", "light", "config theme"),
        ("reviewer", "Ada Reviewer", "config [reviewer]"),
        ("editing", "vi", "config editing"),
        ("mouse", "false", "config mouse"),
        (
            "sinks",
            "outbox, webhook:http://127.0.0.1:9/h",
            "config handoff.sinks",
        ),
        ("webhook", "3 retries", "default"),
    ] {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name}: {out}"));
        assert!(line.contains(value) && line.contains(source), "{line}");
    }
}

#[test]
fn subcommands_take_only_the_options_that_apply_to_them() {
    let home = Home::new();
    for command in [
        &["audit", "show", "--help"][..],
        &["audit", "verify", "--help"],
        &["sessions", "list", "--help"],
        &["bench", "--help"],
    ] {
        let help = in_home(&home, command);
        let text = String::from_utf8_lossy(&help.stdout);
        for run_option in ["--brief", "--provider", "--temperature", "--sink"] {
            assert!(
                !text.contains(run_option),
                "{command:?} lists {run_option}:\n{text}"
            );
        }
    }
    let refused = in_home(&home, &["audit", "show", "--brief", "b.md"]);
    assert_eq!(refused.status.code(), Some(2));
    // Run options still come before or after a command's name alike.
    let parse = |args: &[&str]| {
        <archbench::cli::Cli as clap::Parser>::try_parse_from(args)
            .unwrap()
            .common_args()
    };
    assert_eq!(parse(&["archbench", "--seed", "3", "run"]).seed, Some(3));
    assert_eq!(parse(&["archbench", "run", "--seed", "4"]).seed, Some(4));
    assert_eq!(
        parse(&["archbench", "--seed", "3", "run", "--seed", "4"]).seed,
        Some(4)
    );
    assert_eq!(
        parse(&["archbench", "outbox", "list", "--outbox", "/o"]).outbox,
        Some("/o".into())
    );
}

/// Everything a role file says reaches the terminal through the sanitizer: `roles` prints a
/// hostile title, description and route label as text, and so does the error naming a bad file.
#[test]
fn a_hostile_role_file_acts_on_no_terminal() {
    let home = Home::new();
    let dir = home.path().join("roles");
    std::fs::create_dir_all(&dir).unwrap();
    // Raw in the body; as TOML escapes (the same characters) in the front matter.
    let evil = "\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}[2J\u{1b}]0;owned\u{7}\u{9b}31m";
    let escaped = "\\u001b]52;c;cHduZWQ=\\u0007\\u001b[2J\\u001b]0;owned\\u0007\\u009b31m";
    std::fs::write(
        dir.join("evil.md"),
        format!(
            "+++\nid = \"evil\"\ntitle = \"Evil {escaped}\"\ndescription = \"Says {escaped}\"\n+++\nDo things.\n\n=== ROUTING DECISION REQUIRED ===\n- done{evil}: Go to end\n"
        ),
    )
    .unwrap();
    let out = archbench(&home, &["roles"], &dir);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("Evil"), "{printed}");
    for bytes in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{9b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
    }
    // A broken file quoted in an error: the same.
    std::fs::write(
        dir.join("evil.md"),
        format!("+++\nid = \"evil{escaped}\"\n+++\nbody\n"),
    )
    .unwrap();
    let out = archbench(&home, &["roles"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{9b}'),
        "{text:?}"
    );
}

/// Configuration values quoted back (config show, config check's errors) act on no terminal.
#[test]
fn hostile_configuration_values_act_on_no_terminal() {
    let home = Home::new();
    let dir = home.path().join("config/archbench");
    std::fs::create_dir_all(&dir).unwrap();
    let evil = "\\u001b]0;owned\\u0007\\u001b[2J\\u009b31m\\u202e";
    std::fs::write(
        dir.join("config.toml"),
        format!("theme = \"dark{evil}\"\n[reviewer]\nname = \"Ada{evil}\"\n[keys]\n\"run{evil}\" = [\"ctrl-s\"]\n"),
    )
    .unwrap();
    for command in [&["config", "show"][..], &["config", "check"], &["keys"]] {
        let out = in_home(&home, command);
        for bytes in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(bytes);
            assert!(
                !text.contains('\u{1b}')
                    && !text.contains('\u{9b}')
                    && !text.contains('\u{202e}')
                    && !text.contains('\u{7}'),
                "{command:?}: {text:?}"
            );
        }
    }
    let check = in_home(&home, &["config", "check"]);
    let said = String::from_utf8_lossy(&check.stderr);
    assert!(
        said.contains("no theme `dark␛"),
        "the value is shown as text: {said}"
    );
}

/// The suite's own guard: a binary told to write into its working folder (a relative outbox) is
/// caught by `Home`, which every test that starts archbench goes through.
#[test]
fn a_write_outside_the_given_folders_is_caught() {
    let answer = "# Plan\n\nTenants.\n\nDECISION: completed: Go to fullstack_developer\n";
    let server = Server::start(vec![Reply::Stream(vec![openai_sse(answer, 4, "stop")])]);
    let home = Home::new();
    let brief = home.path().join("brief.md");
    std::fs::write(&brief, "Design the data layer.").unwrap();
    let out = home
        .command()
        .args(["run", "--approve", "agent", "--outbox", "relative-outbox"])
        .args(["--provider", "openai", "--base-url", &server.base_url()])
        .arg("--brief")
        .arg(&brief)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let strays = home.strays();
    assert!(
        !strays.is_empty()
            && strays
                .iter()
                .all(|p| p.starts_with(home.path().join("work/relative-outbox"))),
        "{strays:?}"
    );
    std::fs::remove_dir_all(home.path().join("work/relative-outbox")).unwrap();
}
