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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// A record as appended, with the sha256 of the line written for it (the next record's `prev`,
/// what the head file, the session store and envelopes name it by).
#[derive(Debug, Clone, PartialEq)]
pub struct Appended {
    pub record: AuditRecord,
    pub sha256: String,
}

/// The audit log with the session store that keeps its head: every append goes through here,
/// so a log deleted or cut together with its head file is still found out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLog {
    pub path: PathBuf,
    /// The session store (none in some tests).
    pub store: Option<PathBuf>,
    /// The team store's queue on this machine, when there is a team store: each record goes
    /// into the team's chain through it too.
    pub team: Option<super::inbox::queue::Queue>,
}

impl AuditLog {
    pub fn new(path: PathBuf, store: Option<PathBuf>) -> Self {
        Self {
            path,
            store,
            team: None,
        }
    }

    /// Sends each record to the team's chain too, through this machine's queue for it.
    pub fn with_team(mut self, team: Option<super::inbox::queue::Queue>) -> Self {
        self.team = team;
        self
    }

    /// Appends `entry`, then notes the new head in the store (a store that cannot be written is
    /// logged: the record itself is in the log).
    pub fn append(&self, entry: &AuditEntry) -> std::io::Result<Appended> {
        let appended = append(&self.path, entry)?;
        if let Some(store) = &self.store {
            let noted = super::sessions::Store::open(store).and_then(|mut s| {
                s.note_audit_head(&log_key(&self.path), appended.record.seq, &appended.sha256)
            });
            if let Err(e) = noted {
                tracing::warn!(
                    "the audit head could not be kept in {}: {e}",
                    store.display()
                );
            }
        }
        if let Some(team) = &self.team {
            // Kept on this machine first, sent in order by whoever replays the queue: the
            // record is in this log whatever the team store's state.
            let act = super::inbox::Act::record(entry, &appended, log_id(&self.path));
            if let Err(e) = team.push(&super::inbox::queue::Owed::Act { act }) {
                tracing::warn!("an audit record could not be kept for the team store: {e}");
            }
        }
        Ok(appended)
    }
}

/// A log's identity: the sha256 of its first line, which every later record depends on.
pub fn log_id(path: &Path) -> Option<String> {
    let mut first = Vec::new();
    BufReader::new(File::open(path).ok()?)
        .read_until(b'\n', &mut first)
        .ok()?;
    let line = first.strip_suffix(b"\n").unwrap_or(&first);
    (!line.is_empty()).then(|| sha_bytes(line))
}

/// How the store names a log: its absolute path (found through its folder, so that a log that
/// was deleted is named as it was).
pub fn log_key(path: &Path) -> String {
    let absolute = match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            std::fs::canonicalize(dir).map(|d| d.join(name)).ok()
        }
        _ => None,
    };
    absolute
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

fn sha_bytes(line: &[u8]) -> String {
    hex::encode(Sha256::digest(line))
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

/// How the log ends, read from its end as bytes (a read may start inside a multi-byte
/// character, and a crash may leave anything): the last complete line, and what follows it
/// without a newline (a record torn by a crash or a full disk).
struct Tail {
    last: Option<Vec<u8>>,
    torn: Vec<u8>,
}

fn tail(file: &mut File) -> std::io::Result<Tail> {
    let len = file.seek(SeekFrom::End(0))?;
    let mut window = 4096u64;
    loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start))?;
        let mut buf = Vec::new();
        file.read_to_end(&mut buf)?;
        let at_start = start == 0;
        let Some(end) = buf.iter().rposition(|&b| b == b'\n') else {
            if at_start {
                return Ok(Tail {
                    last: None,
                    torn: buf,
                });
            }
            window = window.saturating_mul(4);
            continue;
        };
        let torn = buf[end + 1..].to_vec();
        let body = &buf[..end];
        match body.iter().rposition(|&b| b == b'\n') {
            Some(begin) => {
                return Ok(Tail {
                    last: Some(body[begin + 1..].to_vec()),
                    torn,
                })
            }
            None if at_start => {
                return Ok(Tail {
                    last: Some(body.to_vec()),
                    torn,
                })
            }
            None => window = window.saturating_mul(4),
        }
    }
}

/// The head file: the number and hash of the record written last.
fn read_head(log: &Path) -> Option<(u64, String)> {
    let head = std::fs::read_to_string(head_path(log)).ok()?;
    let mut parts = head.split_whitespace();
    Some((parts.next()?.parse().ok()?, parts.next()?.to_string()))
}

fn record_of(line: &[u8]) -> Option<AuditRecord> {
    serde_json::from_slice(line).ok()
}

/// Why bytes after the last newline cannot be a record torn by a crash, if they cannot: a record
/// and its newline go out in one write, so a crash leaves a prefix of that line, never a whole
/// record followed by other bytes.
fn torn_tail_suspect(torn: &[u8]) -> Option<String> {
    let mut values = serde_json::Deserializer::from_slice(torn).into_iter::<serde_json::Value>();
    let Some(Ok(_)) = values.next() else {
        return None;
    };
    let stray = torn.len() - values.byte_offset();
    (stray > 0).then(|| {
        format!("the last line is a record followed by {stray} stray byte(s), which no crash writes: edited")
    })
}

