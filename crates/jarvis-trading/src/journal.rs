//! The paper order journal: everything a paper order writes (its order,
//! fill, settlement and audit entries) as one record, appended to a file
//! next to the database with a single `write`, and applied to SQLite just
//! after by a thread of its own.
//!
//! Why: a SQLite commit writes every B-tree page the order touches, seven
//! to ten 4 KiB WAL frames of two syscalls each, 50–70 µs on a small VM;
//! appending one record of a few KB is a few µs. Durability is the
//! database's own (`synchronous=NORMAL`): once `write` returns the record
//! is with the OS and survives a killed process. Each record carries its
//! length and CRC-32, so a record cut short by a crash is never applied;
//! such a record was never acknowledged either.
//!
//! Every record ends by moving the audit head stored with the account, so
//! the head in SQLite says which records are in: start-up applies the
//! others, in order. Every other trading change, and every read of the
//! trading tables, applies what is queued first (in the same transaction
//! for a change), so nothing reads or writes around the journal.
//!
//! One process owns the journal (an exclusive file lock); another process
//! opening the same data directory reads what is applied and does not
//! trade (see `TradingService`).

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

use jarvis_store::Database;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{Connection, OpenFlags, OptionalExtension, ToSql};
use serde::{Deserialize, Serialize};

use crate::orders::Order;
use crate::store::{self, Ledger};

/// Once everything in it is applied, a journal past this size is written
/// from its start again, over pages the OS already holds.
const RESTART_BYTES: u64 = 1 << 20;

/// How long the applier keeps looking for records after the last one
/// before it sleeps until woken: while it looks, appends need not wake it.
const AWAKE_AFTER_WORK: Duration = Duration::from_millis(100);

/// Records applied in one transaction, at most: the queue's lock is held
/// while they are picked, and appends wait for it.
const BATCH: usize = 256;

/// Bytes before a record's body: its length, CRC-32 and seq.
const HEADER: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("the trading journal {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the trading journal {path} has a record that checks out but does not parse: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

/// A statement parameter read back from a record. Trading stores money and
/// times as text, so integers, text and NULL are all it takes.
#[derive(Deserialize)]
#[serde(untagged)]
enum Param<'a> {
    Integer(i64),
    Text(#[serde(borrow)] Cow<'a, str>),
    Null,
}

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Param::Integer(i) => ValueRef::Integer(*i),
            Param::Text(t) => ValueRef::Text(t.as_bytes()),
            Param::Null => ValueRef::Null,
        }))
    }
}

/// One statement of a record: its SQL and parameters.
type Statement<'a> = (Cow<'a, str>, Vec<Param<'a>>);

/// One change's writes, framed as on disk: body length (u32), CRC-32 of
/// the body (u32) and the audit seq the change ends at (i64), all
/// little-endian, then the body, a JSON array of `[sql, [params…]]`.
pub(crate) struct Record {
    seq: i64,
    frame: Vec<u8>,
    /// The orders as the change left them, for idempotent lookups by client
    /// order id until the record is applied; not journaled (start-up
    /// applies the records before anything can ask).
    orders: Vec<Order>,
}

impl Record {
    fn statements(&self) -> serde_json::Result<Vec<Statement<'_>>> {
        serde_json::from_slice(&self.frame[HEADER..])
    }

    fn apply(&self, conn: &Connection) -> rusqlite::Result<()> {
        let statements = self
            .statements()
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        for (sql, params) in &statements {
            conn.prepare_cached(sql)?
                .execute(rusqlite::params_from_iter(params))?;
        }
        Ok(())
    }
}

