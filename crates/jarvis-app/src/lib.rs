//! The composition root. [`App::open`] builds the database, the secret store,
//! the event bus and every service exactly once; the desktop shell and
//! `jarvisd` both start from it and only adapt its calls.

mod api_keys;
mod broker;
mod builtin;
mod config;
mod health;
mod listen;
mod server;
mod speech_models;
mod token;
mod tts;
mod voice;
mod voice_settings;

pub use api_keys::{ApiKey, CreatedApiKey, KEY_PREFIX, NewApiKey};
pub use broker::{BrokerKind, BrokerSettings, BrokerUpdate, SYNC_EVERY};
pub use builtin::BUILTIN_MODEL_FILE;
pub use config::{AppConfig, SecretsConfig, default_data_dir};
pub use health::{
    ComponentStatus, DatabaseHealth, Health, KeychainHealth, OverallStatus, ProvidersHealth,
};
pub use listen::{ARMED_FOR, ListenState, ListenStatus, ListenTimings, ListenTrigger, VoiceRun};
pub use server::{ServerRuntime, validate_listen};
pub use speech_models::{MODEL_SOURCE, ModelDownload, ModelImport, SpeechModel};
pub use voice::{VoiceCommand, VoiceOutcome, VoiceStatus};
pub use voice_settings::{DEFAULT_HOTKEY, HotkeyMode, VoiceSettings};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jarvis_ai::ProviderService;
use jarvis_ai::chat::ChatService;
use jarvis_core::{ErrorKind, EventBus, Problem, ProblemSource};
use jarvis_memory::MemoryService;
use jarvis_store::{Database, DbError, SecretError, SecretStore};
use jarvis_trading::{MarketService, TradingService};

/// The file name of the profile database inside the data directory.
pub const DATABASE_FILE: &str = "jarvis.db";

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("{0}")]
    NotSupported(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Trading(#[from] jarvis_trading::TradingError),
}

impl AppError {
    /// A refused input, naming the field and why.
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        AppError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

/// Runs blocking work (the keychain, file copies) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Db(DbError::Task(e.to_string())))?
}

impl ProblemSource for AppError {
    fn problem(&self) -> Problem {
        match self {
            AppError::Db(e) => e.problem(),
            AppError::Secret(e) => e.problem(),
            AppError::Invalid { field, reason } => Problem::invalid_field(*field, reason),
            AppError::NotSupported(reason) => {
                Problem::new(ErrorKind::NotSupported, "not_supported", reason)
            }
            AppError::NotFound(reason) => Problem::new(ErrorKind::NotFound, "not_found", reason),
            AppError::Trading(e) => e.problem(),
        }
    }
}

/// Every service of one profile, built once.
pub struct App {
    data_dir: PathBuf,
    pub db: Database,
    pub secrets: Arc<dyn SecretStore>,
    pub bus: EventBus,
    pub providers: ProviderService,
    pub memory: MemoryService,
    pub chat: ChatService,
    pub trading: TradingService,
    pub market: MarketService,
    pending: voice::PendingCommands,
    listener: listen::Listener,
    /// Speech model downloads running now, by name.
    downloads: Arc<std::sync::Mutex<Vec<String>>>,
    /// Live API keys by hash, loaded on first use.
    api_keys: api_keys::KeyIndex,
    api_keys_loaded: std::sync::atomic::AtomicBool,
    server_runtime: Arc<dyn ServerRuntime>,
}

impl App {
    /// Opens the profile in `config.data_dir` (creating it on first start).
    pub fn open(
        config: &AppConfig,
        server_runtime: Arc<dyn ServerRuntime>,
    ) -> Result<Arc<Self>, AppError> {
        let db = Database::open(&config.data_dir.join(DATABASE_FILE))?;
        let secrets = config.secrets.build(db.profile_id());
        let bus = EventBus::new();
        let providers = ProviderService::new(db.clone(), secrets.clone(), bus.clone());
        let memory = MemoryService::new(db.clone(), bus.clone());
        let chat = ChatService::new(providers.clone(), memory.clone(), bus.clone());
        let trading = TradingService::open_blocking(db.clone(), bus.clone())?;
        let market = MarketService::new(trading.clone(), bus.clone());
        let listener = listen::Listener::new(bus.clone());
        tracing::info!(
            data_dir = %config.data_dir.display(),
            secrets = secrets.backend().label(),
            "profile opened"
        );
        Ok(Arc::new(Self {
            data_dir: config.data_dir.clone(),
            db,
            secrets,
            bus,
            providers,
            memory,
            chat,
            trading,
            market,
            pending: Default::default(),
            listener,
            downloads: Default::default(),
            api_keys: Default::default(),
            api_keys_loaded: Default::default(),
            server_runtime,
        }))
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}
