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

#[test]
fn a_record_whose_last_4kb_begin_inside_a_character_does_not_stop_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    // A DECISION line then CJK text: three bytes a character, so a 4 KB window from the end
    // starts inside one for one of these lengths.
    for extra in 0..3 {
        let mut e = entry("answer_complete", 1);
        e.data = serde_json::json!({ "text": format!("DECISION: end\n{}{}", "x".repeat(extra), "数据库".repeat(2000)) });
        append(&path, &e).unwrap();
        append(&path, &entry("review_action", 2)).unwrap();
    }
    assert_eq!(verify(&path), Ok(6));
}

#[test]
fn a_line_that_is_not_text_hides_nothing_after_it() {
    let (_dir, path) = log_with(4);
    let mut bytes = std::fs::read(&path).unwrap();
    let second = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    bytes.splice(second..second, b"\xff\xfe not text\n".iter().copied());
    // And an edit further down, which must still be found.
    let text = String::from_utf8_lossy(&bytes).replace("{\"n\":4}", "{\"n\":5}");
    let mut bytes = text.into_bytes();
    bytes.splice(second..second + 3, b"\xff\xfe ".iter().copied());
    std::fs::write(&path, &bytes).unwrap();
    let problems = verify(&path).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.line == 2 && p.message.contains("not text")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.line > 3),
        "the edit after it is found too: {problems:?}"
    );
    assert_eq!(
        read(&path).unwrap().len(),
        4,
        "show reads every record around it"
    );
}

#[test]
fn a_torn_last_line_is_recovered_at_the_next_append_and_verified_as_a_crash() {
    let (_dir, path) = log_with(3);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.truncate(bytes.len() - 20);
    std::fs::write(&path, &bytes).unwrap();
    let report = verify_report(&path).unwrap();
    assert!(
        report.crashes[0].message.contains("cut short"),
        "{report:?}"
    );
    append(&path, &entry("review_action", 4)).unwrap();
    let report = verify_report(&path).unwrap();
    assert_eq!(report.records, 4, "two intact, the recovery, the new one");
    assert!(
        report
            .crashes
            .iter()
            .any(|c| c.line == 3 && c.message.contains("crash")),
        "{report:?}"
    );
    let records = read(&path).unwrap();
    assert_eq!(records[2].kind, RECOVERED);
    assert_eq!(records[3].kind, "review_action");
}

/// The last newline replaced by another byte leaves a whole record and a stray byte at the end:
/// no crash writes that (a record and its newline go out in one write), so it is an edit, before
/// the next append and after it. (Found by `any_byte_edited_is_found`: it read as a torn record.)
#[test]
fn a_last_newline_replaced_is_an_edit_not_a_crash() {
    for byte in [b' ', 0x0b, b'x'] {
        let (_dir, path) = log_with(5);
        let mut bytes = std::fs::read(&path).unwrap();
        *bytes.last_mut().unwrap() = byte;
        std::fs::write(&path, &bytes).unwrap();
        let problems = verify_report(&path).unwrap_err();
        assert!(
            problems[0].message.contains("stray byte"),
            "{byte}: {problems:?}"
        );
        append(&path, &entry("review_action", 6)).unwrap();
        let problems = verify_report(&path).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.message.contains("no crash leaves")),
            "{byte}: after an append: {problems:?}"
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Any byte changed anywhere in the log is found.
    #[test]
    fn any_byte_edited_is_found(at in 0usize..10_000, to in 0u8..=255) {
        let (_dir, path) = log_with(5);
        let mut bytes = std::fs::read(&path).unwrap();
        let at = at % bytes.len();
        proptest::prop_assume!(bytes[at] != to);
        bytes[at] = to;
        std::fs::write(&path, &bytes).unwrap();
        proptest::prop_assert!(verify(&path).is_err(), "byte {} set to {}", at, to);
    }
}

/// Truncated at every byte (a crash, a full disk), the log takes the next records and verifies
/// with the crash named, never as tampering. Every cut is tried: the log is small.
#[test]
fn truncated_at_any_byte_the_log_recovers_as_a_crash() {
    let (dir, path) = log_with(5);
    let whole = std::fs::read(&path).unwrap();
    let head = std::fs::read(head_path(&path)).unwrap();
    for cut in 0..=whole.len() {
        std::fs::write(&path, &whole[..cut]).unwrap();
        std::fs::write(head_path(&path), &head).unwrap();
        append(&path, &entry("review_action", 9)).unwrap();
        append(&path, &entry("review_action", 10)).unwrap();
        let report = verify_report(&path).unwrap_or_else(|p| panic!("cut at {cut}: {p:?}"));
        // Only a cut at the very end, or of the last newline alone, loses nothing.
        let lost_nothing = cut + 1 >= whole.len();
        assert_eq!(
            report.crashes.is_empty(),
            lost_nothing,
            "cut at {cut}: {report:?}"
        );
        assert_eq!(
            read(&path).unwrap().last().unwrap().data["n"],
            10,
            "cut at {cut}"
        );
    }
    drop(dir);
}
