//! Push-to-talk and voice settings commands: one-line adapters over `App`,
//! mirroring `/api/v1/voice/…`.

use jarvis_app::{
    ListenStatus, ListenTrigger, ModelDownload, ModelImport, SpeechModel, VoiceRun, VoiceSettings,
};
use jarvis_core::Problem;
use tauri::State;

use crate::commands::Backend;

type Reply<T> = Result<T, Problem>;

#[tauri::command]
pub async fn voice_status(backend: State<'_, Backend>) -> Reply<ListenStatus> {
    Ok(backend.app()?.listen_status().await?)
}

/// The window's push-to-talk button (held with the mouse or the keyboard).
#[tauri::command]
pub async fn listen_start(backend: State<'_, Backend>) -> Reply<ListenStatus> {
    Ok(backend.app()?.listen_start(ListenTrigger::Ui).await?)
}

#[tauri::command]
pub async fn listen_stop(backend: State<'_, Backend>) -> Reply<VoiceRun> {
    Ok(backend.app()?.listen_stop().await?)
}

#[tauri::command]
pub async fn listen_toggle(backend: State<'_, Backend>) -> Reply<ListenStatus> {
    Ok(backend.app()?.listen_toggle(ListenTrigger::Ui).await?)
}

#[tauri::command]
pub async fn voice_history(backend: State<'_, Backend>) -> Reply<Vec<VoiceRun>> {
    Ok(backend.app()?.voice_history())
}

#[tauri::command]
pub async fn voice_devices(backend: State<'_, Backend>) -> Reply<Vec<String>> {
    Ok(backend.app()?.voice_devices().await?)
}

#[tauri::command]
pub async fn get_voice_settings(backend: State<'_, Backend>) -> Reply<VoiceSettings> {
    Ok(backend.app()?.voice_settings().await?)
}

#[tauri::command]
pub async fn set_voice_settings(
    backend: State<'_, Backend>,
    settings: VoiceSettings,
) -> Reply<VoiceSettings> {
    Ok(backend.app()?.set_voice_settings(settings).await?)
}

#[tauri::command]
pub async fn list_speech_models(backend: State<'_, Backend>) -> Reply<Vec<SpeechModel>> {
    Ok(backend.app()?.speech_models().await?)
}

#[tauri::command]
pub async fn download_speech_model(
    backend: State<'_, Backend>,
    name: String,
) -> Reply<SpeechModel> {
    Ok(backend
        .app()?
        .download_speech_model(ModelDownload {
            name,
            base_url: None,
        })
        .await?)
}

#[tauri::command]
pub async fn import_speech_model(backend: State<'_, Backend>, path: String) -> Reply<SpeechModel> {
    Ok(backend
        .app()?
        .import_speech_model(ModelImport { path })
        .await?)
}
