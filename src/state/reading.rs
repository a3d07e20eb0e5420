//! The wait while a local model reads the prompt, shown on the status line: how many tokens of
//! how many, how many were kept from an earlier run, and about how long is left. Without it a
//! workstation model's half-minute of reading looks like a hang.

use super::notify::notice;
use super::{NoticeLevel, State};
use chrono::{DateTime, Utc};

/// Reading progress of the running run, as the engine last told it.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptReading {
    pub run_id: u64,
    pub read: u32,
    pub total: u32,
    pub kept: u32,
    /// When reading (of what was not kept) began, and the time of the latest report.
    started: DateTime<Utc>,
    told: DateTime<Utc>,
}

impl PromptReading {
    /// Time left at `now`: the rate so far applied to what is left, counted down between reports.
    /// `None` until there is a rate.
    fn left(&self, now: DateTime<Utc>) -> Option<f64> {
        let read = self.read.saturating_sub(self.kept);
        let took = (self.told - self.started).num_milliseconds() as f64 / 1000.0;
        if read == 0 || took <= 0.0 {
            return None;
        }
        let at_report = f64::from(self.total - self.read) * took / f64::from(read);
        let since = (now - self.told).num_milliseconds() as f64 / 1000.0;
        Some((at_report - since).max(0.0))
    }
}

/// A report from the engine for `run_id`.
pub(super) fn on_reading(
    state: &mut State,
    run_id: u64,
    (read, total, kept): (u32, u32, u32),
    at: DateTime<Utc>,
) {
    let started = match &state.reading {
        Some(r) if r.run_id == run_id => r.started,
        _ => at,
    };
    state.reading = Some(PromptReading {
        run_id,
        read: read.min(total),
        total,
        kept: kept.min(total),
        started,
        told: at,
    });
    reading_notice(state);
}

/// The status line for the prompt being read, when it is.
pub(super) fn reading_notice(state: &mut State) {
    let Some(r) = state.reading.clone() else {
        return;
    };
    if state.running != Some(r.run_id) {
        state.reading = None;
        return;
    }
    let kept = if r.kept > 0 {
        format!(" ({} kept from before)", grouped(r.kept))
    } else {
        String::new()
    };
    let left = match r.left(state.now) {
        Some(secs) if secs < 1.0 => " · under a second left".to_string(),
        Some(secs) => format!(" · about {} s left", secs.round() as u64),
        None => String::new(),
    };
    notice(
        state,
        NoticeLevel::Info,
        format!(
            "Reading the prompt: {} of {} tokens{kept}{left}. Esc cancels.",
            grouped(r.read),
            grouped(r.total)
        ),
    );
}

/// 1752 → "1,752".
fn grouped(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(7), "7");
        assert_eq!(grouped(1752), "1,752");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }
}
