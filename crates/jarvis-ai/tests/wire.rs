//! Each provider against a local HTTP server that speaks its wire format byte
//! for byte, faults included: 500, 429 with Retry-After, a hang before the
//! first byte, a stream cut mid-message, malformed JSON, a slow trickle.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;

use futures::StreamExt;
use jarvis_ai::chat::resilience::{
    Attempt, BreakerConfig, BreakerState, Candidate, CircuitBreaker, RetryPolicy, Timeouts, start,
};
use jarvis_ai::chat::{
    AnthropicProvider, ChatMessage, ChatProvider, ChatRequest, Fault, GeminiProvider,
    OpenAiProvider, Role,
};
use secrecy::SecretString;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(2))
        .build()
        .unwrap()
}

fn request(model: &str) -> ChatRequest {
    ChatRequest {
        model: model.into(),
        messages: vec![
            ChatMessage::new(Role::System, "Be brief."),
            ChatMessage::new(Role::User, "What colour is Mars?"),
        ],
        max_tokens: Some(64),
        temperature: None,
    }
}

async fn collect(provider: &dyn ChatProvider, request: &ChatRequest) -> (String, Option<Fault>) {
    let mut stream = provider.stream(request).await.unwrap();
    let mut text = String::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(t) => text.push_str(&t),
            Err(f) => return (text, Some(f)),
        }
    }
    (text, None)
}

fn key() -> SecretString {
    SecretString::from("test-key-0123456789".to_owned())
}

#[tokio::test]
async fn openai_streams_and_sends_its_documented_request() {
    let server = FakeServer::start(vec![sse_response(OPENAI_EVENTS, Duration::ZERO)]).await;
    let provider = OpenAiProvider::new(client(), &format!("{}/v1", server.url), Some(key()));
    let (text, fault) = collect(&provider, &request("gpt-4o-mini")).await;
    assert_eq!((text.as_str(), fault), ("Mars is red.", None));
    let sent = server.last_request();
    assert!(
        sent.starts_with("POST /v1/chat/completions HTTP/1.1"),
        "{sent}"
    );
    assert!(
        sent.to_lowercase()
            .contains("authorization: bearer test-key-0123456789")
    );
    assert!(sent.contains("\"stream\":true"));
    assert!(sent.contains("\"role\":\"system\""));
}

#[tokio::test]
async fn anthropic_streams_with_its_headers_and_system_field() {
    let server = FakeServer::start(vec![sse_response(ANTHROPIC_EVENTS, Duration::ZERO)]).await;
    let provider = AnthropicProvider::new(client(), &server.url, key());
    let (text, fault) = collect(&provider, &request("claude-sonnet-4-5")).await;
    assert_eq!((text.as_str(), fault), ("Mars is red.", None));
    let sent = server.last_request().to_lowercase();
    assert!(sent.starts_with("post /v1/messages http/1.1"), "{sent}");
    assert!(sent.contains("x-api-key: test-key-0123456789"));
    assert!(sent.contains("anthropic-version: 2023-06-01"));
    assert!(sent.contains("\"system\":\"be brief.\""));
    assert!(sent.contains("\"max_tokens\":64"));
}

#[tokio::test]
async fn gemini_streams_with_the_key_in_a_header_not_the_url() {
    let server = FakeServer::start(vec![sse_response(GEMINI_EVENTS, Duration::ZERO)]).await;
    let provider = GeminiProvider::new(client(), &server.url, key());
    let (text, fault) = collect(&provider, &request("gemini-2.5-flash")).await;
    assert_eq!((text.as_str(), fault), ("Mars is red.", None));
    let sent = server.last_request();
    let first_line = sent.lines().next().unwrap();
    assert_eq!(
        first_line,
        "POST /v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse HTTP/1.1"
    );
    assert!(
        sent.to_lowercase()
            .contains("x-goog-api-key: test-key-0123456789")
    );
    assert!(sent.contains("\"systemInstruction\""));
    assert!(sent.contains("\"maxOutputTokens\":64"));
}

