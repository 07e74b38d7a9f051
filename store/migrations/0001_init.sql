-- 0001: initial schema.
-- Plain SQL: times are INTEGER unix milliseconds UTC (0 = unset), lists are
-- JSON text. For PostgreSQL, AUTOINCREMENT keys become identity columns and
-- the sqlite_sequence seed becomes a sequence restart.

CREATE TABLE customers (
    chat        TEXT    NOT NULL PRIMARY KEY,
    phone       TEXT    NOT NULL DEFAULT '',
    name        TEXT    NOT NULL DEFAULT '',
    id_suporte  TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE conversations (
    chat          TEXT    NOT NULL PRIMARY KEY,
    state         TEXT    NOT NULL DEFAULT '',
    node          TEXT    NOT NULL DEFAULT '',
    path          TEXT    NOT NULL DEFAULT '[]', -- JSON array of node ids
    ticket        INTEGER NOT NULL DEFAULT 0,    -- 0 = none
    attempts      INTEGER NOT NULL DEFAULT 0,
    intent        TEXT    NOT NULL DEFAULT '',
    flow_version  TEXT    NOT NULL DEFAULT '',
    started_at    INTEGER NOT NULL DEFAULT 0,
    updated_at    INTEGER NOT NULL DEFAULT 0,
    paused_until  INTEGER NOT NULL DEFAULT 0     -- a person answered from the phone: bot silent until then
);

CREATE TABLE inbox (
    id           INTEGER PRIMARY KEY,
    chat         TEXT    NOT NULL,
    msg_id       TEXT,                        -- NULL when the transport gave none
    kind         TEXT    NOT NULL DEFAULT '',
    text         TEXT    NOT NULL DEFAULT '',
    sent_at      INTEGER NOT NULL DEFAULT 0,
    received_at  INTEGER NOT NULL DEFAULT 0,
    push_name    TEXT    NOT NULL DEFAULT '',
    phone        TEXT    NOT NULL DEFAULT '',
    done         INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
    handled_at   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (chat, msg_id)
);
CREATE INDEX inbox_chat_done ON inbox (chat, done, id);

-- Outbox ids order sending. Rows are never deleted, so a plain rowid key is
-- monotonic and saves AUTOINCREMENT's extra page write on the hot path.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    chat        TEXT    NOT NULL,
    ticket      INTEGER NOT NULL DEFAULT 0,
    text        TEXT    NOT NULL DEFAULT '',
    options     TEXT,                          -- JSON array of {key, label}; NULL if none
    author      TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL DEFAULT 0,
    wa_id       TEXT    NOT NULL DEFAULT '',
    poll_id     TEXT    NOT NULL DEFAULT '',       -- the poll sent with it, if any
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_try    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    sent_at     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_chat ON outbox (chat, id);
CREATE INDEX outbox_unsent ON outbox (chat, id) WHERE sent_at = 0;
CREATE INDEX outbox_wa_id ON outbox (wa_id) WHERE wa_id <> '';
CREATE INDEX outbox_poll_id ON outbox (poll_id) WHERE poll_id <> '';

CREATE TABLE tickets (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    chat              TEXT    NOT NULL,
    requester         TEXT    NOT NULL DEFAULT '',
    id_suporte        TEXT    NOT NULL DEFAULT '',
    topic             TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL
        CHECK (status IN ('aberto', 'aguardando_resposta', 'resolvido')),
    queued_at         INTEGER NOT NULL DEFAULT 0,
    agent             TEXT    NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL DEFAULT 0,
    last_activity_at  INTEGER NOT NULL DEFAULT 0,
    closed_at         INTEGER NOT NULL DEFAULT 0,
    close_reason      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX tickets_chat ON tickets (chat, id);
CREATE INDEX tickets_status ON tickets (status, id);
CREATE INDEX tickets_queued ON tickets (queued_at, id) WHERE queued_at > 0;
-- Protocol numbers start at 100001.
INSERT INTO sqlite_sequence (name, seq) VALUES ('tickets', 100000);

CREATE TABLE ticket_events (
    id      INTEGER PRIMARY KEY,
    ticket  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    at      INTEGER NOT NULL DEFAULT 0,
    kind    TEXT    NOT NULL DEFAULT '',
    actor   TEXT    NOT NULL DEFAULT '',
    text    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket, id);

CREATE TABLE feedback (
    ticket   INTEGER NOT NULL PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    chat     TEXT    NOT NULL DEFAULT '',
    rating   INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment  TEXT    NOT NULL DEFAULT '',
    agent    TEXT    NOT NULL DEFAULT '',
    topic    TEXT    NOT NULL DEFAULT '',
    at       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE timers (
    chat  TEXT    NOT NULL,
    kind  TEXT    NOT NULL,
    due   INTEGER NOT NULL,
    PRIMARY KEY (chat, kind)
);
CREATE INDEX timers_due ON timers (due, chat, kind);
