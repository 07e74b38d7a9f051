-- 0015: several WhatsApp lines (numbers) may share one store. Every row of
-- a chat says which line it came through: the line's number, its digits
-- (store.Line). A customer writing to two lines has two conversations,
-- each with its own tickets, messages and timers; the customer (the
-- person) is one. ticket_events, feedback and search_terms reach their
-- line through their ticket.
--
-- Rows stored before this migration have line '': the first line that
-- starts on the store adopts them (Tx.StartLine), once, and the lines
-- table records every line that ever started here.
--
-- SQLite cannot change a table's key or unique constraint in place:
-- conversations, inbox and timers are rebuilt with the same columns and
-- line last (as PostgreSQL's ADD COLUMN puts it).

CREATE TABLE lines (
    line        TEXT    NOT NULL PRIMARY KEY,
    started_at  INTEGER NOT NULL DEFAULT 0   -- its first start on this store
);

CREATE TABLE conversations_new (
    chat          TEXT    NOT NULL,
    state         TEXT    NOT NULL DEFAULT '',
    node          TEXT    NOT NULL DEFAULT '',
    path          TEXT    NOT NULL DEFAULT '[]',
    ticket        INTEGER NOT NULL DEFAULT 0,
    attempts      INTEGER NOT NULL DEFAULT 0,
    intent        TEXT    NOT NULL DEFAULT '',
    flow_version  TEXT    NOT NULL DEFAULT '',
    started_at    INTEGER NOT NULL DEFAULT 0,
    updated_at    INTEGER NOT NULL DEFAULT 0,
    paused_until  INTEGER NOT NULL DEFAULT 0,
    subject       INTEGER NOT NULL DEFAULT 0,
    line          TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (chat, line)
);
INSERT INTO conversations_new (chat, state, node, path, ticket, attempts, intent, flow_version, started_at, updated_at, paused_until, subject)
SELECT chat, state, node, path, ticket, attempts, intent, flow_version, started_at, updated_at, paused_until, subject FROM conversations;
DROP TABLE conversations;
ALTER TABLE conversations_new RENAME TO conversations;

CREATE TABLE inbox_new (
    id           INTEGER PRIMARY KEY,
    chat         TEXT    NOT NULL,
    msg_id       TEXT,
    kind         TEXT    NOT NULL DEFAULT '',
    text         TEXT    NOT NULL DEFAULT '',
    sent_at      INTEGER NOT NULL DEFAULT 0,
    received_at  INTEGER NOT NULL DEFAULT 0,
    push_name    TEXT    NOT NULL DEFAULT '',
    phone        TEXT    NOT NULL DEFAULT '',
    done         INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
    handled_at   INTEGER NOT NULL DEFAULT 0,
    line         TEXT    NOT NULL DEFAULT '',
    UNIQUE (chat, line, msg_id)
);
INSERT INTO inbox_new (id, chat, msg_id, kind, text, sent_at, received_at, push_name, phone, done, handled_at)
SELECT id, chat, msg_id, kind, text, sent_at, received_at, push_name, phone, done, handled_at FROM inbox;
DROP TABLE inbox;
ALTER TABLE inbox_new RENAME TO inbox;
CREATE INDEX inbox_chat ON inbox (line, chat, id);
CREATE INDEX inbox_pending ON inbox (line, chat, id) WHERE done = 0;

CREATE TABLE timers_new (
    chat  TEXT    NOT NULL,
    kind  TEXT    NOT NULL,
    due   INTEGER NOT NULL,
    arg   TEXT    NOT NULL DEFAULT '',
    line  TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (chat, line, kind)
);
INSERT INTO timers_new (chat, kind, due, arg) SELECT chat, kind, due, arg FROM timers;
DROP TABLE timers;
ALTER TABLE timers_new RENAME TO timers;
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
