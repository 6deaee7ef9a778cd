//! The tray icon: Push to talk, Show/Hide and Quit. While Jarvis
//! listens, the menu item says "Stop listening" and the tooltip says so.

use std::sync::Arc;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};

use jarvis_app::{App, ListenTrigger};
use jarvis_core::Event;
use tauri::{AppHandle, Manager, Wry};

use crate::commands::Backend;

/// The menu item that starts and stops listening.
struct TalkItem(MenuItem<Wry>);

pub fn show_main_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

fn toggle_main_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        if window.is_visible().unwrap_or(false) {
            let _ = window.hide();
        } else {
            show_main_window(app);
        }
    }
}

pub fn build(app: &AppHandle) -> tauri::Result<()> {
    let talk = MenuItem::with_id(app, "push_to_talk", "Push to talk", true, None::<&str>)?;
    let show_hide = MenuItem::with_id(app, "show_hide", "Show/Hide", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&talk, &show_hide, &quit])?;
    app.manage(TalkItem(talk));
    let mut tray = TrayIconBuilder::with_id("main")
        .tooltip("Jarvis")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "push_to_talk" => push_to_talk(app),
            "show_hide" => toggle_main_window(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                toggle_main_window(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}

/// A tray click cannot be held: it starts listening, the next one stops.
fn push_to_talk(app: &AppHandle) {
    let Ok(jarvis) = app.state::<Backend>().app().cloned() else {
        return;
    };
    tauri::async_runtime::spawn(async move {
        if let Err(e) = jarvis.listen_toggle(ListenTrigger::Tray).await {
            tracing::info!(error = %e, "push-to-talk from the tray");
        }
    });
}

/// Keeps the tray's item and tooltip in step with push-to-talk.
pub fn follow_voice(handle: AppHandle, jarvis: Arc<App>) {
    let mut events = jarvis.bus.subscribe();
    tauri::async_runtime::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            let state = match events.recv().await {
                Ok(Event::VoiceState { state, .. }) => state,
                Ok(_) | Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            };
            let (label, tooltip) = match state.as_str() {
                "listening" => ("Stop listening", "Jarvis — listening…"),
                "transcribing" => ("Push to talk", "Jarvis — working out what you said…"),
                "speaking" => ("Push to talk", "Jarvis — speaking"),
                _ => ("Push to talk", "Jarvis"),
            };
            if let Some(item) = handle.try_state::<TalkItem>() {
                let _ = item.0.set_text(label);
            }
            if let Some(tray) = handle.tray_by_id("main") {
                let _ = tray.set_tooltip(Some(tooltip));
            }
        }
    });
}
