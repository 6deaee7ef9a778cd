//! Voice for Jarvis: speech-to-text on the machine, and what was heard turned
//! into something the app can act on.
//!
//! - [`audio`] reads a WAV file into 16 kHz mono samples;
//! - [`vad`] cuts the silence around a command;
//! - [`stt`] runs whisper.cpp ([`WhisperTranscriber`]) behind the
//!   [`Transcriber`] port, tuned for short commands;
//! - [`pipeline`] chains them: [`transcribe_file`] gives a [`VoiceReport`];
//! - [`intent::parse`] maps a transcript such as "Buy ten shares of Apple."
//!   to a typed [`Intent`]; [`command_vocabulary`] gives whisper a prompt
//!   that makes those commands easier to hear;
//! - `capture` (feature `capture`) records from a microphone.

pub mod audio;
#[cfg(feature = "capture")]
pub mod capture;
pub mod intent;
pub mod pipeline;
pub mod stt;
pub mod vad;

pub use audio::{AudioError, MonoAudio, WHISPER_SAMPLE_RATE, load_wav_16k, resample_to_16k};
#[cfg(feature = "capture")]
pub use capture::{CaptureError, Recorder};
pub use intent::{
    Intent, IntentContext, IntentError, OrderType, QueryTarget, Screen, Side, Strategy, WatchItem,
    command_vocabulary, parse,
};
pub use pipeline::{
    StageTimings, VoiceError, VoiceReport, default_model_path, transcribe_audio, transcribe_file,
    transcribe_file_with,
};
pub use rust_decimal::Decimal;
pub use stt::{
    AudioContext, COMMAND_PROMPT, SttError, SttOptions, Transcriber, Transcript, WhisperTranscriber,
};
