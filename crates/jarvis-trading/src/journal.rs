//! The paper order journal: everything a paper order writes (its order,
//! fill, settlement and audit entries) as one record, appended to a file
//! next to the database with a single `write`, and applied to SQLite just
//! after by a thread of its own.
//!
//! Why: a SQLite commit writes every B-tree page the order touches, seven
//! to ten 4 KiB WAL frames of two syscalls each, 50–70 µs on a small VM;
//! writing one record of a few KB is a few µs. Once `write` returns, the
//! record is with the OS and survives a killed process, as a SQLite commit
//! does with `synchronous=NORMAL`. A power cut may lose the newest records
//! (the journal is never synced, like the database's WAL), and then the
//! next start must not apply records whose history is gone: see below.
//!
//! Each record carries its length and a CRC-32 over the rest of its frame,
//! the audit head it starts from (`prev`) and the one it ends at (`seq`),
//! and its last statement moves the head stored with the account. So the
//! head in SQLite says which records are in. A record is applied only when
//! it starts exactly there; one that does not (a power cut lost the
//! database's newest commits, or the database was restored beside an old
//! journal) stops the journal, which is set aside whole for inspection
//! rather than applied on the wrong history. Every other trading change,
//! and every read of the trading tables, applies what is queued first (in
//! the same transaction for a change), so nothing reads or writes around
//! the journal.
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
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, ToSql};
use serde::{Deserialize, Serialize};

use crate::audit::{self, AuditHead};
use crate::orders::Order;
use crate::store::{self, Ledger};

/// Once everything in it is applied, a journal past this size is written
/// from its start again, over pages the OS already holds.
const RESTART_BYTES: u64 = 1 << 20;

/// A journal that a burst grew past this is cut back when it restarts.
const SHRINK_BYTES: u64 = 16 << 20;

/// How long the applier keeps looking for records after the last one
/// before it sleeps until woken: while it looks, appends need not wake it.
const AWAKE_AFTER_WORK: Duration = Duration::from_millis(100);

/// Records applied in one transaction, at most: the queue's lock is held
/// while they are picked, and appends wait for it.
const BATCH: usize = 256;

/// A record's frame, little-endian: the body's length (u32), a CRC-32 of
/// everything else in the frame (u32), `MAGIC`, the audit head the change
/// ends at and the one it starts from (seq i64 each, then the SHA-256 of
/// each head's entry), then the body.
const HEADER: usize = 92;
const MAGIC: &[u8; 4] = b"JRN1";

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("the trading journal {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the trading journal's record ending at audit entry {seq} starts at entry {prev}, but the database's trail ends at entry {head}{}",
        if *other_history { " of another history" } else { "" }
    )]
    Gap {
        seq: i64,
        prev: i64,
        head: i64,
        /// The seqs line up but the hashes do not.
        other_history: bool,
    },
    #[error(
        "the trading journal's record ending at audit entry {seq} could not be applied: {source}"
    )]
    Apply { seq: i64, source: rusqlite::Error },
    #[error("the trading journal could not be applied: {0}")]
    Db(#[from] rusqlite::Error),
    #[error(
        "the trading journal's record after audit entry {after} checks out but cannot be read by this build"
    )]
    Unreadable { after: i64 },
    #[error("the trading journal is stopped ({0}); restart Jarvis")]
    Stopped(String),
}

