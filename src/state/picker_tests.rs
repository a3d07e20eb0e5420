//! The model picker's transitions: open, list, choose, switch — and the refused ones.

use super::*;
use crate::provider::choose::Built;
use crate::provider::choose::{Choice, KeySource};
use crate::provider::{ChatRequest, EventSink, Provider, ProviderInfo, RunHandle};
use crate::state::picker::{ModelSetup, Origin};

struct Named(&'static str);

impl Provider for Named {
    fn info(&self) -> ProviderInfo {
        ProviderInfo {
            kind: "openai".into(),
            model: self.0.into(),
            endpoint: "http://srv/v1".into(),
        }
    }
    fn default_params(&self) -> Params {
        Params {
            max_tokens: Some(999),
            ..Default::default()
        }
    }
    fn start(&self, _request: ChatRequest, _events: EventSink) -> RunHandle {
        RunHandle::new()
    }
}

fn server(model: &str) -> Choice {
    Choice::OpenAi {
        base_url: "http://srv/v1".into(),
        model: model.into(),
        key: KeySource::Env("K".into()),
    }
}

fn bench() -> Bench {
    let mut b = Bench::new("brief");
    b.state.models = ModelSetup {
        current: Some(server("a-model")),
        requested: Params {
            temperature: Some(0.1),
            ..Default::default()
        },
        profiles: vec![(
            "claude".into(),
            Choice::Anthropic {
                base_url: "https://api.anthropic.com".into(),
                model: "claude-x".into(),
                key: KeySource::Env("ANTHROPIC_API_KEY".into()),
            },
        )],
        prices: [(
            "b-model".to_string(),
            crate::config::Price {
                input: 1.0,
                output: 2.0,
            },
        )]
        .into(),
    };
    b
}

#[test]
fn the_picker_offers_profiles_then_what_the_server_lists() {
    let mut b = bench();
    assert_eq!(b.ctrl('p'), vec![Effect::ListModels]);
    assert_eq!(b.state.key_context(), crate::keymap::Context::Picker);
    let picker = b.state.picker.as_ref().unwrap();
    assert!(picker.listing);
    assert_eq!(picker.entries.len(), 1);
    assert_eq!(picker.entries[0].origin, Origin::Profile("claude".into()));
    b.send(Event::ModelsListed(Ok(vec![
        "a-model".into(),
        "b-model".into(),
    ])));
    let picker = b.state.picker.as_ref().unwrap();
    assert!(!picker.listing);
    assert_eq!(picker.entries.len(), 3);
    assert_eq!(
        picker.entries[2].choice,
        server("b-model"),
        "a listed model keeps the server and key"
    );
}

#[test]
fn choosing_builds_the_provider_and_the_next_run_uses_it() {
    let mut b = bench();
    b.ctrl('p');
    b.send(Event::ModelsListed(Ok(vec![
        "a-model".into(),
        "b-model".into(),
    ])));
    b.key(KeyCode::Down);
    b.key(KeyCode::Down);
    let effects = b.key(KeyCode::Enter);
    assert_eq!(effects, vec![Effect::BuildProvider(server("b-model"))]);
    assert!(b.state.picker.is_none());
    let built = Built {
        provider: std::sync::Arc::new(Named("b-model")),
        choice: server("b-model"),
    };
    let effects = b.send(Event::ProviderBuilt(Ok(built.clone())));
    assert_eq!(effects, vec![Effect::UseProvider(built)]);
    assert_eq!(b.state.session.provider.model, "b-model");
    assert_eq!(
        b.state.session.params,
        Params {
            temperature: Some(0.1),
            max_tokens: Some(999),
            ..Default::default()
        },
        "what was asked for, and the new provider's defaults for the rest"
    );
    assert_eq!(b.state.session.price.unwrap().output, 2.0);
    assert_eq!(b.state.models.current, Some(server("b-model")));
    assert!(b.state.audit.iter().any(|e| e.kind == "model_switched"));
}

#[test]
fn switching_waits_for_a_running_answer_and_a_failed_build_changes_nothing() {
    let mut b = bench();
    b.ctrl('s');
    b.ctrl('p');
    b.send(Event::ModelsListed(Err("HTTP 404".into())));
    assert_eq!(
        b.state.picker.as_ref().unwrap().list_error.as_deref(),
        Some("HTTP 404")
    );
    assert!(
        b.key(KeyCode::Enter).is_empty(),
        "not while an answer streams"
    );
    assert!(b
        .state
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("switches for the next run"));
    b.key(KeyCode::Esc);
    b.key(KeyCode::Esc);
    let effects = b.send(Event::ProviderBuilt(Err(
        "the key command `pass x` failed".into()
    )));
    assert!(effects.is_empty());
    assert!(b
        .state
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("stays as it was"));
    assert_eq!(b.state.session.provider.model, "test-model");
}
