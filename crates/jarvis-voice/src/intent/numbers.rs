//! Reads a number said in words or digits from the front of a word list.
//!
//! "one hundred and fifty", "2500", "twenty five", "a hundred", "1.5",
//! "one point five", "two and a half", "half", "minus five".

use std::str::FromStr;

use rust_decimal::Decimal;

/// A number and how many words it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Number {
    pub value: Decimal,
    pub len: usize,
    /// A sound-alike stood for a digit ("to" → 2): the caller decides whether
    /// the context makes that believable.
    pub homophone: bool,
}

/// Reads the longest number at the start of `words`, if there is one.
///
/// With `homophones`, "to"/"too" count as two and "for"/"fore" as four:
/// only sensible right where a quantity is expected.
pub(crate) fn parse(words: &[&str], homophones: bool) -> Option<Number> {
    let negative = matches!(words.first(), Some(&("minus" | "negative")));
    let skip = usize::from(negative);
    let mut number = magnitude(words.get(skip..)?, homophones)?;
    number.len += skip;
    if negative {
        number.value = -number.value;
    }
    Some(number)
}

/// What the previous word was, to know which words may follow it:
/// "twenty five" is a number, "five twenty" is two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    Nothing,
    Digits,
    Unit,
    Teen,
    Tens,
    Hundred,
    Scale,
}

fn magnitude(words: &[&str], homophones: bool) -> Option<Number> {
    if let Some(half) = bare_half(words) {
        return Some(half);
    }
    let mut total = Decimal::ZERO;
    let mut current = Decimal::ZERO;
    let mut last = Last::Nothing;
    let mut homophone = false;
    let mut i = 0;
    while let Some(&word) = words.get(i) {
        let next = words.get(i + 1).copied();
        if last == Last::Nothing
            && let Some(value) = digits(word)
        {
            current = value;
            last = Last::Digits;
        } else if last == Last::Nothing
            && matches!(word, "a" | "an")
            && next.is_some_and(|n| n == "hundred" || scale(n).is_some())
        {
            current = Decimal::ONE;
            last = Last::Unit;
        } else if let Some(value) = unit(word, homophones) {
            if !matches!(
                last,
                Last::Nothing | Last::Tens | Last::Hundred | Last::Scale
            ) {
                break;
            }
            current = current.checked_add(value)?;
            homophone |= unit(word, false).is_none();
            last = Last::Unit;
        } else if let Some(value) = teen(word) {
            if !matches!(last, Last::Nothing | Last::Hundred | Last::Scale) {
                break;
            }
            current = current.checked_add(value)?;
            last = Last::Teen;
        } else if let Some(value) = tens(word) {
            if !matches!(last, Last::Nothing | Last::Hundred | Last::Scale) {
                break;
            }
            current = current.checked_add(value)?;
            last = Last::Tens;
        } else if word == "hundred" {
            if matches!(last, Last::Hundred | Last::Scale) {
                break;
            }
            current = at_least_one(current).checked_mul(Decimal::ONE_HUNDRED)?;
            last = Last::Hundred;
        } else if let Some(value) = scale(word) {
            if last == Last::Scale {
                break;
            }
            total = total.checked_add(at_least_one(current).checked_mul(value)?)?;
            current = Decimal::ZERO;
            last = Last::Scale;
        } else if word == "and"
            && matches!(last, Last::Hundred | Last::Scale)
            && next.is_some_and(|n| unit(n, false).or(teen(n)).or(tens(n)).is_some())
        {
            // "one hundred and fifty": the "and" belongs to the number.
        } else {
            break;
        }
        i += 1;
    }
    if last == Last::Nothing {
        return None;
    }
    let mut value = total.checked_add(current)?;
    let rest = words.get(i..).unwrap_or_default();
    if let Some(len) = and_a_half(rest) {
        value = value.checked_add(Decimal::new(5, 1))?;
        i += len;
    } else if let Some((fraction, len)) = point_digits(rest)
        && value.fract().is_zero()
    {
        value = Decimal::from_str(&format!("{}.{fraction}", value.trunc())).ok()?;
        i += len;
    }
    Some(Number {
        value,
        len: i,
        homophone,
    })
}

/// "half", "a half", "one half": as in "half a share".
fn bare_half(words: &[&str]) -> Option<Number> {
    let len = match words {
        ["half", ..] => 1,
        ["a" | "one", "half", ..] => 2,
        _ => return None,
    };
    Some(Number {
        value: Decimal::new(5, 1),
        len,
        homophone: false,
    })
}

/// "and a half" after a whole number.
fn and_a_half(words: &[&str]) -> Option<usize> {
    matches!(words, ["and", "a" | "one", "half", ..]).then_some(3)
}

/// "point five", "point two five", "point 25": the digits after the point.
fn point_digits(words: &[&str]) -> Option<(String, usize)> {
    let ["point", rest @ ..] = words else {
        return None;
    };
    let mut fraction = String::new();
    let mut len = 1;
    for word in rest {
        if word.chars().all(|c| c.is_ascii_digit()) {
            fraction.push_str(word);
        } else if let Some(digit) = unit(word, false) {
            fraction.push_str(&digit.to_string());
        } else if *word == "oh" {
            fraction.push('0');
        } else {
            break;
        }
        len += 1;
    }
    (!fraction.is_empty()).then_some((fraction, len))
}

