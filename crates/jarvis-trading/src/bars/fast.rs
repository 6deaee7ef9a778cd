//! The loader's fast path, for plain CSV files: the bytes are read in
//! place, timestamps in the common fixed forms and plain decimals are parsed
//! by hand, and reading rows is split from storing them, on two threads.
//!
//! Why that split: here a fresh page of memory costs ~2.5 µs to fault in,
//! and the bars of a million rows fill 22,000 of them, so writing the
//! result takes as long as parsing it. One thread parses into small batches
//! that stay in cache while this one appends them to the result; parsing
//! halves into two vectors and joining them would fault half the pages
//! twice.
//!
//! It never reports an error. Whatever it does not recognise — quotes, a
//! BOM, carriage returns, a bad or out-of-order row — makes it give up, and
//! the general reader reads the whole file and words the error, so there is
//! one set of rules and one set of messages.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::mpsc;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;

use super::{Bar, Columns, parse_decimal, parse_timestamp};

/// Below this much text one thread does it all: a second would cost more
/// than it saves.
const SPLIT_BYTES: u64 = 1 << 20;
/// Beyond a few threads, appending the extra readers' parts costs what
/// they save.
const MAX_THREADS: usize = 4;
/// Rows handed from a reading thread to the one storing them at a time:
/// ~370 KB, which stays in cache (a few rows in tests, to hand over often).
const BATCH_ROWS: usize = if cfg!(test) { 3 } else { 4096 };
/// Each thread reads its share of a file through a buffer this size, kept
/// in cache, rather than the whole file into memory: fresh pages cost more
/// here than reading the text.
const BUFFER_BYTES: usize = 256 << 10;
/// The BOM some editors put first: the csv crate keeps it in the first name.
const BOM: &[u8] = b"\xEF\xBB\xBF";

fn threads_for(length: u64) -> usize {
    if length < SPLIT_BYTES {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_THREADS))
    }
}

/// The bars in CSV text, or `None` when the general reader must read it.
pub(super) fn parse(bytes: &[u8]) -> Option<Vec<Bar>> {
    parse_in(bytes, threads_for(bytes.len() as u64))
}

fn parse_in(bytes: &[u8], threads: usize) -> Option<Vec<Bar>> {
    let (layout, data_start) = header(bytes)?;
    let data = &bytes[data_start..];
    let parts = split_lines(data, readers(threads));
    gather(
        parts
            .iter()
            .map(|part| (part.len(), move |rows: &mut Rows| rows.push_lines(part))),
        &layout,
        data.len(),
        threads,
    )
}

/// The bars in a CSV file of `length` bytes, or `None` when the general
/// reader must read it (which also reports a file that cannot be read).
pub(super) fn load(path: &Path, length: u64) -> Option<Vec<Bar>> {
    load_in(path, length, threads_for(length), BUFFER_BYTES)
}

fn load_in(path: &Path, length: u64, threads: usize, buffer: usize) -> Option<Vec<Bar>> {
    if threads == 1 {
        return parse_in(&std::fs::read(path).ok()?, 1);
    }
    let mut file = std::fs::File::open(path).ok()?;
    // The header is in the first buffer, or the general reader reads it.
    let mut start = vec![0; BUFFER_BYTES.min(length as usize)];
    file.read_exact(&mut start).ok()?;
    let (layout, data_start) = header(&start)?;
    // Each part starts just after a line's end.
    let mut bounds = vec![data_start as u64];
    let span = length - data_start as u64;
    let parts = readers(threads) as u64;
    for k in 1..parts {
        let from = (data_start as u64 + span * k / parts).max(*bounds.last()?);
        bounds.push(next_line(&mut file, from, length)?);
    }
    bounds.push(length);
    let ranges: Vec<(u64, u64)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
    gather(
        ranges.iter().map(|&(from, to)| {
            let read = move |rows: &mut Rows| stream(path, from, to, buffer, rows);
            ((to - from) as usize, read)
        }),
        &layout,
        span as usize,
        threads,
    )
}

/// Threads that read rows when `threads` run: all but the one storing them.
fn readers(threads: usize) -> usize {
    threads.saturating_sub(1).max(1)
}

/// The header's layout, and where the rows start; `None` for anything the
/// fast path does not take (no line end, a BOM, quotes, bad UTF-8…).
fn header(bytes: &[u8]) -> Option<(Layout, usize)> {
    if bytes.starts_with(BOM) {
        return None;
    }
    let end = memchr::memchr(b'\n', bytes)?;
    let line = &bytes[..end];
    if memchr::memchr2(b'"', b'\r', line).is_some() {
        return None;
    }
    let names: Vec<&str> = std::str::from_utf8(line)
        .ok()?
        .split(',')
        .map(str::trim)
        .collect();
    let layout = Layout::new(&Columns::find(&names).ok()?, names.len());
    Some((layout, end + 1))
}

