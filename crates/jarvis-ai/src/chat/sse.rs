//! The three streaming formats, as pure functions from bytes to text, so any
//! chunking of the same bytes gives the same tokens (property-tested).

use bytes::Bytes;
use eventsource_stream::Eventsource;
use futures::{Stream, StreamExt};
use serde_json::Value;

use super::{Fault, TokenStream};

/// What one server-sent event means for the answer.
enum Step {
    Text(String),
    Nothing,
    Done,
}

/// Runs `step` over each event; the stream must end with `Step::Done`.
fn tokens<S, E>(
    bytes: S,
    mut step: impl FnMut(&str, &str) -> Result<Step, Fault> + Send + 'static,
) -> TokenStream
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let events = bytes.eventsource();
    Box::pin(async_stream::stream! {
        let mut events = std::pin::pin!(events);
        let mut finished = false;
        while let Some(event) = events.next().await {
            let event = match event {
                Ok(event) => event,
                Err(e) => {
                    yield Err(Fault::Connect(format!("the stream broke: {e}")));
                    return;
                }
            };
            match step(&event.event, &event.data) {
                Ok(Step::Text(text)) if !text.is_empty() => yield Ok(text),
                Ok(Step::Text(_) | Step::Nothing) => {}
                Ok(Step::Done) => {
                    finished = true;
                    break;
                }
                Err(fault) => {
                    yield Err(fault);
                    return;
                }
            }
        }
        if !finished {
            yield Err(Fault::Cut);
        }
    })
}

fn json(data: &str) -> Result<Value, Fault> {
    serde_json::from_str(data).map_err(|e| Fault::Protocol(format!("bad JSON in the stream: {e}")))
}

fn error_message(value: &Value) -> String {
    value["error"]["message"]
        .as_str()
        .unwrap_or("unknown error")
        .to_owned()
}

/// OpenAI chat completions: `data: {choices:[{delta:{content}}]}` … `data: [DONE]`.
pub fn openai<S, E>(bytes: S) -> TokenStream
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    tokens(bytes, |_, data| {
        if data.trim() == "[DONE]" {
            return Ok(Step::Done);
        }
        let value = json(data)?;
        if value.get("error").is_some() {
            return Err(Fault::Server {
                status: 200,
                message: error_message(&value),
            });
        }
        Ok(match value["choices"][0]["delta"]["content"].as_str() {
            Some(text) => Step::Text(text.to_owned()),
            None => Step::Nothing,
        })
    })
}

/// Anthropic Messages: `message_start`, `content_block_delta` (text_delta) …
/// `message_stop`; `error` events carry a failure.
pub fn anthropic<S, E>(bytes: S) -> TokenStream
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    tokens(bytes, |event, data| match event {
        "content_block_delta" => {
            let value = json(data)?;
            Ok(match value["delta"]["type"].as_str() {
                Some("text_delta") => Step::Text(
                    value["delta"]["text"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                ),
                _ => Step::Nothing,
            })
        }
        "message_stop" => Ok(Step::Done),
        "error" => {
            let value = json(data)?;
            let message = error_message(&value);
            Err(match value["error"]["type"].as_str() {
                Some("overloaded_error" | "api_error") => Fault::Server {
                    status: 529,
                    message,
                },
                Some("rate_limit_error") => Fault::RateLimited { retry_after: None },
                _ => Fault::Refused {
                    status: 400,
                    message,
                },
            })
        }
        _ => Ok(Step::Nothing),
    })
}

