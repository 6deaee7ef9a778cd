//! The built-in model: llama.cpp running a GGUF file on this machine, in
//! its own process (`jarvis-llm`, next to the app's binary). No key, no
//! server. The process answers one request in JSON lines and exits; Stop
//! kills it. A separate process because whisper.cpp (voice) and llama.cpp
//! each bundle their own ggml and cannot share one binary, and because an
//! engine crash then cannot take the app down.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use futures::StreamExt;
use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

use super::{ChatProvider, ChatRequest, Fault, TokenStream};

/// Overrides where the engine binary is looked for.
pub const ENGINE_ENV: &str = "JARVIS_LLM_BIN";
const ENGINE_NAME: &str = "jarvis-llm";

pub struct LocalProvider {
    path: PathBuf,
    threads: usize,
}

/// One line from the engine.
#[derive(Deserialize)]
struct Line {
    #[serde(default)]
    ready: bool,
    text: Option<String>,
    #[serde(default)]
    done: bool,
    error: Option<String>,
}

impl LocalProvider {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        // At most two threads: on a busy two-core machine more threads
        // contend and slow everything down (measured with whisper.cpp too).
        let threads = std::thread::available_parallelism()
            .map(|n| n.get().clamp(1, 2))
            .unwrap_or(1);
        Self {
            path: path.into(),
            threads,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// `$JARVIS_LLM_BIN`, else `jarvis-llm` beside the running binary (or one
/// level up, for test binaries in target/*/deps).
fn engine() -> Result<PathBuf, Fault> {
    if let Some(path) = std::env::var_os(ENGINE_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().map_err(|e| Fault::Local(e.to_string()))?;
    let dir = exe.parent().unwrap_or(Path::new("."));
    [dir.join(ENGINE_NAME), dir.join("..").join(ENGINE_NAME)]
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| {
            Fault::Local(format!(
                "the engine ({ENGINE_NAME}) is not installed next to {}; build it with `cargo build -p jarvis-llm` or set {ENGINE_ENV}",
                exe.display()
            ))
        })
}

fn protocol(e: impl std::fmt::Display) -> Fault {
    Fault::Local(format!("the engine sent something unreadable: {e}"))
}

#[async_trait::async_trait]
impl ChatProvider for LocalProvider {
    async fn stream(&self, request: &ChatRequest) -> Result<TokenStream, Fault> {
        if !self.path.is_file() {
            return Err(Fault::Local(format!(
                "no model file at {}",
                self.path.display()
            )));
        }
        let mut child = Command::new(engine()?)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true) // dropping the stream (Stop) ends the engine
            .spawn()
            .map_err(|e| Fault::Local(format!("cannot start the engine: {e}")))?;
        let messages: Vec<serde_json::Value> = request
            .messages
            .iter()
            .map(|m| serde_json::json!({"role": m.role.as_str(), "content": m.content}))
            .collect();
        let body = serde_json::json!({
            "model_path": self.path,
            "messages": messages,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "threads": self.threads,
        });
        let mut stdin = child.stdin.take().ok_or_else(|| protocol("no stdin"))?;
        stdin
            .write_all(format!("{body}\n").as_bytes())
            .await
            .map_err(|e| Fault::Local(format!("cannot talk to the engine: {e}")))?;
        drop(stdin);
        let stdout = child.stdout.take().ok_or_else(|| protocol("no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();

        // Loading the model and reading the prompt come before the first
        // token: failures there are returned here, not as a cut stream.
        loop {
            let line = lines.next_line().await.map_err(protocol)?;
            let Some(line) = line else {
                return Err(Fault::Local("the engine stopped before answering".into()));
            };
            let line: Line = serde_json::from_str(&line).map_err(protocol)?;
            if let Some(error) = line.error {
                return Err(Fault::Local(error));
            }
            if line.ready {
                break;
            }
        }
        Ok(async_stream::stream! {
            let _child = child; // lives (and is killed on drop) with the stream
            loop {
                match lines.next_line().await {
                    Ok(Some(line)) => match serde_json::from_str::<Line>(&line) {
                        Ok(Line { text: Some(text), .. }) => yield Ok(text),
                        Ok(Line { error: Some(error), .. }) => {
                            yield Err(Fault::Local(error));
                            break;
                        }
                        Ok(Line { done: true, .. }) => break,
                        Ok(_) => {}
                        Err(e) => {
                            yield Err(protocol(e));
                            break;
                        }
                    },
                    // The engine ended without saying it was done.
                    Ok(None) | Err(_) => {
                        yield Err(Fault::Cut);
                        break;
                    }
                }
            }
        }
        .boxed())
    }

    async fn models(&self) -> Result<Vec<String>, Fault> {
        if !self.path.is_file() {
            return Err(Fault::Local(format!(
                "no model file at {}",
                self.path.display()
            )));
        }
        Ok(vec![
            self.path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ])
    }
}
