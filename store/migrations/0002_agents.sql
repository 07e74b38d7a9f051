-- 0002: agents and their sessions, and what the human queue and the
-- console need on tickets.

CREATE TABLE agents (
    id             INTEGER PRIMARY KEY,
    email          TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name           TEXT    NOT NULL,
    role           TEXT    NOT NULL CHECK (role IN ('agent', 'supervisor', 'editor')),
    password_hash  TEXT    NOT NULL,
    max_chats      INTEGER NOT NULL DEFAULT 5 CHECK (max_chats > 0),
    disabled       INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at     INTEGER NOT NULL DEFAULT 0,
    updated_at     INTEGER NOT NULL DEFAULT 0
);

-- Sessions store a hash of the token, never the token itself.
CREATE TABLE sessions (
    token_hash    TEXT    NOT NULL PRIMARY KEY,
    agent         INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL DEFAULT 0,
    expires_at    INTEGER NOT NULL DEFAULT 0,
    last_seen_at  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_agent ON sessions (agent);

ALTER TABLE tickets ADD COLUMN claimed_at         INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN first_response_at  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN escalated_at       INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN escalation_due     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN queue_notified_at  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN queue_notified_pos INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tickets_agent ON tickets (agent, status) WHERE agent <> '';
CREATE INDEX tickets_claimed ON tickets (claimed_at) WHERE claimed_at > 0;

-- The ticket a customer is looking at in "Meus chamados".
ALTER TABLE conversations ADD COLUMN subject INTEGER NOT NULL DEFAULT 0;
