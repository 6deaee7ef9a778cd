//! The profile database: one SQLite file, WAL, foreign keys on, schema from
//! `migrations/` applied at start-up in one transaction.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use jarvis_core::{ErrorKind, Problem, ProblemSource};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::migrations::{LATEST_SCHEMA_VERSION, migrations};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "the database {path} was written by a newer Jarvis (schema version {found}, this build knows up to {supported}); it was left untouched: update Jarvis or choose another data directory"
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("cannot create the data directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot migrate the database {path}: {source}")]
    Migrate {
        path: PathBuf,
        source: rusqlite_migration::Error,
    },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("a database task failed: {0}")]
    Task(String),
}

impl ProblemSource for DbError {
    fn problem(&self) -> Problem {
        let (kind, code) = match self {
            DbError::NewerSchema { .. } => (ErrorKind::Unavailable, "database_too_new"),
            DbError::CreateDir { .. } | DbError::Open { .. } | DbError::Migrate { .. } => {
                (ErrorKind::Unavailable, "database_unavailable")
            }
            DbError::Sqlite(_) | DbError::Task(_) => (ErrorKind::Internal, "database_error"),
        };
        Problem::new(kind, code, self.to_string())
    }
}

/// A handle to the profile database. Cloning shares the same connection.
#[derive(Clone)]
pub struct Database {
    path: Arc<PathBuf>,
    // One connection serialises writes (SQLite allows one writer anyway).
    conn: Arc<Mutex<Connection>>,
    profile_id: Arc<str>,
}

impl Database {
    /// Opens (creating if needed) the database at `path` and brings its schema
    /// up to date. A database from a newer Jarvis is refused before any write.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
                path: dir.to_owned(),
                source,
            })?;
        }
        let open_err = |source| DbError::Open {
            path: path.to_owned(),
            source,
        };
        if path.exists() {
            refuse_newer(path)?;
        }
        let mut conn = Connection::open(path).map_err(open_err)?;
        // Off while migrating (the bundled SQLite starts with them on):
        // migrations that rebuild a table drop and rename it, which foreign
        // keys would refuse while other tables refer to it.
        conn.pragma_update(None, "foreign_keys", "OFF")
            .map_err(open_err)?;
        // WAL keeps readers off the writer's back; with synchronous=NORMAL a
        // committed transaction survives a killed process (not a power cut).
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        // 64 MiB of page cache (the default is 2 MiB): large imports and
        // searches over a million messages stay off the disk. Pages are
        // only allocated when used.
        conn.pragma_update(None, "cache_size", -65_536)
            .map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_err)?;
        // Every transaction on this connection reads, then writes. Deferred,
        // one would fail at once with "database is locked" (busy_timeout
        // does not apply) when another connection (the search indexer,
        // another process) committed between its read and its first write.
        // IMMEDIATE takes the write lock first, waiting its turn for it.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        migrations()
            .to_latest(&mut conn)
            .map_err(|source| DbError::Migrate {
                path: path.to_owned(),
                source,
            })?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        let profile_id = ensure_profile(&conn)?;
        // Checkpoints copy the WAL into the database and sync it: a few ms.
        // Run them on a thread of their own instead of inside whichever
        // commit crosses the threshold, so writes stay in microseconds.
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(open_err)?;
        // A WAL that grew during one huge transaction (an import) is cut
        // back to this size when it next starts over.
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)
            .map_err(open_err)?;
        let conn = Arc::new(Mutex::new(conn));
        spawn_checkpointer(path, Arc::downgrade(&conn));
        Ok(Self {
            path: Arc::new(path.to_owned()),
            conn,
            profile_id: profile_id.into(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A random id made when the database was created; namespaces secrets.
    pub fn profile_id(&self) -> &str {
        &self.profile_id
    }

    /// Runs `f` with the connection on a blocking thread.
    pub async fn call<T, E>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock cannot leave SQLite half-written
            // (transactions roll back), so a poisoned lock is safe to reuse.
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| E::from(DbError::Task(e.to_string())))?
    }

    /// Runs `f` with the connection on this thread: for start-up code that
    /// is not async yet. Never call it from an async task (it blocks).
    pub fn call_blocking<T, E>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// The schema version of the open database.
    pub async fn schema_version(&self) -> Result<u32, DbError> {
        self.call(|conn| Ok(user_version(conn)?)).await
    }
}

/// WAL frames (4 KiB pages) past which the checkpointer restarts the WAL.
const WAL_RESTART_FRAMES: i64 = 4096;

