//! A deterministic architecture answer of any length: prose, headings, lists, a table, SQL, YAML,
//! bash and JSON fences, and one pathological line (8 KB, no newline break, in a bash block),
//! ending with the routing line. Cut into tokens of about four bytes, as models stream.

/// Sections, in the order the database architect's prompt names them.
const SECTIONS: [&str; 8] = [
    "Data modeling",
    "Schema design",
    "Indexing strategy",
    "Query optimization",
    "Scalability design",
    "Security framework",
    "Backup strategy",
    "Analytics architecture",
];

/// The last line of every corpus; a run is complete when it has arrived.
pub const SENTINEL: &str = "DECISION: completed: Go to backup_disaster_specialist";

/// A corpus of about `tokens` tokens (4 bytes each).
pub fn corpus(tokens: usize) -> String {
    let target = tokens * 4;
    let mut out = String::from("# Data layer for the multi-tenant bookstore\n\n");
    let mut block = 0usize;
    while out.len() + SENTINEL.len() + 1 < target {
        let section = SECTIONS[block % SECTIONS.len()];
        out.push_str(&format!(
            "## {}. {section} (part {})\n\n",
            block % 8 + 1,
            block / 8 + 1
        ));
        out.push_str(&format!(
            "Tenant data for **{section}** stays isolated by `tenant_id`; every query in block {block} names it, \
             and the planner can prune partitions. See [the notes](https://example.com/notes/{block}) for the trade-offs.\n\n"
        ));
        out.push_str("- Row-level security on every tenant table\n- Partition by month for orders\n  - keep 24 months online\n1. Measure first\n2. Then index\n\n");
        match block % 5 {
            0 => out.push_str(&format!(
                "```sql\n/* listing for block {block}\n   spans two lines */\nCREATE TABLE listing_{block} (\n  tenant_id bigint NOT NULL,\n  edition_id bigint NOT NULL,\n  price_cents integer CHECK (price_cents >= 0),\n  PRIMARY KEY (tenant_id, edition_id)\n);\nCREATE INDEX listing_{block}_price ON listing_{block} (tenant_id, price_cents);\n```\n\n"
            )),
            1 => out.push_str(&format!("```yaml\nbackup:\n  schedule: \"0 */{} * * *\"\n  retention_days: 35\n  pitr: true\n```\n\n", block % 6 + 1)),
            2 => out.push_str(&format!("```bash\npgbackrest --stanza=main --type=incr backup  # block {block}\npsql -c 'SELECT count(*) FROM listing'\n```\n\n")),
            3 => out.push_str(&format!("```json\n{{\"tenant\": {block}, \"region\": \"eu-west-1\", \"replicas\": [1, 2, 3]}}\n```\n\n")),
            _ => out.push_str(&format!("| store | rows | growth |\n|---|---|---|\n| listing | {}M | 8% |\n| orders | {}M | 12% |\n\n", block + 1, block * 2 + 1)),
        }
        if block == 3 {
            out.push_str(&format!("```bash\necho {}\n```\n\n", "QUJD".repeat(2048)));
        }
        block += 1;
    }
    out.push_str(SENTINEL);
    out.push('\n');
    out
}

/// Cuts `text` into pieces of about four bytes, never inside a character.
pub fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::with_capacity(text.len() / 4 + 1);
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + 4).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        out.push(&text[start..end]);
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_has_every_construct_and_the_requested_size() {
        let text = corpus(10_000);
        let n = tokens(&text).len();
        assert!((9_000..=11_000).contains(&n), "{n} tokens");
        for needle in [
            "```sql",
            "```yaml",
            "```bash",
            "```json",
            "| store |",
            "/* listing",
            "- Row-level",
            SENTINEL,
        ] {
            assert!(text.contains(needle), "{needle}");
        }
        assert!(
            text.lines().any(|l| l.len() >= 8192),
            "one pathological line"
        );
        assert_eq!(corpus(10_000), text, "deterministic");
        assert_eq!(tokens(&text).concat(), text);
    }
}
