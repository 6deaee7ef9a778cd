//! Turns a raw transcript into the lowercase words the recognisers compare.
//!
//! Whisper writes "Buy 2,500 shares of Apple's stock." where the parser wants
//! `buy 2500 shares of apple stock`: case, punctuation and possessives carry
//! no meaning for a command, but digits, decimal points and minus signs do.

/// Lowercase words, punctuation gone, spelled-out letters joined ("a a p l" → "aapl").
pub(crate) fn tokens(text: &str) -> Vec<String> {
    let text = drop_bracketed(text);
    let chars: Vec<char> = text.chars().collect();
    let mut out = Words::default();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let next = chars.get(i + 1).copied();
        let digit_before = prev.is_some_and(|p| p.is_ascii_digit());
        let digit_after = next.is_some_and(|n| n.is_ascii_digit());
        match c {
            c if c.is_alphanumeric() => out.current.extend(c.to_lowercase()),
            '\'' | '’' | '‘' | '`' => out.current.push('\''),
            // "1.5" keeps its point; "Apple." and "p.n.l" lose theirs.
            '.' if digit_before && digit_after && out.is_number() => out.current.push('.'),
            // "2,500" is one number, but "5, 10" is two.
            ',' if digit_before
                && out.is_number()
                && thousands_group(chars.get(i + 1..).unwrap_or_default()) => {}
            // "-5" is minus five; "twenty-five" and "re-arm" are two words.
            '-' | '−' if out.current.is_empty() && digit_after => out.push("minus"),
            '$' => {
                out.flush();
                out.dollars_pending = true;
            }
            '&' => {
                out.flush();
                out.push("and");
            }
            _ => out.flush(),
        }
    }
    out.flush();
    join_letter_runs(out.words)
}

/// Whisper marks non-speech as "[BLANK_AUDIO]" or "(music)"; none of it was said.
fn drop_bracketed(text: &str) -> String {
    let mut depth = 0usize;
    let mut kept = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => {
                depth = depth.saturating_sub(1);
                kept.push(' ');
            }
            _ if depth == 0 => kept.push(c),
            _ => {}
        }
    }
    kept
}

/// Exactly three digits and then no more: the tail of a thousands group.
fn thousands_group(rest: &[char]) -> bool {
    rest.len() >= 3
        && rest.iter().take(3).all(char::is_ascii_digit)
        && !rest.get(3).is_some_and(char::is_ascii_digit)
}

#[derive(Default)]
struct Words {
    words: Vec<String>,
    current: String,
    /// A "$" was seen: the next number is a dollar amount.
    dollars_pending: bool,
}

impl Words {
    fn is_number(&self) -> bool {
        !self.current.is_empty() && self.current.chars().all(|c| c.is_ascii_digit() || c == '.')
    }

    fn push(&mut self, word: &str) {
        self.flush();
        self.words.push(word.to_string());
    }

    fn flush(&mut self) {
        let word = std::mem::take(&mut self.current);
        // Possessives name the same thing: "apple's" → "apple", "lowe's" → "lowe".
        let word = word.strip_suffix("'s").unwrap_or(&word).replace('\'', "");
        if word.is_empty() {
            return;
        }
        let is_number = word.chars().all(|c| c.is_ascii_digit() || c == '.');
        self.words.push(word);
        // "$110" reads as "110 dollars", so amounts keep their unit.
        if std::mem::take(&mut self.dollars_pending) && is_number {
            self.words.push("dollars".to_string());
        }
    }
}

/// Joins runs of two or more single letters: "a a p l" → "aapl", "p n l" → "pnl".
fn join_letter_runs(words: Vec<String>) -> Vec<String> {
    let is_letter = |w: &str| w.chars().count() == 1 && w.chars().all(char::is_alphabetic);
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut prev_letter = false;
    for word in words {
        let letter = is_letter(&word);
        match out.last_mut() {
            Some(last) if letter && prev_letter => last.push_str(&word),
            _ => out.push(word),
        }
        prev_letter = letter;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::tokens;

    fn t(text: &str) -> Vec<String> {
        tokens(text)
    }

    #[test]
    fn lowercases_and_strips_punctuation() {
        assert_eq!(
            t("Buy ten shares of Apple."),
            ["buy", "ten", "shares", "of", "apple"]
        );
        assert_eq!(t("  What's   my P&L?! "), ["what", "my", "p", "and", "l"]);
    }

    #[test]
    fn keeps_numbers_whole() {
        assert_eq!(t("buy 2,500 shares"), ["buy", "2500", "shares"]);
        assert_eq!(t("1.5 shares."), ["1.5", "shares"]);
        assert_eq!(t("5, 10"), ["5", "10"]);
        assert_eq!(t("1,000,000"), ["1000000"]);
    }

    #[test]
    fn minus_sign_and_hyphens() {
        assert_eq!(t("buy -5 shares"), ["buy", "minus", "5", "shares"]);
        assert_eq!(t("twenty-five"), ["twenty", "five"]);
        assert_eq!(t("re-arm"), ["re", "arm"]);
    }

    #[test]
    fn dollar_sign_becomes_a_word() {
        assert_eq!(t("at $110.50"), ["at", "110.50", "dollars"]);
        assert_eq!(t("$ apple"), ["apple"]);
    }

    #[test]
    fn possessives_and_apostrophes() {
        assert_eq!(t("Apple's stock"), ["apple", "stock"]);
        assert_eq!(t("I’d like"), ["id", "like"]);
        assert_eq!(t("McDonald's"), ["mcdonald"]);
    }

    #[test]
    fn spelled_letters_join() {
        assert_eq!(t("buy 5 of A A P L"), ["buy", "5", "of", "aapl"]);
        assert_eq!(t("B.R.K. B"), ["brkb"]);
        assert_eq!(t("half a share"), ["half", "a", "share"]);
    }

    #[test]
    fn whisper_markers_are_not_words() {
        assert!(t("[BLANK_AUDIO]").is_empty());
        assert_eq!(t("(music) open settings"), ["open", "settings"]);
        assert!(t(" ... ").is_empty());
    }
}
