-- 0013: fills found by their order. A live broker's report is settled
-- against the fees its order's fills have paid so far; without an index
-- that read walked every fill ever recorded. Paper fills reach this table
-- from the order journal, off the order's own path, so the extra index
-- page costs no order any time.
CREATE INDEX trading_fills_by_order ON trading_fills (order_id);
