-- 0005: the waiting line as its own index. A customer's place is counted
-- on every handoff and position notice; with the line in one index the
-- count reads index entries only, never the tickets themselves (agent and
-- status are in it for that; the rowid id always is).

CREATE INDEX tickets_waiting ON tickets (queued_at, agent, status)
    WHERE queued_at > 0 AND agent = '' AND status <> 'resolvido';
