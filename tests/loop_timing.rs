//! The loop's timing on tokio's paused clock: many deltas between two frames cost one frame, and
//! a key reaches the screen within one frame interval, whatever the stream does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use archbench::app::{drive, Instruments, Wiring};
use archbench::event::Event;
use archbench::input::Input;
use archbench::provider::{
    AgentEvent, ChatRequest, EventSink, FinishReason, Provider, ProviderInfo, RunHandle,
};
use archbench::state::State;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use futures_util::StreamExt;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::sync::Arc;
use std::time::Duration;

/// A provider whose whole answer is already there: every delta arrives at once.
struct Burst {
    deltas: usize,
}

impl Provider for Burst {
    fn info(&self) -> ProviderInfo {
        ProviderInfo {
            kind: "test".into(),
            model: "burst".into(),
            endpoint: String::new(),
        }
    }
    fn start(&self, _request: ChatRequest, events: EventSink) -> RunHandle {
        for i in 0..self.deltas {
            events.send(AgentEvent::Delta(format!("line {i} of the answer\n")));
        }
        events.send(AgentEvent::Finished(FinishReason::Stop));
        RunHandle::new()
    }
}

/// A provider that sends one delta every `every`, as a real server paces its tokens.
struct Paced {
    deltas: usize,
    every: Duration,
}

impl Provider for Paced {
    fn info(&self) -> ProviderInfo {
        ProviderInfo {
            kind: "test".into(),
            model: "paced".into(),
            endpoint: String::new(),
        }
    }
    fn start(&self, _request: ChatRequest, events: EventSink) -> RunHandle {
        let (deltas, every) = (self.deltas, self.every);
        tokio::spawn(async move {
            for i in 0..deltas {
                tokio::time::sleep(every).await;
                events.send(AgentEvent::Delta(format!("token {i} ")));
            }
            events.send(AgentEvent::Finished(FinishReason::Stop));
        });
        RunHandle::new()
    }
}

async fn run(
    deltas: usize,
    late_key: Option<Duration>,
    until: impl Fn(&State) -> bool,
) -> (State, Instruments) {
    run_with(Arc::new(Burst { deltas }), late_key, until).await
}

async fn run_with(
    provider: Arc<dyn Provider>,
    late_key: Option<Duration>,
    until: impl Fn(&State) -> bool,
) -> (State, Instruments) {
    let outbox = tempfile::tempdir().unwrap();
    let mut wiring = Wiring::new(provider, outbox.path().to_path_buf());
    let mut state = State::new(common::session("database_architect"), "brief", 120, 40);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let start = futures_util::stream::iter(
        [
            Event::Resize {
                width: 120,
                height: 40,
            },
            Event::Action(archbench::action::Action::Run),
        ]
        .map(Input::Event),
    );
    let key = futures_util::stream::once(async move {
        match late_key {
            Some(delay) => {
                tokio::time::sleep(delay).await;
                Input::Event(Event::Key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE)))
            }
            None => std::future::pending().await,
        }
    });
    let inputs = start.chain(key).chain(futures_util::stream::pending());
    let mut instruments = Instruments::default();
    // On the paused clock a loop that never stops reaches this limit at once, in virtual time.
    let driven = drive(
        &mut state,
        &mut terminal,
        Box::pin(inputs),
        &mut wiring,
        std::future::pending(),
        until,
        &mut instruments,
    );
    tokio::time::timeout(Duration::from_secs(600), driven)
        .await
        .expect("the loop never stopped")
        .unwrap();
    (state, instruments)
}

#[tokio::test(start_paused = true)]
async fn a_thousand_deltas_between_two_frames_cost_one_frame() {
    let (state, instruments) = run(1000, None, |s| {
        s.latest().is_some_and(|a| !a.phase.is_live())
    })
    .await;
    assert_eq!(state.latest().unwrap().doc.committed().len(), 1000);
    assert!(
        instruments.updates.len() >= 1002,
        "every event went through update"
    );
    assert_eq!(
        instruments.frames.len(),
        2,
        "the first frame, then one for the whole burst"
    );
}

