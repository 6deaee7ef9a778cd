//! The JSON API. Each handler extracts its input, calls one service method and
//! maps the error; nothing else.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use jarvis_ai::{NewProvider, Provider, ProviderPatch};
use jarvis_app::Health;
use jarvis_core::{ServerSettings, ServerView};

use crate::ServerState;
use crate::error::ApiError;
use crate::json::ValidJson;

pub(crate) fn api() -> Router<ServerState> {
    Router::new()
        .route("/health", get(health))
        .route("/providers", get(list_providers).post(add_provider))
        .route(
            "/providers/{id}",
            patch(update_provider).delete(remove_provider),
        )
        .route("/settings/server", get(get_server).put(set_server))
        .route("/events", get(crate::events::subscribe))
        .fallback(not_found)
}

/// The only route without a credential: states, no paths or names.
pub(crate) async fn public_health(State(state): State<ServerState>) -> Json<Health> {
    Json(state.app.health(false).await)
}

async fn health(State(state): State<ServerState>) -> Json<Health> {
    Json(state.app.health(true).await)
}

async fn list_providers(State(state): State<ServerState>) -> Result<Json<Vec<Provider>>, ApiError> {
    Ok(Json(state.app.providers.list().await?))
}

async fn add_provider(
    State(state): State<ServerState>,
    ValidJson(request): ValidJson<NewProvider>,
) -> Result<(StatusCode, Json<Provider>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.app.providers.add(request).await?),
    ))
}

async fn update_provider(
    State(state): State<ServerState>,
    Path(id): Path<String>,
    ValidJson(patch): ValidJson<ProviderPatch>,
) -> Result<Json<Provider>, ApiError> {
    Ok(Json(state.app.providers.update(&id, patch).await?))
}

async fn remove_provider(
    State(state): State<ServerState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.app.providers.remove(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_server(State(state): State<ServerState>) -> Result<Json<ServerView>, ApiError> {
    Ok(Json(state.app.server_view().await?))
}

async fn set_server(
    State(state): State<ServerState>,
    ValidJson(settings): ValidJson<ServerSettings>,
) -> Result<Json<ServerView>, ApiError> {
    Ok(Json(state.app.set_server_settings(settings).await?))
}

async fn not_found() -> ApiError {
    ApiError(jarvis_core::Problem::new(
        jarvis_core::ErrorKind::NotFound,
        "not_found",
        "no such API route",
    ))
}
