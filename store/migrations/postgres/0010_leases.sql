-- 0010 on PostgreSQL: as ../0009_leases.sql, with BIGINT integers.

CREATE TABLE leases (
    line         TEXT   NOT NULL PRIMARY KEY,
    holder       TEXT   NOT NULL DEFAULT '',
    token        BIGINT NOT NULL DEFAULT 0,
    expires_at   BIGINT NOT NULL DEFAULT 0,
    acquired_at  BIGINT NOT NULL DEFAULT 0,
    renewed_at   BIGINT NOT NULL DEFAULT 0
);
