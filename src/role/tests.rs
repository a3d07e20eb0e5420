use super::*;

#[test]
fn shipped_roles_load_with_their_routes() {
    let book = RoleBook::load(None).unwrap();
    let architect = book.get("database_architect").unwrap();
    assert_eq!(architect.sections.len(), 8);
    let targets: Vec<&str> = architect.routes.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "fullstack_developer",
            "product_catalog_manager",
            "backup_disaster_specialist"
        ]
    );
    assert_eq!(architect.routes[0].id, "route:fullstack_developer");
    assert_eq!(
        architect.routes[0].text,
        "completed: Go to fullstack_developer"
    );
    for id in [
        "fullstack_developer",
        "product_catalog_manager",
        "backup_disaster_specialist",
    ] {
        let role = book.get(id).unwrap();
        assert!(
            role.routes.iter().any(|r| r.target == "database_architect"),
            "{id} routes back"
        );
        assert!(
            role.routes.iter().any(|r| r.target == "end"),
            "{id} can end the chain"
        );
    }
}

/// The sha256 of `../shared/seeds/000_798aa6e0d5c53e71.txt`, the seed the role is shipped from.
const SEED_SHA256: &str = "3726b558f68de838debd47f538cf5d14e42c5af54d949ffdfd007a122ca820de";

#[test]
fn database_architect_prompt_is_the_seed_unchanged() {
    let book = RoleBook::load(None).unwrap();
    let role = book.get("database_architect").unwrap();
    let prompt = &role.prompt;
    // Always checked, seed file or not: the shipped prompt hashes to the seed's recorded hash.
    assert_eq!(role.prompt_sha256(), SEED_SHA256);
    // And byte for byte where the seed sits beside the repository (the workplace, CI).
    let seed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/seeds/000_798aa6e0d5c53e71.txt");
    if let Ok(seed) = std::fs::read_to_string(&seed) {
        assert_eq!(*prompt, seed);
    }
}

#[test]
fn shared_labels_are_warned_about() {
    let book = RoleBook::load(None).unwrap();
    let warnings = book.get("database_architect").unwrap().warnings();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("options 1, 2, 3 share the label `completed`"),
        "{warnings:?}"
    );
    assert!(book
        .get("fullstack_developer")
        .unwrap()
        .warnings()
        .is_empty());
}

#[test]
fn a_role_without_front_matter_takes_its_id_from_the_file() {
    let text = "You review SQL.\n\n=== ROUTING DECISION REQUIRED ===\nAfter your response, you MUST choose exactly ONE decision from:\n- approved: Go to fullstack_developer\n- rejected: Go to database_architect\n\nDECISION: [ONE_OF_THE_ABOVE_CHOICES]\n";
    let role = parse_role("x/sql_reviewer.md", "sql_reviewer.md", text).unwrap();
    assert_eq!(role.id, "sql_reviewer");
    assert_eq!(role.title, "Sql reviewer");
    assert_eq!(role.prompt, text);
    assert_eq!(role.routes.len(), 2);
    assert_eq!(role.routes[1].label, "rejected");
}

#[test]
fn broken_front_matter_names_file_and_line() {
    let text = "+++\nid = \"x\"\ntitle = 3\n+++\nPrompt\n";
    let err = parse_role("roles/x.md", "x.md", text).unwrap_err();
    assert_eq!(err.line, 3);
    assert!(
        err.to_string().starts_with("roles/x.md:3: front matter"),
        "{err}"
    );
}

#[test]
fn unknown_front_matter_field_is_an_error() {
    let err = parse_role(
        "r.md",
        "r.md",
        "+++\nid = \"x\"\nsection = []\n+++\nPrompt\n",
    )
    .unwrap_err();
    assert_eq!(err.line, 3);
    assert!(err.message.contains("unknown field"), "{err}");
}

#[test]
fn unclosed_front_matter_is_an_error() {
    let err = parse_role("r.md", "r.md", "+++\nid = \"x\"\nPrompt\n").unwrap_err();
    assert_eq!(err.line, 1);
    assert!(err.message.contains("never closed"));
}

#[test]
fn malformed_option_names_its_line() {
    let text = "+++\nid = \"x\"\n+++\nPrompt\n=== ROUTING DECISION REQUIRED ===\n- completed: Go to a\n- completed to b\n";
    let err = parse_role("r.md", "r.md", text).unwrap_err();
    assert_eq!(err.line, 7, "{err}");
    assert!(err.message.contains("`- <label>: Go to <target>`"));
}

#[test]
fn routing_block_without_options_is_an_error() {
    let err = parse_role(
        "r.md",
        "r.md",
        "Prompt\n=== ROUTING DECISION REQUIRED ===\nNothing here\n",
    )
    .unwrap_err();
    assert_eq!(err.line, 2);
}

#[test]
fn empty_prompt_and_bad_id_are_errors() {
    assert!(parse_role("r.md", "r.md", "+++\nid = \"x\"\n+++\n\n")
        .unwrap_err()
        .message
        .contains("no prompt"));
    assert!(parse_role("r.md", "r.md", "+++\nid = \"a b\"\n+++\nP\n")
        .unwrap_err()
        .message
        .contains("role id"));
}

#[test]
fn user_roles_folder_adds_and_replaces_roles() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sql_reviewer.md"),
        "Review.\n=== ROUTING DECISION REQUIRED ===\n- ok: Go to end\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("fullstack_developer.md"),
        "+++\nid = \"fullstack_developer\"\ntitle = \"Mine\"\n+++\nMine.\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
    let book = RoleBook::load(Some(dir.path())).unwrap();
    assert!(book.get("sql_reviewer").is_some());
    assert_eq!(book.get("fullstack_developer").unwrap().title, "Mine");
    assert_eq!(book.all().len(), 5);
}

#[test]
fn broken_user_role_file_is_reported_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.md");
    std::fs::write(&path, b"Prompt \xff\xfe\n").unwrap();
    let err = RoleBook::load(Some(dir.path())).unwrap_err();
    assert_eq!(err.file, path.display().to_string());
    assert_eq!(err.line, 1);
    assert!(err.message.contains("UTF-8"));
}

#[test]
fn missing_user_folder_is_not_an_error() {
    assert!(RoleBook::load(Some(std::path::Path::new("/nonexistent/archbench-roles"))).is_ok());
}