/// The offset just after the first line end at or after `from` (or the
/// file's end).
fn next_line(file: &mut std::fs::File, from: u64, length: u64) -> Option<u64> {
    file.seek(SeekFrom::Start(from)).ok()?;
    let mut window = vec![0; 4096];
    let mut at = from;
    while at < length {
        let n = file.read(&mut window).ok()?;
        if n == 0 {
            break;
        }
        if let Some(i) = memchr::memchr(b'\n', &window[..n]) {
            return Some(at + i as u64 + 1);
        }
        at += n as u64;
    }
    Some(length)
}

/// Streams bytes `from..to` of the file through one buffer into `rows`.
fn stream(path: &Path, from: u64, to: u64, buffer: usize, rows: &mut Rows) -> Option<()> {
    let mut file = std::fs::File::open(path).ok()?;
    file.seek(SeekFrom::Start(from)).ok()?;
    let mut file = file.take(to - from);
    let mut buffer = vec![0; buffer.max(1)];
    // Bytes of an unfinished line carried to the buffer's start.
    let mut kept = 0;
    loop {
        if kept == buffer.len() {
            // A line longer than the buffer.
            buffer.resize(buffer.len() * 2, 0);
        }
        let n = file.read(&mut buffer[kept..]).ok()?;
        if n == 0 {
            // The last line may have no line end.
            return rows.push_lines(&buffer[..kept]);
        }
        let filled = kept + n;
        let Some(last_end) = memchr::memrchr(b'\n', &buffer[..filled]) else {
            kept = filled;
            continue;
        };
        rows.push_lines(&buffer[..=last_end])?;
        buffer.copy_within(last_end + 1..filled, 0);
        kept = filled - last_end - 1;
    }
}

/// Reads the parts, each with its length, and joins their bars in order.
/// On one thread, the only part is read straight into the result. On more,
/// the first part is read on a thread of its own and handed over in
/// batches, which this thread appends to the result; any further parts are
/// read into vectors of their own and appended after it. `text` is the
/// rows' total length, to size the result.
fn gather<F>(
    parts: impl Iterator<Item = (usize, F)>,
    layout: &Layout,
    text: usize,
    threads: usize,
) -> Option<Vec<Bar>>
where
    F: FnOnce(&mut Rows) -> Option<()> + Send,
{
    let mut parts = parts;
    let (_, first) = parts.next()?;
    if threads <= 1 {
        let mut rows = Rows::new(layout, text, None);
        first(&mut rows)?;
        return (!rows.bars.is_empty()).then_some(rows.bars);
    }
    std::thread::scope(|scope| {
        // Few batches in flight, and the emptied ones go back to be reused.
        let (full, batches) = mpsc::sync_channel(4);
        let (emptied, empty) = mpsc::channel();
        let reader = scope.spawn(move || {
            let mut rows = Rows::new(layout, 0, Some(Sink { full, empty }));
            first(&mut rows)?;
            rows.hand_over()
        });
        let others: Vec<_> = parts
            .map(|(length, read)| {
                scope.spawn(move || {
                    let mut rows = Rows::new(layout, length, None);
                    read(&mut rows).map(|()| rows.bars)
                })
            })
            .collect();
        let mut bars = Vec::with_capacity(Rows::room(text));
        // Ends when the reader finishes or gives up.
        for mut batch in batches {
            bars.append(&mut batch);
            let _ = emptied.send(batch);
        }
        join(reader)?;
        for part in others {
            let mut part = join(part)?;
            if let (Some(last), Some(next)) = (bars.last(), part.first())
                && next.ts <= last.ts
            {
                return None;
            }
            bars.append(&mut part);
        }
        (!bars.is_empty()).then_some(bars)
    })
}

