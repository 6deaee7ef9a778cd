//! End-to-end behaviour of `parse`: every intent kind, its exact JSON, and
//! the sentences that must be refused or left as chat.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::*;

fn ctx() -> IntentContext {
    IntentContext::default()
}

/// The JSON the transcript parses to; errors become `{"error": message}`.
fn heard(transcript: &str) -> Value {
    heard_with(transcript, &ctx())
}

fn heard_with(transcript: &str, ctx: &IntentContext) -> Value {
    match parse(transcript, ctx) {
        Ok(intent) => serde_json::to_value(intent).unwrap_or(Value::Null),
        Err(error) => json!({ "error": error.to_string() }),
    }
}

fn error(transcript: &str) -> Option<IntentError> {
    parse(transcript, &ctx()).err()
}

fn market(side: &str, qty: &str, symbol: &str) -> Value {
    json!({"kind": "trade", "side": side, "qty": qty, "symbol": symbol, "order_type": "market"})
}

fn limit(side: &str, qty: &str, symbol: &str, price: &str) -> Value {
    json!({
        "kind": "trade", "side": side, "qty": qty, "symbol": symbol,
        "order_type": "limit", "limit_price": price,
    })
}

fn chat(text: &str) -> Value {
    json!({"kind": "chat", "text": text})
}

#[test]
fn market_orders() {
    assert_eq!(
        heard("buy ten shares of apple"),
        market("buy", "10", "AAPL")
    );
    assert_eq!(
        heard("Buy ten shares of Apple."),
        market("buy", "10", "AAPL")
    );
    assert_eq!(
        heard("sell five shares of microsoft"),
        market("sell", "5", "MSFT")
    );
    assert_eq!(heard("Sell 5 MSFT"), market("sell", "5", "MSFT"));
    assert_eq!(heard("buy 10 apple"), market("buy", "10", "AAPL"));
    assert_eq!(heard("buy ten apple's shares"), market("buy", "10", "AAPL"));
    assert_eq!(
        heard("Jarvis, please buy a share of Tesla."),
        market("buy", "1", "TSLA")
    );
    assert_eq!(
        heard("I'd like to buy 3 shares of Nvidia"),
        market("buy", "3", "NVDA")
    );
    assert_eq!(
        heard("sell ten shares of microsoft at market"),
        market("sell", "10", "MSFT")
    );
    assert_eq!(heard("buy ten shares of at&t"), market("buy", "10", "T"));
    assert_eq!(
        heard("purchase 4 shares of Berkshire Hathaway"),
        market("buy", "4", "BRK.B")
    );
}

#[test]
fn quantities_in_words_and_digits() {
    assert_eq!(
        heard("buy twenty five shares of amazon"),
        market("buy", "25", "AMZN")
    );
    assert_eq!(
        heard("buy one hundred and fifty shares of google"),
        market("buy", "150", "GOOG")
    );
    assert_eq!(
        heard("buy a hundred shares of meta"),
        market("buy", "100", "META")
    );
    assert_eq!(
        heard("Buy 2,500 shares of Ford."),
        market("buy", "2500", "F")
    );
    assert_eq!(
        heard("buy 1.5 shares of apple"),
        market("buy", "1.5", "AAPL")
    );
    assert_eq!(
        heard("buy half a share of apple"),
        market("buy", "0.5", "AAPL")
    );
    assert_eq!(
        heard("buy two and a half shares of apple"),
        market("buy", "2.5", "AAPL")
    );
}

#[test]
fn limit_orders() {
    let expected = limit("buy", "10", "AAPL", "110");
    assert_eq!(heard("buy ten shares of apple at 110"), expected);
    assert_eq!(heard("buy ten shares of apple limit 110"), expected);
    assert_eq!(
        heard("buy ten shares of apple at a limit of 110 dollars"),
        expected
    );
    assert_eq!(heard("Buy 10 shares of Apple at $110."), expected);
    assert_eq!(
        heard("buy ten shares of apple at one hundred and ten"),
        expected
    );
    assert_eq!(
        heard("place a limit order to buy ten shares of apple at 110"),
        expected
    );
    assert_eq!(
        heard("sell 5 tesla at 250 dollars and 50 cents"),
        limit("sell", "5", "TSLA", "250.5")
    );
    assert_eq!(
        heard("sell 5 tesla at $250.75"),
        limit("sell", "5", "TSLA", "250.75")
    );
}

