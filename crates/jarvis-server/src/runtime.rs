//! Running the server: as the `jarvisd` process, or inside the desktop app
//! when Settings turns it on.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use jarvis_app::{App, AppError, ServerRuntime};
use jarvis_core::{ServerManager, ServerSettings, ServerStatus};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::HostPolicy;

/// A server accepting connections.
pub struct RunningServer {
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, closes event sockets and waits (briefly) for requests in flight.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        if tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .is_err()
        {
            tracing::warn!("server did not stop within 5 s");
        }
    }

    /// Runs until the server fails or stops.
    pub async fn wait(self) -> std::io::Result<()> {
        self.task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }

    pub fn shutdown_handle(&self) -> watch::Sender<bool> {
        self.shutdown.clone()
    }
}

/// Serves `app` on an already bound listener.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    hosts: HostPolicy,
) -> Result<RunningServer, AppError> {
    let token = app.owner_token().await?;
    let addr = listener.local_addr().map_err(|e| AppError::Invalid {
        field: "listen",
        reason: e.to_string(),
    })?;
    let (shutdown, stopped) = watch::channel(false);
    let router = crate::router(app, token, hosts, stopped.clone());
    let mut until_stopped = stopped;
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = until_stopped.wait_for(|stop| *stop).await;
            })
            .await
    });
    tracing::info!(%addr, "server listening");
    Ok(RunningServer {
        addr,
        shutdown,
        task,
    })
}

/// `jarvisd`'s runtime: the server is the process, so Settings cannot toggle it.
#[derive(Default)]
pub struct JarvisdRuntime {
    url: OnceLock<String>,
}

impl JarvisdRuntime {
    pub fn set_url(&self, url: String) {
        let _ = self.url.set(url);
    }
}

#[async_trait::async_trait]
impl ServerRuntime for JarvisdRuntime {
    fn manager(&self) -> ServerManager {
        ServerManager::Jarvisd
    }

    fn status(&self) -> ServerStatus {
        ServerStatus {
            running: self.url.get().is_some(),
            url: self.url.get().cloned(),
            managed_by: ServerManager::Jarvisd,
            error: None,
        }
    }

    async fn apply(&self, _app: Arc<App>, _settings: &ServerSettings) -> ServerStatus {
        self.status()
    }
}

/// The desktop app's server, started and stopped from Settings.
pub struct InProcessServer {
    running: tokio::sync::Mutex<Option<RunningServer>>,
    status: Mutex<ServerStatus>,
}

impl Default for InProcessServer {
    fn default() -> Self {
        Self {
            running: tokio::sync::Mutex::new(None),
            status: Mutex::new(ServerStatus::stopped(ServerManager::Desktop)),
        }
    }
}

impl InProcessServer {
    fn set_status(&self, status: ServerStatus) -> ServerStatus {
        *self.status.lock().unwrap_or_else(|p| p.into_inner()) = status.clone();
        status
    }

    async fn start(&self, app: Arc<App>, listen: &str) -> Result<RunningServer, String> {
        let addr = jarvis_app::validate_listen(listen).map_err(|e| e.to_string())?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        serve(app, listener, HostPolicy::loopback())
            .await
            .map_err(|e| e.to_string())
    }
}

#[async_trait::async_trait]
impl ServerRuntime for InProcessServer {
    fn manager(&self) -> ServerManager {
        ServerManager::Desktop
    }

    fn status(&self) -> ServerStatus {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    async fn apply(&self, app: Arc<App>, settings: &ServerSettings) -> ServerStatus {
        let mut running = self.running.lock().await;
        if let Some(server) = running.take() {
            server.stop().await;
        }
        if !settings.enabled {
            return self.set_status(ServerStatus::stopped(ServerManager::Desktop));
        }
        match self.start(app, &settings.listen).await {
            Ok(server) => {
                let status = ServerStatus {
                    running: true,
                    url: Some(server.url()),
                    managed_by: ServerManager::Desktop,
                    error: None,
                };
                *running = Some(server);
                self.set_status(status)
            }
            Err(error) => {
                tracing::warn!(%error, "local server did not start");
                self.set_status(ServerStatus {
                    error: Some(error),
                    ..ServerStatus::stopped(ServerManager::Desktop)
                })
            }
        }
    }
}
