//! Real microphone capture through ALSA, fed by `scripts/lib/virtual-mic`
//! (a private PulseAudio whose default source plays what is written into a
//! FIFO): record while a fixture is "spoken", then transcribe it.
//!
//! Run: `scripts/lib/virtual-mic cargo test -p jarvis-voice --test capture -- --include-ignored`
#![cfg(feature = "capture")]

mod common;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use jarvis_voice::capture::{DEFAULT_PRE_ROLL, Recorder};
use jarvis_voice::{
    IntentContext, SttOptions, WHISPER_SAMPLE_RATE, WhisperTranscriber, load_wav_16k,
    transcribe_audio,
};

/// The FIFO behind the virtual microphone; fails (never skips) without it.
fn fifo() -> PathBuf {
    match std::env::var_os("JARVIS_VIRTUAL_MIC_FIFO") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => panic!(
            "JARVIS_VIRTUAL_MIC_FIFO is not set: run this test under the virtual microphone, e.g.\n  \
             scripts/lib/virtual-mic cargo test -p jarvis-voice --test capture -- --include-ignored"
        ),
    }
}

/// One FIFO, one recording at a time, across test processes too (nextest
/// runs each test in its own): an exclusive lock on a file beside the FIFO.
fn exclusive(fifo: &Path) -> File {
    let path = fifo.with_extension("lock");
    let file = File::create(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    file.lock()
        .unwrap_or_else(|e| panic!("cannot lock {}: {e}", path.display()));
    file
}

fn model() -> &'static WhisperTranscriber {
    static MODEL: OnceLock<WhisperTranscriber> = OnceLock::new();
    MODEL.get_or_init(|| {
        WhisperTranscriber::load(&common::model_path()).unwrap_or_else(|e| panic!("{e}"))
    })
}

/// "Speaks" a fixture into the microphone at real-time pace, 20 ms at a
/// time, from another thread; returns when the last chunk is written.
fn speak(id: &str) -> (thread::JoinHandle<()>, usize) {
    let samples = load_wav_16k(&common::fixtures_dir().join(format!("{id}.wav")))
        .unwrap_or_else(|e| panic!("{e}"));
    let len = samples.len();
    let fifo = fifo();
    let writer = thread::spawn(move || {
        let mut pipe = std::fs::OpenOptions::new()
            .write(true)
            .open(&fifo)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", fifo.display()));
        let chunk = (WHISPER_SAMPLE_RATE / 50) as usize;
        let started = Instant::now();
        for (i, part) in samples.chunks(chunk).enumerate() {
            let bytes: Vec<u8> = part
                .iter()
                .flat_map(|&s| ((s.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes())
                .collect();
            pipe.write_all(&bytes)
                .expect("write to the virtual microphone");
            let due = Duration::from_millis(20 * (i as u64 + 1));
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                thread::sleep(wait);
            }
        }
    });
    (writer, len)
}

/// Waits for the writer, then for the audio to come through PulseAudio and ALSA.
fn finish(writer: thread::JoinHandle<()>) {
    writer.join().expect("writer thread");
    thread::sleep(Duration::from_millis(400));
}

fn assert_intent(id: &str, reference: &str, samples_16k: &[f32]) {
    let report = transcribe_audio(
        samples_16k,
        model(),
        &SttOptions::default(),
        &IntentContext::default(),
        "the virtual microphone",
    )
    .unwrap_or_else(|e| panic!("{id}: {e}"));
    assert_eq!(
        common::comparable_intent(&report.text),
        common::comparable_intent(reference),
        "{id}: heard {:?}",
        report.text
    );
}

fn reference(id: &str) -> String {
    common::fixtures()
        .into_iter()
        .find(|(fixture, _)| fixture == id)
        .map(|(_, said)| said)
        .unwrap_or_else(|| panic!("no fixture {id}"))
}

#[test]
#[ignore = "needs scripts/lib/virtual-mic; run by scripts/test"]
fn records_a_spoken_command_from_the_default_microphone() {
    let fifo = fifo();
    let _mic = exclusive(&fifo);
    let recorder = Recorder::open_default().unwrap_or_else(|e| panic!("{e}"));
    recorder.start();
    let (writer, len) = speak("buy_aapl");
    finish(writer);
    let audio = recorder.stop().unwrap_or_else(|e| panic!("{e}"));
    let recorded = audio.samples.len() as f64 / f64::from(audio.sample_rate);
    let spoken = len as f64 / f64::from(WHISPER_SAMPLE_RATE);
    assert!(
        recorded >= spoken * 0.95,
        "recorded {recorded:.2} s of a {spoken:.2} s command from {} ({})",
        recorder.device_name(),
        fifo.display()
    );
    let samples = jarvis_voice::audio::resample_to_16k(&audio.samples, audio.sample_rate)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_intent("buy_aapl", &reference("buy_aapl"), &samples);
}

/// Pressing "record" 200 ms after the user started speaking loses nothing:
/// the pre-roll (300 ms) holds the start of the first word.
#[test]
#[ignore = "needs scripts/lib/virtual-mic; run by scripts/test"]
fn pre_roll_keeps_words_said_before_start() {
    let _mic = exclusive(&fifo());
    let recorder = Recorder::open(None, DEFAULT_PRE_ROLL).unwrap_or_else(|e| panic!("{e}"));
    let (writer, len) = speak("sell_msft");
    thread::sleep(Duration::from_millis(200));
    recorder.start();
    finish(writer);
    let samples = recorder.stop_16k().unwrap_or_else(|e| panic!("{e}"));
    let late = len as f64 / f64::from(WHISPER_SAMPLE_RATE) - 0.2;
    let recorded = samples.len() as f64 / f64::from(WHISPER_SAMPLE_RATE);
    assert!(
        recorded > late + 0.1,
        "only {recorded:.2} s recorded: the pre-roll did not keep the first 200 ms"
    );
    assert_intent("sell_msft", &reference("sell_msft"), &samples);
}
