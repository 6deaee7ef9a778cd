//! `/api/v1/events`: the event bus as a WebSocket of JSON messages.

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use tokio::sync::broadcast::error::RecvError;

use crate::ServerState;
use crate::auth::PROTOCOL;

pub(crate) async fn subscribe(
    State(state): State<ServerState>,
    upgrade: WebSocketUpgrade,
) -> Response {
    // Selecting our protocol (never the bearer one) is what browsers require
    // when they offered sub-protocols.
    upgrade
        .protocols([PROTOCOL])
        .on_upgrade(move |socket| forward(socket, state))
}

async fn forward(mut socket: WebSocket, state: ServerState) {
    let mut events = state.app.bus.subscribe();
    let mut shutdown = state.shutdown.clone();
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(event) => {
                    let text = serde_json::to_string(&event).expect("events serialise");
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                // A slow client missed some events; the next one still arrives
                // and each event tells the UI to re-read its state.
                Err(RecvError::Lagged(skipped)) => tracing::warn!(skipped, "event socket lagged"),
                Err(RecvError::Closed) => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            _ = shutdown.changed() => {
                let _ = socket.send(Message::Close(None)).await;
                break;
            }
        }
    }
}
