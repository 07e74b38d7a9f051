-- 0008: facts about this installation, one row each: the readiness
-- probe's heartbeat (a real write, so /readyz proves the disk takes one)
-- and, later, per-installation secrets.

CREATE TABLE settings (
    name       TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL DEFAULT 0
);
