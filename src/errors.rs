//! Errors told whole: the cause behind a library's summary.

/// reqwest's top-level message hides the cause ("error sending request"); the chain names it.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
