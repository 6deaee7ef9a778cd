//! Spoken commands carried out: a transcript's intent goes to trading,
//! navigation or chat. A trading command is never executed on voice alone:
//! it waits for a click or a spoken "confirm", then takes the same risk
//! pipeline as every other order (source `voice`).

use std::sync::Mutex;

use jarvis_trading::orders::{Order, OrderRequest, OrderSource, OrderType, Side};
use jarvis_voice::{Intent, IntentContext, QueryTarget};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{App, AppError};

/// `POST /api/v1/voice/command`: a transcript (from speech-to-text or typed).
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct VoiceCommand {
    pub text: String,
}

/// What became of a spoken command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum VoiceStatus {
    /// Waiting for a click or a spoken "confirm" (`confirmation_id`).
    NeedsConfirmation,
    /// Carried out; `message` says what happened.
    Done,
    /// Understood as a command that cannot be carried out as heard, or
    /// refused by a check; `message` says why.
    Refused,
    /// Not a command: hand the text to chat.
    ForChat,
    /// Open this screen.
    Navigate,
    /// A command for a part that is not built yet.
    NotAvailable,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct VoiceOutcome {
    pub status: VoiceStatus,
    /// A sentence for the user (and for spoken replies).
    pub message: String,
    pub intent: Option<Intent>,
    pub confirmation_id: Option<String>,
    pub order: Option<Order>,
    pub screen: Option<String>,
}

impl VoiceOutcome {
    /// A command that could not be carried out, and why.
    pub(crate) fn refused(message: impl Into<String>, intent: Option<Intent>) -> Self {
        Self::new(VoiceStatus::Refused, message, intent)
    }

    fn new(status: VoiceStatus, message: impl Into<String>, intent: Option<Intent>) -> Self {
        Self {
            status,
            message: message.into(),
            intent,
            confirmation_id: None,
            order: None,
            screen: None,
        }
    }
}

#[derive(Debug, Clone)]
enum Pending {
    Order(OrderRequest),
    CancelAll,
    ReleaseKillSwitch,
}

/// Commands waiting for confirmation, newest last.
#[derive(Default)]
pub struct PendingCommands {
    entries: Mutex<Vec<(String, Pending, Intent)>>,
}

const CONFIRM_WORDS: &[&str] = &[
    "confirm",
    "yes confirm",
    "confirm it",
    "confirmed",
    "yes do it",
    "confirm order",
];

fn is_confirmation(text: &str) -> bool {
    let words: String = text
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .collect();
    CONFIRM_WORDS.contains(
        &words
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .as_str(),
    )
}

