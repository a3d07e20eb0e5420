//! Nothing lost: the process killed mid-stream, the ssh connection dropped, two reviewers writing
//! the session store at once. The binary runs as a person runs it (in tmux) or as a pipeline does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use archbench::store::sessions::Store;
use common::home::Home;
use common::server::{openai_sse, openai_sse_partial, split, Gate, Reply, Server};
use common::tmux::Tmux;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn workbench(server: &Server, home: &Home) -> String {
    workbench_with(server, home, &[])
}

/// [`workbench`] with variables set (the debug build's test hooks).
fn workbench_with(server: &Server, home: &Home, set: &[(&str, &str)]) -> String {
    home.shell_with(
        &[],
        set,
        &format!(
            "--provider openai --base-url {url} --model recovery-model --outbox {outbox}",
            url = server.base_url(),
            outbox = home.path().join("outbox").display(),
        ),
    )
}

/// The text of the one workbench's draft in `home`, once it is saved.
fn draft_text(home: &Home) -> Option<String> {
    let dir = home.archbench_data().join("drafts");
    let file = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))?;
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
    saved["text"].as_str().map(str::to_string)
}

fn sessions_db(home: &Home) -> PathBuf {
    home.archbench_data().join("sessions.db")
}

/// Waits (in real time: another process does the work) until `check` holds.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + common::PATIENCE;
    while !check() {
        assert!(Instant::now() < deadline, "{what} never happened");
        std::thread::park_timeout(Duration::from_millis(25));
    }
}

fn signal(pid: i32, signal: libc::c_int) {
    // SAFETY: sending a signal to a process this test started.
    assert_eq!(
        unsafe { libc::kill(pid, signal) },
        0,
        "kill({pid}, {signal})"
    );
}

const PARTIAL: &str = "# Data layer\n\n## 1. Data modeling\n\nPartition every table by tenant_id; the edition catalogue is shared.\n\n```sql\nCREATE TABLE listing (tenant_id bigint NOT NULL";

#[test]
fn a_process_killed_mid_stream_leaves_its_partial_answer_and_its_draft() {
    let server = Server::start(vec![Reply::Stall(split(
        &openai_sse_partial(PARTIAL, 5),
        64,
    ))]);
    let home = Home::new();
    let tmux = Tmux::start(&format!("exec {}", workbench(&server, &home)), 220, 40);
    tmux.wait_for("No answer yet");
    tmux.text("Ledger for 340 tenants, typed before the crash.");
    tmux.wait_for("typed before the crash");
    // The draft is saved within a second of typing, before anything runs.
    eventually("the draft saved", || {
        draft_text(&home).is_some_and(|t| t == "Ledger for 340 tenants, typed before the crash.")
    });
    tmux.keys(&["C-s"]);
    tmux.wait_for("Partition every table by tenant_id");
    // The pieces on screen reach the store in small batches while the answer streams.
    eventually("the partial answer stored", || {
        Store::open(&sessions_db(&home))
            .ok()
            .and_then(|s| s.get(1).ok().flatten())
            .is_some_and(|run| run.answer.contains("CREATE TABLE listing"))
    });
    signal(tmux.pane_pid(), libc::SIGKILL);
    drop(tmux);

    // The next start says what it recovered, and the brief is back in the editor.
    let tmux = Tmux::start(&workbench(&server, &home), 220, 40);
    let screen = tmux.wait_for("Recovered run #1");
    assert!(
        screen.contains("Recovered the brief you were writing"),
        "{screen}"
    );
    assert!(screen.contains("typed before the crash"), "{screen}");
    drop(tmux);
    let store = Store::open(&sessions_db(&home)).unwrap();
    let run = store.get(1).unwrap().unwrap();
    assert_eq!(run.status, "interrupted");
    assert!(
        run.answer
            .starts_with("# Data layer\n\n## 1. Data modeling"),
        "{}",
        run.answer
    );
    assert_eq!(run.brief, "Ledger for 340 tenants, typed before the crash.");
}

