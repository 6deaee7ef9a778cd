//! A fake provider server on loopback that writes exactly the bytes it is
//! told to, with pauses, hangs and cuts: the faults real providers have.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the fake server does for one request.
#[derive(Clone)]
pub enum Act {
    Write(Vec<u8>),
    Sleep(Duration),
    /// Never answer (until the client gives up).
    Hang,
}

pub fn write(text: &str) -> Act {
    Act::Write(text.as_bytes().to_vec())
}

/// A response with chunked transfer encoding, one chunk per SSE event, each
/// after `gap`.
pub fn sse_response(events: &[&str], gap: Duration) -> Vec<Act> {
    let mut acts = vec![write(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n",
    )];
    for event in events {
        if !gap.is_zero() {
            acts.push(Act::Sleep(gap));
        }
        acts.push(write(&format!("{:x}\r\n{event}\r\n", event.len())));
    }
    acts.push(write("0\r\n\r\n"));
    acts
}

/// Cuts the connection after the given events, mid-stream.
pub fn cut_response(events: &[&str]) -> Vec<Act> {
    let mut acts = sse_response(events, Duration::ZERO);
    acts.pop();
    acts
}

pub fn status_response(status: &str, headers: &str, body: &str) -> Vec<Act> {
    vec![write(&format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{headers}\r\n{body}",
        body.len()
    ))]
}

/// Chooses the answer from the request (head and body as text).
pub type Route = Arc<dyn Fn(&str) -> Vec<Act> + Send + Sync>;
/// Chooses the answer from the request's number (from 0) and the request.
type Respond = Arc<dyn Fn(usize, &str) -> Vec<Act> + Send + Sync>;

pub struct FakeServer {
    pub url: String,
    requests: Arc<Mutex<Vec<String>>>,
    hits: Arc<AtomicUsize>,
}

impl FakeServer {
    /// Serves `script[i]` to the i-th request (the last one repeats).
    pub async fn start(script: Vec<Vec<Act>>) -> Self {
        Self::answering(Arc::new(move |n, _| {
            script[n.min(script.len() - 1)].clone()
        }))
        .await
    }

    /// Answers each request with what `route` makes of it.
    pub async fn routed(route: Route) -> Self {
        Self::answering(Arc::new(move |_, request| route(request))).await
    }

    /// Answers the n-th request (from 0) with `respond(n, request)`.
    async fn answering(respond: Respond) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let hits = Arc::new(AtomicUsize::new(0));
        let (seen, count) = (requests.clone(), hits.clone());
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let n = count.fetch_add(1, Ordering::SeqCst);
                let respond = respond.clone();
                tokio::spawn(serve(
                    socket,
                    move |request| respond(n, request),
                    seen.clone(),
                ));
            }
        });
        Self {
            url,
            requests,
            hits,
        }
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    pub fn last_request(&self) -> String {
        self.requests
            .lock()
            .unwrap()
            .last()
            .cloned()
            .unwrap_or_default()
    }
}

async fn serve(
    mut socket: TcpStream,
    respond: impl FnOnce(&str) -> Vec<Act>,
    seen: Arc<Mutex<Vec<String>>>,
) {
    // Read the head, then the body by content-length.
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = socket.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = socket.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let request = String::from_utf8_lossy(&buf).into_owned();
    let acts = respond(&request);
    seen.lock().unwrap().push(request);
    for act in acts {
        match act {
            Act::Write(bytes) => {
                if socket.write_all(&bytes).await.is_err() {
                    return;
                }
                let _ = socket.flush().await;
            }
            Act::Sleep(d) => tokio::time::sleep(d).await,
            Act::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
        }
    }
    let _ = socket.shutdown().await;
}

pub const OPENAI_EVENTS: &[&str] = &[
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Mars is\"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" red.\"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
    "data: [DONE]\n\n",
];

pub const ANTHROPIC_EVENTS: &[&str] = &[
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n",
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
    "event: ping\ndata: {\"type\": \"ping\"}\n\n",
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Mars is\"}}\n\n",
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" red.\"}}\n\n",
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
    "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":5}}\n\n",
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
];

pub const GEMINI_EVENTS: &[&str] = &[
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Mars is\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 8,\"totalTokenCount\": 8},\"modelVersion\": \"gemini-2.5-flash\"}\r\n\r\n",
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" red.\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 8,\"candidatesTokenCount\": 4,\"totalTokenCount\": 12},\"modelVersion\": \"gemini-2.5-flash\"}\r\n\r\n",
];