/// A thread's result; its panic, if it panicked.
fn join<T>(thread: std::thread::ScopedJoinHandle<'_, T>) -> T {
    thread
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// `data` cut into about `parts` pieces, each ending at a line's end.
fn split_lines(data: &[u8], parts: usize) -> Vec<&[u8]> {
    let mut pieces = Vec::with_capacity(parts);
    let mut rest = data;
    for left in (1..parts).rev() {
        let target = rest.len() / (left + 1);
        let Some(newline) = memchr::memchr(b'\n', &rest[target..]) else {
            break;
        };
        let (piece, after) = rest.split_at(target + newline + 1);
        pieces.push(piece);
        rest = after;
    }
    pieces.push(rest);
    pieces
}

#[derive(Clone, Copy)]
enum Role {
    Timestamp,
    /// Open, High, Low, Close, Volume: 0 to 4.
    Value(usize),
    Unread,
}

/// What each column of a row is, in file order.
struct Layout {
    roles: Vec<Role>,
    has_unread: bool,
}

impl Layout {
    fn new(columns: &Columns, count: usize) -> Self {
        let mut roles = vec![Role::Unread; count];
        roles[columns.ts] = Role::Timestamp;
        for (k, index) in [
            columns.open,
            columns.high,
            columns.low,
            columns.close,
            columns.volume,
        ]
        .into_iter()
        .enumerate()
        {
            roles[index] = Role::Value(k);
        }
        let has_unread = roles.iter().any(|r| matches!(r, Role::Unread));
        Self { roles, has_unread }
    }
}

/// Where a reading thread hands its rows over: full batches go, emptied
/// ones come back.
struct Sink {
    full: mpsc::SyncSender<Vec<Bar>>,
    empty: mpsc::Receiver<Vec<Bar>>,
}

/// Bars parsed so far by one thread.
struct Rows<'a> {
    layout: &'a Layout,
    bars: Vec<Bar>,
    dates: Dates,
    /// The last row's time, to refuse one that is not after it.
    last: Option<DateTime<Utc>>,
    sink: Option<Sink>,
}

impl<'a> Rows<'a> {
    /// With room for the rows of about `text` bytes, or for a batch when
    /// they go to `sink`.
    fn new(layout: &'a Layout, text: usize, sink: Option<Sink>) -> Self {
        let room = if sink.is_some() {
            BATCH_ROWS
        } else {
            Self::room(text)
        };
        Self {
            layout,
            bars: Vec::with_capacity(room),
            dates: Dates::default(),
            last: None,
            sink,
        }
    }

    /// Rows in about `text` bytes, generously: lines of a minute bar are
    /// about 50 bytes, and a reservation never touched costs nothing.
    fn room(text: usize) -> usize {
        text / 40
    }

    /// Sends the rows parsed so far to the sink, if any.
    fn hand_over(&mut self) -> Option<()> {
        let Some(sink) = &self.sink else {
            return Some(());
        };
        if self.bars.is_empty() {
            return Some(());
        }
        let next = sink
            .empty
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BATCH_ROWS));
        // Fails only when the receiving side has given up.
        sink.full.send(std::mem::replace(&mut self.bars, next)).ok()
    }

    /// Parses whole lines (the last may lack its line end only at the end
    /// of the file); `None` at the first thing the fast path cannot take.
    fn push_lines(&mut self, mut text: &[u8]) -> Option<()> {
        // Quotes and carriage returns change where the csv crate ends
        // fields and lines.
        if memchr::memchr2(b'"', b'\r', text).is_some() {
            return None;
        }
        // The csv crate refuses a row with invalid UTF-8 even in a column
        // that is not read; the columns that are read are checked as they
        // parse.
        if self.layout.has_unread && std::str::from_utf8(text).is_err() {
            return None;
        }
        while !text.is_empty() {
            let (bar, rest) = parse_row(text, self.layout, &mut self.dates)?;
            if self.last.is_some_and(|previous| bar.ts <= previous) {
                return None;
            }
            self.last = Some(bar.ts);
            self.bars.push(bar);
            if self.bars.len() >= BATCH_ROWS && self.sink.is_some() {
                self.hand_over()?;
            }
            text = rest;
        }
        Some(())
    }
}

