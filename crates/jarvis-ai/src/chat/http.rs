//! HTTP plumbing shared by the providers.

use std::time::Duration;

use super::Fault;

/// One client for every provider: connection pooling, rustls, a connect timeout.
pub(crate) fn client(connect_timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .user_agent(concat!("jarvis/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client builds with static settings")
}

/// A transport error, without the URL (it could hold a key in a query).
pub(crate) fn transport(error: reqwest::Error) -> Fault {
    if error.is_timeout() {
        Fault::Timeout("connecting")
    } else {
        Fault::Connect(error.without_url().to_string())
    }
}

/// Sends the request; any non-2xx answer becomes a fault.
pub(crate) async fn send(request: reqwest::RequestBuilder) -> Result<reqwest::Response, Fault> {
    let response = request.send().await.map_err(transport)?;
    if !response.status().is_success() {
        return Err(status_fault(response).await);
    }
    Ok(response)
}

/// Sends the request and reads a JSON answer.
pub(crate) async fn send_for_json(
    request: reqwest::RequestBuilder,
) -> Result<serde_json::Value, Fault> {
    send(request)
        .await?
        .json()
        .await
        .map_err(|e| Fault::Protocol(e.without_url().to_string()))
}

/// The `field` strings of each object in the array `list` (model lists).
pub(crate) fn strings_of(value: &serde_json::Value, list: &str, field: &str) -> Vec<String> {
    value[list]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|m| m[field].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Turns a non-2xx response into a fault, reading the provider's own message
/// (`{"error": {"message": …}}` in all three APIs).
pub(crate) async fn status_fault(response: reqwest::Response) -> Fault {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| body.chars().take(200).collect());
    match status {
        429 => Fault::RateLimited { retry_after },
        500..=599 => Fault::Server { status, message },
        _ => Fault::Refused { status, message },
    }
}
