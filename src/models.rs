//! Local models: the GGUF files in the model folder, and downloading one into it — with its
//! progress shown, resuming a partial file where it stopped, refusing a file whose sha256 is not the
//! one given, and never leaving a half-written model where archbench would load it.

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A model file in the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalModel {
    pub name: String,
    pub path: PathBuf,
    pub bytes: u64,
}

/// The GGUF files in `dir`, by name.
pub fn list_local(dir: &Path) -> Vec<LocalModel> {
    let mut models: Vec<LocalModel> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("gguf"))
        })
        .filter_map(|path| {
            let bytes = std::fs::metadata(&path).ok()?.len();
            let name = path.file_name()?.to_string_lossy().into_owned();
            Some(LocalModel { name, path, bytes })
        })
        .collect();
    models.sort_by(|a, b| a.name.cmp(&b.name));
    models
}

/// What a download needs.
#[derive(Debug, Clone)]
pub struct Pull {
    pub url: String,
    /// The folder the model goes into.
    pub dir: PathBuf,
    /// The file name (default: the URL's last segment).
    pub name: Option<String>,
    /// The expected sha256, hex.
    pub sha256: Option<String>,
    /// Replace a model of the same name.
    pub force: bool,
    /// Between two pieces of the download.
    pub idle: Duration,
}

/// How far a download is, for the progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    /// `None` when the server does not say.
    pub total: Option<u64>,
    /// Bytes already on disk from an earlier try.
    pub resumed_from: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("{0}")]
    Refused(String),
    #[error("the download stopped at {done} of {total} bytes ({why}); run the same command again to resume it")]
    Cut {
        done: u64,
        total: String,
        why: String,
    },
    #[error("the checksum does not match: expected {expected}, the file has {actual}; it was removed, nothing was installed")]
    Checksum { expected: String, actual: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> PullError + '_ {
    move |source| PullError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The file name a URL gives, if it names a GGUF file.
pub fn name_from_url(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let last = path.rsplit('/').next()?;
    let decoded = last.replace("%20", " ");
    (decoded.to_ascii_lowercase().ends_with(".gguf") && !decoded.contains(['/', '\\']))
        .then_some(decoded)
}

/// Plain HTTP is refused except on this machine: a model is code-like input to the engine, and a
/// network in the middle could change it.
fn check_url(url: &str) -> Result<(), PullError> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") {
        return Ok(());
    }
    if let Some(rest) = lower.strip_prefix("http://") {
        let host = rest.split(['/', ':']).next().unwrap_or("");
        if host == "localhost" || host == "127.0.0.1" || host == "[::1]" {
            return Ok(());
        }
    }
    Err(PullError::Refused(format!(
        "{url}: models are downloaded over HTTPS (plain HTTP only from this machine)"
    )))
}