#[test]
fn homophones_from_speech_to_text() {
    assert_eq!(
        heard("By ten shares of Apple."),
        market("buy", "10", "AAPL")
    );
    assert_eq!(
        heard("Bye ten shares of apple"),
        market("buy", "10", "AAPL")
    );
    assert_eq!(
        heard("Cell five shares of Microsoft."),
        market("sell", "5", "MSFT")
    );
    assert_eq!(
        heard("sel five shares of microsoft"),
        market("sell", "5", "MSFT")
    );
    assert_eq!(heard("buy to shares of apple"), market("buy", "2", "AAPL"));
    assert_eq!(heard("By too shares of apple"), market("buy", "2", "AAPL"));
    assert_eq!(
        heard("sell for shares of apple"),
        market("sell", "4", "AAPL")
    );
    assert_eq!(
        heard("buy ten shares of micro soft"),
        market("buy", "10", "MSFT")
    );
    assert_eq!(
        heard("buy ten shares of in video"),
        market("buy", "10", "NVDA")
    );
    assert_eq!(
        heard("buy ten shares of microsft"),
        market("buy", "10", "MSFT")
    );
    assert_eq!(
        heard("buy ten shares of a a p l"),
        market("buy", "10", "AAPL")
    );
}

#[test]
fn homophones_stay_words_elsewhere() {
    // "to" before the verb and "for" after the company are not numbers.
    assert_eq!(
        heard("I want to buy ten shares of apple"),
        market("buy", "10", "AAPL")
    );
    assert_eq!(
        heard("by the way what time is it"),
        chat("by the way what time is it")
    );
    assert_eq!(heard("sell for me"), chat("sell for me"));
    assert_eq!(heard("sale ten percent off"), chat("sale ten percent off"));
}

#[test]
fn watchlist_symbols() {
    let ctx = IntentContext::default().watch("RIVN", "Rivian");
    assert_eq!(
        heard_with("buy 3 shares of rivian", &ctx),
        market("buy", "3", "RIVN")
    );
    assert_eq!(
        heard("buy 3 shares of rivian"),
        json!({"error": "unknown company: could not map \"rivian\" to a ticker"})
    );
}

#[test]
fn refusals() {
    assert_eq!(
        heard("buy minus five shares of apple"),
        json!({"error": "quantity must be positive: got -5"})
    );
    assert_eq!(
        error("buy -5 shares of apple"),
        Some(IntentError::NonPositiveQuantity(Decimal::from(-5)))
    );
    assert_eq!(
        error("sell zero shares of apple"),
        Some(IntentError::NonPositiveQuantity(Decimal::ZERO))
    );
    assert_eq!(
        error("buy ten shares of zorblax"),
        Some(IntentError::UnknownCompany("zorblax".into()))
    );
    assert_eq!(
        error("buy ten shares of apple and microsoft"),
        Some(IntentError::AmbiguousCompany(vec![
            "AAPL".into(),
            "MSFT".into()
        ]))
    );
    assert!(matches!(
        error("buy ten shares"),
        Some(IntentError::MissingCompany(_))
    ));
    assert!(matches!(
        error("buy apple"),
        Some(IntentError::MissingQuantity(_))
    ));
    assert!(matches!(
        error("buy shares of apple"),
        Some(IntentError::MissingQuantity(_))
    ));
    assert_eq!(
        error("buy $500 of apple"),
        Some(IntentError::NotionalAmount)
    );
    assert_eq!(
        error("buy 500 dollars of apple"),
        Some(IntentError::NotionalAmount)
    );
    assert_eq!(
        error("buy ten shares of apple with a limit order"),
        Some(IntentError::MissingLimitPrice)
    );
    assert_eq!(
        error("buy ten shares of apple at minus 5"),
        Some(IntentError::NonPositivePrice(Decimal::from(-5)))
    );
    assert_eq!(error(""), Some(IntentError::Empty));
    assert_eq!(error(" [BLANK_AUDIO] "), Some(IntentError::Empty));
}

#[test]
fn not_orders_stay_chat() {
    for text in [
        "how far away is mars from the earth",
        "I'd like to buy a house",
        "I'd like to buy two tickets to Paris",
        "should I buy ten shares of apple",
        "buy ten apples",
        "what is the cash flow of apple",
        "what does the kill switch do",
        "what is profit",
        "explain short positions",
        "cancel my dentist appointment",
        "cancel my apple order",
        "how do I open settings",
        "open a chat with mom",
        "what is a backtest",
        "do you remember what I said",
        "remember when we went to Paris?",
    ] {
        assert_eq!(heard(text), chat(text), "{text}");
    }
    assert_eq!(heard("  Hello there.  "), chat("Hello there."));
}

#[test]
fn cancel_all() {
    for text in [
        "cancel all open orders",
        "Cancel all orders.",
        "cancel everything",
        "kill all orders",
    ] {
        assert_eq!(heard(text), json!({"kind": "cancel_all"}), "{text}");
    }
}

