//! The binary as a person uses it: tmux runs it, send-keys types, capture-pane reads the screen.
//! A loopback server plays the model, so the answer and its decision are known.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::home::Home;
use common::server::{openai_sse, split, Reply, Server};
use common::tmux::Tmux;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const ANSWER: &str = "# Data layer\n\n## 1. Data modeling\n\n```sql\nCREATE TABLE tenant (id bigint PRIMARY KEY);\n```\n\nDECISION: completed\n";

fn archbench_command(server: &Server, home: &Home) -> String {
    archbench_command_with(server, home, &[], &[])
}

/// The workbench with variables of the terminal taken away or given.
fn archbench_command_with(
    server: &Server,
    home: &Home,
    unset: &[&str],
    set: &[(&str, &str)],
) -> String {
    home.shell_with(
        unset,
        set,
        &format!(
            "--provider openai --base-url {url} --model tmux-model --outbox {outbox}",
            url = server.base_url(),
            outbox = home.path().join("outbox").display()
        ),
    )
}

#[test]
fn type_a_brief_run_choose_a_route_and_confirm() {
    let server = Server::start(vec![Reply::Stream(split(
        &openai_sse(ANSWER, 3, "stop"),
        40,
    ))]);
    let home = Home::new();
    // From a shell, so that what quitting leaves behind can be seen.
    let tmux = Tmux::start("sh", 100, 30);
    tmux.text(&format!(
        "{}; echo QUIT\"\"-$?",
        archbench_command(&server, &home)
    ));
    tmux.keys(&["Enter"]);
    tmux.wait_for("No answer yet");
    tmux.text("Design the data layer for a bookstore.");
    tmux.keys(&["Enter"]);
    tmux.text("340 tenants, EU residency.");
    tmux.wait_for("340 tenants");
    tmux.keys(&["C-s"]);
    let screen = tmux.wait_for("Decision: ambiguous");
    assert!(screen.contains("CREATE TABLE tenant"), "{screen}");
    tmux.keys(&["2"]);
    tmux.wait_for("▸2");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Handed off to product_catalog_manager");
    let files: Vec<_> = std::fs::read_dir(home.path().join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    let envelope: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    common::assert_valid_envelope(&envelope);
    assert_eq!(envelope["route"]["target"], "product_catalog_manager");
    assert_eq!(
        envelope["brief"],
        "Design the data layer for a bookstore.\n340 tenants, EU residency."
    );
    assert_eq!(envelope["response"]["text"], ANSWER);
    let request = server.request_json(0);
    assert_eq!(
        request["messages"][1]["content"],
        "Design the data layer for a bookstore.\n340 tenants, EU residency."
    );
    // The session's audit log: every state change, in order, the chain intact. The log is written
    // by its own thread, so wait for its last record.
    let log = home.archbench_data().join("audit.jsonl");
    let deadline = Instant::now() + common::PATIENCE;
    let kinds = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let kinds: Vec<String> = text
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        if kinds.last().is_some_and(|k| k == "chain_opened") || Instant::now() > deadline {
            break kinds;
        }
        std::thread::park_timeout(Duration::from_millis(50));
    };
    assert_eq!(
        kinds,
        [
            "run_started",
            "answer_complete",
            "decision_parsed",
            "review_action",
            "handoff_claimed",
            "handoff_sent",
            "chain_opened"
        ]
    );
    let verify = home
        .command()
        .args(["audit", "--log"])
        .arg(&log)
        .arg("verify")
        .output()
        .unwrap();
    assert_eq!(verify.status.code(), Some(0));
    // The chain opened the chosen role with the composed brief.
    let screen = tmux.wait_for("database_architect → product_catalog_manager");
    assert!(screen.contains("# Original brief"), "{screen}");
    // Quitting after the handoff is immediate (one key, no confirmation) and gives the terminal
    // back: the process ends with 0, the main screen is back, the shell reads a line again.
    tmux.keys(&["C-q"]);
    tmux.wait_for("QUIT-0");
    assert!(!tmux.alternate_screen(), "the alternate screen was left");
    tmux.text("echo COOKED\"\"-OK");
    tmux.keys(&["Enter"]);
    tmux.wait_for("COOKED-OK");
}

