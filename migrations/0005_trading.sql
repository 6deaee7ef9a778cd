-- 0005: trading — orders, fills, holdings, the paper account, risk settings
-- and the hash-chained audit log. Money and quantities are decimal TEXT.

CREATE TABLE trading_account (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    starting_cash  TEXT NOT NULL,
    cash           TEXT NOT NULL,
    fees           TEXT NOT NULL,
    -- Kill switch: 1 blocks every new order until a person re-arms it.
    kill_switch    INTEGER NOT NULL DEFAULT 0 CHECK (kill_switch IN (0, 1)),
    -- RiskLimits as JSON.
    limits         TEXT NOT NULL,
    -- Equity at the start of the current UTC day, for the daily loss limit.
    day            TEXT NOT NULL,
    day_start_equity TEXT NOT NULL,
    -- The audit chain's newest entry, written with it: a verifier can tell
    -- that entries were cut off the end.
    audit_seq      INTEGER NOT NULL DEFAULT 0,
    audit_hash     TEXT NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000'
) STRICT;

CREATE TABLE trading_orders (
    id               TEXT PRIMARY KEY NOT NULL,
    client_order_id  TEXT NOT NULL UNIQUE,
    symbol           TEXT NOT NULL,
    side             TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    order_type       TEXT NOT NULL CHECK (order_type IN ('market', 'limit')),
    qty              TEXT NOT NULL,
    limit_price      TEXT,
    filled_qty       TEXT NOT NULL,
    avg_fill_price   TEXT,
    state            TEXT NOT NULL CHECK (state IN ('accepted', 'partially_filled', 'filled', 'cancelled', 'rejected')),
    reason           TEXT,
    source           TEXT NOT NULL CHECK (source IN ('ui', 'api', 'voice', 'strategy')),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
) STRICT;

CREATE INDEX trading_orders_by_time ON trading_orders (created_at DESC);
CREATE INDEX trading_orders_open ON trading_orders (state) WHERE state IN ('accepted', 'partially_filled');

CREATE TABLE trading_fills (
    id        INTEGER PRIMARY KEY,
    order_id  TEXT NOT NULL REFERENCES trading_orders (id),
    symbol    TEXT NOT NULL,
    side      TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    qty       TEXT NOT NULL,
    price     TEXT NOT NULL,
    fee       TEXT NOT NULL,
    time      TEXT NOT NULL
) STRICT;

CREATE TABLE trading_holdings (
    symbol        TEXT PRIMARY KEY NOT NULL,
    qty           TEXT NOT NULL,
    cost          TEXT NOT NULL,
    realized_pnl  TEXT NOT NULL
) STRICT;

CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    time       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    order_id   TEXT,
    payload    TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
) STRICT;
