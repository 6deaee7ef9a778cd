use secrecy::{ExposeSecret, SecretString};

use super::{SecretBackend, SecretError, SecretStore};

/// The OS keychain (Secret Service on Linux, via the `keyring` crate).
///
/// Entries are stored under service `service` and account
/// `<namespace>/<name>`, so `secret-tool search service jarvis` lists them and
/// two profiles never share an entry.
pub struct KeychainSecretStore {
    service: String,
    namespace: String,
}

impl KeychainSecretStore {
    pub fn new(service: impl Into<String>, namespace: impl Into<String>) -> Self {
        Self {
            service: service.into(),
            namespace: namespace.into(),
        }
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(&self.service, &format!("{}/{name}", self.namespace))
            .map_err(|e| map_error(name, e))
    }
}

/// Maps keyring errors without ever formatting a payload that could hold the
/// secret (`BadEncoding` carries the raw bytes).
fn map_error(name: &str, error: keyring::Error) -> SecretError {
    match error {
        keyring::Error::PlatformFailure(e) => SecretError::Unavailable(e.to_string()),
        keyring::Error::NoStorageAccess(_) => SecretError::Locked,
        keyring::Error::BadEncoding(_) => SecretError::Read {
            name: name.to_owned(),
            reason: "the stored value is not UTF-8".to_owned(),
        },
        keyring::Error::TooLong(attr, max) => SecretError::Rejected {
            name: name.to_owned(),
            reason: format!("{attr} is longer than {max}"),
        },
        keyring::Error::Invalid(attr, reason) => SecretError::Rejected {
            name: name.to_owned(),
            reason: format!("{attr}: {reason}"),
        },
        keyring::Error::Ambiguous(_) => SecretError::Read {
            name: name.to_owned(),
            reason: "more than one keychain entry matches".to_owned(),
        },
        other => SecretError::Read {
            name: name.to_owned(),
            reason: other.to_string(),
        },
    }
}

impl SecretStore for KeychainSecretStore {
    fn backend(&self) -> SecretBackend {
        SecretBackend::OsKeychain
    }

    fn read_only(&self) -> bool {
        false
    }

    fn get(&self, name: &str) -> Result<Option<SecretString>, SecretError> {
        match self.entry(name)?.get_password() {
            Ok(value) => Ok(Some(SecretString::from(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(name, e)),
        }
    }

    fn set(&self, name: &str, value: &SecretString) -> Result<(), SecretError> {
        self.entry(name)?
            .set_password(value.expose_secret())
            .map_err(|e| map_error(name, e))
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_error(name, e)),
        }
    }

    fn check(&self) -> Result<(), SecretError> {
        // Looking up an entry that never exists talks to the service without
        // creating anything: no bus gives PlatformFailure, which is the point.
        self.get("health-check").map(|_| ())
    }
}