#[test]
fn a_small_terminal_gets_a_message_and_recovers_on_resize() {
    let server = Server::start(vec![]);
    let home = Home::new();
    let tmux = Tmux::start(&archbench_command(&server, &home), 60, 20);
    tmux.wait_for("at least");
    let status = Command::new("tmux")
        .args([
            "-L",
            &tmux.socket,
            "resize-window",
            "-t",
            "0",
            "-x",
            "100",
            "-y",
            "30",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    tmux.wait_for("No answer yet");
}

#[test]
fn copying_a_code_block_reaches_the_clipboard_by_osc52() {
    let answer = "# Data layer\n\n## Schema design\n\n```sql\nCREATE TABLE tenant (id bigint PRIMARY KEY);\n```\n\nDECISION: completed\n";
    let server = Server::start(vec![Reply::Stream(vec![openai_sse(answer, 8, "stop")])]);
    let home = Home::new();
    let tmux = Tmux::start(&archbench_command(&server, &home), 100, 30);
    tmux.accept_clipboard();
    tmux.wait_for("No answer yet");
    tmux.text("brief");
    tmux.keys(&["C-s"]);
    tmux.wait_for("Decision: ambiguous");
    tmux.keys(&["BTab", "BTab"]);
    tmux.wait_for(" Answer ");
    tmux.keys(&["g", "}", "y"]);
    tmux.wait_for("by OSC 52");
    let out = Command::new("tmux")
        .args(["-L", &tmux.socket, "show-buffer"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "CREATE TABLE tenant (id bigint PRIMARY KEY);\n"
    );
    let screen = tmux.screen();
    assert!(
        !screen.contains("]52;"),
        "the sequence is not shown as text:\n{screen}"
    );
}

#[test]
fn hostile_answers_show_placeholders_and_change_nothing_in_the_terminal() {
    // Clear screen, set the window title, write the clipboard, move the cursor, bidi override.
    let answer = "# Safe heading\n\nA\u{1b}[2J\u{1b}[H clear\n\u{1b}]0;pwned-title\u{7} title\n\u{1b}]52;c;cHduZWQ=\u{7} clipboard\n\u{1b}[10;10H move\nabc\u{202e}fed bidi\n\u{9b}31m c1\n\nDECISION: completed\n";
    let server = Server::start(vec![Reply::Stream(vec![openai_sse(answer, 3, "stop")])]);
    let home = Home::new();
    let tmux = Tmux::start(&archbench_command(&server, &home), 100, 30);
    tmux.accept_clipboard();
    let title_before = pane_title(&tmux);
    tmux.wait_for("No answer yet");
    tmux.text("brief");
    tmux.keys(&["C-s"]);
    tmux.wait_for("Decision: ambiguous");
    // Each on screen (a capture can catch a frame half written, so each is waited for).
    for placeholder in [
        "␛[2J␛[H clear",
        "␛]0;pwned-title␇ title",
        "␛]52;c;cHduZWQ=␇ clipboard",
        "␛[10;10H move",
        "abc⟨U+202E⟩fed bidi",
        "⟨U+009B⟩31m c1",
    ] {
        tmux.wait_for(placeholder);
    }
    let screen = tmux.screen();
    assert!(
        screen.contains("Safe heading"),
        "the screen was not cleared:\n{screen}"
    );
    assert_untouched(&tmux, &title_before);
}

/// The pane's title is what it was, and no clipboard buffer was written.
fn assert_untouched(tmux: &Tmux, title_before: &str) {
    assert_eq!(pane_title(tmux), title_before, "the title is unchanged");
    let buffers = Command::new("tmux")
        .args(["-L", &tmux.socket, "list-buffers"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&buffers.stdout).trim().is_empty(),
        "no clipboard buffer was written"
    );
}

fn pane_title(tmux: &Tmux) -> String {
    let out = Command::new("tmux")
        .args([
            "-L",
            &tmux.socket,
            "display-message",
            "-p",
            "-t",
            "0",
            "#{pane_title}",
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn a_chain_of_three_roles_in_the_workbench() {
    let replies = [
        "# Data layer\n\nCatalog tables.\n\nDECISION: completed: Go to product_catalog_manager\n",
        "# Catalog\n\nTaxonomy and attributes.\n\nDECISION: fullstack_developer\n",
        "# App\n\nEndpoints.\n\nDECISION: end\n",
    ];
    let server = Server::start(
        replies
            .iter()
            .map(|r| Reply::Stream(vec![openai_sse(r, 4, "stop")]))
            .collect(),
    );
    let home = Home::new();
    let tmux = Tmux::start(&archbench_command(&server, &home), 110, 32);
    tmux.wait_for("No answer yet");
    tmux.text("Design the data layer for a bookstore.");
    tmux.keys(&["C-s"]);
    tmux.wait_for("Decision: unique");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Step 2 of the chain");
    tmux.keys(&["C-s"]);
    tmux.wait_for("Taxonomy and attributes");
    tmux.wait_for("Decision: unique");
    // The reviewer edits what the last role receives.
    tmux.keys(&["e"]);
    tmux.wait_for("Brief for the next role");
    tmux.keys(&["C-r"]);
    tmux.text("Reviewer: keep the API small. ");
    tmux.keys(&["C-s"]);
    tmux.wait_for("edited brief");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("Step 3 of the chain");
    assert!(
        screen.contains("database_architect → product_catalog_manager → fullstack_developer"),
        "{screen}"
    );
    tmux.keys(&["C-s"]);
    tmux.wait_for("Decision: unique");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Handed off to end");
    let mut envelopes: Vec<serde_json::Value> = std::fs::read_dir(home.path().join("outbox"))
        .unwrap()
        .map(|e| serde_json::from_slice(&std::fs::read(e.unwrap().path()).unwrap()).unwrap())
        .collect();
    envelopes.sort_by_key(|e| e["timestamps"]["handed_off"].as_str().unwrap().to_string());
    let roles: Vec<&str> = envelopes
        .iter()
        .map(|e| e["role"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        [
            "database_architect",
            "product_catalog_manager",
            "fullstack_developer"
        ]
    );
    assert_eq!(envelopes[1]["parent_id"], envelopes[0]["id"]);
    assert_eq!(envelopes[2]["parent_id"], envelopes[1]["id"]);
    assert_eq!(envelopes[1]["payload"]["edited"], true);
    assert!(envelopes[1]["payload"]["brief"]
        .as_str()
        .unwrap()
        .starts_with("Reviewer: keep the API small. # Original brief"));
    assert_eq!(
        server.request_json(2)["messages"][1]["content"],
        envelopes[1]["payload"]["brief"]
    );
    for e in &envelopes {
        common::assert_valid_envelope(e);
    }
    tmux.keys(&["C-q"]);
}

/// Runs the brief in a workbench, picks route 2, defers the review (d) and quits.
fn defer_a_review(server: &Server, home: &Home) {
    let first = Tmux::start(&archbench_command(server, home), 100, 30);
    first.wait_for("No answer yet");
    first.text("Design the data layer for a bookstore.");
    first.keys(&["C-s"]);
    first.wait_for("Decision: ambiguous");
    first.keys(&["2"]);
    first.wait_for("▸2");
    first.keys(&["d"]);
    first.wait_for("archbench resume");
    first.keys(&["C-q"]);
}

#[test]
fn defer_a_review_then_resume_it_in_a_new_session() {
    let answer = "# Data layer\n\nTenants and listings.\n\nDECISION: completed\n";
    let server = Server::start(vec![Reply::Stream(vec![openai_sse(answer, 6, "stop")])]);
    let home = Home::new();
    defer_a_review(&server, &home);

    let deferred_dir = home.archbench_data().join("deferred");
    let files: Vec<_> = std::fs::read_dir(&deferred_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    let id = files[0].file_stem().unwrap().to_string_lossy().into_owned();
    let listed = home.command().arg("resume").output().unwrap();
    let listing = String::from_utf8_lossy(&listed.stdout);
    assert!(listing.contains(&id[..13]), "{listing}");
    assert!(
        listing.contains("Design the data layer for a bookstore."),
        "{listing}"
    );

    let command = format!("{} resume {}", archbench_command(&server, &home), &id[..13]);
    let second = Tmux::start(&command, 100, 30);
    let screen = second.wait_for("Resumed the review");
    assert!(
        screen.contains("▸2"),
        "the chosen route is restored:\n{screen}"
    );
    assert!(screen.contains("Tenants and listings."), "{screen}");
    second.keys(&["Enter"]);
    second.wait_for("Handed off to product_catalog_manager");
    assert!(
        std::fs::read_dir(&deferred_dir).unwrap().next().is_none(),
        "a settled review is no longer listed as deferred"
    );
    let envelope: serde_json::Value = std::fs::read_dir(home.path().join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
        .next()
        .unwrap();
    assert_eq!(envelope["response"]["text"], answer);
    assert_eq!(envelope["route"]["target"], "product_catalog_manager");
    assert_eq!(
        server.requests.lock().unwrap().len(),
        1,
        "resuming runs nothing again"
    );
    // It waited in the inbox too, and was settled there by this handoff.
    let list = home
        .command()
        .args(["inbox", "list", "--json", "--all"])
        .output()
        .unwrap();
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["id"], id.as_str());
    assert_eq!(rows[0]["origin"]["how"], "workbench (deferred)");
    assert_eq!(rows[0]["status"], "settled");
    second.keys(&["C-q"]);
}

/// A review deferred in a workbench waits in the inbox as well; while someone holds it there,
/// `archbench resume` refuses it, saying who.
#[test]
fn a_deferred_review_someone_holds_in_the_inbox_is_not_resumed() {
    let answer = "# Data layer\n\nTenants and listings.\n\nDECISION: completed\n";
    let server = Server::start(vec![Reply::Stream(vec![openai_sse(answer, 6, "stop")])]);
    let home = Home::new();
    defer_a_review(&server, &home);
    let store = home.archbench_data().join("sessions.db");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (id, _held) = runtime.block_on(async {
        use archbench::store::inbox::{Filter, Inbox, LEASE};
        let inbox = Inbox::open(None, &store).await.unwrap();
        let rows = inbox
            .list(&Filter::default(), chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        let claim = inbox
            .claim(&rows[0].id, "bea", LEASE, chrono::Utc::now())
            .await
            .unwrap();
        (rows[0].id.clone(), claim)
    });
    let command = format!(
        "{} resume {}; echo exit=$?; sleep 600",
        archbench_command(&server, &home),
        &id[..13]
    );
    let second = Tmux::start(&command, 100, 30);
    let screen = second.wait_for("exit=");
    assert!(screen.contains("being reviewed by bea since"), "{screen}");
    assert!(screen.contains("exit=7"), "{screen}");
}

#[test]
fn the_model_picker_switches_the_next_run_to_a_model_the_server_lists() {
    let server = Server::start(vec![
        Reply::Status(
            200,
            "{\"data\":[{\"id\":\"tmux-model\"},{\"id\":\"other-model\"}]}".into(),
        ),
        Reply::Stream(split(&openai_sse(ANSWER, 3, "stop"), 40)),
    ]);
    let home = Home::new();
    let tmux = Tmux::start(&archbench_command(&server, &home), 100, 30);
    tmux.wait_for("No answer yet");
    tmux.text("Design the data layer.");
    tmux.keys(&["C-p"]);
    let screen = tmux.wait_for("openai: other-model");
    assert!(
        screen.contains("● listed") && screen.contains("tmux-model"),
        "the model in use is marked:\n{screen}"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for("The next run uses openai: other-model");
    tmux.keys(&["C-s"]);
    tmux.wait_for("Decision: ambiguous");
    assert_eq!(
        server.header(0, ":request").as_deref(),
        Some("GET /v1/models")
    );
    assert_eq!(server.request_json(1)["model"], "other-model");
    let screen = tmux.screen();
    assert!(
        screen.contains("openai: other-model"),
        "the status line names it:\n{screen}"
    );
}

/// The answer, highlighted, in a terminal that names its colours by TERM alone: the plain screen
/// and the screen with its colour sequences.
fn colours_under(term: &str) -> (String, String) {
    let server = Server::start(vec![Reply::Stream(split(
        &openai_sse(ANSWER, 3, "stop"),
        40,
    ))]);
    let home = Home::new();
    let command = archbench_command_with(
        &server,
        &home,
        &["COLORTERM", "NO_COLOR"],
        &[("TERM", term)],
    );
    let tmux = Tmux::start(&command, 100, 30);
    tmux.wait_for("No answer yet");
    tmux.text("Design the data layer.");
    tmux.keys(&["C-s"]);
    let plain = tmux.wait_for("Decision: ambiguous");
    (plain, tmux.screen_with_escapes())
}

/// The palette numbers of every `38;5;N` and `48;5;N` on the screen.
fn palette_numbers(screen: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for marker in ["38;5;", "48;5;"] {
        for (at, _) in screen.match_indices(marker) {
            let digits: String = screen[at + marker.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            out.extend(digits.parse::<u32>());
        }
    }
    out
}

#[test]
fn screen_256color_without_colorterm_gets_no_truecolor() {
    let (plain, screen) = colours_under("screen-256color");
    assert!(plain.contains("CREATE TABLE"), "{plain}");
    assert!(
        !screen.contains("38;2;") && !screen.contains("48;2;"),
        "RGB sent to a 256-colour terminal:\n{screen}"
    );
    assert!(
        palette_numbers(&screen).iter().any(|n| *n >= 16),
        "the 256-colour palette is used:\n{screen}"
    );
}

#[test]
fn xterm_without_colorterm_gets_the_16_colours_only() {
    let (plain, screen) = colours_under("xterm");
    assert!(plain.contains("CREATE TABLE"), "{plain}");
    assert!(
        !screen.contains("38;2;") && !screen.contains("48;2;"),
        "RGB sent to a 16-colour terminal:\n{screen}"
    );
    let numbers = palette_numbers(&screen);
    assert!(!numbers.is_empty(), "still in colour:\n{screen}");
    assert!(
        numbers.iter().all(|n| *n < 16),
        "beyond the 16 colours: {numbers:?}"
    );
}

#[test]
fn ctrl_g_edits_the_brief_in_the_editor_and_the_workbench_comes_back_intact() {
    let server = Server::start(vec![Reply::Stream(split(
        &openai_sse(ANSWER, 3, "stop"),
        40,
    ))]);
    let home = Home::new();
    let editor = home.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf '\\nAdded by the editor.' >> \"$1\"\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let editor = editor.display().to_string();
    let command = archbench_command_with(&server, &home, &[], &[("VISUAL", &editor)]);
    let tmux = Tmux::start(&command, 100, 30);
    tmux.wait_for("No answer yet");
    tmux.text("First line of the brief.");
    tmux.wait_for("First line of the brief.");
    tmux.keys(&["C-g"]);
    let screen = tmux.wait_for("came back from the editor");
    assert!(screen.contains("Added by the editor."), "{screen}");
    assert!(
        tmux.alternate_screen(),
        "the workbench has the screen again"
    );
    // Keys reach the workbench again: the edited brief runs.
    tmux.keys(&["C-s"]);
    tmux.wait_for("Decision: ambiguous");
    assert_eq!(
        server.request_json(0)["messages"][1]["content"],
        "First line of the brief.\nAdded by the editor."
    );
}

#[test]
fn keys_typed_in_the_editor_reach_the_editor_not_the_workbench() {
    let server = Server::start(Vec::new());
    let home = Home::new();
    let editor = home.path().join("editor.sh");
    // An editor that asks for a line on the terminal and adds it to the file.
    std::fs::write(
        &editor,
        "#!/bin/sh\necho 'EDITOR READY'\nIFS= read -r line\nprintf '\\n%s' \"$line\" >> \"$1\"\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let editor = editor.display().to_string();
    let command = archbench_command_with(&server, &home, &[], &[("EDITOR", &editor)]);
    let tmux = Tmux::start(&command, 100, 30);
    tmux.wait_for("No answer yet");
    tmux.text("Brief.");
    tmux.keys(&["C-g"]);
    tmux.wait_for("EDITOR READY");
    assert!(!tmux.alternate_screen(), "the editor has the main screen");
    tmux.text("typed into the editor");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("came back from the editor");
    assert!(
        screen.contains("Brief.") && screen.contains("typed into the editor"),
        "{screen}"
    );
}

/// Whether the screen is one whole frame at `width` x `height`: the header on top, the key hints
/// at the bottom, and each pane row closed by its border at the screen's right edge.
fn whole_frame(screen: &str, width: usize, height: usize) -> bool {
    let lines: Vec<&str> = screen.lines().collect();
    let width_of = |l: &str| unicode_width::UnicodeWidthStr::width(l);
    lines.len() == height
        && lines[0].starts_with(" archbench")
        && lines[height - 1].contains("Tab pane")
        && lines[1..height - 2]
            .iter()
            .all(|l| width_of(l) == width && l.ends_with(['│', '┃', '┐', '┓', '┘', '┛']))
}

#[test]
fn resizing_while_the_answer_streams_keeps_a_whole_frame() {
    let partial = "# Data layer\n\n## 1. Data modeling\n\nTenants own listings; editions are shared.\n\n```sql\nCREATE TABLE tenant (id bigint PRIMARY KEY);\n";
    let server = Server::start(vec![Reply::Stall(split(
        &common::server::openai_sse_partial(partial, 5),
        30,
    ))]);
    let home = Home::new();
    let tmux = Tmux::start(&archbench_command(&server, &home), 100, 30);
    tmux.wait_for("No answer yet");
    tmux.text("Design the data layer.");
    tmux.keys(&["C-s"]);
    tmux.wait_for("CREATE TABLE tenant");
    for (w, h) in [(160, 48), (80, 24), (200, 60), (100, 30)] {
        tmux.resize(w, h);
        let deadline = Instant::now() + Duration::from_secs(15);
        let screen = loop {
            let screen = tmux.screen();
            if whole_frame(&screen, w as usize, h as usize)
                && screen.contains("CREATE TABLE tenant")
            {
                break screen;
            }
            assert!(
                Instant::now() < deadline,
                "no whole frame at {w}x{h}:\n{screen}"
            );
            std::thread::park_timeout(Duration::from_millis(50));
        };
        assert!(screen.contains("streaming"), "{screen}");
    }
}

#[test]
fn a_bracketed_paste_lands_in_the_brief_as_text() {
    let server = Server::start(Vec::new());
    let home = Home::new();
    let tmux = Tmux::start(&archbench_command(&server, &home), 100, 30);
    tmux.wait_for("No answer yet");
    tmux.paste("Pasted line one\nPasted line two\x1b[2J");
    let screen = tmux.wait_for("Pasted line two");
    assert!(screen.contains("Pasted line one"), "{screen}");
    assert!(
        screen.contains("␛[2J"),
        "an escape in pasted text is shown, not run:\n{screen}"
    );
    assert!(
        screen.contains("No answer yet"),
        "the paste ran nothing:\n{screen}"
    );
}

/// An sshd of the test's own, with throwaway host and user keys: the test's listener holds a
/// loopback port it bound itself (port 0, read back) and hands each connection to `sshd -i`
/// (inetd mode), so no port is released and bound again. Every sshd is killed when dropped.
struct Sshd {
    port: u16,
    dir: tempfile::TempDir,
    children: std::sync::Arc<std::sync::Mutex<Vec<std::process::Child>>>,
}

impl Sshd {
    /// Serves `connections` ssh connections.
    fn start(connections: usize) -> Self {
        let sshd = Path::new("/usr/sbin/sshd");
        assert!(
            sshd.exists(),
            "sshd is needed for this test: scripts/setup.sh installs openssh-server"
        );
        let dir = tempfile::tempdir().unwrap();
        for key in ["host_key", "user_key"] {
            let status = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(dir.path().join(key))
                .status()
                .unwrap();
            assert!(status.success());
        }
        std::fs::copy(
            dir.path().join("user_key.pub"),
            dir.path().join("authorized_keys"),
        )
        .unwrap();
        // Privilege separation wants this folder; a fresh machine may not have it.
        let _ = std::fs::create_dir_all("/run/sshd");
        let config = dir.path().join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "HostKey {dir}/host_key\nPidFile none\nAuthorizedKeysFile {dir}/authorized_keys\nStrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nPermitRootLogin prohibit-password\n",
                dir = dir.path().display()
            ),
        )
        .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let children = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let spawned = children.clone();
        std::thread::spawn(move || {
            for _ in 0..connections {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let child = Command::new(sshd)
                    .args(["-i", "-e", "-f"])
                    .arg(&config)
                    .stdin(std::os::fd::OwnedFd::from(stream.try_clone().unwrap()))
                    .stdout(std::os::fd::OwnedFd::from(stream))
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap();
                spawned.lock().unwrap().push(child);
            }
        });
        Self {
            port,
            dir,
            children,
        }
    }

    /// A command that runs `remote` on this machine over ssh, with a terminal.
    fn command(&self, remote: &str) -> String {
        let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
        format!(
            "ssh -tt -p {} -i {}/user_key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR {user}@127.0.0.1 '{remote}'",
            self.port,
            self.dir.path().display()
        )
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        for child in self.children.lock().unwrap().iter_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn over_ssh_the_workbench_runs_and_approves_and_a_second_session_watches() {
    // Two connections: the reviewer's and the watcher's.
    let sshd = Sshd::start(2);
    let server = Server::start(vec![Reply::Stream(split(
        &openai_sse(ANSWER, 3, "stop"),
        40,
    ))]);
    let home = Home::new();
    let over_ssh = |args: &str| home.shell_with(&[], &[("TERM", "xterm-256color")], args);
    let reviewer = Tmux::start(
        &sshd.command(&over_ssh(&format!(
            "--provider openai --base-url {} --model ssh-model --outbox {}/outbox",
            server.base_url(),
            home.path().display()
        ))),
        110,
        32,
    );
    reviewer.wait_for("No answer yet");
    reviewer.text("Design the data layer, over ssh.");
    reviewer.keys(&["C-s"]);
    let screen = reviewer.wait_for("Decision: ambiguous");
    assert!(screen.contains("CREATE TABLE tenant"), "{screen}");
    let watcher = Tmux::start(&sshd.command(&over_ssh("watch")), 110, 32);
    let watched = watcher.wait_for("Decision: ambiguous");
    assert!(
        watched.contains("CREATE TABLE tenant") && watched.contains("over ssh"),
        "{watched}"
    );
    reviewer.keys(&["3"]);
    reviewer.keys(&["Enter"]);
    reviewer.wait_for("Handed off to backup_disaster_specialist");
    // The outcome as the session store keeps it, with the reviewer (the routes pane shows it).
    watcher.wait_for("handed off to backup_disaster_specialist in envelope");
    assert_eq!(
        std::fs::read_dir(home.path().join("outbox"))
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json"))
            .count(),
        1
    );
}

#[test]
fn inline_the_answer_goes_into_the_scrollback_and_stays_after_quitting() {
    let server = Server::start(vec![Reply::Stream(split(
        &openai_sse(ANSWER, 3, "stop"),
        40,
    ))]);
    let home = Home::new();
    let tmux = Tmux::start("sh", 100, 40);
    tmux.text(&format!(
        "{} --inline; echo INLINE-DONE",
        archbench_command(&server, &home)
    ));
    tmux.keys(&["Enter"]);
    tmux.wait_for("No answer yet");
    assert!(!tmux.alternate_screen(), "inline: no alternate screen");
    tmux.text("Design the data layer.");
    tmux.keys(&["C-s"]);
    let screen = tmux.wait_for("Decision: ambiguous");
    // The whole workbench sits below what it wrote to the scrollback.
    let written = screen.find("── Database architect · attempt 1 ──").unwrap();
    let header = screen.find(" archbench · Database architect").unwrap();
    assert!(written < header, "{screen}");
    assert!(
        screen[header..].contains("┌ Brief") && screen[header..].contains("Answer · attempt 1"),
        "{screen}"
    );
    tmux.keys(&["C-q"]);
    tmux.keys(&["C-q"]);
    tmux.wait_for("INLINE-DONE");
    let history = tmux.history();
    assert!(
        history.contains("── Database architect · attempt 1 ──"),
        "{history}"
    );
    let rule = history
        .find("── Database architect · attempt 1 ──")
        .unwrap();
    assert!(
        history[rule..].contains("CREATE TABLE tenant"),
        "the answer is in the scrollback:\n{history}"
    );
    assert!(history[rule..].contains("DECISION: completed"), "{history}");
}

/// Headless output and the history, printed on a real terminal (stdout is the tmux pane, not a
/// pipe): the hostile answer and brief show as placeholders and change nothing in the terminal.
#[test]
fn headless_output_and_the_history_on_a_terminal_act_on_nothing() {
    let evil = "\u{1b}[2J\u{1b}[H cleared \u{1b}]0;pwned-title\u{7} title \u{1b}]52;c;cHduZWQ=\u{7} clip \u{9b}31m c1";
    let answer = format!("# Safe heading\n\nAnswer {evil}\n\nDECISION: completed\n");
    let server = Server::start(vec![Reply::Stream(vec![openai_sse(&answer, 3, "stop")])]);
    let home = Home::new();
    let brief = home.path().join("brief.md");
    std::fs::write(&brief, format!("Brief {evil}")).unwrap();
    let tmux = Tmux::start("sh", 160, 50);
    tmux.accept_clipboard();
    let title_before = pane_title(&tmux);
    let run = home.shell(&format!(
        "run --approve never --provider openai --model m --base-url {} --brief {}",
        server.base_url(),
        brief.display()
    ));
    tmux.text(&format!(
        // The quotes keep the typed line from matching what the echoes print.
        "echo FIRST-\"\"LINE; {run}; {}; echo OUTPUT-\"\"DONE",
        home.shell("sessions show 1")
    ));
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("OUTPUT-DONE");
    assert!(
        screen.contains("FIRST-LINE"),
        "the screen was not cleared:\n{screen}"
    );
    for shown in [
        "Answer ␛[2J␛[H cleared",
        "␛]0;pwned-title␇ title",
        "␛]52;c;cHduZWQ=␇ clip",
        "⟨U+009B⟩31m c1",
        "Brief ␛[2J",
    ] {
        assert!(screen.contains(shown), "`{shown}` not shown:\n{screen}");
    }
    assert_untouched(&tmux, &title_before);
}

/// A deferred review whose answer was edited, its hash recomputed to match, is checked against
/// the text the session store kept when the answer streamed, before anything can be handed off:
/// `resume` refuses it and says why, and nothing reaches the outbox.
#[test]
fn a_deferred_answer_edited_with_its_hash_recomputed_cannot_be_resumed() {
    use sha2::{Digest, Sha256};
    let answer = "# Data layer\n\nTenants and listings.\n\nDECISION: completed\n";
    let server = Server::start(vec![Reply::Stream(vec![openai_sse(answer, 6, "stop")])]);
    let home = Home::new();
    defer_a_review(&server, &home);

    let file = std::fs::read_dir(home.archbench_data().join("deferred"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let mut saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let edited = answer.replace(
        "Tenants and listings.",
        "Tenants, listings; DROP TABLE users.",
    );
    let attempt = &mut saved["attempts"][0];
    attempt["text"] = edited.clone().into();
    attempt["reviewed_sha256"] = hex::encode(Sha256::digest(edited.as_bytes())).into();
    std::fs::write(&file, serde_json::to_vec_pretty(&saved).unwrap()).unwrap();

    let id = file.file_stem().unwrap().to_string_lossy().into_owned();
    let tmux = Tmux::start("sh", 160, 30);
    tmux.text(&format!(
        "{} resume {}; echo RESUME\"\"-$?",
        archbench_command(&server, &home),
        &id[..13]
    ));
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("does not match the session store");
    assert!(screen.contains("cannot be resumed"), "{screen}");
    assert!(
        !home.path().join("outbox").exists()
            || std::fs::read_dir(home.path().join("outbox"))
                .unwrap()
                .all(|e| e.unwrap().path().extension().is_none_or(|x| x != "json")),
        "nothing was handed off"
    );
}

/// Co-review: someone following with `archbench watch` comments on a line; the comment reaches
/// the reviewer's workbench live, named by who wrote it, and goes to the agent with a revision.
#[test]
fn a_watchers_comment_reaches_the_reviewer_named_by_its_author() {
    let revised = ANSWER.replace("PRIMARY KEY", "GENERATED ALWAYS AS IDENTITY PRIMARY KEY");
    let server = Server::start(vec![
        Reply::Stream(split(&openai_sse(ANSWER, 3, "stop"), 40)),
        Reply::Stream(split(&openai_sse(&revised, 3, "stop"), 40)),
    ]);
    let home = Home::new();
    let as_user = |user: &str, args: &str| {
        home.shell_with(
            &[],
            &[
                ("TERM", "xterm-256color"),
                ("USER", user),
                ("LOGNAME", user),
            ],
            args,
        )
    };
    let reviewer = Tmux::start(
        &as_user(
            "ada",
            &format!(
                "--provider openai --base-url {} --model m --outbox {}/outbox",
                server.base_url(),
                home.path().display()
            ),
        ),
        110,
        32,
    );
    reviewer.wait_for("No answer yet");
    reviewer.text("Design the data layer.");
    reviewer.keys(&["C-s"]);
    reviewer.wait_for("Decision: ambiguous");

    let watcher = Tmux::start(&as_user("bea", "watch"), 110, 32);
    watcher.wait_for("Decision: ambiguous");
    // To the answer pane (the routes have the keyboard once the answer is in), then from its
    // top down to the CREATE TABLE line.
    watcher.keys(&["BTab", "BTab", "g", "m", "j", "j", "j", "j", "j", "Enter"]);
    watcher.wait_for("Comment on line 6");
    watcher.text("Use an identity column.");
    watcher.keys(&["Enter"]);
    watcher.wait_for("sent to the reviewer");

    let screen = reviewer.wait_for("bea commented on line 6 of attempt 1");
    assert!(screen.contains("Use an identity column."), "{screen}");
    // It is one of the answer's comments: listed, and sent with a revision.
    reviewer.keys(&["r"]);
    reviewer.wait_for("sent with it: 1 comment");
    reviewer.keys(&["C-s"]);
    reviewer.wait_for("GENERATED ALWAYS AS IDENTITY");
    let requests = server.requests.lock().unwrap();
    let asked = &requests[1];
    assert!(
        asked.contains("On line 6:\\n> CREATE TABLE tenant (id bigint PRIMARY KEY);\\nUse an identity column. (bea)"),
        "{asked}"
    );
}

/// Two machines sharing a team store: a reviewer's workbench on one, `archbench watch` on the
/// other follows her session live from the team's history, and the watcher's comment reaches
/// her workbench, named by its author.
#[test]
fn a_session_on_one_machine_is_watched_and_commented_on_from_another() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = runtime.block_on(common::pg::fresh_database());
    let server = Server::start(vec![Reply::Stream(split(
        &openai_sse(ANSWER, 3, "stop"),
        40,
    ))]);
    let (ada_machine, bea_machine) = (Home::new(), Home::new());
    let on = |home: &Home, user: &str, args: &str| {
        home.shell_with(
            &[],
            &[
                ("TERM", "xterm-256color"),
                ("USER", user),
                ("LOGNAME", user),
            ],
            &format!("{args} --store-url '{url}'"),
        )
    };
    let reviewer = Tmux::start(
        &on(
            &ada_machine,
            "ada",
            &format!(
                "--provider openai --base-url {} --model m --outbox {}/outbox",
                server.base_url(),
                ada_machine.path().display()
            ),
        ),
        110,
        32,
    );
    reviewer.wait_for("No answer yet");
    reviewer.text("Design the data layer.");
    reviewer.keys(&["C-s"]);
    reviewer.wait_for("Decision: ambiguous");

    // The run reaches the team's history a moment after it streamed: bea's machine asks until
    // it is there (bounded), as a person would run `sessions list` again.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let listed = bea_machine
            .command()
            .args(["sessions", "list", "--json", "--store-url", &url])
            .output()
            .unwrap();
        let rows: Vec<serde_json::Value> =
            serde_json::from_slice(&listed.stdout).unwrap_or_default();
        if rows.iter().any(|r| r["status"] == "complete") {
            assert!(rows[0]["machine"].as_str().unwrap().starts_with("ada@"));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the run never reached the team's history: {}",
            String::from_utf8_lossy(&listed.stderr)
        );
    }
    let watcher = Tmux::start(&on(&bea_machine, "bea", "watch"), 110, 32);
    let seen = watcher.wait_for("Decision: ambiguous");
    assert!(seen.contains("CREATE TABLE tenant"), "{seen}");
    watcher.keys(&["BTab", "BTab", "g", "m", "j", "j", "j", "j", "j", "Enter"]);
    watcher.wait_for("Comment on line 6");
    watcher.text("Use an identity column.");
    watcher.keys(&["Enter"]);
    watcher.wait_for("sent to the reviewer");

    let screen = reviewer.wait_for("bea commented on line 6 of attempt 1");
    assert!(screen.contains("Use an identity column."), "{screen}");

    // Bea's own workbench: its history is the team's, ada's run in it, opened whole.
    let bench = Tmux::start(
        &on(
            &bea_machine,
            "bea",
            &format!(
                "--provider openai --base-url {} --model m",
                server.base_url()
            ),
        ),
        110,
        32,
    );
    bench.wait_for("No answer yet");
    bench.keys(&["C-o"]);
    bench.wait_for("Design the data layer.");
    bench.keys(&["Enter"]);
    bench.wait_for("CREATE TABLE tenant");
}

/// Two terminals: a pipeline's headless run leaves its review in the inbox and exits 12; the
/// reviewer, with `archbench inbox` open in the other, reads the inbox again, opens the review
/// (claiming it), and hands it off with Enter; the inbox is then empty.
#[test]
fn a_review_left_by_a_headless_run_is_handed_off_from_the_inbox() {
    let answer = "# Bookstore\n\nOne database, row-level security.\n\nDECISION: backup_disaster_specialist\n";
    let server = Server::start(vec![Reply::Stream(vec![openai_sse(answer, 3, "stop")])]);
    let home = Home::new();
    let env = [
        ("TERM", "xterm-256color"),
        ("USER", "ada"),
        ("LOGNAME", "ada"),
    ];
    let outbox = home.path().join("outbox");
    let reviewer = Tmux::start(
        &home.shell_with(
            &[],
            &env,
            &format!(
                "inbox --provider openai --base-url {} --model m --outbox {}",
                server.base_url(),
                outbox.display()
            ),
        ),
        110,
        32,
    );
    reviewer.wait_for("No review waits");

    let brief = home.path().join("brief.md");
    std::fs::write(&brief, "# Bookstore\n\n340 tenants, RPO 5 min.").unwrap();
    let pipeline = Tmux::start(
        &format!(
            "{}; echo exit=$?; sleep 600",
            home.shell_with(
                &[],
                &[("USER", "ci"), ("OPENAI_API_KEY", "k")],
                &format!(
                    "run --approve inbox --provider openai --base-url {} --model m --brief {}",
                    server.base_url(),
                    brief.display()
                ),
            )
        ),
        110,
        20,
    );
    let said = pipeline.wait_for("exit=");
    assert!(
        said.contains("waiting for review:") && said.contains("exit=12"),
        "{said}"
    );

    reviewer.keys(&["M-i"]);
    let listed = reviewer.wait_for("Bookstore");
    assert!(listed.contains("Inbox · 1 waiting"), "{listed}");
    reviewer.keys(&["Enter"]);
    reviewer.wait_for("Reviewing “Bookstore”");
    // The agent's route is chosen: Enter hands it off.
    reviewer.keys(&["Enter"]);
    let done = reviewer.wait_for("No review waits");
    assert!(!done.contains("Refused"), "{done}");
    let envelopes: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(envelopes.len(), 1, "one handoff");
    let envelope: serde_json::Value =
        serde_json::from_slice(&std::fs::read(envelopes[0].path()).unwrap()).unwrap();
    assert_eq!(envelope["route"]["target"], "backup_disaster_specialist");
    let list = home
        .command()
        .args(["inbox", "list", "--json", "--all"])
        .output()
        .unwrap();
    let rows = String::from_utf8_lossy(&list.stdout);
    let row: serde_json::Value = serde_json::from_str(rows.lines().next().unwrap()).unwrap();
    assert_eq!(row["status"], "settled", "{rows}");
}

/// The team store goes away while a reviewer works: her approval waits on her machine and the
/// screen says so, nothing is handed off; the store comes back and the handoff is made, once.
#[test]
fn an_approval_made_while_the_team_store_is_down_is_handed_off_when_it_returns() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let relay = runtime.block_on(common::pg::Relay::start());
    let url = relay.url(&runtime.block_on(common::pg::fresh_database()));
    let answer = "# Bookstore\n\nOne database, row-level security.\n\nDECISION: backup_disaster_specialist\n";
    let server = Server::start(vec![Reply::Stream(vec![openai_sse(answer, 3, "stop")])]);
    let home = Home::new();
    let brief = home.path().join("brief.md");
    std::fs::write(&brief, "# Bookstore\n\n340 tenants, RPO 5 min.").unwrap();
    let pipeline = home
        .command()
        .args(["run", "--approve", "inbox", "--provider", "openai"])
        .args(["--base-url", &server.base_url(), "--model", "m", "--brief"])
        .arg(&brief)
        .args(["--store-url", &url])
        .env("OPENAI_API_KEY", "k")
        .output()
        .unwrap();
    assert_eq!(
        pipeline.status.code(),
        Some(12),
        "{}",
        String::from_utf8_lossy(&pipeline.stderr)
    );

    let outbox = home.path().join("outbox");
    let reviewer = Tmux::start(
        &home.shell_with(
            &[],
            &[("TERM", "xterm-256color"), ("USER", "ada")],
            &format!(
                "inbox --store-url '{url}' --provider openai --base-url {} --model m --outbox {}",
                server.base_url(),
                outbox.display()
            ),
        ),
        110,
        32,
    );
    reviewer.wait_for("Bookstore");
    reviewer.keys(&["Enter"]);
    reviewer.wait_for("Reviewing “Bookstore”");

    relay.stop();
    reviewer.keys(&["Enter"]);
    let waiting = reviewer.wait_for("Approved: to");
    assert!(
        waiting.contains("The team store cannot be reached"),
        "{waiting}"
    );
    assert!(
        !outbox.exists(),
        "nothing handed off while the store is down"
    );

    relay.restart();
    let sent = reviewer.wait_for("The team store answers again");
    assert!(!sent.contains("refused"), "{sent}");
    let envelopes: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(envelopes.len(), 1, "one handoff");
    let list = home
        .command()
        .args(["inbox", "list", "--json", "--all", "--store-url", &url])
        .output()
        .unwrap();
    let rows = String::from_utf8_lossy(&list.stdout);
    let row: serde_json::Value = serde_json::from_str(rows.lines().next().unwrap()).unwrap();
    assert_eq!(row["status"], "settled", "{rows}");
    assert!(
        row["claimed_by"]
            .as_str()
            .is_some_and(|by| by.contains("ada")),
        "{rows}"
    );
}
