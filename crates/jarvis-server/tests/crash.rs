//! kill -9 on the order path: jarvisd is killed while orders stream in,
//! restarted, and killed again. After each kill nothing acknowledged is
//! lost, nothing is filled twice, settlement matches the fills, and the
//! audit chain verifies.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rust_decimal::Decimal;

const BIN: &str = env!("CARGO_BIN_EXE_jarvisd");

fn start(dir: &Path) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--secrets", "env", "--data-dir"])
        .arg(dir)
        .env("JARVIS_SECRET_OWNER_TOKEN", "crash-test-token")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on http://")
        .expect(&line)
        .to_owned();
    (child, url)
}

fn post(addr: &str, path: &str, body: &str) -> Option<u16> {
    send(addr, "POST", path, body)
}

/// One HTTP request; the status code, or None when the server is gone.
fn send(addr: &str, method: &str, path: &str, body: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer crash-test-token\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split_whitespace().nth(1)?.parse().ok()
}

fn replay(addr: &str) {
    let mut csv = String::from("timestamp,Open,High,Low,Close,Volume\n");
    for i in 0..50 {
        csv.push_str(&format!(
            "2024-01-01T00:{i:02}:00Z,100,101,99,{}.{:02},0\n",
            100 + i % 3,
            i
        ));
    }
    let body = serde_json::json!({"symbol": "AAPL", "csv": csv, "speed": 0.0}).to_string();
    assert_eq!(post(addr, "/api/v1/market/replays", &body), Some(201));
    std::thread::sleep(Duration::from_millis(300));
}

fn dec(text: String) -> Decimal {
    Decimal::from_str(&text).unwrap()
}

#[test]
fn kill_9_mid_order_loses_nothing_acknowledged_and_trades_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    for round in 0..3 {
        let (mut child, addr) = start(dir.path());
        let limits = r#"{"max_position_value":"1000000","max_order_value":"100000","max_open_orders":20,
            "max_orders_per_minute":1000000,"daily_loss_limit":"100000"}"#;
        assert_eq!(send(&addr, "PUT", "/api/v1/risk/limits", limits), Some(200));
        replay(&addr);
        let stop = Arc::new(AtomicBool::new(false));
        let sender = {
            let (addr, stop, acknowledged) = (addr.clone(), stop.clone(), acknowledged.clone());
            std::thread::spawn(move || {
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let id = format!("r{round}-{i}");
                    let side = if i % 2 == 0 { "buy" } else { "sell" };
                    let body = format!(
                        r#"{{"symbol":"AAPL","side":"{side}","qty":"1","type":"market","client_order_id":"{id}"}}"#
                    );
                    match post(&addr, "/api/v1/orders", &body) {
                        Some(201) => acknowledged.lock().unwrap().push(id),
                        Some(status) => panic!("order {id} refused with {status}"),
                        None => break, // killed
                    }
                }
            })
        };
        std::thread::sleep(Duration::from_millis(150 + round * 120));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        sender.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 10,
        "only {} orders went through",
        acknowledged.len()
    );

    // The chain verifies.
    let verify = Command::new(BIN)
        .args(["audit", "verify", "--secrets", "env", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );

    let conn = rusqlite::Connection::open(dir.path().join("jarvis.db")).unwrap();
    // Every acknowledged order is there, filled exactly once.
    for id in &acknowledged {
        let (state, fills): (String, i64) = conn
            .query_row(
                "SELECT o.state, (SELECT count(*) FROM trading_fills f WHERE f.order_id = o.id)
                 FROM trading_orders o WHERE o.client_order_id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap_or_else(|e| panic!("acknowledged order {id} is missing: {e}"));
        assert_eq!((state.as_str(), fills), ("filled", 1), "{id}");
    }
    // Settlement agrees with the fills, to the cent.
    let mut stmt = conn
        .prepare("SELECT side, qty, price, fee FROM trading_fills")
        .unwrap();
    let fills: Vec<(String, Decimal, Decimal, Decimal)> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, dec(r.get(1)?), dec(r.get(2)?), dec(r.get(3)?)))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let (mut position, mut cash) = (Decimal::ZERO, Decimal::from(100_000));
    for (side, qty, price, fee) in &fills {
        let sign = if side == "buy" {
            Decimal::ONE
        } else {
            Decimal::NEGATIVE_ONE
        };
        position += sign * qty;
        cash -= sign * qty * price + fee;
    }
    let held: String = conn
        .query_row(
            "SELECT qty FROM trading_holdings WHERE symbol = 'AAPL'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let stored_cash: String = conn
        .query_row("SELECT cash FROM trading_account", [], |r| r.get(0))
        .unwrap();
    assert_eq!(dec(held), position);
    assert_eq!(dec(stored_cash), cash);
    drop(stmt);
    drop(conn);

    // Resending an acknowledged order after the restart trades nothing.
    let (mut child, addr) = start(dir.path());
    let first = &acknowledged[0];
    let body = format!(
        r#"{{"symbol":"AAPL","side":"buy","qty":"1","type":"market","client_order_id":"{first}"}}"#
    );
    assert_eq!(post(&addr, "/api/v1/orders", &body), Some(201));
    child.kill().unwrap();
    child.wait().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("jarvis.db")).unwrap();
    let count: i64 = conn
        .query_row("SELECT count(*) FROM trading_fills", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count as usize, fills.len());
}
