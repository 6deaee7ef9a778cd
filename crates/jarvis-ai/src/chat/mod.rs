//! Chat with AI providers: the [`ChatProvider`] port, one adapter per wire
//! protocol, and the resilience around them (retry, circuit breaker, fallback).

mod anthropic;
mod detect;
mod embeddings;
mod fault;
mod gemini;
mod http;
mod local;
mod openai;
pub mod resilience;
mod service;
pub mod sse;

pub use anthropic::AnthropicProvider;
pub use detect::{DetectedServer, KNOWN_LOCAL_SERVERS, detect_local_servers};
pub use fault::Fault;
pub use gemini::GeminiProvider;
pub use local::LocalProvider;
pub use openai::OpenAiProvider;
pub use service::{
    CHAIN_MODEL, ChatError, ChatService, Completion, ProviderCircuit, Regenerate, SendMessage,
    SendReceipt,
};

use std::pin::Pin;

use futures::Stream;
pub use jarvis_core::Role;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}

/// One request to one provider.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
}

/// Text as it streams in. The stream ends after the provider said it was
/// done; a stream that stops early ends with [`Fault::Cut`].
pub type TokenStream = Pin<Box<dyn Stream<Item = Result<String, Fault>> + Send>>;

/// A chat provider: one wire protocol at one address with one key.
#[async_trait::async_trait]
pub trait ChatProvider: Send + Sync {
    /// Starts a streamed answer. Errors before the response starts are
    /// returned here; later ones come through the stream.
    async fn stream(&self, request: &ChatRequest) -> Result<TokenStream, Fault>;

    /// The models the provider offers, from its models endpoint.
    async fn models(&self) -> Result<Vec<String>, Fault>;
}
