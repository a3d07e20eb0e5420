//! The command sink: run a program with the envelope on standard input. The command's words come
//! from the configuration only; no envelope field is ever put into them, and no shell runs, so
//! nothing the model wrote can become a command. Its exit status decides success.

use super::DeliveryOptions;
use crate::routing::Envelope;
use crate::sanitize::sanitize_line;
use std::path::Path;
use std::process::Stdio;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub async fn run(
    argv: &[String],
    envelope: &Envelope,
    path: &Path,
    json: &[u8],
    options: &DeliveryOptions,
) -> Result<String, String> {
    let Some((program, args)) = argv.split_first() else {
        return Err("the command is empty".into());
    };
    let mut child = tokio::process::Command::new(program)
        .args(args)
        // Facts archbench made itself, not text from the model.
        .env("ARCHBENCH_ENVELOPE_ID", &envelope.id)
        .env("ARCHBENCH_ENVELOPE_FILE", path)
        .stdin(Stdio::piped())
        // The command must not write over the workbench's screen.
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start `{program}`: {e}"))?;
    let mut stdin = child.stdin.take();
    let mut stderr = child.stderr.take();
    let work = async {
        if let Some(mut input) = stdin.take() {
            // A command that exits without reading is judged by its status, not by the pipe.
            let _ = input.write_all(json).await;
            drop(input);
        }
        let mut errors = Vec::new();
        if let Some(err) = stderr.as_mut() {
            let _ = err.read_to_end(&mut errors).await;
        }
        (child.wait().await, errors)
    };
    let (status, errors) = tokio::time::timeout(options.exec_timeout, work)
        .await
        .map_err(|_| {
            format!(
                "`{program}` did not finish within {} s and was stopped",
                options.exec_timeout.as_secs()
            )
        })?;
    let status = status.map_err(|e| format!("`{program}`: {e}"))?;
    if status.success() {
        return Ok(format!("`{program}` exited 0"));
    }
    let text = String::from_utf8_lossy(&errors);
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let detail: String = sanitize_line(last).chars().take(200).collect();
    Err(format!(
        "`{program}` failed ({status}){}",
        if detail.is_empty() {
            String::new()
        } else {
            format!(": {detail}")
        }
    ))
}
