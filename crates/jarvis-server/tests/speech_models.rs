//! The speech model manager over the API, against a loopback server that
//! serves whisper tiny.en the way Hugging Face does (Range requests
//! answered 206), cutting the first download halfway.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::api;
use jarvis_core::Event;
use serde_json::json;

fn tiny_model() -> std::path::PathBuf {
    std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/models/ggml-tiny.en.bin"
    ))
}

#[derive(Default)]
struct Mirror {
    requests: AtomicUsize,
    ranges: std::sync::Mutex<Vec<String>>,
}

async fn serve_model(
    State(mirror): State<Arc<Mirror>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let n = mirror.requests.fetch_add(1, Ordering::SeqCst);
    let bytes = match file.as_str() {
        "ggml-tiny.en.bin" => std::fs::read(tiny_model()).expect("shared/models/ggml-tiny.en.bin"),
        // Not the real base.en: its checksum cannot match.
        "ggml-base.en.bin" => vec![7u8; 1 << 20],
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let total = bytes.len();
    let from = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.trim_end_matches('-').parse::<usize>().ok());
    if let Some(from) = from {
        mirror.ranges.lock().unwrap().push(format!("bytes={from}-"));
        return (
            StatusCode::PARTIAL_CONTENT,
            [
                (header::CONTENT_LENGTH, (total - from).to_string()),
                (
                    header::CONTENT_RANGE,
                    format!("bytes {from}-{}/{total}", total - 1),
                ),
            ],
            bytes[from..].to_vec(),
        )
            .into_response();
    }
    if n == 0 && file == "ggml-tiny.en.bin" {
        // The first download is cut after 30 MB.
        let half = Bytes::from(bytes[..30 << 20].to_vec());
        let stream = futures_stream(half);
        return (
            StatusCode::OK,
            [(header::CONTENT_LENGTH, total.to_string())],
            Body::from_stream(stream),
        )
            .into_response();
    }
    // Hugging Face states an LFS file's SHA-256; this is not these bytes'.
    (
        [
            (header::CONTENT_LENGTH, total.to_string()),
            (
                header::HeaderName::from_static("x-linked-etag"),
                "\"00c6e7e89af1a35c08e6de56b66ca6a02a2fdfa1b6c6e7e89af1a35c08e6de56\"".to_string(),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// Sends `part`, then fails: the connection drops mid-body.
fn futures_stream(part: Bytes) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::iter(vec![
        Ok(part),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "cut",
        )),
    ])
}

async fn start_mirror() -> (Arc<Mirror>, String) {
    let mirror = Arc::new(Mirror::default());
    let router = Router::new()
        .route("/models/{file}", get(serve_model))
        .with_state(mirror.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/models", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (mirror, url)
}

/// Waits for the download of `name` to finish; returns its error, if any.
async fn finished(
    events: &mut tokio::sync::broadcast::Receiver<Event>,
    name: &str,
) -> Option<String> {
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Ok(Event::VoiceModelProgress {
                name: n,
                done: true,
                error,
                ..
            }) = events.recv().await
                && n == name
            {
                return error;
            }
        }
    })
    .await
    .expect("the download finishes within a minute")
}

#[tokio::test]
async fn a_cut_download_resumes_and_is_checked_before_use() {
    let api = api().await;
    let (mirror, url) = start_mirror().await;
    let mut events = api.profile.app.bus.subscribe();

    let (_, models) = api.get("/api/v1/voice/models").await;
    let tiny = models
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "tiny.en")
        .unwrap();
    assert_eq!(
        (tiny["installed"].as_bool(), tiny["size_bytes"].as_u64()),
        (Some(false), Some(77_704_698))
    );

    let body = json!({"name": "tiny.en", "base_url": url});
    let (status, started) = api
        .json("POST", "/api/v1/voice/models/download", body.clone())
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let error = finished(&mut events, "tiny.en")
        .await
        .expect("the first download is cut");
    assert!(error.contains("resume"), "{error}");
    // What arrived before the cut is kept (how much depends on when the
    // connection dropped: up to the 30 MB sent).
    let part = api.profile.dir.path().join("models/ggml-tiny.en.bin.part");
    let kept = std::fs::metadata(&part)
        .expect("the part file is kept")
        .len();
    assert!(kept > 0 && kept <= 30 << 20, "{kept}");

    // Again: it asks only for the rest, and the file checks out.
    let (status, _) = api
        .json("POST", "/api/v1/voice/models/download", body)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(finished(&mut events, "tiny.en").await, None);
    assert_eq!(
        mirror.ranges.lock().unwrap().as_slice(),
        [format!("bytes={kept}-")]
    );
    let (_, models) = api.get("/api/v1/voice/models").await;
    let tiny = models
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "tiny.en")
        .unwrap();
    assert_eq!(
        (tiny["installed"].as_bool(), tiny["active"].as_bool()),
        (Some(true), Some(true)),
        "{tiny}"
    );
    let installed = std::fs::read(tiny["path"].as_str().unwrap()).unwrap();
    assert!(
        installed == std::fs::read(tiny_model()).unwrap(),
        "the installed model is byte-identical"
    );

    // A file that does not match the published checksum is not installed.
    let (status, _) = api
        .json(
            "POST",
            "/api/v1/voice/models/download",
            json!({"name": "base.en", "base_url": url}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let error = finished(&mut events, "base.en")
        .await
        .expect("a checksum mismatch");
    assert!(error.contains("does not match its checksum"), "{error}");
    let models_dir = api.profile.dir.path().join("models");
    assert!(!models_dir.join("ggml-base.en.bin").exists());
    assert!(!models_dir.join("ggml-base.en.bin.part").exists());

    let (status, problem) = api
        .json(
            "POST",
            "/api/v1/voice/models/download",
            json!({"name": "huge.v9"}),
        )
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("name"))
    );
}

#[tokio::test]
async fn a_model_file_is_imported_only_if_it_is_a_whisper_model() {
    let api = api().await;
    let (status, problem) = api
        .json(
            "POST",
            "/api/v1/voice/models/import",
            json!({"path": "ggml-tiny.en.bin"}),
        )
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("path"))
    );
    let not_a_model = api.profile.dir.path().join("notes.bin");
    std::fs::write(&not_a_model, b"hello, not a model").unwrap();
    let (status, problem) = api
        .json(
            "POST",
            "/api/v1/voice/models/import",
            json!({"path": not_a_model}),
        )
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("path")),
        "{problem}"
    );

    let (status, imported) = api
        .json(
            "POST",
            "/api/v1/voice/models/import",
            json!({"path": tiny_model()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{imported}");
    assert_eq!(
        (imported["name"].as_str(), imported["installed"].as_bool()),
        (Some("tiny.en"), Some(true))
    );
    assert!(
        imported["path"]
            .as_str()
            .unwrap()
            .starts_with(api.profile.dir.path().to_str().unwrap())
    );
}