/// "2500", "1.5", "110.50" as written by speech-to-text.
fn digits(word: &str) -> Option<Decimal> {
    if !word.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    if !word.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    Decimal::from_str(word).ok()
}

fn at_least_one(value: Decimal) -> Decimal {
    if value.is_zero() { Decimal::ONE } else { value }
}

fn unit(word: &str, homophones: bool) -> Option<Decimal> {
    let value = match word {
        "zero" => 0,
        "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        // Whisper hears "two shares" as "to shares" and "four" as "for".
        "to" | "too" if homophones => 2,
        "for" | "fore" if homophones => 4,
        _ => return None,
    };
    Some(Decimal::from(value))
}

fn teen(word: &str) -> Option<Decimal> {
    let value = match word {
        "ten" => 10,
        "eleven" => 11,
        "twelve" => 12,
        "thirteen" => 13,
        "fourteen" => 14,
        "fifteen" => 15,
        "sixteen" => 16,
        "seventeen" => 17,
        "eighteen" => 18,
        "nineteen" => 19,
        _ => return None,
    };
    Some(Decimal::from(value))
}

fn tens(word: &str) -> Option<Decimal> {
    let value = match word {
        "twenty" => 20,
        "thirty" => 30,
        "forty" => 40,
        "fifty" => 50,
        "sixty" => 60,
        "seventy" => 70,
        "eighty" => 80,
        "ninety" => 90,
        _ => return None,
    };
    Some(Decimal::from(value))
}

fn scale(word: &str) -> Option<Decimal> {
    match word {
        "thousand" => Some(Decimal::from(1_000)),
        "million" => Some(Decimal::from(1_000_000)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value and length read from a space-separated phrase.
    fn read(text: &str) -> Option<(String, usize)> {
        let words: Vec<&str> = text.split_whitespace().collect();
        parse(&words, false).map(|n| (n.value.normalize().to_string(), n.len))
    }

    fn value(text: &str) -> String {
        read(text).map(|(v, _)| v).unwrap_or_default()
    }

    #[test]
    fn words_to_numbers() {
        assert_eq!(value("ten"), "10");
        assert_eq!(value("twenty five"), "25");
        assert_eq!(value("one hundred and fifty"), "150");
        assert_eq!(value("a hundred"), "100");
        assert_eq!(value("two thousand five hundred"), "2500");
        assert_eq!(value("fifteen hundred"), "1500");
        assert_eq!(value("one hundred thousand"), "100000");
        assert_eq!(value("a million"), "1000000");
        assert_eq!(value("zero"), "0");
    }

    #[test]
    fn digits_and_decimals() {
        assert_eq!(value("2500"), "2500");
        assert_eq!(value("1.5"), "1.5");
        assert_eq!(value("110.50"), "110.5");
        assert_eq!(value("2 hundred"), "200");
        assert_eq!(value("one point five"), "1.5");
        assert_eq!(value("one hundred ten point two five"), "110.25");
    }

    #[test]
    fn halves() {
        assert_eq!(read("half a share"), Some(("0.5".into(), 1)));
        assert_eq!(read("a half"), Some(("0.5".into(), 2)));
        assert_eq!(read("two and a half shares"), Some(("2.5".into(), 4)));
    }

    #[test]
    fn negatives() {
        assert_eq!(value("minus five"), "-5");
        assert_eq!(value("negative 5"), "-5");
        assert_eq!(read("minus"), None);
    }

    #[test]
    fn stops_where_the_number_ends() {
        assert_eq!(read("ten shares of apple"), Some(("10".into(), 1)));
        assert_eq!(
            read("one hundred and fifty shares"),
            Some(("150".into(), 4))
        );
        // "and" not followed by a number is not part of it.
        assert_eq!(read("one hundred and apples"), Some(("100".into(), 2)));
        // "five ten" is two numbers, not fifteen or fifty.
        assert_eq!(read("five ten"), Some(("5".into(), 1)));
        assert_eq!(read("ten five"), Some(("10".into(), 1)));
        assert_eq!(read("twenty thirty"), Some(("20".into(), 1)));
    }

    #[test]
    fn not_numbers() {
        assert_eq!(read("apple"), None);
        assert_eq!(read("a house"), None);
        assert_eq!(read("3m"), None);
        assert_eq!(read("1.2.3"), None);
        assert_eq!(read(""), None);
    }

    #[test]
    fn homophones_only_when_asked() {
        let words = ["to", "shares"];
        assert_eq!(parse(&words, false), None);
        let two = parse(&words, true).map(|n| (n.value, n.homophone));
        assert_eq!(two, Some((Decimal::from(2), true)));
        let four = parse(&["twenty", "for"], true).map(|n| (n.value, n.homophone));
        assert_eq!(four, Some((Decimal::from(24), true)));
        let plain = parse(&["two"], true).map(|n| n.homophone);
        assert_eq!(plain, Some(false));
    }

    #[test]
    fn overflow_is_not_a_number() {
        let huge = ["million"; 8].join(" ");
        assert_eq!(value(&format!("one {huge}")), "1000000");
        assert_eq!(read("99999999999999999999999999999999"), None);
    }
}
