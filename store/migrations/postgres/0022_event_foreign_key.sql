-- 0022 on PostgreSQL: a ticket event no longer checks its ticket by a
-- foreign key. The check ran a query locking the ticket's row for each
-- event, and most turns write one or two: with the turns' writes sharing
-- statements, about 4% of the server's CPU a message, for nothing a
-- feature reads. Events are written only under their chat's lock
-- (LockChat), which DeletePerson now takes too before reading what to
-- delete, so no event is left behind its ticket. Search terms and
-- feedback, written far less often, keep theirs.

ALTER TABLE ticket_events DROP CONSTRAINT ticket_events_ticket_fkey;
