//! Taking code out of the terminal: names for code blocks (`schema-design-1.sql`), saving them to
//! a folder, exporting the whole answer as markdown, and the OSC 52 sequence that asks the
//! terminal to put text on the clipboard (which works over ssh, and inside tmux by passthrough).

use super::outline::normalize;
use crate::render::CodeBlock;
use base64::Engine as _;
use std::path::{Path, PathBuf};

/// The file extension for a fence language.
pub fn extension(lang: &str) -> &str {
    match lang.to_ascii_lowercase().as_str() {
        "sql" | "postgresql" | "postgres" | "psql" | "pgsql" | "plpgsql" | "mysql" | "sqlite"
        | "tsql" => "sql",
        "yaml" | "yml" => "yaml",
        "json" | "jsonc" | "json5" => "json",
        "bash" | "sh" | "shell" | "zsh" | "console" => "sh",
        "python" | "py" => "py",
        "typescript" | "ts" => "ts",
        "javascript" | "js" => "js",
        "toml" => "toml",
        "go" => "go",
        "rust" | "rs" => "rs",
        "java" => "java",
        "xml" => "xml",
        "hcl" | "terraform" | "tf" => "tf",
        "dockerfile" => "Dockerfile",
        _ => "txt",
    }
}

/// `Schema design` → `schema-design`; no section → `answer`.
fn slug(section: Option<&str>) -> String {
    let words = section.map(normalize).unwrap_or_default();
    let slug: String = words
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(48)
        .collect();
    if slug.is_empty() {
        "answer".into()
    } else {
        slug
    }
}

/// File names for the blocks, in order: section slug, the block's number within its section, and
/// the language's extension (`schema-design-1.sql`, `schema-design-2.sql`, `backup-strategy-1.yaml`).
pub fn file_names(blocks: &[CodeBlock]) -> Vec<String> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    blocks
        .iter()
        .map(|block| {
            let section = slug(block.section.as_deref());
            let n = match counts.iter_mut().find(|(s, _)| *s == section) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    counts.push((section.clone(), 1));
                    1
                }
            };
            format!("{section}-{n}.{}", extension(&block.lang))
        })
        .collect()
}

/// Writes every block into `dir` (created if needed); a file that exists already is not
/// overwritten: the new one gets a suffix. Returns the paths written.
pub fn save_blocks(
    blocks: &[CodeBlock],
    exports: &[(String, String)],
    dir: &Path,
) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let named = blocks
        .iter()
        .map(|b| b.code.as_str())
        .zip(file_names(blocks))
        .chain(
            exports
                .iter()
                .map(|(name, text)| (text.as_str(), name.clone())),
        );
    for (text, name) in named {
        let name = free_name(dir, &name);
        written.push(crate::store::outbox::write_atomic(
            dir,
            &name,
            text.as_bytes(),
        )?);
    }
    Ok(written)
}

/// `name`, or `stem-2.ext`, `stem-3.ext`… whichever does not exist yet in `dir`.
fn free_name(dir: &Path, name: &str) -> String {
    if !dir.join(name).exists() {
        return name.to_string();
    }
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    (2..)
        .map(|i| format!("{stem}~{i}.{ext}"))
        .find(|n| !dir.join(n).exists())
        .unwrap_or_else(|| name.to_string())
}

/// The source of the `index`-th ATX heading of `text` (headings inside code fences do not count,
/// as the renderer does not count them), down to the next heading of the same or a higher level.
pub fn section_source(text: &str, index: usize) -> Option<&str> {
    let mut headings: Vec<(usize, usize)> = Vec::new(); // (byte offset, level)
    let mut fence: Option<String> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        let marker: String = trimmed
            .chars()
            .take_while(|c| *c == '`' || *c == '~')
            .collect();
        match &fence {
            Some(open)
                if marker.len() >= open.len()
                    && marker.starts_with(&open[..1])
                    && trimmed.len() == marker.len() =>
            {
                fence = None
            }
            Some(_) => {}
            None if marker.len() >= 3 => fence = Some(marker),
            None => {
                let level = trimmed.chars().take_while(|c| *c == '#').count();
                if (1..=6).contains(&level)
                    && trimmed[level..].starts_with(' ')
                    && line.len() - line.trim_start().len() <= 3
                {
                    headings.push((offset, level));
                }
            }
        }
        offset += line.len();
    }
    let (start, level) = *headings.get(index)?;
    let end = headings[index + 1..]
        .iter()
        .find(|(_, l)| *l <= level)
        .map_or(text.len(), |(o, _)| *o);
    Some(&text[start..end])
}

/// The answer as a markdown file with a front matter naming the role, the model and the decision.
pub fn export_markdown(answer: &str, role: &str, model: &str, decision: &str) -> String {
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    format!(
        "---\nrole: {}\nmodel: {}\ndecision: {}\n---\n\n{answer}",
        quote(role),
        quote(model),
        quote(decision)
    )
}

