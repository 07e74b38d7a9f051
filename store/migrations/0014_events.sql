-- 0014: the console's live events, kept a day, for processes that share
-- a PostgreSQL store: each writes its events here and announces them
-- (NOTIFY), every console replica hears them, and a console that
-- reconnects catches up from the last id it saw (Last-Event-ID).
-- created_at is the database's clock, for pruning.

CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL DEFAULT 0,
    kind        TEXT    NOT NULL,
    ticket      INTEGER NOT NULL DEFAULT 0,
    chat        TEXT    NOT NULL DEFAULT '',
    agent       TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_created ON events (created_at);
