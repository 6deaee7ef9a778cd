//! AI providers. For now: the registry of configured providers
//! ([`ProviderService`]); chat itself arrives with the chat issue.

pub mod chat;
pub mod providers;

pub use providers::{
    NewProvider, Provider, ProviderError, ProviderKind, ProviderPatch, ProviderService,
};
