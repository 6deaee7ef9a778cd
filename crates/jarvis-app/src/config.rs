//! What both shells need to open a profile.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use jarvis_store::{EnvSecretStore, FileSecretStore, KeychainSecretStore, SecretStore};

/// The keychain service name every Jarvis secret is stored under.
pub const KEYCHAIN_SERVICE: &str = "jarvis";

/// Where secrets live. Chosen explicitly; never a silent fallback.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SecretsConfig {
    /// The OS keychain (Secret Service on Linux).
    #[default]
    Keychain,
    /// Read-only, from `JARVIS_SECRET_*` environment variables.
    Env,
    /// Read-only, from files in a directory (mounted container secrets).
    Files(PathBuf),
}

impl SecretsConfig {
    pub(crate) fn build(&self, profile_id: &str) -> Arc<dyn SecretStore> {
        match self {
            SecretsConfig::Keychain => {
                Arc::new(KeychainSecretStore::new(KEYCHAIN_SERVICE, profile_id))
            }
            SecretsConfig::Env => Arc::new(EnvSecretStore::new()),
            SecretsConfig::Files(dir) => Arc::new(FileSecretStore::new(dir)),
        }
    }
}

impl FromStr for SecretsConfig {
    type Err = String;

    /// `keychain`, `env` or `files:DIR`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "keychain" => Ok(SecretsConfig::Keychain),
            "env" => Ok(SecretsConfig::Env),
            _ => match text.strip_prefix("files:") {
                Some(dir) if !dir.is_empty() => Ok(SecretsConfig::Files(dir.into())),
                _ => Err(format!(
                    "unknown secret store `{text}`: expected keychain, env or files:DIR"
                )),
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The profile's folder: its database, logs and (later) models.
    pub data_dir: PathBuf,
    pub secrets: SecretsConfig,
}

/// `$XDG_DATA_HOME/jarvis/profiles/<profile>` (and the platform equivalents).
pub fn default_data_dir(profile: &str) -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "jarvis")
        .map(|dirs| dirs.data_dir().join("profiles").join(profile))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_store_choices_parse_or_explain() {
        assert_eq!("keychain".parse(), Ok(SecretsConfig::Keychain));
        assert_eq!("env".parse(), Ok(SecretsConfig::Env));
        assert_eq!(
            "files:/run/secrets".parse(),
            Ok(SecretsConfig::Files("/run/secrets".into()))
        );
        let err = "vault".parse::<SecretsConfig>().unwrap_err();
        assert!(err.contains("keychain, env or files:DIR"), "{err}");
        assert!("files:".parse::<SecretsConfig>().is_err());
    }
}
