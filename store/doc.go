// Package store persists everything the support bot knows: customers, the
// conversation state of each chat, the inbox of customer messages, the
// outbox of messages to send, tickets ("chamados") with their event
// history, feedback ratings and per-chat timers. It keeps them in one
// SQLite file (the embedded default) or in a PostgreSQL database
// (Open("postgres://...")), which several processes may share. Several
// WhatsApp lines may share it too: every chat's row carries its line
// (lines.go).
//
// # Two engines, one SQL
//
// Queries are written once, in SQL both engines run: plain ? placeholders
// (rewritten to $1, $2... for PostgreSQL), lists written out as one
// placeholder per item (listMark), CASE instead of two-argument MIN/MAX or
// sums of booleans, INSERT ... RETURNING id, every subquery in FROM
// aliased, booleans as INTEGER 0/1 and times as INTEGER unix milliseconds.
// dialect.go holds the little that differs. Migrations are shared files;
// where PostgreSQL needs other DDL (identity keys, BIGINT), a file of the
// same name under migrations/postgres replaces the shared one there, and
// TestSchemasAgree checks both schemas match. Every store test runs on
// both engines (see main_test.go).
//
// # Writers and readers
//
// On SQLite the write pool has exactly one connection. Open runs the
// migrations on it, then the writer goroutine takes it for the life of
// the DB and issues BEGIN (SQLite: BEGIN IMMEDIATE) / COMMIT on it itself
// (a database/sql Tx would cost a goroutine per transaction and per
// query). On PostgreSQL there are several writers, each a goroutine with
// its own connection (so its own server process): a message costs a few
// dozen statements, each a round trip, and one writer would leave both
// sides waiting on each other. UpdateChat sends a chat's work always to
// the same writer, so one chat's work stays in order while chats are
// worked on in parallel; Update goes to the first. Writers are kept apart
// as processes sharing the database are: by LockChat, row locks and the
// deadlock retry. The read pool
// serves View: on SQLite it opens the file read-only (mode=ro) and, in WAL
// mode, readers see a consistent snapshot and never block the writer; on
// PostgreSQL each View is a READ ONLY, REPEATABLE READ transaction, the
// same snapshot for all its reads. If the PostgreSQL connection breaks,
// the writer fails that batch and reconnects for the next one.
//
// # How a unit of work moves
//
// Update(ctx, fn) queues a job and waits. The writer takes the first queued
// job, then every job already waiting (up to 512), and runs them one after
// the other inside a single transaction (group commit). Each job runs
// between SAVEPOINT and RELEASE: if fn returns an error, or panics, only its
// own work is rolled back (ROLLBACK TO) and the other jobs of the batch
// still commit. After the batch COMMIT every caller gets its result: nil,
// its own error, or the commit error. One commit, and so one pass of WAL
// writes and one fsync, serves many small atomic updates. With
// synchronous=FULL a commit is on disk when Update returns, so a message
// WhatsApp is acked for survives a power failure too; group commit is what
// makes that affordable.
//
// On PostgreSQL a savepoint costs two statements and a subtransaction, for
// failures that hardly ever come: there a batch runs first with no
// savepoint per job (runBare), and only if a job fails (an error, a panic,
// a statement that failed under it, a queued write failing at the commit)
// is it rolled back and run again with a savepoint per job, which then
// isolates the failure as above. So a job's fn may run twice, as it may
// after a lost deadlock.
//
// Inside Update, statements ignore ctx cancellation once they run: an
// interrupted write would roll back the whole shared batch. The ctx is
// checked before fn starts and before each statement instead.
//
// On PostgreSQL a failed statement aborts the transaction until ROLLBACK
// TO, where SQLite only undoes that statement: a job that goes on after a
// failed statement is rolled back and failed alone (runJob), and the
// methods whose constraint errors are answers (ErrExists) run their
// statement in a savepoint of its own (guard). Tx.Try works on both.
//
// Before each batch the writer checks that the SQLite path still names
// the file it opened: once the file (or its folder) is deleted or
// replaced, every write fails with ErrGone instead of landing in an
// unlinked file. Batches that meet a storage fault (IsFault: disk full,
// I/O error, read-only, gone; on PostgreSQL a lost connection or a server
// that refuses writes) are counted for readiness (WriteFaults); Probe
// proves a real write.
//
// Hot statements (inbox insert, conversation upsert, outbox append, timers,
// transaction control) are prepared once on the write connection.
//
// On PostgreSQL every statement is a round trip to the server, and waiting
// on those, not the commit, bounds a writer. So its writer talks to pgx's
// connection directly and pipelines: writes whose result nobody reads
// (savepoints, the chat's lock, conversation and customer upserts, ticket
// events, timers, search terms) are queued (execLater) and sent with the
// next statement that needs an answer, at the latest the job's RELEASE, in
// one round trip. A queued write that fails fails that statement, so its
// own job. A statement is queued only once it ran on the connection
// (alone, or as a part of a merged statement, see below), so one that
// fails to prepare cannot take its job's savepoint with it. A job whose every statement was answered on a sound
// transaction leaves its RELEASE queued for the next job. Reads that go
// together (the sends recorded and whether the chat is idle then:
// MarkSentIdle) share one round trip too (readAll, pgRowsAll); a turn's
// conversation, customer, ticket and flood count are one statement
// (ChatRows). A write that must change a row but whose caller needs no
// other answer (a ticket's update, an inbox row marked done) is queued
// with that check (affectLater): changing no row fails it as a failed
// queued write does, and such writes are sent on their own before a
// release or a commit (flushChecks), since the statements sent after a
// write that changed nothing still run.
//
// Each statement also costs the server its own executor setup, so on
// PostgreSQL a run of queued writes goes as few statements as it can
// (combine): one chain of data-modifying WITH queries for the writes that
// keep to their own table, or to their own rows of a table (writeRowLater's
// key, addLater's new rows), then the writes that must change a row. A
// lone turn's conversation, customer, timers, ticket events, search terms
// and ticket update are one statement. Rows of one kind a job writes go
// as one statement with a VALUES list, one statement text per row count:
// a turn's events, its search terms, its replies (AppendOutboxAll), the
// sends recorded (MarkSentAll).
//
// In a busy batch, the writes the jobs queue between two reads have the
// same few texts. Those with an array form (an insert of placeholders, an
// update or a delete by key) go as that form, one write for all their
// rows, each column's values in one array (arrayForm, foldGroup): the
// bench's batches then write about 70 turns per statement, where each
// turn was a statement of six or seven writes, and the server spends a
// tenth less CPU per message.
//
// A turn's replies need no answer either: the writer takes their ids
// from the outbox's sequence ahead (outboxIDs), after the transaction's
// chat locks so a chat's ids still follow its commits, and queues their
// insert; RETURNING id made each turn a round trip of its own. A new
// ticket's id comes from its sequence alone (aside), its insert queued:
// the writes queued before it stay queued, and a batch's openings share
// statements as its other turns do.
//
// Most jobs of a batch open alike: a message stored (the chat locked,
// its row inserted, whether the chat was idle), or the sends of a chat
// recorded (the chat locked, its messages marked sent, whether it is idle
// then). A job may say so (UpdateOpening, Opening), and on PostgreSQL the
// writer then does the openings of the batch's jobs at once, before it
// runs them: one lock statement for all their chats (then the ids of
// the replies their turns will queue, three a message), one insert of all
// their messages, one update of all their sends and one look at all
// their chats, in one round trip, arrays of rows unnested, one statement
// text whatever their number; and for the messages, the rows their turns
// start from (ChatRows), one statement for all of them after the insert.
// Each job's LockChat, AcceptInbox, ChatRows and MarkSentIdle then take
// their answers from there (ChatRows only while the job wrote nothing). A job's opening is
// done only if no job before it in the batch worked on its chat (or on
// no chat in particular): so it sees what it would have seen as the
// job's own first statements. Whatever fails (a statement of the
// openings, a job, a job that did not make the calls it opened with) is
// handled as in any bare batch: rolled back and run again with a
// savepoint per job, each doing its own statements.
//
// PostgreSQL's writers plan no index-only scans (connectWriter): each
// takes a buffer from malloc past the statement's memory, and giving it
// back shrank the server's heap on every message.
//
// # Values
//
// Times are stored as INTEGER unix milliseconds UTC, 0 meaning unset, and
// come back as UTC time.Time (the zero Time for 0). Lists (a conversation's
// path, an outbound message's options) are stored as JSON text, which
// only Go reads.
package store
