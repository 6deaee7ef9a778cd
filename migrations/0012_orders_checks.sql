-- 0012: trading_orders rebuilt with the same columns, rows and rules, its
-- CHECKs written as OR chains. SQLite evaluates an IN list of more than two
-- constants through a temporary table built for every statement, and
-- `state` and `source` are checked on every order write: three temporary
-- tables per order, each a pager opened and closed.
-- Runs with foreign keys off (the database turns them on after migrating),
-- so trading_fills keeps referring to the rebuilt table by name.

CREATE TABLE trading_orders_rebuilt (
    id               TEXT PRIMARY KEY NOT NULL,
    client_order_id  TEXT NOT NULL UNIQUE,
    symbol           TEXT NOT NULL,
    side             TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    order_type       TEXT NOT NULL CHECK (order_type IN ('market', 'limit')),
    qty              TEXT NOT NULL,
    limit_price      TEXT,
    filled_qty       TEXT NOT NULL,
    avg_fill_price   TEXT,
    state            TEXT NOT NULL CHECK (state = 'accepted' OR state = 'partially_filled'
                         OR state = 'filled' OR state = 'cancelled' OR state = 'rejected'),
    reason           TEXT,
    source           TEXT NOT NULL CHECK (source = 'ui' OR source = 'api'
                         OR source = 'voice' OR source = 'strategy'),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    venue            TEXT NOT NULL DEFAULT 'paper',
    broker_order_id  TEXT
) STRICT;

-- rowid kept: newest-first listings read the table in rowid order.
INSERT INTO trading_orders_rebuilt (rowid, id, client_order_id, symbol, side, order_type, qty,
    limit_price, filled_qty, avg_fill_price, state, reason, source, created_at, updated_at,
    venue, broker_order_id)
SELECT rowid, id, client_order_id, symbol, side, order_type, qty,
    limit_price, filled_qty, avg_fill_price, state, reason, source, created_at, updated_at,
    venue, broker_order_id
FROM trading_orders;

DROP TABLE trading_orders;
ALTER TABLE trading_orders_rebuilt RENAME TO trading_orders;

CREATE INDEX trading_orders_open ON trading_orders (state) WHERE state IN ('accepted', 'partially_filled');
