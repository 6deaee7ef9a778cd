//! `jarvisd transcribe FILE.wav --model PATH --json` on a spoken fixture:
//! the text, the intent in its documented shape, and each stage's time.

use std::path::PathBuf;
use std::process::Command;

fn shared(path: &str) -> PathBuf {
    let dir = std::env::var_os("JARVIS_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    let full = dir.join(path);
    assert!(
        full.exists(),
        "test material missing: {} (set JARVIS_SHARED_DIR)",
        full.display()
    );
    full
}

#[test]
fn a_spoken_order_becomes_text_and_a_trade_intent() {
    let out = Command::new(env!("CARGO_BIN_EXE_jarvisd"))
        .arg("transcribe")
        .arg(shared("fixtures/voice/buy_aapl.wav"))
        .arg("--model")
        .arg(shared("models/ggml-tiny.en.bin"))
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["text"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("apple"),
        "{report}"
    );
    assert_eq!(
        report["intent"],
        serde_json::json!({"kind": "trade", "side": "buy", "qty": "10", "symbol": "AAPL", "order_type": "market"})
    );
    for stage in ["load_audio", "transcribe", "intent", "total"] {
        assert!(
            report["ms"][stage].is_number(),
            "{stage} missing in {report}"
        );
    }
}

#[test]
fn a_missing_model_or_a_bad_file_is_explained() {
    let out = Command::new(env!("CARGO_BIN_EXE_jarvisd"))
        .args([
            "transcribe",
            "/nonexistent.wav",
            "--model",
            "/nonexistent/ggml.bin",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no speech model at /nonexistent/ggml.bin")
    );

    let dir = tempfile::tempdir().unwrap();
    let not_wav = dir.path().join("note.wav");
    std::fs::write(&not_wav, "not audio").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_jarvisd"))
        .arg("transcribe")
        .arg(&not_wav)
        .arg("--model")
        .arg(shared("models/ggml-tiny.en.bin"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a WAV file"), "{err}");
}
