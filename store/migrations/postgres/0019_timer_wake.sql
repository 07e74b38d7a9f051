-- 0019 on PostgreSQL: as ../0019_timer_wake.sql, with a BIGINT wake. A
-- timer moved later then changes no indexed column: a HOT update, which
-- writes no index entry, when its page has room for the row's new
-- version, so pages written from now on keep half of it free.

ALTER TABLE timers ADD COLUMN wake BIGINT NOT NULL DEFAULT 0;
UPDATE timers SET wake = due;
DROP INDEX timers_due;
CREATE INDEX timers_wake ON timers (line, wake, chat, kind);
ALTER TABLE timers SET (fillfactor = 50);
