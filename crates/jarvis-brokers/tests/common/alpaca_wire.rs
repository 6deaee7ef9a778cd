//! Alpaca's order wire format, for the loopback servers that stand in for
//! it: the body of `POST /v2/orders`, the order object its endpoints
//! return, and its error body. Shared by the adapter's tests
//! (jarvis-brokers) and the end-to-end broker tests (jarvis-server), which
//! include this file by path.
#![allow(dead_code)] // Each test file uses its own subset.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

/// The body of `POST /v2/orders`, typed as the docs give it: quantities and
/// prices are strings, and nothing else may appear.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    pub symbol: String,
    pub qty: String,
    pub side: String,
    #[serde(rename = "type")]
    pub order_type: String,
    pub time_in_force: String,
    pub limit_price: Option<String>,
    pub client_order_id: String,
}

/// An Alpaca error body: `{"code": …, "message": …}`.
pub fn alpaca_error(status: StatusCode, code: u64, message: &str) -> Response {
    (status, Json(json!({ "code": code, "message": message }))).into_response()
}

/// An order object as Alpaca returns it, every documented field present.
pub fn order_json(
    id: &str,
    new: &NewOrder,
    status: &str,
    filled: &str,
    avg: Option<&str>,
) -> Value {
    json!({
        "id": id,
        "client_order_id": new.client_order_id,
        "created_at": "2024-01-02T14:30:00.123456Z",
        "updated_at": "2024-01-02T14:30:00.123456Z",
        "submitted_at": "2024-01-02T14:30:00.120000Z",
        "filled_at": if status == "filled" { json!("2024-01-02T14:30:00.200000Z") } else { Value::Null },
        "expired_at": null,
        "canceled_at": null,
        "failed_at": null,
        "replaced_at": null,
        "replaced_by": null,
        "replaces": null,
        "asset_id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415",
        "symbol": new.symbol,
        "asset_class": "us_equity",
        "notional": null,
        "qty": new.qty,
        "filled_qty": filled,
        "filled_avg_price": avg,
        "order_class": "",
        "order_type": new.order_type,
        "type": new.order_type,
        "side": new.side,
        "time_in_force": new.time_in_force,
        "limit_price": new.limit_price,
        "stop_price": null,
        "status": status,
        "extended_hours": false,
        "legs": null,
        "trail_percent": null,
        "trail_price": null,
        "hwm": null
    })
}
