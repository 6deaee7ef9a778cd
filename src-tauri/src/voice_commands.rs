//! Push-to-talk and voice settings commands: one-line adapters over `App`,
//! mirroring `/api/v1/voice/…`.

use jarvis_app::{ListenStatus, ListenTrigger, VoiceRun, VoiceSettings};
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
