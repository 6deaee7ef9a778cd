//! OpenAI-compatible servers: `POST {base}/chat/completions` with SSE.
//! OpenAI, Ollama, llama.cpp's server, LM Studio and vLLM all speak it.

use serde_json::json;

use super::http::{send, send_for_json, strings_of};
use super::{ChatProvider, ChatRequest, Fault, TokenStream, sse};

pub struct OpenAiProvider {
    client: reqwest::Client,
    base_url: String,
    api_key: Option<secrecy::SecretString>,
}

impl OpenAiProvider {
    /// `base_url` includes the version, e.g. `https://api.openai.com/v1`.
    pub fn new(
        client: reqwest::Client,
        base_url: &str,
        api_key: Option<secrecy::SecretString>,
    ) -> Self {
        Self {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
        }
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        let builder = self.client.post(format!("{}{path}", self.base_url));
        self.authorise(builder)
    }

    fn authorise(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        use secrecy::ExposeSecret;
        match &self.api_key {
            Some(key) => builder.bearer_auth(key.expose_secret()),
            None => builder,
        }
    }
}

#[async_trait::async_trait]
impl ChatProvider for OpenAiProvider {
    async fn stream(&self, request: &ChatRequest) -> Result<TokenStream, Fault> {
        let mut body = json!({
            "model": request.model,
            "messages": request.messages,
            "stream": true,
        });
        if let Some(max) = request.max_tokens {
            body["max_tokens"] = json!(max);
        }
        if let Some(t) = request.temperature {
            body["temperature"] = json!(t);
        }
        let response = send(self.post("/chat/completions").json(&body)).await?;
        Ok(sse::openai(response.bytes_stream()))
    }

    async fn models(&self) -> Result<Vec<String>, Fault> {
        let value =
            send_for_json(self.authorise(self.client.get(format!("{}/models", self.base_url))))
                .await?;
        Ok(strings_of(&value, "data", "id"))
    }
}
