//! A real profile (SQLite file + the test keychain) for router tests.

#![allow(dead_code)]

use std::sync::Arc;

use jarvis_app::{App, AppConfig, SecretsConfig, ServerRuntime};
use jarvis_server::JarvisdRuntime;

pub struct Profile {
    pub dir: tempfile::TempDir,
    pub app: Arc<App>,
}

pub fn profile_with(runtime: Arc<dyn ServerRuntime>) -> Profile {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(
        &AppConfig {
            data_dir: dir.path().to_owned(),
            secrets: SecretsConfig::Keychain,
        },
        runtime,
    )
    .unwrap();
    Profile { dir, app }
}

pub fn profile() -> Profile {
    profile_with(Arc::new(JarvisdRuntime::default()))
}
