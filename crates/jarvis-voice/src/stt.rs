//! Speech-to-text: the [`Transcriber`] port and its whisper.cpp adapter.
//!
//! whisper.cpp's defaults are made for long recordings: they encode a full
//! 30-second window whatever the clip's length (1-2 s for tiny.en on one
//! core here). A spoken command lasts a few seconds, so [`WhisperTranscriber`]
//! shrinks the encoder's window to the clip (`audio_ctx`), decodes greedily
//! without timestamps into one segment, and primes the decoder with a short
//! command prompt. A shortened window makes whisper prone to saying the
//! command over and over; a token budget and [`drop_repeated_tail`] undo that.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use whisper_rs::{
    FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState,
    WhisperTokenId,
};

use crate::audio::{WHISPER_SAMPLE_RATE, duration_ms};

mod clean;

pub use clean::{clean_text, drop_repeated_tail};

/// Turns 16 kHz mono speech into text. Implemented by [`WhisperTranscriber`];
/// tests and other engines can stand in for it.
pub trait Transcriber: Send + Sync {
    fn transcribe(&self, samples_16k_mono: &[f32]) -> Result<Transcript, SttError>;
}

/// What was heard, and how long hearing it took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    /// Trimmed, without whisper's non-speech markers such as `[BLANK_AUDIO]`;
    /// empty when nothing was said.
    pub text: String,
    /// Length of the audio given, in milliseconds.
    pub audio_ms: f64,
    /// Wall time spent in whisper (mel, encoder, decoder), in milliseconds.
    pub elapsed_ms: f64,
    /// Encoder positions used (1500 is the full 30-second window).
    pub audio_ctx: u32,
}

/// How much audio the encoder looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AudioContext {
    /// Just the clip plus a margin: the fast setting for commands.
    Fit,
    /// whisper's default, the whole 30-second window.
    Full,
    /// A fixed number of positions (50 per second of audio, at most 1500).
    Fixed(u32),
}

/// Settings of the speech-to-text pipeline. [`Default`] is tuned for short
/// spoken commands on a small, busy CPU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SttOptions {
    /// Threads for whisper. One by default: on a busy two-core machine two
    /// threads were 3-10x slower, as they wait on each other.
    pub threads: usize,
    pub audio_context: AudioContext,
    /// Text whisper reads as if said just before the clip, to bias it towards
    /// these words; `None` for no prompt. Defaults to [`COMMAND_PROMPT`];
    /// [`crate::command_vocabulary`] names more companies but its ~155 tokens
    /// cost ~0.4 s per command on one core (every prompt token is decoded).
    pub prompt: Option<String>,
    /// Cut leading and trailing silence before transcribing (see
    /// [`crate::vad`]); done by [`crate::transcribe_file`] and friends.
    pub trim_silence: bool,
    pub language: String,
    /// Re-decode at higher temperatures when the greedy result looks unsure.
    /// Off by default: it can double the time and rarely helps a short command.
    pub temperature_fallback: bool,
}

impl Default for SttOptions {
    fn default() -> Self {
        Self {
            threads: 1,
            audio_context: AudioContext::Fit,
            prompt: Some(COMMAND_PROMPT.into()),
            trim_silence: true,
            language: "en".into(),
            temperature_fallback: false,
        }
    }
}

impl SttOptions {
    /// whisper.cpp's own settings (full 30-second window, no prompt, no
    /// trimming, temperature fallback), with our thread count: the baseline
    /// the fast settings are measured against.
    pub fn whisper_defaults() -> Self {
        Self {
            audio_context: AudioContext::Full,
            prompt: None,
            trim_silence: false,
            temperature_fallback: true,
            ..Self::default()
        }
    }
}

/// The default prompt: the words whisper tiny.en mishears without help
/// ("self five shares", "back as to") and the most traded companies, kept
/// short because whisper decodes every prompt token before the first word.
pub const COMMAND_PROMPT: &str = "Buy or sell shares of Apple, Microsoft, Nvidia, Tesla, Amazon. \
Backtest. Kill switch. P&L. Positions.";

