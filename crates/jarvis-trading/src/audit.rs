//! The tamper-evident audit trail: every step of every order appended to a
//! hash chain in SQLite, in the same commit as the state it records (a
//! SQLite transaction, or one record of the paper order journal).
//!
//! Entry n stores SHA-256(prev_hash ‖ seq ‖ time ‖ kind ‖ order_id ‖
//! payload), where prev_hash is entry n−1's hash (64 zeros for the first).
//! Changing any byte breaks that entry's hash; deleting or reordering
//! entries breaks the sequence or the links.

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::store::Ledger;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct AuditEntry {
    pub seq: i64,
    pub time: DateTime<Utc>,
    /// signal, validated, risk_passed, risk_rejected, order_accepted, fill,
    /// order_cancelled, order_rejected, kill_switch, limits_changed…
    pub kind: String,
    pub order_id: Option<String>,
    /// The step's details as JSON text, exactly as hashed.
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct AuditVerification {
    pub ok: bool,
    pub entries: u64,
    /// The first entry that does not check out, and why.
    pub first_bad: Option<BadEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct BadEntry {
    pub seq: i64,
    pub reason: String,
}

pub fn entry_hash(
    prev_hash: &str,
    seq: i64,
    time: &str,
    kind: &str,
    order_id: Option<&str>,
    payload: &str,
) -> String {
    let seq = seq.to_string();
    hash_fields([prev_hash, &seq, time, kind, order_id.unwrap_or(""), payload].map(str::as_bytes))
}

fn hash_fields(fields: [&[u8]; 6]) -> String {
    let mut h = Sha256::new();
    // Lengths before each field so no two different entries hash alike.
    for field in fields {
        h.update((field.len() as u64).to_le_bytes());
        h.update(field);
    }
    hex::encode(h.finalize())
}

/// Time as stored and hashed: RFC 3339 with microseconds, UTC.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The chain's newest (seq, hash), kept by the caller so an append needs
/// no read. Advance it only once the transaction commits.
pub type AuditHead = (i64, String);

/// Appends one entry inside the caller's transaction and moves `head`.
pub(crate) fn append(
    w: &dyn Ledger,
    head: &mut AuditHead,
    time: DateTime<Utc>,
    kind: &str,
    order_id: Option<&str>,
    payload: &impl Serialize,
) -> rusqlite::Result<i64> {
    let seq = head.0 + 1;
    let time = format_time(time);
    let payload = serde_json::to_string(payload)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let hash = entry_hash(&head.1, seq, &time, kind, order_id, &payload);
    w.execute(
        "INSERT INTO audit_log (seq, time, kind, order_id, payload, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![seq, time, kind, order_id, payload, head.1, hash],
    )?;
    *head = (seq, hash);
    Ok(seq)
}

/// Records the chain's head beside the account, in the same transaction.
pub(crate) fn save_head(w: &dyn Ledger, head: &AuditHead) -> rusqlite::Result<()> {
    w.execute(
        "UPDATE trading_account SET audit_seq = ?1, audit_hash = ?2 WHERE id = 1",
        params![head.0, head.1],
    )
}

/// The chain's head as recorded beside the account (`None` before there
/// is an account).
pub(crate) fn saved_head(conn: &rusqlite::Connection) -> rusqlite::Result<Option<AuditHead>> {
    use rusqlite::OptionalExtension;
    conn.query_row(
        "SELECT audit_seq, audit_hash FROM trading_account WHERE id = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
}

/// Walks the whole chain in order and names the first entry that fails,
/// then checks the last entry against the head recorded with the account.
pub fn verify(conn: &rusqlite::Connection) -> rusqlite::Result<AuditVerification> {
    let chain = verify_links(conn)?;
    if !chain.ok {
        return Ok(chain);
    }
    use rusqlite::OptionalExtension;
    let recorded = saved_head(conn)?;
    let last: Option<(i64, String)> = conn
        .query_row(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let last = last.unwrap_or((0, GENESIS.to_string()));
    match recorded {
        Some(head) if head != last => Ok(AuditVerification {
            ok: false,
            entries: chain.entries,
            first_bad: Some(BadEntry {
                seq: last.0.min(head.0) + 1,
                reason: format!(
                    "the chain ends at entry {} but the account recorded entry {} as the newest (entries were removed from the end)",
                    last.0, head.0
                ),
            }),
        }),
        _ => Ok(chain),
    }
}

fn verify_links(conn: &rusqlite::Connection) -> rusqlite::Result<AuditVerification> {
    let mut stmt = conn.prepare(
        "SELECT seq, time, kind, order_id, payload, prev_hash, hash FROM audit_log ORDER BY rowid",
    )?;
    let mut rows = stmt.query([])?;
    let mut expected_prev = GENESIS.to_string();
    let mut expected_seq = 1i64;
    let mut entries = 0u64;
    while let Some(row) = rows.next()? {
        entries += 1;
        let seq: i64 = row.get(0)?;
        // Read as bytes: a tampered entry may no longer be valid text.
        let bytes = |i: usize| -> rusqlite::Result<Vec<u8>> {
            Ok(row
                .get_ref(i)?
                .as_bytes_or_null()?
                .unwrap_or_default()
                .to_vec())
        };
        let (time, kind, order_id, payload) = (bytes(1)?, bytes(2)?, bytes(3)?, bytes(4)?);
        let (prev, hash) = (bytes(5)?, bytes(6)?);
        let bad = |reason: String| AuditVerification {
            ok: false,
            entries,
            first_bad: Some(BadEntry { seq, reason }),
        };
        if seq != expected_seq {
            return Ok(bad(format!(
                "expected entry {expected_seq} here, found {seq} (an entry was removed or moved)"
            )));
        }
        if prev != expected_prev.as_bytes() {
            return Ok(bad("its link to the previous entry does not match".into()));
        }
        let seq_text = seq.to_string();
        let computed = hash_fields([
            &prev,
            seq_text.as_bytes(),
            &time,
            &kind,
            &order_id,
            &payload,
        ]);
        if computed.as_bytes() != hash.as_slice() {
            return Ok(bad(
                "its content does not match its hash (it was changed)".into()
            ));
        }
        let hash = String::from_utf8_lossy(&hash).into_owned();
        expected_prev = hash;
        expected_seq += 1;
    }
    Ok(AuditVerification {
        ok: true,
        entries,
        first_bad: None,
    })
}

/// The newest entries first, before `before` when given.
pub fn list(
    conn: &rusqlite::Connection,
    before: Option<i64>,
    limit: u32,
) -> rusqlite::Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, time, kind, order_id, payload, prev_hash, hash FROM audit_log
         WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![before.unwrap_or(i64::MAX), limit], |r| {
        let time: String = r.get(1)?;
        Ok(AuditEntry {
            seq: r.get(0)?,
            time: DateTime::parse_from_rfc3339(&time)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
            kind: r.get(2)?,
            order_id: r.get(3)?,
            payload: r.get(4)?,
            prev_hash: r.get(5)?,
            hash: r.get(6)?,
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chain(payloads: &[String]) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(include_str!("../../../migrations/0005_trading.sql"))
            .unwrap();
        let mut head: AuditHead = (0, GENESIS.to_string());
        let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        for (i, p) in payloads.iter().enumerate() {
            let order = (i % 2 == 0).then(|| format!("order-{i}"));
            append(
                &conn,
                &mut head,
                t,
                "fill",
                order.as_deref(),
                &serde_json::json!({ "p": p }),
            )
            .unwrap();
        }
        conn
    }

    const COLUMNS: [&str; 5] = ["time", "kind", "payload", "prev_hash", "hash"];

    proptest! {
        /// Any one byte changed, in any column of any entry, is caught at
        /// exactly that entry.
        #[test]
        fn any_single_byte_change_is_caught_at_its_entry(
            payloads in proptest::collection::vec("[a-z0-9 ]{0,12}", 1..12),
            pick in any::<prop::sample::Index>(),
            column in 0usize..5,
            byte in any::<prop::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let conn = chain(&payloads);
            let seq = pick.index(payloads.len()) as i64 + 1;
            let col = COLUMNS[column];
            let text: String = conn
                .query_row(&format!("SELECT {col} FROM audit_log WHERE seq = ?1"), [seq], |r| r.get(0))
                .unwrap();
            let mut bytes = text.into_bytes();
            let at = byte.index(bytes.len());
            bytes[at] ^= flip;
            conn.execute(&format!("UPDATE audit_log SET {col} = CAST(?1 AS TEXT) WHERE seq = ?2"), rusqlite::params![bytes, seq]).unwrap();
            let result = verify_links(&conn).unwrap();
            prop_assert!(!result.ok);
            prop_assert_eq!(result.first_bad.unwrap().seq, seq);
        }

        /// Removing or swapping entries is caught at the first one out of place.
        #[test]
        fn deletions_and_reorderings_are_caught(
            payloads in proptest::collection::vec("[a-z]{1,6}", 3..12),
            pick in any::<prop::sample::Index>(),
            swap in any::<bool>(),
        ) {
            let conn = chain(&payloads);
            let n = payloads.len() as i64;
            let seq = pick.index(payloads.len() - 1) as i64 + 1; // not the last
            if swap {
                conn.execute_batch(&format!(
                    "UPDATE audit_log SET seq = -1 WHERE seq = {seq};
                     UPDATE audit_log SET seq = {seq} WHERE seq = {next};
                     UPDATE audit_log SET seq = {next} WHERE seq = -1;",
                    next = seq + 1
                )).unwrap();
            } else {
                conn.execute("DELETE FROM audit_log WHERE seq = ?1", [seq]).unwrap();
            }
            let result = verify_links(&conn).unwrap();
            prop_assert!(!result.ok);
            let first = result.first_bad.unwrap().seq;
            prop_assert!(first == seq || first == seq + 1, "first bad {first}, changed {seq} of {n}");
        }
    }
}
