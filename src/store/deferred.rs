//! Deferred reviews: a review saved as it stands (brief, every attempt, the decision, the route
//! chosen so far, an edited brief for the next role) so `archbench resume` can finish it later,
//! perhaps by another reviewer. One JSON file per review, written atomically, owner-only.

use crate::provider::{FinishReason, Params, ProviderInfo, Usage};
use crate::reviewer::Reviewer;
use crate::routing::envelope::ReaskRecord;
use crate::routing::Decision;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const FORMAT: &str = "archbench.deferred/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeferredReview {
    pub format: String,
    pub id: String,
    pub saved_at: DateTime<Utc>,
    /// Who deferred it.
    pub reviewer: Reviewer,
    pub chain_id: String,
    pub parent_id: Option<String>,
    pub breadcrumb: Vec<String>,
    pub role_id: String,
    pub role_prompt_sha256: String,
    pub provider: ProviderInfo,
    pub parameters: Params,
    pub brief: String,
    pub attempts: Vec<SavedAttempt>,
    /// The option chosen when the review was deferred.
    pub selected_option: Option<String>,
    /// The next role's brief, if the reviewer had edited it.
    pub payload_brief: Option<String>,
}

/// How an attempt ended, as saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SavedPhase {
    Complete(FinishReason),
    Cancelled,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedAttempt {
    pub number: u32,
    pub feedback: Option<String>,
    pub text: String,
    pub phase: SavedPhase,
    pub model: Option<String>,
    pub usage: Option<Usage>,
    pub decision: Option<Decision>,
    pub reviewed_sha256: Option<String>,
    pub started_at: DateTime<Utc>,
    pub first_token_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub reask: Option<ReaskRecord>,
    /// The comments standing on the answer, the reviewer's and their watchers': whoever takes
    /// the review up next reads them (absent from reviews saved before they travelled).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<crate::review::comments::Comment>,
}

/// Saves the review into `dir`; returns its path.
pub fn save(dir: &Path, review: &DeferredReview) -> Result<PathBuf, String> {
    let json =
        serde_json::to_vec_pretty(review).map_err(|e| format!("cannot encode the review: {e}"))?;
    crate::store::outbox::write_atomic(dir, &format!("{}.json", review.id), &json)
        .map_err(|e| format!("cannot save the review into {}: {e}", dir.display()))
}

/// Every deferred review in `dir`, oldest first. A file that is not one is reported by name.
pub fn list(dir: &Path) -> Result<Vec<(PathBuf, DeferredReview)>, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        out.push((path.clone(), read(&path)?));
    }
    out.sort_by_key(|a| a.1.saved_at);
    Ok(out)
}

pub fn read(path: &Path) -> Result<DeferredReview, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let review: DeferredReview = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a deferred review: {e}", path.display()))?;
    if review.format != FORMAT {
        return Err(format!(
            "{} is a `{}` file; this archbench reads `{FORMAT}`",
            path.display(),
            review.format
        ));
    }
    Ok(review)
}

/// The deferred review whose id starts with `prefix`: exactly one must match.
pub fn find(dir: &Path, prefix: &str) -> Result<(PathBuf, DeferredReview), String> {
    let mut matches: Vec<_> = list(dir)?
        .into_iter()
        .filter(|(_, r)| r.id.starts_with(prefix))
        .collect();
    match matches.len() {
        1 => Ok(matches.remove(0)),
        0 => Err(format!(
            "no deferred review starts with `{prefix}`: `archbench resume` lists them"
        )),
        n => Err(format!(
            "{n} deferred reviews start with `{prefix}`: give more of the id"
        )),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn review(id: &str, at: i64) -> DeferredReview {
        use chrono::TimeZone;
        DeferredReview {
            format: FORMAT.into(),
            id: id.into(),
            saved_at: Utc.timestamp_opt(at, 0).unwrap(),
            reviewer: Reviewer {
                name: "r".into(),
                email: None,
                source: "os".into(),
            },
            chain_id: "c".into(),
            parent_id: None,
            breadcrumb: vec!["database_architect".into()],
            role_id: "database_architect".into(),
            role_prompt_sha256: "0".repeat(64),
            provider: ProviderInfo {
                kind: "openai".into(),
                model: "m".into(),
                endpoint: "e".into(),
            },
            parameters: Params::default(),
            brief: "b".into(),
            attempts: Vec::new(),
            selected_option: None,
            payload_brief: None,
        }
    }

    #[test]
    fn saved_reviews_are_listed_oldest_first_and_found_by_prefix() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), &review("bbb-2", 20)).unwrap();
        save(dir.path(), &review("aaa-1", 10)).unwrap();
        let ids: Vec<String> = list(dir.path())
            .unwrap()
            .into_iter()
            .map(|(_, r)| r.id)
            .collect();
        assert_eq!(ids, ["aaa-1", "bbb-2"]);
        assert_eq!(find(dir.path(), "bb").unwrap().1.id, "bbb-2");
        assert!(find(dir.path(), "zz")
            .unwrap_err()
            .contains("archbench resume"));
        save(dir.path(), &review("bbb-3", 30)).unwrap();
        assert!(find(dir.path(), "bbb")
            .unwrap_err()
            .contains("more of the id"));
    }

    #[test]
    fn a_file_of_another_format_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut other = review("x", 1);
        other.format = "archbench.deferred/9".into();
        let path = save(dir.path(), &other).unwrap();
        let err = read(&path).unwrap_err();
        assert!(err.contains("archbench.deferred/9"), "{err}");
    }
}
