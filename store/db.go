package store

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/mattn/go-sqlite3"
)

// Driver is the database/sql driver name of the store's connections:
// mattn/go-sqlite3 plus the one setting its DSN cannot carry.
const Driver = "sqlite3_suporte"

func init() {
	sql.Register(Driver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		// Every job of a group commit runs in a savepoint, and SQLite
		// keeps the first change of each page in a savepoint in a
		// sub-journal. In a temp file that is ~20 page writes (syscalls)
		// per message; in memory it is a copy.
		_, err := c.Exec("PRAGMA temp_store = MEMORY", nil)
		return err
	}})
}

// Sentinel errors returned by the store.
var (
	ErrNotFound = errors.New("not found")
	ErrTooNew   = errors.New("database is newer than this program")
	ErrTooOld   = errors.New("database is older than this program")
	ErrNotStore = errors.New("not a suporte store")
	ErrReadOnly = errors.New("store opened read-only")
	ErrClosed   = errors.New("store closed")
	// ErrRerun is Try's failure in a batch that runs again, with a
	// savepoint per job and per Try: the job should return it as is.
	ErrRerun = errors.New("failed without a savepoint; the batch runs again with them")
)

const (
	// maxBatch bounds how many jobs share one transaction.
	maxBatch = 512
	// readers is the size of the read-only pool.
	readers = 4
	// pgWriters is how many writers share the work on PostgreSQL: while
	// one waits for the server (a read a job needs answered, its
	// commit's flush), the others keep both sides busy. Two or three
	// ran no faster on two cores in the bench.
	pgWriters = 4
)

// DB is an open store: its writers, each a goroutine with its own
// connection (one on SQLite, pgWriters on PostgreSQL), and a pool of
// read-only connections.
type DB struct {
	path    string // the SQLite file, or the PostgreSQL URL
	d       *dialect
	file    os.FileInfo // SQLite: the file Open opened: writes stop if path names another
	w       *sql.DB     // pool of the write connections: migrations, then the writers'
	writers []*writer
	r       *sql.DB           // read-only pool
	ckpt    *sql.DB           // SQLite: one connection that checkpoints for Probe, beside the writer
	types   map[string]string // PostgreSQL: the tables' columns' types (see arrayForm)

	stop chan struct{} // closed by Close once no Update can queue anymore
	wg   sync.WaitGroup

	mu     sync.RWMutex // guards closed against queuing jobs after stop
	closed bool

	closeOnce sync.Once
	closeErr  error

	// Batches committed or rolled back, and the jobs they carried.
	batches atomic.Int64
	batched atomic.Int64
	opened  atomic.Int64 // jobs whose opening the writer did, committed
	trips   atomic.Int64 // PostgreSQL's writers' round trips to the server
	faults  faults       // batches that met a storage fault
}

// writer is one write connection and the goroutine that owns it.
type writer struct {
	conn *sql.Conn           // nil while the connection is lost (PostgreSQL)
	pg   *pgx.Conn           // PostgreSQL: conn's driver connection, which the writer pipelines on
	lite *sqlite3.SQLiteConn // SQLite: conn's driver connection, which says whether a transaction is open
	// seen holds the statements (as PostgreSQL takes them) that ran on pg
	// in a pipeline: pgx prepared them, so they can be queued.
	seen map[string]bool
	// merged caches the statements combine built, by their parts' texts;
	// forms, the writes' array forms.
	merged map[string]string
	forms  map[string]*arrayForm

	// prepared maps a hot query to its statement prepared on conn, built
	// when conn is taken (on SQLite, a query read row by row, on first
	// use); raw, on SQLite, a statement prepared on lite (liteStmt).
	prepared map[string]*sql.Stmt
	raw      map[string]driver.Stmt

	jobs chan *job
}

// job is one Update call waiting for the writer.
type job struct {
	ctx  context.Context
	fn   func(tx *Tx) error
	done chan result // buffered: the writer never blocks on it

	// UpdateChat's chat (scoped), and what the job opens with.
	chat   string
	scoped bool
	open   *Opening
}

type result struct {
	err      error
	panicked any // non-nil if fn panicked; re-raised in the caller
}

// ReferenceDSN returns the DSN of the write connection for the database file
// at path: WAL, synchronous FULL, foreign keys on, 10 s busy timeout,
// BEGIN IMMEDIATE.
func ReferenceDSN(path string) string {
	return "file:" + escapePath(path) +
		"?_journal_mode=WAL&_synchronous=FULL&_foreign_keys=on&_busy_timeout=10000&_txlock=immediate&_cache_size=-65536"
}

// readerDSN opens the file read-only. Transactions stay deferred so readers
// never take the write lock. Read-only WAL access needs the -wal and -shm
// files, which the write connection creates and keeps while it is open.
func readerDSN(path string) string {
	return "file:" + escapePath(path) +
		"?_foreign_keys=on&_busy_timeout=10000&_txlock=deferred&mode=ro"
}

// escapePath escapes the characters that would end the path part of a
// SQLite URI.
func escapePath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// Open opens the store at dsn: a postgres:// URL (see IsPostgres) or the
// path of a SQLite file. For a file it creates its directory (0700) and
// the file (0600) if missing. It applies pending migrations and starts
// the writer.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if IsPostgres(dsn) {
		return open(ctx, postgresDialect, nil, dsn, dsn, dsn)
	}
	if looksLikeURL(dsn) {
		// Not echoed: a mistyped address may show its password whole.
		return nil, errors.New("open store: the address given is neither a postgres://user@host/database URL (in lower case, no spaces) nor a SQLite file's path")
	}
	path := dsn
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	fi, err := f.Stat()
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	return open(ctx, sqliteDialect, fi, path, ReferenceDSN(path), readerDSN(path))
}

// OpenReadOnly opens the SQLite store at path for reading only, to copy
// it: it creates nothing, migrates nothing and starts no writer (Update
// returns ErrReadOnly). It refuses a file that is no suporte store
// (ErrNotStore: empty, or another program's database) and one whose schema
// is not this program's (ErrTooOld, ErrTooNew).
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	if IsPostgres(path) {
		return nil, fmt.Errorf("open store %s read-only: not a SQLite file", redact(path))
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	ms, err := migrations(sqliteDialect)
	if err != nil {
		return nil, err
	}
	r, err := sql.Open(Driver, readerDSN(path))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	have, err := schemaVersion(ctx, sqliteDialect, r)
	switch {
	case err != nil:
		err = fmt.Errorf("read schema version: %w", err)
	case have == 0:
		err = ErrNotStore
	case have < len(ms):
		err = fmt.Errorf("%w: schema version %d, this program's %d", ErrTooOld, have, len(ms))
	case have > len(ms):
		err = fmt.Errorf("%w: schema version %d, newest known %d", ErrTooNew, have, len(ms))
	}
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	return &DB{path: path, d: sqliteDialect, file: fi, r: r, stop: make(chan struct{})}, nil
}