/// The OSC 52 sequence that puts `text` on the clipboard. Inside tmux it goes twice: plain, which
/// tmux takes into its buffer and passes on when `set-clipboard` is `on`, and wrapped for
/// passthrough, which reaches the outer terminal when `allow-passthrough` is `on`. tmux's defaults
/// take neither, hence both.
pub fn osc52(text: &str, in_tmux: bool) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let sequence = format!("\x1b]52;c;{encoded}\x07");
    if in_tmux {
        format!(
            "{sequence}\x1bPtmux;{}\x1b\\",
            sequence.replace('\x1b', "\x1b\x1b")
        )
    } else {
        sequence
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{AnswerDoc, MdStyles};

    const ANSWER: &str = "# Design\n\n## 2. Schema Design\n\n```sql\nCREATE TABLE t (\n\tid bigint\n);\n```\n\n```postgresql\nCREATE INDEX i ON t (id);\n```\n\n## **7. Backup strategy**\n\n```yml\nretention: 35d\n```\n\n```\nplain\n```\n";

    fn blocks() -> Vec<CodeBlock> {
        AnswerDoc::render_whole(ANSWER, MdStyles::default())
            .code_blocks()
            .to_vec()
    }

    #[test]
    fn blocks_are_extracted_with_their_language_section_and_source() {
        let blocks = blocks();
        assert_eq!(blocks.len(), 4);
        assert_eq!(blocks[0].lang, "sql");
        assert_eq!(blocks[0].section.as_deref(), Some("2. Schema Design"));
        assert_eq!(
            blocks[0].code, "CREATE TABLE t (\n\tid bigint\n);\n",
            "the source, tabs and all"
        );
        assert_eq!(blocks[0].first_line(), "CREATE TABLE t (");
        assert_eq!(blocks[0].line_count(), 3);
        assert!(blocks[0].closed);
        assert_eq!(blocks[2].section.as_deref(), Some("7. Backup strategy"));
    }

    #[test]
    fn names_follow_section_and_language() {
        assert_eq!(
            file_names(&blocks()),
            [
                "schema-design-1.sql",
                "schema-design-2.sql",
                "backup-strategy-1.yaml",
                "backup-strategy-2.txt"
            ]
        );
    }

    #[test]
    fn saved_files_hold_exactly_the_blocks_and_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let blocks = blocks();
        let exports = [("schema.mmd".to_string(), "erDiagram\n".to_string())];
        let paths = save_blocks(&blocks, &exports, dir.path()).unwrap();
        for (path, block) in paths.iter().zip(&blocks) {
            assert_eq!(std::fs::read_to_string(path).unwrap(), block.code);
        }
        assert_eq!(
            std::fs::read_to_string(dir.path().join("schema.mmd")).unwrap(),
            "erDiagram\n",
            "the schema's drawings go beside the blocks"
        );
        let again = save_blocks(&blocks, &[], dir.path()).unwrap();
        assert_eq!(again[0].file_name().unwrap(), "schema-design-1~2.sql");
        assert_eq!(
            std::fs::read_to_string(&paths[0]).unwrap(),
            blocks[0].code,
            "the first file is untouched"
        );
    }

    #[test]
    fn an_unclosed_block_is_kept_as_far_as_it_went() {
        let doc = AnswerDoc::render_whole("```bash\necho 1\n", MdStyles::default());
        assert_eq!(doc.code_blocks()[0].code, "echo 1\n");
        assert!(!doc.code_blocks()[0].closed);
    }

    #[test]
    fn osc52_encodes_the_text_and_wraps_for_tmux() {
        assert_eq!(osc52("SELECT 1;", false), "\x1b]52;c;U0VMRUNUIDE7\x07");
        assert_eq!(
            osc52("SELECT 1;", true),
            "\x1b]52;c;U0VMRUNUIDE7\x07\x1bPtmux;\x1b\x1b]52;c;U0VMRUNUIDE7\x07\x1b\\"
        );
    }

    #[test]
    fn a_section_runs_to_the_next_heading_of_its_level() {
        assert_eq!(section_source(ANSWER, 1).unwrap(), "## 2. Schema Design\n\n```sql\nCREATE TABLE t (\n\tid bigint\n);\n```\n\n```postgresql\nCREATE INDEX i ON t (id);\n```\n\n");
        assert!(
            section_source(ANSWER, 0).unwrap().ends_with("plain\n```\n"),
            "the top heading holds everything"
        );
        assert!(section_source("```\n# not a heading\n```\n# Real\nx\n", 0)
            .unwrap()
            .starts_with("# Real"));
        assert_eq!(section_source(ANSWER, 9), None);
    }

    #[test]
    fn export_has_a_front_matter() {
        let text = export_markdown("# A\n", "database_architect", "m", "route:end");
        assert_eq!(text, "---\nrole: \"database_architect\"\nmodel: \"m\"\ndecision: \"route:end\"\n---\n\n# A\n");
    }
}
