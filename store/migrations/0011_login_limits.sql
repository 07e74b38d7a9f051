-- 0011: failed console logins, kept in the store so every console on the
-- database slows the same guesser. One row per account tried from a client
-- address, and one per address alone (account '').

CREATE TABLE login_limits (
    account    TEXT    NOT NULL DEFAULT '',  -- the e-mail tried, normalized; '' for the address's own count
    addr       TEXT    NOT NULL,             -- the client address (an IPv6 /64)
    fails      INTEGER NOT NULL DEFAULT 0,   -- failures counted since since
    since      INTEGER NOT NULL DEFAULT 0,
    next_at    INTEGER NOT NULL DEFAULT 0,   -- no attempt before this
    updated_at INTEGER NOT NULL DEFAULT 0,   -- the last failure
    PRIMARY KEY (account, addr)
);
CREATE INDEX login_limits_addr ON login_limits (addr);
CREATE INDEX login_limits_updated ON login_limits (updated_at);
