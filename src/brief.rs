//! Reading a brief: a text file given with `--brief` (or standard input), within a size limit and
//! refused at once when it is not a file that ends (a device, a pipe, a folder).

use std::path::Path;

/// The largest brief read: a brief is a page or a few, and a prompt far larger than any model's
/// context helps nobody.
const MAX_BRIEF_BYTES: u64 = 1024 * 1024;

pub fn read(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let too_big = |what: String| {
        format!(
            "{what} is larger than {} MB; a brief is a page or a few: shorten it",
            MAX_BRIEF_BYTES / (1024 * 1024)
        )
    };
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .take(MAX_BRIEF_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read the brief from standard input: {e}"))?;
        if bytes.len() as u64 > MAX_BRIEF_BYTES {
            return Err(too_big("the brief on standard input".into()));
        }
    } else {
        // Checked before opening: a device (/dev/zero) never ends, and a pipe with no writer
        // never opens.
        let meta = std::fs::metadata(path)
            .map_err(|e| format!("cannot read the brief {}: {e}", path.display()))?;
        if !meta.is_file() {
            return Err(format!(
                "the brief {} is not a file (a folder, a device or a pipe): pass a text file, or --brief - to read standard input",
                path.display()
            ));
        }
        if meta.len() > MAX_BRIEF_BYTES {
            return Err(too_big(format!("the brief {}", path.display())));
        }
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_BRIEF_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|e| format!("cannot read the brief {}: {e}", path.display()))?;
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        format!(
            "the brief {} is not UTF-8 text: save it as UTF-8",
            path.display()
        )
    })?;
    if text.trim().is_empty() {
        return Err(format!(
            "the brief {} is empty: write what the architect should design",
            path.display()
        ));
    }
    Ok(text)
}
