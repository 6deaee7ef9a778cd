//! The global push-to-talk hotkey (default Ctrl+Alt+Space): held down it
//! listens, released it transcribes; in toggle mode each press flips.
//! Registered with the OS through tauri-plugin-global-shortcut (X11
//! XGrabKey on Linux), re-registered when the voice settings change, and
//! a hotkey another program holds is reported in the voice status.

use std::sync::{Arc, Mutex};

use jarvis_app::{App, HotkeyMode, ListenTrigger};
use jarvis_core::Event;
use tauri::AppHandle;
use tauri_plugin_global_shortcut::{GlobalShortcutExt, Shortcut, ShortcutEvent, ShortcutState};

/// The shortcut registered now, with its mode.
#[derive(Default)]
pub struct Registered(Mutex<Option<(Shortcut, HotkeyMode)>>);

/// Called by the plugin for every registered shortcut event.
pub fn on_shortcut(
    jarvis: Arc<App>,
    registered: &Registered,
    shortcut: &Shortcut,
    event: ShortcutEvent,
) {
    let mode = match &*registered.0.lock().unwrap_or_else(|p| p.into_inner()) {
        Some((current, mode)) if current == shortcut => *mode,
        _ => return,
    };
    let pressed = event.state() == ShortcutState::Pressed;
    tauri::async_runtime::spawn(async move {
        let result = match (mode, pressed) {
            (HotkeyMode::Hold, true) => {
                jarvis.listen_start(ListenTrigger::Hotkey).await.map(|_| ())
            }
            (HotkeyMode::Hold, false) => jarvis.listen_stop().await.map(|_| ()),
            (HotkeyMode::Toggle, true) => jarvis
                .listen_toggle(ListenTrigger::Hotkey)
                .await
                .map(|_| ()),
            (HotkeyMode::Toggle, false) => Ok(()),
        };
        if let Err(e) = result {
            tracing::info!(error = %e, "push-to-talk");
        }
    });
}

/// Registers the hotkey from the voice settings, replacing the old one.
pub async fn apply(handle: &AppHandle, jarvis: &App, registered: &Registered) {
    let settings = match jarvis.voice_settings().await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "voice settings unreadable; hotkey unchanged");
            return;
        }
    };
    let wanted: Result<Shortcut, String> = settings
        .hotkey
        .parse::<Shortcut>()
        .map_err(|e| format!("{} cannot be used: {e}", settings.hotkey));
    let mut current = registered.0.lock().unwrap_or_else(|p| p.into_inner());
    if let (Some((old, mode)), Ok(new)) = (current.as_ref(), wanted.as_ref())
        && old == new
    {
        if *mode != settings.mode {
            *current = Some((*new, settings.mode));
        }
        return;
    }
    let shortcuts = handle.global_shortcut();
    if let Some((old, _)) = current.take() {
        let _ = shortcuts.unregister(old);
    }
    let error = match wanted {
        Ok(shortcut) => match shortcuts.register(shortcut) {
            Ok(()) => {
                *current = Some((shortcut, settings.mode));
                None
            }
            // Most often another program grabbed the same keys.
            Err(e) => Some(format!(
                "{} is taken (another program may use it): {e}",
                settings.hotkey
            )),
        },
        Err(e) => Some(e),
    };
    drop(current);
    if let Some(e) = &error {
        tracing::warn!(error = %e, "push-to-talk hotkey not registered");
    }
    let hotkey = error.is_none().then(|| settings.hotkey.clone());
    jarvis.set_hotkey_status(hotkey, error);
}

/// Registers now and again whenever the voice settings change.
pub fn watch(handle: AppHandle, jarvis: Arc<App>, registered: Arc<Registered>) {
    let mut events = jarvis.bus.subscribe();
    tauri::async_runtime::spawn(async move {
        apply(&handle, &jarvis, &registered).await;
        loop {
            match events.recv().await {
                Ok(Event::VoiceSettingsChanged) => apply(&handle, &jarvis, &registered).await,
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}
