-- 0007: trading through a real broker. Which broker the profile trades
-- through (its keys live in the OS keychain, never here), and for each
-- order the venue it went to and the broker's own id.

CREATE TABLE trading_broker (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    kind      TEXT NOT NULL CHECK (kind IN ('paper', 'alpaca', 'binance')),
    -- Endpoints; the broker's public paper/testnet URLs unless changed.
    base_url  TEXT,
    data_url  TEXT,
    -- The last four characters of the key id, to show which key is stored.
    key_hint  TEXT,
    updated_at TEXT NOT NULL
) STRICT;

-- 'paper' for every order placed before this migration.
ALTER TABLE trading_orders ADD COLUMN venue TEXT NOT NULL DEFAULT 'paper';
-- NULL until the broker has acknowledged the order.
ALTER TABLE trading_orders ADD COLUMN broker_order_id TEXT;

-- Newest-first listings use rowid order (orders are inserted in time
-- order); one index fewer to write on the order path.
DROP INDEX trading_orders_by_time;
