//! ProviderService on a real SQLite file and the real keychain.

use std::sync::Arc;

use jarvis_ai::{NewProvider, ProviderError, ProviderKind, ProviderPatch, ProviderService};
use jarvis_core::{Event, EventBus};
use jarvis_store::{Database, FileSecretStore, KeychainSecretStore, SecretStore};
use secrecy::ExposeSecret;

struct Fixture {
    _dir: tempfile::TempDir,
    db_path: std::path::PathBuf,
    secrets: Arc<KeychainSecretStore>,
    bus: EventBus,
    service: ProviderService,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("jarvis.db");
    let db = Database::open(&db_path).unwrap();
    let secrets = Arc::new(KeychainSecretStore::new(
        "jarvis-test",
        uuid::Uuid::new_v4().to_string(),
    ));
    secrets
        .check()
        .unwrap_or_else(|e| panic!("{e}\nrun these tests through scripts/test"));
    let bus = EventBus::new();
    let service = ProviderService::new(db, secrets.clone(), bus.clone());
    Fixture {
        _dir: dir,
        db_path,
        secrets,
        bus,
        service,
    }
}

fn claude(key: &str) -> NewProvider {
    NewProvider {
        name: "Claude".into(),
        kind: ProviderKind::Anthropic,
        base_url: "https://api.anthropic.com/".into(),
        model: "claude-sonnet-4-5".into(),
        embedding_model: None,
        api_key: Some(key.into()),
    }
}

fn file_bytes(path: &std::path::Path) -> Vec<u8> {
    let mut all = std::fs::read(path).unwrap();
    if let Ok(wal) = std::fs::read(path.with_extension("db-wal")) {
        all.extend(wal);
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn an_added_provider_keeps_its_key_in_the_keychain_only() {
    let f = fixture();
    let mut events = f.bus.subscribe();
    let key = "sk-ant-test-0123456789abcdefWXYZ";
    let added = f.service.add(claude(key)).await.unwrap();
    assert_eq!(added.base_url, "https://api.anthropic.com");
    assert!(added.has_key);
    assert_eq!(added.key_hint.as_deref(), Some("WXYZ"));
    assert_eq!(events.recv().await.unwrap(), Event::ProvidersChanged);

    let stored = f
        .secrets
        .get(&format!("provider/{}", added.id))
        .unwrap()
        .unwrap();
    assert_eq!(stored.expose_secret(), key);
    assert!(!contains(&file_bytes(&f.db_path), key));
    assert!(!serde_json::to_string(&added).unwrap().contains(key));
    assert_eq!(f.service.list().await.unwrap(), vec![added]);
}

#[tokio::test]
async fn hosted_providers_need_a_key_and_names_are_unique() {
    let f = fixture();
    let err = f.service.add(claude("")).await.unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::Invalid {
                field: "api_key",
                ..
            }
        ),
        "{err}"
    );

    f.service
        .add(claude("sk-one-0123456789abcdef"))
        .await
        .unwrap();
    let mut again = claude("sk-two-0123456789abcdef");
    again.name = "claude".into();
    let err = f.service.add(again).await.unwrap_err();
    assert!(matches!(err, ProviderError::DuplicateName(_)), "{err}");
    assert_eq!(f.service.count().await.unwrap(), 1);
}

#[tokio::test]
async fn a_local_openai_compatible_server_needs_no_key() {
    let f = fixture();
    let added = f
        .service
        .add(NewProvider {
            name: "Ollama".into(),
            kind: ProviderKind::Openai,
            base_url: "http://127.0.0.1:11434/v1".into(),
            model: "llama3.2:1b".into(),
            embedding_model: None,
            api_key: None,
        })
        .await
        .unwrap();
    assert!(!added.has_key);
    assert_eq!(added.key_hint, None);
}

#[tokio::test]
async fn an_embedding_model_is_set_cleared_and_dropped_with_the_kind() {
    let f = fixture();
    let added = f
        .service
        .add(NewProvider {
            name: "Ollama".into(),
            kind: ProviderKind::Openai,
            base_url: "http://127.0.0.1:11434/v1".into(),
            model: "llama3.2:1b".into(),
            embedding_model: Some("  nomic-embed-text ".into()),
            api_key: None,
        })
        .await
        .unwrap();
    assert_eq!(added.embedding_model.as_deref(), Some("nomic-embed-text"));
    // Another field changes: the model stays.
    let patch = |p: ProviderPatch| f.service.update(&added.id, p);
    let renamed = patch(ProviderPatch {
        name: Some("Local".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(renamed.embedding_model.as_deref(), Some("nomic-embed-text"));
    let bad = patch(ProviderPatch {
        embedding_model: Some("two words".into()),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert!(
        matches!(
            &bad,
            ProviderError::Invalid {
                field: "embedding_model",
                ..
            }
        ),
        "{bad}"
    );
    let cleared = patch(ProviderPatch {
        embedding_model: Some(String::new()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(cleared.embedding_model, None);
    // A kind with no embeddings here drops the model.
    patch(ProviderPatch {
        embedding_model: Some("nomic-embed-text".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    let gemini = patch(ProviderPatch {
        kind: Some(ProviderKind::Gemini),
        base_url: Some("https://generativelanguage.googleapis.com".into()),
        api_key: Some("gemini-key-0123456789abcdef".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(gemini.embedding_model, None);
}

#[tokio::test]
async fn updates_change_only_what_they_name_and_can_replace_the_key() {
    let f = fixture();
    let added = f
        .service
        .add(claude("sk-old-0123456789abcdefOLD1"))
        .await
        .unwrap();
    let renamed = f
        .service
        .update(
            &added.id,
            ProviderPatch {
                name: Some("Claude work".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Claude work");
    assert_eq!(renamed.model, added.model);
    assert_eq!(renamed.key_hint.as_deref(), Some("OLD1"));

    let rekeyed = f
        .service
        .update(
            &added.id,
            ProviderPatch {
                api_key: Some("sk-new-0123456789abcdefNEW2".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(rekeyed.key_hint.as_deref(), Some("NEW2"));
    let stored = f
        .secrets
        .get(&format!("provider/{}", added.id))
        .unwrap()
        .unwrap();
    assert_eq!(stored.expose_secret(), "sk-new-0123456789abcdefNEW2");

    let err = f
        .service
        .update(
            &added.id,
            ProviderPatch {
                base_url: Some("nope".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        ProviderError::Invalid {
            field: "base_url",
            ..
        }
    ));
    let err = f
        .service
        .update("no-such-id", ProviderPatch::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::NotFound(_)));
}

#[tokio::test]
async fn removing_a_provider_removes_its_key() {
    let f = fixture();
    let added = f
        .service
        .add(claude("sk-gone-0123456789abcdef"))
        .await
        .unwrap();
    f.service.remove(&added.id).await.unwrap();
    assert!(f.service.list().await.unwrap().is_empty());
    assert!(
        f.secrets
            .get(&format!("provider/{}", added.id))
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        f.service.remove(&added.id).await.unwrap_err(),
        ProviderError::NotFound(_)
    ));
}

#[tokio::test]
async fn when_the_secret_store_refuses_the_key_no_row_is_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&dir.path().join("jarvis.db")).unwrap();
    // A read-only store stands in for a keychain that says no.
    let secrets = Arc::new(FileSecretStore::new(dir.path()));
    let service = ProviderService::new(db, secrets, EventBus::new());
    let err = service
        .add(claude("sk-refused-0123456789abcdef"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Secret(_)), "{err}");
    assert_eq!(service.count().await.unwrap(), 0);
}
