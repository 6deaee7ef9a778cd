//! Word lists shared by the recognisers, and the "where does the command
//! start" rule they all use.

/// Politeness and lead-ins before a command: "jarvis, could you please ...".
/// A sentence whose first other word is not a command verb is a question or
/// a statement ("should I buy ...", "how do I open ..."), so it stays chat.
pub(crate) const PREAMBLE: &[&str] = &[
    "ahead", "alright", "and", "can", "could", "er", "hey", "hi", "hmm", "i", "id", "jarvis",
    "just", "kindly", "let", "lets", "like", "me", "now", "ok", "okay", "please", "quickly", "so",
    "to", "uh", "um", "us", "wanna", "want", "will", "would", "yeah", "yes", "you",
];

/// Words that only say "shares": "ten shares of", "five apple stocks".
pub(crate) const SHARE_WORDS: &[&str] = &["share", "shares", "stock", "stocks", "unit", "units"];

/// Words around a company name that are not part of it.
pub(crate) const FILLER: &[&str] = &[
    "a",
    "an",
    "and",
    "company",
    "corp",
    "corporation",
    "in",
    "inc",
    "my",
    "now",
    "of",
    "please",
    "right",
    "share",
    "shares",
    "stock",
    "stocks",
    "the",
    "unit",
    "units",
    "away",
];

/// Words meaning "I" or "mine": an account question is about the user.
pub(crate) const SELF: &[&str] = &["i", "im", "me", "mine", "my", "our", "we"];

/// Longest phrase [`find_phrase`] looks for: "how much money did i make".
pub(crate) const MAX_PHRASE_WORDS: usize = 6;

/// Index of the first word that is not preamble (or `extra`).
pub(crate) fn command_start(words: &[&str], extra: &[&str]) -> usize {
    words
        .iter()
        .position(|w| !PREAMBLE.contains(w) && !extra.contains(w))
        .unwrap_or(words.len())
}

/// The words of `words` that carry meaning, for error messages.
pub(crate) fn content(words: &[&str]) -> String {
    words
        .iter()
        .filter(|w| !FILLER.contains(w))
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Position of the first n-gram (up to [`MAX_PHRASE_WORDS`], spaces ignored) found in
/// `keys`, and the value stored with it; longer n-grams win at one position.
pub(crate) fn find_phrase<T: Copy>(
    words: &[&str],
    keys: &[(&str, T)],
) -> Option<(usize, usize, T)> {
    (0..words.len()).find_map(|start| {
        (1..=MAX_PHRASE_WORDS).rev().find_map(|len| {
            let gram = words.get(start..start + len)?.concat();
            keys.iter()
                .find(|(key, _)| same_ignoring_spaces(key, &gram))
                .map(|&(_, value)| (start, len, value))
        })
    })
}

/// "micro soft" and "microsoft" are the same name to a listener.
pub(crate) fn same_ignoring_spaces(a: &str, b: &str) -> bool {
    a.chars()
        .filter(|c| *c != ' ')
        .eq(b.chars().filter(|c| *c != ' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_preamble() {
        let words = ["jarvis", "could", "you", "please", "buy", "ten"];
        assert_eq!(command_start(&words, &[]), 4);
        assert_eq!(command_start(&["should", "i", "buy"], &[]), 0);
        assert_eq!(command_start(&["please"], &[]), 1);
    }

    #[test]
    fn finds_phrases_across_word_breaks() {
        let keys = [("p and l", 1), ("pnl", 2), ("profit", 3)];
        assert_eq!(
            find_phrase(&["my", "p", "and", "l"], &keys),
            Some((1, 3, 1))
        );
        assert_eq!(find_phrase(&["profit", "today"], &keys), Some((0, 1, 3)));
        assert_eq!(find_phrase(&["nothing"], &keys), None);
    }

    #[test]
    fn content_drops_filler() {
        assert_eq!(content(&["the", "zorblax", "company", "shares"]), "zorblax");
    }
}
