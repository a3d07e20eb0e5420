//! The routing block at the end of a role prompt (`HANDOFF.md`): a header line, then one
//! `- <label>: Go to <target>` line per option. Options are read from the prompt itself so that any
//! role written in this format works unchanged.

/// One route the agent may choose.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RouteOption {
    /// Stable id, `route:<target>` (`route:<target>:<label>` when a target is listed twice).
    pub id: String,
    pub label: String,
    pub target: String,
    /// The option as the prompt writes it, `label: Go to target`.
    pub text: String,
}

/// Why a routing block could not be read: the line (1-based, within the text given) and what is
/// wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutesError {
    pub line: usize,
    pub message: String,
}

const HEADER: &str = "ROUTING DECISION REQUIRED";

/// Reads the options of the routing block. A prompt with no block has no options.
pub fn parse_routes(prompt: &str) -> Result<Vec<RouteOption>, RoutesError> {
    let lines: Vec<&str> = prompt.lines().collect();
    let Some(header) = lines.iter().rposition(|l| l.contains(HEADER)) else {
        return Ok(Vec::new());
    };
    let mut options: Vec<RouteOption> = Vec::new();
    for (index, raw) in lines.iter().enumerate().skip(header + 1) {
        let line = raw.trim();
        let Some(item) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) else {
            if !options.is_empty() && !line.is_empty() {
                break;
            }
            continue;
        };
        let (label, target) = split_option(item).ok_or_else(|| RoutesError {
            line: index + 1,
            message: format!(
                "a routing option must read `- <label>: Go to <target>`, found `{line}`"
            ),
        })?;
        if !is_role_id(target) {
            return Err(RoutesError {
                line: index + 1,
                message: format!(
                    "the target `{target}` is not a role id (letters, digits, `_` and `-` only)"
                ),
            });
        }
        options.push(RouteOption {
            id: format!("route:{target}"),
            label: label.to_string(),
            target: target.to_string(),
            text: format!("{label}: Go to {target}"),
        });
    }
    if options.is_empty() {
        return Err(RoutesError {
            line: header + 1,
            message: "the routing block lists no options; add lines such as `- completed: Go to fullstack_developer`"
                .to_string(),
        });
    }
    disambiguate_ids(&mut options);
    Ok(options)
}

fn split_option(item: &str) -> Option<(&str, &str)> {
    let (label, rest) = item.split_once(':')?;
    let rest = rest.trim();
    let target = rest
        .strip_prefix("Go to ")
        .or_else(|| rest.strip_prefix("go to "))
        .or_else(|| rest.strip_prefix("GO TO "))?
        .trim();
    let label = label.trim();
    (!label.is_empty() && !target.is_empty()).then_some((label, target))
}

/// Letters, digits, `_` and `-`: what a role id (and a file name stem) may hold.
pub fn is_role_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn disambiguate_ids(options: &mut [RouteOption]) {
    let targets: Vec<String> = options.iter().map(|o| o.target.clone()).collect();
    for option in options.iter_mut() {
        if targets.iter().filter(|t| **t == option.target).count() > 1 {
            option.id = format!("route:{}:{}", option.target, option.label);
        }
    }
}
