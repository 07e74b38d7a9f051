-- 0010: who drives each WhatsApp line. Several processes may share one
-- PostgreSQL store; for each line (its number) one holds the lease and
-- drives the WhatsApp session and the sender, renewing it well before it
-- expires; the others stand by. token grows at every new holder: the
-- fence every send checks. Times are on the database's clock.

CREATE TABLE leases (
    line         TEXT    NOT NULL PRIMARY KEY,
    holder       TEXT    NOT NULL DEFAULT '',
    token        INTEGER NOT NULL DEFAULT 0,
    expires_at   INTEGER NOT NULL DEFAULT 0,
    acquired_at  INTEGER NOT NULL DEFAULT 0,
    renewed_at   INTEGER NOT NULL DEFAULT 0
);
