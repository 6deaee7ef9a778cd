//! A real profile (SQLite file + the test keychain) for router tests.

#![allow(dead_code)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use jarvis_app::{App, AppConfig, SecretsConfig, ServerRuntime};
use jarvis_server::{HostPolicy, JarvisdRuntime, router};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tower::ServiceExt;

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

/// The router of a real profile, called in-process with the owner token.
pub struct Api {
    pub profile: Profile,
    router: axum::Router,
    pub token: String,
}

pub async fn api() -> Api {
    let profile = profile();
    let token: SecretString = profile.app.owner_token().await.unwrap();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    std::mem::forget(_tx);
    let router = router(
        profile.app.clone(),
        token.clone(),
        HostPolicy::loopback(),
        rx,
    );
    Api {
        token: token.expose_secret().to_owned(),
        profile,
        router,
    }
}

impl Api {
    pub async fn send(
        &self,
        request: Request<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        (status, headers, body)
    }

    pub fn request(&self, method: &str, uri: &str) -> axum::http::request::Builder {
        Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, "127.0.0.1:7878")
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
    }

    pub async fn json(&self, method: &str, uri: &str, body: Value) -> (StatusCode, Value) {
        let request = self
            .request(method, uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let (status, _, body) = self.send(request).await;
        let value = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body).unwrap()
        };
        (status, value)
    }

    pub async fn get(&self, uri: &str) -> (StatusCode, Value) {
        let (status, _, body) = self
            .send(self.request("GET", uri).body(Body::empty()).unwrap())
            .await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    /// `DELETE uri` with the owner token; the answer's status.
    pub async fn delete(&self, uri: &str) -> StatusCode {
        let (status, _, _) = self
            .send(self.request("DELETE", uri).body(Body::empty()).unwrap())
            .await;
        status
    }
}
