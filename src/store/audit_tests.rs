use super::*;
use chrono::TimeZone;

fn entry(kind: &str, n: u32) -> AuditEntry {
    AuditEntry {
        kind: kind.into(),
        chain_id: "chain-1".into(),
        role: "database_architect".into(),
        attempt: n,
        at: Utc.timestamp_opt(1_700_000_000 + i64::from(n), 0).unwrap(),
        data: serde_json::json!({"n": n}),
    }
}

fn log_with(records: u32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    for n in 1..=records {
        append(&path, &entry("review_action", n)).unwrap();
    }
    (dir, path)
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn rewrite(path: &Path, lines: &[String]) {
    std::fs::write(
        path,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
}

#[test]
fn an_untouched_log_verifies() {
    let (_dir, path) = log_with(5);
    assert_eq!(verify(&path), Ok(5));
    let records = read(&path).unwrap();
    assert_eq!(records[0].prev, GENESIS);
    assert_eq!(records[4].seq, 5);
    assert_eq!(verify(&path.with_file_name("none.jsonl")), Ok(0));
}

#[test]
fn an_edited_record_is_found() {
    let (_dir, path) = log_with(5);
    let mut l = lines(&path);
    l[1] = l[1].replace("\"n\":2", "\"n\":20");
    rewrite(&path, &l);
    let problems = verify(&path).unwrap_err();
    assert_eq!(problems[0].line, 3);
    assert!(
        problems[0].message.contains("line 2) was edited"),
        "{problems:?}"
    );
}

#[test]
fn a_deleted_record_is_found() {
    let (_dir, path) = log_with(5);
    let mut l = lines(&path);
    l.remove(2);
    rewrite(&path, &l);
    let problems = verify(&path).unwrap_err();
    assert!(
        problems[0]
            .message
            .contains("record 4 follows record 2: 1 record(s) deleted"),
        "{problems:?}"
    );
}

#[test]
fn an_inserted_record_is_found() {
    let (_dir, path) = log_with(5);
    let mut l = lines(&path);
    let copy = l[1].clone();
    l.insert(2, copy);
    rewrite(&path, &l);
    let problems = verify(&path).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.line == 3 && p.message.contains("appears twice: a record was inserted")),
        "{problems:?}"
    );
}

#[test]
fn reordered_records_are_found() {
    let (_dir, path) = log_with(5);
    let mut l = lines(&path);
    l.swap(1, 2);
    rewrite(&path, &l);
    let problems = verify(&path).unwrap_err();
    assert_eq!(problems[0].line, 2);
    assert!(
        problems[0]
            .message
            .contains("record 3 comes before record 2: records were reordered"),
        "{problems:?}"
    );
}

#[test]
fn records_cut_off_the_end_are_found() {
    let (_dir, path) = log_with(5);
    let mut l = lines(&path);
    l.truncate(3);
    rewrite(&path, &l);
    let problems = verify(&path).unwrap_err();
    assert!(
        problems[0]
            .message
            .contains("ends at record 3 but record 5 was written"),
        "{problems:?}"
    );
}

#[test]
fn concurrent_appenders_keep_one_chain() {
    let (_dir, path) = log_with(0);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let path = path.clone();
            std::thread::spawn(move || {
                for n in 0..25 {
                    append(&path, &entry("run_started", t * 100 + n)).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(verify(&path), Ok(100));
}

#[test]
fn the_log_is_readable_by_its_owner_only() {
    let (_dir, path) = log_with(1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