/// Checkpoints the WAL every 100 ms until the database is dropped, and once
/// more at the end. PASSIVE on a connection of its own never blocks the
/// writer, but under writes that never pause it never catches up either:
/// SQLite only starts the WAL over when a write finds it wholly copied, so
/// it would grow without end, and every commit would write to new file
/// pages, which costs twice as much as overwriting cached ones. Past
/// `WAL_RESTART_FRAMES` the last frames are copied on the writer's own
/// connection, between two of its transactions, so the next commit starts
/// the WAL from its beginning (writers wait for it: as long as the disk
/// takes to sync, milliseconds).
fn spawn_checkpointer(path: &Path, writer: std::sync::Weak<Mutex<Connection>>) {
    let Ok(conn) = Connection::open(path) else {
        return; // the writer's connection still checkpoints on close
    };
    let _ = conn.busy_timeout(std::time::Duration::from_millis(100));
    let spawned = std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            while writer.strong_count() > 0 {
                std::thread::sleep(std::time::Duration::from_millis(100));
                if passive_checkpoint(&conn).is_some_and(|frames| frames > WAL_RESTART_FRAMES)
                    && let Some(writer) = writer.upgrade()
                {
                    passive_checkpoint(&writer.lock().unwrap_or_else(|p| p.into_inner()));
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no checkpoint thread: the WAL grows until the database closes");
    }
}

/// Copies what it can of the WAL into the database without waiting for any
/// lock; returns the number of frames the WAL holds.
fn passive_checkpoint(conn: &Connection) -> Option<i64> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
        .ok()
}

fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Reads the schema version without writing anything, and refuses a newer one.
fn refuse_newer(path: &Path) -> Result<(), DbError> {
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|source| {
            DbError::Open {
                path: path.to_owned(),
                source,
            }
        })?;
    let found = user_version(&conn).map_err(|source| DbError::Open {
        path: path.to_owned(),
        source,
    })?;
    if found > LATEST_SCHEMA_VERSION {
        return Err(DbError::NewerSchema {
            path: path.to_owned(),
            found,
            supported: LATEST_SCHEMA_VERSION,
        });
    }
    Ok(())
}