/// Downloads the model; `progress` hears about each piece. Returns the installed file.
pub async fn pull(job: &Pull, mut progress: impl FnMut(Progress)) -> Result<PathBuf, PullError> {
    check_url(&job.url)?;
    let name = match &job.name {
        Some(n) => n.clone(),
        None => name_from_url(&job.url).ok_or_else(|| {
            PullError::Refused(format!(
                "{}: the URL does not end in a .gguf file name; give one with --name FILE.gguf",
                job.url
            ))
        })?,
    };
    if name.contains(['/', '\\']) || !name.to_ascii_lowercase().ends_with(".gguf") {
        return Err(PullError::Refused(format!(
            "`{name}`: a model's name is a plain file name ending in .gguf"
        )));
    }
    let expected = match &job.sha256 {
        Some(s) => {
            let s = s.trim().to_ascii_lowercase();
            if s.len() != 64 || !s.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(PullError::Refused(format!(
                    "`{s}` is not a sha256 (64 hexadecimal digits)"
                )));
            }
            Some(s)
        }
        None => None,
    };
    std::fs::create_dir_all(&job.dir).map_err(io(&job.dir))?;
    let target = job.dir.join(&name);
    if target.exists() && !job.force {
        return Err(PullError::Refused(format!(
            "{} is already there; pass --force to download it again",
            target.display()
        )));
    }
    let partial = job.dir.join(format!("{name}.partial"));
    let have = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);

    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| PullError::Refused(e.to_string()))?;
    let mut call = client.get(&job.url);
    if have > 0 {
        call = call.header(reqwest::header::RANGE, format!("bytes={have}-"));
    }
    let response = call.send().await.map_err(|e| PullError::Cut {
        done: have,
        total: "?".into(),
        why: crate::errors::chain(&e),
    })?;
    let status = response.status().as_u16();
    let (start, mut file) = match status {
        206 => (have, open_append(&partial)?),
        200 => (0, create_fresh(&partial)?),
        // The partial file is already whole: check it below.
        416 if have > 0 => (have, open_append(&partial)?),
        _ => return Err(PullError::Refused(format!("{}: HTTP {status}", job.url))),
    };
    let total = if status == 416 {
        Some(have)
    } else {
        response.content_length().map(|n| n + start)
    };
    let mut done = start;
    progress(Progress {
        done,
        total,
        resumed_from: start,
    });
    if status != 416 {
        let mut stream = response.bytes_stream();
        loop {
            let next = tokio::time::timeout(job.idle, stream.next()).await;
            let piece = match next {
                Err(_) => {
                    return Err(cut(
                        done,
                        total,
                        format!("nothing for {} s", job.idle.as_secs()),
                    ))
                }
                Ok(None) => break,
                Ok(Some(Err(e))) => return Err(cut(done, total, crate::errors::chain(&e))),
                Ok(Some(Ok(bytes))) => bytes,
            };
            file.write_all(&piece).map_err(io(&partial))?;
            done += piece.len() as u64;
            progress(Progress {
                done,
                total,
                resumed_from: start,
            });
        }
        file.sync_all().map_err(io(&partial))?;
        if total.is_some_and(|t| done < t) {
            return Err(cut(done, total, "the server closed the connection".into()));
        }
    }
    drop(file);
    let (magic, actual) = inspect(&partial)?;
    if magic != *b"GGUF" {
        let _ = std::fs::remove_file(&partial);
        return Err(PullError::Refused(format!(
            "{} is not a GGUF model (it does not start with `GGUF`); nothing was installed",
            job.url
        )));
    }
    if let Some(expected) = expected {
        if actual != expected {
            let _ = std::fs::remove_file(&partial);
            return Err(PullError::Checksum { expected, actual });
        }
    }
    std::fs::rename(&partial, &target).map_err(io(&target))?;
    Ok(target)
}

fn cut(done: u64, total: Option<u64>, why: String) -> PullError {
    PullError::Cut {
        done,
        total: total.map_or("?".into(), |t| t.to_string()),
        why,
    }
}

/// A new download file (a model is no private text: readable by others like any program file).
fn create_fresh(path: &Path) -> Result<std::fs::File, PullError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o644);
    }
    options.open(path).map_err(io(path))
}

fn open_append(path: &Path) -> Result<std::fs::File, PullError> {
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(io(path))
}

/// The first four bytes and the sha256 of a file.
fn inspect(path: &Path) -> Result<([u8; 4], String), PullError> {
    let mut file = std::fs::File::open(path).map_err(io(path))?;
    let mut hasher = Sha256::new();
    let mut magic = [0u8; 4];
    let mut first = true;
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer).map_err(io(path))?;
        if n == 0 {
            break;
        }
        if first && n >= 4 {
            magic.copy_from_slice(&buffer[..4]);
        }
        first = false;
        hasher.update(&buffer[..n]);
    }
    Ok((magic, hex::encode(hasher.finalize())))
}

/// The download's progress on stderr: on a terminal, indicatif's bar (redrawn at most 20 times a
/// second however fast the pieces come, with the rate and the time left); otherwise a line every
/// tenth, so that a log stays short.
pub enum ProgressDisplay {
    Bar(Option<indicatif::ProgressBar>),
    Lines(ProgressLines),
}

impl ProgressDisplay {
    pub fn new(terminal: bool) -> Self {
        if terminal {
            Self::Bar(None)
        } else {
            Self::Lines(ProgressLines::new())
        }
    }

    pub fn show(&mut self, p: Progress) {
        match self {
            Self::Bar(bar) => bar.get_or_insert_with(|| new_bar(p)).set_position(p.done),
            Self::Lines(lines) => {
                if let Some(line) = lines.line(p) {
                    crate::tell!("pull: {line}");
                }
            }
        }
    }

    /// The bar stays on screen as it ended.
    pub fn finish(&mut self) {
        if let Self::Bar(Some(bar)) = self {
            bar.abandon();
        }
    }
}

