//! HTTP plumbing shared by the adapters: the client, transport-error
//! mapping, query encoding and exact decimal parsing.

use std::str::FromStr;

use jarvis_trading::broker::BrokerError;
use rust_decimal::Decimal;

use crate::Timeouts;

/// One pooled client per adapter, with both timeouts set so no call hangs.
pub(crate) fn client(
    broker: &'static str,
    timeouts: Timeouts,
) -> Result<reqwest::Client, BrokerError> {
    reqwest::Client::builder()
        .connect_timeout(timeouts.connect)
        .timeout(timeouts.request)
        .user_agent(concat!("jarvis/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| BrokerError::Unreachable {
            broker,
            reason: format!("cannot set up the HTTP client: {}", describe(e)),
        })
}

/// A whole answer: read fully so the request timeout also covers the body.
pub(crate) struct Reply {
    pub status: u16,
    /// `Retry-After` in seconds, when the server sent one.
    pub retry_after_secs: Option<u64>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The start of the body, for error messages (bodies never hold secrets;
    /// requests do, and they are not echoed).
    pub fn snippet(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        if text.is_empty() {
            format!("HTTP {} with an empty body", self.status)
        } else {
            format!(
                "HTTP {}: {}",
                self.status,
                text.chars().take(200).collect::<String>()
            )
        }
    }
}

pub(crate) async fn send(
    broker: &'static str,
    request: reqwest::RequestBuilder,
) -> Result<Reply, BrokerError> {
    let response = request.send().await.map_err(|e| transport(broker, e))?;
    let status = response.status().as_u16();
    let retry_after_secs = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let body = response.bytes().await.map_err(|e| transport(broker, e))?;
    Ok(Reply {
        status,
        retry_after_secs,
        body: body.to_vec(),
    })
}

/// A transport failure. Refused connections never reached the broker;
/// anything after the connection was up (timeouts, resets) may have.
pub(crate) fn transport(broker: &'static str, error: reqwest::Error) -> BrokerError {
    let connect = error.is_connect();
    let timeout = error.is_timeout();
    let reason = describe(error);
    if connect {
        BrokerError::Unreachable { broker, reason }
    } else if timeout {
        BrokerError::Unknown {
            broker,
            reason: format!("no complete answer in time ({reason})"),
        }
    } else {
        BrokerError::Unknown { broker, reason }
    }
}

/// The error and its causes, without the URL (Binance URLs carry signatures).
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Percent-encodes a query value: only unreserved characters pass, so the
/// URL parser leaves the string exactly as signed.
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `k1=v1&k2=v2`, values encoded, in the given order.
pub(crate) fn query(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A decimal from the broker's text (`"187.42"`, `"1.5e3"`), exactly.
pub(crate) fn decimal(
    broker: &'static str,
    field: &str,
    text: &str,
) -> Result<Decimal, BrokerError> {
    let text = text.trim();
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text)
    } else {
        Decimal::from_str(text)
    };
    parsed.map_err(|_| BrokerError::Protocol {
        broker,
        reason: format!(
            "{field} is not a decimal: {:?}",
            text.chars().take(40).collect::<String>()
        ),
    })
}

/// A decimal from a raw JSON value: a number's own text or a quoted string.
pub(crate) fn raw_decimal(
    broker: &'static str,
    field: &str,
    raw: &serde_json::value::RawValue,
) -> Result<Decimal, BrokerError> {
    let text = raw.get();
    decimal(broker, field, text.trim_matches('"'))
}

/// A JSON body that isn't what the docs describe.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    broker: &'static str,
    what: &str,
    body: &[u8],
) -> Result<T, BrokerError> {
    serde_json::from_slice(body).map_err(|e| BrokerError::Protocol {
        broker,
        reason: format!("cannot read the {what}: {e}"),
    })
}

/// Decimals as brokers want them in requests: plain digits, no exponent.
pub(crate) fn plain(value: Decimal) -> String {
    value.normalize().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_only_unreserved_characters_verbatim() {
        assert_eq!(encode("2024-01-02T14:30:00Z"), "2024-01-02T14%3A30%3A00Z");
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(
            query(&[("a", "1".into()), ("b", "x y".into())]),
            "a=1&b=x%20y"
        );
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(
            decimal("t", "x", "123.4567890123456789")
                .unwrap()
                .to_string(),
            "123.4567890123456789"
        );
        assert_eq!(decimal("t", "x", "1.5e3").unwrap(), Decimal::from(1500));
        assert!(decimal("t", "x", "abc").is_err());
        assert_eq!(plain(Decimal::from_str("0.01000000").unwrap()), "0.01");
        assert_eq!(plain(Decimal::from(100)), "100");
    }
}