/// Reads the records at the start of `bytes`, and how many bytes they
/// take. What follows the newest whole record is left out: a record cut
/// short by a crash, or older records written over since.
fn decode(bytes: &[u8], path: &Path) -> Result<(Vec<Record>, usize), JournalError> {
    let mut records = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + HEADER) {
        let word = |range: std::ops::Range<usize>| header[range].try_into().unwrap_or_default();
        let len = u32::from_le_bytes(word(0..4)) as usize;
        let crc = u32::from_le_bytes(word(4..8));
        let Some(frame) = bytes.get(at..at + HEADER + len) else {
            break;
        };
        let seq = i64::from_le_bytes(header[8..].try_into().unwrap_or_default());
        // Past the newest record lie older ones the journal was restarted
        // over: their seqs are lower.
        if crc32fast::hash(&frame[HEADER..]) != crc
            || records.last().is_some_and(|r: &Record| r.seq >= seq)
        {
            break;
        }
        let record = Record {
            seq,
            frame: frame.to_vec(),
            orders: Vec::new(),
        };
        if let Err(e) = record.statements() {
            return Err(JournalError::Corrupt {
                path: path.to_owned(),
                reason: e.to_string(),
            });
        }
        records.push(record);
        at += frame.len();
    }
    Ok((records, at))
}

/// A change's writes, framed for the journal instead of run.
pub(crate) struct Recorder<'a> {
    journal: &'a Journal,
    frame: RefCell<Vec<u8>>,
}

impl<'a> Recorder<'a> {
    pub(crate) fn new(journal: &'a Journal) -> Self {
        let mut frame = Vec::with_capacity(8192);
        frame.resize(HEADER, 0);
        Self {
            journal,
            frame: RefCell::new(frame),
        }
    }

    /// The finished frame for the change that ends at audit entry `seq`.
    fn finish(self, seq: i64) -> Vec<u8> {
        let mut frame = self.frame.into_inner();
        frame.push(if frame.len() == HEADER { b'[' } else { b']' });
        if frame.len() == HEADER + 1 {
            frame.push(b']');
        }
        let body = &frame[HEADER..];
        let (len, crc) = (body.len() as u32, crc32fast::hash(body));
        frame[..4].copy_from_slice(&len.to_le_bytes());
        frame[4..8].copy_from_slice(&crc.to_le_bytes());
        frame[8..HEADER].copy_from_slice(&seq.to_le_bytes());
        frame
    }
}

fn write_json(frame: &mut Vec<u8>, value: &impl Serialize) -> rusqlite::Result<()> {
    serde_json::to_writer(frame, value)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

impl Ledger for Recorder<'_> {
    fn execute(&self, sql: &'static str, params: &[&dyn ToSql]) -> rusqlite::Result<()> {
        let mut frame = self.frame.borrow_mut();
        let opening: &[u8] = if frame.len() == HEADER { b"[[" } else { b",[" };
        frame.extend_from_slice(opening);
        write_json(&mut frame, &sql)?;
        frame.extend_from_slice(b",[");
        for (i, param) in params.iter().enumerate() {
            if i > 0 {
                frame.push(b',');
            }
            match param.to_sql()? {
                ToSqlOutput::Borrowed(ValueRef::Integer(n))
                | ToSqlOutput::Owned(Value::Integer(n)) => write_json(&mut frame, &n)?,
                ToSqlOutput::Borrowed(ValueRef::Null) | ToSqlOutput::Owned(Value::Null) => {
                    frame.extend_from_slice(b"null")
                }
                ToSqlOutput::Borrowed(ValueRef::Text(t)) => {
                    let text = std::str::from_utf8(t)
                        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
                    write_json(&mut frame, &text)?
                }
                ToSqlOutput::Owned(Value::Text(t)) => write_json(&mut frame, &t)?,
                _ => {
                    return Err(rusqlite::Error::ToSqlConversionFailure(
                        "the trading journal holds integers, text and NULL only".into(),
                    ));
                }
            }
        }
        frame.extend_from_slice(b"]]");
        Ok(())
    }

    fn order_by_client_id(&self, client_order_id: &str) -> rusqlite::Result<Option<Order>> {
        self.journal.order_by_client_id(client_order_id)
    }
}

struct Appender {
    file: File,
    /// Where the next record goes: the end of the newest one.
    end: u64,
    /// The newest record's seq.
    written: i64,
}

/// Wakes the applier thread; shared with it so that it can wait without
/// keeping the journal alive.
#[derive(Default)]
struct Wake {
    closed: Mutex<bool>,
    signal: Condvar,
    /// Set while the applier waits: only then does an append pay for a
    /// wake-up.
    sleeping: AtomicBool,
    /// Records in the journal's queue.
    queued: AtomicUsize,
}

