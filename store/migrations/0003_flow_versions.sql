-- 0003: every flows.yaml version the service ran, with when and how it
-- was loaded, so a conversation's flow_version can be traced to its text.

CREATE TABLE flow_versions (
    id         INTEGER PRIMARY KEY,
    version    TEXT    NOT NULL,
    loaded_at  INTEGER NOT NULL DEFAULT 0,
    loaded_by  TEXT    NOT NULL DEFAULT '',
    content    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX flow_versions_version ON flow_versions (version, id);
