-- 0006: the inbox indexes follow the two questions the hot path asks of a
-- chat. Input still to handle gets its own partial index: most messages
-- are stored already handled and never enter it. The chat's messages by id
-- answer "its latest N" (flood counting, history) without reading its
-- whole history, which the old (chat, done, id) index could not.

CREATE INDEX inbox_chat ON inbox (chat, id);
CREATE INDEX inbox_pending ON inbox (chat, id) WHERE done = 0;
DROP INDEX inbox_chat_done;
