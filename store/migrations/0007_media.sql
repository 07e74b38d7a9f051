-- 0007: files customers send and the service sends. A customer's file is
-- recorded with its message (the inbox row) before WhatsApp is acked, with
-- what is needed to download it again (ref, the transport's own); the file
-- itself lands later under data/media, named by its SHA-256, and the row
-- then says stored. Rows with an empty chat are the flows' attachments.

CREATE TABLE media (
    id            INTEGER PRIMARY KEY,
    chat          TEXT    NOT NULL DEFAULT '',
    inbox         INTEGER NOT NULL DEFAULT 0,    -- the customer message that brought it; 0 if sent by us
    direction     TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
    kind          TEXT    NOT NULL,              -- image, video, audio, sticker, document, location, contact
    name          TEXT    NOT NULL DEFAULT '',   -- file name (cleaned), contact or place name
    mime          TEXT    NOT NULL DEFAULT '',   -- the type its sender declared
    content_type  TEXT    NOT NULL DEFAULT '',   -- the type sniffed from its bytes: what is served
    bytes         INTEGER NOT NULL DEFAULT 0,    -- declared, then actual once stored
    sha256        TEXT    NOT NULL DEFAULT '',   -- hex; the file's name under data/media once stored
    caption       TEXT    NOT NULL DEFAULT '',   -- caption, address, or a contact's numbers
    duration_ms   INTEGER NOT NULL DEFAULT 0,
    voice         INTEGER NOT NULL DEFAULT 0 CHECK (voice IN (0, 1)),
    lat_e6        INTEGER NOT NULL DEFAULT 0,    -- location in microdegrees
    lng_e6        INTEGER NOT NULL DEFAULT 0,
    ref           BLOB,                          -- the transport's reference to download it (again)
    state         TEXT    NOT NULL CHECK (state IN ('pending', 'stored', 'failed')),
    problem       TEXT    NOT NULL DEFAULT '',   -- why it failed, or what is odd about a stored file
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_try      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL DEFAULT 0,
    stored_at     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX media_inbox ON media (inbox) WHERE inbox <> 0;
CREATE INDEX media_chat ON media (chat, id);
CREATE INDEX media_pending ON media (next_try, id) WHERE state = 'pending';
CREATE INDEX media_sha256 ON media (sha256) WHERE sha256 <> '';

-- Which transcript line and which outgoing message show a file.
ALTER TABLE ticket_events ADD COLUMN media INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN media INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ticket_events_media ON ticket_events (media) WHERE media <> 0;
CREATE INDEX outbox_media ON outbox (media) WHERE media <> 0;
