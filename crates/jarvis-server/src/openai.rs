//! The OpenAI-compatible API (`/v1/models`, `/v1/chat/completions`), so any
//! OpenAI client can use Jarvis — with its fallback chain — as its provider.
//! Shapes and error bodies follow OpenAI's API reference.

use std::convert::Infallible;

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use jarvis_ai::chat::{ChatError, ChatMessage, Completion, Role};
use jarvis_core::{Problem, ProblemSource};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ServerState;
use crate::error::status_of;

pub(crate) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route("/models", axum::routing::get(models))
        .route("/chat/completions", axum::routing::post(completions))
}

/// An error as OpenAI sends it: `{"error": {message, type, param, code}}`.
struct OpenAiError(Problem);

impl IntoResponse for OpenAiError {
    fn into_response(self) -> Response {
        let status = status_of(self.0.kind);
        let kind = match status.as_u16() {
            401 => "authentication_error",
            400..=499 => "invalid_request_error",
            _ => "api_error",
        };
        let body = json!({"error": {
            "message": self.0.message,
            "type": kind,
            "param": self.0.field,
            "code": self.0.code,
        }});
        (status, Json(body)).into_response()
    }
}

impl From<ChatError> for OpenAiError {
    fn from(e: ChatError) -> Self {
        OpenAiError(e.problem())
    }
}

async fn models(State(state): State<ServerState>) -> Result<Json<Value>, OpenAiError> {
    let data: Vec<Value> = state
        .app
        .chat
        .model_names()
        .await?
        .into_iter()
        .map(|id| json!({"id": id, "object": "model", "created": 0, "owned_by": "jarvis"}))
        .collect();
    Ok(Json(json!({"object": "list", "data": data})))
}

#[derive(Deserialize)]
struct CompletionRequest {
    model: String,
    messages: Vec<InMessage>,
    #[serde(default)]
    stream: bool,
    max_tokens: Option<u32>,
    max_completion_tokens: Option<u32>,
    temperature: Option<f32>,
    n: Option<u32>,
    tools: Option<Value>,
    // Other sampling options (top_p, stop, user, stream_options…) are
    // accepted and left to the provider's defaults.
}

#[derive(Deserialize)]
struct InMessage {
    role: String,
    content: Content,
}

/// A string, or (newer clients) an array of `{type: "text", text}` parts.
#[derive(Deserialize)]
#[serde(untagged)]
enum Content {
    Text(String),
    Parts(Vec<Part>),
}

#[derive(Deserialize)]
struct Part {
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
}

fn invalid(field: &str, message: impl Into<String>) -> OpenAiError {
    OpenAiError(Problem::invalid_field(field, message))
}

impl CompletionRequest {
    fn messages(self) -> Result<Vec<ChatMessage>, OpenAiError> {
        let mut out = Vec::new();
        for (i, m) in self.messages.into_iter().enumerate() {
            let role = match m.role.as_str() {
                "system" | "developer" => Role::System,
                "user" => Role::User,
                "assistant" => Role::Assistant,
                other => {
                    return Err(invalid(
                        &format!("messages[{i}].role"),
                        format!(
                            "role `{other}` is not supported (system, developer, user, assistant)"
                        ),
                    ));
                }
            };
            let content = match m.content {
                Content::Text(text) => text,
                Content::Parts(parts) => {
                    let mut text = String::new();
                    for part in parts {
                        if part.kind != "text" {
                            return Err(invalid(
                                &format!("messages[{i}].content"),
                                format!("content parts of type `{}` are not supported", part.kind),
                            ));
                        }
                        text.push_str(part.text.as_deref().unwrap_or_default());
                    }
                    text
                }
            };
            out.push(ChatMessage::new(role, content));
        }
        if out.is_empty() {
            return Err(invalid("messages", "must hold at least one message"));
        }
        Ok(out)
    }
}

struct OpenAiJson<T>(T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for OpenAiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|r| invalid("body", r.body_text()).into_response())?;
        crate::json::parse(&bytes)
            .map(OpenAiJson)
            .map_err(|e| OpenAiError(e.0).into_response())
    }
}

async fn completions(
    State(state): State<ServerState>,
    OpenAiJson(request): OpenAiJson<CompletionRequest>,
) -> Result<Response, OpenAiError> {
    if request.n.is_some_and(|n| n != 1) {
        return Err(invalid("n", "only n = 1 is supported"));
    }
    if request.tools.is_some() {
        return Err(invalid("tools", "tool calls are not supported yet"));
    }
    let stream = request.stream;
    let model = request.model.clone();
    let max_tokens = request.max_completion_tokens.or(request.max_tokens);
    let temperature = request.temperature;
    let messages = request.messages()?;
    let completion = state
        .app
        .chat
        .complete(&model, messages, max_tokens, temperature)
        .await?;
    let id = format!("chatcmpl-{}", uuid::Uuid::new_v4().simple());
    let created = unix_now();
    if stream {
        Ok(sse(completion, id, created).into_response())
    } else {
        whole(completion, id, created).await
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

async fn whole(completion: Completion, id: String, created: u64) -> Result<Response, OpenAiError> {
    let Completion {
        model, mut stream, ..
    } = completion;
    let mut content = String::new();
    let mut finish = "stop";
    while let Some(item) = stream.next().await {
        match item {
            Ok(text) => content.push_str(&text),
            Err(fault) => {
                tracing::warn!(%fault, "completion interrupted");
                finish = "length";
                break;
            }
        }
    }
    let body = json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": finish,
        }],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    });
    Ok((StatusCode::OK, Json(body)).into_response())
}

fn sse(
    completion: Completion,
    id: String,
    created: u64,
) -> Sse<impl futures_util::Stream<Item = Result<SseEvent, Infallible>>> {
    let Completion { model, stream, .. } = completion;
    let chunk = move |delta: Value, finish: Option<&str>| {
        SseEvent::default().data(
            json!({
                "id": id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            })
            .to_string(),
        )
    };
    let events = async_stream::stream! {
        yield Ok(chunk(json!({"role": "assistant", "content": ""}), None));
        let mut stream = stream;
        let mut failed = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(text) => yield Ok(chunk(json!({"content": text}), None)),
                Err(fault) => {
                    failed = Some(fault);
                    break;
                }
            }
        }
        match failed {
            None => yield Ok(chunk(json!({}), Some("stop"))),
            Some(fault) => {
                // OpenAI reports a failure mid-stream as an error object.
                yield Ok(SseEvent::default().data(
                    json!({"error": {"message": fault.to_string(), "type": "api_error", "param": null, "code": "interrupted"}}).to_string(),
                ));
            }
        }
        yield Ok(SseEvent::default().data("[DONE]"));
    };
    Sse::new(events)
}
