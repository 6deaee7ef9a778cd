//! Which broker trading goes through: the built-in paper broker, Alpaca
//! paper trading or Binance Spot testnet. The choice and endpoints are in
//! SQLite; the key id and secret only in the SecretStore (the keychain).
//!
//! A new choice is tried before it is kept: the broker's account is read
//! with the given keys, so wrong keys or a wrong URL are refused with the
//! field and the broker's reason, and nothing changes.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use jarvis_brokers::{AlpacaBroker, BinanceBroker, Timeouts};
use jarvis_trading::broker::BrokerError;
use jarvis_trading::live::LiveVenue;
use rusqlite::OptionalExtension;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{App, AppError};

/// How often open orders and the account are read back from a live broker.
pub const SYNC_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum BrokerKind {
    /// The built-in paper broker: fills against replayed or live quotes.
    Paper,
    /// Alpaca's Trading API (paper endpoint unless changed): US stocks.
    Alpaca,
    /// Binance Spot (testnet unless changed): crypto pairs.
    Binance,
}

impl BrokerKind {
    fn as_str(self) -> &'static str {
        match self {
            BrokerKind::Paper => "paper",
            BrokerKind::Alpaca => "alpaca",
            BrokerKind::Binance => "binance",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "paper" => Some(BrokerKind::Paper),
            "alpaca" => Some(BrokerKind::Alpaca),
            "binance" => Some(BrokerKind::Binance),
            _ => None,
        }
    }

    /// (trading URL, market-data URL) when none are given.
    fn default_urls(self) -> (Option<&'static str>, Option<&'static str>) {
        match self {
            BrokerKind::Paper => (None, None),
            BrokerKind::Alpaca => (Some(AlpacaBroker::PAPER_URL), Some(AlpacaBroker::DATA_URL)),
            BrokerKind::Binance => (Some(BinanceBroker::TESTNET_URL), None),
        }
    }
}

/// `GET /api/v1/trading/broker`: the broker in use. No key ever leaves the
/// keychain; `key_hint` is the key id's last four characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct BrokerSettings {
    pub kind: BrokerKind,
    pub base_url: Option<String>,
    pub data_url: Option<String>,
    pub key_hint: Option<String>,
    /// Whether the last read of the broker's account worked (`None` for paper
    /// or before the first read).
    pub connected: Option<bool>,
    /// The broker's last error, when not connected.
    pub error: Option<String>,
}

/// `PUT /api/v1/trading/broker`. Keys may be left out to keep the stored
/// ones (e.g. to change only a URL).
#[derive(Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct BrokerUpdate {
    pub kind: BrokerKind,
    #[serde(default)]
    #[ts(optional)]
    pub base_url: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub data_url: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub key_id: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub secret: Option<String>,
}

impl std::fmt::Debug for BrokerUpdate {
    // Keys are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerUpdate")
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("data_url", &self.data_url)
            .finish_non_exhaustive()
    }
}

/// The stored row.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stored {
    kind: BrokerKind,
    base_url: Option<String>,
    data_url: Option<String>,
    key_hint: Option<String>,
}

impl Default for Stored {
    fn default() -> Self {
        Self {
            kind: BrokerKind::Paper,
            base_url: None,
            data_url: None,
            key_hint: None,
        }
    }
}

fn key_id_name(kind: BrokerKind) -> String {
    format!("trading/{}/key_id", kind.as_str())
}

fn secret_name(kind: BrokerKind) -> String {
    format!("trading/{}/secret", kind.as_str())
}