// open opens the pools, migrates and starts the writer. fi is the SQLite
// file opened (nil for PostgreSQL).
func open(ctx context.Context, d *dialect, fi os.FileInfo, path, writeDSN, readDSN string) (*DB, error) {
	name := path
	if d.postgres {
		name = redact(path)
	}
	w, err := sql.Open(d.driver, writeDSN)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", name, err)
	}
	n := 1
	if d.postgres {
		n = pgWriters
	}
	w.SetMaxOpenConns(n)
	w.SetMaxIdleConns(n)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	db := &DB{
		path: path,
		d:    d,
		file: fi,
		w:    w,
		stop: make(chan struct{}),
	}
	for range n {
		db.writers = append(db.writers, &writer{jobs: make(chan *job, maxBatch)})
	}
	fail := func(err error) (*DB, error) {
		db.closePools()
		return nil, fmt.Errorf("open store %s: %w", name, err)
	}

	if err := migrate(ctx, d, w); err != nil {
		return fail(err)
	}
	if err := backfillSearch(ctx, d, w); err != nil {
		return fail(err)
	}
	if d.postgres {
		if _, err := w.ExecContext(ctx, foldQueueCountsSQL); err != nil {
			return fail(fmt.Errorf("fold the queue's counts: %w", err))
		}
		if db.types, err = loadColumnTypes(ctx, w); err != nil {
			return fail(err)
		}
	}
	for _, wr := range db.writers {
		if err := db.connectWriter(ctx, wr); err != nil {
			return fail(err)
		}
	}

	db.r, err = sql.Open(d.driver, readDSN)
	if err != nil {
		return fail(err)
	}
	db.r.SetMaxOpenConns(readers)
	db.r.SetMaxIdleConns(readers)
	if err := db.r.PingContext(ctx); err != nil {
		return fail(fmt.Errorf("reader: %w", err))
	}

	if !d.postgres {
		db.ckpt, err = sql.Open(Driver, writeDSN)
		if err != nil {
			return fail(err)
		}
		db.ckpt.SetMaxOpenConns(1)
	}

	for _, wr := range db.writers {
		db.wg.Add(1)
		go db.run(wr)
	}
	return db, nil
}

// connectWriter takes a write connection for wr and prepares the hot
// statements on it. The writer keeps it for the life of the store and runs
// BEGIN/COMMIT itself: a database/sql Tx would start a goroutine per
// transaction and per query to watch its context.
func (db *DB) connectWriter(ctx context.Context, wr *writer) error {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return err
	}
	if db.d.postgres {
		// A process cut off in the middle of a batch must not hold its
		// chats' locks until TCP notices: the server ends the session.
		if _, err := conn.ExecContext(ctx, `SET idle_in_transaction_session_timeout = '30s'`); err != nil {
			conn.Close()
			return err
		}
		// A writer looks up a few rows by key. An index-only scan takes a
		// 16 KiB buffer from malloc, past the statement's memory pool, and
		// freeing it at the statement's end shrinks the server's heap: a
		// brk call and a TLB flush on every CPU, twice per scan, four
		// scans a message (the chat-idle checks). That was about a fifth
		// of the server's CPU per message; a plain index scan of the same
		// index costs neither.
		if _, err := conn.ExecContext(ctx, `SET enable_indexonlyscan = off`); err != nil {
			conn.Close()
			return err
		}
	}
	// The writer holds conn for the life of the store, so it may talk to
	// the driver's connection directly: on PostgreSQL, database/sql sends
	// one statement per round trip, pgx sends several; SQLite's tells
	// whether it rolled the transaction back itself.
	var pg *pgx.Conn
	var lite *sqlite3.SQLiteConn
	conn.Raw(func(dc any) error {
		switch c := dc.(type) {
		case *stdlib.Conn:
			pg = c.Conn()
		case *sqlite3.SQLiteConn:
			lite = c
		}
		return nil
	})
	prepared := make(map[string]*sql.Stmt)
	for _, q := range db.hotQueries() {
		s, err := conn.PrepareContext(ctx, db.d.sql(q))
		if err != nil {
			for _, s := range prepared {
				s.Close()
			}
			conn.Close()
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		prepared[q] = s
	}
	wr.conn, wr.pg, wr.lite, wr.prepared, wr.seen = conn, pg, lite, prepared, map[string]bool{}
	wr.raw = map[string]driver.Stmt{}
	if wr.merged == nil {
		wr.merged, wr.forms = map[string]string{}, map[string]*arrayForm{}
	}
	return nil
}

// Postgres reports whether the store is a PostgreSQL database, which
// several processes may share.
func (db *DB) Postgres() bool { return db.d.postgres }

// hotQueries lists the statements prepared once on PostgreSQL's write
// connection. SQLite's writer prepares each on first use (liteStmt).
func (db *DB) hotQueries() []string {
	if !db.d.postgres {
		return nil
	}
	return append([]string{lockChatSQL},
		db.d.begin, commitSQL, rollbackSQL, savepointSQL, releaseSQL, rollbackToSQL,
		trySQL, tryReleaseSQL, tryRollbackSQL,
		acceptInboxSQL, inboxIDSQL, inboxSinceSQL, chatIdleQuerySQL, nextInboxSQL, finishInboxSQL,
		conversationSQL, putConversationSQL, customerSQL, putCustomerSQL, conversationTicketSQL,
		ticketSQL, createTicketSQL, addTicketEventSQL, addTicketEventNoIDSQL,
		insertTermSQL, putFeedbackSQL,
		appendOutboxSQL, pendingOutboxSQL, markSentSQL, queueAheadSQL,
		setTimerSQL, deleteTimerSQL, clearTimersSQL,
	)
}

// WriteStats reports how many write transactions (batches) ran and how many
// Update calls they carried: the group commit's effect, for metrics.
func (db *DB) WriteStats() (batches, jobs int64) { return db.batches.Load(), db.batched.Load() }

// OpenedJobs counts the committed jobs whose Opening the writer did for
// their batch, on PostgreSQL.
func (db *DB) OpenedJobs() int64 { return db.opened.Load() }

// RoundTrips counts the round trips PostgreSQL's writers made to the
// server (none on SQLite): what a message's cost there follows most,
// after the rows it writes.
func (db *DB) RoundTrips() int64 { return db.trips.Load() }

// Path returns the database file path given to Open; for PostgreSQL,
// its URL with any password hidden.
func (db *DB) Path() string {
	if db.d.postgres {
		return redact(db.path)
	}
	return db.path
}

// Close stops the writer and closes both pools. Jobs already queued run
// before it returns; Update calls made after Close return ErrClosed. Close
// is idempotent: later calls return the first call's result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.mu.Lock() // waits for Updates that are queuing a job
		db.closed = true
		db.mu.Unlock()
		close(db.stop)
		db.wg.Wait()
		if err := db.closePools(); err != nil {
			db.closeErr = fmt.Errorf("close store: %w", err)
		}
	})
	return db.closeErr
}

// closePools closes whatever Open managed to open.
func (db *DB) closePools() error {
	var errs []error
	for _, wr := range db.writers {
		for _, s := range wr.prepared {
			errs = append(errs, s.Close())
		}
		for _, s := range wr.raw {
			errs = append(errs, s.Close())
		}
		if wr.conn != nil {
			errs = append(errs, wr.conn.Close())
		}
	}
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.ckpt != nil {
		errs = append(errs, db.ckpt.Close())
	}
	if db.w != nil {
		errs = append(errs, db.w.Close())
	}
	return errors.Join(errs...)
}

// Update runs fn on the writer goroutine, inside a transaction shared with
// other callers' jobs (see the package documentation). fn's work is wrapped
// in a savepoint: if fn returns an error only its work is rolled back and
// Update returns that error, while the rest of the batch still commits. If
// fn panics, its work is rolled back and the panic is re-raised in the
// caller's goroutine.
//
// Update returns after the batch commits, or with the commit error. If ctx
// is done before fn starts, fn is not run and Update returns ctx.Err().
//
// On PostgreSQL, fn may run more than once: again (up to jobTries times)
// when it lost a deadlock against another process, and once more when a
// job of its batch failed (the batch runs first with no savepoint per job,
// then again with them). It must set its results anew on each run, not
// add to what a run before left.
//
// fn must not call Update or View, nor keep tx after it returns: it runs on
// the writer goroutine, and waiting for the store from there deadlocks. fn
// should be short and do no other IO, since every job of the batch waits
// for it.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	if len(db.writers) == 0 {
		return ErrReadOnly
	}
	return db.update(ctx, db.writers[0], &job{fn: fn})
}

// UpdateChat is Update for work on one chat (which fn still locks with
// LockChat). On PostgreSQL the chats are shared among several writers,
// each with its own connection and transactions, and a chat's work always
// goes to the same one: chats are worked on in parallel, one chat's work
// stays in order. On SQLite it is Update.
func (db *DB) UpdateChat(ctx context.Context, chat string, fn func(tx *Tx) error) error {
	if len(db.writers) == 0 {
		return ErrReadOnly
	}
	return db.update(ctx, db.writerOf(chat), &job{chat: chat, scoped: true, fn: fn})
}