/// Appends one record to the log at `path`. A log whose end was torn by a crash, or that ends
/// before the record the head file names, is first given a `log_recovered` record saying what
/// was found, so the chain goes on and `verify` can tell a crash from an edit.
pub fn append(path: &Path, entry: &AuditEntry) -> std::io::Result<Appended> {
    let Locked(mut file) = Locked::open(path)?;
    let mut end = tail(&mut file)?;
    let suspect = (!end.torn.is_empty())
        .then(|| torn_tail_suspect(&end.torn))
        .flatten();
    if !end.torn.is_empty() && suspect.is_none() && record_of(&end.torn).is_some() {
        // Only the newline was lost: the record is whole and the chain goes on from it.
        file.write_all(b"\n")?;
        end.last = Some(std::mem::take(&mut end.torn));
    }
    let last = end.last.as_deref().filter(|l| !l.is_empty());
    let head = read_head(path);
    // The number of the last record: its own, else (an unreadable line) the head's.
    let mut seq = match last.map(record_of) {
        Some(Some(record)) => record.seq,
        Some(None) => head.as_ref().map_or(0, |h| h.0),
        None => 0,
    };
    let mut prev = last.map_or_else(|| GENESIS.to_string(), sha_bytes);
    let behind = head.as_ref().filter(|h| h.0 > seq).map(|h| h.0);
    if !end.torn.is_empty() || behind.is_some() {
        if !end.torn.is_empty() {
            // The torn bytes become a line of their own, which no record's hash includes.
            file.write_all(b"\n")?;
        }
        let recovered = AuditEntry {
            kind: RECOVERED.into(),
            chain_id: String::new(),
            role: String::new(),
            attempt: 0,
            at: entry.at,
            data: serde_json::json!({
                "torn_bytes": end.torn.len(),
                "torn_sha256": (!end.torn.is_empty()).then(|| sha_bytes(&end.torn)),
                "log_ended_at": seq,
                "head_said": behind,
                "suspect": suspect,
            }),
        };
        prev = write_record(&mut file, &recovered, seq + 1, &prev)?.sha256;
        seq += 1;
    }
    let appended = write_record(&mut file, entry, seq + 1, &prev)?;
    file.sync_data()?;
    let head = format!("{} {}\n", appended.record.seq, appended.sha256);
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = head_path(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    super::outbox::write_atomic(dir, &name, head.as_bytes())?;
    Ok(appended)
}

/// The kind of the record that marks where a crash was recovered.
pub const RECOVERED: &str = "log_recovered";

fn write_record(
    file: &mut File,
    entry: &AuditEntry,
    seq: u64,
    prev: &str,
) -> std::io::Result<Appended> {
    let (line, appended) = line_of(entry, seq, prev)?;
    file.write_all(format!("{line}\n").as_bytes())?;
    Ok(appended)
}

/// Record `seq` of a chain for `entry`, following the record whose hash is `prev`: the line as
/// a log holds it (without its newline) and the record with that line's hash. The team store's
/// chain keeps the same lines, so one verifier reads both.
pub fn line_of(entry: &AuditEntry, seq: u64, prev: &str) -> std::io::Result<(String, Appended)> {
    let record = AuditRecord {
        seq,
        at: entry.at,
        kind: entry.kind.clone(),
        chain_id: entry.chain_id.clone(),
        role: entry.role.clone(),
        attempt: entry.attempt,
        data: entry.data.clone(),
        prev: prev.to_string(),
    };
    let line = serde_json::to_string(&record).map_err(std::io::Error::other)?;
    let sha256 = sha_bytes(line.as_bytes());
    Ok((line, Appended { record, sha256 }))
}

/// A break in the chain, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line of the log.
    pub line: usize,
    pub message: String,
}

/// What `verify` found in a log whose chain holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verified {
    pub records: usize,
    /// Crashes the log recovered from (a torn record, records lost at the end): not tampering.
    pub crashes: Vec<Problem>,
}

/// Checks the whole log; returns the number of records, or every problem found.
pub fn verify(path: &Path) -> Result<usize, Vec<Problem>> {
    verify_report(path).map(|v| v.records)
}

/// Checks every line of the log to its end, as bytes: each must be a record chained to the one
/// before it; the last must be the one the head file names. A line that is not a record is
/// tampering, unless it is a torn record that a `log_recovered` record right after it names.
pub fn verify_report(path: &Path) -> Result<Verified, Vec<Problem>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            return Err(vec![Problem {
                line: 0,
                message: format!("cannot read {}: {e}", path.display()),
            }])
        }
    };
    verify_bytes(&bytes, read_head(path))
}

