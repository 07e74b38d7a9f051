-- 0018 on PostgreSQL: an update writes the row's new version, and when it
-- fits on the same page and changes no indexed column (a HOT update) no
-- index is written. A turn updates the chat's conversation and its
-- ticket's activity time; on pages filled by inserts, most of those
-- updates moved the row to another page and wrote every index entry
-- again. Pages written from now on keep a share free for those versions.

ALTER TABLE conversations SET (fillfactor = 70);
ALTER TABLE tickets SET (fillfactor = 70);
ALTER TABLE customers SET (fillfactor = 80);
