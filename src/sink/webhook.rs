//! The webhook sink: POST the envelope, with its id as the `Idempotency-Key` header so a receiver
//! can drop the duplicates that retries may cause. Transient failures (no connection, a timeout,
//! 408, 429, 5xx) are retried with a doubling wait; any other answer is final at once.
//!
//! Redirects are never followed: a 301/302 would turn the POST into a bodyless GET reported as a
//! delivery, and a 307/308 would carry the envelope to an origin nobody configured. A 3xx is a
//! failed delivery that names where it pointed, left pending for `archbench outbox retry` once
//! the configured address is fixed.

use super::{DeliveryOptions, MAX_BACKOFF};
use crate::sanitize::sanitize_line;
use std::time::Duration;

/// Posts `body` to `url`; `Ok` says how it went, `Err` why it finally failed.
pub async fn post(
    url: &str,
    envelope_id: &str,
    body: &[u8],
    options: &DeliveryOptions,
) -> Result<String, String> {
    let client = reqwest::Client::builder()
        .timeout(options.webhook_timeout)
        .connect_timeout(options.webhook_timeout)
        .user_agent(concat!("archbench/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot set up HTTP: {e}"))?;
    let tries = options.webhook_retries.saturating_add(1);
    let mut wait = options.webhook_backoff;
    let mut last_error = String::new();
    for attempt in 1..=tries {
        if attempt > 1 {
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(MAX_BACKOFF);
        }
        let sent = client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", envelope_id)
            .header("Archbench-Delivery-Attempt", attempt.to_string())
            .body(body.to_vec())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                return Ok(format!(
                    "HTTP {} after {attempt} {}",
                    response.status().as_u16(),
                    if attempt == 1 { "try" } else { "tries" }
                ));
            }
            Ok(response) if response.status().is_redirection() => {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .map(|l| sanitize_line(&String::from_utf8_lossy(l.as_bytes())).into_owned())
                    .unwrap_or_else(|| "nowhere".into());
                let location: String = location.chars().take(200).collect();
                return Err(format!(
                    "the webhook answered HTTP {} pointing to {location}; redirects are not followed, so the envelope was not delivered (set the webhook to the final address)",
                    response.status().as_u16()
                ));
            }
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                let excerpt: String = sanitize_line(&text).chars().take(200).collect();
                last_error = format!(
                    "HTTP {}{}",
                    status.as_u16(),
                    if excerpt.is_empty() {
                        String::new()
                    } else {
                        format!(": {excerpt}")
                    }
                );
                let transient = status.is_server_error()
                    || status == reqwest::StatusCode::TOO_MANY_REQUESTS
                    || status == reqwest::StatusCode::REQUEST_TIMEOUT;
                if !transient {
                    return Err(format!("the webhook refused the envelope ({last_error})"));
                }
            }
            Err(e) => {
                last_error = if e.is_timeout() {
                    format!("no answer within {}", seconds(options.webhook_timeout))
                } else if e.is_connect() {
                    "cannot connect".into()
                } else {
                    e.to_string()
                };
            }
        }
        tracing::warn!("webhook try {attempt}/{tries} failed: {last_error}");
    }
    Err(format!(
        "the webhook failed {tries} {} (last: {last_error})",
        if tries == 1 { "time" } else { "times" }
    ))
}

fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}
