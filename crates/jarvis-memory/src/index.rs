//! The full-text index of messages: tantivy, in `<database>-search/` beside
//! the SQLite file.
//!
//! Why tantivy rather than SQLite FTS5: FTS5 ranks every message that
//! matches before it can return the best 20, so a query holding a very common
//! word took hundreds of milliseconds at a million messages; tantivy keeps
//! per-block score bounds (block-max WAND) and skips the blocks that cannot
//! reach the top hits.
//!
//! SQLite stays the source of truth. Triggers log every insert and delete of
//! a message into `search_changes` in the writing transaction; one thread
//! here applies the log in order, commits the index with the last applied
//! number as its payload, then trims the log. After a kill the log is
//! replayed from that number; an index that is missing, unreadable or does
//! not hold as many documents as there are messages is rebuilt from SQLite.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::directory::MmapDirectory;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, INDEXED, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term,
};

/// Splits on anything not a letter or digit, lower-cases and folds accents,
/// as FTS5's `unicode61 remove_diacritics` did.
const TOKENIZER: &str = "jarvis";
/// Log entries applied per index commit.
const BATCH: usize = 100_000;
/// How often the indexer looks for changes made by another process (the
/// `jarvisd import` command writes the same database).
const POLL: Duration = Duration::from_secs(1);
/// The indexing arena: a large import fills fewer, bigger segments, so
/// less merging competes with it for the CPU. Only what is used is taken.
const WRITER_MEMORY: usize = 96_000_000;
/// Longest prefix completions tried for the last word of a search.
const COMPLETIONS: usize = 4;

pub(crate) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The normalised terms of `text`, in order.
pub(crate) fn terms(text: &str) -> Vec<String> {
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    out
}

#[derive(Clone, Copy)]
struct Fields {
    rowid: Field,
    content: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let rowid = builder.add_u64_field("rowid", NumericOptions::from(INDEXED).set_fast());
    // Term frequencies for BM25, no positions: nothing searches phrases, and
    // the index stays about half the size.
    let content = builder.add_text_field(
        "content",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        ),
    );
    (builder.build(), Fields { rowid, content })
}

/// What the last index commit covers.
#[derive(Debug, Default, Clone, Copy, Serialize, Deserialize)]
struct Applied {
    /// The last `search_changes.seq` applied.
    seq: i64,
    /// The highest message rowid ever indexed: a change to a higher rowid
    /// cannot have a document to drop first.
    max_rowid: i64,
}

#[derive(Default)]
struct Progress {
    /// Bumped after each write to the database.
    requested: u64,
    /// The last `requested` value whose writes are searchable.
    indexed: u64,
    stop: bool,
    /// Another process writes the index; this one follows its commits.
    following: bool,
    /// Why the indexer stopped, if it did.
    failed: Option<String>,
}

/// Whether search sees new messages, as `/health` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexState {
    /// This process indexes every message it or another process stores.
    Indexing,
    /// Another process (jarvisd beside the desktop app) holds the index and
    /// indexes; searches here follow its commits.
    Following,
    /// The index stopped following the database, and why.
    Failed(String),
}

struct Shared {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    progress: Mutex<Progress>,
    changed: Condvar,
}

/// A message the index found, by its SQLite rowid (best first in a list).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found {
    pub rowid: i64,
}

