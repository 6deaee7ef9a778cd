//! The tantivy index beside SQLite follows the database: through restarts,
//! a lost index folder, reused rowids and writes by another process.

use std::time::{Duration, Instant};

use jarvis_core::{EventBus, Role};
use jarvis_memory::{MemoryService, NewMessage};
use jarvis_store::Database;

fn open(path: &std::path::Path) -> MemoryService {
    MemoryService::new(Database::open(path).unwrap(), EventBus::new())
}

fn answer(text: &str) -> NewMessage {
    NewMessage {
        role: Role::Assistant,
        ..NewMessage::user(text)
    }
}

async fn found(memory: &MemoryService, q: &str) -> Vec<String> {
    memory
        .search(q, 20)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.message_id)
        .collect()
}

#[tokio::test]
async fn a_lost_index_folder_is_rebuilt_from_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jarvis.db");
    let id = {
        let memory = open(&path);
        let c = memory.create_conversation(None).await.unwrap();
        memory
            .append(&c.id, NewMessage::user("a quokka smiles"))
            .await
            .unwrap()
            .id
    };
    let index = dir.path().join("jarvis.db-search");
    assert!(
        index.join("meta.json").exists(),
        "the index lives beside the database"
    );
    std::fs::remove_dir_all(&index).unwrap();
    let memory = open(&path);
    assert_eq!(found(&memory, "quokka").await, [id]);
}

#[tokio::test]
async fn an_index_missing_documents_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jarvis.db");
    let keep = dir.path().join("older-index");
    let first;
    {
        let memory = open(&path);
        let c = memory.create_conversation(None).await.unwrap();
        first = memory
            .append(&c.id, NewMessage::user("wombats dig"))
            .await
            .unwrap()
            .id;
        assert!(memory.wait_indexed(Duration::from_secs(10)).await);
    }
    // An index copied back from before the second message: its payload
    // says "all applied" but it lacks a document.
    copy_dir(&dir.path().join("jarvis.db-search"), &keep);
    let second;
    {
        let memory = open(&path);
        let c = memory.create_conversation(None).await.unwrap();
        second = memory
            .append(&c.id, NewMessage::user("wombats sleep"))
            .await
            .unwrap()
            .id;
        memory.delete_conversation(&c.id).await.unwrap();
        let c = memory.create_conversation(None).await.unwrap();
        memory
            .append(&c.id, NewMessage::user("wombats sleep again"))
            .await
            .unwrap();
    }
    std::fs::remove_dir_all(dir.path().join("jarvis.db-search")).unwrap();
    copy_dir(&keep, &dir.path().join("jarvis.db-search"));
    let memory = open(&path);
    let hits = found(&memory, "wombats").await;
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert!(hits.contains(&first));
    assert!(!hits.contains(&second), "the deleted message stays gone");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[tokio::test]
async fn a_reused_rowid_shows_the_new_message_only() {
    let dir = tempfile::tempdir().unwrap();
    let memory = open(&dir.path().join("jarvis.db"));
    let c = memory.create_conversation(None).await.unwrap();
    memory
        .append(&c.id, NewMessage::user("question"))
        .await
        .unwrap();
    memory
        .append(&c.id, answer("platypus lays eggs"))
        .await
        .unwrap();
    assert_eq!(found(&memory, "platypus").await.len(), 1);
    // Regenerate: the last answer goes and the next one takes its rowid.
    memory.remove_last_answer(&c.id).await.unwrap().unwrap();
    let new = memory
        .append(&c.id, answer("echidna lays eggs too"))
        .await
        .unwrap();
    assert!(found(&memory, "platypus").await.is_empty());
    assert_eq!(
        found(&memory, "echidna").await,
        std::slice::from_ref(&new.id)
    );
    assert_eq!(found(&memory, "eggs").await, [new.id]);
}

#[tokio::test]
async fn messages_written_by_another_process_become_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jarvis.db");
    let memory = open(&path);
    let c = memory.create_conversation(None).await.unwrap();
    // Another process (e.g. `jarvisd import`) writes the same file.
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute(
            "INSERT INTO messages (id, conversation_id, seq, role, content, status, created_at)
             VALUES ('m-other', ?1, 1, 'user', 'narwhal tusks', 'complete', '2026-01-01T00:00:00Z')",
            [&c.id],
        )
        .unwrap();
    let started = Instant::now();
    loop {
        if found(&memory, "narwhal").await == ["m-other"] {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the indexer never saw the other process's message"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_second_process_on_the_same_data_follows_the_one_that_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jarvis.db");
    let writer = open(&path);
    // The desktop app and jarvisd on one data directory: one indexes.
    let follower = open(&path);
    assert_eq!(writer.search_state(), jarvis_memory::IndexState::Indexing);
    assert_eq!(
        follower.search_state(),
        jarvis_memory::IndexState::Following
    );
    // A message stored by the follower is indexed by the writer (it polls),
    // and the follower's searches see the writer's commits.
    let c = follower.create_conversation(None).await.unwrap();
    let id = follower
        .append(&c.id, NewMessage::user("axolotls regrow limbs"))
        .await
        .unwrap()
        .id;
    let started = Instant::now();
    loop {
        if found(&follower, "axolotls").await == [id.clone()] {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the follower never saw the writer's commit"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn equally_relevant_messages_come_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let memory = open(&dir.path().join("jarvis.db"));
    let mut ids = Vec::new();
    for _ in 0..3 {
        let c = memory.create_conversation(None).await.unwrap();
        ids.push(
            memory
                .append(&c.id, answer("Mars is rich in iron oxide."))
                .await
                .unwrap()
                .id,
        );
        // Each in its own commit, so in its own segment.
        assert!(memory.wait_indexed(Duration::from_secs(10)).await);
    }
    assert_eq!(found(&memory, "iron oxide").await, ids);
}