/// Why speech-to-text failed.
#[derive(Debug, Error)]
pub enum SttError {
    #[error(
        "whisper model not found at {}: set JARVIS_WHISPER_MODEL or download ggml-tiny.en.bin", path.display()
    )]
    ModelMissing { path: PathBuf },
    #[error("{}: not a whisper model whisper.cpp can load ({reason})", path.display())]
    ModelLoad { path: PathBuf, reason: String },
    #[error("the prompt cannot be used: {0}")]
    Prompt(String),
    #[error("threads must be at least 1")]
    NoThreads,
    #[error("whisper failed: {0}")]
    Whisper(String),
}

/// whisper encodes 50 positions per second of audio.
const POSITIONS_PER_SECOND: f64 = 50.0;
/// Positions in the full 30-second window.
const FULL_AUDIO_CTX: u32 = 1500;
/// Extra positions (of silence) after the clip: with 32, whisper added stray
/// words after a command; 64 (1.3 s) was clean on every fixture.
const AUDIO_CTX_MARGIN: u32 = 64;
/// whisper works on at least a second of audio; shorter clips get silence.
const MIN_SAMPLES: usize = WHISPER_SAMPLE_RATE as usize;
/// Decoding budget: tokens per second of audio, plus a floor for short clips.
const MAX_TOKENS_PER_SECOND: f64 = 8.0;
const MIN_MAX_TOKENS: u32 = 8;
/// whisper reads at most half its 448-token text context as prompt.
const MAX_PROMPT_TOKENS: usize = 223;

/// A whisper.cpp model loaded once and kept warm between transcriptions.
pub struct WhisperTranscriber {
    context: WhisperContext,
    /// One decoding state, reused: creating it allocates the model's buffers.
    state: Mutex<WhisperState>,
    options: SttOptions,
    prompt_tokens: Vec<WhisperTokenId>,
}

impl std::fmt::Debug for WhisperTranscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhisperTranscriber")
            .field("options", &self.options)
            .field("prompt_tokens", &self.prompt_tokens.len())
            .finish_non_exhaustive()
    }
}

impl WhisperTranscriber {
    /// Loads a ggml whisper model with the default (fast) [`SttOptions`].
    pub fn load(model: &Path) -> Result<Self, SttError> {
        Self::load_with(model, SttOptions::default())
    }

    /// Loads a ggml whisper model with the given options.
    pub fn load_with(model: &Path, options: SttOptions) -> Result<Self, SttError> {
        if !model.is_file() {
            return Err(SttError::ModelMissing {
                path: model.to_path_buf(),
            });
        }
        if options.threads == 0 {
            return Err(SttError::NoThreads);
        }
        // whisper.cpp logs every load and run to stderr; the hooks send it
        // to the (disabled) log backends so the CLI's output stays clean.
        whisper_rs::install_logging_hooks();
        let load_error = |reason: String| SttError::ModelLoad {
            path: model.to_path_buf(),
            reason,
        };
        let context = WhisperContext::new_with_params(model, WhisperContextParameters::default())
            .map_err(|e| load_error(e.to_string()))?;
        let state = context
            .create_state()
            .map_err(|e| load_error(e.to_string()))?;
        let prompt_tokens = tokenize_prompt(&context, options.prompt.as_deref())?;
        Ok(Self {
            context,
            state: Mutex::new(state),
            options,
            prompt_tokens,
        })
    }

    pub fn options(&self) -> &SttOptions {
        &self.options
    }

    /// Tokens in the prompt (each costs decoding time on every call).
    pub fn prompt_tokens(&self) -> usize {
        self.prompt_tokens.len()
    }

    /// Transcribes with other options on the same warm model (benchmarks
    /// compare settings this way). The prompt is tokenised on each call.
    pub fn transcribe_with(
        &self,
        samples_16k_mono: &[f32],
        options: &SttOptions,
    ) -> Result<Transcript, SttError> {
        let tokens = if options.prompt == self.options.prompt {
            None
        } else {
            Some(tokenize_prompt(&self.context, options.prompt.as_deref())?)
        };
        let prompt = tokens.as_deref().unwrap_or(&self.prompt_tokens);
        self.run(samples_16k_mono, options, prompt)
    }

