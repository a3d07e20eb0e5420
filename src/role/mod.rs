//! Role files: an optional TOML front matter between `+++` lines, then the system prompt, which
//! ends with the routing block of `HANDOFF.md`. Roles ship inside the binary (`roles/`) and more
//! load from a user folder, where a file with the same id replaces the shipped one.

mod parse;
mod routes;

pub use parse::{parse_role, RoleError};
pub use routes::{is_role_id, parse_routes, RouteOption};

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A role the workbench can run.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub id: String,
    pub title: String,
    pub description: String,
    /// Sections the answer is expected to cover, in order (front matter `sections`).
    pub sections: Vec<String>,
    /// Sampling defaults from the front matter (`temperature`, `max_tokens`, `seed`, `stop`).
    pub params: crate::provider::Params,
    /// The system prompt, exactly as written in the file after the front matter.
    pub prompt: String,
    pub routes: Vec<RouteOption>,
    /// Where the role came from: a file path, or `builtin:<name>` for a shipped role.
    pub source: String,
}

impl Role {
    /// sha256 of the prompt, hex: recorded in every envelope so a handoff names the exact prompt.
    pub fn prompt_sha256(&self) -> String {
        hex::encode(Sha256::digest(self.prompt.as_bytes()))
    }

    /// Warnings a person writing the role should see: options that share a label make a decision
    /// that names only the label ambiguous (the shipped database architect does this on purpose).
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for option in &self.routes {
            if seen.contains(&option.label.as_str()) {
                continue;
            }
            seen.push(&option.label);
            let sharing: Vec<String> = self
                .routes
                .iter()
                .enumerate()
                .filter(|(_, o)| o.label == option.label)
                .map(|(i, _)| (i + 1).to_string())
                .collect();
            if sharing.len() > 1 {
                warnings.push(format!(
                    "options {} share the label `{}`: a decision naming only that label is ambiguous and needs a person",
                    sharing.join(", "),
                    option.label
                ));
            }
        }
        if self.routes.is_empty() {
            warnings.push("no routing block: every answer of this role ends the chain".to_string());
        }
        warnings
    }
}

/// The roles shipped in `roles/`, compiled in so the binary works from any folder.
const BUILTIN: &[(&str, &str)] = &[
    (
        "database_architect.md",
        include_str!("../../roles/database_architect.md"),
    ),
    (
        "fullstack_developer.md",
        include_str!("../../roles/fullstack_developer.md"),
    ),
    (
        "product_catalog_manager.md",
        include_str!("../../roles/product_catalog_manager.md"),
    ),
    (
        "backup_disaster_specialist.md",
        include_str!("../../roles/backup_disaster_specialist.md"),
    ),
];

/// All roles known to this run: the shipped ones, then every `*.md` of `user_dir`, which replace
/// shipped roles of the same id. Any broken file is an error naming the file and line.
#[derive(Debug, Clone)]
pub struct RoleBook {
    roles: Vec<Role>,
}

impl RoleBook {
    pub fn load(user_dir: Option<&Path>) -> Result<Self, RoleError> {
        let mut roles = Vec::new();
        for (name, text) in BUILTIN {
            roles.push(parse_role(&format!("builtin:{name}"), name, text)?);
        }
        if let Some(dir) = user_dir {
            for path in role_files(dir)? {
                let role = load_role_file(&path)?;
                roles.retain(|r: &Role| r.id != role.id);
                roles.push(role);
            }
        }
        Ok(Self { roles })
    }

    pub fn get(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.id == id)
    }

    pub fn all(&self) -> &[Role] {
        &self.roles
    }

    pub fn ids(&self) -> Vec<&str> {
        self.roles.iter().map(|r| r.id.as_str()).collect()
    }
}

/// Reads and parses one role file.
pub fn load_role_file(path: &Path) -> Result<Role, RoleError> {
    let bytes = std::fs::read(path).map_err(|e| RoleError {
        file: path.display().to_string(),
        line: 0,
        message: format!("cannot read the file: {e}"),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        RoleError {
            file: path.display().to_string(),
            line: good.iter().filter(|b| **b == b'\n').count() + 1,
            message: "the file is not valid UTF-8; save it as UTF-8".to_string(),
        }
    })?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    parse_role(&path.display().to_string(), &file_name, &text)
}

fn role_files(dir: &Path) -> Result<Vec<PathBuf>, RoleError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        // A user roles folder that does not exist yet simply holds no roles.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(RoleError {
                file: dir.display().to_string(),
                line: 0,
                message: format!("cannot read the roles folder: {e}"),
            })
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests;