// writerOf returns the writer of chat's work.
func (db *DB) writerOf(chat string) *writer {
	return db.writers[chatHash(chat)%uint64(len(db.writers))]
}

func (db *DB) update(ctx context.Context, wr *writer, j *job) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j.ctx, j.done = ctx, make(chan result, 1)

	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return ErrClosed
	}
	select {
	case wr.jobs <- j:
	case <-ctx.Done():
		db.mu.RUnlock()
		return ctx.Err()
	}
	db.mu.RUnlock()

	r := <-j.done
	if r.panicked != nil {
		panic(r.panicked)
	}
	return r.err
}

// View runs fn in a read-only transaction on the reader pool; every read in
// it sees the same snapshot. Writes inside View fail.
func (db *DB) View(ctx context.Context, fn func(tx *Tx) error) error {
	db.mu.RLock()
	closed := db.closed
	db.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	opts := &sql.TxOptions{ReadOnly: true}
	if db.d.postgres {
		// One snapshot for the whole View, as SQLite's WAL readers have.
		opts.Isolation = sql.LevelRepeatableRead
	}
	stx, err := db.r.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer stx.Rollback()
	return fn(&Tx{q: stx, d: db.d})
}

// run is a writer's loop: it owns the write connection until stop.
func (db *DB) run(wr *writer) {
	defer db.wg.Done()
	tx := &Tx{q: wr.conn, pg: wr.pg, lite: wr.lite, seen: wr.seen, merged: wr.merged, forms: wr.forms, types: db.types, d: db.d, prepared: wr.prepared, raw: wr.raw, writer: true, trips: &db.trips, held: map[int64]bool{}}
	batch := make([]*job, 0, maxBatch)
	for {
		var first *job
		select {
		case first = <-wr.jobs:
		case <-db.stop:
			// No Update can queue anymore: run what is left, then exit.
			select {
			case first = <-wr.jobs:
			default:
				return
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < maxBatch {
			select {
			case j := <-wr.jobs:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		if wr.conn == nil {
			db.reconnect(wr)
		}
		// The batch runs on the connection as it is now: a reconnect
		// brings a new one, with its own prepared statements.
		tx.q, tx.pg, tx.lite, tx.seen, tx.prepared, tx.raw = wr.conn, wr.pg, wr.lite, wr.seen, wr.prepared, wr.raw
		tx.later = tx.later[:0]
		if wr.conn == nil {
			db.failBatch(batch, ErrUnavailable)
		} else if !db.runBatch(tx, batch) && db.d.postgres {
			db.checkConn(wr)
		}
		clear(batch) // drop references to finished jobs
	}
}

// ErrUnavailable is Update's answer while the writer has no connection to
// the database (PostgreSQL down or unreachable); it reconnects for the
// next batch.
var ErrUnavailable = errors.New("store unavailable: no connection to the database")

// failBatch answers every job of a batch that could not run, a storage
// fault for readiness and the metrics like any other.
func (db *DB) failBatch(jobs []*job, err error) {
	db.faults.note(err)
	for _, j := range jobs {
		j.done <- result{err: err}
	}
}

// connTimeout bounds the writer's check of its connection and a reconnect.
const connTimeout = 5 * time.Second

// checkConn, after a failed batch on PostgreSQL, drops wr's connection
// if the server no longer answers on it (restarted, network lost), so the
// next batch reconnects instead of failing forever.
func (db *DB) checkConn(wr *writer) {
	ctx, cancel := context.WithTimeout(context.Background(), connTimeout)
	defer cancel()
	if err := wr.conn.PingContext(ctx); err == nil {
		return
	}
	for _, s := range wr.prepared {
		s.Close()
	}
	for _, s := range wr.raw {
		s.Close()
	}
	wr.raw = nil
	wr.conn.Raw(func(any) error { return driver.ErrBadConn }) // never reused by the pool
	wr.conn.Close()
	wr.conn, wr.pg, wr.lite, wr.prepared = nil, nil, nil, nil
}

// reconnect takes a new connection for wr, or leaves none if it cannot.
func (db *DB) reconnect(wr *writer) {
	ctx, cancel := context.WithTimeout(context.Background(), connTimeout)
	defer cancel()
	if err := db.connectWriter(ctx, wr); err != nil {
		wr.conn, wr.pg, wr.lite, wr.prepared = nil, nil, nil, nil
	}
}

const (
	commitSQL     = `COMMIT`
	rollbackSQL   = `ROLLBACK`
	savepointSQL  = `SAVEPOINT job`
	releaseSQL    = `RELEASE job`
	rollbackToSQL = `ROLLBACK TO job`

	trySQL         = `SAVEPOINT try`
	tryReleaseSQL  = `RELEASE try`
	tryRollbackSQL = `ROLLBACK TO try`
)

// runBatch runs jobs in one transaction on the write connection and
// reports every job's result. It returns false if the batch was aborted.
func (db *DB) runBatch(tx *Tx, jobs []*job) bool {
	db.batches.Add(1)
	db.batched.Add(int64(len(jobs)))

	results := make([]result, len(jobs))
	own := make([]bool, len(jobs)) // results[i] stands whatever the commit does
	finish := func(batchErr error) {
		var fault error // the first storage fault, for readiness
		if IsFault(batchErr) {
			fault = batchErr
		}
		for i := range jobs {
			if !own[i] && batchErr != nil {
				results[i].err = batchErr
			}
			if fault == nil && IsFault(results[i].err) {
				fault = results[i].err
			}
		}
		if fault != nil {
			db.faults.note(fault) // before the callers learn of it
		}
		for i, j := range jobs {
			j.done <- results[i]
		}
	}
	ctx := context.Background()
	abort := func(err error) {
		tx.later = tx.later[:0]   // a queued write must not stop the rollback
		tx.exec(ctx, rollbackSQL) // fails harmlessly if SQLite already rolled back
		finish(err)
	}

	if err := db.same(); err != nil {
		finish(err)
		return false
	}
	// The batch runs first as if no job could fail, without a savepoint
	// per job; if one fails, it runs again with them.
	bare := true
	for {
		if _, err := tx.exec(ctx, tx.d.begin); err != nil {
			abort(fmt.Errorf("begin batch: %w", err))
			return false
		}
		tx.outIDs = tx.outIDs[:0]
		clear(tx.held)
		var after []func() // the committed jobs' AfterCommit calls
		if bare {
			var failed *result
			opens, err := tx.open(jobs)
			nopened := 0
			for _, o := range opens {
				if o != nil {
					nopened++
				}
			}
			if err != nil {
				failed = &result{err: err}
			} else {
				after, failed = runBare(tx, jobs, opens, results, own)
			}
			committed := false
			if failed == nil {
				// A queued write that failed fails the COMMIT, which
				// then does not run: the batch runs again, a savepoint
				// per job, to tell whose it was.
				err := tx.flushChecks()
				if err == nil {
					_, err = tx.exec(ctx, commitSQL)
				}
				committed = err == nil
				if committed {
					db.opened.Add(int64(nopened))
				}
			}
			if !committed {
				tx.later = tx.later[:0]
				if _, err := tx.exec(ctx, rollbackSQL); err != nil {
					abort(fmt.Errorf("batch aborted: %w", err))
					return false
				}
				clear(results)
				clear(own)
				if failed != nil && len(jobs) == 1 && !retryable(failed.err) && !errors.Is(failed.err, errNotOpened) && !errors.Is(failed.err, ErrRerun) {
					// Its own failure, rolled back: nothing else to commit.
					results[0], own[0] = *failed, true
					finish(nil)
					return true
				}
				bare = false
				continue
			}
		} else {
			var err error
			if after, err = runSaved(tx, jobs, results, own); err != nil {
				// The transaction can no longer be trusted: drop the whole batch.
				abort(fmt.Errorf("batch aborted: %w", err))
				return false
			}
			clear(tx.after)
			if _, err := tx.exec(ctx, commitSQL); err != nil {
				abort(fmt.Errorf("commit batch: %w", err))
				return false
			}
		}
		for _, fn := range after {
			fn()
		}
		finish(nil)
		return true
	}
}

// errTxLost fails a job under which the transaction was aborted
// (PostgreSQL) or rolled back (SQLite) though the job itself went on.
var errTxLost = errors.New("a statement of this update failed and its transaction was lost")

// runBare runs jobs one after the other in the open transaction, with no
// savepoint of their own: a savepoint is two statements per job (on
// PostgreSQL a subtransaction too), for failures that hardly ever come. It stops at
// the first job that fails (an error, a panic, or a statement that failed
// under it) and returns that job's result: the caller rolls the whole
// batch back. A failure among the writes still queued shows in a later
// job, or in the COMMIT. opens holds the jobs' openings done (see
// Opening): a job whose opening was done fails when it does not take it
// whole, or when it cannot run, since what was done for it would commit.
func runBare(tx *Tx, jobs []*job, opens []*opened, results []result, own []bool) (after []func(), failed *result) {
	tx.bare = true
	defer func() { tx.opening, tx.bare, tx.rerun = nil, false, false }()
	for i, j := range jobs {
		var o *opened
		if opens != nil {
			o = opens[i]
		}
		if err := j.ctx.Err(); err != nil {
			if o != nil {
				return nil, &result{err: errNotOpened}
			}
			results[i], own[i] = result{err: err}, true
			continue
		}
		tx.after = tx.after[:0]
		tx.opening = o
		r := callJob(j, tx)
		tx.opening = nil
		if r.err == nil && r.panicked == nil && o != nil && !o.taken() {
			r.err = errNotOpened
		}
		if tx.rerun {
			r = result{err: ErrRerun}
		}
		if r.err == nil && r.panicked == nil && !tx.inTransaction() {
			// A statement failed under a job that went on: its update
			// did not happen, whatever it returned.
			r.err = errTxLost
		}
		if r.err != nil || r.panicked != nil {
			return nil, &r
		}
		after = append(after, tx.after...)
	}
	clear(tx.after)
	return after, nil
}

// runSaved runs jobs one after the other in the open transaction, each in
// its own savepoint (runJob), and sets their results. The error means the
// transaction can no longer be trusted.
func runSaved(tx *Tx, jobs []*job, results []result, own []bool) ([]func(), error) {
	var after []func()
	for i, j := range jobs {
		if err := j.ctx.Err(); err != nil {
			results[i], own[i] = result{err: err}, true
			continue
		}
		tx.after = tx.after[:0]
		r, err := runJob(tx, j)
		// Two processes' batches can wait on each other's chat locks;
		// PostgreSQL then fails one job with a deadlock, whose
		// savepoint's rollback frees its locks: run it again.
		for try := 1; err == nil && try < jobTries && retryable(r.err); try++ {
			tx.after = tx.after[:0]
			r, err = runJob(tx, j)
		}
		if err != nil {
			return nil, err
		}
		results[i] = r
		own[i] = r.err != nil || r.panicked != nil
		if !own[i] {
			after = append(after, tx.after...)
		}
	}
	clear(tx.after)
	return after, nil
}

// AfterCommit arranges for fn to run once the Update's work is committed,
// and never if it is rolled back. fn runs on the writer goroutine before
// the Update returns: it must be quick and must not wait for the store
// (e.g. a non-blocking poke of another goroutine).
func (tx *Tx) AfterCommit(fn func()) {
	if tx.writer {
		tx.after = append(tx.after, fn)
	}
}

// runJob runs one job between SAVEPOINT and RELEASE. The returned error is
// not the job's: it means the savepoint machinery failed and the batch
// transaction is unusable.
//
// On PostgreSQL a failed statement puts the transaction in an aborted
// state until ROLLBACK TO: a job that goes on after one (or ignores its
// error) cannot be released, and is rolled back and failed alone, as if
// it had returned the error.
func runJob(tx *Tx, j *job) (result, error) {
	ctx := context.Background()
	if err := tx.execLater(ctx, savepointSQL); err != nil {
		return result{}, fmt.Errorf("savepoint: %w", err)
	}
	r := callJob(j, tx)
	if r.err != nil || r.panicked != nil {
		tx.flush()     // the savepoint may still be queued; what failed is undone next
		clear(tx.held) // its locks may go with it
		if _, err := tx.exec(ctx, rollbackToSQL); err != nil {
			// SQLite may roll the whole transaction back itself (a full
			// disk does): the job's error says why.
			return result{}, fmt.Errorf("rollback to savepoint: %w", errors.Join(r.err, err))
		}
	}
	if tx.pg != nil && r.err == nil && r.panicked == nil && onlyReleases(tx.later) && tx.inTransaction() {
		// Every statement of the job was answered and the transaction is
		// sound: the releases cannot fail, and go with the next job's
		// first statement (or the COMMIT).
		return r, tx.execLater(ctx, releaseSQL)
	}
	// On PostgreSQL the job's queued writes go with the release: a failure
	// among them is this job's.
	err := tx.flushChecks()
	if err == nil {
		_, err = tx.exec(ctx, releaseSQL)
	}
	if err != nil && tx.d.postgres && r.err == nil && r.panicked == nil {
		clear(tx.held) // its locks may go with it
		if _, rerr := tx.exec(ctx, rollbackToSQL); rerr == nil {
			r.err = fmt.Errorf("a statement of this update failed: %w", err)
			_, err = tx.exec(ctx, releaseSQL)
		}
	}
	if err != nil {
		return result{}, fmt.Errorf("release savepoint: %w", err)
	}
	return r, nil
}

// inTransaction reports whether the writer's transaction is still sound:
// PostgreSQL aborts it at a failed statement, and SQLite rolls it back
// itself at some errors (a full disk), after which a statement would
// commit on its own.
func (tx *Tx) inTransaction() bool {
	if tx.pg != nil {
		return tx.pg.PgConn().TxStatus() == 'T'
	}
	return tx.lite != nil && !tx.lite.AutoCommit()
}

// onlyReleases reports whether the queued statements only release
// savepoints.
func onlyReleases(later []queued) bool {
	for _, q := range later {
		if q.query != releaseSQL && q.query != tryReleaseSQL {
			return false
		}
	}
	return true
}

// callJob calls the job's fn, turning a panic into a result.
func callJob(j *job, tx *Tx) (r result) {
	defer func() {
		if p := recover(); p != nil {
			r = result{panicked: p}
		}
	}()
	return result{err: j.fn(tx)}
}

// Try runs fn inside a nested savepoint of an Update: if fn fails (or
// panics, reported as an error), only fn's writes are undone and the rest
// of the caller's work stands. It cannot be nested in itself.
//
// In a batch that runs without savepoints (runBare), Try takes none
// either: a failure of fn returns ErrRerun, which the caller should
// return, and the batch runs again with savepoints, this Try with its
// own. A turn that fails is a bug; a savepoint per turn is two statements
// (on PostgreSQL a subtransaction too) for it.
func (tx *Tx) Try(ctx context.Context, fn func() error) (err error) {
	if !tx.writer {
		return errors.New("try: not in Update")
	}
	if tx.bare {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
			if err != nil {
				tx.rerun = true // whatever the caller does with the error
				err = fmt.Errorf("%w: %w", ErrRerun, err)
			}
		}()
		return fn()
	}
	if err := tx.execLater(ctx, trySQL); err != nil {
		return fmt.Errorf("try: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
		if err == nil {
			err = tx.flush() // fn's queued writes fail inside the try
		} else {
			tx.flush()
		}
		if err != nil {
			clear(tx.held) // its locks may go with it
			if _, rerr := tx.exec(context.Background(), tryRollbackSQL); rerr != nil {
				err = errors.Join(err, fmt.Errorf("try rollback: %w", rerr))
			}
		}
		if rerr := tx.execLater(context.Background(), tryReleaseSQL); rerr != nil {
			err = errors.Join(err, fmt.Errorf("try release: %w", rerr))
		}
	}()
	return fn()
}

const (
	guardSQL         = `SAVEPOINT stmt`
	guardReleaseSQL  = `RELEASE stmt`
	guardRollbackSQL = `ROLLBACK TO stmt`
)

// guard runs fn, a statement whose failure the method turns into an
// answer (ErrExists), so that the caller may go on with its Update. On
// PostgreSQL a failed statement aborts the transaction until a ROLLBACK
// TO: there, fn runs in its own savepoint. SQLite only undoes the failed
// statement.
func (tx *Tx) guard(ctx context.Context, fn func() error) error {
	if !tx.d.postgres || !tx.writer {
		return fn()
	}
	if _, err := tx.exec(ctx, guardSQL); err != nil {
		return err
	}
	err := fn()
	if err != nil {
		clear(tx.held) // its locks may go with it
		if _, rerr := tx.exec(context.Background(), guardRollbackSQL); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	if _, rerr := tx.exec(context.Background(), guardReleaseSQL); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// Tx is one unit of work inside Update or View. It is valid only while fn
// runs and is not safe for concurrent use. Writes through a Tx from View fail.
type Tx struct {
	q    querier             // *sql.Tx in View; the write *sql.Conn, inside BEGIN, in Update
	pg   *pgx.Conn           // PostgreSQL's writer: q's driver connection
	lite *sqlite3.SQLiteConn // SQLite's writer: q's driver connection
	d    *dialect

	// later holds the writes queued by execLater on PostgreSQL's writer,
	// sent with the next statement that needs an answer; seen and merged
	// are the writer's; sent holds the texts of the last pipeline sent.
	later  []queued
	seen   map[string]bool
	merged map[string]string
	sent   []string
	// forms caches the writes' array forms by text, built with types,
	// the store's columns' types (PostgreSQL's writer only).
	forms map[string]*arrayForm
	types map[string]string

	// Writer only: prepared statements by query, and the running job's
	// AfterCommit calls.
	prepared map[string]*sql.Stmt
	raw      map[string]driver.Stmt
	writer   bool
	after    []func()
	// bare: the running job has no savepoint (runBare); rerun: a Try of
	// it failed, so the batch must run again with savepoints.
	bare, rerun bool
	opening     *opened // the running job's, done by the writer (see Opening)
	// PostgreSQL's writer: outbox ids taken for the transaction's
	// replies (see outboxIDs), and how many chat locks it had queued
	// (locks) when it took them (idsAt); held are the chats' locks it
	// holds, as far as it knows (a ROLLBACK TO forgets them all).
	outIDs       []int64
	locks, idsAt int
	held         map[int64]bool
	trips        *atomic.Int64 // the store's count of round trips
}

// querier runs SQL: *sql.Tx, *sql.Conn.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// rowScanner is what the scan helpers read from: *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// errRow is a rowScanner that only returns err.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// On the writer, statements run without ctx: interrupting one can roll back
// the whole batch. ctx is checked before each statement instead.

func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return tx.execIn(ctx, "", query, args...)
}

// execIn is exec for a write that reads and changes table only (see
// writeLater): on PostgreSQL's writer it may share one statement with the
// writes queued before it.
func (tx *Tx) execIn(ctx context.Context, table, query string, args ...any) (sql.Result, error) {
	tx.wrote(query)
	args = tx.d.args(args)
	if !tx.writer {
		return tx.q.ExecContext(ctx, tx.d.sql(query), args...)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if tx.pg != nil {
		if strings.Contains(query, ";") {
			// Several commands: not a statement pgx can prepare.
			if err := tx.flush(); err != nil {
				return nil, err
			}
			tx.trips.Add(1)
			tag, err := tx.pg.Exec(context.Background(), tx.d.sql(query), args...)
			return driver.RowsAffected(tag.RowsAffected()), err
		}
		br, err := tx.sendAll(queued{query: tx.d.sql(query), args: args, table: table})
		if err != nil {
			return nil, err
		}
		tag, err := br.Exec()
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			tx.markSeen()
		}
		return driver.RowsAffected(tag.RowsAffected()), err
	}
	if s := tx.liteStmt(query); s != nil {
		return liteExec(s, args)
	}
	if s := tx.stmt(query); s != nil {
		return s.ExecContext(context.Background(), args...)
	}
	return tx.q.ExecContext(context.Background(), tx.d.sql(query), args...)
}

func (tx *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	args = tx.d.args(args)
	if !tx.writer {
		return tx.q.QueryContext(ctx, tx.d.sql(query), args...)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := tx.flush(); err != nil {
		return nil, err
	}
	if s := tx.stmt(query); s != nil {
		return s.QueryContext(context.Background(), args...)
	}
	return tx.q.QueryContext(context.Background(), tx.d.sql(query), args...)
}

func (tx *Tx) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	args = tx.d.args(args)
	if !tx.writer {
		return tx.q.QueryRowContext(ctx, tx.d.sql(query), args...)
	}
	if err := ctx.Err(); err != nil {
		return errRow{err}
	}
	if tx.pg != nil {
		return tx.pgRow(query, args)
	}
	if s := tx.liteStmt(query); s != nil {
		return liteRow(s, args)
	}
	if s := tx.stmt(query); s != nil {
		return s.QueryRowContext(context.Background(), args...)
	}
	return tx.q.QueryRowContext(context.Background(), tx.d.sql(query), args...)
}

// maxPrepared bounds the statements SQLite's writer keeps prepared.
const maxPrepared = 256

// stmt returns the writer's statement of query prepared through
// database/sql, or nil. On SQLite a query read row by row is prepared on
// first use and kept (up to maxPrepared): preparing one costs as much as
// running it (the others go through liteStmt). On PostgreSQL pgx keeps
// its own.
func (tx *Tx) stmt(query string) *sql.Stmt {
	if s := tx.prepared[query]; s != nil || tx.lite == nil || len(tx.prepared) >= maxPrepared || isScript(query) {
		return s
	}
	s, err := tx.q.PrepareContext(context.Background(), query)
	if err != nil {
		return nil // run unprepared, to report the error
	}
	tx.prepared[query] = s
	return s
}

// isScript tells whether query holds several statements: a prepared
// statement is the first one only.
func isScript(query string) bool {
	return strings.Contains(strings.TrimRight(query, "; \n\t"), ";")
}

// liteStmt returns query prepared on SQLite's writer's own connection,
// or nil (not SQLite's writer, a script, or maxPrepared reached): the
// writer's statements then skip database/sql's layer, whose locks,
// argument checks and row wrappers cost as much per statement as a small
// one's run.
func (tx *Tx) liteStmt(query string) driver.Stmt {
	if tx.lite == nil || tx.raw == nil {
		return nil
	}
	if s, ok := tx.raw[query]; ok || len(tx.raw) >= maxPrepared || isScript(query) {
		return s
	}
	s, err := tx.lite.Prepare(query)
	if err != nil {
		return nil // run through database/sql, to report the error
	}
	tx.raw[query] = s
	return s
}

// liteArgs converts args as database/sql does for SQLite's driver.
func liteArgs(args []any) ([]driver.NamedValue, error) {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		v, err := driver.DefaultParameterConverter.ConvertValue(a)
		if err != nil {
			return nil, fmt.Errorf("converting argument $%d type: %w", i+1, err)
		}
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return nv, nil
}

// liteExec runs s with args.
func liteExec(s driver.Stmt, args []any) (sql.Result, error) {
	nv, err := liteArgs(args)
	if err != nil {
		return nil, err
	}
	return s.(driver.StmtExecContext).ExecContext(context.Background(), nv)
}

// liteRow runs s with args and returns its first row, as QueryRow would.
func liteRow(s driver.Stmt, args []any) rowScanner {
	nv, err := liteArgs(args)
	if err != nil {
		return errRow{err}
	}
	rows, err := s.(driver.StmtQueryContext).QueryContext(context.Background(), nv)
	if err != nil {
		return errRow{err}
	}
	vals := make([]driver.Value, len(rows.Columns()))
	err = rows.Next(vals)
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, io.EOF) {
		return errRow{sql.ErrNoRows}
	}
	if err != nil {
		return errRow{err}
	}
	row := make(valuesRow, len(vals))
	for i, v := range vals {
		row[i] = v
	}
	return row
}

// queued is a statement execLater put off, or one to send after them.
type queued struct {
	query string // as PostgreSQL takes it
	args  []any
	// table, if set, is the only table the statement reads and changes:
	// statements on different tables may be sent as one (see combine).
	table string
	// row, if set with table, is the key of the one row of table the
	// statement reads and changes: statements on different rows of a
	// table may be sent as one too.
	row string
	// must, if set, names a write that must change a row (affectLater),
	// else fails with ErrNotFound; want such writes made one (see
	// foldGroup) must change that many rows.
	must string
	want int
	// adds, with table, marks a write that only adds rows (an insert of
	// new ones, or one that does nothing on a conflict): it may share a
	// statement with the others that add rows to table.
	adds bool
	// form is the write's array form, if it has one and may share a
	// statement with others of its table (row or adds set): those with
	// the same form go as one write.
	form *arrayForm
	// parts are the queries a merged statement was made of (see merge):
	// once it prepared, each of them is known to prepare too.
	parts []string
}

// execLater runs a write whose result the caller does not need. On
// PostgreSQL's writer it is queued and goes to the server with the next
// statement that needs an answer (at the latest the job's release), all
// in one round trip; its failure is then that statement's, and fails the
// job. Elsewhere it runs at once.
//
// A statement is queued only once it ran on the connection, alone or
// merged with others: its first run prepares it, and a statement that
// fails to prepare must not take the queued savepoint of its job down
// with it.
func (tx *Tx) execLater(ctx context.Context, query string, args ...any) error {
	return tx.writeLater(ctx, "", query, args...)
}

// writeLater is execLater for a write that reads and changes table only
// (no subquery, no trigger reading another table): on PostgreSQL it may
// share one statement with the writes queued next to it.
func (tx *Tx) writeLater(ctx context.Context, table, query string, args ...any) error {
	return tx.writeRowLater(ctx, table, "", query, args...)
}

// writeRowLater is writeLater for a write that reads and changes the one
// row of table whose key is row (any unique text for it): on PostgreSQL
// it may share one statement with writes on other rows of table too.
func (tx *Tx) writeRowLater(ctx context.Context, table, row, query string, args ...any) error {
	return tx.queueWrite(ctx, queued{table: table, row: row}, query, args)
}

// addLater is writeLater for a write that only adds rows to table (see
// queued.adds).
func (tx *Tx) addLater(ctx context.Context, table, query string, args ...any) error {
	return tx.queueWrite(ctx, queued{table: table, adds: true}, query, args)
}

// queueWrite runs or queues q, a write of query with args (see
// execLater), which must change a row if q.must says so (see
// affectLater).
func (tx *Tx) queueWrite(ctx context.Context, q queued, query string, args []any) error {
	tx.wrote(query)
	if tx.pg == nil || !tx.seen[tx.d.sql(query)] {
		res, err := tx.execIn(ctx, q.table, query, args...)
		if q.must != "" {
			if err := mustAffect(res, err); err != nil {
				return fmt.Errorf("%s: %w", q.must, err)
			}
			return nil
		}
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	q.query, q.args = tx.d.sql(query), tx.d.args(args)
	if q.row != "" || q.adds {
		q.form = tx.formFor(q.query)
	}
	tx.later = append(tx.later, q)
	return nil
}

// formFor returns query's array form, or nil, as the writer's cache holds it.
func (tx *Tx) formFor(query string) *arrayForm {
	f, ok := tx.forms[query]
	if !ok {
		f = formOf(query, tx.types)
		tx.forms[query] = f
	}
	return f
}

// affectLater is writeRowLater for a write that must change a row, else
// fails with ErrNotFound, wrapped in what: on PostgreSQL's writer that
// failure comes as a queued write's does, with a later statement of the
// Update, at the latest before its release or the batch's commit
// (flushChecks).
func (tx *Tx) affectLater(ctx context.Context, table, row, what, query string, args ...any) error {
	return tx.queueWrite(ctx, queued{table: table, row: row, must: what}, query, args)
}

// flushChecks sends the queued writes if one of them must change a row. A
// write that changes none leaves the transaction sound, so the statements
// sent with it run: a release or a commit must not.
func (tx *Tx) flushChecks() error {
	for _, q := range tx.later {
		if q.must != "" {
			return tx.flush()
		}
	}
	return nil
}

// checked is the result of stmt, whose command tag is tag: err, or its
// failure for changing no row.
func checked(stmt queued, tag pgconn.CommandTag, err error) error {
	if err == nil && stmt.must != "" && tag.RowsAffected() < int64(max(stmt.want, 1)) {
		return fmt.Errorf("%s: %w", stmt.must, ErrNotFound)
	}
	return err
}

// send sends the queued writes and then query, in one round trip, and
// returns the results positioned at query's. It fails with the first
// queued write that failed.
func (tx *Tx) send(query string, args []any) (pgx.BatchResults, error) {
	return tx.sendAll(queued{query: tx.d.sql(query), args: args})
}

// sendAll is send for several statements, whose results follow in order.
// The queued writes go combined (see combine), and the first of stmts
// may go in the same statement as the writes before it.
func (tx *Tx) sendAll(stmts ...queued) (pgx.BatchResults, error) {
	b, skip := tx.combine(stmts)
	clear(tx.later)
	tx.later = tx.later[:0]
	// A statement new to the connection is prepared before anything of
	// its pipeline runs, and if that fails nothing runs: the statements
	// before it (a job's savepoint among them) go first, on their own.
	for k := 1; k <= skip && k < len(b); k++ {
		if tx.seen[b[k].query] {
			continue
		}
		if err := tx.run(b[:k]); err != nil {
			return nil, err
		}
		b, skip, k = b[k:], skip-k, 0
	}
	br := tx.sendBatch(tx.batch(b))
	for i := range skip {
		tag, err := br.Exec()
		if err = checked(b[i], tag, err); err != nil {
			br.Close()
			return nil, err
		}
		if i == 0 {
			tx.markSeen() // the pipeline's statements all prepared
		}
	}
	return br, nil
}

// sendBatch sends b to PostgreSQL's writer, a round trip.
func (tx *Tx) sendBatch(b *pgx.Batch) pgx.BatchResults {
	tx.trips.Add(1)
	return tx.pg.SendBatch(context.Background(), b)
}

// batch queues stmts in a pgx batch and notes their texts in tx.sent.
func (tx *Tx) batch(stmts []queued) *pgx.Batch {
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(stmts))}
	tx.sent = tx.sent[:0]
	for _, q := range stmts {
		b.Queue(q.query, q.args...)
		tx.sent = append(tx.sent, q.query)
		tx.sent = append(tx.sent, q.parts...)
	}
	return b
}

// run sends stmts, writes whose results are not needed, and returns the
// first failure.
func (tx *Tx) run(stmts []queued) error {
	br := tx.sendBatch(tx.batch(stmts))
	for i := range stmts {
		tag, err := br.Exec()
		if err = checked(stmts[i], tag, err); err != nil {
			br.Close()
			return err
		}
		if i == 0 {
			tx.markSeen()
		}
	}
	return br.Close()
}

// markSeen records that the statements of the last pipeline sent are
// prepared on the connection, and the parts of those merged known to
// prepare: one of its results came back.
func (tx *Tx) markSeen() {
	for _, q := range tx.sent {
		tx.seen[q] = true
	}
}

// combine returns the statements to send for the queued writes followed
// by stmts, and how many results come before stmts' first. Each run of
// queued writes on tables becomes few statements: a chain of
// data-modifying WITH queries (see chain) for the writes that do not
// clash, then the writes that must change a row, whose count of rows
// comes back: those with the same array form as one statement (see
// foldGroup), each other alone, unless they are all of one form and go
// last in the chain. The first of stmts ends the last chain when it too
// changes a table of its own and no write waits to go after that chain.
// The writes of a chain run on one snapshot, in no set order: sound only
// because each reads and changes its own table, or its own rows of a
// table (queued.row, queued.adds). A write that clashes with one before it
// in the chain, or with one that must change a row and waits for the
// chain's end, starts the next chain.
// Savepoints and other statements are never combined: in a batch with
// savepoints, a chain holds one job's writes only.
func (tx *Tx) combine(stmts []queued) ([]queued, int) {
	later := tx.later
	out := make([]queued, 0, len(later)+len(stmts))
	for i := 0; i < len(later); {
		if later[i].table == "" {
			out = append(out, later[i])
			i++
			continue
		}
		var parts []queued
		var inChain, waiting claims
		var musts []mustGroup // in order
		for ; i < len(later) && later[i].table != ""; i++ {
			q := later[i]
			if q.must != "" {
				musts = addMust(musts, q)
				waiting.add(q)
				continue
			}
			if inChain.clash(q) || waiting.clash(q) {
				break
			}
			parts = append(parts, q)
			inChain.add(q)
		}
		if len(musts) == 1 && !slices.ContainsFunc(musts[0].writes, inChain.clash) {
			out = append(out, tx.chain(parts, foldGroup(musts[0].writes)))
			continue
		}
		if i == len(later) && len(musts) == 0 && len(stmts) > 0 && stmts[0].table != "" && !inChain.clash(stmts[0]) {
			out = append(out, tx.chain(parts, stmts[0]))
			return append(out, stmts[1:]...), len(out) - 1
		}
		if len(parts) > 0 {
			out = append(out, tx.chain(parts))
		}
		for _, g := range musts {
			out = append(out, foldGroup(g.writes))
		}
	}
	return append(out, stmts...), len(out)
}

// mustGroup is writes that must change a row waiting for the end of
// their chain, of one array form if several, and the rows they claim.
type mustGroup struct {
	writes []queued
	claims claims
}

// addMust adds q, a write that must change a row, to the groups of those
// waiting for the end of their chain: to the group of its form if no
// write of that group or a later one clashes with it, so that it may run
// with that group, before the later ones.
func addMust(musts []mustGroup, q queued) []mustGroup {
	for k := len(musts) - 1; k >= 0 && q.form != nil; k-- {
		g := &musts[k]
		if g.claims.clash(q) {
			break
		}
		if f := g.writes[0].form; f != nil && f.query == q.form.query {
			g.writes = append(g.writes, q)
			g.claims.add(q)
			return musts
		}
	}
	g := mustGroup{writes: []queued{q}}
	g.claims.add(q)
	return append(musts, g)
}

// claims are the rows that the writes of a statement (or of writes
// waiting to run together) read and change, by table: a write clashes
// with them if it is on one of their tables, and they are not all adding
// rows with it, nor all naming their rows, others than it names. A
// row's name that starts another's at a NUL (a chat's timers, one timer
// of the chat) names some of the same rows.
type claims map[string]*tableClaims

type tableClaims struct {
	adds, whole bool            // a write that only adds rows; one that names none
	rows        map[string]bool // names, and the names they start with
	named       map[string]bool // names
}

// clash reports whether q may not share a statement with the writes
// claimed.
func (c claims) clash(q queued) bool {
	t := c[q.table]
	switch {
	case t == nil:
		return false
	case q.adds:
		return t.whole || len(t.named) > 0
	case q.row == "" || t.whole || t.adds:
		return true
	}
	if t.rows[q.row] {
		return true
	}
	for k := 0; k < len(q.row); k++ {
		if q.row[k] == 0 && t.named[q.row[:k+1]] {
			return true
		}
	}
	return false
}

// add claims q's rows.
func (c *claims) add(q queued) {
	if *c == nil {
		*c = claims{}
	}
	t := (*c)[q.table]
	if t == nil {
		t = &tableClaims{rows: map[string]bool{}, named: map[string]bool{}}
		(*c)[q.table] = t
	}
	switch {
	case q.adds:
		t.adds = true
	case q.row == "":
		t.whole = true
	default:
		t.named[q.row] = true
		t.rows[q.row] = true
		for k := 0; k < len(q.row); k++ {
			if q.row[k] == 0 {
				t.rows[q.row[:k+1]] = true
			}
		}
	}
}

// chain makes one statement of parts and then last, if given (see
// merge): the parts with the same array form go as one write, in the
// order of their texts, so that a busy writer's statements have few
// texts.
func (tx *Tx) chain(parts []queued, last ...queued) queued {
	var groups [][]queued
	for _, p := range parts {
		k := -1
		if p.form != nil {
			k = slices.IndexFunc(groups, func(g []queued) bool { return g[0].form != nil && g[0].form.query == p.form.query })
		}
		if k < 0 {
			groups = append(groups, []queued{p})
		} else {
			groups[k] = append(groups[k], p)
		}
	}
	list := make([]queued, 0, len(groups)+1)
	for _, g := range groups {
		list = append(list, foldGroup(g))
	}
	slices.SortStableFunc(list, func(a, b queued) int { return strings.Compare(a.query, b.query) })
	return tx.merge(append(list, last...))
}

// foldGroup makes one write of g, writes of one array form: that form, on
// all their rows.
func foldGroup(g []queued) queued {
	if len(g) == 1 {
		return g[0]
	}
	f := g[0].form
	texts := make([]string, len(g))
	want := 0
	for i, p := range g {
		texts[i] = p.query
		want += len(p.args) / f.width
	}
	return queued{query: f.query, args: formArgs(f, g), parts: texts, must: g[0].must, want: want}
}

// merge makes one statement of parts: the last one, after the others as
// WITH queries, its placeholders numbered after theirs.
func (tx *Tx) merge(parts []queued) queued {
	if len(parts) == 1 {
		return parts[0]
	}
	var key strings.Builder
	n := 0
	for _, p := range parts {
		key.WriteString(p.query)
		key.WriteByte(0)
		n += len(p.args)
	}
	text, ok := tx.merged[key.String()]
	if !ok {
		var b strings.Builder
		off := 0
		for i, p := range parts {
			switch {
			case i == 0:
				b.WriteString("WITH ")
			case i < len(parts)-1:
				b.WriteString(", ")
			}
			if i < len(parts)-1 {
				fmt.Fprintf(&b, "w%d AS (%s)", i, renumber(p.query, off))
			} else {
				b.WriteString(" " + renumber(p.query, off))
			}
			off += len(p.args)
		}
		text = b.String()
		if len(tx.merged) >= maxMerged {
			clear(tx.merged)
		}
		tx.merged[key.String()] = text
	}
	args := make([]any, 0, n)
	var texts []string
	for _, p := range parts {
		args = append(args, p.args...)
		texts = append(append(texts, p.query), p.parts...)
	}
	last := parts[len(parts)-1]
	return queued{query: text, args: args, must: last.must, want: last.want, parts: texts}
}

// maxMerged bounds a writer's cache of merged statements' texts.
const maxMerged = 4096

// renumber adds off to every $n placeholder of query (PostgreSQL's text),
// leaving string literals and quoted names alone.
func renumber(query string, off int) string {
	if off == 0 {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			end := strings.IndexByte(query[i+1:], c)
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
		case c == '$' && i+1 < len(query) && query[i+1] >= '0' && query[i+1] <= '9':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(query[i+1 : j])
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n + off))
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// flush sends the queued writes, if any, and returns the first failure.
func (tx *Tx) flush() error {
	if len(tx.later) == 0 {
		return nil
	}
	b, _ := tx.combine(nil)
	clear(tx.later)
	tx.later = tx.later[:0]
	// As in sendAll: a statement new to the connection starts a pipeline.
	start := 0
	for k := 1; k <= len(b); k++ {
		if k < len(b) && tx.seen[b[k].query] {
			continue
		}
		if err := tx.run(b[start:k]); err != nil {
			return err
		}
		start = k
	}
	return nil
}

// pgRow runs a one-row query on PostgreSQL's writer, after the queued
// writes, and holds its row's values for Scan.
func (tx *Tx) pgRow(query string, args []any) rowScanner {
	br, err := tx.send(query, args)
	if err != nil {
		return errRow{err}
	}
	return tx.lastRow(br)
}

// lastRow holds the first row of br's next result for Scan, its
// pipeline's statements now prepared, and closes br.
func (tx *Tx) lastRow(br pgx.BatchResults) rowScanner {
	defer br.Close()
	row, err := firstRow(br)
	if err != nil {
		return errRow{err}
	}
	tx.markSeen()
	return row
}

// aside runs a one-row query on PostgreSQL's writer that depends on
// none of the queued writes (a sequence's next value), without them: they
// stay queued, to share statements with the writes queued after it.
func (tx *Tx) aside(ctx context.Context, query string, args ...any) rowScanner {
	if err := ctx.Err(); err != nil {
		return errRow{err}
	}
	return tx.lastRow(tx.sendBatch(tx.batch([]queued{{query: tx.d.sql(query), args: tx.d.args(args)}})))
}

// pgRows runs query on PostgreSQL's writer, after the queued writes, and
// calls fn for each row. table is as for execIn.
func (tx *Tx) pgRows(table, query string, args []any, fn func(rowScanner) error) error {
	return tx.pgRowsAll([]queued{{query: tx.d.sql(query), args: args, table: table}}, fn)
}

// pgRowsAll runs stmts (as PostgreSQL takes them) on PostgreSQL's writer,
// after the queued writes, in one round trip, and calls fns[i] for each
// row of stmts[i]. It stops at the first failure.
func (tx *Tx) pgRowsAll(stmts []queued, fns ...func(rowScanner) error) error {
	br, err := tx.sendAll(stmts...)
	if err != nil {
		return err
	}
	defer br.Close()
	for _, fn := range fns {
		if err := eachValues(br, fn); err != nil {
			return err
		}
		tx.markSeen()
	}
	return br.Close()
}

// eachValues calls fn for each row of br's next result.
func eachValues(br pgx.BatchResults, fn func(rowScanner) error) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return err
		}
		if err := fn(valuesRow(vals)); err != nil {
			return err
		}
	}
	rows.Close()
	return rows.Err()
}

