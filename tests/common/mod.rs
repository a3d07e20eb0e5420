//! Helpers shared by the integration tests: a workbench state to drive, a screen to read, and a
//! loopback server that speaks OpenAI-style streaming.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

/// How long a test waits for something another process does (a line on screen, a file, an
/// exit) before it fails: one generous deadline, far beyond what a loaded machine needs, never a
/// measure of speed.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(120);

pub mod home;
pub mod pg;
pub mod server;
pub mod tmux;

use archbench::event::{Event, Timed};
use archbench::provider::{Params, ProviderInfo};
use archbench::reviewer::Reviewer;
use archbench::role::RoleBook;
use archbench::state::{Session, State};
use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

pub fn session(role: &str) -> Session {
    let role_id = role;
    Session {
        role: RoleBook::load(None).unwrap().get(role).unwrap().clone(),
        provider: ProviderInfo {
            kind: "openai".into(),
            model: "test-model".into(),
            endpoint: "http://127.0.0.1/v1".into(),
        },
        params: Params {
            temperature: Some(0.2),
            max_tokens: Some(2000),
            seed: Some(7),
            stop: Vec::new(),
        },
        reviewer: Reviewer {
            name: "Ada Reviewer".into(),
            email: Some("ada@example.com".into()),
            source: "git".into(),
        },
        chain_id: "chain-1".into(),
        price: None,
        chain: archbench::state::Chain::start(
            role_id,
            std::sync::Arc::new(RoleBook::load(None).unwrap()),
            // The outbox only; tests of the chain add the chain sink.
            archbench::sink::SinkPlan {
                default: [archbench::sink::SinkSpec::Outbox].to_vec(),
                ..Default::default()
            },
        ),
    }
}

/// The outbox took the envelope (and no other sink was asked).
pub fn delivered(path: &str) -> archbench::sink::Delivered {
    archbench::sink::Delivered {
        envelope_id: "env-1".into(),
        target: "backup_disaster_specialist".into(),
        path: path.into(),
        payload_brief: "# Original brief".into(),
        results: vec![archbench::sink::SinkResult {
            sink: "outbox".into(),
            outcome: Ok(path.into()),
            pending: false,
        }],
        chain: false,
    }
}

/// A workbench driven by events at a fixed pace of one second per event.
pub struct Driver {
    pub state: State,
    clock: i64,
}

impl Driver {
    pub fn new(brief: &str, width: u16, height: u16) -> Self {
        let mut driver = Self {
            state: State::new(session("database_architect"), brief, width, height),
            clock: 0,
        };
        driver.send(Event::Resize { width, height });
        driver
    }

    pub fn send(&mut self, event: Event) -> Vec<archbench::effect::Effect> {
        self.clock += 1;
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
            + chrono::Duration::seconds(self.clock);
        self.state.handle(Timed { at, event })
    }

    pub fn key(&mut self, code: KeyCode) -> Vec<archbench::effect::Effect> {
        self.send(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    pub fn ctrl(&mut self, c: char) -> Vec<archbench::effect::Effect> {
        self.send(Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::CONTROL,
        )))
    }

    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.key(if c == '\n' {
                KeyCode::Enter
            } else {
                KeyCode::Char(c)
            });
        }
    }

    /// The screen as text, one line per row.
    pub fn screen(&mut self) -> String {
        self.state.prepare_frame();
        let area = (self.state.width, self.state.height);
        let mut terminal = Terminal::new(TestBackend::new(area.0, area.1)).unwrap();
        terminal
            .draw(|frame| archbench::ui::draw(frame, &self.state))
            .unwrap();
        buffer_text(terminal.backend().buffer())
    }
}

pub fn buffer_text(buffer: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buffer.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buffer[(x, y)].symbol();
            skip = unicode_width::UnicodeWidthStr::width(symbol).saturating_sub(1);
            line.push_str(symbol);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Checks `envelope` against the published JSON Schema of the envelope.
pub fn assert_valid_envelope(envelope: &serde_json::Value) {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../docs/schema/handoff-1.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(envelope)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the envelope does not match docs/schema/handoff-1.schema.json:\n{}",
        errors.join("\n")
    );
}
