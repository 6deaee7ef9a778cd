//! ChatService end to end over real SQLite, the real keychain and fake
//! provider servers on loopback: streaming, fallback, stop, failure.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use jarvis_ai::chat::resilience::{BreakerConfig, RetryPolicy, Timeouts};
use jarvis_ai::chat::{ChatError, ChatService, SendMessage};
use jarvis_ai::{NewProvider, ProviderKind, ProviderService};
use jarvis_core::{Event, EventBus, Role};
use jarvis_memory::{MemoryService, MessageStatus};
use jarvis_store::{Database, KeychainSecretStore, SecretStore};
use tokio::sync::broadcast;

struct Fixture {
    _dir: tempfile::TempDir,
    providers: ProviderService,
    memory: MemoryService,
    chat: ChatService,
    events: broadcast::Receiver<Event>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&dir.path().join("jarvis.db")).unwrap();
    let secrets = Arc::new(KeychainSecretStore::new(
        "jarvis-test",
        uuid::Uuid::new_v4().to_string(),
    ));
    secrets
        .check()
        .unwrap_or_else(|e| panic!("{e}\nrun these tests through scripts/test"));
    let bus = EventBus::new();
    let providers = ProviderService::new(db.clone(), secrets, bus.clone());
    let memory = MemoryService::new(db, bus.clone());
    let chat = ChatService::with_policy(
        providers.clone(),
        memory.clone(),
        bus.clone(),
        RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(20),
        },
        Timeouts {
            first_token: Duration::from_secs(2),
            idle: Duration::from_secs(2),
        },
        BreakerConfig::default(),
    );
    Fixture {
        events: bus.subscribe(),
        _dir: dir,
        providers,
        memory,
        chat,
    }
}

async fn add(f: &Fixture, name: &str, kind: ProviderKind, url: &str) -> String {
    let base_url = if kind == ProviderKind::Openai {
        format!("{url}/v1")
    } else {
        url.to_owned()
    };
    f.providers
        .add(NewProvider {
            name: name.into(),
            kind,
            base_url,
            model: format!("{name}-model"),
            embedding_model: None,
            api_key: (kind != ProviderKind::Openai).then(|| "test-key-0123456789abcdef".into()),
        })
        .await
        .unwrap()
        .id
}

/// Sends `text` in a new conversation and waits for the answer to finish.
async fn ask(f: &mut Fixture, text: &str) -> jarvis_ai::chat::SendReceipt {
    let receipt = f.chat.send(send(text)).await.unwrap();
    until_finished(&mut f.events, &receipt.assistant_message_id).await;
    receipt
}

/// The newest message of a conversation (the answer, once finished).
async fn last_message(memory: &MemoryService, conversation_id: &str) -> jarvis_memory::Message {
    memory
        .messages(conversation_id)
        .await
        .unwrap()
        .pop()
        .unwrap()
}

fn send(text: &str) -> SendMessage {
    SendMessage {
        conversation_id: None,
        text: text.into(),
        provider_id: None,
    }
}

