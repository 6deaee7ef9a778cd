//! The JSON API. Each handler extracts its input, calls one service method and
//! maps the error; nothing else.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use jarvis_ai::chat::{DetectedServer, ProviderCircuit, Regenerate, SendMessage, SendReceipt};
use jarvis_ai::{NewProvider, Provider, ProviderPatch};
use jarvis_app::{ApiKey, CreatedApiKey, Health, NewApiKey};
use jarvis_core::{ServerSettings, ServerView};
use jarvis_memory::{
    Conversation, ConversationPatch, Fact, FactSource, Message, NewConversation, NewFact, SearchHit,
};

use crate::ServerState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::json::ValidJson;

pub(crate) fn api() -> Router<ServerState> {
    Router::new()
        .route("/health", get(health))
        .route("/providers", get(list_providers).post(add_provider))
        .route("/providers/detect", get(detect_local_servers))
        .route("/providers/{id}/models", get(provider_models))
        .route(
            "/providers/{id}",
            patch(update_provider).delete(remove_provider),
        )
        .route("/settings/server", get(get_server).put(set_server))
        .route("/events", get(crate::events::subscribe))
        .merge(chat())
        .merge(crate::trading::routes())
        .merge(crate::voice::routes())
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

pub(crate) fn chat() -> Router<ServerState> {
    Router::new()
        .route(
            "/conversations",
            get(list_conversations).post(create_conversation),
        )
        .route(
            "/conversations/{id}",
            patch(update_conversation).delete(delete_conversation),
        )
        .route("/conversations/{id}/messages", get(list_messages))
        .route("/chat", axum::routing::post(send_message))
        .route("/chat/circuits", get(circuits))
        .route("/chat/regenerate", axum::routing::post(regenerate))
        .route("/chat/{message_id}/stop", axum::routing::post(stop_message))
        .route("/search", get(search))
        .route("/export", get(export))
        .merge(
            // ChatGPT exports run to tens of megabytes.
            Router::new()
                .route("/import", axum::routing::post(import))
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::trading::MAX_UPLOAD_BYTES,
                )),
        )
        .route("/api-keys", get(list_api_keys).post(create_api_key))
        .route("/api-keys/{id}", axum::routing::delete(revoke_api_key))
        .route("/memory/facts", get(list_facts).post(add_fact))
        .route("/memory/facts/{id}", axum::routing::delete(delete_fact))
}

async fn list_conversations(
    State(state): State<ServerState>,
) -> Result<Json<Vec<Conversation>>, ApiError> {
    Ok(Json(state.app.memory.conversations().await?))
}

async fn create_conversation(
    State(state): State<ServerState>,
    ValidJson(request): ValidJson<NewConversation>,
) -> Result<(StatusCode, Json<Conversation>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.app.memory.create_conversation(request.title).await?),
    ))
}

async fn update_conversation(
    State(state): State<ServerState>,
    Path(id): Path<String>,
    ValidJson(patch): ValidJson<ConversationPatch>,
) -> Result<Json<Conversation>, ApiError> {
    Ok(Json(
        state.app.memory.update_conversation(&id, patch).await?,
    ))
}

async fn delete_conversation(
    State(state): State<ServerState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.app.memory.delete_conversation(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_messages(
    State(state): State<ServerState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<Message>>, ApiError> {
    Ok(Json(state.app.memory.messages(&id).await?))
}

async fn send_message(
    State(state): State<ServerState>,
    ValidJson(request): ValidJson<SendMessage>,
) -> Result<(StatusCode, Json<SendReceipt>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(state.app.chat.send(request).await?),
    ))
}

async fn stop_message(
    State(state): State<ServerState>,
    Path(message_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.app.chat.stop(&message_id)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn circuits(
    State(state): State<ServerState>,
) -> Result<Json<Vec<ProviderCircuit>>, ApiError> {
    Ok(Json(state.app.chat.circuits().await?))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchQuery {
    q: String,
    limit: Option<u32>,
}

async fn search(
    State(state): State<ServerState>,
    query: Result<axum::extract::Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<SearchHit>>, ApiError> {
    let axum::extract::Query(query) =
        query.map_err(|e| ApiError(jarvis_core::Problem::invalid_field("q", e.body_text())))?;
    Ok(Json(
        state
            .app
            .memory
            .search(&query.q, query.limit.unwrap_or(20))
            .await?,
    ))
}

async fn detect_local_servers() -> Json<Vec<DetectedServer>> {
    Json(jarvis_ai::chat::detect_local_servers(jarvis_ai::chat::KNOWN_LOCAL_SERVERS).await)
}

async fn provider_models(
    State(state): State<ServerState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<String>>, ApiError> {
    Ok(Json(state.app.chat.provider_models(&id).await?))
}

async fn export(
    State(state): State<ServerState>,
) -> Result<Json<jarvis_memory::transfer::Export>, ApiError> {
    Ok(Json(state.app.memory.export().await?))
}

async fn list_facts(State(state): State<ServerState>) -> Result<Json<Vec<Fact>>, ApiError> {
    Ok(Json(state.app.memory.facts().await?))
}

async fn add_fact(
    State(state): State<ServerState>,
    ValidJson(fact): ValidJson<NewFact>,
) -> Result<(StatusCode, Json<Fact>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .app
                .memory
                .add_fact(&fact.text, FactSource::Api)
                .await?,
        ),
    ))
}

async fn delete_fact(
    State(state): State<ServerState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.app.memory.delete_fact(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_api_keys(
    State(state): State<ServerState>,
    axum::Extension(who): axum::Extension<Principal>,
) -> Result<Json<Vec<ApiKey>>, ApiError> {
    who.require_owner()?;
    Ok(Json(state.app.api_keys().await?))
}

async fn create_api_key(
    State(state): State<ServerState>,
    axum::Extension(who): axum::Extension<Principal>,
    ValidJson(request): ValidJson<NewApiKey>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    who.require_owner()?;
    Ok((
        StatusCode::CREATED,
        Json(state.app.create_api_key(request).await?),
    ))
}

async fn revoke_api_key(
    State(state): State<ServerState>,
    axum::Extension(who): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    who.require_owner()?;
    state.app.revoke_api_key(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn regenerate(
    State(state): State<ServerState>,
    ValidJson(request): ValidJson<Regenerate>,
) -> Result<(StatusCode, Json<SendReceipt>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(state.app.chat.regenerate(request).await?),
    ))
}

/// The body is the file itself: ChatGPT's `conversations.json` or a Jarvis
/// export. All or nothing; re-importing the same file adds nothing.
async fn import(
    State(state): State<ServerState>,
    body: axum::body::Bytes,
) -> Result<Json<jarvis_memory::transfer::ImportReport>, ApiError> {
    Ok(Json(state.app.memory.import(body.to_vec()).await?))
}