/// Gemini `streamGenerateContent?alt=sse`: each `data:` is a whole
/// GenerateContentResponse; the last one carries `finishReason`.
pub fn gemini<S, E>(bytes: S) -> TokenStream
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    // Gemini has no end marker: the stream is done once a candidate has a
    // finishReason and the connection closes.
    let finished = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = finished.clone();
    let inner = tokens(bytes, move |_, data| {
        let value = json(data)?;
        if value.get("error").is_some() {
            return Err(Fault::Server {
                status: value["error"]["code"].as_u64().unwrap_or(500) as u16,
                message: error_message(&value),
            });
        }
        let candidate = &value["candidates"][0];
        let text: String = candidate["content"]["parts"]
            .as_array()
            .map(|parts| parts.iter().filter_map(|p| p["text"].as_str()).collect())
            .unwrap_or_default();
        if candidate["finishReason"].is_string() {
            seen.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(Step::Text(text))
    });
    Box::pin(inner.filter_map(move |item| {
        let finished = finished.clone();
        async move {
            match item {
                Err(Fault::Cut) if finished.load(std::sync::atomic::Ordering::SeqCst) => None,
                other => Some(other),
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use futures::stream;
    use proptest::prelude::*;

    use super::*;

    /// Splits `bytes` at the given cut points.
    fn chunked(
        bytes: &[u8],
        cuts: &[usize],
    ) -> impl Stream<Item = Result<Bytes, std::convert::Infallible>> + Send + 'static {
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        points.sort_unstable();
        points.dedup();
        let mut chunks = Vec::new();
        let mut start = 0;
        for p in points.into_iter().chain([bytes.len()]) {
            if p > start {
                chunks.push(Ok(Bytes::copy_from_slice(&bytes[start..p])));
                start = p;
            }
        }
        stream::iter(chunks)
    }

    fn collect(stream: TokenStream) -> (String, Option<Fault>) {
        futures::executor::block_on(async {
            let mut text = String::new();
            let mut stream = stream;
            while let Some(item) = stream.next().await {
                match item {
                    Ok(t) => text.push_str(&t),
                    Err(f) => return (text, Some(f)),
                }
            }
            (text, None)
        })
    }

    const OPENAI: &str = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n\
data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"finish_reason\":null}]}\n\n\
data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\", wörld ✓\"},\"finish_reason\":null}]}\n\n\
data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n\
data: [DONE]\n\n";

    const ANTHROPIC: &str = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude\",\"stop_reason\":null,\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n\
event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n\
event: ping\ndata: {\"type\":\"ping\"}\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\", wörld ✓\"}}\n\n\
event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n\
event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":4}}\n\n\
event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

    const GEMINI: &str = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hello\"}],\"role\": \"model\"},\"index\": 0}]}\r\n\r\n\
data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \", wörld ✓\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 4}}\r\n\r\n";

    #[test]
    fn each_format_gives_its_text_and_ends_cleanly() {
        for (parse, bytes) in [
            (openai as fn(_) -> TokenStream, OPENAI),
            (anthropic, ANTHROPIC),
            (gemini, GEMINI),
        ] {
            let (text, fault) = collect(parse(chunked(bytes.as_bytes(), &[])));
            assert_eq!(text, "Hello, wörld ✓");
            assert_eq!(fault, None);
        }
    }

    #[test]
    fn a_stream_cut_mid_answer_keeps_the_text_and_says_so() {
        for (parse, bytes, cut_before) in [
            (
                openai as fn(_) -> TokenStream,
                OPENAI,
                "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\", w",
            ),
            (
                anthropic,
                ANTHROPIC,
                "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\", w",
            ),
            (
                gemini,
                GEMINI,
                "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \", w",
            ),
        ] {
            let end = bytes.find(cut_before).unwrap();
            let (text, fault) = collect(parse(chunked(&bytes.as_bytes()[..end], &[])));
            assert_eq!(text, "Hello");
            assert_eq!(fault, Some(Fault::Cut));
        }
    }

    #[test]
    fn errors_inside_the_stream_are_faults() {
        let anthropic_error = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        let (_, fault) = collect(anthropic(chunked(anthropic_error.as_bytes(), &[])));
        assert!(
            matches!(fault, Some(Fault::Server { status: 529, .. })),
            "{fault:?}"
        );
        let bad = "data: {not json}\n\n";
        let (_, fault) = collect(openai(chunked(bad.as_bytes(), &[])));
        assert!(matches!(fault, Some(Fault::Protocol(_))), "{fault:?}");
    }

    proptest! {
        #[test]
        fn any_chunking_gives_the_same_tokens(cuts in proptest::collection::vec(any::<usize>(), 0..40)) {
            for (parse, bytes) in [
                (openai as fn(_) -> TokenStream, OPENAI),
                (anthropic, ANTHROPIC),
                (gemini, GEMINI),
            ] {
                let (text, fault) = collect(parse(chunked(bytes.as_bytes(), &cuts)));
                prop_assert_eq!(text, "Hello, wörld ✓");
                prop_assert_eq!(fault, None);
            }
        }
    }
}