// firstRow reads the first row of br's next result: its values, or
// sql.ErrNoRows.
func firstRow(br pgx.BatchResults) (rowScanner, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return errRow{sql.ErrNoRows}, nil
	}
	vals, err := rows.Values()
	if err != nil {
		return nil, err
	}
	rows.Close()
	return valuesRow(vals), rows.Err()
}

// read is one single-row query of readAll and what scans its row.
type read struct {
	query string
	args  []any
	scan  func(rowScanner) error
}

// readAll runs single-row queries one after the other and scans each row
// as it comes (a missing row scans as sql.ErrNoRows); it stops at the
// first scan that fails. On PostgreSQL's writer they go in one round
// trip, once each ran alone.
func (tx *Tx) readAll(ctx context.Context, reads ...read) error {
	pipelined := tx.pg != nil
	stmts := make([]queued, len(reads))
	for i, r := range reads {
		stmts[i] = queued{query: tx.d.sql(r.query), args: tx.d.args(r.args)}
		pipelined = pipelined && tx.seen[stmts[i].query]
	}
	if !pipelined {
		for _, r := range reads {
			if err := r.scan(tx.queryRow(ctx, r.query, r.args...)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	br, err := tx.sendAll(stmts...)
	if err != nil {
		return err
	}
	defer br.Close()
	for _, r := range reads {
		row, err := firstRow(br)
		if err != nil {
			return err
		}
		if err := r.scan(row); err != nil {
			return err
		}
	}
	return br.Close()
}

// valuesRow is a row read through pgx, scanned as database/sql would
// scan it for the store's types.
type valuesRow []any

func (r valuesRow) Scan(dest ...any) error {
	if len(dest) != len(r) {
		return fmt.Errorf("scan: %d columns into %d values", len(r), len(dest))
	}
	for i, d := range dest {
		if err := assign(d, r[i]); err != nil {
			return fmt.Errorf("scan column %d: %w", i, err)
		}
	}
	return nil
}

// assign stores src, a value pgx decoded, in dest, as database/sql's
// conversions do for the types the store scans into.
func assign(dest, src any) error {
	switch v := src.(type) {
	case int16:
		src = int64(v)
	case int32:
		src = int64(v)
	case float32:
		src = float64(v)
	case driver.Valuer:
		var err error
		if src, err = v.Value(); err != nil {
			return err
		}
	}
	if s, ok := dest.(sql.Scanner); ok {
		return s.Scan(src)
	}
	switch d := dest.(type) {
	case *any:
		*d = src
		return nil
	case *string:
		switch v := src.(type) {
		case string:
			*d = v
			return nil
		case []byte:
			*d = string(v)
			return nil
		case int64:
			*d = strconv.FormatInt(v, 10)
			return nil
		}
	case *[]byte:
		switch v := src.(type) {
		case []byte:
			*d = bytes.Clone(v)
			return nil
		case string:
			*d = []byte(v)
			return nil
		case nil:
			*d = nil
			return nil
		}
	case *int64:
		switch v := src.(type) {
		case int64:
			*d = v
			return nil
		case string: // numeric, as SUM gives
			n, err := strconv.ParseInt(v, 10, 64)
			*d = n
			return err
		}
	case *int:
		switch v := src.(type) {
		case int64:
			*d = int(v)
			return nil
		case string:
			n, err := strconv.Atoi(v)
			*d = n
			return err
		}
	case *bool:
		switch v := src.(type) {
		case bool:
			*d = v
			return nil
		case int64:
			if v == 0 || v == 1 {
				*d = v == 1
				return nil
			}
		}
	case *float64:
		switch v := src.(type) {
		case float64:
			*d = v
			return nil
		case int64:
			*d = float64(v)
			return nil
		}
	}
	return fmt.Errorf("cannot scan %T into %T", src, dest)
}

// insert runs an INSERT ... RETURNING id and returns the new row's id.
func (tx *Tx) insert(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, query, args...).Scan(&id)
	return id, err
}

// eachRow runs query and calls fn for every row: for aggregates that fold
// rows as they come instead of collecting them.
func (tx *Tx) eachRow(ctx context.Context, query string, args []any, fn func(rowScanner) error) error {
	if tx.pg != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		return tx.pgRows("", query, tx.d.args(args), fn)
	}
	rows, err := tx.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// queryAll runs query on tx and scans every row with scan.
func queryAll[T any](ctx context.Context, tx *Tx, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	if tx.writer && tx.pg != nil {
		var out []T
		err := tx.eachRow(ctx, query, args, func(s rowScanner) error {
			v, err := scan(s)
			out = append(out, v)
			return err
		})
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	rows, err := tx.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// notFound turns sql.ErrNoRows into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// mustAffect returns ErrNotFound if res changed no row.
func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// sqlLimit maps limit <= 0 ("all") to a bound any engine accepts.
func sqlLimit(limit int) int64 {
	if limit <= 0 {
		return 1<<31 - 1
	}
	return int64(limit)
}

// millis stores t as unix milliseconds; the zero Time is 0.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMillis is the inverse of millis, in UTC.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
