-- 0013: the editors' report of what customers wrote that the bot did not
-- understand reads these lines (kind 'unmatched', store.EventUnmatched)
-- by time; few lines are of that kind, so a partial index keeps it off
-- the rest of the history.

CREATE INDEX ticket_events_unmatched ON ticket_events (at) WHERE kind = 'unmatched';
