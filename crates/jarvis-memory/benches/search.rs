//! Memory at scale: bulk ingest rate (stored in SQLite, then searchable in
//! the tantivy index), then search and recall latency (p50, p95, p99) over
//! synthetic messages with a Zipf vocabulary, so queries hit very common
//! words as real ones do.
//!
//!   cargo bench -p jarvis-memory --bench search            (1,000,000 messages)
//!   JARVIS_BENCH_MESSAGES=100000 cargo bench -p jarvis-memory --bench search
//!
//! The peer, SQLite FTS5 with `ORDER BY rank` (what Jarvis used before the
//! tantivy index), is measured after it on the same messages and queries.

use std::time::{Duration, Instant};

use chrono::Utc;
use jarvis_core::{EventBus, Role};
use jarvis_memory::MemoryService;
use jarvis_memory::transfer::{
    EXPORT_FORMAT, EXPORT_VERSION, Export, ExportedConversation, ExportedMessage,
};
use jarvis_store::Database;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const VOCABULARY: usize = 50_000;
const WORDS_PER_MESSAGE: usize = 30;
const MESSAGES_PER_CONVERSATION: usize = 50;

/// Draws word ranks with probability ∝ 1/rank.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=n)
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect();
        Self { cumulative }
    }

    fn sample(&self, rng: &mut StdRng) -> usize {
        let x = rng.random::<f64>() * self.cumulative.last().unwrap();
        self.cumulative.partition_point(|c| *c < x)
    }
}

fn word(rank: usize) -> String {
    // Pronounceable, distinct words: w + base-26 letters of the rank.
    let mut n = rank;
    let mut s = String::from("w");
    loop {
        s.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    s
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{name:<34} p50 {:>8.2} ms   p95 {:>8.2} ms   p99 {:>8.2} ms   ({} queries)",
        percentile(&times, 0.50).as_secs_f64() * 1e3,
        percentile(&times, 0.95).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.len()
    );
}

fn main() {
    let total: usize = std::env::var("JARVIS_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&dir.path().join("jarvis.db")).unwrap();
    let memory = MemoryService::new(db, EventBus::new());
    let zipf = Zipf::new(VOCABULARY);
    let words: Vec<String> = (0..VOCABULARY).map(word).collect();
    let mut rng = StdRng::seed_from_u64(7);

    let now = Utc::now();
    let contents: Vec<String> = (0..total)
        .map(|_| {
            (0..WORDS_PER_MESSAGE)
                .map(|_| words[zipf.sample(&mut rng)].as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let conversations = (0..total.div_ceil(MESSAGES_PER_CONVERSATION))
        .map(|c| ExportedConversation {
            id: format!("c{c}"),
            title: format!("conversation {c}"),
            pinned: false,
            created_at: now,
            updated_at: now,
            messages: (0..MESSAGES_PER_CONVERSATION.min(total - c * MESSAGES_PER_CONVERSATION))
                .map(|m| ExportedMessage {
                    id: format!("c{c}m{m}"),
                    role: if m % 2 == 0 {
                        Role::User
                    } else {
                        Role::Assistant
                    },
                    content: contents[c * MESSAGES_PER_CONVERSATION + m].clone(),
                    status: jarvis_memory::MessageStatus::Complete,
                    provider: None,
                    model: None,
                    error: None,
                    created_at: now,
                })
                .collect(),
        })
        .collect();
    let file = serde_json::to_vec(&Export {
        format: EXPORT_FORMAT.into(),
        version: EXPORT_VERSION,
        conversations,
    })
    .unwrap();

    println!(
        "memory bench: {total} messages of {WORDS_PER_MESSAGE} words, Zipf vocabulary of {VOCABULARY}"
    );
    let started = Instant::now();
    let imported = runtime.block_on(memory.import(file)).unwrap();
    let stored = started.elapsed();
    assert!(runtime.block_on(memory.wait_indexed(Duration::from_secs(600))));
    let searchable = started.elapsed();
    let n = imported.messages_imported as f64;
    println!(
        "{:<34} {:>8.0} messages/s  ({} messages stored in SQLite in {:.2} s, one transaction)",
        "ingest: stored",
        n / stored.as_secs_f64(),
        imported.messages_imported,
        stored.as_secs_f64()
    );
    println!(
        "{:<34} {:>8.0} messages/s  (all searchable after {:.2} s: stored, then indexed by tantivy)",
        "ingest: stored and indexed",
        n / searchable.as_secs_f64(),
        searchable.as_secs_f64()
    );

    let queries: Vec<String> = (0..300)
        .map(|i| {
            (0..(i % 3 + 1))
                .map(|_| words[zipf.sample(&mut rng)].clone())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let common: Vec<String> = (0..100)
        .map(|i| format!("{} {}", words[i % 5], words[5 + i % 20]))
        .collect();
    for (name, set) in [
        ("search, 1-3 Zipf words, top 20", &queries),
        ("search, two very common words", &common),
    ] {
        let times = set
            .iter()
            .map(|q| {
                let t = Instant::now();
                runtime.block_on(memory.search(q, 20)).unwrap();
                t.elapsed()
            })
            .collect();
        report(name, times);
    }
    let times = queries
        .iter()
        .map(|q| {
            let t = Instant::now();
            runtime.block_on(memory.recall(q, "none", 1600)).unwrap();
            t.elapsed()
        })
        .collect();
    report("recall (before each request)", times);
    drop(memory);

    // The peer, in the same run on the same messages and queries: SQLite
    // FTS5 (what Jarvis used before), `MATCH … ORDER BY rank LIMIT 20`.
    println!("peer: SQLite FTS5 (unicode61 remove_diacritics 2), same messages and queries");
    let peer = rusqlite::Connection::open(dir.path().join("fts5.db")).unwrap();
    peer.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;
         CREATE VIRTUAL TABLE fts USING fts5 (content, tokenize = 'unicode61 remove_diacritics 2');",
    )
    .unwrap();
    let started = Instant::now();
    peer.execute_batch("BEGIN").unwrap();
    {
        let mut insert = peer
            .prepare("INSERT INTO fts (content) VALUES (?1)")
            .unwrap();
        for content in &contents {
            insert.execute([content]).unwrap();
        }
    }
    peer.execute_batch("COMMIT").unwrap();
    let took = started.elapsed();
    println!(
        "{:<34} {:>8.0} messages/s  ({} messages in {:.2} s, one transaction)",
        "peer ingest (FTS5 insert only)",
        contents.len() as f64 / took.as_secs_f64(),
        contents.len(),
        took.as_secs_f64()
    );
    let mut stmt = peer
        .prepare("SELECT rowid FROM fts WHERE fts MATCH ?1 ORDER BY rank LIMIT 20")
        .unwrap();
    for (name, set) in [
        ("peer search, 1-3 Zipf words", &queries),
        ("peer search, two very common words", &common),
    ] {
        let times = set
            .iter()
            .map(|q| {
                // The same meaning as Jarvis's search: every word, the last
                // one as a prefix.
                let words: Vec<String> = q.split(' ').map(|w| format!("\"{w}\"")).collect();
                let expression = format!("{}*", words.join(" "));
                let t = Instant::now();
                let rows: Vec<i64> = stmt
                    .query_map([&expression], |row| row.get(0))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                std::hint::black_box(rows);
                t.elapsed()
            })
            .collect();
        report(name, times);
    }
}
