//! The kernel shared by every Jarvis crate: the error shape every adapter
//! speaks ([`Problem`]), the event bus ([`EventBus`]) and small shared types.

pub mod chat;
pub mod error;
pub mod events;
pub mod server;

pub use chat::Role;
pub use error::{ErrorKind, Problem, ProblemSource};
pub use events::{Event, EventBus};
pub use server::{ServerManager, ServerSettings, ServerStatus, ServerView};

/// The version every shell reports (`/health`, the dashboard).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