pub(crate) struct Journal {
    db: Database,
    path: PathBuf,
    appender: Mutex<Appender>,
    /// Records written and not yet applied, oldest first.
    queue: Mutex<VecDeque<Arc<Record>>>,
    wake: Arc<Wake>,
    /// For idempotent lookups of applied orders: the writer's connection
    /// is not to be waited for while the trading state is held.
    reader: Mutex<Option<Connection>>,
    /// Set once dropped and unlocked: another service may take over.
    released: Arc<AtomicBool>,
}

impl Journal {
    /// The journal beside `db`, with the records a previous run left
    /// queued; `None` when someone else holds it after `patience`.
    pub(crate) fn open(
        db: &Database,
        patience: Duration,
    ) -> Result<Option<Arc<Self>>, JournalError> {
        let path = journal_path(db.path());
        let io = |source| JournalError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        let deadline = std::time::Instant::now() + patience;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        let (records, end) = decode(&bytes, &path)?;
        let written = records.last().map_or(0, |r| r.seq);
        let journal = Arc::new(Self {
            db: db.clone(),
            path,
            appender: Mutex::new(Appender {
                file,
                end: end as u64,
                written,
            }),
            wake: Arc::new(Wake {
                queued: AtomicUsize::new(records.len()),
                ..Wake::default()
            }),
            queue: Mutex::new(records.into_iter().map(Arc::new).collect()),
            reader: Mutex::new(None),
            released: Arc::default(),
        });
        spawn_applier(Arc::downgrade(&journal), journal.wake.clone());
        Ok(Some(journal))
    }

    /// Appends a change's writes as one record; once this returns the
    /// change is committed.
    pub(crate) fn append(
        &self,
        recorder: Recorder<'_>,
        seq: i64,
        orders: Vec<Order>,
    ) -> Result<(), JournalError> {
        let frame = recorder.finish(seq);
        {
            let mut appender = lock(&self.appender);
            // A failed write leaves `end` where it was: the next record goes
            // over whatever part of this one was written.
            appender
                .file
                .write_all_at(&frame, appender.end)
                .map_err(|e| self.io(e))?;
            appender.end += frame.len() as u64;
            appender.written = seq;
        }
        let record = Record { seq, frame, orders };
        lock(&self.queue).push_back(Arc::new(record));
        self.wake.queued.fetch_add(1, Ordering::SeqCst);
        if self.wake.sleeping.load(Ordering::SeqCst) {
            let _closed = lock(&self.wake.closed);
            self.wake.signal.notify_one();
        }
        Ok(())
    }

    /// Runs the queued records not yet in the database, inside the
    /// caller's transaction; the newest seq run, for `forget` once the
    /// transaction commits.
    pub(crate) fn apply_queued(&self, conn: &Connection) -> rusqlite::Result<Option<i64>> {
        self.apply_oldest(conn, usize::MAX)
    }

    /// `apply_queued` for at most `limit` records.
    fn apply_oldest(&self, conn: &Connection, limit: usize) -> rusqlite::Result<Option<i64>> {
        let records: Vec<Arc<Record>> = lock(&self.queue).iter().take(limit).cloned().collect();
        let Some(newest) = records.last().map(|r| r.seq) else {
            return Ok(None);
        };
        let applied: i64 = conn
            .query_row(
                "SELECT audit_seq FROM trading_account WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        for record in records.iter().filter(|r| r.seq > applied) {
            record.apply(conn)?;
        }
        Ok(Some(newest))
    }

    /// Drops records up to `seq` from the queue once their transaction has
    /// committed; a journal wholly applied and grown large starts over.
    pub(crate) fn forget(&self, seq: i64) {
        let mut queue = lock(&self.queue);
        while queue.front().is_some_and(|r| r.seq <= seq) {
            queue.pop_front();
            self.wake.queued.fetch_sub(1, Ordering::SeqCst);
        }
        let empty = queue.is_empty();
        drop(queue);
        let mut appender = lock(&self.appender);
        if empty && appender.written <= seq && appender.end > RESTART_BYTES {
            appender.end = 0;
        }
    }