impl JournalError {
    /// Whether the record can never be applied to this database: it does
    /// not follow its trail, it does not parse, or the database refuses it
    /// for anything but being busy, locked, full, read-only or unreachable
    /// (which another try may pass).
    pub(crate) fn is_lasting(&self) -> bool {
        match self {
            JournalError::Gap { .. } | JournalError::Unreadable { .. } => true,
            JournalError::Apply { source, .. } => !matches!(
                source.sqlite_error_code(),
                Some(
                    ErrorCode::DatabaseBusy
                        | ErrorCode::DatabaseLocked
                        | ErrorCode::DiskFull
                        | ErrorCode::SystemIoFailure
                        | ErrorCode::ReadOnly
                        | ErrorCode::OutOfMemory
                        | ErrorCode::CannotOpen
                        | ErrorCode::OperationInterrupted
                        | ErrorCode::DatabaseCorrupt
                        | ErrorCode::FileLockingProtocolFailed
                        | ErrorCode::PermissionDenied
                )
            ),
            JournalError::Io { .. } | JournalError::Db(_) | JournalError::Stopped(_) => false,
        }
    }
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

/// One change's writes, framed as on disk (see `HEADER`), then the body,
/// a JSON array of `[sql, [params…]]`.
pub(crate) struct Record {
    seq: i64,
    prev: i64,
    /// The hashes of audit entries `seq` and `prev`.
    hash: [u8; 32],
    prev_hash: [u8; 32],
    frame: Vec<u8>,
    /// The orders as the change left them, for idempotent lookups by client
    /// order id until the record is applied. Not journaled: records read
    /// back at start-up are applied before the service answers anyone.
    orders: Vec<Order>,
}

impl Record {
    fn statements(&self) -> serde_json::Result<Vec<Statement<'_>>> {
        serde_json::from_slice(&self.frame[HEADER..])
    }

    fn apply(&self, conn: &Connection) -> Result<(), JournalError> {
        let failed = |source| JournalError::Apply {
            seq: self.seq,
            source,
        };
        let statements = self
            .statements()
            .map_err(|e| failed(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        for (sql, params) in &statements {
            conn.prepare_cached(sql)
                .and_then(|mut s| s.execute(rusqlite::params_from_iter(params)))
                .map_err(failed)?;
        }
        Ok(())
    }
}

/// The audit heads in a frame's header: (seq, prev, hash, prev_hash).
fn heads(header: &[u8]) -> (i64, i64, [u8; 32], [u8; 32]) {
    let seq =
        |from: usize| i64::from_le_bytes(header[from..from + 8].try_into().unwrap_or_default());
    let hash = |from: usize| -> [u8; 32] { header[from..from + 32].try_into().unwrap_or_default() };
    (seq(12), seq(20), hash(28), hash(60))
}

/// An audit hash (64 hex digits) as bytes; anything else reads as zeros.
fn hash_bytes(hex: &str) -> [u8; 32] {
    let mut bytes = [0; 32];
    if hex::decode_to_slice(hex, &mut bytes).is_err() {
        bytes = [0; 32];
    }
    bytes
}

fn crc(frame: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&frame[..4]);
    hasher.update(&frame[8..]);
    hasher.finalize()
}

/// `decode_reporting` without the flag.
#[cfg(test)]
fn decode(bytes: &[u8]) -> (Vec<Record>, usize) {
    let (records, end, _) = decode_reporting(bytes);
    (records, end)
}

/// Reads the records at the start of `bytes`, and how many bytes they
/// take. It stops at the first frame that is empty, cut short, fails its
/// CRC, does not follow the record before it, or does not parse: past the
/// newest record lie a record cut short by a crash, or older records the
/// journal was restarted over (their heads are lower). The flag says it
/// stopped at a record that checks out but does not parse: records after
/// it may have been acknowledged, so the journal must be set aside, not
/// written over.
fn decode_reporting(bytes: &[u8]) -> (Vec<Record>, usize, bool) {
    let mut records: Vec<Record> = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + HEADER) {
        let len = u32::from_le_bytes(header[..4].try_into().unwrap_or_default()) as usize;
        let stored_crc = u32::from_le_bytes(header[4..8].try_into().unwrap_or_default());
        let Some(frame) = bytes.get(at..at + HEADER + len) else {
            break;
        };
        if len == 0 || &header[8..12] != MAGIC || crc(frame) != stored_crc {
            break;
        }
        let (seq, prev, hash, prev_hash) = heads(header);
        let follows = records.last().is_none_or(|r| prev >= r.seq);
        if seq <= prev || !follows {
            break;
        }
        let record = Record {
            seq,
            prev,
            hash,
            prev_hash,
            frame: frame.to_vec(),
            orders: Vec::new(),
        };
        if let Err(e) = record.statements() {
            tracing::error!(seq, error = %e, "a trading journal record checks out but does not parse; reading stops there");
            return (records, at, true);
        }
        records.push(record);
        at += frame.len();
    }
    (records, at, false)
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

