//! The renderer's output with its styles, one snapshot per markdown construct and per highlighted
//! language. Each span is written `text⟦style⟧`, so a change of colour or emphasis shows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use archbench::render::{AnswerDoc, MdStyles};
use ratatui::style::{Color, Modifier, Style};

fn style_name(style: Style) -> String {
    let mut parts = Vec::new();
    if let Some(fg) = style.fg {
        parts.push(match fg {
            Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
            other => format!("{other:?}"),
        });
    }
    for (m, name) in [
        (Modifier::BOLD, "bold"),
        (Modifier::ITALIC, "italic"),
        (Modifier::UNDERLINED, "underline"),
        (Modifier::CROSSED_OUT, "strike"),
    ] {
        if style.add_modifier.contains(m) {
            parts.push(name.to_string());
        }
    }
    parts.join(" ")
}

fn render(markdown: &str) -> String {
    let doc = AnswerDoc::render_whole(markdown, MdStyles::default());
    doc.committed()
        .iter()
        .map(|line| {
            let spans: Vec<String> = line
                .line
                .spans
                .iter()
                .map(|s| {
                    let name = style_name(s.style);
                    if name.is_empty() {
                        s.content.to_string()
                    } else {
                        format!("{}⟦{name}⟧", s.content)
                    }
                })
                .collect();
            format!("{:?} hang {}: {}", line.kind, line.hang, spans.join(""))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

macro_rules! snapshots {
    ($($name:ident => $markdown:expr;)*) => {
        $(#[test] fn $name() { insta::assert_snapshot!(render($markdown)); })*
    };
}

snapshots! {
    headings => "# One\n## Two\n### Three\n#### Four\n##### Five ##\n";
    emphasis => "plain *em* **strong** ***both*** ~~gone~~ `code` [link](https://x.example/a) <b>html</b>\n";
    lists => "- a\n* b\n+ c\n  - nested\n1. one\n10) ten\n- [ ] todo\n- [x] done\n";
    quotes => "> quoted *text*\n> > nested\n";
    rules => "---\n***\n___\n";
    tables => "| name | rows |\n|:-----|-----:|\n| listing | 60 M |\n| `orders` | **16 M** |\n";
    paragraphs_and_blank_lines => "first line\n\n    indented four\n\ttabbed\n";
    fences => "```\nno language\n```\n~~~yaml\nkey: value\n~~~\n````sql\n```\nnested fence text\n````\n";
    sql => "```sql\nSELECT id, name FROM tenant WHERE id = 42 AND name <> 'x'; -- comment\n```\n";
    sql_multiline_comment => "```sql\n/* a comment\n   SELECT inside the comment\n   still inside */\nSELECT 1;\n```\n";
    yaml => "```yaml\nbackup:\n  schedule: \"0 3 * * *\"  # nightly\n  retention_days: 35\n  enabled: true\n```\n";
    json => "```json\n{\"tenant\": 42, \"regions\": [\"eu-west-1\"], \"pitr\": true, \"note\": null}\n```\n";
    bash => "```bash\nexport PGHOST=db # host\npg_dump --format=custom \"$DB\" | gzip > /backup/db.gz\n```\n";
    python => "```python\ndef rows(n: int) -> list[str]:\n    return [f\"row {i}\" for i in range(n)]  # comprehension\n```\n";
    typescript => "```typescript\ninterface Tenant { id: number; name: string }\nconst t: Tenant = { id: 1, name: \"a\" }; // literal\n```\n";
    hostile_text => "title \u{1b}]0;owned\u{7} and \u{1b}[2J then \u{202e}reversed\u{202c}\n";
}
