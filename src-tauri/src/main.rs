//! The Jarvis desktop app: a Tauri window over the services built by
//! `jarvis-app`, with a tray icon, one instance at a time, and the optional
//! local server run in-process.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod hotkey;
mod trading_commands;
mod tray;
mod voice_commands;

use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use jarvis_app::{App, AppConfig, SecretsConfig, default_data_dir};
use jarvis_core::Problem;
use jarvis_server::InProcessServer;
use tauri::webview::PageLoadEvent;
use tauri::{Emitter, Manager, WindowEvent};

use crate::commands::Backend;

/// The Tauri event that carries every `jarvis_core::Event` to the UI.
const EVENT_NAME: &str = "jarvis:event";

#[derive(Parser)]
#[command(name = "jarvis", version, about = "Jarvis, your local-first assistant")]
struct Cli {
    /// The profile's folder (database, logs). Default: the XDG data dir.
    #[arg(long, env = "JARVIS_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Where secrets live: keychain (default), env or files:DIR.
    #[arg(long, env = "JARVIS_SECRETS", default_value = "keychain")]
    secrets: SecretsConfig,
}

fn main() -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let cli = Cli::parse();
    let data_dir = match cli.data_dir {
        Some(dir) => dir,
        None => default_data_dir("default")
            .ok_or_else(|| anyhow::anyhow!("cannot find a home directory; pass --data-dir"))?,
    };
    init_logging(&data_dir)?;
    let config = AppConfig {
        data_dir,
        secrets: cli.secrets,
    };
    // A profile that cannot open (say, written by a newer Jarvis) still gets
    // a window that explains why, instead of a silent exit.
    let opened = App::open(&config, Arc::new(InProcessServer::default())).map_err(|e| {
        tracing::error!(error = %e, "cannot open the profile");
        Problem::from(e)
    });

    let registered = Arc::new(hotkey::Registered::default());
    let shortcut_registered = registered.clone();
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            tray::show_main_window(app);
        }))
        .plugin(
            tauri_plugin_global_shortcut::Builder::new()
                .with_handler(move |app, shortcut, event| {
                    if let Ok(jarvis) = app.state::<Backend>().app() {
                        hotkey::on_shortcut(jarvis.clone(), &shortcut_registered, shortcut, event);
                    }
                })
                .build(),
        )
        .manage(Backend::new(opened))
        .invoke_handler(tauri::generate_handler![
            commands::health,
            commands::list_providers,
            commands::add_provider,
            commands::update_provider,
            commands::remove_provider,
            commands::get_server,
            commands::set_server,
            commands::list_conversations,
            commands::create_conversation,
            commands::update_conversation,
            commands::delete_conversation,
            commands::list_messages,
            commands::send_message,
            commands::stop_message,
            commands::regenerate_message,
            commands::provider_circuits,
            commands::search_messages,
            commands::detect_local_servers,
            commands::provider_models,
            commands::list_facts,
            commands::add_fact,
            commands::delete_fact,
            commands::import_conversations,
            commands::export_conversations,
            commands::list_api_keys,
            commands::create_api_key,
            commands::revoke_api_key,
            trading_commands::trading_account,
            trading_commands::place_order,
            trading_commands::list_orders,
            trading_commands::cancel_order,
            trading_commands::cancel_all_orders,
            trading_commands::list_fills,
            trading_commands::list_positions,
            trading_commands::set_kill_switch,
            trading_commands::set_risk_limits,
            trading_commands::audit_entries,
            trading_commands::verify_audit,
            trading_commands::market_quotes,
            trading_commands::market_bars,
            trading_commands::list_replays,
            trading_commands::start_replay,
            trading_commands::stop_replay,
            trading_commands::backtest_strategies,
            trading_commands::run_backtest,
            trading_commands::voice_command,
            trading_commands::voice_confirm,
            trading_commands::get_broker,
            trading_commands::set_broker,
            trading_commands::start_feed,
            trading_commands::start_strategy_run,
            trading_commands::list_strategy_runs,
            trading_commands::stop_strategy_run,
            voice_commands::voice_status,
            voice_commands::listen_start,
            voice_commands::listen_stop,
            voice_commands::listen_toggle,
            voice_commands::voice_history,
            voice_commands::voice_devices,
            voice_commands::get_voice_settings,
            voice_commands::set_voice_settings,
            voice_commands::list_speech_models,
            voice_commands::download_speech_model,
            voice_commands::import_speech_model,
        ])
        .setup(move |app| {
            tray::build(app.handle())?;
            if let Ok(jarvis) = app.state::<Backend>().app() {
                forward_events(app.handle().clone(), jarvis.clone());
                tray::follow_voice(app.handle().clone(), jarvis.clone());
                hotkey::watch(app.handle().clone(), jarvis.clone(), registered.clone());
                let jarvis = jarvis.clone();
                tauri::async_runtime::spawn(async move {
                    jarvis.start_broker_sync();
                    if let Err(e) = jarvis.warm_voice_model().await {
                        tracing::warn!(error = %e, "speech model not warmed");
                    }
                    if let Err(e) = jarvis.offer_builtin_model().await {
                        tracing::warn!(error = %e, "could not offer the built-in model");
                    }
                    if let Err(e) = jarvis.start_configured_server().await {
                        tracing::warn!(error = %e, "could not start the local server");
                    }
                });
            }
            Ok(())
        })
        .on_page_load(move |_webview, payload| {
            if let PageLoadEvent::Finished = payload.event() {
                // Cold start to first paint, as scripts/bench-startup reads it.
                tracing::info!(
                    ms = started.elapsed().as_millis() as u64,
                    "window content loaded"
                );
            }
        })
        .on_window_event(|window, event| {
            // Closing hides to the tray; Quit in the tray menu exits.
            if let WindowEvent::CloseRequested { api, .. } = event {
                api.prevent_close();
                let _ = window.hide();
            }
        })
        .run(tauri::generate_context!())?;
    Ok(())
}

/// Sends every bus event to the window as a Tauri event.
fn forward_events(handle: tauri::AppHandle, jarvis: Arc<App>) {
    let mut events = jarvis.bus.subscribe();
    tauri::async_runtime::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Err(e) = handle.emit(EVENT_NAME, &event) {
                        tracing::warn!(error = %e, "could not forward an event");
                    }
                }
                Err(RecvError::Lagged(skipped)) => tracing::warn!(skipped, "window lagged"),
                Err(RecvError::Closed) => break,
            }
        }
    });
}

/// Logs go to `<data dir>/logs/jarvis.log` and to stderr.
fn init_logging(data_dir: &std::path::Path) -> anyhow::Result<()> {
    use tracing_subscriber::prelude::*;
    let dir = data_dir.join("logs");
    std::fs::create_dir_all(&dir)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("jarvis.log"))?;
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    tracing_subscriber::registry()
        .with(filter)
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(file)),
        )
        .init();
    Ok(())
}