/// An absolute http(s) URL with a host and nothing after the path; plain
/// http only on loopback (a test server, a local proxy), since keys travel
/// in the headers.
fn endpoint(field: &'static str, value: &str) -> Result<String, AppError> {
    let value = value.trim();
    let url = url::Url::parse(value)
        .map_err(|e| AppError::invalid(field, format!("is not a valid URL ({e})")))?;
    let host = url.host_str().unwrap_or_default().to_owned();
    if host.is_empty() {
        return Err(AppError::invalid(field, "must name a host"));
    }
    let loopback = matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]");
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(AppError::invalid(
                field,
                "must use https:// (plain http is allowed only on this computer)",
            ));
        }
        _ => return Err(AppError::invalid(field, "must start with https://")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AppError::invalid(
            field,
            "must not contain a user name or password",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(AppError::invalid(
            field,
            "must not contain a query or fragment",
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn key(field: &'static str, value: &str) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::invalid(field, "is required"));
    }
    if value.len() > 512 || value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(AppError::invalid(
            field,
            "must be the key as the broker shows it: no spaces, at most 512 characters",
        ));
    }
    Ok(value.to_owned())
}

fn hint(key_id: &str) -> Option<String> {
    let chars: Vec<char> = key_id.chars().collect();
    (chars.len() >= 8).then(|| chars[chars.len() - 4..].iter().collect())
}

/// The adapter for a stored or proposed choice.
fn adapter(
    kind: BrokerKind,
    base_url: &str,
    data_url: Option<&str>,
    key_id: String,
    secret: SecretString,
) -> Result<Arc<LiveVenue>, BrokerError> {
    Ok(match kind {
        BrokerKind::Alpaca => {
            let a = Arc::new(AlpacaBroker::new(
                base_url,
                data_url.unwrap_or(AlpacaBroker::DATA_URL),
                key_id,
                secret,
                Timeouts::default(),
            )?);
            LiveVenue::new(a.clone(), a)
        }
        BrokerKind::Binance => {
            let b = Arc::new(BinanceBroker::new(
                base_url,
                key_id,
                secret,
                Timeouts::default(),
            )?);
            LiveVenue::new(b.clone(), b)
        }
        BrokerKind::Paper => unreachable!("paper has no adapter"),
    })
}

impl App {
    async fn stored_broker(&self) -> Result<Stored, AppError> {
        Ok(self
            .db
            .call(|conn| -> Result<_, AppError> {
                let row = conn
                    .query_row(
                        "SELECT kind, base_url, data_url, key_hint FROM trading_broker WHERE id = 1",
                        [],
                        |r| {
                            Ok((
                                r.get::<_, String>(0)?,
                                r.get::<_, Option<String>>(1)?,
                                r.get::<_, Option<String>>(2)?,
                                r.get::<_, Option<String>>(3)?,
                            ))
                        },
                    )
                    .optional()
                    .map_err(jarvis_store::DbError::from)?;
                Ok(row)
            })
            .await?
            .and_then(|(kind, base_url, data_url, key_hint)| {
                Some(Stored {
                    kind: BrokerKind::parse(&kind)?,
                    base_url,
                    data_url,
                    key_hint,
                })
            })
            .unwrap_or_default())
    }

    /// The key id and secret saved for `kind`, when both are in the keychain.
    async fn stored_keys(
        &self,
        kind: BrokerKind,
    ) -> Result<Option<(String, SecretString)>, AppError> {
        let secrets = self.secrets.clone();
        let (id, secret) = crate::blocking(move || {
            Ok((
                secrets.get(&key_id_name(kind))?,
                secrets.get(&secret_name(kind))?,
            ))
        })
        .await?;
        Ok(match (id, secret) {
            (Some(id), Some(secret)) => Some((id.expose_secret().to_owned(), secret)),
            _ => None,
        })
    }

    pub async fn broker_settings(&self) -> Result<BrokerSettings, AppError> {
        let stored = self.stored_broker().await?;
        let venue = self.trading.venue();
        let (connected, error) = match &venue {
            None => (None, None),
            Some(_) => match self.trading.account().await {
                Ok(account) => (Some(account.broker_error.is_none()), account.broker_error),
                Err(e) => (Some(false), Some(e.to_string())),
            },
        };
        let (default_base, default_data) = stored.kind.default_urls();
        Ok(BrokerSettings {
            kind: stored.kind,
            base_url: stored.base_url.or(default_base.map(str::to_owned)),
            data_url: stored.data_url.or(default_data.map(str::to_owned)),
            key_hint: stored.key_hint,
            connected,
            error,
        })
    }

    /// Switches broker after proving the keys work; refused while orders
    /// are open at the current live broker (they could not be managed).
    pub async fn set_broker(&self, update: BrokerUpdate) -> Result<BrokerSettings, AppError> {
        let stored = self.stored_broker().await?;
        if let Some(current) = self.trading.venue()
            && update.kind.as_str() != current.name()
        {
            let open = self.trading.open_order_count(current.name());
            if open > 0 {
                return Err(AppError::invalid(
                    "kind",
                    format!(
                        "{open} order(s) are still open at {}: cancel them (or let them fill) before switching broker",
                        current.name()
                    ),
                ));
            }
        }
        let (default_base, default_data) = update.kind.default_urls();
        let same_kind = stored.kind == update.kind;
        let base_url = match (&update.base_url, same_kind) {
            (Some(u), _) if !u.trim().is_empty() => Some(endpoint("base_url", u)?),
            (_, true) if stored.base_url.is_some() => stored.base_url.clone(),
            _ => default_base.map(str::to_owned),
        };
        let data_url = match (&update.data_url, update.kind) {
            (_, BrokerKind::Paper | BrokerKind::Binance) => None,
            (Some(u), _) if !u.trim().is_empty() => Some(endpoint("data_url", u)?),
            (_, _) if same_kind && stored.data_url.is_some() => stored.data_url.clone(),
            _ => default_data.map(str::to_owned),
        };

        let venue = match update.kind {
            BrokerKind::Paper => None,
            kind => {
                let (new_id, new_secret) = match (&update.key_id, &update.secret) {
                    (Some(id), Some(secret)) => {
                        (Some(key("key_id", id)?), Some(key("secret", secret)?))
                    }
                    (None, None) => (None, None),
                    (Some(_), None) => {
                        return Err(AppError::invalid("secret", "is required with a new key id"));
                    }
                    (None, Some(_)) => {
                        return Err(AppError::invalid("key_id", "is required with a new secret"));
                    }
                };
                let (key_id, secret) = match (new_id.clone(), new_secret.clone()) {
                    (Some(id), Some(secret)) => (id, SecretString::from(secret)),
                    _ => self.stored_keys(kind).await?.ok_or_else(|| {
                        AppError::invalid(
                            "key_id",
                            format!("is required: no {} keys are stored yet", kind.as_str()),
                        )
                    })?,
                };
                let base = base_url.clone().unwrap_or_default();
                let venue = adapter(kind, &base, data_url.as_deref(), key_id, secret)
                    .map_err(|e| AppError::invalid("base_url", e.to_string()))?;
                // Prove the keys and URL before keeping anything.
                if let Err(e) = venue.refresh().await {
                    let field = match e {
                        BrokerError::Auth { .. } => "secret",
                        _ => "base_url",
                    };
                    return Err(AppError::invalid(field, e.to_string()));
                }
                if let (Some(id), Some(secret)) = (new_id, new_secret) {
                    let secrets = self.secrets.clone();
                    crate::blocking(move || {
                        secrets.set(&key_id_name(kind), &SecretString::from(id))?;
                        secrets.set(&secret_name(kind), &SecretString::from(secret))?;
                        Ok(())
                    })
                    .await?;
                }
                Some(venue)
            }
        };
        let key_hint = match (&update.key_id, update.kind) {
            (_, BrokerKind::Paper) => None,
            (Some(id), _) => hint(id.trim()),
            (None, _) if same_kind => stored.key_hint.clone(),
            (None, _) => None,
        };
        let row = Stored {
            kind: update.kind,
            base_url: base_url.filter(|_| update.kind != BrokerKind::Paper),
            data_url,
            key_hint,
        };
        self.db
            .call(move |conn| -> Result<(), AppError> {
                conn.execute(
                    "INSERT INTO trading_broker (id, kind, base_url, data_url, key_hint, updated_at)
                     VALUES (1, ?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (id) DO UPDATE SET kind = ?1, base_url = ?2, data_url = ?3,
                       key_hint = ?4, updated_at = ?5",
                    (
                        row.kind.as_str(),
                        &row.base_url,
                        &row.data_url,
                        &row.key_hint,
                        Utc::now().to_rfc3339(),
                    ),
                )
                .map_err(jarvis_store::DbError::from)?;
                Ok(())
            })
            .await?;
        tracing::info!(broker = update.kind.as_str(), "trading broker selected");
        self.trading.set_venue(venue);
        self.broker_settings().await
    }

    /// Connects the saved broker (keys from the keychain) and reconciles
    /// its open orders. A broker that cannot be reached now is still
    /// selected — orders are refused with its error until it answers —
    /// so a restart never silently falls back to paper.
    pub async fn connect_saved_broker(&self) -> Result<(), AppError> {
        let stored = self.stored_broker().await?;
        if stored.kind == BrokerKind::Paper {
            return Ok(());
        }
        let kind = stored.kind;
        let Some((id, secret)) = self.stored_keys(kind).await? else {
            return Err(AppError::NotSupported(format!(
                "{} is the selected broker but its keys are not in the keychain; enter them again in Settings",
                kind.as_str()
            )));
        };
        let (default_base, _) = kind.default_urls();
        let base = stored
            .base_url
            .clone()
            .or(default_base.map(str::to_owned))
            .unwrap_or_default();
        let venue = adapter(kind, &base, stored.data_url.as_deref(), id, secret)
            .map_err(|e| AppError::NotSupported(e.to_string()))?;
        self.trading.set_venue(Some(venue));
        self.trading.sync_live().await?;
        Ok(())
    }

    /// Connects the saved broker, then keeps it in step every
    /// [`SYNC_EVERY`]. Call once from inside the async runtime.
    pub fn start_broker_sync(self: &Arc<Self>) {
        let app = self.clone();
        tokio::spawn(async move {
            if let Err(e) = app.connect_saved_broker().await {
                tracing::warn!(error = %e, "saved broker not connected");
            }
            let mut tick = tokio::time::interval(SYNC_EVERY);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = app.trading.sync_live().await {
                    tracing::debug!(error = %e, "broker sync");
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_need_https_except_on_loopback() {
        assert_eq!(
            endpoint("base_url", "https://paper-api.alpaca.markets/").unwrap(),
            "https://paper-api.alpaca.markets"
        );
        assert!(endpoint("base_url", "http://127.0.0.1:8080").is_ok());
        let err = endpoint("base_url", "http://example.com").unwrap_err();
        assert!(err.to_string().contains("https"), "{err}");
        assert!(endpoint("base_url", "https://u:p@example.com").is_err());
        assert!(endpoint("data_url", "ftp://example.com").is_err());
        assert!(endpoint("base_url", "not a url").is_err());
    }

    #[test]
    fn keys_are_trimmed_and_refused_when_empty_or_spaced() {
        assert_eq!(key("key_id", "  PKABC  ").unwrap(), "PKABC");
        assert!(key("key_id", "").is_err());
        assert!(key("secret", "a b").is_err());
        assert_eq!(hint("PKTEST12345678"), Some("5678".into()));
        assert_eq!(hint("short"), None);
    }
}
