-- 0022 on SQLite: nothing to do; its foreign keys cost a lookup in the
-- same process (migrations/postgres/0022_event_foreign_key.sql is
-- PostgreSQL's).
SELECT 1;