/// The row at the start of `data`, and what follows its line.
fn parse_row<'a>(data: &'a [u8], layout: &Layout, dates: &mut Dates) -> Option<(Bar, &'a [u8])> {
    let mut rest = data;
    let mut ts = None;
    let mut values = [Decimal::ZERO; 5];
    let last = layout.roles.len() - 1;
    for (i, role) in layout.roles.iter().enumerate() {
        let end = match *role {
            // A plain number is parsed as its end is found.
            Role::Value(k) => match plain_prefix(rest) {
                Some((value, end)) => {
                    values[k] = value;
                    end
                }
                None => {
                    let end = field_end(rest);
                    values[k] = value(&rest[..end])?;
                    end
                }
            },
            Role::Timestamp => match fixed_prefix(rest, dates) {
                Some((time, end)) => {
                    ts = Some(time);
                    end
                }
                None => {
                    let end = field_end(rest);
                    ts = Some(timestamp(&rest[..end], dates)?);
                    end
                }
            },
            Role::Unread => field_end(rest),
        };
        // Every field but the last ends at a comma; the last ends the line.
        let ends_at_comma = rest.get(end) == Some(&b',');
        if ends_at_comma != (i < last) {
            return None;
        }
        rest = rest.get(end + 1..).unwrap_or_default();
    }
    let [open, high, low, close, volume] = values;
    // Most often both have the same places: compare the digits.
    let below = if high.scale() == low.scale() {
        high.mantissa() < low.mantissa()
    } else {
        high < low
    };
    if below {
        return None;
    }
    let bar = Bar {
        ts: ts?,
        open,
        high,
        low,
        close,
        volume,
    };
    Some((bar, rest))
}

/// A price or volume: plain digits by hand, anything else as the general
/// reader parses it (it trims the field first, as the csv crate does).
fn value(field: &[u8]) -> Option<Decimal> {
    plain_decimal(field).or_else(|| {
        let value = parse_decimal(std::str::from_utf8(field).ok()?.trim())?;
        (!value.is_sign_negative()).then_some(value)
    })
}

/// Where the field at the start of `text` ends: at a comma, a line end or
/// the end of the text.
fn field_end(text: &[u8]) -> usize {
    text.iter()
        .position(|&b| b == b',' || b == b'\n')
        .unwrap_or(text.len())
}

fn plain_decimal(field: &[u8]) -> Option<Decimal> {
    plain_prefix(field)
        .filter(|&(_, end)| end == field.len())
        .map(|(value, _)| value)
}

/// The field at the start of `text` and where it ends, when it is digits
/// with at most one dot between them ("512", "100.24") in at most 19 bytes
/// (so the digits fit a u64): exactly the `Decimal` that `Decimal::from_str`
/// makes, trailing zeros (the scale) included.
fn plain_prefix(text: &[u8]) -> Option<(Decimal, usize)> {
    let mut mantissa = 0u64;
    let mut dot = usize::MAX;
    let mut end = 0;
    while let Some(&b) = text.get(end) {
        match b {
            // Wrapping only past 19 bytes, which are refused below.
            b'0'..=b'9' => mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(b - b'0')),
            b'.' if dot == usize::MAX => dot = end,
            b',' | b'\n' => break,
            _ => return None,
        }
        end += 1;
    }
    if end == 0 || end > 19 {
        return None;
    }
    let scale = if dot == usize::MAX {
        0
    } else if dot > 0 && dot + 1 < end {
        end - dot - 1
    } else {
        return None;
    };
    let value = Decimal::from_parts(
        mantissa as u32,
        (mantissa >> 32) as u32,
        0,
        false,
        scale as u32,
    );
    Some((value, end))
}

fn timestamp(field: &[u8], dates: &mut Dates) -> Option<DateTime<Utc>> {
    fixed_timestamp(field, dates)
        .or_else(|| parse_timestamp(std::str::from_utf8(field).ok()?.trim()))
}

/// A timestamp in a fixed form at the start of `text`, and where it ends:
/// those forms hold no comma or line end, so the field ends where the form
/// does when a comma, a line end or the end of the text follows.
fn fixed_prefix(text: &[u8], dates: &mut Dates) -> Option<(DateTime<Utc>, usize)> {
    [19, 20, 10].into_iter().find_map(|end| {
        if !matches!(text.get(end), Some(b',' | b'\n') | None) || text.len() < end {
            return None;
        }
        fixed_timestamp(&text[..end], dates).map(|ts| (ts, end))
    })
}

/// "YYYY-MM-DD", or that and "HH:MM:SS" joined by a space or a "T", with an
/// optional "Z": what pandas and most exports write. Anything else
/// (fractions, offsets, a leap second) goes to chrono.
fn fixed_timestamp(field: &[u8], dates: &mut Dates) -> Option<DateTime<Utc>> {
    let date = dates.get(field.get(..10)?)?;
    let time = match field.len() {
        10 => NaiveTime::MIN,
        19 | 20 => {
            let f = field;
            if !matches!(f[10], b' ' | b'T')
                || f[13] != b':'
                || f[16] != b':'
                || (f.len() == 20 && f[19] != b'Z')
            {
                return None;
            }
            NaiveTime::from_hms_opt(two(f[11], f[12])?, two(f[14], f[15])?, two(f[17], f[18])?)?
        }
        _ => return None,
    };
    Some(date.and_time(time).and_utc())
}