/// 300 tokens at 100 a second: the loop takes them about once a frame (20 frames a second while
/// only the stream changes the screen), not once a token, and every token is shown.
#[tokio::test(start_paused = true)]
async fn a_paced_stream_wakes_the_loop_once_a_frame_not_once_a_token() {
    let paced = Paced {
        deltas: 300,
        every: Duration::from_millis(10),
    };
    let (state, instruments) = run_with(Arc::new(paced), None, |s| {
        s.latest().is_some_and(|a| !a.phase.is_live())
    })
    .await;
    let text = state.latest().unwrap().text().to_string();
    assert!(
        text.contains("token 0 ") && text.contains("token 299 "),
        "{text}"
    );
    let frames = instruments.frames.len();
    assert!(
        (55..=65).contains(&frames),
        "about 20 frames a second for 3 s: {frames}"
    );
    assert!(
        instruments.stream_wakes <= frames + 2,
        "{} wakes for the stream, {frames} frames, 300 tokens",
        instruments.stream_wakes
    );
    // The resize, the run, 300 tokens, the end.
    assert_eq!(
        instruments.updates.len(),
        2 + 300 + 1,
        "every token went through update"
    );
}

#[tokio::test(start_paused = true)]
async fn a_key_reaches_the_screen_within_one_frame() {
    // The answer has ended by then and focus is on the routes: Up chooses a route.
    let (state, instruments) = run(5000, Some(Duration::from_millis(100)), |s| {
        s.review.selected.is_some()
    })
    .await;
    assert_eq!(state.review.selected, Some(0), "the key chose a route");
    assert_eq!(instruments.key_to_frame.len(), 1);
    assert!(
        instruments.key_to_frame[0] <= Duration::from_millis(16),
        "{:?}",
        instruments.key_to_frame
    );
}

/// Typing without pause for over two seconds, one key every 120 ms: the draft is on disk within a
/// second of the first key (the delay is not pushed back by each new key), and holds the text
/// typed by then.
#[tokio::test(start_paused = true)]
async fn the_draft_is_saved_within_a_second_while_typing_goes_on() {
    let outbox = tempfile::tempdir().unwrap();
    let drafts = tempfile::tempdir().unwrap();
    let mut wiring = Wiring::new(Arc::new(Burst { deltas: 0 }), outbox.path().to_path_buf())
        .with_drafts_dir(drafts.path().to_path_buf());
    let mut state = State::new(common::session("database_architect"), "", 120, 40);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let typing = futures_util::stream::iter(0..20u32).then(|i| async move {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(120)).await;
        }
        let c = char::from(b'a' + (i % 26) as u8);
        Input::Event(Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )))
    });
    let inputs = futures_util::stream::iter([Input::Event(Event::Resize {
        width: 120,
        height: 40,
    })])
    .chain(typing)
    .chain(futures_util::stream::pending());
    let started = tokio::time::Instant::now();
    let mut instruments = Instruments::default();
    let driven = drive(
        &mut state,
        &mut terminal,
        Box::pin(inputs),
        &mut wiring,
        std::future::pending(),
        |s| s.draft_saved > 0,
        &mut instruments,
    );
    tokio::time::timeout(Duration::from_secs(60), driven)
        .await
        .expect("the draft was never due")
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(
        elapsed,
        archbench::app::DRAFT_DELAY,
        "first save after the delay"
    );
    assert!(elapsed <= Duration::from_secs(1));
    // Keys at 0, 120, ..., 480 ms were typed by then.
    assert_eq!(state.brief_text(), "abcde");
    // The write itself runs on a blocking thread, in real time.
    let path = archbench::store::draft::path(drafts.path(), &state.draft_owner());
    let text_of = |path: &std::path::Path| {
        let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
        saved["text"].as_str().map(str::to_string)
    };
    let deadline = std::time::Instant::now() + common::PATIENCE;
    while text_of(&path).as_deref() != Some("abcde") {
        assert!(
            std::time::Instant::now() < deadline,
            "the draft file never held the text"
        );
        std::thread::park_timeout(Duration::from_millis(10));
    }
}
