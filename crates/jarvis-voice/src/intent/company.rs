//! Finds which company a stretch of words names: by name, by ticker (said
//! as a word or spelled out), from the user's watchlist first.

use super::model::IntentContext;
use super::normalize;
use super::tickers::{COMPANIES, WORD_TICKERS};
use super::words::{FILLER, same_ignoring_spaces};

/// Longest name in words, e.g. "bank of new york mellon".
const MAX_WORDS: usize = 5;

/// Names shorter than this are not fuzzy-matched: "meta" is one typo from "beta".
const MIN_FUZZY_LEN: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lookup {
    Found(String),
    /// Several different companies were named.
    Ambiguous(Vec<String>),
    NotFound,
}

/// The one company `words` names.
///
/// Names beat bare tickers ("apple now" is AAPL, not NOW). With `fuzzy`, a
/// name one edit away ("microsft") also counts, but only when nothing
/// matched exactly; the caller allows it only where a company is expected.
pub(crate) fn find(words: &[&str], ctx: &IntentContext, fuzzy: bool) -> Lookup {
    let watch: Vec<Entry> = ctx
        .watchlist
        .iter()
        .map(|item| Entry {
            symbol: item.symbol.trim().to_uppercase(),
            name: normalize::tokens(&item.name).concat(),
        })
        .collect();
    let (names, tickers) = exact(words, &watch);
    for found in [names, tickers] {
        match found.as_slice() {
            [] => {}
            [only] => return Lookup::Found(only.clone()),
            _ => return Lookup::Ambiguous(found),
        }
    }
    if fuzzy {
        // A near miss that could be two companies is no answer at all.
        if let [only] = near_misses(words, &watch).as_slice() {
            return Lookup::Found(only.clone());
        }
    }
    Lookup::NotFound
}

/// A watchlist entry, normalised like the words it is compared with.
struct Entry {
    symbol: String,
    name: String,
}

/// Symbols named exactly, in order and without repeats: (by name, by ticker).
fn exact(words: &[&str], watch: &[Entry]) -> (Vec<String>, Vec<String>) {
    let mut names = Vec::new();
    let mut tickers = Vec::new();
    let mut start = 0;
    while start < words.len() {
        let longest = (1..=MAX_WORDS.min(words.len() - start))
            .rev()
            .find_map(|len| {
                let gram = words.get(start..start + len)?.concat();
                if let Some(symbol) = by_name(&gram, watch) {
                    Some((len, symbol, true))
                } else {
                    by_ticker(&gram, watch).map(|symbol| (len, symbol, false))
                }
            });
        let Some((len, symbol, is_name)) = longest else {
            start += 1;
            continue;
        };
        let list = if is_name { &mut names } else { &mut tickers };
        if !list.contains(&symbol) {
            list.push(symbol);
        }
        start += len;
    }
    (names, tickers)
}

fn by_name(gram: &str, watch: &[Entry]) -> Option<String> {
    if let Some(entry) = watch.iter().find(|e| !e.name.is_empty() && e.name == gram) {
        return Some(entry.symbol.clone());
    }
    COMPANIES
        .iter()
        .find(|c| {
            c.aliases
                .iter()
                .any(|alias| same_ignoring_spaces(alias, gram))
        })
        .map(|c| c.symbol.to_string())
}

/// "aapl", "brkb" ("b r k b" spelled, "BRK.B" written): the ticker itself.
fn by_ticker(gram: &str, watch: &[Entry]) -> Option<String> {
    if WORD_TICKERS.contains(&gram) {
        return None;
    }
    let same = |symbol: &str| {
        symbol
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .eq(gram.chars())
    };
    watch
        .iter()
        .map(|e| e.symbol.as_str())
        .chain(COMPANIES.iter().map(|c| c.symbol))
        .find(|symbol| same(symbol))
        .map(str::to_string)
}

