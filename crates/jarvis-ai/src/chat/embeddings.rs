//! Embeddings from an OpenAI-compatible `POST {base}/embeddings` (OpenAI,
//! Ollama, llama.cpp's server, LM Studio, vLLM), for recall by meaning.

use serde::Deserialize;
use serde_json::json;

use super::Fault;
use super::http::send_for_json;

pub(crate) struct Embedder {
    client: reqwest::Client,
    base_url: String,
    api_key: Option<secrecy::SecretString>,
    pub model: String,
}

#[derive(Deserialize)]
struct Answer {
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    index: usize,
    embedding: Vec<f32>,
}

impl Embedder {
    pub fn new(
        client: reqwest::Client,
        base_url: &str,
        api_key: Option<secrecy::SecretString>,
        model: String,
    ) -> Self {
        Self {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
            model,
        }
    }

    /// One vector per input, in the inputs' order.
    pub async fn embed(&self, inputs: &[String]) -> Result<Vec<Vec<f32>>, Fault> {
        use secrecy::ExposeSecret;
        let mut request = self
            .client
            .post(format!("{}/embeddings", self.base_url))
            .json(&json!({ "model": self.model, "input": inputs }));
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key.expose_secret());
        }
        let value = send_for_json(request).await?;
        let answer: Answer =
            serde_json::from_value(value).map_err(|e| Fault::Protocol(e.to_string()))?;
        let mut vectors: Vec<Option<Vec<f32>>> = vec![None; inputs.len()];
        for item in answer.data {
            let slot = vectors.get_mut(item.index).ok_or_else(|| {
                Fault::Protocol(format!(
                    "an embedding for input {} of {}",
                    item.index,
                    inputs.len()
                ))
            })?;
            *slot = Some(item.embedding);
        }
        vectors
            .into_iter()
            .enumerate()
            .map(|(i, v)| v.ok_or_else(|| Fault::Protocol(format!("no embedding for input {i}"))))
            .collect()
    }
}