fn ensure_profile(conn: &Connection) -> Result<String, DbError> {
    let existing: Option<String> = conn
        .query_row("SELECT id FROM profile LIMIT 1", [], |row| row.get(0))
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let id = uuid::Uuid::new_v4().to_string();
    conn.execute(
        "INSERT INTO profile (id, created_at) VALUES (?1, ?2)",
        (&id, chrono::Utc::now().to_rfc3339()),
    )?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_that_reads_then_writes_outlasts_another_connections_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jarvis.db");
        let db = Database::open(&path).unwrap();
        db.call_blocking(|c| c.execute_batch("CREATE TABLE tally (n INTEGER NOT NULL)"))
            .unwrap();
        let other = std::thread::scope(|scope| {
            db.call_blocking(|c| {
                let tx = c.transaction()?;
                let seen: i64 = tx.query_row("SELECT count(*) FROM tally", [], |r| r.get(0))?;
                // Another connection writes between this read and the write
                // below (given time to, if it can get the lock).
                let other = scope.spawn(|| {
                    let conn = Connection::open(&path)?;
                    conn.busy_timeout(std::time::Duration::from_secs(5))?;
                    conn.execute("INSERT INTO tally (n) VALUES (2)", [])
                });
                std::thread::sleep(std::time::Duration::from_millis(200));
                tx.execute("INSERT INTO tally (n) VALUES (?1)", [seen + 1])?;
                tx.commit()?;
                Ok::<_, rusqlite::Error>(other)
            })
            .unwrap()
            .join()
            .unwrap()
        });
        assert_eq!(other.unwrap(), 1);
        let rows: Vec<i64> = db
            .call_blocking(|c| {
                c.prepare("SELECT n FROM tally ORDER BY rowid")?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()
            })
            .unwrap();
        assert_eq!(rows, vec![1, 2], "the other write waited for this one");
    }

    #[test]
    fn writes_that_never_pause_reuse_the_wal_instead_of_growing_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jarvis.db");
        let db = Database::open(&path).unwrap();
        db.call_blocking(|c| c.execute_batch("CREATE TABLE ballast (data BLOB NOT NULL)"))
            .unwrap();
        // Each commit writes at least 16 KiB of new pages; no pause between them.
        let blob = vec![7u8; 16 * 1024];
        let mut committed = 0usize;
        let started = std::time::Instant::now();
        // Long enough for several checkpointer rounds, however fast the disk.
        while committed < 160 * 1024 * 1024 || started.elapsed().as_millis() < 1500 {
            db.call_blocking(|c| c.execute("INSERT INTO ballast (data) VALUES (?1)", [&blob]))
                .unwrap();
            committed += blob.len();
        }
        let wal = std::fs::metadata(dir.path().join("jarvis.db-wal"))
            .unwrap()
            .len() as usize;
        assert!(
            wal < committed / 2,
            "the WAL holds {wal} bytes after {committed} committed: it was never started over"
        );
    }

    #[tokio::test]
    async fn a_new_file_gets_wal_foreign_keys_and_the_latest_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/jarvis.db");
        let db = Database::open(&path).unwrap();
        assert!(path.exists());
        assert_eq!(db.schema_version().await.unwrap(), LATEST_SCHEMA_VERSION);
        let (mode, fk): (String, i64) = db
            .call(|c| {
                Ok::<_, DbError>((
                    c.pragma_query_value(None, "journal_mode", |r| r.get(0))?,
                    c.pragma_query_value(None, "foreign_keys", |r| r.get(0))?,
                ))
            })
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(fk, 1);
    }

    #[tokio::test]
    async fn reopening_keeps_the_profile_id_and_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jarvis.db");
        let first = Database::open(&path).unwrap();
        let id = first.profile_id().to_owned();
        drop(first);
        let again = Database::open(&path).unwrap();
        assert_eq!(again.profile_id(), id);
        assert_eq!(again.schema_version().await.unwrap(), LATEST_SCHEMA_VERSION);
    }

    #[tokio::test]
    async fn every_released_version_migrates_to_the_latest_keeping_its_data() {
        for version in 1..LATEST_SCHEMA_VERSION {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("jarvis.db");
            {
                let mut conn = Connection::open(&path).unwrap();
                migrations()
                    .to_version(&mut conn, version as usize)
                    .unwrap();
                conn.execute(
                    "INSERT INTO providers (id, name, kind, base_url, model, has_key, key_hint, created_at, updated_at)
                     VALUES ('p1', 'Old', 'openai', 'http://127.0.0.1:11434/v1', 'llama', 0, NULL, 'x', 'x')",
                    [],
                )
                .unwrap();
                if version >= 5 {
                    conn.execute_batch(
                        "INSERT INTO trading_orders (rowid, id, client_order_id, symbol, side, order_type, qty,
                           filled_qty, state, source, created_at, updated_at)
                         VALUES (7, 'o1', 'c1', 'AAPL', 'buy', 'market', '1', '1', 'filled', 'ui', 'x', 'x');
                         INSERT INTO trading_fills (order_id, symbol, side, qty, price, fee, time)
                         VALUES ('o1', 'AAPL', 'buy', '1', '10', '0', 'x');",
                    )
                    .unwrap();
                }
            }
            let db = Database::open(&path).unwrap();
            assert_eq!(db.schema_version().await.unwrap(), LATEST_SCHEMA_VERSION);
            let name: String = db
                .call(|c| {
                    Ok::<_, DbError>(c.query_row("SELECT name FROM providers", [], |r| r.get(0))?)
                })
                .await
                .unwrap();
            assert_eq!(name, "Old", "from version {version}");
            if version >= 5 {
                db.call(move |c| {
                    let rowid: i64 = c.query_row(
                        "SELECT rowid FROM trading_orders WHERE id = 'o1'",
                        [],
                        |r| r.get(0),
                    )?;
                    assert_eq!(rowid, 7, "from version {version}");
                    let broken: Option<String> = c
                        .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
                        .optional()?;
                    assert_eq!(broken, None, "from version {version}");
                    let bad_state = c.execute(
                        "UPDATE trading_orders SET state = 'lost' WHERE id = 'o1'",
                        [],
                    );
                    assert!(bad_state.is_err(), "from version {version}");
                    let orphan = c.execute(
                        "INSERT INTO trading_fills (order_id, symbol, side, qty, price, fee, time)
                         VALUES ('nope', 'AAPL', 'buy', '1', '10', '0', 'x')",
                        [],
                    );
                    assert!(orphan.is_err(), "from version {version}");
                    Ok::<_, DbError>(())
                })
                .await
                .unwrap();
            }
        }
    }

    #[test]
    fn a_database_from_a_newer_jarvis_is_refused_and_left_byte_for_byte_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jarvis.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 999;")
                .unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let err = Database::open(&path).err().expect("must refuse");
        assert!(
            matches!(err, DbError::NewerSchema { found: 999, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("newer Jarvis"), "{err}");
        assert_eq!(err.problem().code, "database_too_new");
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert!(!dir.path().join("jarvis.db-wal").exists());
    }

    #[test]
    fn a_file_that_is_not_a_database_gets_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jarvis.db");
        std::fs::write(&path, b"this is not sqlite, just text that is long enough").unwrap();
        let err = Database::open(&path).err().expect("must refuse");
        assert!(
            err.to_string().contains("cannot open the database"),
            "{err}"
        );
    }
}
