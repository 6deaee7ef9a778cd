//! whisper's raw text made fit for the intent parser: non-speech markers
//! out, a command repeated by the decoder said once.

/// whisper's text without its non-speech annotations (`[BLANK_AUDIO]`,
/// `(music)`, `*laughs*`) and surrounding whitespace.
pub fn clean_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    // Where the open marker started in `out`, and the character closing it.
    let mut open: Option<(usize, char)> = None;
    for c in raw.chars() {
        match open {
            Some((start, end)) if c == end => {
                out.truncate(start);
                open = None;
                continue;
            }
            None => {
                open = match c {
                    '[' => Some((out.len(), ']')),
                    '(' => Some((out.len(), ')')),
                    '*' => Some((out.len(), '*')),
                    _ => None,
                }
            }
            Some(_) => {}
        }
        out.push(c);
    }
    // An unclosed bracket is kept: it is text, not a marker.
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` without a verbatim repetition at its end: on a shortened audio
/// window whisper sometimes says the command again and again ("Show my open
/// positions. Show my open positions. Show my"). The first copy is kept;
/// words are compared without case or punctuation.
pub fn drop_repeated_tail(text: &str, cut_short: bool) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let keys: Vec<String> = words
        .iter()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .flat_map(char::to_lowercase)
                .collect()
        })
        .collect();
    let n = keys.len();
    let ends_sentence = |i: usize| words[i].ends_with(['.', '?', '!']);
    // Earliest cut first, so the longest repeated tail goes. A tail counts
    // when it repeats the words just before it: at least one whole copy
    // (the last may be partial); or, when whisper was stopped at its token
    // limit (so was looping), the start of a repeated whole sentence.
    for cut in 1..n {
        let tail = &keys[cut..];
        for unit in 1..=cut {
            if tail.len() < unit {
                let whole_sentence =
                    ends_sentence(cut - 1) && (cut == unit || ends_sentence(cut - unit - 1));
                if !(cut_short && whole_sentence) {
                    continue;
                }
            }
            let pattern = &keys[cut - unit..cut];
            if tail
                .iter()
                .enumerate()
                .all(|(i, key)| *key == pattern[i % unit])
            {
                let kept = words[..cut].join(" ");
                return kept.trim_end_matches([',', ';', ':']).to_string();
            }
        }
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_removed() {
        assert_eq!(clean_text(" [BLANK_AUDIO]"), "");
        assert_eq!(
            clean_text(" (upbeat music) Buy ten shares."),
            "Buy ten shares."
        );
        assert_eq!(
            clean_text("Cancel *coughs* all  orders. [ Silence ]"),
            "Cancel all orders."
        );
        assert_eq!(
            clean_text("  Show my open positions.\n"),
            "Show my open positions."
        );
        assert_eq!(clean_text("Sell five (at market"), "Sell five (at market");
    }

    #[test]
    fn repeated_tails_are_dropped() {
        assert_eq!(
            drop_repeated_tail(
                "Show my open positions. Show my open positions. Show my",
                false
            ),
            "Show my open positions."
        );
        assert_eq!(
            drop_repeated_tail(
                "Activate the kill switch, activate the kill switch, activate",
                false
            ),
            "Activate the kill switch"
        );
        assert_eq!(
            drop_repeated_tail(
                "Run a backtest on Google. Run Google. Google. Google. Google.",
                false
            ),
            "Run a backtest on Google. Run Google."
        );
        // Half a copy is not a repetition yet; nor are repeats mid-sentence.
        assert_eq!(
            drop_repeated_tail("Buy ten shares of Apple. Buy ten", false),
            "Buy ten shares of Apple. Buy ten"
        );
        // ...unless whisper hit its token limit, i.e. was looping.
        assert_eq!(
            drop_repeated_tail("Buy ten shares of Apple. Buy ten", true),
            "Buy ten shares of Apple."
        );
        assert_eq!(
            drop_repeated_tail("Buy ten shares of Apple at ten", true),
            "Buy ten shares of Apple at ten"
        );
        assert_eq!(
            drop_repeated_tail("Hello. Buy ten shares. Buy", true),
            "Hello. Buy ten shares."
        );
        assert_eq!(
            drop_repeated_tail("Very very good, thank you.", true),
            "Very very good, thank you."
        );
        assert_eq!(
            drop_repeated_tail("Cancel all open orders.", true),
            "Cancel all open orders."
        );
        assert_eq!(drop_repeated_tail("", true), "");
    }
}