fn new_bar(p: Progress) -> indicatif::ProgressBar {
    let resumed = if p.resumed_from > 0 {
        format!(", resumed at {:.1} MB", p.resumed_from as f64 / 1_000_000.0)
    } else {
        String::new()
    };
    let (bar, template) = match p.total {
        Some(total) if total > 0 => (
            indicatif::ProgressBar::new(total),
            "[{bar:30}] {percent:>3}% {decimal_bytes} of {decimal_total_bytes}, \
             {decimal_bytes_per_sec}, {eta} left{msg}",
        ),
        _ => (
            indicatif::ProgressBar::no_length(),
            "{decimal_bytes}, {decimal_bytes_per_sec}{msg}",
        ),
    };
    let style = indicatif::ProgressStyle::with_template(template)
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("#>-");
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar.set_style(style);
    bar.set_message(resumed);
    // The rate counts what this try downloads, not what an earlier one left.
    bar.set_position(p.resumed_from);
    bar.reset_eta();
    bar
}

/// Off a terminal: a line each time the download passes another tenth.
pub struct ProgressLines {
    started: Instant,
    last_tenth: Option<u64>,
}

impl Default for ProgressLines {
    fn default() -> Self {
        Self::new()
    }
}

impl ProgressLines {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            last_tenth: None,
        }
    }

    /// The text for `p`, if something should be shown now.
    pub fn line(&mut self, p: Progress) -> Option<String> {
        let mb = |b: u64| b as f64 / 1_000_000.0;
        let elapsed = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = mb(p.done - p.resumed_from) / elapsed;
        let resumed = if p.resumed_from > 0 {
            format!(", resumed at {:.1} MB", mb(p.resumed_from))
        } else {
            String::new()
        };
        match p.total {
            Some(total) if total > 0 => {
                let fraction = (p.done as f64 / total as f64).min(1.0);
                let tenth = (fraction * 10.0).floor() as u64;
                if self.last_tenth == Some(tenth) {
                    return None;
                }
                self.last_tenth = Some(tenth);
                Some(format!(
                    "{:>3}% {:.1} of {:.1} MB, {:.1} MB/s{resumed}",
                    (fraction * 100.0).floor(),
                    mb(p.done),
                    mb(total),
                    rate
                ))
            }
            _ => {
                let tenth = p.done / 10_000_000;
                if self.last_tenth == Some(tenth) {
                    return None;
                }
                self.last_tenth = Some(tenth);
                Some(format!("{:.1} MB, {:.1} MB/s{resumed}", mb(p.done), rate))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_urls_and_plain_http_is_only_for_this_machine() {
        assert_eq!(
            name_from_url(
                "https://host/org/repo/resolve/main/Qwen2.5-7B-Q4_K_M.gguf?download=true"
            )
            .as_deref(),
            Some("Qwen2.5-7B-Q4_K_M.gguf")
        );
        assert_eq!(name_from_url("https://host/model.bin"), None);
        assert!(check_url("https://x/m.gguf").is_ok());
        assert!(check_url("http://127.0.0.1:8000/m.gguf").is_ok());
        assert!(check_url("http://example.com/m.gguf").is_err());
        assert!(check_url("ftp://x/m.gguf").is_err());
    }

    #[test]
    fn off_a_terminal_a_line_says_how_far_and_how_fast_every_tenth() {
        let mut lines = ProgressLines::new();
        let p = |done| Progress {
            done,
            total: Some(1_000_000),
            resumed_from: 0,
        };
        let first = lines.line(p(0)).unwrap();
        assert!(first.starts_with("  0% 0.0 of 1.0 MB"), "{first}");
        assert!(lines.line(p(50_000)).is_none(), "a line every tenth");
        let half = lines.line(p(500_000)).unwrap();
        assert!(half.contains(" 50% 0.5 of 1.0 MB"), "{half}");
        // A server that does not say the size: a line every 10 MB.
        let unknown = |done| Progress {
            done,
            total: None,
            resumed_from: 2_000_000,
        };
        let mut lines = ProgressLines::new();
        let first = lines.line(unknown(2_000_000)).unwrap();
        assert!(
            first.starts_with("2.0 MB") && first.ends_with(", resumed at 2.0 MB"),
            "{first}"
        );
        assert!(lines.line(unknown(3_000_000)).is_none());
        assert!(lines.line(unknown(12_000_000)).is_some());
    }

    #[test]
    fn local_models_are_the_gguf_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.gguf"), b"GGUFxx").unwrap();
        std::fs::write(dir.path().join("a.GGUF"), b"GGUF").unwrap();
        std::fs::write(dir.path().join("c.gguf.partial"), b"GG").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"x").unwrap();
        let names: Vec<(String, u64)> = list_local(dir.path())
            .into_iter()
            .map(|m| (m.name, m.bytes))
            .collect();
        assert_eq!(names, vec![("a.GGUF".into(), 4), ("b.gguf".into(), 6)]);
        assert!(list_local(&dir.path().join("missing")).is_empty());
    }
}
