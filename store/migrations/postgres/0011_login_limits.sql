-- 0011 on PostgreSQL: as ../0011_login_limits.sql, with BIGINT integers.

CREATE TABLE login_limits (
    account    TEXT   NOT NULL DEFAULT '',
    addr       TEXT   NOT NULL,
    fails      BIGINT NOT NULL DEFAULT 0,
    since      BIGINT NOT NULL DEFAULT 0,
    next_at    BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (account, addr)
);
CREATE INDEX login_limits_addr ON login_limits (addr);
CREATE INDEX login_limits_updated ON login_limits (updated_at);
