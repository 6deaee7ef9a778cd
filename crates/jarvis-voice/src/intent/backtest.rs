//! "run a backtest of the moving average strategy on google".

use super::company::{self, Lookup};
use super::error::IntentError;
use super::model::{Intent, IntentContext, Strategy};
use super::words::{FILLER, command_start, find_phrase};

const BACKTEST: &[(&str, ())] = &[
    ("backtest", ()),
    ("backtests", ()),
    ("backtesting", ()),
    ("back test", ()),
    ("back tests", ()),
    ("back testing", ()),
];

/// Words that start a backtest request, besides "backtest" itself.
const VERBS: &[&str] = &[
    "do", "execute", "kick", "launch", "perform", "rerun", "run", "start", "try",
];

/// How people name each strategy; spelled letters arrive joined ("r s i" → "rsi").
const STRATEGIES: &[(&str, Strategy)] = &[
    ("simple moving average", Strategy::SmaCross),
    ("moving average", Strategy::SmaCross),
    ("moving averages", Strategy::SmaCross),
    ("sma", Strategy::SmaCross),
    ("sma cross", Strategy::SmaCross),
    ("sma crossover", Strategy::SmaCross),
    ("crossover", Strategy::SmaCross),
    ("cross over", Strategy::SmaCross),
    ("golden cross", Strategy::SmaCross),
    ("rsi", Strategy::RsiReversion),
    ("rsi reversion", Strategy::RsiReversion),
    ("rsi mean reversion", Strategy::RsiReversion),
    ("mean reversion", Strategy::RsiReversion),
    ("reversion", Strategy::RsiReversion),
    ("relative strength", Strategy::RsiReversion),
    ("relative strength index", Strategy::RsiReversion),
    ("breakout", Strategy::Breakout),
    ("breakouts", Strategy::Breakout),
    ("break out", Strategy::Breakout),
    ("channel breakout", Strategy::Breakout),
    ("donchian", Strategy::Breakout),
];

/// Words around the company in a backtest request, for error messages.
const BACKTEST_FILLER: &[&str] = &[
    "do",
    "execute",
    "for",
    "it",
    "kick",
    "launch",
    "me",
    "off",
    "on",
    "perform",
    "rerun",
    "run",
    "start",
    "strategies",
    "strategy",
    "test",
    "try",
    "using",
    "with",
];

/// `None` when the sentence does not ask for a backtest.
pub(super) fn parse(words: &[&str], ctx: &IntentContext) -> Option<Result<Intent, IntentError>> {
    let (at, len, ()) = find_phrase(words, BACKTEST)?;
    let start = command_start(words, &[]);
    let first = words.get(start)?;
    // "what is a backtest" is a question, not a request.
    let asks = start == at
        || VERBS.contains(first)
        || find_phrase(words.get(start..)?, STRATEGIES).is_some_and(|(pos, _, _)| pos == 0);
    if !asks {
        return None;
    }
    let mut used = vec![false; words.len()];
    used.iter_mut().skip(at).take(len).for_each(|u| *u = true);
    Some(strategy(words, &mut used).and_then(|strategy| {
        let symbol = symbol(words, &used, ctx)?;
        Ok(Intent::Backtest { strategy, symbol })
    }))
}

/// The one strategy named; marks its words as used.
fn strategy(words: &[&str], used: &mut [bool]) -> Result<Strategy, IntentError> {
    let mut named: Vec<Strategy> = Vec::new();
    let mut from = 0;
    while let Some((pos, len, strategy)) =
        words.get(from..).and_then(|w| find_phrase(w, STRATEGIES))
    {
        let begin = from + pos;
        used.iter_mut()
            .skip(begin)
            .take(len)
            .for_each(|u| *u = true);
        if !named.contains(&strategy) {
            named.push(strategy);
        }
        from = begin + len;
    }
    match named.as_slice() {
        [] => Err(IntentError::MissingStrategy),
        [only] => Ok(*only),
        _ => Err(IntentError::AmbiguousStrategy(
            named.iter().map(|s| name(*s).to_string()).collect(),
        )),
    }
}

/// The company in the words not used by "backtest" or the strategy.
fn symbol(
    words: &[&str],
    used: &[bool],
    ctx: &IntentContext,
) -> Result<Option<String>, IntentError> {
    let region: Vec<&str> = words
        .iter()
        .zip(used)
        .filter(|(_, used)| !**used)
        .map(|(word, _)| *word)
        .collect();
    match company::find(&region, ctx, false) {
        Lookup::Found(symbol) => Ok(Some(symbol)),
        Lookup::Ambiguous(symbols) => Err(IntentError::AmbiguousCompany(symbols)),
        Lookup::NotFound => {
            // Leftover words were meant as a company we do not know; running
            // on the default symbol instead would answer another question.
            let start = command_start(&region, &[]);
            let leftover: Vec<&str> = region
                .iter()
                .skip(start)
                .filter(|w| !FILLER.contains(w) && !BACKTEST_FILLER.contains(w))
                .copied()
                .collect();
            if leftover.is_empty() {
                Ok(None)
            } else {
                Err(IntentError::UnknownCompany(leftover.join(" ")))
            }
        }
    }
}

/// The strategy's name as the JSON spells it.
fn name(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::SmaCross => "sma-cross",
        Strategy::RsiReversion => "rsi-reversion",
        Strategy::Breakout => "breakout",
    }
}
