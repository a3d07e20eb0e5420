//! `archbench bench --measure FILE -- COMMAND…`: runs a command as it is (its standard streams
//! are the terminal's) and writes the CPU time and peak memory it used to FILE, for measuring
//! another program beside the workbench in the same terminal (scripts/bench-side-by-side.sh).

use std::os::unix::process::ExitStatusExt;
use std::path::Path;

/// What one run of a command used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Used {
    /// User and system CPU, in seconds.
    pub cpu_secs: f64,
    /// Peak resident memory in KiB (`ru_maxrss`: at least this process's own small peak, which
    /// the child inherits until it execs).
    pub peak_kb: u64,
}

/// Runs `command`, writes `cpu_secs peak_kb` to `out`, and returns the command's exit code.
pub fn measure(out: &Path, command: &[String]) -> Result<i32, String> {
    let (program, args) = command
        .split_first()
        .ok_or("--measure needs a command after `--`")?;
    let child = std::process::Command::new(program)
        .args(args)
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for the child spawned above, which nothing else waits for (`child` is only
    // dropped, which neither waits nor kills).
    if unsafe { libc::wait4(pid, &mut status, 0, &mut usage) } != pid {
        return Err(format!(
            "cannot wait for {program}: {}",
            std::io::Error::last_os_error()
        ));
    }
    drop(child);
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let used = Used {
        cpu_secs: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        peak_kb: usage.ru_maxrss as u64,
    };
    std::fs::write(out, format!("{:.3} {}\n", used.cpu_secs, used.peak_kb))
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    let status = std::process::ExitStatus::from_raw(status);
    Ok(status.code().unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_run_and_what_it_used_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("used");
        // Some CPU and some memory: sha256 of 64 MiB read from /dev/zero.
        let code = measure(
            &out,
            &[
                "sh".into(),
                "-c".into(),
                "head -c 67108864 /dev/zero | sha256sum >/dev/null; exit 3".into(),
            ],
        )
        .unwrap();
        assert_eq!(code, 3, "the command's own exit code");
        let text = std::fs::read_to_string(&out).unwrap();
        let mut fields = text.split_whitespace();
        let cpu: f64 = fields.next().unwrap().parse().unwrap();
        let peak: u64 = fields.next().unwrap().parse().unwrap();
        assert!(cpu > 0.0, "{text}");
        assert!(peak > 0, "{text}");
    }

    #[test]
    fn no_command_is_an_error_that_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let said = measure(&dir.path().join("used"), &[]).unwrap_err();
        assert!(said.contains("needs a command"), "{said}");
    }
}
