//! Audio file in, text and intent out, with the time each stage took: what
//! the CLI prints and the app shows.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use ts_rs::TS;

use crate::audio::{AudioError, WHISPER_SAMPLE_RATE, load_wav_16k};
use crate::stt::{SttError, SttOptions, Transcriber, WhisperTranscriber};
use crate::{Intent, IntentContext, parse, vad};

/// Environment variable naming the whisper model file.
pub const MODEL_ENV: &str = "JARVIS_WHISPER_MODEL";
/// The model used unless told otherwise: small, English-only, fast.
pub const DEFAULT_MODEL_FILE: &str = "ggml-tiny.en.bin";

/// One transcription, as JSON: `{"text", "intent", "error"?, "ms"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct VoiceReport {
    /// What whisper heard, trimmed and without non-speech markers.
    pub text: String,
    /// The command heard; `null` when the text is a command that cannot be
    /// carried out as heard (then `error` says why).
    pub intent: Option<Intent>,
    /// Why the text gave no intent, e.g. "quantity must be positive: got 0".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<String>,
    pub ms: StageTimings,
}

/// Milliseconds spent in each stage (fractions kept).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StageTimings {
    /// Reading, downmixing and resampling the file.
    pub load_audio: f64,
    /// Trimming silence.
    pub vad: f64,
    /// Loading the model (0 when it was already warm).
    pub model_load: f64,
    /// whisper itself: audio ready → text.
    pub transcribe: f64,
    /// Parsing the text into an intent.
    pub intent: f64,
    pub total: f64,
}

