//! Proxy overhead of the OpenAI-compatible API: time to the first token
//! through Jarvis (`POST /v1/chat/completions`, streaming) minus the time
//! to the first token straight from the same local server, per request,
//! interleaved so both see the same machine. The upstream is a loopback
//! server speaking OpenAI's SSE format that answers at once.
//!
//! `cargo bench -p jarvis-server --bench proxy [-- REQUESTS]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use futures_util::StreamExt;
use jarvis_ai::{NewProvider, ProviderKind};
use jarvis_app::{App, AppConfig, SecretsConfig};
use jarvis_server::{HostPolicy, JarvisdRuntime, router};
use secrecy::SecretString;

const TOKEN: &str = "bench-owner-token";

async fn completions() -> impl IntoResponse {
    let chunks = [
        r#"data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"fake","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}"#,
        r#"data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"fake","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        "data: [DONE]",
    ];
    let body: String = chunks.iter().map(|c| format!("{c}\n\n")).collect();
    ([("content-type", "text/event-stream")], Body::from(body))
}

async fn models() -> impl IntoResponse {
    axum::Json(serde_json::json!({"object": "list", "data": [{"id": "fake", "object": "model"}]}))
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

/// Microseconds from sending the request to the first content token.
async fn first_token(client: &reqwest::Client, url: &str, auth: Option<&str>) -> f64 {
    let body = serde_json::json!({
        "model": "fake",
        "stream": true,
        "messages": [{"role": "user", "content": "Say hi"}],
    });
    let started = Instant::now();
    let mut request = client.post(url).json(&body);
    if let Some(token) = auth {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let mut stream = response.bytes_stream();
    let mut seen = Vec::new();
    let mut elapsed = None;
    while let Some(chunk) = stream.next().await {
        seen.extend_from_slice(&chunk.unwrap());
        if elapsed.is_none() && seen.windows(4).any(|w| w == b"\"Hi\"") {
            elapsed = Some(started.elapsed());
        }
    }
    elapsed.expect("a token arrived").as_secs_f64() * 1e6
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn main() {
    let count: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(2_000);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let upstream = serve(
            Router::new()
                .route("/v1/chat/completions", post(completions))
                .route("/v1/models", get(models)),
        )
        .await;

        let dir = tempfile::tempdir().unwrap();
        let secrets = dir.path().join("secrets");
        std::fs::create_dir_all(&secrets).unwrap();
        let app = App::open(
            &AppConfig {
                data_dir: dir.path().join("data"),
                secrets: SecretsConfig::Files(secrets),
            },
            Arc::new(JarvisdRuntime::default()),
        )
        .unwrap();
        app.providers
            .add(NewProvider {
                name: "Local".into(),
                kind: ProviderKind::Openai,
                base_url: format!("{upstream}/v1"),
                model: "fake".into(),
                embedding_model: None,
                api_key: None,
            })
            .await
            .unwrap();
        let (_stop, shutdown) = tokio::sync::watch::channel(false);
        let jarvis = serve(router(
            app,
            SecretString::from(TOKEN),
            HostPolicy::loopback(),
            shutdown,
        ))
        .await;

        let client = reqwest::Client::builder()
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let direct_url = format!("{upstream}/v1/chat/completions");
        let jarvis_url = format!("{jarvis}/v1/chat/completions");
        for _ in 0..100 {
            first_token(&client, &direct_url, None).await;
            first_token(&client, &jarvis_url, Some(TOKEN)).await;
        }
        let (mut direct, mut via, mut overhead) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..count {
            let d = first_token(&client, &direct_url, None).await;
            let j = first_token(&client, &jarvis_url, Some(TOKEN)).await;
            direct.push(d);
            via.push(j);
            overhead.push(j - d);
        }
        for v in [&mut direct, &mut via, &mut overhead] {
            v.sort_by(f64::total_cmp);
        }
        let line = |name: &str, v: &[f64]| {
            println!(
                "{name}: p50 {:.0} µs, p99 {:.0} µs",
                percentile(v, 0.5),
                percentile(v, 0.99)
            )
        };
        println!("time to first token, {count} streamed requests each way (loopback upstream answering at once):");
        line("  direct to the server        ", &direct);
        line("  through Jarvis /v1          ", &via);
        line("  overhead (pairwise)         ", &overhead);
    });
}
