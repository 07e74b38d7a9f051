-- 0017: a live event names the WhatsApp line of its ticket, so consoles
-- on a store of several lines tell which number a change came through.

ALTER TABLE events ADD COLUMN line TEXT NOT NULL DEFAULT '';
