//! Orders: "buy ten shares of apple", "sell 5 MSFT at a limit of 110 dollars".
//!
//! An order is a side word, then a quantity, then a company, then maybe a
//! price. Misheard side words ("by", "cell") only count when a quantity
//! follows, so "by the way" stays chat.

use rust_decimal::Decimal;

use super::company::{self, Lookup};
use super::error::IntentError;
use super::model::{Intent, IntentContext, OrderType, Side};
use super::numbers::{self, Number};
use super::words::{SHARE_WORDS, command_start, content};

/// Lead-ins specific to orders: "place a limit order to buy ...".
const ORDER_PREAMBLE: &[&str] = &[
    "a", "an", "enter", "go", "in", "limit", "make", "market", "new", "order", "place", "put",
    "submit",
];

/// Words after a quantity that make it money, not shares: "$500 of apple".
const MONEY_WORDS: &[&str] = &["bucks", "dollar", "dollars", "usd", "worth"];

/// Words after "at"/"for"/"with" that start a price: "at a limit of ...".
const PRICE_LEADS: &[&str] = &["a", "an", "limit", "market", "price", "the"];

/// `None` when the sentence is not an order at all.
pub(super) fn parse(words: &[&str], ctx: &IntentContext) -> Option<Result<Intent, IntentError>> {
    let start = command_start(words, ORDER_PREAMBLE);
    let (side, certain) = side(words.get(start)?)?;
    let rest = words.get(start + 1..).unwrap_or_default();

    let Some(qty) = quantity(rest) else {
        // "buy apple" is an order without a size; "buy a house" is not an order.
        let order_like = certain
            && (rest.iter().any(|w| SHARE_WORDS.contains(w))
                || company::find(rest, ctx, false) != Lookup::NotFound);
        return order_like.then(|| Err(IntentError::MissingQuantity(words.join(" "))));
    };
    let after = rest.get(qty.len..).unwrap_or_default();
    if after.first().is_some_and(|w| MONEY_WORDS.contains(w)) {
        return Some(Err(IntentError::NotionalAmount));
    }
    let (span, price_words) = after.split_at(price_start(after));
    // "shares" says a company is meant, so a near-miss name may count and an
    // unknown one is an error; without it "buy two tickets" is just chat.
    let said_shares = span.iter().any(|w| SHARE_WORDS.contains(w));
    let found = company::find(span, ctx, said_shares);
    if found == Lookup::NotFound && !said_shares {
        return None;
    }
    Some(order(side, qty.value, found, span, price_words, words))
}

/// Builds the order once the sentence is known to be one.
fn order(
    side: Side,
    qty: Decimal,
    found: Lookup,
    span: &[&str],
    price_words: &[&str],
    words: &[&str],
) -> Result<Intent, IntentError> {
    if qty <= Decimal::ZERO {
        return Err(IntentError::NonPositiveQuantity(qty.normalize()));
    }
    let symbol = match found {
        Lookup::Found(symbol) => symbol,
        Lookup::Ambiguous(symbols) => return Err(IntentError::AmbiguousCompany(symbols)),
        Lookup::NotFound => {
            let named = content(span);
            return Err(if named.is_empty() {
                IntentError::MissingCompany(words.join(" "))
            } else {
                IntentError::UnknownCompany(named)
            });
        }
    };
    let limit_price = limit_price(price_words)?;
    let order_type = match limit_price {
        Some(_) => OrderType::Limit,
        // "limit" without a number must not quietly become a market order.
        None if words.contains(&"limit") => return Err(IntentError::MissingLimitPrice),
        None => OrderType::Market,
    };
    Ok(Intent::Trade {
        side,
        qty: qty.normalize(),
        symbol,
        order_type,
        limit_price,
    })
}

/// The side, and whether the word is certain or a sound-alike.
fn side(word: &str) -> Option<(Side, bool)> {
    match word {
        "buy" | "purchase" => Some((Side::Buy, true)),
        "by" | "bye" | "bi" => Some((Side::Buy, false)),
        "sell" => Some((Side::Sell, true)),
        "cell" | "sel" | "sale" | "sail" => Some((Side::Sell, false)),
        _ => None,
    }
}

/// The quantity right after the side word.
fn quantity(words: &[&str]) -> Option<Number> {
    // "a share of apple" is one share.
    if let ["a" | "an", next, ..] = words
        && SHARE_WORDS.contains(next)
    {
        return Some(Number {
            value: Decimal::ONE,
            len: 1,
            homophone: false,
        });
    }
    let number = numbers::parse(words, true)?;
    // "to"/"for" is a number only when "shares" follows: "sell for me" is not 4.
    let shares_next = words
        .get(number.len)
        .is_some_and(|w| SHARE_WORDS.contains(w));
    (!number.homophone || shares_next).then_some(number)
}

/// Where the price part starts: "at 110", "limit 110", "at a limit of 110",
/// "at market". "at and t" is a company, not a price.
fn price_start(words: &[&str]) -> usize {
    words
        .iter()
        .enumerate()
        .position(|(i, word)| {
            let next = words.get(i + 1..).unwrap_or_default();
            match *word {
                "limit" | "market" => true,
                "at" | "for" | "with" => {
                    next.first().is_some_and(|n| PRICE_LEADS.contains(n))
                        || numbers::parse(next, false).is_some()
                }
                _ => false,
            }
        })
        .unwrap_or(words.len())
}

/// The first number in the price part, with "and 50 cents" added.
fn limit_price(words: &[&str]) -> Result<Option<Decimal>, IntentError> {
    let Some((at, price)) = (0..words.len())
        .find_map(|i| numbers::parse(words.get(i..)?, false).map(|number| (i, number)))
    else {
        return Ok(None);
    };
    let mut value = price.value;
    let mut rest = words.get(at + price.len..).unwrap_or_default();
    if let ["dollars" | "dollar" | "bucks", tail @ ..] = rest {
        rest = tail;
    }
    if let ["and", tail @ ..] = rest {
        rest = tail;
    }
    if let Some(cents) = numbers::parse(rest, false)
        && rest
            .get(cents.len)
            .is_some_and(|w| matches!(*w, "cents" | "cent"))
        && let Some(sum) = cents
            .value
            .checked_div(Decimal::ONE_HUNDRED)
            .and_then(|c| value.checked_add(c))
    {
        value = sum;
    }
    if value <= Decimal::ZERO {
        return Err(IntentError::NonPositivePrice(value.normalize()));
    }
    Ok(Some(value.normalize()))
}
