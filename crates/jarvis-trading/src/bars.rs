//! OHLCV bars and the CSV loader.
//!
//! A CSV has a timestamp column and Open, High, Low, Close, Volume columns
//! (any case, any order). The timestamp column is the one named `timestamp`,
//! `date`, `datetime` or `time`, or else the first column when its header is
//! empty (what pandas writes for an unnamed index). Bad rows are refused with
//! their line number; nothing is half-loaded.
//!
//! Plain files (most of them) take a fast path, in `fast`, that gives
//! exactly the bars the general reader, the csv crate, would; anything else
//! and every error goes through the general reader.

use std::io::Read;
use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;

mod fast;

/// One bar. Prices and volume are exact decimals; the time is UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub ts: DateTime<Utc>,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    pub volume: Decimal,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum BarsError {
    #[error("cannot read {path}: {reason}")]
    Io { path: String, reason: String },
    #[error("the header has no {column} column (found: {found})")]
    MissingColumn { column: &'static str, found: String },
    #[error("line {line}: {reason}")]
    Row { line: u64, reason: String },
    #[error("the file holds no bars")]
    Empty,
}

/// Reads bars from a CSV file.
pub fn load_csv(path: &Path) -> Result<Vec<Bar>, BarsError> {
    let io = |e: std::io::Error| BarsError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let length = file.metadata().map_err(io)?.len();
    if let Some(bars) = fast::load(path, length) {
        return Ok(bars);
    }
    read_general(std::io::BufReader::with_capacity(1 << 20, file))
}

/// Reads bars from CSV text.
pub fn read_csv(mut input: impl Read) -> Result<Vec<Bar>, BarsError> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes).map_err(|e| BarsError::Io {
        path: "the input".into(),
        reason: e.to_string(),
    })?;
    parse_csv(&bytes)
}

/// Reads bars from CSV text in memory. A plain file (no quotes, BOM or
/// carriage returns) takes a fast path; anything it does not recognise,
/// including every error, goes to the general reader, so both give the
/// same bars and the same messages.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<Bar>, BarsError> {
    match fast::parse(bytes) {
        Some(bars) => Ok(bars),
        None => read_general(bytes),
    }
}

/// The general reader: the csv crate, one record at a time.
fn read_general(input: impl Read) -> Result<Vec<Bar>, BarsError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let header = reader
        .headers()
        .map_err(|e| BarsError::Row {
            line: 1,
            reason: e.to_string(),
        })?
        .clone();
    let columns = Columns::find(&header.iter().collect::<Vec<_>>())?;

    let mut bars = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut previous: Option<DateTime<Utc>> = None;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(BarsError::Row {
                    line,
                    reason: e.to_string(),
                });
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        let bar = columns
            .parse(&record)
            .map_err(|reason| BarsError::Row { line, reason })?;
        if let Some(prev) = previous
            && bar.ts <= prev
        {
            return Err(BarsError::Row {
                line,
                reason: format!(
                    "timestamp {} is not after the previous row's {}",
                    bar.ts.to_rfc3339(),
                    prev.to_rfc3339()
                ),
            });
        }
        previous = Some(bar.ts);
        bars.push(bar);
    }
    if bars.is_empty() {
        return Err(BarsError::Empty);
    }
    Ok(bars)
}

struct Columns {
    ts: usize,
    open: usize,
    high: usize,
    low: usize,
    close: usize,
    volume: usize,
}

impl Columns {
    /// From the header's (trimmed) names.
    fn find(header: &[&str]) -> Result<Self, BarsError> {
        let names: Vec<String> = header.iter().map(|h| h.to_ascii_lowercase()).collect();
        let found = header.join(", ");
        let position = |column: &'static str, aliases: &[&str]| {
            names
                .iter()
                .position(|n| aliases.contains(&n.as_str()))
                .ok_or_else(|| BarsError::MissingColumn {
                    column,
                    found: found.clone(),
                })
        };
        let ts =
            position("timestamp", &["timestamp", "date", "datetime", "time"]).or_else(|e| {
                match names.first() {
                    Some(first) if first.is_empty() => Ok(0),
                    _ => Err(e),
                }
            })?;
        Ok(Self {
            ts,
            open: position("Open", &["open"])?,
            high: position("High", &["high"])?,
            low: position("Low", &["low"])?,
            close: position("Close", &["close"])?,
            volume: position("Volume", &["volume"])?,
        })
    }

    fn parse(&self, record: &csv::StringRecord) -> Result<Bar, String> {
        let field = |index: usize, name: &str| {
            record
                .get(index)
                .ok_or_else(|| format!("{name}: missing (the row has {} fields)", record.len()))
        };
        let price = |index: usize, name: &str| -> Result<Decimal, String> {
            let text = field(index, name)?;
            let value =
                parse_decimal(text).ok_or_else(|| format!("{name}: not a number: {text:?}"))?;
            if value.is_sign_negative() {
                return Err(format!("{name}: must not be negative: {text}"));
            }
            Ok(value)
        };
        let ts_text = field(self.ts, "timestamp")?;
        let bar = Bar {
            ts: parse_timestamp(ts_text)
                .ok_or_else(|| format!("timestamp: not a date or time: {ts_text:?}"))?,
            open: price(self.open, "Open")?,
            high: price(self.high, "High")?,
            low: price(self.low, "Low")?,
            close: price(self.close, "Close")?,
            volume: price(self.volume, "Volume")?,
        };
        if bar.high < bar.low {
            return Err(format!("High {} is below Low {}", bar.high, bar.low));
        }
        Ok(bar)
    }
}

