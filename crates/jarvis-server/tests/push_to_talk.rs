//! Push-to-talk over the API with a real microphone path: the private
//! PulseAudio of `scripts/lib/virtual-mic` plays a spoken fixture, cpal
//! records it between `listen/start` and `listen/stop`, whisper tiny.en
//! transcribes it and the command waits for confirmation.
//!
//! Run: `scripts/lib/virtual-mic cargo nextest run -p jarvis-server --test push_to_talk --run-ignored only`

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::api;
use serde_json::json;

fn shared() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))
}

/// The FIFO behind the virtual microphone.
fn fifo() -> PathBuf {
    std::env::var_os("JARVIS_VIRTUAL_MIC_FIFO")
        .filter(|f| !f.is_empty())
        .map(PathBuf::from)
        .expect("JARVIS_VIRTUAL_MIC_FIFO is not set: run under scripts/lib/virtual-mic")
}

/// One recording at a time on the shared microphone, across test processes
/// (the jarvis-voice capture tests take the same lock).
fn exclusive_microphone() -> std::fs::File {
    let fifo = fifo();
    let path = fifo.with_extension("lock");
    let file = std::fs::File::create(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    file.lock()
        .unwrap_or_else(|e| panic!("cannot lock {}: {e}", path.display()));
    file
}

/// Writes a 16 kHz mono fixture into the virtual microphone at real-time pace.
fn speak(id: &str) -> std::thread::JoinHandle<()> {
    let fifo = fifo();
    let wav = shared().join(format!("fixtures/voice/{id}.wav"));
    let samples = jarvis_voice::load_wav_16k(&wav).unwrap_or_else(|e| panic!("{e}"));
    std::thread::spawn(move || {
        let mut pipe = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
        let started = Instant::now();
        for (i, part) in samples.chunks(320).enumerate() {
            let bytes: Vec<u8> = part
                .iter()
                .flat_map(|&s| ((s.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes())
                .collect();
            pipe.write_all(&bytes).unwrap();
            if let Some(wait) =
                Duration::from_millis(20 * (i as u64 + 1)).checked_sub(started.elapsed())
            {
                std::thread::sleep(wait);
            }
        }
    })
}

#[tokio::test]
#[ignore = "needs scripts/lib/virtual-mic; run by scripts/test"]
async fn a_spoken_trade_is_heard_and_waits_for_confirmation() {
    let _microphone = exclusive_microphone();
    let api = api().await;
    let model = shared().join("models/ggml-tiny.en.bin");
    let (status, settings) = api
        .json(
            "PUT",
            "/api/v1/voice/settings",
            json!({"hotkey": "Ctrl+Alt+Space", "mode": "hold", "device": null, "model": model, "speak_replies": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    let (_, before) = api.get("/api/v1/voice/status").await;
    assert_eq!(
        (
            before["state"].as_str(),
            before["model_installed"].as_bool()
        ),
        (Some("idle"), Some(true))
    );

    // Key down, the user speaks, key up.
    let (status, listening) = api
        .json(
            "POST",
            "/api/v1/voice/listen/start",
            json!({"trigger": "ui"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{listening}");
    assert_eq!(listening["state"], "listening");
    let (status, again) = api
        .json("POST", "/api/v1/voice/listen/start", json!({}))
        .await;
    assert_eq!(
        (status, again["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("state"))
    );
    speak("buy_aapl").join().unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await; // through PulseAudio and ALSA
    let (status, run) = api
        .json("POST", "/api/v1/voice/listen/stop", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{run}");

    println!("push-to-talk stage timings (ms): {}", run["ms"]);
    assert_eq!(run["trigger"], "ui");
    assert!(run["audio_ms"].as_f64().unwrap() > 1500.0, "{run}");
    assert_eq!(run["intent"]["kind"], "trade", "{run}");
    assert_eq!(
        (
            run["intent"]["side"].as_str(),
            run["intent"]["symbol"].as_str()
        ),
        (Some("buy"), Some("AAPL"))
    );
    assert_eq!(run["intent"]["qty"], "10");
    assert_eq!(run["outcome"]["status"], "needs_confirmation", "{run}");
    assert!(run["ms"]["key_up_to_text"].as_f64().unwrap() > 0.0);
    assert!(run["spoken"].is_null(), "replies are off in this test");
    let (_, history) = api.get("/api/v1/voice/history").await;
    assert_eq!(history[0]["id"], run["id"]);
    let (_, after) = api.get("/api/v1/voice/status").await;
    assert_eq!(after["state"], "idle");
    assert!(after["device"].as_str().is_some());

    // Key up again without a key down: refused, naming the state.
    let (status, problem) = api
        .json("POST", "/api/v1/voice/listen/stop", json!({}))
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("state"))
    );
}

#[tokio::test]
async fn voice_settings_are_validated_field_by_field() {
    let api = api().await;
    let (_, defaults) = api.get("/api/v1/voice/settings").await;
    assert_eq!(defaults["hotkey"], "Ctrl+Alt+Space");
    assert_eq!(
        (
            defaults["mode"].as_str(),
            defaults["speak_replies"].as_bool()
        ),
        (Some("hold"), Some(true))
    );
    for (body, field) in [
        (
            json!({"hotkey": "Space", "mode": "hold", "device": null, "model": null, "speak_replies": true}),
            "hotkey",
        ),
        (
            json!({"hotkey": "Ctrl+Hyper+K", "mode": "hold", "device": null, "model": null, "speak_replies": true}),
            "hotkey",
        ),
        (
            json!({"hotkey": "Ctrl+K", "mode": "hold", "device": null, "model": "tiny.bin", "speak_replies": true}),
            "model",
        ),
    ] {
        let (status, problem) = api.json("PUT", "/api/v1/voice/settings", body).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{problem}"
        );
    }
    let (status, _) = api
        .json("PUT", "/api/v1/voice/settings", json!({"hotkey": "Ctrl+K", "mode": "sometimes", "device": null, "model": null, "speak_replies": true}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, saved) = api
        .json("PUT", "/api/v1/voice/settings", json!({"hotkey": "super + F9", "mode": "toggle", "device": null, "model": null, "speak_replies": false}))
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["hotkey"], "super+F9");
    let (_, read) = api.get("/api/v1/voice/settings").await;
    assert_eq!(read, saved);
    let (status, problem) = api
        .json("POST", "/api/v1/voice/listen/stop", json!({}))
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("state"))
    );
}
