//! OpenAI-compatible servers people run, with the base URL each listens on by default.

/// A known server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    pub name: &'static str,
    pub base_url: &'static str,
    /// What it is, for `--help` and `config show`.
    pub what: &'static str,
    /// Whether it wants a key (local servers do not).
    pub needs_key: bool,
}

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "openai",
        base_url: "https://api.openai.com/v1",
        what: "OpenAI",
        needs_key: true,
    },
    Preset {
        name: "ollama",
        base_url: "http://localhost:11434/v1",
        what: "Ollama",
        needs_key: false,
    },
    Preset {
        name: "llamacpp",
        base_url: "http://localhost:8080/v1",
        what: "llama.cpp's llama-server",
        needs_key: false,
    },
    Preset {
        name: "vllm",
        base_url: "http://localhost:8000/v1",
        what: "vLLM's OpenAI-compatible server",
        needs_key: false,
    },
    Preset {
        name: "lmstudio",
        base_url: "http://localhost:1234/v1",
        what: "LM Studio's local server",
        needs_key: false,
    },
];

pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

pub fn names() -> Vec<&'static str> {
    PRESETS.iter().map(|p| p.name).collect()
}

/// For clap: a preset name, or a message listing them.
pub fn parse(name: &str) -> Result<String, String> {
    find(name)
        .map(|p| p.name.to_string())
        .ok_or_else(|| format!("no preset `{name}`; known: {}", names().join(", ")))
}
