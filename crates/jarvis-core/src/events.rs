//! The one event bus: services publish, both shells forward to the UI.

use serde::Serialize;
use tokio::sync::broadcast;
use ts_rs::TS;

use crate::server::ServerStatus;

/// Something the UI should know about as it happens.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum Event {
    /// A provider was added, changed or removed; lists should be re-read.
    ProvidersChanged,
    /// The local server started, stopped or failed.
    ServerChanged { status: ServerStatus },
    /// A conversation was created, renamed, pinned, deleted or got a message.
    ConversationsChanged,
    /// A remembered fact was added or deleted: re-read the facts.
    FactsChanged,
    /// An assistant answer started streaming from `provider`.
    ChatStarted {
        conversation_id: String,
        message_id: String,
        provider: String,
    },
    /// More text of a streaming answer.
    ChatDelta {
        conversation_id: String,
        message_id: String,
        text: String,
    },
    /// A streaming answer ended (stored; re-read the conversation's messages).
    ChatFinished {
        conversation_id: String,
        message_id: String,
    },
    /// An order was accepted, filled (partly), cancelled or rejected.
    OrderUpdated {
        order_id: String,
        symbol: String,
        state: String,
    },
    /// An order (partly) filled; amounts are decimal strings.
    OrderFilled {
        order_id: String,
        symbol: String,
        side: String,
        qty: String,
        price: String,
    },
    /// Account, positions, orders, risk settings or the kill switch changed:
    /// re-read them.
    TradingChanged,
    /// A symbol's latest price (decimal string; time RFC 3339 UTC).
    Quote {
        symbol: String,
        price: String,
        time: String,
    },
    /// A bar of market data arrived (a replay or a live feed); `time` is
    /// Unix seconds, prices and volume decimal strings.
    MarketBar {
        symbol: String,
        time: i64,
        open: String,
        high: String,
        low: String,
        close: String,
        volume: String,
    },
    /// A market-data replay started, advanced a lot, or ended.
    ReplayChanged { symbol: String, running: bool },
    /// Push-to-talk moved: `state` is idle, listening, transcribing or
    /// speaking; `trigger` says what started it (hotkey, tray, ui, api).
    VoiceState {
        state: String,
        trigger: Option<String>,
    },
    /// The microphone's loudness while listening, 0 to 1, ten times a second.
    VoiceLevel { level: f32 },
    /// A voice command was heard and handled: re-read the voice history.
    VoiceFinished { run_id: String },
    /// The voice settings changed (hotkey, mode, device, model, replies).
    VoiceSettingsChanged,
    /// A speech model download moved on; `total` is 0 while unknown.
    VoiceModelProgress {
        name: String,
        #[ts(type = "number")]
        received: u64,
        #[ts(type = "number")]
        total: u64,
        done: bool,
        error: Option<String>,
    },
}

/// A `tokio::sync::broadcast` bus. Cloning gives another handle to the same bus.
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Event>,
}

impl EventBus {
    /// Events a slow subscriber may lag behind before it starts missing some.
    const CAPACITY: usize = 256;

    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(Self::CAPACITY);
        Self { sender }
    }

    /// Publishes to every current subscriber; having none is not an error.
    pub fn publish(&self, event: Event) {
        let _ = self.sender.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_subscriber_gets_each_event_in_order() {
        let bus = EventBus::new();
        let mut a = bus.subscribe();
        let mut b = bus.clone().subscribe();
        bus.publish(Event::ProvidersChanged);
        let status = ServerStatus::stopped(crate::ServerManager::Desktop);
        bus.publish(Event::ServerChanged {
            status: status.clone(),
        });
        for rx in [&mut a, &mut b] {
            assert_eq!(rx.recv().await.unwrap(), Event::ProvidersChanged);
            assert_eq!(
                rx.recv().await.unwrap(),
                Event::ServerChanged {
                    status: status.clone()
                }
            );
        }
    }

    #[test]
    fn events_serialise_with_a_type_tag() {
        assert_eq!(
            serde_json::to_value(Event::ProvidersChanged).unwrap(),
            serde_json::json!({"type": "providers_changed"})
        );
    }
}
