//! `/api/v1/voice/…`: spoken (or typed) commands, push-to-talk, the voice
//! history, microphones and voice settings. Thin adapters over `App`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use jarvis_app::{
    ListenStatus, ListenTrigger, ModelDownload, ModelImport, SpeechModel, VoiceCommand,
    VoiceOutcome, VoiceRun, VoiceSettings,
};
use serde::Deserialize;

use crate::ServerState;
use crate::error::ApiError;
use crate::json::ValidJson;

pub(crate) fn routes() -> Router<ServerState> {
    Router::new()
        .route("/voice/command", post(command))
        .route("/voice/confirm/{id}", post(confirm))
        .route("/voice/status", get(status))
        .route("/voice/listen/start", post(start))
        .route("/voice/listen/stop", post(stop))
        .route("/voice/listen/toggle", post(toggle))
        .route("/voice/history", get(history))
        .route("/voice/devices", get(devices))
        .route("/voice/settings", get(settings).put(set_settings))
        .route("/voice/models", get(models))
        .route("/voice/models/download", post(download_model))
        .route("/voice/models/import", post(import_model))
}

/// Optional body of the listen routes: who pressed (the browser says "ui").
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Press {
    #[serde(default)]
    trigger: Option<ListenTrigger>,
}

async fn command(
    State(state): State<ServerState>,
    ValidJson(command): ValidJson<VoiceCommand>,
) -> Result<Json<VoiceOutcome>, ApiError> {
    Ok(Json(state.app.voice_command(command).await?))
}

async fn confirm(
    State(state): State<ServerState>,
    Path(id): Path<String>,
) -> Result<Json<VoiceOutcome>, ApiError> {
    Ok(Json(state.app.voice_confirm(&id).await?))
}

async fn status(State(state): State<ServerState>) -> Result<Json<ListenStatus>, ApiError> {
    Ok(Json(state.app.listen_status().await?))
}

async fn start(
    State(state): State<ServerState>,
    ValidJson(press): ValidJson<Press>,
) -> Result<Json<ListenStatus>, ApiError> {
    let trigger = press.trigger.unwrap_or(ListenTrigger::Api);
    Ok(Json(state.app.listen_start(trigger).await?))
}

async fn stop(State(state): State<ServerState>) -> Result<Json<VoiceRun>, ApiError> {
    Ok(Json(state.app.listen_stop().await?))
}

async fn toggle(
    State(state): State<ServerState>,
    ValidJson(press): ValidJson<Press>,
) -> Result<Json<ListenStatus>, ApiError> {
    let trigger = press.trigger.unwrap_or(ListenTrigger::Api);
    Ok(Json(state.app.listen_toggle(trigger).await?))
}

async fn history(State(state): State<ServerState>) -> Json<Vec<VoiceRun>> {
    Json(state.app.voice_history())
}

async fn devices(State(state): State<ServerState>) -> Result<Json<Vec<String>>, ApiError> {
    Ok(Json(state.app.voice_devices().await?))
}

async fn settings(State(state): State<ServerState>) -> Result<Json<VoiceSettings>, ApiError> {
    Ok(Json(state.app.voice_settings().await?))
}

async fn set_settings(
    State(state): State<ServerState>,
    ValidJson(settings): ValidJson<VoiceSettings>,
) -> Result<Json<VoiceSettings>, ApiError> {
    Ok(Json(state.app.set_voice_settings(settings).await?))
}

async fn models(State(state): State<ServerState>) -> Result<Json<Vec<SpeechModel>>, ApiError> {
    Ok(Json(state.app.speech_models().await?))
}

async fn download_model(
    State(state): State<ServerState>,
    ValidJson(request): ValidJson<ModelDownload>,
) -> Result<(StatusCode, Json<SpeechModel>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(state.app.download_speech_model(request).await?),
    ))
}

async fn import_model(
    State(state): State<ServerState>,
    ValidJson(request): ValidJson<ModelImport>,
) -> Result<Json<SpeechModel>, ApiError> {
    Ok(Json(state.app.import_speech_model(request).await?))
}