/// [`verify_report`] on a log's bytes and its head file's (number, hash), if there is one.
pub fn verify_bytes(bytes: &[u8], head: Option<(u64, String)>) -> Result<Verified, Vec<Problem>> {
    let mut all: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    // The piece after the last newline: empty when the log ends cleanly.
    let unterminated = all.pop().filter(|rest| !rest.is_empty());
    let records: Vec<Option<AuditRecord>> = all.iter().map(|l| record_of(l)).collect();
    // Which record numbers exist anywhere: a gap filled further down is a reordering, not a deletion.
    let present: std::collections::HashSet<u64> = records.iter().flatten().map(|r| r.seq).collect();
    let mut problems = Vec::new();
    let mut report = Verified::default();
    // The last line the chain goes on from: its bytes and number.
    let mut previous: Option<(&[u8], u64)> = None;
    for (index, (line, record)) in all.iter().zip(&records).enumerate() {
        let n = index + 1;
        let Some(record) = record else {
            let healed = records
                .get(index + 1)
                .and_then(Option::as_ref)
                .is_some_and(|next| {
                    next.kind == RECOVERED
                        && next.data.get("torn_sha256").and_then(|h| h.as_str())
                            == Some(sha_bytes(line).as_str())
                });
            if healed {
                report.crashes.push(Problem {
                    line: n,
                    message: format!(
                        "a record was cut short here ({} bytes) by a crash or a full disk; the log was recovered on the next line",
                        line.len()
                    ),
                });
                continue;
            }
            let what = match std::str::from_utf8(line) {
                Ok(_) => "not a record: edited",
                Err(_) => "not text: edited",
            };
            problems.push(Problem {
                line: n,
                message: format!("line {n} is {what}"),
            });
            previous = Some((line, previous.map_or(0, |p| p.1 + 1)));
            continue;
        };
        report.records += 1;
        let (expected_prev, expected_seq) = match previous {
            Some((prev_line, prev_seq)) => (sha_bytes(prev_line), prev_seq + 1),
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
            } else if record.seq + 1 == expected_seq {
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
            problems.push(Problem {
                line: n,
                message: format!(
                    "record {} does not match the record before it: that record (line {}) was edited",
                    record.seq,
                    n - 1
                ),
            });
        }
        if record.kind == RECOVERED {
            if let Some(why) = record.data.get("suspect").and_then(|v| v.as_str()) {
                problems.push(Problem {
                    line: n,
                    message: format!(
                        "the log was recovered here from an end no crash leaves: {why}"
                    ),
                });
            }
            if let Some(said) = record.data.get("head_said").and_then(|v| v.as_u64()) {
                report.crashes.push(Problem {
                    line: n,
                    message: format!(
                        "records {} to {said} were lost from the end (a crash, or the log was cut); the log was recovered here",
                        record.seq
                    ),
                });
            }
        }
        previous = Some((line, record.seq));
    }
    if let Some(why) = unterminated.and_then(torn_tail_suspect) {
        problems.push(Problem {
            line: all.len() + 1,
            message: why,
        });
    } else if let Some(rest) = unterminated {
        report.crashes.push(Problem {
            line: all.len() + 1,
            message: format!(
                "the last record is cut short ({} bytes) by a crash or a full disk; the next append recovers it",
                rest.len()
            ),
        });
    }
    // Records cut off the end leave a valid chain; the head file remembers the last one.
    if let (Some((seq, hash)), false) = (head, unterminated.is_some()) {
        match previous {
            Some((line, last)) if last != seq || sha_bytes(line) != hash => {
                let message = if last < seq {
                    format!("the log ends at record {last} but record {seq} was written: records were deleted from the end")
                } else {
                    format!("the last record ({last}) is not the one written last ({seq}): edited or appended by hand")
                };
                problems.push(Problem {
                    line: all.len(),
                    message,
                });
            }
            None if seq > 0 => problems.push(Problem {
                line: 0,
                message: format!("the log is empty but {seq} records were written"),
            }),
            _ => {}
        }
    }
    if problems.is_empty() {
        Ok(report)
    } else {
        Err(problems)
    }
}

/// The sha256 of each record's line, by record number, as the log holds them now: what a
/// record named elsewhere (the session store's head, an envelope) is checked against.
pub fn line_hashes(path: &Path) -> std::io::Result<std::collections::HashMap<u64, String>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    Ok(bytes
        .split(|&b| b == b'\n')
        .filter_map(|line| record_of(line).map(|r| (r.seq, sha_bytes(line))))
        .collect())
}

/// Every record of the log, for `audit show`.
pub fn read(path: &Path) -> std::io::Result<Vec<AuditRecord>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(records(&bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// The records in a log's bytes (a file's, or the team chain's lines). Line by line, as bytes:
/// a line that is not text, or not a record, hides none after it.
pub fn records(bytes: &[u8]) -> Vec<AuditRecord> {
    bytes.split(|&b| b == b'\n').filter_map(record_of).collect()
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;
