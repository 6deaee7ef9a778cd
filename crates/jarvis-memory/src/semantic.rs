//! Recall by meaning: each message's embedding (from the embeddings endpoint
//! of a provider that names an embedding model) is kept in SQLite; a request's
//! embedding is compared with all of them by cosine similarity.
//!
//! The vectors of the model in use are also kept in memory, read once and
//! then only the new ones, so a comparison reads no disk: a million 768-wide
//! vectors take 3 GB, so this suits the tens of thousands of messages a
//! person writes, not bulk imports (which are recalled by their words).

use rusqlite::{Connection, OptionalExtension};

use crate::search::{RecallKind, Recalled, recalled_message, recalled_message_sql, within_budget};

/// Below this cosine similarity a message is not about the same thing.
pub const MIN_SIMILARITY: f32 = 0.45;
/// Most messages recalled by meaning for one answer.
const SIMILAR_LIMIT: usize = 3;

/// Scales `v` to unit length (so a dot product is the cosine); `None` for a
/// zero or non-finite vector.
pub fn normalised(mut v: Vec<f32>) -> Option<Vec<f32>> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if !norm.is_finite() || norm == 0.0 {
        return None;
    }
    v.iter_mut().for_each(|x| *x /= norm);
    Some(v)
}

pub(crate) fn to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn from_blob(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// The vectors of one model, in memory.
#[derive(Default)]
pub(crate) struct Vectors {
    model: String,
    dims: usize,
    message_ids: Vec<String>,
    data: Vec<f32>,
    /// The highest `message_embeddings.id` read.
    read_up_to: i64,
}

impl Vectors {
    /// Reads the vectors stored since the last call (all of them when the
    /// model changed).
    pub fn refresh(&mut self, conn: &Connection, model: &str) -> rusqlite::Result<()> {
        if self.model != model {
            *self = Vectors {
                model: model.to_owned(),
                ..Vectors::default()
            };
        }
        let mut stmt = conn.prepare_cached(
            "SELECT id, message_id, vector FROM message_embeddings
             WHERE model = ?1 AND id > ?2 ORDER BY id",
        )?;
        let mut rows = stmt.query((model, self.read_up_to))?;
        while let Some(row) = rows.next()? {
            self.read_up_to = row.get(0)?;
            let vector = from_blob(row.get_ref(2)?.as_blob().unwrap_or_default());
            if self.dims == 0 {
                self.dims = vector.len();
            }
            if vector.len() != self.dims || vector.is_empty() {
                continue; // another width: the model changed under this name
            }
            self.message_ids.push(row.get(1)?);
            self.data.extend_from_slice(&vector);
        }
        Ok(())
    }

    /// Message ids by similarity to `query` (unit length), best first, at
    /// least `MIN_SIMILARITY`, at most `limit`.
    pub fn nearest(&self, query: &[f32], limit: usize) -> Vec<(&str, f32)> {
        if query.len() != self.dims || self.dims == 0 {
            return Vec::new();
        }
        let mut best: Vec<(usize, f32)> = Vec::with_capacity(limit + 1);
        for (i, v) in self.data.chunks_exact(self.dims).enumerate() {
            let score: f32 = v.iter().zip(query).map(|(a, b)| a * b).sum();
            if score < MIN_SIMILARITY || (best.len() == limit && score <= best[limit - 1].1) {
                continue;
            }
            let at = best.partition_point(|(_, s)| *s >= score);
            best.insert(at, (i, score));
            best.truncate(limit);
        }
        best.into_iter()
            .map(|(i, s)| (self.message_ids[i].as_str(), s))
            .collect()
    }
}

/// Messages (not failed, not empty) with no vector from `model` yet,
/// newest first.
pub(crate) fn unembedded(
    conn: &Connection,
    model: &str,
    limit: usize,
) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.id, m.content FROM messages m
         WHERE m.status != 'failed' AND m.content != ''
           AND NOT EXISTS (SELECT 1 FROM message_embeddings e
                           WHERE e.message_id = m.id AND e.model = ?1)
         ORDER BY m.rowid DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map((model, limit as i64), |row| Ok((row.get(0)?, row.get(1)?)))?;
    rows.collect()
}

/// Stores vectors (replacing a message's vector from another model).
/// Messages deleted meanwhile are skipped.
pub(crate) fn store(
    conn: &mut Connection,
    model: &str,
    vectors: &[(String, Vec<f32>)],
) -> rusqlite::Result<usize> {
    let tx = conn.transaction()?;
    let mut stored = 0;
    {
        let mut exists = tx.prepare_cached("SELECT 1 FROM messages WHERE id = ?1")?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO message_embeddings (message_id, model, vector) VALUES (?1, ?2, ?3)
             ON CONFLICT (message_id) DO UPDATE SET model = excluded.model, vector = excluded.vector",
        )?;
        for (id, vector) in vectors {
            if exists.exists([id])? {
                insert.execute((id, model, to_blob(vector)))?;
                stored += 1;
            }
        }
    }
    tx.commit()?;
    Ok(stored)
}

/// The recalled messages among `nearest` (best first): not in the current
/// conversation, not recalled already, within `budget_chars`.
pub(crate) fn recall(
    conn: &Connection,
    nearest: &[(String, f32)],
    exclude_conversation: &str,
    already: &[Recalled],
    budget_chars: usize,
) -> rusqlite::Result<Vec<Recalled>> {
    let mut stmt = conn.prepare_cached(recalled_message_sql!("m.id"))?;
    let candidates = nearest
        .iter()
        .filter(|(id, _)| !already.iter().any(|r| r.message_id == *id))
        .map(|(id, _)| {
            stmt.query_row(
                (id, exclude_conversation),
                recalled_message(RecallKind::Similar),
            )
            .optional()
        });
    within_budget(candidates, budget_chars, SIMILAR_LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_scaled_to_unit_length() {
        let v = normalised(vec![3.0, 4.0]).unwrap();
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
        assert!(normalised(vec![0.0, 0.0]).is_none());
        assert!(normalised(vec![f32::NAN]).is_none());
        assert_eq!(from_blob(&to_blob(&v)), v);
    }

    #[test]
    fn the_nearest_come_best_first_above_the_floor() {
        let mut vectors = Vectors {
            model: "m".into(),
            dims: 2,
            ..Vectors::default()
        };
        for (id, v) in [("a", [1.0, 0.0]), ("b", [0.8, 0.6]), ("c", [0.0, 1.0])] {
            vectors.message_ids.push(id.into());
            vectors.data.extend_from_slice(&v);
        }
        let found = vectors.nearest(&[1.0, 0.0], 2);
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), ["a", "b"]);
        assert!(vectors.nearest(&[0.0, 1.0], 5).iter().all(|f| f.0 != "a"));
        assert!(
            vectors.nearest(&[1.0, 0.0, 0.0], 5).is_empty(),
            "another width"
        );
    }
}
