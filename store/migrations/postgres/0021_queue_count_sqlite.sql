-- 0021 on PostgreSQL: nothing to do; its triggers keep the queue's size
-- since 0020 (migrations/0021_queue_count_sqlite.sql is SQLite's).
SELECT 1;
