//! The command line outside a run: listing roles, broken role files, help text.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn archbench(args: &[&str], roles_dir: &std::path::Path) -> std::process::Output {
    let home = roles_dir.parent().unwrap();
    Command::new(env!("CARGO_BIN_EXE_archbench"))
        .args(args)
        .arg("--roles-dir")
        .arg(roles_dir)
        .env("XDG_DATA_HOME", home.join("data"))
        .output()
        .unwrap()
}

#[test]
fn roles_lists_every_role_with_its_routes_and_warnings() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("roles");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("sql_reviewer.md"), "Review SQL.\n=== ROUTING DECISION REQUIRED ===\n- approved: Go to fullstack_developer\n- rejected: Go to database_architect\n").unwrap();
    let out = archbench(&["roles"], &dir);
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
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("roles");
    std::fs::create_dir(&dir).unwrap();
    let path = dir.join("broken.md");
    std::fs::write(&path, "+++\nid = \"broken\"\ntitle = [\n+++\nPrompt\n").unwrap();
    let out = archbench(&["roles"], &dir);
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
    let out = Command::new(env!("CARGO_BIN_EXE_archbench"))
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
    let out = Command::new(env!("CARGO_BIN_EXE_archbench"))
        .args(["--help"])
        .output()
        .unwrap();
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