/// Why a file gave no transcript at all.
#[derive(Debug, Error)]
pub enum VoiceError {
    #[error(transparent)]
    Audio(#[from] AudioError),
    #[error(transparent)]
    Stt(#[from] SttError),
    #[error("no speech in {origin}")]
    NoSpeech { origin: String },
}

/// Transcribes one WAV file with a model loaded for this call (the CLI's
/// path; the app keeps a [`WhisperTranscriber`] and uses
/// [`transcribe_file_with`]). Intents use an empty [`IntentContext`].
pub fn transcribe_file(
    path: &Path,
    model: &Path,
    opts: &SttOptions,
) -> Result<VoiceReport, VoiceError> {
    let started = Instant::now();
    let audio = timed(|| load_wav_16k(path));
    let samples = audio.value?;
    let loaded = timed(|| WhisperTranscriber::load_with(model, opts.clone()));
    let transcriber = loaded.value?;
    let mut report = transcribe_audio(
        &samples,
        &transcriber,
        opts,
        &IntentContext::default(),
        &path.display().to_string(),
    )?;
    report.ms.load_audio = audio.ms;
    report.ms.model_load = loaded.ms;
    report.ms.total = elapsed_ms(started);
    Ok(report)
}

/// Transcribes one WAV file with a warm transcriber.
pub fn transcribe_file_with(
    path: &Path,
    transcriber: &dyn Transcriber,
    opts: &SttOptions,
    ctx: &IntentContext,
) -> Result<VoiceReport, VoiceError> {
    let started = Instant::now();
    let audio = timed(|| load_wav_16k(path));
    let samples = audio.value?;
    let mut report = transcribe_audio(
        &samples,
        transcriber,
        opts,
        ctx,
        &path.display().to_string(),
    )?;
    report.ms.load_audio = audio.ms;
    report.ms.total = elapsed_ms(started);
    Ok(report)
}

/// Transcribes 16 kHz mono audio already in memory (e.g. from the
/// microphone). `origin` names the audio in a "no speech" error.
pub fn transcribe_audio(
    samples_16k_mono: &[f32],
    transcriber: &dyn Transcriber,
    opts: &SttOptions,
    ctx: &IntentContext,
    origin: &str,
) -> Result<VoiceReport, VoiceError> {
    let started = Instant::now();
    let no_speech = || VoiceError::NoSpeech {
        origin: origin.to_string(),
    };
    let trimmed = timed(|| {
        if opts.trim_silence {
            vad::trim_silence(samples_16k_mono, WHISPER_SAMPLE_RATE)
        } else {
            Some(samples_16k_mono)
        }
    });
    let speech = trimmed.value.ok_or_else(no_speech)?;
    let heard = timed(|| transcriber.transcribe(speech));
    let transcript = heard.value?;
    if transcript.text.is_empty() {
        return Err(no_speech());
    }
    let parsed = timed(|| parse(&transcript.text, ctx));
    let (intent, error) = match parsed.value {
        Ok(intent) => (Some(intent), None),
        Err(error) => (None, Some(error.to_string())),
    };
    Ok(VoiceReport {
        text: transcript.text,
        intent,
        error,
        ms: StageTimings {
            load_audio: 0.0,
            vad: trimmed.ms,
            model_load: 0.0,
            transcribe: heard.ms,
            intent: parsed.ms,
            total: elapsed_ms(started),
        },
    })
}

/// The model the app uses: `$JARVIS_WHISPER_MODEL`, else
/// `<data dir>/models/ggml-tiny.en.bin` (e.g. `~/.local/share/jarvis/models/`
/// on Linux; shared by all profiles, as models are large). `None` only when
/// no home folder can be found.
pub fn default_model_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(MODEL_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    directories::ProjectDirs::from("", "", "jarvis")
        .map(|dirs| dirs.data_dir().join("models").join(DEFAULT_MODEL_FILE))
}

struct Timed<T> {
    value: T,
    ms: f64,
}

fn timed<T>(f: impl FnOnce() -> T) -> Timed<T> {
    let started = Instant::now();
    let value = f();
    Timed {
        value,
        ms: elapsed_ms(started),
    }
}

fn elapsed_ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stt::Transcript;
    use serde_json::json;
    use std::sync::Mutex;

    /// Hears a fixed sentence and remembers how much audio it was given.
    struct Scripted {
        text: &'static str,
        given: Mutex<Vec<usize>>,
    }

    impl Scripted {
        fn new(text: &'static str) -> Self {
            Self {
                text,
                given: Mutex::new(Vec::new()),
            }
        }
    }

    impl Transcriber for Scripted {
        fn transcribe(&self, samples: &[f32]) -> Result<Transcript, SttError> {
            self.given.lock().expect("lock").push(samples.len());
            Ok(Transcript {
                text: self.text.into(),
                audio_ms: 0.0,
                elapsed_ms: 0.0,
                audio_ctx: 0,
            })
        }
    }

    fn speech() -> Vec<f32> {
        [vec![0.0; 16_000], vec![0.3; 8_000], vec![0.0; 16_000]].concat()
    }

    #[test]
    fn report_json_has_the_agreed_shape() {
        let stt = Scripted::new("Buy ten shares of Apple.");
        let opts = SttOptions::default();
        let report = transcribe_audio(&speech(), &stt, &opts, &IntentContext::default(), "mic")
            .expect("report");
        let value = serde_json::to_value(&report).expect("json");
        assert_eq!(value["text"], "Buy ten shares of Apple.");
        assert_eq!(
            value["intent"],
            json!({"kind": "trade", "side": "buy", "qty": "10", "symbol": "AAPL", "order_type": "market"})
        );
        assert!(value.get("error").is_none(), "{value}");
        let ms = value["ms"].as_object().expect("ms object");
        let keys: Vec<&str> = ms.keys().map(String::as_str).collect();
        for key in [
            "load_audio",
            "vad",
            "model_load",
            "transcribe",
            "intent",
            "total",
        ] {
            assert!(ms[key].is_f64(), "{key} in {keys:?}");
        }
        assert_eq!(ms.len(), 6, "{keys:?}");
    }

    #[test]
    fn silence_is_trimmed_before_transcribing() {
        let stt = Scripted::new("Cancel all open orders.");
        transcribe_audio(
            &speech(),
            &stt,
            &SttOptions::default(),
            &IntentContext::default(),
            "mic",
        )
        .expect("report");
        // 0.5 s of sound plus 150 ms either side.
        assert_eq!(*stt.given.lock().expect("lock"), vec![8_000 + 2 * 2_400]);
    }

    #[test]
    fn untrimmed_when_asked() {
        let stt = Scripted::new("Cancel all open orders.");
        let opts = SttOptions {
            trim_silence: false,
            ..SttOptions::default()
        };
        transcribe_audio(&speech(), &stt, &opts, &IntentContext::default(), "mic").expect("report");
        assert_eq!(*stt.given.lock().expect("lock"), vec![40_000]);
    }

    #[test]
    fn intent_error_goes_to_the_error_field() {
        let stt = Scripted::new("Buy zero shares of Apple.");
        let report = transcribe_audio(
            &speech(),
            &stt,
            &SttOptions::default(),
            &IntentContext::default(),
            "mic",
        )
        .expect("report");
        let value = serde_json::to_value(&report).expect("json");
        assert_eq!(value["intent"], serde_json::Value::Null);
        assert_eq!(value["error"], "quantity must be positive: got 0");
    }

    #[test]
    fn silence_is_no_speech_without_calling_whisper() {
        let stt = Scripted::new("Thank you.");
        let err = transcribe_audio(
            &[0.0; 32_000],
            &stt,
            &SttOptions::default(),
            &IntentContext::default(),
            "mic",
        )
        .expect_err("silence");
        assert_eq!(err.to_string(), "no speech in mic");
        assert!(stt.given.lock().expect("lock").is_empty());
    }

    #[test]
    fn empty_transcript_is_no_speech() {
        let stt = Scripted::new("");
        let err = transcribe_audio(
            &speech(),
            &stt,
            &SttOptions::default(),
            &IntentContext::default(),
            "x.wav",
        )
        .expect_err("nothing heard");
        assert!(matches!(err, VoiceError::NoSpeech { .. }), "{err:?}");
    }

    #[test]
    fn model_path_ends_in_the_tiny_model() {
        // The env var may be set by whoever runs the tests; both answers are valid.
        let path = default_model_path().expect("a home folder");
        match std::env::var_os(MODEL_ENV).filter(|p| !p.is_empty()) {
            Some(set) => assert_eq!(path, PathBuf::from(set)),
            None => assert!(
                path.ends_with("jarvis/models/ggml-tiny.en.bin"),
                "{}",
                path.display()
            ),
        }
    }
}
