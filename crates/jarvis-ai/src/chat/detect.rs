//! Finds OpenAI-compatible servers running on this machine at their usual
//! ports, so the user can add one with a click.

use std::time::Duration;

use futures::future::join_all;
use serde::Serialize;
use ts_rs::TS;

use super::{ChatProvider, OpenAiProvider};

/// A local server that answered its models endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DetectedServer {
    pub name: String,
    pub base_url: String,
    pub models: Vec<String>,
}

/// The usual loopback addresses of local model servers.
pub const KNOWN_LOCAL_SERVERS: &[(&str, &str)] = &[
    ("Ollama", "http://127.0.0.1:11434/v1"),
    ("llama.cpp", "http://127.0.0.1:8080/v1"),
    ("LM Studio", "http://127.0.0.1:1234/v1"),
];

/// Asks each known address for its models, all at once, briefly.
pub async fn detect_local_servers(candidates: &[(&str, &str)]) -> Vec<DetectedServer> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(800))
        .build()
        .expect("the HTTP client builds with static settings");
    let probes = candidates.iter().map(|(name, base_url)| {
        let provider = OpenAiProvider::new(client.clone(), base_url, None);
        async move {
            let models = provider.models().await.ok()?;
            Some(DetectedServer {
                name: (*name).to_owned(),
                base_url: (*base_url).to_owned(),
                models,
            })
        }
    });
    join_all(probes).await.into_iter().flatten().collect()
}
