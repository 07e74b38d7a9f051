-- 0020: the number of tickets waiting in the queue, kept on PostgreSQL
-- (postgres/0020_queue_counts.sql) by a trigger, one row per server
-- connection that changed it, so that a customer's place counts the
-- queue behind them, not the whole queue ahead. On SQLite the table
-- stays empty: its one writer counts the queue from its covering index.

CREATE TABLE queue_counts (
    backend  INTEGER NOT NULL PRIMARY KEY,
    n        INTEGER NOT NULL
);
