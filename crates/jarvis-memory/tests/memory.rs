//! MemoryService on a real SQLite file.

use jarvis_core::{Event, EventBus, Role};
use jarvis_memory::{ConversationPatch, MemoryError, MemoryService, MessageStatus, NewMessage};
use jarvis_store::Database;

fn service() -> (tempfile::TempDir, MemoryService, EventBus) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&dir.path().join("jarvis.db")).unwrap();
    let bus = EventBus::new();
    (dir, MemoryService::new(db, bus.clone()), bus)
}

fn answer(text: &str) -> NewMessage {
    NewMessage {
        role: Role::Assistant,
        provider: Some("Local".into()),
        model: Some("qwen".into()),
        ..NewMessage::user(text)
    }
}

#[tokio::test]
async fn messages_are_kept_in_order_and_the_first_one_names_the_conversation() {
    let (_dir, memory, bus) = service();
    let mut events = bus.subscribe();
    let c = memory.create_conversation(None).await.unwrap();
    assert_eq!(c.title, "New conversation");
    assert_eq!(events.recv().await.unwrap(), Event::ConversationsChanged);
    memory
        .append(
            &c.id,
            NewMessage::user("What colour is the planet Mars, and why?"),
        )
        .await
        .unwrap();
    memory
        .append(&c.id, answer("Red, because of iron oxide."))
        .await
        .unwrap();
    let messages = memory.messages(&c.id).await.unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].role, Role::User);
    assert_eq!(messages[1].provider.as_deref(), Some("Local"));
    assert_eq!(messages[1].status, MessageStatus::Complete);
    let listed = memory.conversations().await.unwrap();
    assert_eq!(listed[0].title, "What colour is the planet Mars, and why?");
}

#[tokio::test]
async fn conversations_can_be_renamed_pinned_and_deleted_with_their_messages() {
    let (_dir, memory, _bus) = service();
    let a = memory.create_conversation(Some("A".into())).await.unwrap();
    let b = memory.create_conversation(Some("B".into())).await.unwrap();
    memory
        .append(&a.id, NewMessage::user("hello"))
        .await
        .unwrap();
    let pinned = memory
        .update_conversation(
            &b.id,
            ConversationPatch {
                pinned: Some(true),
                title: Some(" Bee ".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!((pinned.title.as_str(), pinned.pinned), ("Bee", true));
    let order: Vec<_> = memory
        .conversations()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.title)
        .collect();
    assert_eq!(order, ["Bee", "A"], "pinned first");
    let err = memory
        .update_conversation(
            &a.id,
            ConversationPatch {
                title: Some("  ".into()),
                pinned: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, MemoryError::Invalid { field: "title", .. }));

    memory.delete_conversation(&a.id).await.unwrap();
    assert!(matches!(
        memory.messages(&a.id).await.unwrap_err(),
        MemoryError::NoConversation(_)
    ));
    assert!(
        memory.search("hello", 10).await.unwrap().is_empty(),
        "deleted messages leave the index"
    );
}

#[tokio::test]
async fn search_finds_words_across_conversations_with_hits_marked() {
    let (_dir, memory, _bus) = service();
    let a = memory.create_conversation(None).await.unwrap();
    let b = memory.create_conversation(None).await.unwrap();
    memory
        .append(&a.id, NewMessage::user("Tell me about the red planet"))
        .await
        .unwrap();
    memory
        .append(
            &b.id,
            answer("Mars is called the Red Planet because of rust."),
        )
        .await
        .unwrap();
    memory
        .append(&b.id, NewMessage::user("And Jupiter?"))
        .await
        .unwrap();

    let hits = memory.search("red plan", 10).await.unwrap();
    assert_eq!(hits.len(), 2);
    for hit in &hits {
        let marked: Vec<_> = hit
            .snippet
            .iter()
            .filter(|p| p.hit)
            .map(|p| p.text.to_lowercase())
            .collect();
        assert_eq!(marked, ["red", "planet"]);
    }
    let jupiter = memory.search("JUPITER", 10).await.unwrap();
    assert_eq!(jupiter.len(), 1);
    assert_eq!(jupiter[0].conversation_id, b.id);
    // FTS syntax typed by a user is just text.
    assert!(memory.search("\"red\" AND NEAR(", 10).await.is_ok());
    assert!(matches!(
        memory.search("   ", 10).await.unwrap_err(),
        MemoryError::Invalid { field: "q", .. }
    ));
    assert!(matches!(
        memory.search("red", 0).await.unwrap_err(),
        MemoryError::Invalid { field: "limit", .. }
    ));
}

#[tokio::test]
async fn a_stored_message_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jarvis.db");
    let id = {
        let memory = MemoryService::new(Database::open(&path).unwrap(), EventBus::new());
        let c = memory.create_conversation(None).await.unwrap();
        memory
            .append(&c.id, NewMessage::user("keep me"))
            .await
            .unwrap();
        c.id
    };
    let memory = MemoryService::new(Database::open(&path).unwrap(), EventBus::new());
    assert_eq!(memory.messages(&id).await.unwrap()[0].content, "keep me");
}

#[tokio::test]
async fn remembered_facts_are_kept_once_recalled_first_and_deleted_on_request() {
    use jarvis_memory::{FactSource, RecallKind};
    let (_dir, memory, bus) = service();
    let mut events = bus.subscribe();
    let fact = memory
        .add_fact("  My dentist appointment is on Friday  ", FactSource::Chat)
        .await
        .unwrap();
    assert_eq!(fact.text, "My dentist appointment is on Friday");
    assert!(matches!(events.recv().await.unwrap(), Event::FactsChanged));
    let again = memory
        .add_fact("my dentist appointment is on friday", FactSource::Voice)
        .await
        .unwrap();
    assert_eq!(again.id, fact.id, "the same fact is kept once");
    assert!(matches!(
        memory.add_fact("   ", FactSource::Ui).await,
        Err(MemoryError::Invalid { field: "text", .. })
    ));

    // Recalled into any request, whatever its words, before messages.
    let c = memory.create_conversation(None).await.unwrap();
    memory
        .append(&c.id, NewMessage::user("The telescope arrives on Tuesday"))
        .await
        .unwrap();
    let recalled = memory
        .recall("when does the telescope arrive", "other", 1600)
        .await
        .unwrap();
    assert_eq!(recalled[0].kind, RecallKind::Fact);
    assert_eq!(recalled[0].excerpt, "My dentist appointment is on Friday");
    assert!(
        recalled[1..]
            .iter()
            .any(|r| r.kind == RecallKind::Message && r.excerpt.contains("telescope"))
    );
    let only_facts = memory.recall("ok", "other", 1600).await.unwrap();
    assert_eq!(only_facts.len(), 1);

    memory.delete_fact(&fact.id).await.unwrap();
    assert!(memory.facts().await.unwrap().is_empty());
    assert!(matches!(
        memory.delete_fact(&fact.id).await,
        Err(MemoryError::NoFact(_))
    ));
}
