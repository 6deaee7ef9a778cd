//! Loopback servers shared by the adapter tests.
#![allow(dead_code)] // Each test file uses its own subset.

pub mod alpaca_wire;

use std::time::Duration;

use axum::Router;
use jarvis_brokers::Timeouts;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// Serves `router` on 127.0.0.1 and returns its base URL.
pub async fn serve(router: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    format!("http://{addr}")
}

/// A server that accepts connections, reads the request and never answers.
pub async fn silent() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while matches!(socket.read(&mut buf).await, Ok(n) if n > 0) {}
            });
        }
    });
    format!("http://{addr}")
}

/// A URL where nothing listens (connections are refused).
pub async fn refused() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    drop(listener);
    format!("http://{addr}")
}

/// Short enough that a hang is noticed quickly in tests.
pub fn quick() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(1),
        request: Duration::from_secs(1),
    }
}

pub fn dec(text: &str) -> rust_decimal::Decimal {
    text.parse().expect("decimal literal")
}
