//! A prompt for whisper: words it should expect, so "Nvidia" is not "in video".
//!
//! Whisper's initial prompt holds about 224 tokens, so this stays short: the
//! command words and the companies people trade most.

use super::tickers;

/// The companies named in the prompt, most traded first.
const POPULAR: &[&str] = &[
    "AAPL", "MSFT", "GOOG", "AMZN", "META", "NVDA", "TSLA", "BRK.B", "JPM", "NFLX", "AMD", "INTC",
    "PLTR", "V", "MA", "WMT", "KO", "DIS", "XOM", "BAC",
];

const COMMANDS: &str = "Jarvis, buy ten shares of Apple. Sell five shares of Microsoft at a limit of 110 dollars. \
Market order. Cancel all open orders. Activate the kill switch. Deactivate the kill switch. \
What is my profit and loss today? P&L. Show my open positions. How much cash do I have? Buying power. \
Open the trading screen. Go to settings. Show the dashboard. Remember that. \
Run a backtest of the moving average strategy, RSI mean reversion, breakout.";

/// Command words and common company names, for whisper's initial prompt.
pub fn command_vocabulary() -> String {
    let names: Vec<&str> = POPULAR
        .iter()
        .filter_map(|symbol| tickers::by_symbol(symbol))
        .map(|company| company.name)
        .collect();
    format!("{COMMANDS} Companies: {}.", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_commands_and_companies() {
        let prompt = command_vocabulary();
        for word in [
            "buy",
            "Sell",
            "kill switch",
            "backtest",
            "Apple",
            "Nvidia",
            "Berkshire Hathaway",
        ] {
            assert!(prompt.contains(word), "{word} missing from {prompt}");
        }
    }

    #[test]
    fn every_popular_symbol_is_listed() {
        for symbol in POPULAR {
            assert!(tickers::by_symbol(symbol).is_some(), "{symbol}");
        }
    }

    #[test]
    fn short_enough_for_whisper() {
        // Roughly four characters a token; whisper keeps about 224.
        assert!(command_vocabulary().len() < 224 * 4);
    }
}