pub(crate) struct SearchIndex {
    shared: Arc<Shared>,
    /// To the indexer thread; `None` when there is none.
    outbox: Option<SyncSender<Message>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

fn index_dir(db_path: &Path) -> PathBuf {
    let mut name = db_path.file_name().unwrap_or_default().to_os_string();
    name.push("-search");
    db_path.with_file_name(name)
}

/// Opens the index in `dir`, or makes a new one there when it is missing or
/// unreadable (it can always be rebuilt from SQLite).
fn open_dir(dir: &Path, schema: &Schema) -> tantivy::Result<Index> {
    std::fs::create_dir_all(dir)?;
    let opened = MmapDirectory::open(dir)
        .map_err(|e| tantivy::TantivyError::SystemError(e.to_string()))
        .and_then(|d| Index::open_or_create(d, schema.clone()));
    match opened {
        Ok(index) => Ok(index),
        Err(e) => {
            tracing::warn!(error = %e, dir = %dir.display(), "search index unreadable; rebuilding it");
            std::fs::remove_dir_all(dir)?;
            std::fs::create_dir_all(dir)?;
            Index::create_in_dir(dir, schema.clone())
        }
    }
}

impl SearchIndex {
    /// Opens the index beside `db_path` and starts its indexer. If the
    /// folder cannot be used, an index in memory is rebuilt from SQLite.
    pub fn open(db_path: &Path) -> Self {
        let (schema, fields) = schema();
        let index = open_dir(&index_dir(db_path), &schema).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "search index kept in memory for this run");
            Index::create_in_ram(schema.clone())
        });
        index.tokenizers().register(TOKENIZER, analyzer());
        // One process writes the index. Another one opening the same data
        // (jarvisd beside the desktop app) searches it and follows its
        // commits; the writer's own reader reloads after each commit.
        let writer: Option<IndexWriter<TantivyDocument>> = index
            .writer_with_num_threads(2, WRITER_MEMORY)
            .map_err(
                |e| tracing::info!(error = %e, "search index kept up to date by another process"),
            )
            .ok();
        let reader = index
            .reader_builder()
            .reload_policy(if writer.is_some() {
                ReloadPolicy::Manual
            } else {
                ReloadPolicy::OnCommitWithDelay
            })
            .try_into()
            .expect("a reader opens on an index just opened");
        let shared = Arc::new(Shared {
            index,
            reader,
            fields,
            progress: Mutex::new(Progress {
                requested: 1, // the first pass catches up with the database
                ..Progress::default()
            }),
            changed: Condvar::new(),
        });
        let (outbox, inbox) = sync_channel(16);
        let thread = match writer {
            Some(writer) => start_indexer(shared.clone(), db_path.to_owned(), inbox, writer),
            None => {
                shared.progress().following = true;
                None
            }
        };
        Self {
            shared,
            outbox: thread.is_some().then_some(outbox),
            thread: Mutex::new(thread),
        }
    }

    /// Tells the indexer the database changed (after the commit).
    pub fn changed(&self) {
        self.progress().requested += 1;
        if let Some(outbox) = &self.outbox {
            // A full inbox means the indexer has work queued already.
            let _ = outbox.try_send(Message::Changed);
        }
    }

    /// A feed for an import about to store messages; `None` without an
    /// indexer (the messages are indexed from SQLite when there is one).
    pub fn feed(&self) -> Option<Feed> {
        self.outbox.as_ref().map(|outbox| Feed {
            outbox: outbox.clone(),
            batch: Vec::with_capacity(FEED_BATCH),
            finished: false,
        })
    }

    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.shared.progress()
    }

    /// Waits (up to `timeout`) until every write announced so far is
    /// searchable. Returns false on timeout or when the indexer stopped.
    pub fn wait_fresh(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut progress = self.progress();
        let target = progress.requested;
        while progress.indexed < target
            && progress.failed.is_none()
            && !progress.following
            && !progress.stop
        {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            progress = self
                .shared
                .changed
                .wait_timeout(progress, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        progress.indexed >= target
    }

    pub fn state(&self) -> IndexState {
        let progress = self.progress();
        match &progress.failed {
            Some(why) => IndexState::Failed(why.clone()),
            None if progress.following => IndexState::Following,
            None => IndexState::Indexing,
        }
    }

    fn searcher(&self) -> Searcher {
        self.shared.reader.searcher()
    }

    /// Messages holding every word of `words` and, when `prefix` is given,
    /// a word starting with it (the few most frequent such words are tried),
    /// best (BM25) first. Also returns every term matched, to mark them.
    pub fn search_all(
        &self,
        words: &[String],
        prefix: Option<&str>,
        limit: usize,
    ) -> tantivy::Result<(Vec<Found>, Vec<String>)> {
        let searcher = self.searcher();
        let mut matched: Vec<String> = words.to_vec();
        let finals: Vec<Option<String>> = match prefix {
            None => vec![None],
            Some(prefix) => {
                let completions = completions(&searcher, self.shared.fields.content, prefix)?;
                if completions.is_empty() {
                    return Ok((Vec::new(), matched));
                }
                completions.into_iter().map(Some).collect()
            }
        };
        let mut best: HashMap<DocAddress, f32> = HashMap::new();
        for last in finals {
            let mut all: Vec<&str> = words.iter().map(String::as_str).collect();
            if let Some(last) = &last {
                if !all.contains(&last.as_str()) {
                    all.push(last);
                }
                matched.push(last.clone());
            }
            let query = self.terms_query(&all, Occur::Must);
            for (score, address) in
                searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?
            {
                let entry = best.entry(address).or_insert(score);
                *entry = entry.max(score);
            }
        }
        let found: Vec<(DocAddress, f32)> = best.into_iter().collect();
        let mut found = self.rowids(&searcher, found)?;
        found.truncate(limit);
        Ok((found, matched))
    }

    /// Messages holding any of `words`, best (BM25) first.
    pub fn search_any(&self, words: &[String], limit: usize) -> tantivy::Result<Vec<Found>> {
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let searcher = self.searcher();
        let all: Vec<&str> = words.iter().map(String::as_str).collect();
        let query = self.terms_query(&all, Occur::Should);
        let found = searcher
            .search(&query, &TopDocs::with_limit(limit).order_by_score())?
            .into_iter()
            .map(|(score, address)| (address, score))
            .collect();
        self.rowids(&searcher, found)
    }

    /// Term queries joined by `occur`; a lone term is queried directly.
    /// Plain term clauses are what lets tantivy prune with block-max WAND.
    fn terms_query(&self, words: &[&str], occur: Occur) -> Box<dyn Query> {
        let mut queries: Vec<Box<dyn Query>> = words
            .iter()
            .map(|w| {
                Box::new(TermQuery::new(
                    Term::from_field_text(self.shared.fields.content, w),
                    IndexRecordOption::WithFreqs,
                )) as Box<dyn Query>
            })
            .collect();
        if queries.len() == 1 {
            return queries.pop().expect("one query");
        }
        Box::new(BooleanQuery::new(
            queries.into_iter().map(|q| (occur, q)).collect(),
        ))
    }

    /// The messages behind `found`, best first; equal scores (the same
    /// words) oldest first, whatever segments the documents sit in.
    fn rowids(
        &self,
        searcher: &Searcher,
        found: Vec<(DocAddress, f32)>,
    ) -> tantivy::Result<Vec<Found>> {
        let mut columns = HashMap::new();
        let mut scored = Vec::with_capacity(found.len());
        for (address, score) in found {
            let column = match columns.entry(address.segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(
                    searcher
                        .segment_reader(address.segment_ord)
                        .fast_fields()
                        .u64("rowid")?,
                ),
            };
            if let Some(rowid) = column.first(address.doc_id) {
                scored.push((score, rowid as i64));
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        Ok(scored
            .into_iter()
            .map(|(_, rowid)| Found { rowid })
            .collect())
    }
}

impl Drop for SearchIndex {
    fn drop(&mut self) {
        self.progress().stop = true;
        self.shared.changed.notify_all();
        if let Some(outbox) = &self.outbox {
            let _ = outbox.send(Message::Stop);
        }
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread {
            // The writer's lock must be free before this database is opened
            // again in the same process.
            let _ = thread.join();
        }
    }
}

/// The terms starting with `prefix`: itself if indexed, then the most
/// frequent longer ones, up to `COMPLETIONS`.
fn completions(searcher: &Searcher, field: Field, prefix: &str) -> tantivy::Result<Vec<String>> {
    let mut freq: HashMap<Vec<u8>, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let mut stream = inverted
            .terms()
            .range()
            .ge(prefix.as_bytes())
            .into_stream()?;
        while stream.advance() {
            if !stream.key().starts_with(prefix.as_bytes()) {
                break;
            }
            *freq.entry(stream.key().to_vec()).or_default() += u64::from(stream.value().doc_freq);
        }
    }
    let mut ranked: Vec<(Vec<u8>, u64)> = freq.into_iter().collect();
    ranked.sort_by(|a, b| {
        let exact = |k: &[u8]| k == prefix.as_bytes();
        exact(&b.0)
            .cmp(&exact(&a.0))
            .then(b.1.cmp(&a.1))
            .then(a.0.cmp(&b.0))
    });
    Ok(ranked
        .into_iter()
        .take(COMPLETIONS)
        .filter_map(|(k, _)| String::from_utf8(k).ok())
        .collect())
}

impl Shared {
    /// A poisoned lock only means a panic elsewhere; the counters stay valid.
    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The indexer cannot run: searches stop waiting for it.
    fn fail(&self, why: String) {
        tracing::warn!(reason = %why, "search index not updated");
        self.progress().failed = Some(why);
        self.changed.notify_all();
    }
}

fn start_indexer(
    shared: Arc<Shared>,
    db_path: PathBuf,
    inbox: Receiver<Message>,
    writer: IndexWriter<TantivyDocument>,
) -> Option<std::thread::JoinHandle<()>> {
    let conn = match Connection::open(&db_path).and_then(|c| {
        c.busy_timeout(Duration::from_secs(5))?;
        Ok(c)
    }) {
        Ok(conn) => conn,
        Err(e) => {
            shared.fail(format!("cannot read the database: {e}"));
            return None;
        }
    };
    let spawned = std::thread::Builder::new()
        .name("search-index".into())
        .spawn({
            let shared = shared.clone();
            move || {
                let mut indexer = Indexer {
                    shared: &shared,
                    writer,
                    conn,
                    inbox,
                    feeding: None,
                };
                if let Err(e) = indexer.run() {
                    shared.fail(e.to_string());
                }
            }
        });
    match spawned {
        Ok(thread) => Some(thread),
        Err(e) => {
            shared.fail(format!("cannot start the indexer: {e}"));
            None
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum IndexerError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index, reading the database: {0}")]
    Db(#[from] rusqlite::Error),
}

struct Indexer<'a> {
    shared: &'a Shared,
    writer: IndexWriter<TantivyDocument>,
    conn: Connection,
    inbox: Receiver<Message>,
    /// The rowids an unfinished import has fed so far.
    feeding: Option<(i64, i64)>,
}

enum Message {
    /// The database changed.
    Changed,
    /// Messages an import is storing in its open transaction.
    Feed(Vec<(i64, String)>),
    /// That import committed, or rolled back.
    FeedEnd {
        committed: bool,
    },
    Stop,
}

/// Messages sent to the indexer per feed batch.
const FEED_BATCH: usize = 4096;

/// Hands an import's messages to the indexer as they are stored, so both
/// run at once; the index commits them only when the import commits.
pub(crate) struct Feed {
    outbox: SyncSender<Message>,
    batch: Vec<(i64, String)>,
    finished: bool,
}

impl Feed {
    pub fn push(&mut self, rowid: i64, content: String) {
        self.batch.push((rowid, content));
        if self.batch.len() == FEED_BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.batch.is_empty() {
            let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(FEED_BATCH));
            // A stopped indexer catches up from SQLite when next opened.
            let _ = self.outbox.send(Message::Feed(batch));
        }
    }

    /// The import's transaction committed.
    pub fn committed(mut self) {
        self.flush();
        self.finished = true;
        let _ = self.outbox.send(Message::FeedEnd { committed: true });
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.outbox.send(Message::FeedEnd { committed: false });
        }
    }
}

impl Indexer<'_> {
    fn run(&mut self) -> Result<(), IndexerError> {
        let mut applied = self.applied_or_rebuild()?;
        let mut first = true;
        loop {
            let generation = self.progress().requested;
            applied = self.apply(applied)?;
            if first {
                first = false;
                applied = self.check_count(applied)?;
            }
            self.progress().indexed = generation;
            self.shared.changed.notify_all();
            // Wait for news: a write here, another process's (polled), or
            // an import feeding its messages while it stores them.
            loop {
                match self.inbox.recv_timeout(POLL) {
                    Ok(Message::Changed) | Err(RecvTimeoutError::Timeout) => {
                        // Nothing is committed half-way through a feed.
                        if self.feeding.is_none() {
                            break;
                        }
                    }
                    Ok(Message::Stop) | Err(RecvTimeoutError::Disconnected) => return Ok(()),
                    Ok(Message::Feed(batch)) => self.feed(batch)?,
                    Ok(Message::FeedEnd { committed }) => {
                        applied = self.end_feed(applied, committed)?;
                        break;
                    }
                }
            }
        }
    }

    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.shared.progress()
    }

    /// Indexes messages an import is storing (not committed yet: neither is
    /// the index until the import is).
    fn feed(&mut self, batch: Vec<(i64, String)>) -> Result<(), IndexerError> {
        for (rowid, content) in batch {
            add(&self.writer, self.shared.fields, rowid, &content)?;
            self.feeding = Some(match self.feeding {
                Some((lo, hi)) => (lo.min(rowid), hi.max(rowid)),
                None => (rowid, rowid),
            });
        }
        Ok(())
    }

    /// The import ended: commit what it fed, or drop it if it rolled back.
    fn end_feed(&mut self, mut applied: Applied, committed: bool) -> Result<Applied, IndexerError> {
        let Some((lo, hi)) = self.feeding.take() else {
            return Ok(applied);
        };
        if !committed {
            self.writer.rollback()?;
            return Ok(applied);
        }
        // The import's rows are one run of rowids (it held the write lock);
        // rows committed below them before it began are indexed first.
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "SELECT rowid, content FROM messages WHERE rowid > ?1 AND rowid < ?2",
            )?;
            add_rows(
                &self.writer,
                self.shared.fields,
                stmt.query((applied.max_rowid, lo))?,
                |_| true,
            )?;
        }
        tx.commit()?;
        applied.max_rowid = applied.max_rowid.max(hi);
        self.commit(applied)?;
        Ok(applied)
    }

    /// What the index covers, from its last commit; a new index is built
    /// from every message first.
    fn applied_or_rebuild(&mut self) -> Result<Applied, IndexerError> {
        let payload = self.shared.index.load_metas()?.payload;
        match payload.and_then(|p| serde_json::from_str::<Applied>(&p).ok()) {
            Some(applied) => Ok(applied),
            None => self.rebuild(),
        }
    }

    /// Indexes every message again, from one consistent read of SQLite.
    fn rebuild(&mut self) -> Result<Applied, IndexerError> {
        let started = Instant::now();
        self.writer.delete_all_documents()?;
        let tx = self.conn.transaction()?;
        let seq: i64 = tx
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'search_changes'",
                [],
                |row| row.get(0),
            )
            .optional()?
            .unwrap_or(0);
        let (count, max_rowid) = {
            let mut stmt = tx.prepare("SELECT rowid, content FROM messages ORDER BY rowid")?;
            // An unfinished rebuild is not committed (below).
            add_rows(&self.writer, self.shared.fields, stmt.query([])?, |n| {
                !(n.is_multiple_of(50_000) && self.shared.progress().stop)
            })?
        };
        let applied = Applied { seq, max_rowid };
        tx.commit()?;
        if self.shared.progress().stop {
            self.writer.rollback()?;
            return Ok(Applied::default());
        }
        self.commit(applied)?;
        self.trim(applied.seq)?;
        tracing::info!(
            messages = count,
            took_ms = started.elapsed().as_millis() as u64,
            "search index built"
        );
        Ok(applied)
    }

    /// Removes the log entries the committed index covers, a chunk per
    /// statement so the app's writes are never held up for long.
    fn trim(&self, seq: i64) -> Result<(), IndexerError> {
        while self.conn.execute(
            "DELETE FROM search_changes WHERE seq IN
             (SELECT seq FROM search_changes WHERE seq <= ?1 LIMIT 10000)",
            [seq],
        )? > 0
        {}
        Ok(())
    }

    fn commit(&mut self, applied: Applied) -> Result<(), IndexerError> {
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&serde_json::to_string(&applied).expect("plain numbers serialise"));
        prepared.commit()?;
        self.shared.reader.reload()?;
        Ok(())
    }

    /// Indexes the messages added since `applied` (a batch per commit) and
    /// redoes the rows logged as deleted or edited, from one consistent
    /// read of SQLite each time; then trims the log behind the commit.
    fn apply(&mut self, mut applied: Applied) -> Result<Applied, IndexerError> {
        loop {
            let before = applied;
            let tx = self.conn.transaction()?;
            let (added, highest) = {
                let mut stmt = tx.prepare_cached(
                    "SELECT rowid, content FROM messages WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
                )?;
                let rows = stmt.query((applied.max_rowid, BATCH as i64))?;
                add_rows(&self.writer, self.shared.fields, rows, |_| true)?
            };
            applied.max_rowid = applied.max_rowid.max(highest);
            {
                let mut stmt = tx.prepare_cached(
                    "SELECT c.seq, c.message_rowid, m.content
                     FROM search_changes c LEFT JOIN messages m ON m.rowid = c.message_rowid
                     WHERE c.seq > ?1 ORDER BY c.seq",
                )?;
                let mut rows = stmt.query([applied.seq])?;
                while let Some(row) = rows.next()? {
                    applied.seq = row.get(0)?;
                    let rowid: i64 = row.get(1)?;
                    // A row above `max_rowid` has no document yet; a later
                    // scan indexes what it holds then.
                    if rowid > applied.max_rowid {
                        continue;
                    }
                    // Drop the row's document and index what the row holds
                    // now, if it still exists (SQLite may have given a
                    // deleted row's number to a new message).
                    self.writer
                        .delete_term(Term::from_field_u64(self.shared.fields.rowid, rowid as u64));
                    if let Some(content) = row.get::<_, Option<String>>(2)? {
                        add(&self.writer, self.shared.fields, rowid, &content)?;
                    }
                }
            }
            // SQLite numbers a new row one above the highest existing one,
            // so after deleting the last messages it reuses their numbers:
            // come down to the highest row there is, and the next scan finds
            // those messages as new ones.
            let top: i64 =
                tx.query_row("SELECT coalesce(max(rowid), 0) FROM messages", [], |row| {
                    row.get(0)
                })?;
            applied.max_rowid = applied.max_rowid.min(top);
            tx.commit()?;
            if applied.seq == before.seq && applied.max_rowid == before.max_rowid {
                return Ok(applied);
            }
            self.commit(applied)?;
            self.trim(applied.seq)?;
            if added < BATCH as u64 {
                return Ok(applied);
            }
        }
    }

    /// After the first catch-up: an index that does not hold one document
    /// per message (its files were lost or copied from elsewhere) is rebuilt.
    fn check_count(&mut self, applied: Applied) -> Result<Applied, IndexerError> {
        let tx = self.conn.transaction()?;
        let pending: i64 = tx.query_row(
            "SELECT count(*) FROM search_changes WHERE seq > ?1",
            [applied.seq],
            |row| row.get(0),
        )?;
        let messages: i64 = tx.query_row(
            "SELECT count(*) FROM messages WHERE rowid <= ?1",
            [applied.max_rowid],
            |row| row.get(0),
        )?;
        tx.commit()?;
        let docs = self.shared.reader.searcher().num_docs();
        if pending == 0 && docs != messages as u64 {
            tracing::warn!(
                docs,
                messages,
                "search index out of step with the database; rebuilding"
            );
            return self.rebuild();
        }
        Ok(applied)
    }
}

/// Indexes each (rowid, content) row, in order, while `keep_going(rows so
/// far)` says so; returns how many and the highest rowid (0 for none).
fn add_rows(
    writer: &IndexWriter<TantivyDocument>,
    fields: Fields,
    mut rows: rusqlite::Rows<'_>,
    mut keep_going: impl FnMut(u64) -> bool,
) -> Result<(u64, i64), IndexerError> {
    let (mut count, mut highest) = (0u64, 0i64);
    while let Some(row) = rows.next()? {
        let rowid: i64 = row.get(0)?;
        add(
            writer,
            fields,
            rowid,
            row.get_ref(1)?.as_str().unwrap_or_default(),
        )?;
        highest = highest.max(rowid);
        count += 1;
        if !keep_going(count) {
            break;
        }
    }
    Ok((count, highest))
}

fn add(
    writer: &IndexWriter<TantivyDocument>,
    fields: Fields,
    rowid: i64,
    content: &str,
) -> Result<(), IndexerError> {
    let mut doc = TantivyDocument::new();
    doc.add_u64(fields.rowid, rowid as u64);
    doc.add_text(fields.content, content);
    writer.add_document(doc)?;
    Ok(())
}