/// Plain or scientific notation ("1.5e-05", as pandas may write).
fn parse_decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str(text)
        .ok()
        .or_else(|| Decimal::from_scientific(text).ok())
}

/// ISO 8601 / RFC 3339, "YYYY-MM-DD HH:MM:SS[.f]", a bare date, or Unix
/// seconds. Times without an offset are UTC.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn reads_pandas_style_csv_with_an_unnamed_index() {
        let csv = ",Open,High,Low,Close,Volume\n\
                   2004-08-19,100.0,104.06,95.96,100.34,22351900\n\
                   2004-08-20,101.01,109.08,100.5,108.31,11428600\n";
        let bars = read_csv(csv.as_bytes()).unwrap();
        assert_eq!(bars.len(), 2);
        assert_eq!(bars[1].close, dec("108.31"));
        assert_eq!(bars[0].ts.to_rfc3339(), "2004-08-19T00:00:00+00:00");
    }

    #[test]
    fn columns_in_any_case_and_order() {
        let csv = "close,VOLUME,timestamp,low,High,OPEN\n1.5,10,2024-01-02T09:30:00Z,1,2,1.2\n";
        let bars = read_csv(csv.as_bytes()).unwrap();
        assert_eq!(bars[0].open, dec("1.2"));
        assert_eq!(bars[0].high, dec("2"));
        assert_eq!(bars[0].volume, dec("10"));
    }

    #[test]
    fn bad_rows_name_their_line() {
        let csv = "Date,Open,High,Low,Close,Volume\n\
                   2024-01-02,1,2,1,1.5,10\n\
                   2024-01-03,1,2,1,abc,10\n";
        let err = read_csv(csv.as_bytes()).unwrap_err();
        assert_eq!(
            err,
            BarsError::Row {
                line: 3,
                reason: "Close: not a number: \"abc\"".into()
            }
        );
        assert_eq!(err.to_string(), "line 3: Close: not a number: \"abc\"");
    }

    #[test]
    fn refuses_missing_columns_time_going_backwards_and_empty_files() {
        let no_close = "Date,Open,High,Low,Volume\n2024-01-02,1,2,1,10\n";
        assert!(matches!(
            read_csv(no_close.as_bytes()),
            Err(BarsError::MissingColumn {
                column: "Close",
                ..
            })
        ));
        let backwards =
            "Date,Open,High,Low,Close,Volume\n2024-01-03,1,2,1,1,1\n2024-01-02,1,2,1,1,1\n";
        let err = read_csv(backwards.as_bytes()).unwrap_err();
        assert!(matches!(err, BarsError::Row { line: 3, .. }), "{err}");
        let empty = "Date,Open,High,Low,Close,Volume\n";
        assert_eq!(read_csv(empty.as_bytes()), Err(BarsError::Empty));
        let short = "Date,Open,High,Low,Close,Volume\n2024-01-02,1,2\n";
        assert!(matches!(
            read_csv(short.as_bytes()),
            Err(BarsError::Row { line: 2, .. })
        ));
    }

    #[test]
    fn timestamps_in_several_forms_are_utc() {
        for (text, want) in [
            ("2024-01-02", "2024-01-02T00:00:00+00:00"),
            ("2024-01-02 09:30:00", "2024-01-02T09:30:00+00:00"),
            ("2024-01-02T09:30:00.5", "2024-01-02T09:30:00.500+00:00"),
            ("2024-01-02T09:30:00-05:00", "2024-01-02T14:30:00+00:00"),
            ("1704187800", "2024-01-02T09:30:00+00:00"),
        ] {
            assert_eq!(parse_timestamp(text).unwrap().to_rfc3339(), want, "{text}");
        }
        assert_eq!(parse_timestamp("yesterday"), None);
    }

    #[test]
    fn scientific_notation_is_exact() {
        assert_eq!(parse_decimal("1.5e-05"), Some(dec("0.000015")));
    }
}