#[test]
fn kill_switch() {
    let on = json!({"kind": "kill_switch", "engaged": true});
    let off = json!({"kind": "kill_switch", "engaged": false});
    for text in [
        "activate the kill switch",
        "Engage the kill switch!",
        "turn on the kill switch",
        "hit the kill switch",
        "Jarvis, kill switch.",
    ] {
        assert_eq!(heard(text), on, "{text}");
    }
    for text in [
        "deactivate the kill switch",
        "disengage the kill switch",
        "release the kill switch",
        "turn off the kill switch",
        "turn the kill switch off",
        "re-arm the kill switch",
    ] {
        assert_eq!(heard(text), off, "{text}");
    }
}

#[test]
fn queries() {
    let pnl = json!({"kind": "query", "what": "pnl"});
    let positions = json!({"kind": "query", "what": "positions"});
    let cash = json!({"kind": "query", "what": "cash"});
    assert_eq!(heard("what is my profit and loss today"), pnl);
    assert_eq!(heard("What's my P&L?"), pnl);
    assert_eq!(heard("p and l"), pnl);
    assert_eq!(heard("show my open positions"), positions);
    assert_eq!(heard("what are my holdings"), positions);
    assert_eq!(heard("how much cash do I have"), cash);
    assert_eq!(heard("Buying power?"), cash);
    assert_eq!(heard("current buying power"), cash);
    assert_eq!(heard("How much money did I make today?"), pnl);
}

#[test]
fn navigation() {
    let screen = |name: &str| json!({"kind": "navigate", "screen": name});
    assert_eq!(heard("open the trading screen"), screen("trading"));
    assert_eq!(heard("Go to settings."), screen("settings"));
    assert_eq!(heard("show the dashboard"), screen("dashboard"));
    assert_eq!(heard("open chat"), screen("chat"));
    assert_eq!(heard("switch to the voice screen"), screen("voice"));
    assert_eq!(heard("take me to the settings page"), screen("settings"));
}

#[test]
fn remember() {
    assert_eq!(
        heard("remember that my dentist appointment is on friday"),
        json!({"kind": "remember", "text": "my dentist appointment is on friday"})
    );
    assert_eq!(
        heard("Jarvis, remember that my dentist appointment is on Friday."),
        json!({"kind": "remember", "text": "my dentist appointment is on Friday"})
    );
    assert_eq!(
        heard("Remember: the Wi-Fi password is Hunter2"),
        json!({"kind": "remember", "text": "the Wi-Fi password is Hunter2"})
    );
    assert_eq!(
        error("remember that."),
        Some(IntentError::NothingToRemember)
    );
}

#[test]
fn backtests() {
    assert_eq!(
        heard("run a backtest of the moving average strategy on google"),
        json!({"kind": "backtest", "strategy": "sma-cross", "symbol": "GOOG"})
    );
    assert_eq!(
        heard("Backtest RSI mean reversion on Tesla."),
        json!({"kind": "backtest", "strategy": "rsi-reversion", "symbol": "TSLA"})
    );
    assert_eq!(
        heard("run the breakout back test"),
        json!({"kind": "backtest", "strategy": "breakout"})
    );
    assert_eq!(
        heard("run an s m a crossover backtest on bank of america"),
        json!({"kind": "backtest", "strategy": "sma-cross", "symbol": "BAC"})
    );
    assert_eq!(
        error("run a backtest on apple"),
        Some(IntentError::MissingStrategy)
    );
    assert!(matches!(
        error("run a backtest of rsi and breakout"),
        Some(IntentError::AmbiguousStrategy(_))
    ));
    assert_eq!(
        error("run a breakout backtest on zorblax"),
        Some(IntentError::UnknownCompany("zorblax".into()))
    );
}

#[test]
fn intents_round_trip_through_json() {
    let intents = [
        Intent::Trade {
            side: Side::Sell,
            qty: Decimal::new(15, 1),
            symbol: "BRK.B".into(),
            order_type: OrderType::Limit,
            limit_price: Some(Decimal::new(41_050, 2)),
        },
        Intent::CancelAll,
        Intent::KillSwitch { engaged: false },
        Intent::Query {
            what: QueryTarget::Cash,
        },
        Intent::Navigate {
            screen: Screen::Voice,
        },
        Intent::Backtest {
            strategy: Strategy::RsiReversion,
            symbol: None,
        },
    ];
    for intent in intents {
        let text = serde_json::to_string(&intent).unwrap_or_default();
        let back: Option<Intent> = serde_json::from_str(&text).ok();
        assert_eq!(back, Some(intent), "{text}");
    }
    let text = serde_json::to_string(&Intent::Trade {
        side: Side::Buy,
        qty: Decimal::from(10),
        symbol: "AAPL".into(),
        order_type: OrderType::Limit,
        limit_price: Some(Decimal::from(110)),
    })
    .unwrap_or_default();
    assert_eq!(
        text,
        r#"{"kind":"trade","side":"buy","qty":"10","symbol":"AAPL","order_type":"limit","limit_price":"110"}"#
    );
}
