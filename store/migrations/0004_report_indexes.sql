-- 0004: indexes for the managers' report (suporte report, the dashboard):
-- tickets by creation time, and the queue-entry marks in transcripts; and
-- the bot's lines of a ticket, which transcripts read from the outbox.

CREATE INDEX tickets_created ON tickets (created_at);
CREATE INDEX ticket_events_queue ON ticket_events (ticket, at)
    WHERE kind = 'system' AND text = 'cliente entrou na fila de atendimento';
CREATE INDEX outbox_ticket ON outbox (ticket, id);
