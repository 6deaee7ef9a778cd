//! Tauri commands: each one calls one service method and maps its error to
//! the `{code, message, field?}` shape the UI expects.

use std::sync::Arc;

use jarvis_ai::chat::{DetectedServer, ProviderCircuit, SendMessage, SendReceipt};
use jarvis_ai::{NewProvider, Provider, ProviderPatch};
use jarvis_app::{App, Health};
use jarvis_core::{Problem, ServerSettings, ServerView};
use jarvis_memory::{Conversation, ConversationPatch, Message, NewConversation, SearchHit};
use tauri::State;

/// The opened profile, or why it could not be opened.
pub struct Backend(Result<Arc<App>, Problem>);

impl Backend {
    pub fn new(opened: Result<Arc<App>, Problem>) -> Self {
        Self(opened)
    }

    pub fn app(&self) -> Result<&Arc<App>, Problem> {
        self.0.as_ref().map_err(Clone::clone)
    }
}

type Reply<T> = Result<T, Problem>;

#[tauri::command]
pub async fn health(backend: State<'_, Backend>) -> Reply<Health> {
    Ok(backend.app()?.health(true).await)
}

#[tauri::command]
pub async fn list_providers(backend: State<'_, Backend>) -> Reply<Vec<Provider>> {
    Ok(backend.app()?.providers.list().await?)
}

#[tauri::command]
pub async fn add_provider(backend: State<'_, Backend>, provider: NewProvider) -> Reply<Provider> {
    Ok(backend.app()?.providers.add(provider).await?)
}

#[tauri::command]
pub async fn update_provider(
    backend: State<'_, Backend>,
    id: String,
    patch: ProviderPatch,
) -> Reply<Provider> {
    Ok(backend.app()?.providers.update(&id, patch).await?)
}

#[tauri::command]
pub async fn remove_provider(backend: State<'_, Backend>, id: String) -> Reply<()> {
    Ok(backend.app()?.providers.remove(&id).await?)
}

#[tauri::command]
pub async fn get_server(backend: State<'_, Backend>) -> Reply<ServerView> {
    Ok(backend.app()?.server_view().await?)
}

#[tauri::command]
pub async fn set_server(
    backend: State<'_, Backend>,
    settings: ServerSettings,
) -> Reply<ServerView> {
    Ok(backend.app()?.set_server_settings(settings).await?)
}

#[tauri::command]
pub async fn list_conversations(backend: State<'_, Backend>) -> Reply<Vec<Conversation>> {
    Ok(backend.app()?.memory.conversations().await?)
}

#[tauri::command]
pub async fn create_conversation(
    backend: State<'_, Backend>,
    conversation: NewConversation,
) -> Reply<Conversation> {
    Ok(backend
        .app()?
        .memory
        .create_conversation(conversation.title)
        .await?)
}

#[tauri::command]
pub async fn update_conversation(
    backend: State<'_, Backend>,
    id: String,
    patch: ConversationPatch,
) -> Reply<Conversation> {
    Ok(backend
        .app()?
        .memory
        .update_conversation(&id, patch)
        .await?)
}

#[tauri::command]
pub async fn delete_conversation(backend: State<'_, Backend>, id: String) -> Reply<()> {
    Ok(backend.app()?.memory.delete_conversation(&id).await?)
}

#[tauri::command]
pub async fn list_messages(backend: State<'_, Backend>, id: String) -> Reply<Vec<Message>> {
    Ok(backend.app()?.memory.messages(&id).await?)
}

#[tauri::command]
pub async fn send_message(backend: State<'_, Backend>, message: SendMessage) -> Reply<SendReceipt> {
    Ok(backend.app()?.chat.send(message).await?)
}

#[tauri::command]
pub async fn stop_message(backend: State<'_, Backend>, message_id: String) -> Reply<()> {
    Ok(backend.app()?.chat.stop(&message_id)?)
}

#[tauri::command]
pub async fn provider_circuits(backend: State<'_, Backend>) -> Reply<Vec<ProviderCircuit>> {
    Ok(backend.app()?.chat.circuits().await?)
}

#[tauri::command]
pub async fn search_messages(
    backend: State<'_, Backend>,
    q: String,
    limit: Option<u32>,
) -> Reply<Vec<SearchHit>> {
    Ok(backend
        .app()?
        .memory
        .search(&q, limit.unwrap_or(20))
        .await?)
}

#[tauri::command]
pub async fn detect_local_servers() -> Reply<Vec<DetectedServer>> {
    Ok(jarvis_ai::chat::detect_local_servers(jarvis_ai::chat::KNOWN_LOCAL_SERVERS).await)
}

#[tauri::command]
pub async fn provider_models(backend: State<'_, Backend>, id: String) -> Reply<Vec<String>> {
    Ok(backend.app()?.chat.provider_models(&id).await?)
}

#[tauri::command]
pub async fn list_facts(backend: State<'_, Backend>) -> Reply<Vec<jarvis_memory::Fact>> {
    Ok(backend.app()?.memory.facts().await?)
}

#[tauri::command]
pub async fn add_fact(backend: State<'_, Backend>, text: String) -> Reply<jarvis_memory::Fact> {
    Ok(backend
        .app()?
        .memory
        .add_fact(&text, jarvis_memory::FactSource::Ui)
        .await?)
}

#[tauri::command]
pub async fn delete_fact(backend: State<'_, Backend>, id: String) -> Reply<()> {
    Ok(backend.app()?.memory.delete_fact(&id).await?)
}

#[tauri::command]
pub async fn list_api_keys(backend: State<'_, Backend>) -> Reply<Vec<jarvis_app::ApiKey>> {
    Ok(backend.app()?.api_keys().await?)
}

/// The window is the owner: it may make and revoke keys.
#[tauri::command]
pub async fn create_api_key(
    backend: State<'_, Backend>,
    request: jarvis_app::NewApiKey,
) -> Reply<jarvis_app::CreatedApiKey> {
    Ok(backend.app()?.create_api_key(request).await?)
}

#[tauri::command]
pub async fn revoke_api_key(backend: State<'_, Backend>, id: String) -> Reply<()> {
    Ok(backend.app()?.revoke_api_key(&id).await?)
}

#[tauri::command]
pub async fn regenerate_message(
    backend: State<'_, Backend>,
    request: jarvis_ai::chat::Regenerate,
) -> Reply<SendReceipt> {
    Ok(backend.app()?.chat.regenerate(request).await?)
}

/// `text` is the chosen file's contents (ChatGPT's export or Jarvis JSON).
#[tauri::command]
pub async fn import_conversations(
    backend: State<'_, Backend>,
    text: String,
) -> Reply<jarvis_memory::transfer::ImportReport> {
    Ok(backend.app()?.memory.import(text.into_bytes()).await?)
}

#[tauri::command]
pub async fn export_conversations(
    backend: State<'_, Backend>,
) -> Reply<jarvis_memory::transfer::Export> {
    Ok(backend.app()?.memory.export().await?)
}
