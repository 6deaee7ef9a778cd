//! Shared by the integration tests and the bench: where the fixtures and the
//! test model live, and how two intents are compared.
#![allow(dead_code)] // each test binary uses a different part

use std::path::PathBuf;

use jarvis_voice::{Intent, IntentContext, parse};

/// `shared/` sits next to the repository.
pub fn shared_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))
}

pub fn fixtures_dir() -> PathBuf {
    shared_dir().join("fixtures/voice")
}

const MODEL_BYTES: u64 = 77_704_698;

/// The whisper tiny.en model kept for tests; panics with what to do if it
/// is missing, since without it nothing here means anything.
pub fn model_path() -> PathBuf {
    let path = shared_dir().join("models/ggml-tiny.en.bin");
    match std::fs::metadata(&path) {
        Ok(meta) if meta.len() == MODEL_BYTES => path,
        Ok(meta) => panic!(
            "{} is {} bytes, expected {MODEL_BYTES} (SHA-256 d16050124c5e21c45f264653a08c69fed83ea0885975d3471d6a5614c3266035): replace it",
            path.display(),
            meta.len()
        ),
        Err(e) => panic!(
            "whisper test model missing: cannot read {} ({e}). It lives in shared/models/ next to the repository \
             (whisper tiny.en, 77,704,698 bytes, SHA-256 d16050124c5e21c45f264653a08c69fed83ea0885975d3471d6a5614c3266035)",
            path.display()
        ),
    }
}

/// (id, reference transcript) from `transcripts.tsv`, in file order.
pub fn fixtures() -> Vec<(String, String)> {
    let path = fixtures_dir().join("transcripts.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "voice fixtures missing: cannot read {} ({e}); they live in shared/fixtures/voice/ next to the repository",
            path.display()
        )
    });
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let (id, said) = line
                .split_once('\t')
                .unwrap_or_else(|| panic!("{}: line without a tab: {line:?}", path.display()));
            (id.trim().to_string(), said.trim().to_string())
        })
        .collect()
}

/// The intent of a transcript, with free text (chat, notes) reduced to
/// lower-case words: whisper adds capitals and punctuation the reference
/// lacks, which the app does not act on.
pub fn comparable_intent(transcript: &str) -> Result<Intent, String> {
    let words = |text: &str| {
        text.split(|c: char| !c.is_alphanumeric() && c != '\'')
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join(" ")
    };
    match parse(transcript, &IntentContext::default()) {
        Ok(Intent::Chat { text }) => Ok(Intent::Chat { text: words(&text) }),
        Ok(Intent::Remember { text }) => Ok(Intent::Remember { text: words(&text) }),
        Ok(other) => Ok(other),
        Err(e) => Err(e.to_string()),
    }
}