impl App {
    /// Reads a transcript as a command and acts on it (or asks to confirm).
    pub async fn voice_command(&self, command: VoiceCommand) -> Result<VoiceOutcome, AppError> {
        let text = command.text.trim();
        if text.is_empty() {
            return Err(AppError::Invalid {
                field: "text",
                reason: "is empty: nothing was heard".into(),
            });
        }
        if is_confirmation(text) {
            let newest = self
                .pending
                .entries
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .last()
                .map(|e| e.0.clone());
            return match newest {
                Some(id) => self.voice_confirm(&id).await,
                None => Ok(VoiceOutcome::new(
                    VoiceStatus::Refused,
                    "There is nothing to confirm.",
                    None,
                )),
            };
        }
        let intent = match jarvis_voice::parse(text, &IntentContext::default()) {
            Ok(intent) => intent,
            Err(e) => {
                return Ok(VoiceOutcome::new(
                    VoiceStatus::Refused,
                    format!("I can't do that as heard: {e}."),
                    None,
                ));
            }
        };
        let ask = |pending: Pending, message: String| {
            let id = uuid_like();
            self.pending
                .entries
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((id.clone(), pending, intent.clone()));
            let mut outcome = VoiceOutcome::new(
                VoiceStatus::NeedsConfirmation,
                format!("{message} Say \"confirm\" or press Confirm."),
                Some(intent.clone()),
            );
            outcome.confirmation_id = Some(id);
            outcome
        };
        Ok(match &intent {
            Intent::Trade {
                side,
                qty,
                symbol,
                order_type,
                limit_price,
            } => {
                let request = OrderRequest {
                    symbol: symbol.clone(),
                    side: match side {
                        jarvis_voice::Side::Buy => Side::Buy,
                        jarvis_voice::Side::Sell => Side::Sell,
                    },
                    qty: *qty,
                    order_type: match order_type {
                        jarvis_voice::OrderType::Market => OrderType::Market,
                        jarvis_voice::OrderType::Limit => OrderType::Limit,
                    },
                    limit_price: *limit_price,
                    client_order_id: None,
                };
                let price = limit_price
                    .map(|p| format!(" at {p}"))
                    .unwrap_or_else(|| " at market".into());
                let verb = if request.side == Side::Buy {
                    "Buy"
                } else {
                    "Sell"
                };
                ask(
                    Pending::Order(request),
                    format!("{verb} {qty} {symbol}{price}?"),
                )
            }
            Intent::CancelAll => ask(Pending::CancelAll, "Cancel all open orders?".into()),
            Intent::KillSwitch { engaged: true } => {
                // A brake needs no confirmation.
                self.trading.set_kill_switch(true).await?;
                VoiceOutcome::new(
                    VoiceStatus::Done,
                    "Kill switch engaged: open orders cancelled, new orders blocked.",
                    Some(intent),
                )
            }
            Intent::KillSwitch { engaged: false } => ask(
                Pending::ReleaseKillSwitch,
                "Release the kill switch and allow trading again?".into(),
            ),
            Intent::Query { what } => {
                let account = self.trading.account().await?;
                let message = match what {
                    QueryTarget::Pnl => format!(
                        "Today's profit and loss is {}; realized {}, unrealized {}.",
                        account.day_pnl.round_dp(2),
                        account.realized_pnl.round_dp(2),
                        account.unrealized_pnl.round_dp(2)
                    ),
                    QueryTarget::Cash => format!(
                        "You have {} in cash; equity is {}.",
                        account.cash.round_dp(2),
                        account.equity.round_dp(2)
                    ),
                    QueryTarget::Positions => {
                        let positions = self.trading.positions().await?;
                        let open: Vec<String> = positions
                            .iter()
                            .filter(|p| !p.qty.is_zero())
                            .map(|p| format!("{} {}", p.qty, p.symbol))
                            .collect();
                        if open.is_empty() {
                            "You have no open positions.".into()
                        } else {
                            format!("You hold {}.", open.join(", "))
                        }
                    }
                };
                VoiceOutcome::new(VoiceStatus::Done, message, Some(intent))
            }
            Intent::Navigate { screen } => {
                let name = serde_json::to_value(screen)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let mut outcome = VoiceOutcome::new(
                    VoiceStatus::Navigate,
                    format!("Opening {name}."),
                    Some(intent.clone()),
                );
                outcome.screen = Some(name);
                outcome
            }
            Intent::Remember { text } => {
                let fact = self
                    .memory
                    .add_fact(text, jarvis_memory::FactSource::Voice)
                    .await
                    .map_err(|e| AppError::Invalid {
                        field: "text",
                        reason: e.to_string(),
                    })?;
                VoiceOutcome::new(
                    VoiceStatus::Done,
                    format!("I'll remember that {}.", fact.text.trim_end_matches('.')),
                    Some(intent.clone()),
                )
            }
            Intent::Backtest { .. } => VoiceOutcome::new(
                VoiceStatus::NotAvailable,
                "Backtests by voice are not available yet: run one from the Trading screen's backtest form with a CSV of bars.",
                Some(intent),
            ),
            Intent::Chat { .. } => {
                VoiceOutcome::new(VoiceStatus::ForChat, "Asking the assistant.", Some(intent))
            }
        })
    }

    /// Carries out a command that was waiting for confirmation.
    pub async fn voice_confirm(&self, id: &str) -> Result<VoiceOutcome, AppError> {
        let taken = {
            let mut entries = self
                .pending
                .entries
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            entries
                .iter()
                .position(|e| e.0 == id)
                .map(|i| entries.remove(i))
        };
        let Some((_, pending, intent)) = taken else {
            return Err(AppError::Invalid {
                field: "id",
                reason: format!("no command is waiting for confirmation with id {id}"),
            });
        };
        Ok(match pending {
            Pending::Order(request) => {
                match self.trading.place_order(request, OrderSource::Voice).await {
                    Ok(order) => {
                        let mut outcome = VoiceOutcome::new(
                            VoiceStatus::Done,
                            format!(
                                "Order {}: {} of {} {} filled.",
                                order.state.as_str().replace('_', " "),
                                order.filled_qty,
                                order.qty,
                                order.symbol
                            ),
                            Some(intent),
                        );
                        outcome.order = Some(order);
                        outcome
                    }
                    Err(e) => VoiceOutcome::new(
                        VoiceStatus::Refused,
                        format!("Refused: {e}."),
                        Some(intent),
                    ),
                }
            }
            Pending::CancelAll => {
                let n = self.trading.cancel_all().await?;
                VoiceOutcome::new(
                    VoiceStatus::Done,
                    format!("Cancelled {n} open orders."),
                    Some(intent),
                )
            }
            Pending::ReleaseKillSwitch => {
                self.trading.set_kill_switch(false).await?;
                VoiceOutcome::new(
                    VoiceStatus::Done,
                    "Kill switch released: trading is allowed again.",
                    Some(intent),
                )
            }
        })
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    format!("{:032x}", rand::rng().random::<u128>())
}

#[cfg(test)]
mod tests {
    #[test]
    fn confirmations_are_recognised_loosely_but_not_inside_sentences() {
        for yes in ["confirm", "Confirm.", "yes, confirm", "Confirmed!"] {
            assert!(super::is_confirmation(yes), "{yes}");
        }
        for no in ["confirm my appointment for friday", "buy ten shares", ""] {
            assert!(!super::is_confirmation(no), "{no}");
        }
    }
}