/// Symbols whose name is one edit from a word or word pair ("microsft").
fn near_misses(words: &[&str], watch: &[Entry]) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for start in 0..words.len() {
        for len in 1..=2 {
            let Some(gram) = words.get(start..start + len) else {
                continue;
            };
            if gram.iter().any(|w| FILLER.contains(w)) {
                continue;
            }
            let gram = gram.concat();
            if gram.chars().count() < MIN_FUZZY_LEN {
                continue;
            }
            let close = |name: &str| {
                let name: String = name.split(' ').collect();
                name.chars().count() >= MIN_FUZZY_LEN
                    && strsim::damerau_levenshtein(&name, &gram) <= 1
            };
            let watched = watch
                .iter()
                .filter(|e| close(&e.name))
                .map(|e| e.symbol.clone());
            let listed = COMPANIES
                .iter()
                .filter(|c| c.aliases.iter().any(|alias| close(alias)))
                .map(|c| c.symbol.to_string());
            for symbol in watched.chain(listed) {
                if !found.contains(&symbol) {
                    found.push(symbol);
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find_in(text: &str, ctx: &IntentContext, fuzzy: bool) -> Lookup {
        let tokens = normalize::tokens(text);
        let words: Vec<&str> = tokens.iter().map(String::as_str).collect();
        find(&words, ctx, fuzzy)
    }

    fn symbol(text: &str) -> Option<String> {
        match find_in(text, &IntentContext::default(), false) {
            Lookup::Found(symbol) => Some(symbol),
            _ => None,
        }
    }

    #[test]
    fn names_to_tickers() {
        let cases = [
            ("apple", "AAPL"),
            ("Apple's", "AAPL"),
            ("microsoft", "MSFT"),
            ("micro soft", "MSFT"),
            ("google", "GOOG"),
            ("alphabet class a", "GOOGL"),
            ("amazon", "AMZN"),
            ("facebook", "META"),
            ("meta", "META"),
            ("nvidia", "NVDA"),
            ("in video", "NVDA"),
            ("tesla", "TSLA"),
            ("berkshire hathaway", "BRK.B"),
            ("JPMorgan", "JPM"),
            ("j p morgan", "JPM"),
            ("JP Morgan Chase", "JPM"),
            ("bank of america", "BAC"),
            ("the bank of new york mellon", "BK"),
            ("AT&T", "T"),
            ("Procter & Gamble", "PG"),
            ("Coca-Cola", "KO"),
            ("McDonald's", "MCD"),
            ("Lowe's", "LOW"),
            ("T-Mobile", "TMUS"),
            ("3M", "MMM"),
            ("three m", "MMM"),
            ("pay pal", "PYPL"),
            ("ge vernova", "GEV"),
        ];
        for (text, expected) in cases {
            assert_eq!(symbol(text).as_deref(), Some(expected), "{text}");
        }
    }

    #[test]
    fn raw_and_spelled_tickers() {
        assert_eq!(symbol("aapl").as_deref(), Some("AAPL"));
        assert_eq!(symbol("a a p l").as_deref(), Some("AAPL"));
        assert_eq!(symbol("N.V.D.A.").as_deref(), Some("NVDA"));
        assert_eq!(symbol("BRK.B").as_deref(), Some("BRK.B"));
        assert_eq!(symbol("googl").as_deref(), Some("GOOGL"));
        assert_eq!(symbol("IBM").as_deref(), Some("IBM"));
    }

    #[test]
    fn everyday_words_are_not_tickers() {
        assert_eq!(symbol("now"), None);
        assert_eq!(symbol("so"), None);
        assert_eq!(symbol("t"), None);
        assert_eq!(symbol("apple now").as_deref(), Some("AAPL"));
        // The company name still works.
        assert_eq!(symbol("service now").as_deref(), Some("NOW"));
    }

    #[test]
    fn names_beat_tickers() {
        assert_eq!(symbol("apple ibm").as_deref(), Some("AAPL"));
    }

    #[test]
    fn two_companies_are_ambiguous() {
        let found = find_in("apple and microsoft", &IntentContext::default(), false);
        assert_eq!(found, Lookup::Ambiguous(vec!["AAPL".into(), "MSFT".into()]));
        assert_eq!(symbol("apple and apple").as_deref(), Some("AAPL"));
    }

    #[test]
    fn watchlist_comes_first() {
        let ctx = IntentContext::default()
            .watch("RIVN", "Rivian")
            .watch("GOOGL", "Google");
        assert_eq!(find_in("rivian", &ctx, false), Lookup::Found("RIVN".into()));
        assert_eq!(
            find_in("r i v n", &ctx, false),
            Lookup::Found("RIVN".into())
        );
        assert_eq!(
            find_in("google", &ctx, false),
            Lookup::Found("GOOGL".into())
        );
        assert_eq!(
            find_in("rivian", &IntentContext::default(), false),
            Lookup::NotFound
        );
    }

    #[test]
    fn fuzzy_only_when_asked_and_unique() {
        let ctx = IntentContext::default();
        assert_eq!(find_in("microsft", &ctx, false), Lookup::NotFound);
        assert_eq!(
            find_in("microsft", &ctx, true),
            Lookup::Found("MSFT".into())
        );
        assert_eq!(find_in("apples", &ctx, true), Lookup::Found("AAPL".into()));
        assert_eq!(find_in("rivian", &ctx, true), Lookup::NotFound);
        assert_eq!(find_in("house", &ctx, true), Lookup::NotFound);
        // Short names need an exact match.
        assert_eq!(find_in("beta", &ctx, true), Lookup::NotFound);
    }
}