    /// Applies and commits everything queued now, a batch per transaction.
    pub(crate) fn apply_all(&self, conn: &mut Connection) -> rusqlite::Result<()> {
        let Some(target) = lock(&self.queue).back().map(|r| r.seq) else {
            return Ok(());
        };
        while let Some(seq) = self.apply_batch(conn)? {
            if seq >= target {
                break;
            }
        }
        Ok(())
    }

    /// Applies and commits the oldest records queued; the newest seq among
    /// them.
    fn apply_batch(&self, conn: &mut Connection) -> rusqlite::Result<Option<i64>> {
        let tx = conn.transaction()?;
        let newest = self.apply_oldest(&tx, BATCH)?;
        tx.commit()?;
        if let Some(seq) = newest {
            self.forget(seq);
        }
        Ok(newest)
    }

    fn order_by_client_id(&self, client_order_id: &str) -> rusqlite::Result<Option<Order>> {
        // Queued first: a record leaves the queue only once it is committed,
        // so an order not found there is found below.
        let queued = lock(&self.queue).iter().rev().find_map(|r| {
            r.orders
                .iter()
                .rev()
                .find(|o| o.client_order_id == client_order_id)
                .cloned()
        });
        if queued.is_some() {
            return Ok(queued);
        }
        let mut reader = lock(&self.reader);
        let conn = match &mut *reader {
            Some(conn) => conn,
            None => reader.insert(Connection::open_with_flags(
                self.db.path(),
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?),
        };
        store::order_by_client_id(conn, client_order_id)
    }

    /// Set once this journal is dropped and its file unlocked.
    pub(crate) fn released(&self) -> Arc<AtomicBool> {
        self.released.clone()
    }

    fn io(&self, source: std::io::Error) -> JournalError {
        JournalError::Io {
            path: self.path.clone(),
            source,
        }
    }
}

impl Drop for Journal {
    /// Applies what is left, so the database is whole without a replay,
    /// and empties the journal.
    fn drop(&mut self) {
        *lock(&self.wake.closed) = true;
        self.wake.signal.notify_one();
        let applied = self.wake.queued.load(Ordering::SeqCst) == 0
            || self
                .apply_on_own_connection()
                .inspect_err(|e| tracing::warn!(error = %e, "trading journal left for the next start to apply"))
                .is_ok();
        let appender = self.appender.get_mut().unwrap_or_else(|p| p.into_inner());
        if applied && let Err(e) = appender.file.set_len(0) {
            tracing::warn!(error = %e, "trading journal not emptied; the next start skips what it holds");
        }
        // Released here, not when the file closes after this returns: a
        // service opening now may take it over.
        let _ = appender.file.unlock();
        self.released.store(true, Ordering::SeqCst);
    }
}

impl Journal {
    /// `apply_all` on a connection of its own: a drop may happen while the
    /// database's shared connection is held (by whoever held the last
    /// clone), and waiting for it there would never end.
    fn apply_on_own_connection(&self) -> rusqlite::Result<()> {
        let mut conn = Connection::open(self.db.path())?;
        conn.busy_timeout(Duration::from_secs(5))?;
        self.apply_all(&mut conn)
    }
}

/// `jarvis.db` → `jarvis.db-trading-journal`, beside SQLite's own `-wal`.
pub(crate) fn journal_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push("-trading-journal");
    db.with_file_name(name)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Applies records as they are appended, until the journal is dropped.
fn spawn_applier(journal: Weak<Journal>, wake: Arc<Wake>) {
    let spawned = std::thread::Builder::new()
        .name("trading-journal".into())
        .spawn(move || {
            let mut last_work = std::time::Instant::now();
            loop {
                if wake.queued.load(Ordering::SeqCst) == 0 {
                    if last_work.elapsed() < AWAKE_AFTER_WORK {
                        std::thread::sleep(Duration::from_millis(1));
                    } else {
                        let closed = lock(&wake.closed);
                        wake.sleeping.store(true, Ordering::SeqCst);
                        if !*closed && wake.queued.load(Ordering::SeqCst) == 0 {
                            let _ = wake.signal.wait_timeout(closed, Duration::from_secs(1));
                        }
                        wake.sleeping.store(false, Ordering::SeqCst);
                    }
                    if *lock(&wake.closed) {
                        return;
                    }
                    continue;
                }
                let Some(journal) = journal.upgrade() else {
                    return;
                };
                if let Err(e) = journal.db.call_blocking(|conn| journal.apply_batch(conn)) {
                    tracing::warn!(error = %e, "trading journal not applied yet; trying again");
                    std::thread::sleep(Duration::from_millis(100));
                }
                last_work = std::time::Instant::now();
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no trading journal thread: records are applied by the next read or change");
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::params;

    use super::*;

    fn journal(dir: &Path) -> (Database, Arc<Journal>) {
        let db = Database::open(&dir.join("jarvis.db")).unwrap();
        let journal = Journal::open(&db, Duration::ZERO).unwrap().unwrap();
        (db, journal)
    }

    fn frame(journal: &Journal, seq: i64, text: &str) -> Vec<u8> {
        let recorder = Recorder::new(journal);
        recorder
            .execute(
                "INSERT INTO t (n, s, x) VALUES (?1, ?2, ?3)",
                params![seq, text, None::<String>],
            )
            .unwrap();
        recorder.finish(seq)
    }

    #[test]
    fn recorded_statements_apply_as_they_would_have_run() {
        let dir = tempfile::tempdir().unwrap();
        let (_db, journal) = journal(dir.path());
        let text = "quotes \" and \\ and\nlines, 10 µs";
        let bytes = frame(&journal, 7, text);
        let (records, end) = decode(&bytes, dir.path()).unwrap();
        assert_eq!((records.len(), end), (1, bytes.len()));
        assert_eq!(records[0].seq, 7);

        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER, s TEXT, x TEXT)")
            .unwrap();
        records[0].apply(&conn).unwrap();
        let row: (i64, String, Option<String>) = conn
            .query_row("SELECT n, s, x FROM t", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!(row, (7, text.to_string(), None));
    }

    #[test]
    fn only_integers_text_and_null_are_journaled() {
        let dir = tempfile::tempdir().unwrap();
        let (_db, journal) = journal(dir.path());
        let err = Recorder::new(&journal)
            .execute("INSERT INTO t (n) VALUES (?1)", params![1.5_f64])
            .unwrap_err();
        assert!(err.to_string().contains("integers, text and NULL"), "{err}");
    }

    #[test]
    fn reading_stops_at_the_first_record_that_does_not_follow() {
        let dir = tempfile::tempdir().unwrap();
        let (_db, journal) = journal(dir.path());
        let (a, b, c) = (
            frame(&journal, 1, "a"),
            frame(&journal, 2, "b"),
            frame(&journal, 3, "c"),
        );
        let seqs = |bytes: &[u8]| -> (Vec<i64>, usize) {
            let (records, end) = decode(bytes, dir.path()).unwrap();
            (records.iter().map(|r| r.seq).collect(), end)
        };
        let all = [a.clone(), b.clone(), c.clone()].concat();
        assert_eq!(seqs(&all), (vec![1, 2, 3], all.len()));

        // A changed byte in the second record's body.
        let mut flipped = all.clone();
        flipped[a.len() + HEADER + 3] ^= 1;
        assert_eq!(seqs(&flipped), (vec![1], a.len()));

        // The last record cut short.
        assert_eq!(seqs(&all[..all.len() - 1]), (vec![1, 2], a.len() + b.len()));

        // Written over from the start: a newer record, then what is left of
        // the older ones.
        let newer = frame(&journal, 9, "a longer record than the ones it overwrote");
        let mut restarted = all.clone();
        restarted[..newer.len()].copy_from_slice(&newer);
        assert_eq!(seqs(&restarted), (vec![9], newer.len()));
        let exact = [frame(&journal, 9, "z"), b, c].concat();
        assert_eq!(seqs(&exact).0, vec![9]);
    }
}
