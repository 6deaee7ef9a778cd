use secrecy::SecretString;

use super::{SecretBackend, SecretError, SecretStore};

/// Read-only secrets from environment variables, for containers with no
/// keychain: the secret `owner-token` is read from `JARVIS_SECRET_OWNER_TOKEN`.
pub struct EnvSecretStore {
    prefix: String,
}

impl EnvSecretStore {
    pub fn new() -> Self {
        Self {
            prefix: "JARVIS_SECRET_".to_owned(),
        }
    }

    /// The variable that holds the secret `name`.
    pub fn variable(&self, name: &str) -> String {
        let suffix: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        format!("{}{suffix}", self.prefix)
    }
}

impl Default for EnvSecretStore {
    fn default() -> Self {
        Self::new()
    }
}

impl SecretStore for EnvSecretStore {
    fn backend(&self) -> SecretBackend {
        SecretBackend::Env
    }

    fn read_only(&self) -> bool {
        true
    }

    fn get(&self, name: &str) -> Result<Option<SecretString>, SecretError> {
        match std::env::var(self.variable(name)) {
            Ok(value) if !value.is_empty() => Ok(Some(SecretString::from(value))),
            Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(SecretError::Read {
                name: name.to_owned(),
                reason: format!("{} is not valid UTF-8", self.variable(name)),
            }),
        }
    }

    fn set(&self, name: &str, _value: &SecretString) -> Result<(), SecretError> {
        Err(SecretError::ReadOnly {
            backend: self.backend().label(),
            hint: format!("set {} before starting Jarvis", self.variable(name)),
        })
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        self.set(name, &SecretString::from(String::new()))
    }

    fn check(&self) -> Result<(), SecretError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_upper_snake_variables() {
        let store = EnvSecretStore::new();
        assert_eq!(store.variable("owner-token"), "JARVIS_SECRET_OWNER_TOKEN");
        assert_eq!(
            store.variable("provider/1a2b-3c"),
            "JARVIS_SECRET_PROVIDER_1A2B_3C"
        );
    }

    #[test]
    fn writing_is_refused_with_the_variable_to_set() {
        let err = EnvSecretStore::new()
            .set("owner-token", &SecretString::from("x".to_owned()))
            .unwrap_err();
        assert!(
            err.to_string().contains("JARVIS_SECRET_OWNER_TOKEN"),
            "{err}"
        );
    }
}