#[tokio::test]
async fn error_bodies_become_faults_with_the_providers_message() {
    let server = FakeServer::start(vec![status_response(
        "401 Unauthorized",
        "",
        r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"#,
    )])
    .await;
    let provider = OpenAiProvider::new(client(), &server.url, Some(key()));
    let fault = provider.stream(&request("m")).await.err().unwrap();
    assert_eq!(
        fault,
        Fault::Refused {
            status: 401,
            message: "Incorrect API key provided".into()
        }
    );
    assert!(!fault.retryable());
}

fn candidate(
    name: &str,
    provider: Arc<dyn ChatProvider>,
    breaker: Arc<CircuitBreaker>,
) -> Candidate {
    Candidate {
        name: name.into(),
        provider,
        breaker,
        request: request("m"),
    }
}

fn fast_retry(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
    }
}

fn breaker() -> Arc<CircuitBreaker> {
    Arc::new(CircuitBreaker::new(BreakerConfig::default()))
}

async fn drain(stream: jarvis_ai::chat::TokenStream) -> (String, Option<Fault>) {
    let mut stream = stream;
    let mut text = String::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(t) => text.push_str(&t),
            Err(f) => return (text, Some(f)),
        }
    }
    (text, None)
}

#[tokio::test]
async fn a_500_then_a_429_with_retry_after_are_retried_then_succeed() {
    let server = FakeServer::start(vec![
        status_response(
            "500 Internal Server Error",
            "",
            r#"{"error":{"message":"boom"}}"#,
        ),
        status_response(
            "429 Too Many Requests",
            "retry-after: 1\r\n",
            r#"{"error":{"message":"slow down"}}"#,
        ),
        sse_response(OPENAI_EVENTS, Duration::ZERO),
    ])
    .await;
    let provider = Arc::new(OpenAiProvider::new(client(), &server.url, None));
    let chain = [candidate("local", provider, breaker())];
    let began = Instant::now();
    let started = start(&chain, &fast_retry(3), &Timeouts::default())
        .await
        .ok()
        .unwrap();
    assert!(
        began.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
    assert_eq!(server.hits(), 3);
    assert_eq!(started.attempts.len(), 2);
    assert!(
        matches!(started.attempts[1].fault, Fault::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(1))
    );
    assert_eq!(drain(started.stream).await, ("Mars is red.".into(), None));
}

#[tokio::test]
async fn a_hang_before_the_first_byte_times_out_and_falls_back() {
    let hanging = FakeServer::start(vec![vec![Act::Hang]]).await;
    let healthy = FakeServer::start(vec![sse_response(ANTHROPIC_EVENTS, Duration::ZERO)]).await;
    let chain = [
        candidate(
            "hangs",
            Arc::new(OpenAiProvider::new(client(), &hanging.url, None)),
            breaker(),
        ),
        candidate(
            "claude",
            Arc::new(AnthropicProvider::new(client(), &healthy.url, key())),
            breaker(),
        ),
    ];
    let timeouts = Timeouts {
        first_token: Duration::from_millis(300),
        idle: Duration::from_secs(5),
    };
    let began = Instant::now();
    let started = start(&chain, &fast_retry(2), &timeouts).await.ok().unwrap();
    assert!(began.elapsed() < Duration::from_secs(3), "nothing hangs");
    assert_eq!(started.provider, "claude", "the fallback answered");
    assert_eq!(
        started.attempts,
        vec![
            Attempt {
                provider: "hangs".into(),
                fault: Fault::Timeout("waiting for the first token")
            };
            2
        ]
    );
    assert_eq!(drain(started.stream).await.0, "Mars is red.");
}

#[tokio::test]
async fn a_stream_cut_mid_message_keeps_the_partial_text_and_does_not_fall_back() {
    let cutting = FakeServer::start(vec![cut_response(&OPENAI_EVENTS[..2])]).await;
    let other = FakeServer::start(vec![sse_response(GEMINI_EVENTS, Duration::ZERO)]).await;
    let chain = [
        candidate(
            "cuts",
            Arc::new(OpenAiProvider::new(client(), &cutting.url, None)),
            breaker(),
        ),
        candidate(
            "gemini",
            Arc::new(GeminiProvider::new(client(), &other.url, key())),
            breaker(),
        ),
    ];
    let started = start(&chain, &fast_retry(2), &Timeouts::default())
        .await
        .ok()
        .unwrap();
    assert_eq!(started.provider, "cuts");
    let (text, fault) = drain(started.stream).await;
    assert_eq!(text, "Mars is");
    assert!(
        matches!(fault, Some(Fault::Cut | Fault::Connect(_))),
        "{fault:?}"
    );
    assert_eq!(other.hits(), 0, "no silent retry after the first token");
}

#[tokio::test]
async fn malformed_json_before_any_text_fails_over() {
    let broken = FakeServer::start(vec![sse_response(
        &["data: {\"choices\": [oops\n\n"],
        Duration::ZERO,
    )])
    .await;
    let healthy = FakeServer::start(vec![sse_response(OPENAI_EVENTS, Duration::ZERO)]).await;
    let chain = [
        candidate(
            "broken",
            Arc::new(OpenAiProvider::new(client(), &broken.url, None)),
            breaker(),
        ),
        candidate(
            "healthy",
            Arc::new(OpenAiProvider::new(client(), &healthy.url, None)),
            breaker(),
        ),
    ];
    let started = start(&chain, &fast_retry(3), &Timeouts::default())
        .await
        .ok()
        .unwrap();
    assert_eq!(started.provider, "healthy");
    assert_eq!(broken.hits(), 1, "a protocol error is not retried");
    assert!(matches!(started.attempts[0].fault, Fault::Protocol(_)));
}

#[tokio::test]
async fn a_slow_trickle_streams_and_an_idle_stream_times_out() {
    let slow =
        FakeServer::start(vec![sse_response(OPENAI_EVENTS, Duration::from_millis(60))]).await;
    let chain = [candidate(
        "slow",
        Arc::new(OpenAiProvider::new(client(), &slow.url, None)),
        breaker(),
    )];
    let timeouts = Timeouts {
        first_token: Duration::from_secs(2),
        idle: Duration::from_millis(500),
    };
    let started = start(&chain, &fast_retry(1), &timeouts).await.ok().unwrap();
    assert_eq!(drain(started.stream).await, ("Mars is red.".into(), None));

    let mut stalls = sse_response(&OPENAI_EVENTS[..2], Duration::ZERO);
    stalls.pop();
    stalls.push(Act::Hang);
    let stalling = FakeServer::start(vec![stalls]).await;
    let chain = [candidate(
        "stalls",
        Arc::new(OpenAiProvider::new(client(), &stalling.url, None)),
        breaker(),
    )];
    let timeouts = Timeouts {
        first_token: Duration::from_secs(2),
        idle: Duration::from_millis(200),
    };
    let started = start(&chain, &fast_retry(1), &timeouts).await.ok().unwrap();
    let began = Instant::now();
    let (text, fault) = drain(started.stream).await;
    assert_eq!(text, "Mars is");
    assert_eq!(fault, Some(Fault::Timeout("the stream went silent")));
    assert!(began.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn repeated_failures_open_the_breaker_and_skip_the_provider() {
    let failing =
        FakeServer::start(vec![status_response("503 Service Unavailable", "", "{}")]).await;
    let healthy = FakeServer::start(vec![sse_response(OPENAI_EVENTS, Duration::ZERO)]).await;
    let failing_breaker = Arc::new(CircuitBreaker::new(BreakerConfig {
        failure_threshold: 2,
        open_for: Duration::from_secs(60),
    }));
    let chain = [
        candidate(
            "failing",
            Arc::new(OpenAiProvider::new(client(), &failing.url, None)),
            failing_breaker.clone(),
        ),
        candidate(
            "healthy",
            Arc::new(OpenAiProvider::new(client(), &healthy.url, None)),
            breaker(),
        ),
    ];
    let first = start(&chain, &fast_retry(2), &Timeouts::default())
        .await
        .ok()
        .unwrap();
    assert_eq!(first.provider, "healthy");
    assert_eq!(failing_breaker.state(), BreakerState::Open);
    assert_eq!(failing.hits(), 2);

    let second = start(&chain, &fast_retry(2), &Timeouts::default())
        .await
        .ok()
        .unwrap();
    assert_eq!(second.provider, "healthy");
    assert_eq!(second.attempts[0].fault, Fault::CircuitOpen);
    assert_eq!(failing.hits(), 2, "an open circuit sends nothing");
}

#[tokio::test]
async fn when_every_provider_fails_each_reason_is_reported() {
    let down =
        FakeServer::start(vec![status_response("500 Internal Server Error", "", "{}")]).await;
    let chain = [
        candidate(
            "down",
            Arc::new(OpenAiProvider::new(client(), &down.url, None)),
            breaker(),
        ),
        // Nothing listens on port 9 on loopback: a connect error.
        candidate(
            "nowhere",
            Arc::new(OpenAiProvider::new(client(), "http://127.0.0.1:9", None)),
            breaker(),
        ),
    ];
    let attempts = start(&chain, &fast_retry(2), &Timeouts::default())
        .await
        .err()
        .unwrap();
    assert_eq!(attempts.len(), 4);
    assert!(matches!(
        attempts[0].fault,
        Fault::Server { status: 500, .. }
    ));
    assert!(matches!(attempts[3].fault, Fault::Connect(_)));
}

#[tokio::test]
async fn model_lists_come_from_each_models_endpoint() {
    let openai = FakeServer::start(vec![status_response(
        "200 OK",
        "",
        r#"{"object":"list","data":[{"id":"llama3.2:1b","object":"model","created":1,"owned_by":"library"}]}"#,
    )])
    .await;
    let gemini = FakeServer::start(vec![status_response(
        "200 OK",
        "",
        r#"{"models":[{"name":"models/gemini-2.5-flash","displayName":"Gemini 2.5 Flash"}]}"#,
    )])
    .await;
    let anthropic = FakeServer::start(vec![status_response(
        "200 OK",
        "",
        r#"{"data":[{"type":"model","id":"claude-sonnet-4-5","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"}],"has_more":false,"first_id":"claude-sonnet-4-5","last_id":"claude-sonnet-4-5"}"#,
    )])
    .await;
    assert_eq!(
        OpenAiProvider::new(client(), &format!("{}/v1", openai.url), None)
            .models()
            .await
            .unwrap(),
        ["llama3.2:1b"]
    );
    assert!(openai.last_request().starts_with("GET /v1/models "));
    assert_eq!(
        GeminiProvider::new(client(), &gemini.url, key())
            .models()
            .await
            .unwrap(),
        ["gemini-2.5-flash"]
    );
    assert_eq!(
        AnthropicProvider::new(client(), &anthropic.url, key())
            .models()
            .await
            .unwrap(),
        ["claude-sonnet-4-5"]
    );
}

#[tokio::test]
async fn local_servers_that_answer_their_models_endpoint_are_detected() {
    let ollama = FakeServer::start(vec![status_response(
        "200 OK",
        "",
        r#"{"object":"list","data":[{"id":"llama3.2:1b","object":"model","created":1,"owned_by":"library"},{"id":"qwen2.5:0.5b","object":"model","created":1,"owned_by":"library"}]}"#,
    )])
    .await;
    let hanging = FakeServer::start(vec![vec![Act::Hang]]).await;
    let ollama_url = format!("{}/v1", ollama.url);
    let hanging_url = format!("{}/v1", hanging.url);
    let began = Instant::now();
    let found = jarvis_ai::chat::detect_local_servers(&[
        ("Ollama", ollama_url.as_str()),
        ("llama.cpp", "http://127.0.0.1:9/v1"),
        ("LM Studio", hanging_url.as_str()),
    ])
    .await;
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "probes run at once and give up quickly"
    );
    assert_eq!(
        found,
        vec![jarvis_ai::chat::DetectedServer {
            name: "Ollama".into(),
            base_url: ollama_url,
            models: vec!["llama3.2:1b".into(), "qwen2.5:0.5b".into()],
        }]
    );
}