    /// The finished frame for the change from audit head `prev` to `head`.
    fn finish(self, prev: &AuditHead, head: &AuditHead) -> Vec<u8> {
        let mut frame = self.frame.into_inner();
        frame.push(if frame.len() == HEADER { b'[' } else { b']' });
        if frame.len() == HEADER + 1 {
            frame.push(b']');
        }
        let len = (frame.len() - HEADER) as u32;
        frame[..4].copy_from_slice(&len.to_le_bytes());
        frame[8..12].copy_from_slice(MAGIC);
        frame[12..20].copy_from_slice(&head.0.to_le_bytes());
        frame[20..28].copy_from_slice(&prev.0.to_le_bytes());
        frame[28..60].copy_from_slice(&hash_bytes(&head.1));
        frame[60..HEADER].copy_from_slice(&hash_bytes(&prev.1));
        let crc = crc(&frame);
        frame[4..8].copy_from_slice(&crc.to_le_bytes());
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
    /// How far the file reaches.
    len: u64,
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
    /// Records written and not yet applied, oldest first, in the order of
    /// their seqs (appends come one at a time, under the trading state).
    queue: Mutex<VecDeque<Arc<Record>>>,
    wake: Arc<Wake>,
    /// Why records cannot be applied: nothing more is accepted.
    stopped: Mutex<Option<String>>,
    /// Start-up found a record it cannot read: `recover` sets the journal
    /// aside after applying those before it.
    unreadable: AtomicBool,
    /// For idempotent lookups of applied orders: the writer's connection
    /// is not to be waited for while the trading state is held.
    reader: Mutex<Option<Connection>>,
    /// Set once dropped and unlocked: another service may take over.
    released: Arc<AtomicBool>,
}

impl Journal {
    /// The journal beside `db`, with the records a previous run left
    /// queued; `None` when someone else holds it after `patience`. Call
    /// `start` once those records are applied.
    pub(crate) fn open(
        db: &Database,
        patience: Duration,
    ) -> Result<Option<Arc<Self>>, JournalError> {
        let path = journal_path(db.path());
        let io = |source| JournalError::Io {
            path: path.clone(),
            source,
        };
        let Some(mut file) = open_locked(&path, patience).map_err(io)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        let (records, end, unreadable) = decode_reporting(&bytes);
        let written = records.last().map_or(0, |r| r.seq);
        Ok(Some(Arc::new(Self {
            db: db.clone(),
            path,
            appender: Mutex::new(Appender {
                file,
                end: end as u64,
                len: bytes.len() as u64,
                written,
            }),
            wake: Arc::new(Wake {
                queued: AtomicUsize::new(records.len()),
                ..Wake::default()
            }),
            queue: Mutex::new(records.into_iter().map(Arc::new).collect()),
            stopped: Mutex::new(None),
            unreadable: AtomicBool::new(unreadable),
            reader: Mutex::new(None),
            released: Arc::default(),
        })))
    }

    /// Starts applying records as they are appended; `on_lasting` is
    /// called, with the database's connection held, when one can never be
    /// applied (see `set_aside`).
    pub(crate) fn start(self: &Arc<Self>, on_lasting: OnLasting) {
        spawn_applier(Arc::downgrade(self), self.wake.clone(), on_lasting);
    }

