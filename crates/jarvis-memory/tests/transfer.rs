//! Import and export on real SQLite files.

use jarvis_core::{EventBus, Role};
use jarvis_memory::{MemoryError, MemoryService, NewMessage};
use jarvis_store::Database;

fn service() -> (tempfile::TempDir, MemoryService) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&dir.path().join("jarvis.db")).unwrap();
    (dir, MemoryService::new(db, EventBus::new()))
}

/// The shape of ChatGPT's export: a tree of nodes per conversation, with an
/// edited (abandoned) branch, a hidden system node and a tool message.
const CHATGPT: &str = r#"[
  {
    "title": "Mars facts",
    "create_time": 1717000000.5,
    "update_time": 1717000100.25,
    "mapping": {
      "root": {"id": "root", "message": null, "parent": null, "children": ["sys"]},
      "sys": {"id": "sys", "message": {"id": "sys", "author": {"role": "system", "name": null, "metadata": {}}, "create_time": null, "content": {"content_type": "text", "parts": [""]}, "status": "finished_successfully", "metadata": {}}, "parent": "root", "children": ["u1", "u1b"]},
      "u1": {"id": "u1", "message": {"id": "u1", "author": {"role": "user"}, "create_time": 1717000001.0, "content": {"content_type": "text", "parts": ["What colour is Mars?"]}}, "parent": "sys", "children": ["a1"]},
      "a1": {"id": "a1", "message": {"id": "a1", "author": {"role": "assistant"}, "create_time": 1717000002.0, "content": {"content_type": "text", "parts": ["Red, from iron oxide."]}}, "parent": "u1", "children": []},
      "u1b": {"id": "u1b", "message": {"id": "u1b", "author": {"role": "user"}, "create_time": 1717000010.0, "content": {"content_type": "text", "parts": ["What colour is Mars, really?"]}}, "parent": "sys", "children": ["t1"]},
      "t1": {"id": "t1", "message": {"id": "t1", "author": {"role": "tool", "name": "browser"}, "create_time": 1717000011.0, "content": {"content_type": "text", "parts": ["search results"]}}, "parent": "u1b", "children": ["a1b"]},
      "a1b": {"id": "a1b", "message": {"id": "a1b", "author": {"role": "assistant"}, "create_time": 1717000012.0, "content": {"content_type": "text", "parts": ["Butterscotch, ", "up close."]}}, "parent": "t1", "children": []}
    },
    "moderation_results": [],
    "current_node": "a1b",
    "conversation_id": "gpt-conv-1",
    "id": "gpt-conv-1",
    "default_model_slug": "gpt-4o"
  }
]"#;

#[tokio::test]
async fn a_chatgpt_export_imports_the_visible_thread_once() {
    let (_dir, memory) = service();
    let report = memory.import(CHATGPT.as_bytes().to_vec()).await.unwrap();
    assert_eq!(
        (
            report.format.as_str(),
            report.conversations_imported,
            report.messages_imported,
            report.conversations_skipped
        ),
        ("chatgpt", 1, 2, 0)
    );
    let conversations = memory.conversations().await.unwrap();
    assert_eq!(conversations[0].title, "Mars facts");
    let messages = memory.messages(&conversations[0].id).await.unwrap();
    let thread: Vec<_> = messages
        .iter()
        .map(|m| (m.role, m.content.as_str()))
        .collect();
    assert_eq!(
        thread,
        [
            (Role::User, "What colour is Mars, really?"),
            (Role::Assistant, "Butterscotch, \nup close.")
        ]
    );
    assert_eq!(messages[1].provider.as_deref(), Some("ChatGPT"));
    assert_eq!(memory.search("butterscotch", 5).await.unwrap().len(), 1);

    let again = memory.import(CHATGPT.as_bytes().to_vec()).await.unwrap();
    assert_eq!(
        (again.conversations_imported, again.conversations_skipped),
        (0, 1)
    );
    assert_eq!(
        memory.conversations().await.unwrap().len(),
        1,
        "no duplicates"
    );
}

#[tokio::test]
async fn a_malformed_file_is_refused_with_its_place_and_adds_nothing() {
    let (_dir, memory) = service();
    // Valid first conversation, broken second one: nothing at all is written.
    let broken_second = format!(
        "[{}, {{\"id\": \"c2\", \"title\": \"x\", \"mapping\": {{\"n\": {{\"message\": {{\"id\": \"m\", \"author\": {{\"role\": 5}}, \"content\": {{\"parts\": []}}}}, \"parent\": null}}}}, \"current_node\": \"n\"}}]",
        CHATGPT.trim().trim_start_matches('[').trim_end_matches(']')
    );
    let err = memory.import(broken_second.into_bytes()).await.unwrap_err();
    let MemoryError::Import(e) = err else {
        panic!("{err}")
    };
    assert!(
        e.location.starts_with("[1].mapping.n.message.author.role"),
        "{}",
        e.location
    );
    assert!(e.location.contains("line"), "{}", e.location);
    assert!(
        memory.conversations().await.unwrap().is_empty(),
        "nothing half-written"
    );

    let truncated = &CHATGPT[..CHATGPT.len() / 2];
    let err = memory
        .import(truncated.as_bytes().to_vec())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("line"), "{err}");

    let err = memory
        .import(b"\"just a string\"".to_vec())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("conversations.json"), "{err}");

    let dangling = CHATGPT.replace("\"current_node\": \"a1b\"", "\"current_node\": \"nowhere\"");
    let err = memory.import(dangling.into_bytes()).await.unwrap_err();
    assert!(err.to_string().contains("[0].mapping.nowhere"), "{err}");
    assert!(memory.conversations().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_jarvis_export_round_trips_into_another_profile() {
    let (_a, source) = service();
    let c = source
        .create_conversation(Some("Trip".into()))
        .await
        .unwrap();
    source
        .append(&c.id, NewMessage::user("Pack the red jacket"))
        .await
        .unwrap();
    source
        .append(
            &c.id,
            NewMessage {
                role: Role::Assistant,
                provider: Some("Local".into()),
                ..NewMessage::user("Noted.")
            },
        )
        .await
        .unwrap();
    let export = serde_json::to_vec(&source.export().await.unwrap()).unwrap();

    let (_b, target) = service();
    let report = target.import(export.clone()).await.unwrap();
    assert_eq!(
        (
            report.format.as_str(),
            report.conversations_imported,
            report.messages_imported
        ),
        ("jarvis", 1, 2)
    );
    let before = source.messages(&c.id).await.unwrap();
    let after = target.messages(&c.id).await.unwrap();
    assert_eq!(
        before
            .iter()
            .map(|m| (&m.id, &m.content, m.role, &m.provider))
            .collect::<Vec<_>>(),
        after
            .iter()
            .map(|m| (&m.id, &m.content, m.role, &m.provider))
            .collect::<Vec<_>>()
    );
    let again = target.import(export).await.unwrap();
    assert_eq!(
        (again.conversations_imported, again.conversations_skipped),
        (0, 1)
    );

    let wrong = br#"{"format": "jarvis.conversations", "version": 9, "conversations": []}"#;
    assert!(
        target
            .import(wrong.to_vec())
            .await
            .unwrap_err()
            .to_string()
            .contains("version")
    );
    let extra =
        br#"{"format": "jarvis.conversations", "version": 1, "conversations": [], "surprise": 1}"#;
    assert!(
        target
            .import(extra.to_vec())
            .await
            .unwrap_err()
            .to_string()
            .contains("surprise")
    );
}
