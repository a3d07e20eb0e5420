use super::*;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc::unbounded_channel;

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_tries: 4,
        base: Duration::from_secs(1),
        max: Duration::from_secs(8),
    }
}

#[test]
fn backoff_doubles_with_jitter_up_to_the_cap_and_retry_after_wins() {
    let p = policy();
    // No jitter: half the step; full jitter: the whole step.
    assert_eq!(backoff(&p, 2, None, 0.0), Duration::from_millis(500));
    assert_eq!(backoff(&p, 2, None, 1.0), Duration::from_secs(1));
    assert_eq!(backoff(&p, 3, None, 1.0), Duration::from_secs(2));
    assert_eq!(backoff(&p, 4, None, 1.0), Duration::from_secs(4));
    assert_eq!(backoff(&p, 9, None, 1.0), Duration::from_secs(8), "capped");
    assert_eq!(
        backoff(&p, 2, Some(Duration::from_secs(20)), 0.3),
        Duration::from_secs(20),
        "the server's Retry-After is honoured, even past the cap"
    );
}

#[test]
fn retry_after_is_read_as_seconds_or_as_a_date() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470);
    assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
    // 2015-10-21 07:28:00 GMT is 10 seconds after `now`.
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
        Some(Duration::from_secs(10))
    );
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
        Some(Duration::ZERO),
        "a date in the past: try now"
    );
    assert_eq!(parse_retry_after("soon", now), None);
}

#[test]
fn what_is_worth_retrying() {
    for status in [429, 500, 502, 503, 504, 529, 408] {
        assert!(retryable(status), "{status}");
    }
    for status in [400, 401, 403, 404, 422] {
        assert!(!retryable(status), "{status}");
    }
}

#[tokio::test(start_paused = true)]
async fn refused_tries_wait_as_announced_then_succeed() {
    let (tx, mut rx) = unbounded_channel();
    let events = EventSink::new(1, tx);
    let tries = Arc::new(AtomicU32::new(0));
    let started = tokio::time::Instant::now();
    let counter = tries.clone();
    let result = with_retries(
        &policy(),
        &events,
        || 1.0,
        || {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                match n {
                    1 => Try::Again {
                        why: "HTTP 429".into(),
                        retry_after: Some(Duration::from_secs(3)),
                    },
                    2 => Try::Again {
                        why: "HTTP 503".into(),
                        retry_after: None,
                    },
                    _ => Try::Done("answer"),
                }
            }
        },
    )
    .await;
    assert_eq!(result.unwrap(), "answer");
    assert_eq!(tries.load(Ordering::SeqCst), 3);
    // 3 s as the server asked, then 2 s (the second retry's step, full jitter).
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    let mut announced = Vec::new();
    while let Ok((_, event)) = rx.try_recv() {
        announced.push(event);
    }
    assert_eq!(
        announced,
        vec![
            AgentEvent::Retrying {
                try_number: 2,
                of: 4,
                wait: Duration::from_secs(3),
                why: "HTTP 429".into()
            },
            AgentEvent::Retrying {
                try_number: 3,
                of: 4,
                wait: Duration::from_secs(2),
                why: "HTTP 503".into()
            },
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn tries_run_out_and_the_last_reason_is_given() {
    let (tx, _rx) = unbounded_channel();
    let events = EventSink::new(1, tx);
    let started = tokio::time::Instant::now();
    let result: Result<(), _> = with_retries(
        &policy(),
        &events,
        || 0.0,
        || async {
            Try::Again {
                why: "HTTP 500 from http://h/v1".into(),
                retry_after: None,
            }
        },
    )
    .await;
    let Err(ProviderError::GaveUp { tries, last }) = result else {
        panic!("{result:?}")
    };
    assert_eq!(tries, 4);
    assert_eq!(last, "HTTP 500 from http://h/v1");
    // Waits of 0.5, 1 and 2 s (no jitter) between the four tries.
    assert_eq!(started.elapsed(), Duration::from_millis(3500));
}

#[tokio::test(start_paused = true)]
async fn a_final_failure_is_not_retried() {
    let (tx, _rx) = unbounded_channel();
    let events = EventSink::new(1, tx);
    let result: Result<(), _> = with_retries(
        &policy(),
        &events,
        || 0.0,
        || async {
            Try::Fail(ProviderError::Unauthorized {
                status: 401,
                key_source: "the environment variable K".into(),
            })
        },
    )
    .await;
    assert!(matches!(result, Err(ProviderError::Unauthorized { .. })));
}

#[tokio::test(start_paused = true)]
async fn the_waits_count_content_not_bytes() {
    let timeouts = Timeouts {
        connect: Duration::from_secs(1),
        first_token: Duration::from_secs(4),
        idle: Duration::from_secs(6),
    };
    let start = tokio::time::Instant::now();
    let mut wait = Wait::new(timeouts, 0);
    assert_eq!(wait.deadline(), start + Duration::from_secs(4));
    assert_eq!(
        wait.expired().to_string(),
        "no answer began: nothing for 4 s (timeouts.first_token_secs in the configuration sets this)"
    );
    // A keepalive at 3 s: bytes, no piece. The wait goes on from the request.
    tokio::time::advance(Duration::from_secs(3)).await;
    wait.bytes();
    wait.content(0);
    assert_eq!(wait.deadline(), start + Duration::from_secs(4));
    assert_eq!(
        wait.expired().to_string(),
        "no answer began: only keepalives or partial lines for 4 s (timeouts.first_token_secs in the configuration sets this)"
    );
    // The first piece: the idle wait starts from it.
    wait.content(9);
    assert_eq!(wait.deadline(), start + Duration::from_secs(9));
    tokio::time::advance(Duration::from_secs(5)).await;
    wait.bytes();
    wait.content(9);
    assert_eq!(wait.deadline(), start + Duration::from_secs(9));
    assert_eq!(
        wait.expired().to_string(),
        "the answer stopped arriving: only keepalives or partial lines for 6 s (timeouts.idle_secs in the configuration sets this)"
    );
}
