-- 0016 on PostgreSQL: as ../0016_media_content.sql, with BIGINT integers
-- and BYTEA content.

CREATE TABLE media_content (
    sha256      TEXT   PRIMARY KEY,
    bytes       BIGINT NOT NULL,
    chunks      BIGINT NOT NULL,
    complete    BIGINT NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
    created_at  BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE media_chunks (
    sha256  TEXT   NOT NULL REFERENCES media_content (sha256) ON DELETE CASCADE,
    seq     BIGINT NOT NULL,
    sum     TEXT   NOT NULL,
    data    BYTEA  NOT NULL,
    PRIMARY KEY (sha256, seq)
);

-- Images, audio and video are compressed already: store chunks as they
-- are, without a compression attempt on every write.
ALTER TABLE media_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