fn two(tens: u8, units: u8) -> Option<u32> {
    (tens.is_ascii_digit() && units.is_ascii_digit())
        .then(|| u32::from(tens - b'0') * 10 + u32::from(units - b'0'))
}

/// The last "YYYY-MM-DD" seen: a day's rows share it, so it is parsed once.
#[derive(Default)]
struct Dates {
    text: [u8; 10],
    date: Option<NaiveDate>,
}

impl Dates {
    fn get(&mut self, text: &[u8]) -> Option<NaiveDate> {
        if self.date.is_some() && self.text == text {
            return self.date;
        }
        if text[4] != b'-' || text[7] != b'-' {
            return None;
        }
        let year = two(text[0], text[1])? * 100 + two(text[2], text[3])?;
        let date =
            NaiveDate::from_ymd_opt(year as i32, two(text[5], text[6])?, two(text[8], text[9])?)?;
        self.text.copy_from_slice(text);
        self.date = Some(date);
        Some(date)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::str::FromStr;

    use proptest::prelude::*;

    use super::*;
    use crate::bars::{BarsError, parse_csv, read_general};

    type Exact = (DateTime<Utc>, [(i128, u32); 5]);

    /// Bars with each decimal's scale, which `==` on `Decimal` ignores.
    fn exact(bars: &[Bar]) -> Vec<Exact> {
        bars.iter()
            .map(|b| {
                let d = |v: Decimal| (v.mantissa(), v.scale());
                (
                    b.ts,
                    [d(b.open), d(b.high), d(b.low), d(b.close), d(b.volume)],
                )
            })
            .collect()
    }

    fn general(text: &[u8]) -> Result<Vec<Exact>, BarsError> {
        read_general(text).map(|b| exact(&b))
    }

    /// The fast path takes `text` on one thread and on several, and gives
    /// exactly the general reader's bars.
    fn fast_agrees(text: &str) -> Vec<Bar> {
        let want = general(text.as_bytes()).expect("a valid file");
        for threads in 1..=4 {
            let got = parse_in(text.as_bytes(), threads).expect("the fast path takes it");
            assert_eq!(exact(&got), want, "{threads} threads");
        }
        parse_csv(text.as_bytes()).unwrap()
    }

    /// The fast path declines `text` on any number of threads, and the
    /// loader answers what the general reader does.
    fn falls_back(text: &[u8]) -> Result<Vec<Bar>, BarsError> {
        for threads in 1..=4 {
            assert!(
                parse_in(text, threads).is_none(),
                "{threads} threads: {}",
                String::from_utf8_lossy(text)
            );
        }
        let got = parse_csv(text);
        assert_eq!(got.clone().map(|b| exact(&b)), general(text));
        got
    }

    const HEADER: &str = "timestamp,Open,High,Low,Close,Volume\n";

    fn with_rows(rows: &[&str]) -> String {
        let mut text = HEADER.to_string();
        for row in rows {
            text.push_str(row);
            text.push('\n');
        }
        text
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn plain_files_take_the_fast_path() {
        let bars = fast_agrees(&with_rows(&[
            "2020-01-01 00:00:00,100.00,100.24,99.98,100.18,512",
            "2020-01-01 00:01:00,100.18,100.26,100.14,100.23,613",
            "2020-01-02 00:00:00,7,8,6,7.5,0",
        ]));
        assert_eq!(bars.len(), 3);
        assert_eq!(bars[0].open.scale(), 2, "trailing zeros are kept");
        assert_eq!(bars[2].ts.to_rfc3339(), "2020-01-02T00:00:00+00:00");
    }

    #[test]
    fn columns_in_any_case_and_order_with_extra_ones() {
        let bars = fast_agrees(
            "close,VOLUME,note,timestamp,low,High,OPEN\n\
             1.5,10,first,2024-01-02T09:30:00Z,1,2,1.2\n\
             1.6,11,,2024-01-02T09:31:00Z,1,2,1.3\n",
        );
        assert_eq!(bars[1].open, dec("1.3"));
        assert_eq!(bars[1].volume, dec("11"));
    }

    #[test]
    fn every_timestamp_column_name_and_the_unnamed_first_column() {
        for name in ["timestamp", "Date", "DATETIME", "time", ""] {
            let text = format!(
                "{name},Open,High,Low,Close,Volume\n2024-01-02,1,2,1,1.5,10\n2024-01-03,1,2,1,1.5,10\n"
            );
            assert_eq!(fast_agrees(&text).len(), 2, "{name:?}");
        }
    }

    #[test]
    fn other_timestamp_forms_numbers_and_spaces_are_parsed_field_by_field() {
        fast_agrees(&with_rows(&[
            "1704187800,1e2,1.5e+02,0.5E2, 75 ,1_000",
            "2024-01-02T09:31:00.25,100,150,50,75,1000",
            "2024-01-02T09:32:00-05:00,100,150,50,75,1000",
            " 2024-01-02 14:33:00 ,100.,150,50,75,\u{a0}10",
            "2024-01-02 14:34,.5,150,0.00,75,10",
            "2024-01-02 14:35:00Z,1,1,1,1,-0",
        ]));
    }

    #[test]
    fn last_line_without_a_line_end() {
        let text = format!("{HEADER}2024-01-02,1,2,1,1.5,10\n2024-01-03,1,2,1,1.5,10");
        assert_eq!(fast_agrees(&text).len(), 2);
    }

    #[test]
    fn quotes_bom_and_crlf_go_to_the_general_reader() {
        let quoted = format!("{HEADER}2024-01-02,\"1\",2,1,1.5,10\n2024-01-03,1,2,1,1.5,10\n");
        assert_eq!(falls_back(quoted.as_bytes()).unwrap()[0].open, dec("1"));
        let quoted_header = "\"timestamp\",Open,High,Low,Close,Volume\n2024-01-02,1,2,1,1.5,10\n";
        assert_eq!(falls_back(quoted_header.as_bytes()).unwrap().len(), 1);
        // A quoted field may hold a comma or a line end in a column not read.
        let note = "timestamp,Open,High,Low,Close,Volume,note\n\
                    2024-01-02,1,2,1,1.5,10,\"a\n2024-01-03,1,2,1,1.5,10,b\"\n";
        assert_eq!(falls_back(note.as_bytes()).unwrap().len(), 1);
        let crlf = with_rows(&["2024-01-02,1,2,1,1.5,10", "2024-01-03,1,2,1,1.5,10"])
            .replace('\n', "\r\n");
        assert_eq!(falls_back(crlf.as_bytes()).unwrap().len(), 2);
        let bom = format!("\u{feff}{}", with_rows(&["2024-01-02,1,2,1,1.5,10"]));
        let _ = falls_back(bom.as_bytes());
    }

    #[test]
    fn bad_rows_are_refused_with_their_line() {
        let cases: &[(&[&str], u64)] = &[
            (&["2024-01-02,1,2,1,1.5,10", "2024-01-03,1,2,1,abc,10"], 3),
            (&["2024-01-02,1,2,1,1.5,10", "2024-01-03,1,2,1,-1.5,10"], 3),
            (&["2024-01-02,1,2,1,1.5,-0.5"], 2),
            (&["2024-01-02,1,1,2,1.5,10"], 2),
            (&["2024-01-02,1,2,1,1.5,10", "2024-01-03,1,2"], 3),
            (&["2024-01-02,1,2,1,1.5,10,11"], 2),
            (&["2024-01-02,1,2,1,1.5,"], 2),
            (&["2024-02-30,1,2,1,1.5,10"], 2),
            (&["2024-01-02 24:00:00,1,2,1,1.5,10"], 2),
            (&["2024-01-02,1,2,1,1.5,10", "2024-01-02,1,2,1,1.5,10"], 3),
            (&["2024-01-03,1,2,1,1.5,10", "2024-01-02,1,2,1,1.5,10"], 3),
        ];
        for (rows, line) in cases {
            let err = falls_back(with_rows(rows).as_bytes()).unwrap_err();
            assert!(
                matches!(err, BarsError::Row { line: l, .. } if l == *line),
                "{rows:?}: {err}"
            );
        }
    }

    #[test]
    fn time_going_backwards_across_the_threads_split_is_refused() {
        // Cut in two, each half is in order on its own.
        let mut rows: Vec<String> = (10..30)
            .map(|d| format!("2024-01-{d:02},1,2,1,1.5,10"))
            .collect();
        rows.swap(9, 10);
        let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
        let err = falls_back(with_rows(&rows).as_bytes()).unwrap_err();
        assert!(matches!(err, BarsError::Row { line: 12, .. }), "{err}");
    }

    #[test]
    fn invalid_utf8_in_a_column_not_read_is_refused() {
        let mut text =
            b"timestamp,Open,High,Low,Close,Volume,note\n2024-01-02,1,2,1,1.5,10,".to_vec();
        text.extend_from_slice(b"\xff\n");
        assert!(falls_back(&text).is_err());
    }

    #[test]
    fn empty_files_and_blank_lines() {
        assert_eq!(falls_back(HEADER.as_bytes()), Err(BarsError::Empty));
        assert_eq!(
            falls_back(b"timestamp,Open,High,Low,Close,Volume"),
            Err(BarsError::Empty)
        );
        assert!(falls_back(b"").is_err());
        let blank = format!("{HEADER}2024-01-02,1,2,1,1.5,10\n\n2024-01-03,1,2,1,1.5,10\n");
        let _ = falls_back(blank.as_bytes());
        let missing = "timestamp,Open,High,Low,Volume\n2024-01-02,1,2,1,10\n";
        assert!(matches!(
            falls_back(missing.as_bytes()),
            Err(BarsError::MissingColumn {
                column: "Close",
                ..
            })
        ));
    }

    #[test]
    fn hand_parsed_timestamps_match_chrono() {
        let mut dates = Dates::default();
        for text in [
            "2024-01-02",
            "2024-02-29",
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "0000-01-01",
            "9999-12-31 23:59:59",
            "2024-01-02 09:30:00",
            "2024-01-02T09:30:00",
            "2024-01-02T09:30:00Z",
            "2024-01-02 09:30:00Z",
            "2024-01-02t09:30:00Z",
            "2024-01-02T09:30:00z",
            "2024-01-02T23:59:60",
            "2024-01-02T23:59:60Z",
            "2024-01-02T24:00:00",
            "2024-01-02T09:60:00",
            "2024-01-02T09:30:00.5",
            "2024-01-02T09:30:00+01:00",
            "2024-01-02x09:30:00",
            "2024/01/02",
            "2024-1-02",
            "1704187800",
            "+2024-01-02",
        ] {
            let want = parse_timestamp(text);
            if let Some(got) = fixed_timestamp(text.as_bytes(), &mut dates) {
                assert_eq!(Some(got), want, "{text}");
            }
            assert_eq!(timestamp(text.as_bytes(), &mut dates), want, "{text}");
        }
    }

    #[test]
    fn hand_parsed_decimals_match_rust_decimal() {
        for text in [
            "0",
            "00",
            "0.0",
            "0.000",
            "007.50",
            "100.24",
            "9999999999999999999",
            "999999999999999.9999",
            "18446744073709551615",
            "1.",
            ".5",
            "1..2",
            "1.2.3",
            "+1",
            "-1",
            "1_0",
            "1e3",
            "",
        ] {
            let want = Decimal::from_str(text).ok();
            if let Some(got) = plain_decimal(text.as_bytes()) {
                let want = want.unwrap_or_else(|| panic!("{text} is not a Decimal"));
                assert_eq!(
                    (got.mantissa(), got.scale()),
                    (want.mantissa(), want.scale()),
                    "{text}"
                );
            }
        }
        assert!(plain_decimal(b"100.24").is_some());
        assert!(
            plain_decimal(b"18446744073709551615").is_none(),
            "20 digits"
        );
    }

    fn load_file(text: &[u8], threads: usize, buffer: usize) -> Option<Vec<Exact>> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text).unwrap();
        load_in(file.path(), text.len() as u64, threads, buffer).map(|b| exact(&b))
    }

