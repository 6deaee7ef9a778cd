use std::path::PathBuf;

use secrecy::SecretString;

use super::{SecretBackend, SecretError, SecretStore};

/// Read-only secrets from files in a directory (mounted container secrets):
/// the secret `provider/<id>` is read from `DIR/provider_<id>`.
pub struct FileSecretStore {
    dir: PathBuf,
}

impl FileSecretStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The file that holds the secret `name`.
    pub fn file(&self, name: &str) -> PathBuf {
        let file: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(file)
    }
}

impl SecretStore for FileSecretStore {
    fn backend(&self) -> SecretBackend {
        SecretBackend::Files
    }

    fn read_only(&self) -> bool {
        true
    }

    fn get(&self, name: &str) -> Result<Option<SecretString>, SecretError> {
        let path = self.file(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let value = text.trim_end_matches(['\n', '\r']);
                Ok((!value.is_empty()).then(|| SecretString::from(value.to_owned())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(SecretError::Read {
                name: name.to_owned(),
                reason: format!("{}: {e}", path.display()),
            }),
        }
    }

    fn set(&self, name: &str, _value: &SecretString) -> Result<(), SecretError> {
        Err(SecretError::ReadOnly {
            backend: self.backend().label(),
            hint: format!(
                "write it to {} before starting Jarvis",
                self.file(name).display()
            ),
        })
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        self.set(name, &SecretString::from(String::new()))
    }

    fn check(&self) -> Result<(), SecretError> {
        if self.dir.is_dir() {
            Ok(())
        } else {
            Err(SecretError::Unavailable(format!(
                "the secrets directory {} does not exist",
                self.dir.display()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn reads_a_mounted_file_without_its_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("provider_abc-1"), "sk-test\n").unwrap();
        let store = FileSecretStore::new(dir.path());
        let value = store.get("provider/abc-1").unwrap().unwrap();
        assert_eq!(value.expose_secret(), "sk-test");
        assert!(store.get("missing").unwrap().is_none());
        assert!(store.check().is_ok());
        assert!(store.set("x", &SecretString::from("y".to_owned())).is_err());
    }

    #[test]
    fn a_missing_directory_fails_the_check() {
        let store = FileSecretStore::new("/nonexistent/jarvis-secrets");
        assert!(matches!(store.check(), Err(SecretError::Unavailable(_))));
    }
}
