//! whisper tiny.en on the recorded fixtures: each must be heard well enough
//! that the intent is the one its reference transcript gives.

mod common;

use std::path::Path;
use std::sync::OnceLock;

use jarvis_voice::{
    IntentContext, SttOptions, Transcriber, VoiceError, WhisperTranscriber, load_wav_16k,
    transcribe_audio, transcribe_file, transcribe_file_with,
};

/// One warm model for the whole test binary (the transcriber is Send + Sync;
/// concurrent calls take turns on its single whisper state).
fn transcriber() -> &'static WhisperTranscriber {
    static MODEL: OnceLock<WhisperTranscriber> = OnceLock::new();
    MODEL.get_or_init(|| {
        let path = common::model_path();
        WhisperTranscriber::load(&path)
            .unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()))
    })
}

fn write_wav(path: &Path, spec: hound::WavSpec, samples: &[f32]) {
    let mut writer = hound::WavWriter::create(path, spec).expect("create wav");
    for &s in samples {
        match spec.sample_format {
            hound::SampleFormat::Float => writer.write_sample(s).expect("write"),
            hound::SampleFormat::Int => writer.write_sample((s * 32767.0) as i16).expect("write"),
        }
    }
    writer.finalize().expect("finalize");
}

#[test]
fn every_fixture_gives_the_intent_of_its_reference() {
    let fixtures = common::fixtures();
    assert_eq!(fixtures.len(), 10, "fixture list changed");
    let opts = SttOptions::default();
    let mut failures = Vec::new();
    for (id, reference) in &fixtures {
        let path = common::fixtures_dir().join(format!("{id}.wav"));
        let report = transcribe_file_with(&path, transcriber(), &opts, &IntentContext::default())
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        let heard = common::comparable_intent(&report.text);
        let wanted = common::comparable_intent(reference);
        eprintln!(
            "{id:>13}: {:6.1} ms whisper  {:?}",
            report.ms.transcribe, report.text
        );
        if heard != wanted {
            failures.push(format!(
                "{id}: heard {:?} → {heard:?}, reference {reference:?} → {wanted:?}",
                report.text
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "wrong intents:\n{}",
        failures.join("\n")
    );
}

/// The same words at 44.1 kHz stereo float go through downmix and resampling.
#[test]
fn resampled_stereo_gives_the_same_intent() {
    let samples = load_wav_16k(&common::fixtures_dir().join("kill.wav")).expect("fixture");
    let at_44k = jarvis_voice::audio::resample(&samples, 16_000, 44_100).expect("resample");
    let stereo: Vec<f32> = at_44k.iter().flat_map(|&s| [s, s]).collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("kill-44k-stereo.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44_100,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    write_wav(&path, spec, &stereo);
    let report = transcribe_file_with(
        &path,
        transcriber(),
        &SttOptions::default(),
        &IntentContext::default(),
    )
    .expect("report");
    assert_eq!(
        common::comparable_intent(&report.text),
        common::comparable_intent("activate the kill switch"),
        "{report:?}"
    );
}

fn fixture(id: &str) -> Vec<f32> {
    load_wav_16k(&common::fixtures_dir().join(format!("{id}.wav")))
        .unwrap_or_else(|e| panic!("{id}: {e}"))
}

/// Deterministic hiss at about -55 dBFS, like a quiet room.
fn hiss(samples: usize) -> Vec<f32> {
    let mut state: u32 = 7;
    (0..samples)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            0.003 * ((state >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0)
        })
        .collect()
}

/// A command inside seconds of room noise: trimmed, then heard as usual.
#[test]
fn a_command_inside_long_silence_is_trimmed_and_heard() {
    let audio = [hiss(40_000), fixture("cancel"), hiss(48_000)].concat();
    let report = transcribe_audio(
        &audio,
        transcriber(),
        &SttOptions::default(),
        &IntentContext::default(),
        "test",
    )
    .expect("report");
    assert_eq!(
        report.intent,
        Some(jarvis_voice::Intent::CancelAll),
        "{report:?}"
    );
}

/// Two commands in one breath: the token budget and the repeat filter must
/// not cut the second one.
#[test]
fn two_sentences_are_both_kept() {
    let audio = [fixture("kill"), vec![0.0; 8_000], fixture("positions")].concat();
    let transcript = transcriber().transcribe(&audio).expect("runs");
    let words = transcript.text.to_lowercase();
    assert!(
        words.contains("kill switch") && words.contains("positions"),
        "{transcript:?}"
    );
}

#[test]
fn a_file_that_is_not_wav_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("command.wav");
    std::fs::write(&path, b"ID3\x04 this is an mp3, not a wav").expect("write");
    let err = transcribe_file_with(
        &path,
        transcriber(),
        &SttOptions::default(),
        &IntentContext::default(),
    )
    .expect_err("not audio");
    assert!(matches!(err, VoiceError::Audio(_)), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("command.wav") && message.contains("not a WAV file"),
        "{message}"
    );
}

#[test]
fn silence_only_is_no_speech() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("silence.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    write_wav(&path, spec, &[0.0; 32_000]);
    let err = transcribe_file_with(
        &path,
        transcriber(),
        &SttOptions::default(),
        &IntentContext::default(),
    )
    .expect_err("silence");
    assert!(matches!(err, VoiceError::NoSpeech { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with("no speech in ") && err.to_string().ends_with("silence.wav"),
        "{err}"
    );
}

/// The transcriber alone (no trimming before it) must hear nothing in silence (no
/// "Thank you." hallucination, no `[BLANK_AUDIO]` left in the text).
#[test]
fn whisper_hears_nothing_in_silence() {
    let transcript = transcriber().transcribe(&[0.0; 32_000]).expect("runs");
    assert_eq!(transcript.text, "", "{transcript:?}");
}

/// The CLI's one-shot path: model loaded for the call, JSON as agreed.
#[test]
fn transcribe_file_reports_text_intent_and_timings() {
    let path = common::fixtures_dir().join("cancel.wav");
    let report =
        transcribe_file(&path, &common::model_path(), &SttOptions::default()).expect("report");
    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(
        json["intent"],
        serde_json::json!({"kind": "cancel_all"}),
        "{json}"
    );
    assert!(json.get("error").is_none(), "{json}");
    let ms = &report.ms;
    assert!(
        ms.model_load > 0.0 && ms.load_audio > 0.0 && ms.transcribe > 0.0,
        "{ms:?}"
    );
    let parts = ms.load_audio + ms.vad + ms.model_load + ms.transcribe + ms.intent;
    assert!(ms.total >= parts && ms.total < parts + 50.0, "{ms:?}");
}

#[test]
fn a_missing_model_is_named() {
    let path = common::fixtures_dir().join("cancel.wav");
    let err = transcribe_file(
        &path,
        Path::new("/no/such/ggml-tiny.en.bin"),
        &SttOptions::default(),
    )
    .expect_err("no model");
    assert!(
        err.to_string().contains("/no/such/ggml-tiny.en.bin"),
        "{err}"
    );
}