/// A dropped ssh connection (SIGHUP), a system stop (SIGTERM) and an interrupt sent from
/// outside (SIGINT; Ctrl-C at the keyboard is a key) each end the workbench cleanly while an
/// answer streams: the terminal is given back in cooked mode, the brief is written as a draft (the
/// autosave is an hour away, so only the signal's flush can have written it) and the running
/// answer is closed in the store as interrupted, with what had arrived.
#[test]
fn every_stop_signal_restores_the_terminal_and_keeps_the_draft_and_the_answer() {
    for (signal_number, name) in [
        (libc::SIGHUP, "SIGHUP"),
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGINT, "SIGINT"),
    ] {
        let server = Server::start(vec![Reply::Stall(split(
            &openai_sse_partial(PARTIAL, 5),
            64,
        ))]);
        let home = Home::new();
        let pid_file = home.path().join("pid");
        let tmux = Tmux::start("sh", 160, 40);
        // The shell stays in the pane: after archbench leaves, the terminal must be usable
        // again. The quotes keep the typed line from matching what the echo prints.
        tmux.text(&format!(
            "sh -c 'echo $$ > {pid}; exec {cmd}'; echo EXIT\"\"ED-$?",
            pid = pid_file.display(),
            cmd = workbench_with(
                &server,
                &home,
                &[("ARCHBENCH_TEST_DRAFT_DELAY_MS", "3600000")]
            )
        ));
        tmux.keys(&["Enter"]);
        tmux.wait_for("No answer yet");
        assert!(tmux.alternate_screen());
        tmux.text(&format!("Brief written just before {name}"));
        tmux.wait_for(&format!("just before {name}"));
        tmux.keys(&["C-s"]);
        tmux.wait_for("Partition every table by tenant_id");
        let pid: i32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        signal(pid, signal_number);
        tmux.wait_for("EXITED-");
        assert!(
            !tmux.alternate_screen(),
            "{name}: the alternate screen was left"
        );
        // Cooked mode is back: the shell runs a typed command and prints its output on a line.
        tmux.text("echo RESTORED-OK");
        tmux.keys(&["Enter"]);
        eventually("the shell answering", || {
            tmux.screen().lines().any(|l| l.trim() == "RESTORED-OK")
        });
        assert_eq!(
            draft_text(&home).as_deref(),
            Some(format!("Brief written just before {name}").as_str()),
            "{name}"
        );
        // Read as it was left: opening the store recovers nothing by itself.
        let run = Store::open(&sessions_db(&home))
            .unwrap()
            .get(1)
            .unwrap()
            .unwrap();
        assert_eq!(
            run.status, "interrupted",
            "{name}: closed by the signal's flush"
        );
        assert!(
            run.answer.contains("Partition every table by tenant_id"),
            "{name}: {}",
            run.answer
        );
    }
}

/// A panic (the debug build's hook makes one when the brief holds a marker) gives the terminal
/// back and leaves the brief as it was typed: the panic hook restores the terminal and writes
/// the brief's copy (no autosave ran: its delay is an hour).
#[test]
fn a_panic_gives_the_terminal_back_and_writes_the_brief() {
    let server = Server::start(Vec::new());
    let home = Home::new();
    let tmux = Tmux::start("sh", 100, 30);
    let hooks = [
        ("ARCHBENCH_TEST_PANIC", "CRASH-HERE"),
        ("ARCHBENCH_TEST_DRAFT_DELAY_MS", "3600000"),
        ("RUST_BACKTRACE", "0"),
    ];
    // The quotes keep the typed line from matching what the echo prints.
    tmux.text(&format!(
        "{}; echo EXIT\"\"ED-$?",
        workbench_with(&server, &home, &hooks)
    ));
    tmux.keys(&["Enter"]);
    tmux.wait_for("No answer yet");
    assert!(tmux.alternate_screen());
    tmux.text("Brief typed before CRASH-HERE");
    tmux.wait_for("EXITED-");
    assert!(!tmux.alternate_screen(), "the alternate screen was left");
    let screen = tmux.screen();
    assert!(screen.contains("the brief holds the marker"), "{screen}");
    tmux.text("echo RESTORED-OK");
    tmux.keys(&["Enter"]);
    eventually("the shell answering in cooked mode", || {
        tmux.screen().lines().any(|l| l.trim() == "RESTORED-OK")
    });
    assert_eq!(
        draft_text(&home).as_deref(),
        Some("Brief typed before CRASH-HERE")
    );
}

/// An answer long enough to be written in many batches.
fn long_answer(n: usize) -> String {
    let mut text = format!("# Data layer {n}\n\n");
    for i in 0..400 {
        text.push_str(&format!(
            "- tenant_{n}_table_{i}: partitioned by tenant_id\n"
        ));
    }
    text.push_str("\nDECISION: completed: Go to backup_disaster_specialist\n");
    text
}

