//! Against the real OS keychain: scripts/test runs these inside a private
//! D-Bus session with an unlocked gnome-keyring.

use jarvis_store::{KeychainSecretStore, SecretStore};
use secrecy::{ExposeSecret, SecretString};

fn store() -> KeychainSecretStore {
    // A fresh namespace per test keeps runs independent.
    KeychainSecretStore::new("jarvis-test", uuid::Uuid::new_v4().to_string())
}

fn require_keychain(store: &KeychainSecretStore) {
    store.check().unwrap_or_else(|e| {
        panic!("{e}\nthese tests need a Secret Service: run them through scripts/test")
    });
}

#[test]
fn a_secret_round_trips_through_the_keychain_and_is_deleted() {
    let store = store();
    require_keychain(&store);
    let value = SecretString::from("sk-round-trip-0123456789".to_owned());
    assert!(store.get("provider/a").unwrap().is_none());
    store.set("provider/a", &value).unwrap();
    assert_eq!(
        store.get("provider/a").unwrap().unwrap().expose_secret(),
        "sk-round-trip-0123456789"
    );
    store
        .set("provider/a", &SecretString::from("replaced".to_owned()))
        .unwrap();
    assert_eq!(
        store.get("provider/a").unwrap().unwrap().expose_secret(),
        "replaced"
    );
    store.delete("provider/a").unwrap();
    assert!(store.get("provider/a").unwrap().is_none());
    // Deleting again is fine.
    store.delete("provider/a").unwrap();
}

#[test]
fn namespaces_keep_profiles_apart() {
    let (a, b) = (store(), store());
    require_keychain(&a);
    a.set("owner-token", &SecretString::from("token-a".to_owned()))
        .unwrap();
    assert!(b.get("owner-token").unwrap().is_none());
    a.delete("owner-token").unwrap();
}
