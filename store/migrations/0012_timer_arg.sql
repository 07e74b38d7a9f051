-- 0012: a timer may carry one value for what it does when due: the
-- resolve timer of a ticket's undo window holds who resolved it.

ALTER TABLE timers ADD COLUMN arg TEXT NOT NULL DEFAULT '';