/// Collects chat events until the answer `message_id` finishes.
async fn until_finished(
    events: &mut broadcast::Receiver<Event>,
    message_id: &str,
) -> (Option<String>, String) {
    let mut provider = None;
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("the answer finishes")
            .unwrap();
        match event {
            Event::ChatStarted {
                message_id: id,
                provider: p,
                ..
            } if id == message_id => provider = Some(p),
            Event::ChatDelta {
                message_id: id,
                text: t,
                ..
            } if id == message_id => text.push_str(&t),
            Event::ChatFinished { message_id: id, .. } if id == message_id => {
                return (provider, text);
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn with_no_provider_the_user_is_told_what_to_do() {
    let f = fixture();
    let err = f.chat.send(send("hello")).await.unwrap_err();
    assert!(matches!(err, ChatError::NoProvider));
    assert!(err.to_string().contains("add one in Settings"));
    let err = f.chat.send(send("   ")).await.unwrap_err();
    assert!(matches!(err, ChatError::Invalid { field: "text", .. }));
}

#[tokio::test]
async fn an_answer_streams_over_the_bus_and_both_messages_are_stored() {
    let mut f = fixture();
    let server =
        FakeServer::start(vec![sse_response(OPENAI_EVENTS, Duration::from_millis(5))]).await;
    add(&f, "Local", ProviderKind::Openai, &server.url).await;
    let receipt = f.chat.send(send("What colour is Mars?")).await.unwrap();
    assert_eq!(receipt.user_message.content, "What colour is Mars?");
    assert_eq!(receipt.conversation.title, "What colour is Mars?");
    let (provider, streamed) = until_finished(&mut f.events, &receipt.assistant_message_id).await;
    assert_eq!(provider.as_deref(), Some("Local"));
    assert_eq!(streamed, "Mars is red.");

    let messages = f.memory.messages(&receipt.conversation.id).await.unwrap();
    assert_eq!(messages.len(), 2);
    let answer = &messages[1];
    assert_eq!(answer.id, receipt.assistant_message_id);
    assert_eq!(
        (answer.role, answer.content.as_str()),
        (Role::Assistant, "Mars is red.")
    );
    assert_eq!(answer.status, MessageStatus::Complete);
    assert_eq!(answer.provider.as_deref(), Some("Local"));
    assert_eq!(answer.model.as_deref(), Some("Local-model"));

    // The next turn carries the conversation so far.
    let next = f
        .chat
        .send(SendMessage {
            conversation_id: Some(receipt.conversation.id.clone()),
            ..send("And Venus?")
        })
        .await
        .unwrap();
    until_finished(&mut f.events, &next.assistant_message_id).await;
    let body = server.last_request();
    assert!(
        body.contains("What colour is Mars?")
            && body.contains("Mars is red.")
            && body.contains("And Venus?"),
        "{body}"
    );
}

#[tokio::test]
async fn a_failing_first_choice_falls_back_and_the_reply_says_who_answered() {
    let mut f = fixture();
    let down =
        FakeServer::start(vec![status_response("500 Internal Server Error", "", "{}")]).await;
    let claude = FakeServer::start(vec![sse_response(ANTHROPIC_EVENTS, Duration::ZERO)]).await;
    let first = add(&f, "Flaky", ProviderKind::Openai, &down.url).await;
    add(&f, "Claude", ProviderKind::Anthropic, &claude.url).await;
    let receipt = f
        .chat
        .send(SendMessage {
            provider_id: Some(first),
            ..send("hi")
        })
        .await
        .unwrap();
    let (provider, text) = until_finished(&mut f.events, &receipt.assistant_message_id).await;
    assert_eq!(
        (provider.as_deref(), text.as_str()),
        (Some("Claude"), "Mars is red.")
    );
    assert_eq!(down.hits(), 2, "retried once, then fell back");
    let stored = f.memory.messages(&receipt.conversation.id).await.unwrap();
    assert_eq!(stored[1].provider.as_deref(), Some("Claude"));
}

#[tokio::test]
async fn stop_keeps_the_text_so_far_marked_interrupted() {
    let mut f = fixture();
    let mut slow = sse_response(&OPENAI_EVENTS[..2], Duration::ZERO);
    slow.pop();
    slow.push(Act::Hang);
    let server = FakeServer::start(vec![slow]).await;
    add(&f, "Slow", ProviderKind::Openai, &server.url).await;
    let receipt = f.chat.send(send("tell me a long story")).await.unwrap();
    // Wait for the first words, then stop.
    loop {
        if let Event::ChatDelta { .. } = f.events.recv().await.unwrap() {
            break;
        }
    }
    f.chat.stop(&receipt.assistant_message_id).unwrap();
    until_finished(&mut f.events, &receipt.assistant_message_id).await;
    let answer = last_message(&f.memory, &receipt.conversation.id).await;
    assert_eq!(answer.content, "Mars is");
    assert_eq!(answer.status, MessageStatus::Interrupted);
    assert!(matches!(
        f.chat.stop(&receipt.assistant_message_id),
        Err(ChatError::NotRunning(_))
    ));
}

#[tokio::test]
async fn when_nobody_answers_the_reply_is_a_failure_naming_each_reason() {
    let mut f = fixture();
    let refused = FakeServer::start(vec![status_response(
        "401 Unauthorized",
        "",
        r#"{"error":{"message":"Incorrect API key provided"}}"#,
    )])
    .await;
    add(&f, "Wrong-key", ProviderKind::Openai, &refused.url).await;
    let receipt = f.chat.send(send("hi")).await.unwrap();
    let (provider, _) = until_finished(&mut f.events, &receipt.assistant_message_id).await;
    assert_eq!(provider, None);
    let answer = last_message(&f.memory, &receipt.conversation.id).await;
    assert_eq!(answer.status, MessageStatus::Failed);
    let error = answer.error.unwrap();
    assert!(
        error.contains("Wrong-key") && error.contains("Incorrect API key provided"),
        "{error}"
    );
    assert!(!error.contains("test-key"), "no key in errors");
}

#[tokio::test]
async fn earlier_conversations_are_recalled_into_the_context_and_recorded() {
    let mut f = fixture();
    let server = FakeServer::start(vec![sse_response(OPENAI_EVENTS, Duration::ZERO)]).await;
    add(&f, "Local", ProviderKind::Openai, &server.url).await;
    let first = ask(&mut f, "What colour is the planet Mars?").await;
    assert!(
        !server.last_request().contains("earlier conversations"),
        "nothing to recall yet"
    );

    // A new conversation about the same thing recalls the earlier answer.
    let second = ask(&mut f, "Remind me: which colour was Mars?").await;
    let body = server.last_request();
    assert!(
        body.contains("earlier conversations") && body.contains("Mars is red."),
        "{body}"
    );
    let answer = last_message(&f.memory, &second.conversation.id).await;
    assert!(!answer.recalled.is_empty());
    assert!(
        answer
            .recalled
            .iter()
            .all(|r| r.conversation_id == first.conversation.id)
    );
    assert!(answer.recalled.iter().any(|r| r.excerpt == "Mars is red."));

    // Unrelated words recall nothing.
    let third = ask(&mut f, "Describe photosynthesis").await;
    let answer = last_message(&f.memory, &third.conversation.id).await;
    assert!(answer.recalled.is_empty());
}

#[tokio::test]
async fn regenerate_replaces_the_last_answer_with_a_new_one() {
    let mut f = fixture();
    let server = FakeServer::start(vec![
        sse_response(OPENAI_EVENTS, Duration::from_millis(1)),
        sse_response(OPENAI_EVENTS, Duration::from_millis(1)),
    ])
    .await;
    add(&f, "Local", ProviderKind::Openai, &server.url).await;
    let first = ask(&mut f, "What colour is Mars?").await;

    let again = f
        .chat
        .regenerate(jarvis_ai::chat::Regenerate {
            conversation_id: first.conversation.id.clone(),
            provider_id: None,
        })
        .await
        .unwrap();
    assert_ne!(again.assistant_message_id, first.assistant_message_id);
    assert_eq!(again.user_message.content, "What colour is Mars?");
    until_finished(&mut f.events, &again.assistant_message_id).await;
    let messages = f.memory.messages(&first.conversation.id).await.unwrap();
    let ids: Vec<&str> = messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            first.user_message.id.as_str(),
            again.assistant_message_id.as_str()
        ]
    );
    // The provider was asked the question again, without the old answer.
    let body = server.last_request();
    assert!(
        body.contains("What colour is Mars?") && !body.contains("Mars is red."),
        "{body}"
    );

    let empty = f.memory.create_conversation(None).await.unwrap();
    let err = f
        .chat
        .regenerate(jarvis_ai::chat::Regenerate {
            conversation_id: empty.id,
            provider_id: None,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ChatError::Invalid {
                field: "conversation_id",
                ..
            }
        ),
        "{err}"
    );
}

/// A toy embedding model: one dimension per topic, counting its words.
fn concepts(text: &str) -> Vec<f32> {
    const TOPICS: [&[&str]; 3] = [
        &["mars", "ares", "planet", "rover", "red"],
        &["pizza", "pasta", "cheese"],
        &["guitar", "song", "music"],
    ];
    let lower = text.to_lowercase();
    let mut v: Vec<f32> = TOPICS
        .iter()
        .map(|words| words.iter().filter(|w| lower.contains(*w)).count() as f32)
        .collect();
    v.push(0.05);
    v
}

/// An OpenAI-compatible server with `/v1/embeddings` (the toy model) and
/// `/v1/chat/completions` (answers "Mars is red.").
async fn server_with_embeddings() -> FakeServer {
    FakeServer::routed(Arc::new(|request: &str| {
        if !request.starts_with("POST /v1/embeddings") {
            return sse_response(OPENAI_EVENTS, Duration::ZERO);
        }
        let body: serde_json::Value =
            serde_json::from_str(request.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        let data: Vec<serde_json::Value> = body["input"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, text)| {
                serde_json::json!({
                    "object": "embedding", "index": i,
                    "embedding": concepts(text.as_str().unwrap()),
                })
            })
            .collect();
        let answer = serde_json::json!({
            "object": "list", "data": data, "model": body["model"],
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
        })
        .to_string();
        status_response("200 OK", "", &answer)
    }))
    .await
}

#[tokio::test]
async fn earlier_messages_about_the_same_thing_are_recalled_by_meaning() {
    let mut f = fixture();
    let server = server_with_embeddings().await;
    f.providers
        .add(NewProvider {
            name: "Local".into(),
            kind: ProviderKind::Openai,
            base_url: format!("{}/v1", server.url),
            model: "chat-model".into(),
            embedding_model: Some("concepts-1".into()),
            api_key: None,
        })
        .await
        .unwrap();
    let first = ask(&mut f, "What colour is the planet Mars?").await;
    // The question and the answer get their vectors in the background.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !f
        .memory
        .unembedded("concepts-1", 10)
        .await
        .unwrap()
        .is_empty()
    {
        assert!(tokio::time::Instant::now() < deadline, "never embedded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // No word in common, the same topic: recalled by meaning.
    let second = ask(&mut f, "Tell me about Ares' world").await;
    let answer = last_message(&f.memory, &second.conversation.id).await;
    let similar: Vec<_> = answer
        .recalled
        .iter()
        .filter(|r| r.kind == jarvis_memory::RecallKind::Similar)
        .collect();
    assert!(
        similar.iter().any(|r| r.excerpt == "Mars is red."),
        "{:?}",
        answer.recalled
    );
    assert!(
        similar
            .iter()
            .all(|r| r.conversation_id == first.conversation.id)
    );
    let chat_request = server
        .requests()
        .into_iter()
        .rfind(|r| r.starts_with("POST /v1/chat/completions"))
        .unwrap();
    assert!(chat_request.contains("Mars is red."), "{chat_request}");
    assert!(
        server
            .requests()
            .iter()
            .filter(|r| r.starts_with("POST /v1/embeddings"))
            .all(|r| r.contains("\"model\":\"concepts-1\""))
    );

    // Another topic recalls nothing by meaning.
    let third = ask(&mut f, "A song for the guitar").await;
    let answer = last_message(&f.memory, &third.conversation.id).await;
    assert!(answer.recalled.is_empty(), "{:?}", answer.recalled);

    // Only OpenAI-compatible providers are asked for embeddings.
    let refused = f
        .providers
        .add(NewProvider {
            name: "Claude".into(),
            kind: ProviderKind::Anthropic,
            base_url: "https://api.anthropic.com".into(),
            model: "claude".into(),
            embedding_model: Some("voyage".into()),
            api_key: Some("test-key-0123456789abcdef".into()),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            &refused,
            jarvis_ai::ProviderError::Invalid {
                field: "embedding_model",
                ..
            }
        ),
        "{refused:?}"
    );
}
