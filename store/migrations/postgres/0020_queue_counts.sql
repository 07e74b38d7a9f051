-- 0020 on PostgreSQL: the number of tickets waiting in the queue (the
-- condition of tickets_waiting) is the sum of queue_counts' rows. A
-- trigger adds each change of a ticket's place in or out of the queue to
-- the row of the server process that made it, in the same transaction:
-- no two connections write the same row, so the count makes no writer
-- wait for another, and a snapshot sees the tickets and the sum agree.
-- A customer's place (QueueAhead) is then that sum less the waiting
-- tickets at or behind theirs: at a handoff the customer is last, so a
-- count of about one entry, where counting those ahead read the whole
-- queue. Rows of processes gone are folded into row 0 when a store
-- opens (foldQueueCounts).

CREATE TABLE queue_counts (
    backend  BIGINT NOT NULL PRIMARY KEY,
    n        BIGINT NOT NULL
);

-- Each handoff writes a new version of its process's row, and the sum
-- reads every version on the table's pages, the dead ones too, until a
-- page is pruned: PostgreSQL prunes a page it reads once its free space
-- is below the share the fillfactor keeps free, so with 10 it prunes at
-- nearly every read and the table stays a page of a few versions (at
-- the default, 4 pages of up to 800 versions, 0.3 to 0.5 ms a sum).
ALTER TABLE queue_counts SET (fillfactor = 10);

INSERT INTO queue_counts (backend, n)
SELECT 0, COUNT(*) FROM tickets WHERE queued_at > 0 AND agent = '' AND status <> 'resolvido';

CREATE FUNCTION queue_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d BIGINT := 0;
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.queued_at > 0 AND OLD.agent = '' AND OLD.status <> 'resolvido' THEN
        d := d - 1;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.queued_at > 0 AND NEW.agent = '' AND NEW.status <> 'resolvido' THEN
        d := d + 1;
    END IF;
    IF d <> 0 THEN
        INSERT INTO queue_counts (backend, n) VALUES (pg_backend_pid(), d)
        ON CONFLICT (backend) DO UPDATE SET n = queue_counts.n + excluded.n;
    END IF;
    RETURN NULL;
END
$$;

-- Each fires only when the ticket may move in or out of the queue: most
-- tickets are created out of it, and most updates (the activity time)
-- leave its place alone.
CREATE TRIGGER tickets_queue_count_insert AFTER INSERT ON tickets
FOR EACH ROW
WHEN (NEW.queued_at > 0 AND NEW.agent = '' AND NEW.status <> 'resolvido')
EXECUTE FUNCTION queue_count();

CREATE TRIGGER tickets_queue_count_delete AFTER DELETE ON tickets
FOR EACH ROW
WHEN (OLD.queued_at > 0 AND OLD.agent = '' AND OLD.status <> 'resolvido')
EXECUTE FUNCTION queue_count();

CREATE TRIGGER tickets_queue_count_update AFTER UPDATE OF queued_at, agent, status ON tickets
FOR EACH ROW
WHEN (OLD.queued_at IS DISTINCT FROM NEW.queued_at OR OLD.agent IS DISTINCT FROM NEW.agent
    OR OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION queue_count();
