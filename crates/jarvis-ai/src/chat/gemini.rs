//! Gemini: `POST {base}/v1beta/models/{model}:streamGenerateContent?alt=sse`.

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::http::{send, send_for_json, strings_of};
use super::{ChatProvider, ChatRequest, Fault, Role, TokenStream, sse};

pub struct GeminiProvider {
    client: reqwest::Client,
    base_url: String,
    api_key: SecretString,
}

impl GeminiProvider {
    /// `base_url` without the version, e.g. `https://generativelanguage.googleapis.com`.
    pub fn new(client: reqwest::Client, base_url: &str, api_key: SecretString) -> Self {
        Self {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
        }
    }
}

/// `models/gemini-2.5-flash` and `gemini-2.5-flash` name the same model.
fn model_path(model: &str) -> String {
    if model.starts_with("models/") {
        model.to_owned()
    } else {
        format!("models/{model}")
    }
}

#[async_trait::async_trait]
impl ChatProvider for GeminiProvider {
    async fn stream(&self, request: &ChatRequest) -> Result<TokenStream, Fault> {
        let system: Vec<_> = request
            .messages
            .iter()
            .filter(|m| m.role == Role::System)
            .map(|m| json!({"text": m.content}))
            .collect();
        let contents: Vec<_> = request
            .messages
            .iter()
            .filter(|m| m.role != Role::System)
            .map(|m| {
                let role = if m.role == Role::Assistant {
                    "model"
                } else {
                    "user"
                };
                json!({"role": role, "parts": [{"text": m.content}]})
            })
            .collect();
        let mut body = json!({ "contents": contents });
        if !system.is_empty() {
            body["systemInstruction"] = json!({ "parts": system });
        }
        let mut config = serde_json::Map::new();
        if let Some(max) = request.max_tokens {
            config.insert("maxOutputTokens".into(), json!(max));
        }
        if let Some(t) = request.temperature {
            config.insert("temperature".into(), json!(t));
        }
        if !config.is_empty() {
            body["generationConfig"] = config.into();
        }
        let url = format!(
            "{}/v1beta/{}:streamGenerateContent?alt=sse",
            self.base_url,
            model_path(&request.model)
        );
        let response = send(
            self.client
                .post(url)
                // The key goes in a header, never in the URL (URLs end up in logs).
                .header("x-goog-api-key", self.api_key.expose_secret())
                .json(&body),
        )
        .await?;
        Ok(sse::gemini(response.bytes_stream()))
    }

    async fn models(&self) -> Result<Vec<String>, Fault> {
        let request = self
            .client
            .get(format!("{}/v1beta/models", self.base_url))
            .header("x-goog-api-key", self.api_key.expose_secret());
        let value = send_for_json(request).await?;
        Ok(strings_of(&value, "models", "name")
            .into_iter()
            .map(|n| n.trim_start_matches("models/").to_owned())
            .collect())
    }
}
