//! The recorded voice fixtures: each transcript in
//! `shared/fixtures/voice/transcripts.tsv` must parse to its intent, as must
//! the way whisper actually writes them (capitals, full stops, homophones).

use std::collections::BTreeMap;
use std::path::PathBuf;

use jarvis_voice::{IntentContext, parse};
use serde_json::{Value, json};

fn fixtures_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/voice/transcripts.tsv"
    ))
}

/// id → transcript, from the tab-separated fixture file.
fn transcripts() -> BTreeMap<String, String> {
    let path = fixtures_path();
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

/// The intent JSON each fixture id must produce.
fn expected() -> BTreeMap<&'static str, Value> {
    BTreeMap::from([
        (
            "buy_aapl",
            json!({"kind": "trade", "side": "buy", "qty": "10", "symbol": "AAPL", "order_type": "market"}),
        ),
        (
            "sell_msft",
            json!({"kind": "trade", "side": "sell", "qty": "5", "symbol": "MSFT", "order_type": "market"}),
        ),
        ("pnl", json!({"kind": "query", "what": "pnl"})),
        ("kill", json!({"kind": "kill_switch", "engaged": true})),
        ("positions", json!({"kind": "query", "what": "positions"})),
        (
            "chat_mars",
            json!({"kind": "chat", "text": "how far away is mars from the earth"}),
        ),
        (
            "open_trading",
            json!({"kind": "navigate", "screen": "trading"}),
        ),
        (
            "remember",
            json!({"kind": "remember", "text": "my dentist appointment is on friday"}),
        ),
        (
            "backtest",
            json!({"kind": "backtest", "strategy": "sma-cross", "symbol": "GOOG"}),
        ),
        ("cancel", json!({"kind": "cancel_all"})),
    ])
}

fn intent_json(transcript: &str) -> Value {
    match parse(transcript, &IntentContext::default()) {
        Ok(intent) => serde_json::to_value(intent).unwrap_or(Value::Null),
        Err(error) => json!({ "error": error.to_string() }),
    }
}

#[test]
fn every_fixture_parses_to_its_intent() {
    let transcripts = transcripts();
    let expected = expected();
    let ids: Vec<&str> = transcripts.keys().map(String::as_str).collect();
    let wanted: Vec<&str> = expected.keys().copied().collect();
    assert_eq!(ids, wanted, "fixture ids changed");
    for (id, said) in &transcripts {
        assert_eq!(intent_json(said), expected[id.as_str()], "{id}: {said:?}");
    }
}

/// Whisper capitalises and ends with a full stop; the intent must not change.
#[test]
fn whisper_style_fixtures_parse_the_same() {
    let expected = expected();
    for (id, said) in transcripts() {
        let mut whisper = said.clone();
        if let Some(first) = whisper.get(..1) {
            whisper = first.to_uppercase() + whisper.get(1..).unwrap_or_default();
        }
        whisper.push('.');
        let mut want = expected[id.as_str()].clone();
        // Chat keeps the transcript exactly as heard.
        if want["kind"] == "chat" {
            want["text"] = Value::String(whisper.clone());
        }
        assert_eq!(intent_json(&whisper), want, "{id}: {whisper:?}");
    }
}

/// What whisper tiny.en actually heard for two of the recordings.
#[test]
fn homophone_variants() {
    let expected = expected();
    assert_eq!(intent_json("By ten shares of Apple."), expected["buy_aapl"]);
    assert_eq!(
        intent_json("Cell five shares of Microsoft."),
        expected["sell_msft"]
    );
    assert_eq!(
        intent_json(" Bye 10 shares of Apple's."),
        expected["buy_aapl"]
    );
    assert_eq!(
        intent_json("Sell 5 shares of micro soft"),
        expected["sell_msft"]
    );
    assert_eq!(
        intent_json("Remember that my dentist appointment is on Friday."),
        json!({"kind": "remember", "text": "my dentist appointment is on Friday"})
    );
}
