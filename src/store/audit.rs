//! The audit log: append-only JSON lines, one record per state change, each carrying the sha256 of
//! the line before it, and a head file holding the last record's number and hash. Editing,
//! deleting, inserting or reordering a record breaks the chain, and cutting records off the end
//! no longer matches the head: `archbench audit verify` finds each and says which.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The hash a first record points back to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, as `update` or a headless run reports it (no I/O yet).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// `run_started`, `answer_complete`, `decision_parsed`, `review_action`, `handoff_sent`, `handoff_failed`.
    pub kind: String,
    pub chain_id: String,
    pub role: String,
    pub attempt: u32,
    pub at: DateTime<Utc>,
    pub data: serde_json::Value,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub chain_id: String,
    pub role: String,
    pub attempt: u32,
    pub data: serde_json::Value,
    /// sha256 of the previous line (its exact bytes, without the newline).
    pub prev: String,
}

fn sha(line: &str) -> String {
    hex::encode(Sha256::digest(line.as_bytes()))
}

fn head_path(log: &Path) -> PathBuf {
    let mut name = log
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".head");
    log.with_file_name(name)
}

/// Holds an exclusive lock on the open log: two archbench processes append one after the other.
struct Locked(File);

impl Locked {
    fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut options = OpenOptions::new();
        options.read(true).append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(path)?;
        #[cfg(unix)]
        {
            use std::os::unix::io::AsRawFd;
            // SAFETY: flock on a descriptor we own; released when the file is closed.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(Self(file))
    }
}

/// The last line of the file (the log is read from its end, so appending stays cheap).
fn last_line(file: &mut File) -> std::io::Result<Option<String>> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(None);
    }
    let mut window = 4096u64;
    loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start))?;
        let mut tail = String::new();
        file.read_to_string(&mut tail)?;
        let trimmed = tail.trim_end_matches('\n');
        if let Some(pos) = trimmed.rfind('\n') {
            return Ok(Some(trimmed[pos + 1..].to_string()));
        }
        if start == 0 {
            return Ok(Some(trimmed.to_string()));
        }
        window *= 4;
    }
}

/// Appends one record to the log at `path`.
pub fn append(path: &Path, entry: &AuditEntry) -> std::io::Result<AuditRecord> {
    let Locked(mut file) = Locked::open(path)?;
    let previous = last_line(&mut file)?;
    let (seq, prev) = match &previous {
        Some(line) => {
            let last: AuditRecord = serde_json::from_str(line).map_err(|e| {
                std::io::Error::other(format!(
                    "the last audit record is unreadable ({e}); run `archbench audit verify`"
                ))
            })?;
            (last.seq + 1, sha(line))
        }
        None => (1, GENESIS.to_string()),
    };
    let record = AuditRecord {
        seq,
        at: entry.at,
        kind: entry.kind.clone(),
        chain_id: entry.chain_id.clone(),
        role: entry.role.clone(),
        attempt: entry.attempt,
        data: entry.data.clone(),
        prev,
    };
    let line = serde_json::to_string(&record).map_err(std::io::Error::other)?;
    file.write_all(format!("{line}\n").as_bytes())?;
    file.sync_data()?;
    let head = format!("{seq} {}\n", sha(&line));
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = head_path(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    super::outbox::write_atomic(dir, &name, head.as_bytes())?;
    Ok(record)
}

/// A break in the chain, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line of the log.
    pub line: usize,
    pub message: String,
}

/// Checks the whole log; returns the number of records, or every problem found.
pub fn verify(path: &Path) -> Result<usize, Vec<Problem>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => {
            return Err(vec![Problem {
                line: 0,
                message: format!("cannot read {}: {e}", path.display()),
            }])
        }
    };
    let all: Vec<String> = BufReader::new(file).lines().map_while(Result::ok).collect();
    // Which record numbers exist anywhere: a gap filled further down is a reordering, not a deletion.
    let present: std::collections::HashSet<u64> = all
        .iter()
        .filter_map(|l| serde_json::from_str::<AuditRecord>(l).ok())
        .map(|r| r.seq)
        .collect();
    let mut problems = Vec::new();
    let mut previous: Option<(String, u64)> = None;
    let mut count = 0;
    for (index, line) in all
        .into_iter()
        .map(Ok::<String, std::io::Error>)
        .enumerate()
    {
        let n = index + 1;
        let Ok(line) = line else {
            problems.push(Problem {
                line: n,
                message: "not text".into(),
            });
            continue;
        };
        count += 1;
        let record: AuditRecord = match serde_json::from_str(&line) {
            Ok(r) => r,
            Err(e) => {
                problems.push(Problem {
                    line: n,
                    message: format!("not a record ({e}): edited"),
                });
                previous = Some((line.clone(), previous.map_or(0, |p| p.1 + 1)));
                continue;
            }
        };
        let (expected_prev, expected_seq) = match &previous {
            Some((prev_line, prev_seq)) => (sha(prev_line), prev_seq + 1),
            None => (GENESIS.to_string(), 1),
        };
        if record.seq != expected_seq {
            let message = if record.seq > expected_seq && present.contains(&expected_seq) {
                format!(
                    "record {} comes before record {expected_seq}: records were reordered",
                    record.seq
                )
            } else if record.seq > expected_seq {
                format!(
                    "record {} follows record {}: {} record(s) deleted before it",
                    record.seq,
                    expected_seq - 1,
                    record.seq - expected_seq
                )
            } else if record.seq == expected_seq - 1 {
                format!("record {} appears twice: a record was inserted", record.seq)
            } else {
                format!(
                    "record {} comes after record {}: records were reordered or inserted",
                    record.seq,
                    expected_seq - 1
                )
            };
            problems.push(Problem { line: n, message });
        } else if record.prev != expected_prev {
            problems.push(Problem { line: n, message: format!("record {} does not match the record before it: that record (line {}) was edited", record.seq, n - 1) });
        }
        previous = Some((line.clone(), record.seq));
    }
    // Records cut off the end leave a valid chain; the head file remembers the last one.
    if let Ok(head) = std::fs::read_to_string(head_path(path)) {
        let mut parts = head.split_whitespace();
        let (seq, hash) = (
            parts.next().and_then(|s| s.parse::<u64>().ok()),
            parts.next(),
        );
        match (&previous, seq, hash) {
            (Some((line, last)), Some(seq), Some(hash)) if *last != seq || sha(line) != hash => {
                let message = if *last < seq {
                    format!("the log ends at record {last} but record {seq} was written: records were deleted from the end")
                } else {
                    format!("the last record ({last}) is not the one written last ({seq}): edited or appended by hand")
                };
                problems.push(Problem {
                    line: count,
                    message,
                });
            }
            (None, Some(seq), _) if seq > 0 => problems.push(Problem {
                line: 0,
                message: format!("the log is empty but {seq} records were written"),
            }),
            _ => {}
        }
    }
    if problems.is_empty() {
        Ok(count)
    } else {
        Err(problems)
    }
}

/// Every record of the log, for `audit show`.
pub fn read(path: &Path) -> std::io::Result<Vec<AuditRecord>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect())
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;
