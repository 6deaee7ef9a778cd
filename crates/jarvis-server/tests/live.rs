//! Real HTTP and WebSocket on loopback: the event socket, the desktop's
//! in-process server, and the `jarvisd` binary itself.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use jarvis_core::{Event, ServerSettings};
use jarvis_server::{HostPolicy, InProcessServer, serve};
use secrecy::ExposeSecret;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

async fn free_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn the_event_socket_needs_the_token_and_carries_provider_changes() {
    let profile = common::profile();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = serve(profile.app.clone(), listener, HostPolicy::loopback())
        .await
        .unwrap();
    let url = format!("ws://{}/api/v1/events", server.addr);
    let token = profile.app.owner_token().await.unwrap();

    // Without the token the upgrade is refused.
    let mut request = url.as_str().into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("jarvis.v1, bearer.wrong"),
    );
    let err = tokio_tungstenite::connect_async(request).await.unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");

    // With it, as a browser would send it (a sub-protocol).
    let mut request = url.as_str().into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_str(&format!("jarvis.v1, bearer.{}", token.expose_secret())).unwrap(),
    );
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "jarvis.v1");

    profile
        .app
        .providers
        .add(jarvis_ai::NewProvider {
            name: "LM Studio".into(),
            kind: jarvis_ai::ProviderKind::Openai,
            base_url: "http://127.0.0.1:1234/v1".into(),
            model: "qwen2.5-0.5b".into(),
            embedding_model: None,
            api_key: None,
        })
        .await
        .unwrap();
    let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("an event within 5 s")
        .unwrap()
        .unwrap();
    assert_eq!(
        message.into_text().unwrap().as_str(),
        r#"{"type":"providers_changed"}"#
    );

    // Stopping the server closes the socket instead of hanging.
    server.stop().await;
    let end = tokio::time::timeout(Duration::from_secs(5), socket.next()).await;
    assert!(end.is_ok(), "socket still open after stop");
}

#[tokio::test]
async fn settings_start_move_and_stop_the_desktop_server() {
    let profile = common::profile_with(Arc::new(InProcessServer::default()));
    let app = profile.app.clone();
    let mut events = app.bus.subscribe();
    let port = free_port().await;

    let view = app
        .set_server_settings(ServerSettings {
            enabled: true,
            listen: format!("127.0.0.1:{port}"),
        })
        .await
        .unwrap();
    assert!(view.status.running, "{:?}", view.status);
    let url = view.status.url.clone().unwrap();
    assert_eq!(url, format!("http://127.0.0.1:{port}"));
    assert!(
        matches!(events.recv().await.unwrap(), Event::ServerChanged { status } if status.running)
    );
    let health = reqwest_get(&format!("{url}/health")).await;
    assert!(health.contains("\"running\":true"), "{health}");

    // Saved: the next start sees the same settings.
    assert!(app.server_settings().await.unwrap().enabled);

    let bad = app
        .set_server_settings(ServerSettings {
            enabled: true,
            listen: "0.0.0.0:80".into(),
        })
        .await
        .unwrap_err();
    assert!(bad.to_string().contains("listen"), "{bad}");

    let view = app
        .set_server_settings(ServerSettings {
            enabled: false,
            listen: format!("127.0.0.1:{port}"),
        })
        .await
        .unwrap();
    assert!(!view.status.running);
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err(),
        "the port is closed once the server is off"
    );
}

#[tokio::test]
async fn a_busy_port_is_reported_not_fatal() {
    let profile = common::profile_with(Arc::new(InProcessServer::default()));
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let view = profile
        .app
        .set_server_settings(ServerSettings {
            enabled: true,
            listen: taken.local_addr().unwrap().to_string(),
        })
        .await
        .unwrap();
    assert!(!view.status.running);
    assert!(view.status.error.unwrap().contains("cannot listen"));
}

/// A minimal HTTP GET over a raw socket (keeps the test free of a client crate).
async fn reqwest_get(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    stream
        .write_all(
            format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[test]
fn jarvisd_serves_prints_its_url_and_its_token_command_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_jarvisd");
    let token = Command::new(bin)
        .args(["token", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    assert_eq!(token.len(), 43, "32 random bytes, base64url");

    let mut child = Command::new(bin)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect(&line)
        .to_owned();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let health = runtime.block_on(reqwest_get(&format!("{url}/health")));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");

    // Same token on a second call: it was stored, not regenerated.
    let again = Command::new(bin)
        .args(["token", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(again.stdout).unwrap().trim(), token);
}

#[test]
fn jarvisd_refuses_a_public_address_without_allow_remote() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_jarvisd"))
        .args(["--listen", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--allow-remote"), "{stderr}");
}

#[test]
fn jarvisd_import_reports_what_it_did_and_refuses_a_bad_file_whole() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_jarvisd");
    let file = dir.path().join("conversations.json");
    std::fs::write(
        &file,
        r#"[{"id": "g1", "title": "Hello", "create_time": 1717000000.0, "current_node": "b",
             "mapping": {"a": {"message": {"id": "a", "author": {"role": "user"}, "content": {"parts": ["Hi there"]}}, "parent": null},
                         "b": {"message": {"id": "b", "author": {"role": "assistant"}, "content": {"parts": ["Hello!"]}}, "parent": "a"}}}]"#,
    )
    .unwrap();
    let run = |path: &std::path::Path| {
        Command::new(bin)
            .args(["import", "--data-dir"])
            .arg(dir.path().join("profile"))
            .arg(path)
            .output()
            .unwrap()
    };
    let first = run(&file);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let said = String::from_utf8_lossy(&first.stdout);
    assert!(
        said.contains("imported 1 conversations (2 messages)") && said.contains("chatgpt"),
        "{said}"
    );
    let again = String::from_utf8_lossy(&run(&file).stdout).into_owned();
    assert!(
        again.contains("imported 0 conversations") && again.contains("skipped 1"),
        "{again}"
    );

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "[{\"id\": \"g2\", \"mapping\": ").unwrap();
    let refused = run(&bad);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("nothing was imported") && stderr.contains("line 1"),
        "{stderr}"
    );
}
