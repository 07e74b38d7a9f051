-- 0008 on PostgreSQL: as ../0008_settings.sql, with a BIGINT time.

CREATE TABLE settings (
    name       TEXT   PRIMARY KEY,
    value      TEXT   NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL DEFAULT 0
);
