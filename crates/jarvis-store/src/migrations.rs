//! The schema, as a checked list of the SQL files in `migrations/`.

use rusqlite_migration::{M, Migrations};

/// Every migration in order. Append only: released files are never edited.
const STEPS: &[&str] = &[
    include_str!("../../../migrations/0001_init.sql"),
    include_str!("../../../migrations/0002_conversations.sql"),
    include_str!("../../../migrations/0003_recall.sql"),
    include_str!("../../../migrations/0004_import.sql"),
    include_str!("../../../migrations/0005_trading.sql"),
    include_str!("../../../migrations/0006_builtin_model.sql"),
    include_str!("../../../migrations/0007_trading_broker.sql"),
    include_str!("../../../migrations/0008_memory_facts.sql"),
    include_str!("../../../migrations/0009_api_keys.sql"),
    include_str!("../../../migrations/0010_search_index.sql"),
    include_str!("../../../migrations/0011_semantic_recall.sql"),
    include_str!("../../../migrations/0012_orders_checks.sql"),
    include_str!("../../../migrations/0013_fills_by_order.sql"),
];

/// The schema version this build writes (SQLite `user_version`).
pub const LATEST_SCHEMA_VERSION: u32 = STEPS.len() as u32;

pub(crate) fn migrations() -> Migrations<'static> {
    Migrations::new(STEPS.iter().map(|sql| M::up(sql)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_names_every_file_in_the_migrations_folder() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations");
        let files = std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "sql")
            })
            .count();
        assert_eq!(files, STEPS.len(), "a migration file is missing from STEPS");
    }

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
    }
}