    fn run(
        &self,
        samples: &[f32],
        options: &SttOptions,
        prompt: &[WhisperTokenId],
    ) -> Result<Transcript, SttError> {
        let threads = i32::try_from(options.threads)
            .ok()
            .filter(|&n| n > 0)
            .ok_or(SttError::NoThreads)?;
        let started = Instant::now();
        // whisper "hears" words in silence ("You", "Thank you."): don't ask it.
        if crate::vad::speech_range(samples, WHISPER_SAMPLE_RATE).is_none() {
            return Ok(Transcript {
                text: String::new(),
                audio_ms: duration_ms(samples.len(), WHISPER_SAMPLE_RATE),
                elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
                audio_ctx: 0,
            });
        }
        let padded;
        let samples = if samples.len() < MIN_SAMPLES {
            padded = pad_with_silence(samples, MIN_SAMPLES);
            &padded[..]
        } else {
            samples
        };
        let audio_ctx = audio_ctx_for(samples.len(), options.audio_context);

        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        params.set_n_threads(threads);
        params.set_language(Some(&options.language));
        params.set_translate(false);
        // Every call stands alone: without this the state would carry the
        // previous command's words into the next prompt.
        params.set_no_context(true);
        params.set_no_timestamps(true);
        params.set_single_segment(true);
        params.set_suppress_blank(true);
        params.set_suppress_nst(true);
        params.set_print_special(false);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_timestamps(false);
        if !options.temperature_fallback {
            params.set_temperature_inc(0.0);
        }
        // Full means whisper's default (0); anything else is an explicit window.
        params.set_audio_ctx(if audio_ctx >= FULL_AUDIO_CTX {
            0
        } else {
            audio_ctx as i32
        });
        // Pre-tokenised, so whisper-rs need not copy (and leak) a C string per call.
        if !prompt.is_empty() {
            params.set_tokens(prompt);
        }
        // On a shortened window whisper may repeat the command until its text
        // context is full (~2 s of decoding); no one says more than this.
        let max_tokens = max_tokens_for(samples.len());
        params.set_max_tokens(max_tokens as i32);

        let mut state = self
            .state
            .lock()
            .map_err(|_| SttError::Whisper("an earlier transcription panicked".into()))?;
        state
            .full(params, samples)
            .map_err(|e| SttError::Whisper(e.to_string()))?;
        let mut raw = String::new();
        let mut cut_short = false;
        for segment in state.as_iter() {
            let piece = segment
                .to_str_lossy()
                .map_err(|e| SttError::Whisper(e.to_string()))?;
            raw.push_str(&piece);
            // A segment that ends without end-of-text was stopped at the limit.
            let last = segment
                .get_token(segment.n_tokens() - 1)
                .map(|token| token.token_id());
            cut_short = last != Some(self.context.token_eot());
        }
        drop(state);
        Ok(Transcript {
            text: drop_repeated_tail(&clean_text(&raw), cut_short),
            audio_ms: duration_ms(samples.len(), WHISPER_SAMPLE_RATE),
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
            audio_ctx,
        })
    }
}

impl Transcriber for WhisperTranscriber {
    fn transcribe(&self, samples_16k_mono: &[f32]) -> Result<Transcript, SttError> {
        self.run(samples_16k_mono, &self.options, &self.prompt_tokens)
    }
}

fn tokenize_prompt(
    context: &WhisperContext,
    prompt: Option<&str>,
) -> Result<Vec<WhisperTokenId>, SttError> {
    let Some(prompt) = prompt.map(str::trim).filter(|p| !p.is_empty()) else {
        return Ok(Vec::new());
    };
    // Leading space: whisper's tokens for words carry the space before them.
    let mut tokens = context
        .tokenize(&format!(" {prompt}"), 1024)
        .map_err(|e| SttError::Prompt(e.to_string()))?;
    // whisper keeps the end of an over-long prompt; so do we, but up front.
    if tokens.len() > MAX_PROMPT_TOKENS {
        tokens.drain(..tokens.len() - MAX_PROMPT_TOKENS);
    }
    Ok(tokens)
}

