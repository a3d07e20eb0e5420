//! The same answer streamed in any split — byte by byte, across UTF-8 characters, across `data:`
//! lines, one token per event or many — renders the same and parses the same decision.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use archbench::provider::openai::OpenAiProvider;
use archbench::provider::{AgentEvent, ChatRequest, Message, Params, Provider, Speaker};
use archbench::render::{AnswerDoc, MdStyles};
use archbench::role::RoleBook;
use archbench::routing::parse_decision;
use common::server::{openai_sse, split, Reply, Server};
use tokio::sync::mpsc::unbounded_channel;

const ANSWER: &str = "# Schéma — données 😀\n\n## 2. Schema design\n\n```sql\n/* tenants\n   and listings */\nCREATE TABLE t (id bigint); -- ✓\n```\n\n| a | b |\n|---|---|\n| é | 😀 |\n\n**DECISION:** `completed: Go to fullstack_developer`\n";

async fn stream_through_client(body: Vec<Vec<u8>>) -> String {
    let server = Server::start(vec![Reply::Stream(body)]);
    let provider = OpenAiProvider::new(
        &server.base_url(),
        "m",
        None,
        "none".into(),
        Default::default(),
        Default::default(),
    )
    .unwrap();
    let (tx, mut rx) = unbounded_channel();
    let request = ChatRequest {
        messages: vec![Message::new(Speaker::User, "brief")],
        params: Params::default(),
    };
    let _handle = provider.start(request, archbench::provider::EventSink::new(1, tx));
    let mut text = String::new();
    let mut doc = AnswerDoc::new(MdStyles::default());
    loop {
        match rx.recv().await.unwrap().1 {
            AgentEvent::Delta(piece) => {
                text.push_str(&piece);
                doc.push(&piece);
            }
            AgentEvent::Finished(_) => break,
            AgentEvent::Failed(e) => panic!("{e}"),
            _ => {}
        }
    }
    doc.finish();
    let whole = AnswerDoc::render_whole(ANSWER, MdStyles::default());
    assert_eq!(doc.committed(), whole.committed(), "rendering differs");
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn every_split_renders_and_decides_the_same() {
    let options = RoleBook::load(None)
        .unwrap()
        .get("database_architect")
        .unwrap()
        .routes
        .clone();
    let expected = parse_decision(ANSWER, &options);
    assert_eq!(expected.candidates, ["route:fullstack_developer"]);
    // (characters per chunk event, bytes per network write)
    for (chars, bytes) in [
        (1, 1),
        (1, 3),
        (2, 5),
        (3, 7),
        (7, 13),
        (50, 1000),
        (1000, 100_000),
    ] {
        let text = stream_through_client(split(&openai_sse(ANSWER, chars, "stop"), bytes)).await;
        assert_eq!(text, ANSWER, "chars {chars}, bytes {bytes}");
        assert_eq!(parse_decision(&text, &options), expected);
    }
}
