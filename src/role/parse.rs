//! Parsing one role file: front matter, prompt body, routing block, with errors that name the
//! file and the line.

use super::routes::{is_role_id, parse_routes};
use super::Role;

/// A role file that cannot be used, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct RoleError {
    /// The file (or `builtin:<name>`).
    pub file: String,
    /// 1-based line; 0 when the problem is the file as a whole.
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: Option<String>,
    title: Option<String>,
    description: Option<String>,
    #[serde(default)]
    sections: Vec<String>,
    /// Sampling defaults for this role (the configuration and flags override them).
    temperature: Option<f32>,
    max_tokens: Option<u32>,
    seed: Option<u32>,
    #[serde(default)]
    stop: Vec<String>,
}

const FENCE: &str = "+++";

/// Parses a role from its text. `file_name` gives the id when the front matter has none.
pub fn parse_role(source: &str, file_name: &str, text: &str) -> Result<Role, RoleError> {
    let error = |line: usize, message: String| RoleError {
        file: source.to_string(),
        line,
        message,
    };
    let (front, body, body_first_line) = split_front_matter(text).map_err(|m| error(1, m))?;
    let front: FrontMatter = match front {
        Some(toml_text) => toml::from_str(toml_text).map_err(|e| {
            // The front matter starts on line 2, after the opening fence.
            let line = e
                .span()
                .map(|s| toml_text[..s.start].matches('\n').count() + 2)
                .unwrap_or(1);
            error(line, format!("front matter: {}", e.message()))
        })?,
        None => FrontMatter {
            id: None,
            title: None,
            description: None,
            sections: Vec::new(),
            temperature: None,
            max_tokens: None,
            seed: None,
            stop: Vec::new(),
        },
    };
    let stem = file_name.strip_suffix(".md").unwrap_or(file_name);
    let id = front.id.unwrap_or_else(|| stem.to_string());
    if !is_role_id(&id) {
        return Err(error(
            1,
            format!("the role id `{id}` may hold only letters, digits, `_` and `-`"),
        ));
    }
    if body.trim().is_empty() {
        return Err(error(
            body_first_line,
            "the role has no prompt after its front matter".to_string(),
        ));
    }
    let routes = parse_routes(body).map_err(|e| error(e.line + body_first_line - 1, e.message))?;
    let description = front.description.unwrap_or_else(|| {
        body.lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .chars()
            .take(100)
            .collect()
    });
    Ok(Role {
        title: front.title.unwrap_or_else(|| title_from_id(&id)),
        id,
        description,
        sections: front.sections,
        params: crate::provider::Params {
            temperature: front.temperature,
            max_tokens: front.max_tokens,
            seed: front.seed,
            stop: front.stop,
        },
        prompt: body.to_string(),
        routes,
        source: source.to_string(),
    })
}

/// Splits `+++` front matter from the body. Returns (front matter, body, line where body starts).
fn split_front_matter(text: &str) -> Result<(Option<&str>, &str, usize), String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(after_open) = text
        .strip_prefix(FENCE)
        .and_then(|r| r.strip_prefix('\n').or_else(|| r.strip_prefix("\r\n")))
    else {
        return Ok((None, text, 1));
    };
    let mut offset = 0;
    for line in after_open.split_inclusive('\n') {
        if line.trim_end() == FENCE {
            let front = &after_open[..offset];
            let body = &after_open[offset + line.len()..];
            let body_line = 2 + front.matches('\n').count() + 1;
            return Ok((Some(front), body, body_line));
        }
        offset += line.len();
    }
    Err(
        "the front matter opened with `+++` on line 1 is never closed; end it with a `+++` line"
            .to_string(),
    )
}

/// `database_architect` becomes `Database architect`.
fn title_from_id(id: &str) -> String {
    let spaced = id.replace(['_', '-'], " ");
    let mut chars = spaced.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}