/// Encoder positions for a clip of `samples` at 16 kHz.
pub fn audio_ctx_for(samples: usize, mode: AudioContext) -> u32 {
    match mode {
        AudioContext::Full => FULL_AUDIO_CTX,
        AudioContext::Fixed(n) => n.clamp(1, FULL_AUDIO_CTX),
        AudioContext::Fit => {
            let seconds = samples as f64 / f64::from(WHISPER_SAMPLE_RATE);
            let positions = (seconds * POSITIONS_PER_SECOND).ceil() as u32;
            (positions + AUDIO_CTX_MARGIN).min(FULL_AUDIO_CTX)
        }
    }
}

/// Token budget for a clip: fast speech is about 5 tokens a second.
fn max_tokens_for(samples: usize) -> u32 {
    let seconds = samples as f64 / f64::from(WHISPER_SAMPLE_RATE);
    (seconds * MAX_TOKENS_PER_SECOND).ceil() as u32 + MIN_MAX_TOKENS
}

fn pad_with_silence(samples: &[f32], len: usize) -> Vec<f32> {
    let mut padded = samples.to_vec();
    padded.resize(len.max(samples.len()), 0.0);
    padded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_ctx_follows_the_clip() {
        // 2 s → 100 positions + margin.
        assert_eq!(
            audio_ctx_for(32_000, AudioContext::Fit),
            100 + AUDIO_CTX_MARGIN
        );
        assert_eq!(
            audio_ctx_for(32_001, AudioContext::Fit),
            101 + AUDIO_CTX_MARGIN
        );
        assert_eq!(
            audio_ctx_for(16_000 * 40, AudioContext::Fit),
            FULL_AUDIO_CTX
        );
        assert_eq!(audio_ctx_for(16_000, AudioContext::Full), FULL_AUDIO_CTX);
        assert_eq!(
            audio_ctx_for(16_000, AudioContext::Fixed(3000)),
            FULL_AUDIO_CTX
        );
        assert_eq!(audio_ctx_for(16_000, AudioContext::Fixed(0)), 1);
    }

    #[test]
    fn short_clips_are_padded_to_a_second() {
        let padded = pad_with_silence(&[0.5; 100], MIN_SAMPLES);
        assert_eq!(padded.len(), MIN_SAMPLES);
        assert_eq!(padded[99], 0.5);
        assert_eq!(padded[100], 0.0);
        assert_eq!(pad_with_silence(&[0.5; 3], 2).len(), 3);
    }

    #[test]
    fn missing_model_says_where_it_looked() {
        let err = WhisperTranscriber::load(Path::new("/nowhere/ggml-tiny.en.bin"))
            .expect_err("no model there");
        assert!(matches!(err, SttError::ModelMissing { .. }), "{err:?}");
        assert!(
            err.to_string().contains("/nowhere/ggml-tiny.en.bin"),
            "{err}"
        );
    }

    #[test]
    fn a_file_that_is_no_model_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("ggml-tiny.en.bin");
        std::fs::write(&path, "not a model").expect("write");
        let err = WhisperTranscriber::load(&path).expect_err("not a model");
        assert!(matches!(err, SttError::ModelLoad { .. }), "{err:?}");
        assert!(
            err.to_string()
                .contains("ggml-tiny.en.bin: not a whisper model"),
            "{err}"
        );
    }

    #[test]
    fn zero_threads_is_refused() {
        let options = SttOptions {
            threads: 0,
            ..SttOptions::default()
        };
        let err = WhisperTranscriber::load_with(Path::new("Cargo.toml"), options)
            .expect_err("no threads");
        assert!(matches!(err, SttError::NoThreads), "{err:?}");
    }

    #[test]
    fn defaults_are_the_fast_settings() {
        let fast = SttOptions::default();
        assert_eq!(fast.threads, 1);
        assert_eq!(fast.audio_context, AudioContext::Fit);
        assert_eq!(fast.prompt.as_deref(), Some(COMMAND_PROMPT));
        let baseline = SttOptions::whisper_defaults();
        assert_eq!(baseline.audio_context, AudioContext::Full);
        assert!(baseline.prompt.is_none() && !baseline.trim_silence);
    }
}
