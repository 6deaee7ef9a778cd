//! `jarvis-llm`: runs one answer of the built-in model and exits.
//!
//! Reads one JSON request on stdin:
//! `{"model_path", "messages": [{"role", "content"}], "max_tokens"?, "temperature"?, "threads"?}`
//! and writes JSON lines on stdout: `{"ready": true}` once the prompt is
//! read, then `{"text": "…"}` per piece (whole UTF-8 characters only), then
//! `{"done": true}`, or `{"error": "…"}` at any point. The app kills the
//! process to stop an answer.

use std::io::{BufRead, Write};
use std::num::NonZeroU32;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use serde::Deserialize;
use serde_json::json;

/// Answers are capped here unless the request asks for fewer.
const DEFAULT_MAX_TOKENS: u32 = 512;
/// Context window for one answer (prompt + reply).
const CONTEXT_TOKENS: u32 = 4096;
const BATCH: usize = 512;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    model_path: PathBuf,
    messages: Vec<Message>,
    max_tokens: Option<u32>,
    temperature: Option<f32>,
    threads: Option<i32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Message {
    role: String,
    content: String,
}

fn emit(line: serde_json::Value) -> bool {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").and_then(|_| out.flush()).is_ok()
}

fn main() {
    let mut input = String::new();
    let result = std::io::stdin()
        .lock()
        .read_line(&mut input)
        .context("cannot read the request")
        .and_then(|_| serde_json::from_str::<Request>(&input).context("the request is not valid"))
        .and_then(|request| run(&request));
    match result {
        Ok(()) => {
            emit(json!({"done": true}));
        }
        Err(e) => {
            emit(json!({"error": format!("{e:#}")}));
            std::process::exit(1);
        }
    }
}

/// Bytes of a token may end inside a UTF-8 character: hand out only whole
/// characters and keep the rest for the next token.
fn take_text(pending: &mut Vec<u8>) -> String {
    let valid = match std::str::from_utf8(pending) {
        Ok(_) => pending.len(),
        Err(e) => e.valid_up_to(),
    };
    let text = String::from_utf8_lossy(&pending[..valid]).into_owned();
    pending.drain(..valid);
    text
}

fn run(request: &Request) -> Result<()> {
    let path = &request.model_path;
    if !path.is_file() {
        return Err(anyhow!("no model file at {}", path.display()));
    }
    let mut backend = LlamaBackend::init().context("cannot start llama.cpp")?;
    backend.void_logs(); // llama.cpp is chatty on stderr otherwise
    let model = LlamaModel::load_from_file(&backend, path, &LlamaModelParams::default())
        .with_context(|| format!("cannot load {}", path.display()))?;
    let template = model
        .chat_template(None)
        .context("the model has no chat template")?;
    let messages = request
        .messages
        .iter()
        .map(|m| LlamaChatMessage::new(m.role.clone(), m.content.clone()))
        .collect::<Result<Vec<_>, _>>()
        .context("a message cannot be passed to the model")?;
    let prompt = model
        .apply_chat_template(&template, &messages, true)
        .context("cannot format the conversation")?;
    let vocab = model.vocab();
    let mut tokens = vocab.tokenize(prompt.as_bytes(), false, true);
    let max_tokens = request
        .max_tokens
        .unwrap_or(DEFAULT_MAX_TOKENS)
        .min(CONTEXT_TOKENS / 2);
    // Keep the newest part of a prompt that would not fit.
    let room = (CONTEXT_TOKENS - max_tokens) as usize;
    if tokens.len() > room {
        tokens.drain(..tokens.len() - room);
    }

    let threads = request.threads.unwrap_or(1).clamp(1, 16);
    let params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(CONTEXT_TOKENS))
        .with_n_batch(BATCH as u32)
        .with_n_threads(threads)
        .with_n_threads_batch(threads);
    let mut ctx = model
        .new_context(&backend, params)
        .context("cannot create a context")?;
    let mut batch = LlamaBatch::new(BATCH, 1);
    let mut position = 0i32;
    let last = tokens.len().saturating_sub(1);
    for (chunk_index, chunk) in tokens.chunks(BATCH).enumerate() {
        batch.clear();
        for (i, token) in chunk.iter().enumerate() {
            batch.add(*token, position, &[0], chunk_index * BATCH + i == last)?;
            position += 1;
        }
        ctx.decode(&mut batch).context("cannot read the prompt")?;
    }
    if !emit(json!({"ready": true})) {
        return Ok(()); // nobody is listening any more
    }

    let temperature = request.temperature.unwrap_or(0.7);
    let mut sampler = if temperature <= 0.0 {
        LlamaSampler::greedy()
    } else {
        LlamaSampler::chain_simple([
            LlamaSampler::top_k(40),
            LlamaSampler::top_p(0.95, 1),
            LlamaSampler::temp(temperature),
            LlamaSampler::dist(rand::random()),
        ])
    };
    let mut pending = Vec::new();
    for _ in 0..max_tokens {
        let token = sampler.sample(&ctx, batch.n_tokens() - 1);
        sampler.accept(token);
        if vocab.is_eog(token) {
            break;
        }
        pending.extend(vocab.token_to_piece(token, false, None));
        let text = take_text(&mut pending);
        if !text.is_empty() && !emit(json!({ "text": text })) {
            return Ok(()); // stdout closed: the answer was stopped
        }
        batch.clear();
        batch.add(token, position, &[0], true)?;
        position += 1;
        ctx.decode(&mut batch).context("generation failed")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_is_handed_out_only_in_whole_characters() {
        let mut pending = "é".as_bytes()[..1].to_vec();
        assert_eq!(super::take_text(&mut pending), "");
        pending.extend(&"é".as_bytes()[1..]);
        pending.extend(b"t");
        assert_eq!(super::take_text(&mut pending), "ét");
        assert!(pending.is_empty());
    }
}
