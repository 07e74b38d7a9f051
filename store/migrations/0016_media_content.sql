-- 0016: media files kept in the database itself, for stores several
-- processes share (PostgreSQL): a file downloaded or uploaded on one is
-- served and sent by any other, with no shared folder. One row per file,
-- named by its SHA-256 like the files under data/media, and its content
-- in chunks of 1 MiB, each with its own SHA-256 so a read checks what it
-- reads. complete turns 1 once every chunk is in: only then may a media
-- row name the file. A SQLite store keeps its files in data/media and
-- leaves these tables empty.

CREATE TABLE media_content (
    sha256      TEXT    PRIMARY KEY,
    bytes       INTEGER NOT NULL,
    chunks      INTEGER NOT NULL,
    complete    INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
    created_at  INTEGER NOT NULL DEFAULT 0    -- written or last found there: a sweep spares it a while
);

CREATE TABLE media_chunks (
    sha256  TEXT    NOT NULL REFERENCES media_content (sha256) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,                 -- 0, 1, ...: the chunk's place in the file
    sum     TEXT    NOT NULL,                 -- hex SHA-256 of data
    data    BLOB    NOT NULL,
    PRIMARY KEY (sha256, seq)
);
