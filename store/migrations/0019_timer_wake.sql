-- 0019: timers are found by their wake, when the timer loop must look at
-- them: the due time, or an earlier one. A turn that moves a timer later
-- (each customer message pushes the reminder back) leaves the wake as it
-- was, so it changes no indexed column; at the old wake the chat's
-- worker moves the wake up to the due time once.

ALTER TABLE timers ADD COLUMN wake INTEGER NOT NULL DEFAULT 0;
UPDATE timers SET wake = due;
DROP INDEX timers_due;
CREATE INDEX timers_wake ON timers (line, wake, chat, kind);