    /// Appends a change's writes, from audit head `prev` to `head`, as one
    /// record; once this returns the change is committed.
    pub(crate) fn append(
        &self,
        recorder: Recorder<'_>,
        prev: &AuditHead,
        head: &AuditHead,
        orders: Vec<Order>,
    ) -> Result<(), JournalError> {
        if let Some(reason) = &*lock(&self.stopped) {
            return Err(JournalError::Stopped(reason.clone()));
        }
        let frame = recorder.finish(prev, head);
        let (seq, prev, hash, prev_hash) = heads(&frame);
        {
            let mut appender = lock(&self.appender);
            // A failed write leaves `end` where it was: the next record goes
            // over whatever part of this one was written.
            appender
                .file
                .write_all_at(&frame, appender.end)
                .map_err(|e| self.io(e))?;
            appender.end += frame.len() as u64;
            appender.len = appender.len.max(appender.end);
            appender.written = seq;
        }
        let record = Record {
            seq,
            prev,
            hash,
            prev_hash,
            frame,
            orders,
        };
        {
            let mut queue = lock(&self.queue);
            queue.push_back(Arc::new(record));
            self.wake.queued.fetch_add(1, Ordering::SeqCst);
        }
        if self.wake.sleeping.load(Ordering::SeqCst) {
            let _closed = lock(&self.wake.closed);
            self.wake.signal.notify_one();
        }
        Ok(())
    }

    /// Runs the queued records not yet in the database, inside the
    /// caller's transaction; the newest seq run, for `forget` once the
    /// transaction commits.
    pub(crate) fn apply_queued(&self, conn: &Connection) -> Result<Option<i64>, JournalError> {
        self.apply_oldest(conn, usize::MAX)
    }

    /// `apply_queued` for at most `limit` records. A record already in the
    /// database is skipped; one that does not start where the database's
    /// trail ends is refused.
    fn apply_oldest(&self, conn: &Connection, limit: usize) -> Result<Option<i64>, JournalError> {
        let records: Vec<Arc<Record>> = lock(&self.queue).iter().take(limit).cloned().collect();
        let Some(newest) = records.last().map(|r| r.seq) else {
            return Ok(None);
        };
        if let Some(reason) = &*lock(&self.stopped) {
            return Err(JournalError::Stopped(reason.clone()));
        }
        let stored_head = |conn: &Connection| -> rusqlite::Result<(i64, [u8; 32])> {
            let (seq, hash) =
                audit::saved_head(conn)?.unwrap_or_else(|| (0, audit::GENESIS.to_string()));
            Ok((seq, hash_bytes(&hash)))
        };
        let gap = |record: &Record, head: i64, other_history| JournalError::Gap {
            seq: record.seq,
            prev: record.prev,
            head,
            other_history,
        };
        let (mut head, mut head_hash) = stored_head(conn)?;
        for record in &records {
            if record.seq <= head {
                // In already (applied before a crash, or by a drop) only if
                // the trail holds this very record's last entry.
                let hash: Option<String> = conn
                    .prepare_cached("SELECT hash FROM audit_log WHERE seq = ?1")?
                    .query_row([record.seq], |r| r.get(0))
                    .optional()?;
                if hash.map(|h| hash_bytes(&h)) != Some(record.hash) {
                    return Err(gap(record, head, true));
                }
                continue;
            }
            if record.prev != head {
                return Err(gap(record, head, false));
            }
            if record.prev_hash != head_hash {
                return Err(gap(record, head, true));
            }
            record.apply(conn)?;
            (head, head_hash) = (record.seq, record.hash);
        }
        // Each record's last statement moves the stored head.
        if stored_head(conn)? != (head, head_hash) {
            let last = records.last().expect("records is not empty");
            return Err(gap(last, head, true));
        }
        Ok(Some(newest))
    }

    /// Drops records up to `seq` from the queue once their transaction has
    /// committed; a journal wholly applied and grown large starts over.
    pub(crate) fn forget(&self, seq: i64) {
        let empty = {
            let mut queue = lock(&self.queue);
            while queue.front().is_some_and(|r| r.seq <= seq) {
                queue.pop_front();
                self.wake.queued.fetch_sub(1, Ordering::SeqCst);
            }
            queue.is_empty()
        };
        let mut appender = lock(&self.appender);
        if empty && appender.written <= seq && appender.end > RESTART_BYTES {
            appender.end = 0;
            if appender.len > SHRINK_BYTES && appender.file.set_len(0).is_ok() {
                appender.len = 0;
            }
        }
    }

