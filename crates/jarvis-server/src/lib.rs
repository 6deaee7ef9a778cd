//! `jarvisd`'s library: the axum router over the Jarvis services, the host and
//! token checks, the event WebSocket, the embedded UI, and the two ways to run
//! it (the `jarvisd` process, or in-process inside the desktop app).

mod auth;
mod error;
mod events;
mod host;
mod json;
mod openai;
mod routes;
mod runtime;
mod trading;
mod ui;
mod voice;

pub use error::ApiError;
pub use host::HostPolicy;
pub use runtime::{InProcessServer, JarvisdRuntime, serve};

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use jarvis_app::App;
use secrecy::SecretString;
use tokio::sync::watch;

/// Largest request body accepted (JSON requests are small).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What every handler and middleware can reach.
#[derive(Clone)]
pub(crate) struct ServerState {
    pub app: Arc<App>,
    pub token: Arc<SecretString>,
    pub hosts: Arc<HostPolicy>,
    /// Flips to true when the server stops, so open WebSockets close.
    pub shutdown: watch::Receiver<bool>,
}

/// The whole HTTP surface: `/health`, `/api/v1/…`, the event WebSocket and the UI.
pub fn router(
    app: Arc<App>,
    token: SecretString,
    hosts: HostPolicy,
    shutdown: watch::Receiver<bool>,
) -> Router {
    let state = ServerState {
        app,
        token: Arc::new(token),
        hosts: Arc::new(hosts),
        shutdown,
    };
    // `layer`, not `route_layer`: unknown API routes need the token too.
    let api = routes::api().layer(axum::middleware::from_fn_with_state(
        state.clone(),
        auth::require_token,
    ));
    let openai = openai::routes().layer(axum::middleware::from_fn_with_state(
        state.clone(),
        auth::require_token,
    ));
    Router::new()
        .route("/health", axum::routing::get(routes::public_health))
        .nest("/api/v1", api)
        .nest("/v1", openai)
        .fallback(ui::serve_ui)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            host::check_host,
        ))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                // Method and path only: queries could carry secrets.
                |request: &axum::http::Request<_>| {
                    tracing::info_span!("http", method = %request.method(), path = request.uri().path())
                },
            ),
        )
        .with_state(state)
}
