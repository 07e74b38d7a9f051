-- 0015 on PostgreSQL: as ../0015_lines.sql, which says why. PostgreSQL
-- changes keys in place: no table is rebuilt.

CREATE TABLE lines (
    line        TEXT   NOT NULL PRIMARY KEY,
    started_at  BIGINT NOT NULL DEFAULT 0
);

ALTER TABLE conversations ADD COLUMN line TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations DROP CONSTRAINT conversations_pkey;
ALTER TABLE conversations ADD PRIMARY KEY (chat, line);

ALTER TABLE inbox ADD COLUMN line TEXT NOT NULL DEFAULT '';
ALTER TABLE inbox DROP CONSTRAINT inbox_chat_msg_id_key;
ALTER TABLE inbox ADD CONSTRAINT inbox_chat_line_msg_id_key UNIQUE (chat, line, msg_id);
DROP INDEX inbox_chat;
DROP INDEX inbox_pending;
CREATE INDEX inbox_chat ON inbox (line, chat, id);
CREATE INDEX inbox_pending ON inbox (line, chat, id) WHERE done = 0;

ALTER TABLE timers ADD COLUMN line TEXT NOT NULL DEFAULT '';
ALTER TABLE timers DROP CONSTRAINT timers_pkey;
ALTER TABLE timers ADD PRIMARY KEY (chat, line, kind);
DROP INDEX timers_due;
CREATE INDEX timers_due ON timers (line, due, chat, kind);

ALTER TABLE outbox ADD COLUMN line TEXT NOT NULL DEFAULT '';
DROP INDEX outbox_chat;
DROP INDEX outbox_unsent;
CREATE INDEX outbox_chat ON outbox (line, chat, id);
CREATE INDEX outbox_unsent ON outbox (line, chat, id) WHERE sent_at = 0;

ALTER TABLE tickets ADD COLUMN line TEXT NOT NULL DEFAULT '';
CREATE INDEX tickets_line ON tickets (line, id);

ALTER TABLE media ADD COLUMN line TEXT NOT NULL DEFAULT '';
DROP INDEX media_pending;
CREATE INDEX media_pending ON media (line, next_try, id) WHERE state = 'pending';