    #[test]
    fn a_file_streamed_by_several_threads_through_small_buffers() {
        let rows: Vec<String> = (0..200)
            .map(|i| {
                format!(
                    "2024-01-01 {:02}:{:02}:00,1.{i},2,1,1.5,{i}",
                    i / 60,
                    i % 60
                )
            })
            .collect();
        let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
        let text = with_rows(&rows);
        let want = general(text.as_bytes()).unwrap();
        for threads in 1..=4 {
            // A buffer shorter than a line must grow.
            for buffer in [1, 7, 64, 1000, 1 << 20] {
                let got = load_file(text.as_bytes(), threads, buffer);
                assert_eq!(
                    got.as_ref(),
                    Some(&want),
                    "{threads} threads, {buffer} bytes"
                );
                let trimmed = text.trim_end().as_bytes();
                assert_eq!(load_file(trimmed, threads, buffer).as_ref(), Some(&want));
            }
            let backwards = text.replacen("2024-01-01 03:19:00", "2024-01-01 00:00:30", 1);
            assert_eq!(load_file(backwards.as_bytes(), threads, 64), None);
            let quoted = text.replacen(",2,", ",\"2\",", 1);
            assert_eq!(load_file(quoted.as_bytes(), threads, 64), None);
        }
    }

    #[test]
    fn loading_a_file_agrees_with_the_general_reader() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        write!(
            file,
            "{}",
            with_rows(&["2024-01-02,1,2,1,1.5,10", "2024-01-01,1,2,1,1.5,10"])
        )
        .unwrap();
        let err = crate::bars::load_csv(file.path()).unwrap_err();
        assert!(matches!(err, BarsError::Row { line: 3, .. }), "{err}");
        let missing = crate::bars::load_csv(Path::new("/nonexistent/bars.csv")).unwrap_err();
        assert!(matches!(missing, BarsError::Io { .. }), "{missing}");
    }

    /// A random CSV: columns in any order and case, some extra, timestamps
    /// and decimals in many forms, sometimes quotes, CRLF or a damaged byte.
    fn csv_text() -> impl Strategy<Value = Vec<u8>> {
        let row = (
            1u64..200_000,
            proptest::collection::vec((0u64..10_000_000, 0u32..7), 5),
            0usize..5,
        );
        (
            Just(()).prop_perturb(|_, mut rng| {
                let mut order: Vec<usize> = (0..7).collect();
                for i in (1..order.len()).rev() {
                    order.swap(i, rng.random_range(0..=i));
                }
                order
            }),
            0usize..6,
            any::<bool>(),
            proptest::collection::vec(row, 0..40),
            0u32..12,
            any::<(usize, u8)>(),
            any::<bool>(),
        )
            .prop_map(|(order, alias, extra, rows, twist, (at, byte), upper)| {
                let names = [
                    ["timestamp", "date", "datetime", "time", "", "Timestamp"][alias],
                    if upper { "OPEN" } else { "Open" },
                    "high",
                    "Low",
                    "close",
                    "Volume",
                    "note",
                ];
                let mut columns: Vec<usize> =
                    order.iter().copied().filter(|&c| extra || c != 6).collect();
                if names[0].is_empty() {
                    // An unnamed timestamp column must come first.
                    columns.retain(|&c| c != 0);
                    columns.insert(0, 0);
                }
                let mut text = String::new();
                let header: Vec<&str> = columns.iter().map(|&c| names[c]).collect();
                text.push_str(&header.join(","));
                text.push('\n');
                let mut ts = 1_577_836_800u64;
                for (step, values, form) in rows {
                    ts += step;
                    if form == 2 {
                        ts = (ts / 86_400 + 1) * 86_400; // a bare date is midnight
                    }
                    let t = DateTime::from_timestamp(ts as i64, 0).unwrap();
                    let stamp = match form {
                        0 => t.format("%Y-%m-%d %H:%M:%S").to_string(),
                        1 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                        2 => t.format("%Y-%m-%d").to_string(),
                        3 => ts.to_string(),
                        _ => t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
                    };
                    let mut prices: Vec<String> = values
                        .iter()
                        .map(|&(m, scale)| Decimal::new(m as i64, scale).to_string())
                        .collect();
                    // Low, open, close, high in order, mostly.
                    prices[..4].sort_by_key(|p| Decimal::from_str(p).unwrap());
                    let fields = [
                        stamp,
                        prices[1].clone(),
                        prices[3].clone(),
                        prices[0].clone(),
                        prices[2].clone(),
                        prices[4].clone(),
                        format!("n{step}"),
                    ];
                    let row: Vec<&str> = columns.iter().map(|&c| fields[c].as_str()).collect();
                    text.push_str(&row.join(","));
                    text.push('\n');
                }
                match twist {
                    0 => text = text.replace('\n', "\r\n"),
                    1 => text = text.replacen(',', ",\"", 1).replacen(',', "\",", 2),
                    2 => {
                        text.pop();
                    }
                    3 => text = text.replace(".", ".0"),
                    _ => {}
                }
                let mut bytes = text.into_bytes();
                if twist == 4 && !bytes.is_empty() {
                    let at = at % bytes.len();
                    bytes[at] = b"-,.:0Ze \n\xff"[usize::from(byte) % 10];
                }
                bytes
            })
    }

    proptest! {
        #[test]
        fn fast_path_gives_exactly_the_general_readers_answer(text in csv_text()) {
            let want = general(&text);
            prop_assert_eq!(parse_csv(&text).map(|b| exact(&b)), want.clone());
            for threads in 1..=3 {
                if let Some(got) = parse_in(&text, threads) {
                    prop_assert_eq!(Ok(exact(&got)), want.clone());
                }
                if let Some(got) = load_file(&text, threads, 16) {
                    prop_assert_eq!(Ok(got), want.clone());
                }
            }
        }
    }
}