    /// Applies and commits everything queued now, a batch per transaction.
    pub(crate) fn apply_all(&self, conn: &mut Connection) -> Result<(), JournalError> {
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
    /// them. When one of them can never be applied, those before it are
    /// still committed, one by one, before its error is returned.
    fn apply_batch(&self, conn: &mut Connection) -> Result<Option<i64>, JournalError> {
        match self.apply_and_commit(conn, BATCH) {
            Err(e) if e.is_lasting() => loop {
                if self.apply_and_commit(conn, 1)?.is_none() {
                    return Ok(None);
                }
            },
            other => other,
        }
    }

    fn apply_and_commit(
        &self,
        conn: &mut Connection,
        limit: usize,
    ) -> Result<Option<i64>, JournalError> {
        let tx = conn.transaction()?;
        let newest = self.apply_oldest(&tx, limit)?;
        tx.commit()?;
        if let Some(seq) = newest {
            self.forget(seq);
        }
        Ok(newest)
    }

    /// Start-up: applies what a previous run left. Records that cannot be
    /// applied to this database (a `Gap`, or statements it refuses) are set
    /// aside in a file of their own, and the journal starts empty; what a
    /// busy or full database refuses stays, for the next try.
    pub(crate) fn recover(&self, conn: &mut Connection) -> Result<(), JournalError> {
        match self.apply_all(conn) {
            Err(e) if e.is_lasting() => self.set_aside(&e),
            Ok(()) if self.unreadable.swap(false, Ordering::SeqCst) => {
                let after = lock(&self.appender).written;
                self.set_aside(&JournalError::Unreadable { after })
            }
            other => other,
        }
    }

    /// Stops the journal for good when its records can be neither applied
    /// nor set aside: orders are refused from then on, rather than
    /// acknowledged and left unapplied.
    pub(crate) fn stop(&self, error: &JournalError) {
        tracing::error!(error = %error, path = %self.path.display(), "trading journal stopped: no paper order is accepted until Jarvis restarts");
        *lock(&self.stopped) = Some(error.to_string());
    }

    /// Moves the journal, whole, to a file of its own beside it (for a
    /// person to inspect: the orders from the failing record on are not in
    /// the database; those before it are) and
    /// starts an empty one. Appends must be held off meanwhile: at start-up
    /// nothing appends yet; at run time the caller holds the trading state.
    pub(crate) fn set_aside(&self, error: &JournalError) -> Result<(), JournalError> {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
        let mut aside = self.path.clone().into_os_string();
        aside.push(format!(".unapplied-{stamp}"));
        let mut appender = lock(&self.appender);
        std::fs::rename(&self.path, &aside).map_err(|e| self.io(e))?;
        let file = open_locked(&self.path, Duration::ZERO)
            .map_err(|e| self.io(e))?
            .ok_or_else(|| self.io(std::io::Error::other("the new journal is locked")))?;
        *appender = Appender {
            file,
            end: 0,
            len: 0,
            written: 0,
        };
        let mut queue = lock(&self.queue);
        self.wake.queued.fetch_sub(queue.len(), Ordering::SeqCst);
        queue.clear();
        tracing::error!(
            error = %error,
            aside = %Path::new(&aside).display(),
            "a trading journal record does not fit this database: the journal was set aside, and the orders from that record on are missing from it"
        );
        Ok(())
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
            None => {
                let conn = Connection::open_with_flags(
                    self.db.path(),
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.busy_timeout(Duration::from_secs(1))?;
                reader.insert(conn)
            }
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

    /// `apply_all` on a connection of its own: a drop may happen while the
    /// database's shared connection is held (by whoever held the last
    /// clone), and waiting for it there would never end.
    fn apply_on_own_connection(&self) -> Result<(), JournalError> {
        let mut conn = Connection::open(self.db.path())?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        self.apply_all(&mut conn)
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

/// Opens `path` for reading and writing, creating it, and locks it; `None`
/// when someone else holds the lock after `patience`.
fn open_locked(path: &Path, patience: Duration) -> std::io::Result<Option<File>> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    let deadline = std::time::Instant::now() + patience;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
    }
}

/// `jarvis.db` → `jarvis.db-trading-journal`, beside SQLite's own `-wal`.
fn journal_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push("-trading-journal");
    db.with_file_name(name)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// What to do, the database's connection held, with a record that can
/// never be applied.
pub(crate) type OnLasting = Box<dyn Fn(&Journal, &mut Connection, &JournalError) + Send + Sync>;

/// Applies records as they are appended, until the journal is dropped or
/// stopped. A busy database is tried again, less and less often.
fn spawn_applier(journal: Weak<Journal>, wake: Arc<Wake>, on_lasting: OnLasting) {
    let spawned = std::thread::Builder::new()
        .name("trading-journal".into())
        .spawn(move || {
            let mut last_work = std::time::Instant::now();
            let mut backoff = Duration::from_millis(50);
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
                let applied = journal.db.call_blocking(|conn| {
                    let applied = journal.apply_batch(conn);
                    if let Err(e) = &applied
                        && e.is_lasting()
                    {
                        on_lasting(&journal, conn, e);
                    }
                    applied
                });
                match applied {
                    // A lasting failure was handed to `on_lasting`.
                    Ok(_) => backoff = Duration::from_millis(50),
                    Err(e) if e.is_lasting() => {
                        backoff = Duration::from_millis(50);
                        std::thread::sleep(backoff);
                    }
                    Err(JournalError::Stopped(_)) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, retry_in = ?backoff, "trading journal not applied yet");
                        std::thread::sleep(backoff);
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                    }
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

    /// A record from head `prev` to `seq` that inserts `text` into `t`.
    fn frame(journal: &Journal, prev: i64, seq: i64, text: &str) -> Vec<u8> {
        let recorder = Recorder::new(journal);
        recorder
            .execute(
                "INSERT INTO t (n, s, x) VALUES (?1, ?2, ?3)",
                params![seq, text, None::<String>],
            )
            .unwrap();
        recorder.finish(&head(prev), &head(seq))
    }

    /// Audit head `seq`, with a made-up hash of its own.
    fn head(seq: i64) -> AuditHead {
        (seq, format!("{:064x}", seq * 7919))
    }

    fn seqs(bytes: &[u8]) -> (Vec<i64>, usize) {
        let (records, end) = decode(bytes);
        (records.iter().map(|r| r.seq).collect(), end)
    }

    #[test]
    fn recorded_statements_apply_as_they_would_have_run() {
        let dir = tempfile::tempdir().unwrap();
        let (_db, journal) = journal(dir.path());
        let text = "quotes \" and \\ and\nlines, 10 µs";
        let bytes = frame(&journal, 3, 7, text);
        let (records, end) = decode(&bytes);
        assert_eq!((records.len(), end), (1, bytes.len()));
        assert_eq!((records[0].prev, records[0].seq), (3, 7));

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
            frame(&journal, 0, 4, "a"),
            frame(&journal, 4, 8, "b"),
            // Entries 9 and 10 were a change made straight in SQLite.
            frame(&journal, 10, 14, "c"),
        );
        let all = [a.clone(), b.clone(), c.clone()].concat();
        assert_eq!(seqs(&all), (vec![4, 8, 14], all.len()));

        // A changed byte in the second record's body, or in its header.
        let mut flipped = all.clone();
        flipped[a.len() + HEADER + 3] ^= 1;
        assert_eq!(seqs(&flipped), (vec![4], a.len()));
        let mut flipped = all.clone();
        flipped[a.len() + 9] ^= 1;
        assert_eq!(seqs(&flipped), (vec![4], a.len()));

        // The last record cut short.
        assert_eq!(seqs(&all[..all.len() - 1]), (vec![4, 8], a.len() + b.len()));

        // Zeros where a record would start (a file extended, never written).
        let zeros = [a.clone(), vec![0; 64]].concat();
        assert_eq!(seqs(&zeros), (vec![4], a.len()));
        assert_eq!(seqs(&[0; 64]), (vec![], 0));

        // Written over from the start: a newer record, then what is left of
        // the older ones.
        let newer = frame(
            &journal,
            20,
            24,
            "a longer record than the ones it overwrote",
        );
        let mut restarted = all.clone();
        restarted[..newer.len()].copy_from_slice(&newer);
        assert_eq!(seqs(&restarted), (vec![24], newer.len()));
        let exact = [frame(&journal, 20, 24, "z"), b, c].concat();
        assert_eq!(seqs(&exact).0, vec![24]);
    }

    #[test]
    fn a_record_that_checks_out_but_does_not_parse_sets_the_journal_aside() {
        let dir = tempfile::tempdir().unwrap();
        let (db, journal) = journal(dir.path());
        let (a, c) = (frame(&journal, 0, 4, "a"), frame(&journal, 8, 12, "c"));
        // A frame from a build that wrote something else: a good CRC, a
        // body this build cannot read.
        let mut b = frame(&journal, 4, 8, "b")[..HEADER].to_vec();
        b.extend_from_slice(b"{\"a newer\": \"format\"}");
        let len = (b.len() - HEADER) as u32;
        b[..4].copy_from_slice(&len.to_le_bytes());
        let crc = crc(&b);
        b[4..8].copy_from_slice(&crc.to_le_bytes());
        let (records, end, unreadable) = decode_reporting(&[a.clone(), b, c].concat());
        assert_eq!((records.len(), end, unreadable), (1, a.len(), true));

        // Start-up sets it aside rather than writing over what follows.
        journal.unreadable.store(true, Ordering::SeqCst);
        db.call_blocking(|conn| journal.recover(conn)).unwrap();
        let aside = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().contains(".unapplied-"));
        assert!(aside);
    }

    #[test]
    fn a_record_that_does_not_start_where_the_database_ends_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (db, journal) = journal(dir.path());
        db.call_blocking(|conn| {
            conn.execute_batch(
                "CREATE TABLE t (n INTEGER, s TEXT, x TEXT);
                 INSERT INTO trading_account (id, starting_cash, cash, fees, limits, day, day_start_equity, audit_seq)
                 VALUES (1, '0', '0', '0', '{}', '2026-01-01', '0', 10);",
            )
        })
        .unwrap();
        // Entries 11 and 12 were lost with the database's newest commits.
        // Queues the record from `prev` to `seq` alone; applying it fails.
        let refused = |prev, seq| {
            let record = Arc::new(decode(&frame(&journal, prev, seq, "x")).0.remove(0));
            let mut queue = lock(&journal.queue);
            journal.wake.queued.fetch_sub(queue.len(), Ordering::SeqCst);
            queue.clear();
            queue.push_back(record);
            journal.wake.queued.fetch_add(1, Ordering::SeqCst);
            drop(queue);
            db.call_blocking(|conn| journal.apply_all(conn))
                .unwrap_err()
        };
        let err = refused(12, 16);
        assert!(
            matches!(
                err,
                JournalError::Gap {
                    seq: 16,
                    prev: 12,
                    head: 10,
                    other_history: false
                }
            ),
            "{err}"
        );
        assert!(err.is_lasting());
        // The seqs line up, but the record follows another history.
        let err = refused(10, 14);
        assert!(
            matches!(
                err,
                JournalError::Gap {
                    other_history: true,
                    ..
                }
            ),
            "{err}"
        );

        // At start-up such records are set aside, whole, not applied.
        db.call_blocking(|conn| journal.recover(conn)).unwrap();
        assert_eq!(journal.wake.queued.load(Ordering::SeqCst), 0);
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".unapplied-"))
            .collect();
        assert_eq!(aside.len(), 1);
        let count: i64 = db
            .call_blocking(|conn| conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(count, 0);
    }
}
