//! Anthropic Messages: `POST {base}/v1/messages` with `stream: true`.

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::http::{send, send_for_json, strings_of};
use super::{ChatProvider, ChatRequest, Fault, Role, TokenStream, sse};

const VERSION: &str = "2023-06-01";
/// Anthropic requires max_tokens; this is used when the caller sets none.
const DEFAULT_MAX_TOKENS: u32 = 4096;

pub struct AnthropicProvider {
    client: reqwest::Client,
    base_url: String,
    api_key: SecretString,
}

impl AnthropicProvider {
    /// `base_url` without the version, e.g. `https://api.anthropic.com`.
    pub fn new(client: reqwest::Client, base_url: &str, api_key: SecretString) -> Self {
        Self {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
        }
    }

    fn request(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        builder
            .header("x-api-key", self.api_key.expose_secret())
            .header("anthropic-version", VERSION)
    }
}

#[async_trait::async_trait]
impl ChatProvider for AnthropicProvider {
    async fn stream(&self, request: &ChatRequest) -> Result<TokenStream, Fault> {
        // System text goes in its own field; the turns must be user/assistant.
        let system: Vec<&str> = request
            .messages
            .iter()
            .filter(|m| m.role == Role::System)
            .map(|m| m.content.as_str())
            .collect();
        let messages: Vec<_> = request
            .messages
            .iter()
            .filter(|m| m.role != Role::System)
            .map(|m| json!({"role": m.role, "content": m.content}))
            .collect();
        let mut body = json!({
            "model": request.model,
            "messages": messages,
            "max_tokens": request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
            "stream": true,
        });
        if !system.is_empty() {
            body["system"] = json!(system.join("\n\n"));
        }
        if let Some(t) = request.temperature {
            body["temperature"] = json!(t);
        }
        let response = send(
            self.request(self.client.post(format!("{}/v1/messages", self.base_url)))
                .json(&body),
        )
        .await?;
        Ok(sse::anthropic(response.bytes_stream()))
    }

    async fn models(&self) -> Result<Vec<String>, Fault> {
        let value =
            send_for_json(self.request(self.client.get(format!("{}/v1/models", self.base_url))))
                .await?;
        Ok(strings_of(&value, "data", "id"))
    }
}