#[test]
fn two_reviewers_writing_the_store_at_once_lose_nothing() {
    let home = Home::new();
    let brief = home.path().join("brief.md");
    std::fs::write(&brief, "Design the data layer.").unwrap();
    // No server answers before all four runs have sent their request: the runs overlap.
    let gate = Gate::new(4);
    let servers: Vec<Server> = (0..4)
        .map(|n| {
            Server::start(vec![Reply::Gated(
                gate.clone(),
                split(&openai_sse(&long_answer(n), 4, "stop"), 32),
            )])
        })
        .collect();
    let children: Vec<_> = servers
        .iter()
        .map(|server| {
            home.command()
                .args(["run", "--approve", "never", "--provider", "openai"])
                .args(["--model", "concurrent", "--base-url", &server.base_url()])
                .arg("--brief")
                .arg(&brief)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // What each said: a run the store could not keep is reported there, and named on failure.
    let mut said = String::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        said.push_str(&stderr);
    }
    assert!(gate.all_met(), "the four runs were never open at once");
    let store = Store::open(&sessions_db(&home)).unwrap();
    let runs = store.list(100).unwrap();
    assert_eq!(runs.len(), 4, "{runs:?}\nthe runs said:\n{said}");
    let mut answers: Vec<String> = runs
        .iter()
        .map(|r| {
            let run = store.get(r.id).unwrap().unwrap();
            assert_eq!(run.status, "complete");
            run.answer
        })
        .collect();
    answers.sort();
    let expected: Vec<String> = (0..4).map(long_answer).collect();
    assert_eq!(answers, expected, "every piece of every answer, in order");
}

#[test]
fn sessions_commands_list_show_search_and_export_what_was_kept() {
    let server = Server::start(vec![Reply::Stream(split(
        &openai_sse(&long_answer(7), 9, "stop"),
        50,
    ))]);
    let home = Home::new();
    let brief = home.path().join("brief.md");
    std::fs::write(&brief, "Warehouse for a bookstore chain.").unwrap();
    let archbench = |args: &[&str]| home.command().args(args).output().unwrap();
    let text = |out: &std::process::Output| String::from_utf8_lossy(&out.stdout).into_owned();
    let err = |out: &std::process::Output| String::from_utf8_lossy(&out.stderr).into_owned();

    let empty = archbench(&["sessions", "list"]);
    assert!(empty.status.success());
    assert!(err(&empty).contains("No runs kept yet"), "{}", err(&empty));

    let run = archbench(&[
        "run",
        "--approve",
        "never",
        "--provider",
        "openai",
        "--model",
        "m",
        "--base-url",
        &server.base_url(),
        "--brief",
        brief.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", err(&run));

    let list = archbench(&["sessions", "list"]);
    assert!(
        text(&list).contains("Warehouse for a bookstore chain."),
        "{}",
        text(&list)
    );
    let json = archbench(&["sessions", "list", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(rows[0]["status"], "complete");

    let found = archbench(&["sessions", "search", "tenant_7_table_399"]);
    assert!(text(&found).contains("Warehouse"), "{}", text(&found));
    let none = archbench(&["sessions", "search", "kubernetes"]);
    assert!(
        err(&none).contains("No run mentions kubernetes"),
        "{}",
        err(&none)
    );

    let show = archbench(&["sessions", "show", "1"]);
    assert!(text(&show).contains("## Answer"), "{}", text(&show));
    assert!(
        text(&show).contains("decision: \"unique\""),
        "{}",
        text(&show)
    );

    let missing = archbench(&["sessions", "show", "99"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(err(&missing).contains("no run #99"), "{}", err(&missing));

    let file = home.path().join("exports/run-1.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let export = archbench(&[
        "sessions",
        "export",
        "1",
        "--format",
        "json",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert!(export.status.success(), "{}", err(&export));
    let exported: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(exported["answer"], long_answer(7));
    assert_eq!(exported["brief"], "Warehouse for a bookstore chain.");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "an export holds private text: {mode:o}");
    }
    let md = archbench(&["sessions", "export", "1"]);
    assert!(
        text(&md).starts_with("---\nrun: \"1\"\nrole: \"database_architect\""),
        "{}",
        text(&md)
    );
}

#[test]
fn the_history_finds_an_earlier_run_and_continues_it() {
    let first = "# Plan A\n\nShard by region.\n\nDECISION: completed\n";
    let second = "# Plan B\n\nPartition by tenant_id with zebra indexes.\n\nDECISION: completed\n";
    let server = Server::start(vec![
        Reply::Stream(split(&openai_sse(first, 4, "stop"), 30)),
        Reply::Stream(split(&openai_sse(second, 4, "stop"), 30)),
    ]);
    let home = Home::new();
    let tmux = Tmux::start(&workbench(&server, &home), 120, 32);
    tmux.wait_for("No answer yet");
    tmux.text("Bookstore data layer");
    tmux.keys(&["C-s"]);
    tmux.wait_for("Decision: ambiguous");
    // Run the brief anew: Ctrl-S twice (the first asks, since the answer is not handed off).
    tmux.keys(&["C-s"]);
    tmux.wait_for("Ctrl-S again discards");
    tmux.keys(&["C-s"]);
    tmux.wait_for("zebra indexes");
    tmux.wait_for("Decision: ambiguous");
    tmux.keys(&["F2"]);
    let screen = tmux.wait_for("History · 2 runs");
    assert!(screen.contains("#1") && screen.contains("#2"), "{screen}");
    tmux.keys(&["/"]);
    tmux.text("region");
    tmux.keys(&["Enter"]);
    tmux.wait_for("1 run matching \"region\"");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("Run #1");
    assert!(screen.contains("Shard by region"), "{screen}");
    // c takes the conversation up in the workbench: the first answer, ready to review again.
    tmux.keys(&["c"]);
    let screen = tmux.wait_for("Continuing run #1");
    assert!(screen.contains("Shard by region"), "{screen}");
    assert!(!screen.contains("zebra"), "{screen}");
}

#[test]
fn a_second_terminal_watches_the_answer_and_the_approval() {
    let server = Server::start(vec![Reply::Stream(split(
        &openai_sse(
            "# Plan\n\n## Schema\n\nCREATE TABLE tenant (id bigint);\n\nDECISION: completed\n",
            4,
            "stop",
        ),
        30,
    ))]);
    let home = Home::new();
    let reviewer = Tmux::start(&workbench(&server, &home), 120, 32);
    reviewer.wait_for("No answer yet");
    reviewer.text("Bookstore data layer");
    reviewer.keys(&["C-s"]);
    reviewer.wait_for("Decision: ambiguous");
    let watcher = Tmux::start(&home.shell("watch"), 120, 32);
    let screen = watcher.wait_for("Decision: ambiguous");
    assert!(screen.contains("CREATE TABLE tenant"), "{screen}");
    assert!(
        screen.contains("Bookstore data layer"),
        "the brief too:\n{screen}"
    );
    // The reviewer approves; the watcher sees it happen.
    reviewer.keys(&["3"]);
    reviewer.keys(&["Enter"]);
    reviewer.wait_for("Handed off to backup_disaster_specialist");
    // The outcome as the session store keeps it, with the reviewer (the routes pane shows it).
    watcher.wait_for("handed off to backup_disaster_specialist in envelope");
    // The watcher cannot act.
    watcher.keys(&["C-s"]);
    watcher.wait_for("Watching: read-only");
}

/// Two live workbenches never share a draft, and an explicit `--brief` always opens that file:
/// a draft a dead workbench left for the same file is offered (F7 takes it), never applied.
#[test]
fn a_brief_file_opens_as_it_is_and_a_dead_workbenchs_draft_of_it_is_only_offered() {
    let server = Server::start(Vec::new());
    let home = Home::new();
    let a = home.path().join("a.md");
    let b = home.path().join("b.md");
    std::fs::write(&a, "Brief A from its file").unwrap();
    std::fs::write(&b, "Brief B from its file").unwrap();
    let open = |brief: &Path| {
        format!(
            "exec {} --brief {}",
            workbench(&server, &home),
            brief.display()
        )
    };
    let first = Tmux::start(&open(&a), 160, 40);
    first.wait_for("Brief A from its file");
    first.keys(&["End"]);
    first.text(" and more typed in A");
    eventually("A's draft saved", || {
        draft_text(&home).is_some_and(|t| t.ends_with("more typed in A"))
    });
    // A second workbench on B, while A lives: B's file, no draft of A's.
    let second = Tmux::start(&open(&b), 160, 40);
    let screen = second.wait_for("Brief B from its file");
    assert!(!screen.contains("typed in A"), "{screen}");
    assert!(!screen.contains("draft"), "{screen}");
    drop(second);
    // A dies; reopening A shows the file, and offers the draft.
    signal(first.pane_pid(), libc::SIGKILL);
    drop(first);
    let third = Tmux::start(&open(&a), 160, 40);
    let screen = third.wait_for("F7 takes the draft");
    assert!(screen.contains("Brief A from its file"), "{screen}");
    assert!(
        !screen.contains("more typed in A"),
        "never applied on its own: {screen}"
    );
    third.keys(&["F7"]);
    third.wait_for("Brief A from its file and more typed in A");
}

/// `--run` with a recovered draft on screen does not start, and says why.
#[test]
fn run_waits_for_a_recovered_draft_and_says_so() {
    let server = Server::start(Vec::new());
    let home = Home::new();
    let first = Tmux::start(&format!("exec {}", workbench(&server, &home)), 160, 40);
    first.wait_for("No answer yet");
    first.text("A brief typed before the crash");
    eventually("the draft saved", || draft_text(&home).is_some());
    signal(first.pane_pid(), libc::SIGKILL);
    drop(first);
    let again = Tmux::start(
        &format!("exec {} --run", workbench(&server, &home)),
        200,
        40,
    );
    let screen = again.wait_for("--run did not start");
    assert!(screen.contains("recovered draft"), "{screen}");
    assert!(
        screen.contains("A brief typed before the crash"),
        "{screen}"
    );
    assert!(
        server.requests.lock().unwrap().is_empty(),
        "nothing was sent"
    );
}
