package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// brt returns a non-UTC zone: times go in local to Brazil and must come
// back in UTC.
func brt() *time.Location { return time.FixedZone("BRT", -3*60*60) }

func openTest(tb testing.TB) *DB {
	tb.Helper()
	return openAt(tb, testDSN(tb))
}

// openAt opens the store at dsn, closed at the test's end: one of several
// processes sharing it.
func openAt(tb testing.TB, dsn string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

func update(tb testing.TB, db *DB, fn func(tx *Tx) error) {
	tb.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		tb.Fatalf("Update: %v", err)
	}
}

func view(tb testing.TB, db *DB, fn func(tx *Tx) error) {
	tb.Helper()
	if err := db.View(context.Background(), fn); err != nil {
		tb.Fatalf("View: %v", err)
	}
}

// hold occupies the writer until the returned release is called.
func hold(t *testing.T, db *DB) (release func(), done <-chan error) {
	t.Helper()
	entered := make(chan struct{})
	unblock := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- db.Update(context.Background(), func(*Tx) error {
			close(entered)
			<-unblock
			return nil
		})
	}()
	<-entered
	var once sync.Once
	return func() { once.Do(func() { close(unblock) }) }, errc
}

// waitQueued waits until n jobs wait in the writer's queue.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(db.writers[0].jobs) < n {
		if time.Now().After(deadline) {
			t.Fatalf("queued jobs: got %d, want %d", len(db.writers[0].jobs), n)
		}
		runtime.Gosched()
	}
}

// oneBatch runs jobs in one batch of the writer, in their order (it
// holds the writer while they queue), and returns each one's error.
func oneBatch(t *testing.T, db *DB, jobs ...func() error) []error {
	t.Helper()
	release, blocker := hold(t, db)
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Go(func() { errs[i] = job() })
		waitQueued(t, db, i+1)
	}
	release()
	wg.Wait()
	if err := <-blocker; err != nil {
		t.Fatalf("blocker: %v", err)
	}
	return errs
}

func TestOpenCreatesDirAndFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "suporte.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	if got := db.Path(); got != path {
		t.Errorf("Path: got %q, want %q", got, path)
	}
	for _, c := range []struct {
		path string
		want os.FileMode
	}{
		{dir, 0o700 | os.ModeDir},
		{path, 0o600},
	} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode(); got != c.want {
			t.Errorf("mode of %s: got %v, want %v", c.path, got, c.want)
		}
	}
}

func TestOpenOddPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a b#1?x=%41", "suporte.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	update(t, db, func(tx *Tx) error { return tx.PutCustomer(t.Context(), Customer{Chat: "c1"}) })
	view(t, db, func(tx *Tx) error { _, err := tx.Customer(t.Context(), "c1"); return err })
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file: %v", err)
	}
}

// TestOpenRefusesMistypedURL: an address that is not a postgres:// URL
// is refused, not opened as a new SQLite file named after it (with the
// password in the file's name), and the message hides the password.
func TestOpenRefusesMistypedURL(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, dsn := range []string{
		"Postgres://suporte:segredo@127.0.0.1:5432/s4",
		"postgres:/suporte:segredo@127.0.0.1/s4",
		" postgres://suporte:segredo@127.0.0.1/s4",
		"mysql://suporte:segredo@db/s4",
		"host=127.0.0.1 dbname=s4 password=segredo",
	} {
		db, err := Open(t.Context(), dsn)
		if err == nil {
			db.Close()
			t.Errorf("Open(%q): got a store, want an error", dsn)
			continue
		}
		if strings.Contains(err.Error(), "segredo") {
			t.Errorf("Open(%q): the message shows the password: %v", dsn, err)
		}
	}
	if left, _ := os.ReadDir("."); len(left) != 0 {
		t.Errorf("files left behind: %v", left)
	}
}

// TestRedact: a password is hidden wherever the address carries it.
func TestRedact(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://u:segredo@h/db":              "postgres://u:xxxxx@h/db",
		"postgres://u@h/db?password=segredo&x=1": "postgres://u@h/db?password=xxxxx&x=1",
		"host=h password=segredo dbname=db":      "host=h password=xxxxx dbname=db",
		"host=h password = 'se gredo' dbname=db": "host=h password = xxxxx dbname=db",
		"postgres://u@h/db":                      "postgres://u@h/db",
	} {
		if got := redact(dsn); got != want {
			t.Errorf("redact(%q) = %q, want %q", dsn, got, want)
		}
	}
}

func TestReopen(t *testing.T) {
	path := testDSN(t)
	want := Customer{Chat: "c1", Name: "Ana"}
	for i := range 3 {
		db, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open #%d: %v", i, err)
		}
		if i == 0 {
			update(t, db, func(tx *Tx) error { return tx.PutCustomer(t.Context(), want) })
		}
		view(t, db, func(tx *Tx) error {
			got, err := tx.Customer(t.Context(), "c1")
			if err != nil {
				return err
			}
			if got != want {
				t.Errorf("open #%d: got %+v, want %+v", i, got, want)
			}
			v, err := schemaVersion(t.Context(), tx.d, tx.q)
			if err != nil {
				return err
			}
			if newest := newestVersion(t); v != newest {
				t.Errorf("schema version: got %d, want %d", v, newest)
			}
			return nil
		})
		if err := db.Close(); err != nil {
			t.Fatalf("Close #%d: %v", i, err)
		}
	}
}

func TestOpenTooNew(t *testing.T) {
	path := testDSN(t)
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, func(tx *Tx) error {
		set := setUserVersionSQL
		if tx.d.postgres {
			set = pgSetVersionSQL
		}
		_, err := tx.q.ExecContext(t.Context(), fmt.Sprintf(set, 42))
		return err
	})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	_, err = Open(t.Context(), path)
	if !errors.Is(err, ErrTooNew) {
		t.Fatalf("Open: got %v, want ErrTooNew", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "42") || !strings.Contains(msg, fmt.Sprintf("newest known %d", newestVersion(t))) {
		t.Errorf("error %q: want both versions", msg)
	}
}

func TestMigrationsNumbered(t *testing.T) {
	for _, d := range []*dialect{sqliteDialect, postgresDialect} {
		ms, err := migrations(d)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 || ms[0].name != "0001_init.sql" {
			t.Fatalf("%s migrations: got %+v", d.name, ms)
		}
	}
}

// TestSettings checks what the store relies on from the engine: on
// SQLite, the pragmas; on PostgreSQL, durable commits and Views that are
// read-only snapshots.
func TestSettings(t *testing.T) {
	db := openTest(t)
	if db.Postgres() {
		update(t, db, func(tx *Tx) error {
			var sync string
			if err := tx.q.QueryRowContext(t.Context(), "SHOW synchronous_commit").Scan(&sync); err != nil {
				return err
			}
			if testPG == nil && sync != "on" {
				t.Errorf("synchronous_commit: got %s, want on", sync)
			}
			return nil
		})
		view(t, db, func(tx *Tx) error {
			for setting, want := range map[string]string{"transaction_isolation": "repeatable read", "transaction_read_only": "on"} {
				var got string
				if err := tx.q.QueryRowContext(t.Context(), "SHOW "+setting).Scan(&got); err != nil {
					return err
				}
				if got != want {
					t.Errorf("View %s: got %s, want %s", setting, got, want)
				}
			}
			return nil
		})
		return
	}
	update(t, db, func(tx *Tx) error {
		for _, c := range []struct{ pragma, want string }{
			{"journal_mode", "wal"},
			{"foreign_keys", "1"},
			{"synchronous", "2"}, // FULL: a commit is on disk before a WhatsApp ack
			{"busy_timeout", "10000"},
		} {
			var got string
			if err := tx.q.QueryRowContext(t.Context(), "PRAGMA "+c.pragma).Scan(&got); err != nil {
				return err
			}
			if got != c.want {
				t.Errorf("writer PRAGMA %s: got %s, want %s", c.pragma, got, c.want)
			}
		}
		return nil
	})
	view(t, db, func(tx *Tx) error {
		var got string
		if err := tx.q.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&got); err != nil {
			return err
		}
		if got != "wal" {
			t.Errorf("reader journal_mode: got %s, want wal", got)
		}
		return nil
	})
}

func TestViewCannotWrite(t *testing.T) {
	db := openTest(t)
	err := db.View(t.Context(), func(tx *Tx) error {
		return tx.PutCustomer(t.Context(), Customer{Chat: "c1"})
	})
	if err == nil || !strings.Contains(strings.ReplaceAll(err.Error(), "-", ""), "readonly") {
		t.Fatalf("write in View: got %v, want a read-only error", err)
	}
	view(t, db, func(tx *Tx) error {
		if _, err := tx.Customer(t.Context(), "c1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Customer after failed write: got %v, want ErrNotFound", err)
		}
		return nil
	})
}

func TestViewSeesCommittedUpdate(t *testing.T) {
	db := openTest(t)
	update(t, db, func(tx *Tx) error { return tx.PutCustomer(t.Context(), Customer{Chat: "c1"}) })
	view(t, db, func(tx *Tx) error {
		_, err := tx.Customer(t.Context(), "c1")
		return err
	})
}

func TestViewSnapshot(t *testing.T) {
	db := openTest(t)
	put := func(chat string) {
		update(t, db, func(tx *Tx) error { return tx.SetTimer(t.Context(), Timer{Chat: chat, Kind: "k"}) })
	}
	count := func(tx *Tx) int {
		ts, err := tx.DueTimers(t.Context(), "", time.Now(), 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(ts)
	}
	put("a")
	view(t, db, func(tx *Tx) error {
		if got := count(tx); got != 1 {
			t.Errorf("before: got %d timers, want 1", got)
		}
		put("b") // the open read transaction must not block the writer
		if got := count(tx); got != 1 {
			t.Errorf("same snapshot after a commit: got %d timers, want 1", got)
		}
		return nil
	})
	view(t, db, func(tx *Tx) error {
		if got := count(tx); got != 2 {
			t.Errorf("new snapshot: got %d timers, want 2", got)
		}
		return nil
	})
}

func TestGroupCommitIsolation(t *testing.T) {
	db := openTest(t)
	const n = 64
	const failing = 17
	errFail := errors.New("job failed on purpose")

	release, blocker := hold(t, db)
	batches0 := db.batches.Load()

	errs := make([]error, n)
	panics := make([]any, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errs[i] = db.Update(t.Context(), func(tx *Tx) error {
				chat := fmt.Sprintf("c%d", i)
				if err := tx.PutCustomer(t.Context(), Customer{Chat: chat}); err != nil {
					return err
				}
				if err := tx.SetTimer(t.Context(), Timer{Chat: chat, Kind: "k", Due: time.UnixMilli(int64(i + 1))}); err != nil {
					return err
				}
				switch i {
				case failing:
					return errFail
				case failing + 1:
					panic("boom")
				}
				return nil
			})
		})
	}
	waitQueued(t, db, n)
	release()
	wg.Wait()
	if err := <-blocker; err != nil {
		t.Fatalf("blocker: %v", err)
	}

	if got := db.batches.Load() - batches0; got != 1 {
		t.Errorf("batches for %d queued jobs: got %d, want 1", n, got)
	}
	for i := range n {
		switch i {
		case failing:
			if !errors.Is(errs[i], errFail) {
				t.Errorf("job %d: got %v, want its own error", i, errs[i])
			}
		case failing + 1:
			if panics[i] != "boom" {
				t.Errorf("job %d: got panic %v, want boom", i, panics[i])
			}
		default:
			if errs[i] != nil || panics[i] != nil {
				t.Errorf("job %d: got %v / panic %v, want nil", i, errs[i], panics[i])
			}
		}
	}
	view(t, db, func(tx *Tx) error {
		for i := range n {
			chat := fmt.Sprintf("c%d", i)
			_, err := tx.Customer(t.Context(), chat)
			timers, terr := tx.Timers(t.Context(), "", chat)
			if terr != nil {
				return terr
			}
			if i == failing || i == failing+1 {
				if !errors.Is(err, ErrNotFound) || len(timers) != 0 {
					t.Errorf("job %d rolled back: customer err %v, timers %v", i, err, timers)
				}
				continue
			}
			if err != nil || len(timers) != 1 {
				t.Errorf("job %d committed: customer err %v, timers %v", i, err, timers)
			}
		}
		return nil
	})
}

func TestBatchAbortRecovers(t *testing.T) {
	db := openTest(t)
	release, blocker := hold(t, db)
	fns := []func(tx *Tx) error{
		func(tx *Tx) error { return tx.PutCustomer(t.Context(), Customer{Chat: "a"}) },
		func(tx *Tx) error {
			// Breaks the batch: its savepoint is gone.
			_, err := tx.q.ExecContext(t.Context(), "ROLLBACK")
			return err
		},
		func(tx *Tx) error { return tx.PutCustomer(t.Context(), Customer{Chat: "c"}) },
	}
	errs := make([]chan error, len(fns))
	for i, fn := range fns {
		errs[i] = make(chan error, 1)
		go func() { errs[i] <- db.Update(t.Context(), fn) }()
		waitQueued(t, db, i+1) // keep the queue order
	}
	release()
	if err := <-blocker; err != nil {
		t.Fatal(err)
	}
	for i := range fns {
		if err := <-errs[i]; err == nil || !strings.Contains(err.Error(), "batch aborted") {
			t.Errorf("job %d: got %v, want batch aborted", i, err)
		}
	}
	update(t, db, func(tx *Tx) error { return tx.PutCustomer(t.Context(), Customer{Chat: "d"}) })
	view(t, db, func(tx *Tx) error {
		for _, c := range []struct {
			chat string
			want error
		}{{"a", ErrNotFound}, {"c", ErrNotFound}, {"d", nil}} {
			if _, err := tx.Customer(t.Context(), c.chat); !errors.Is(err, c.want) {
				t.Errorf("customer %s: got %v, want %v", c.chat, err, c.want)
			}
		}
		return nil
	})
}

// TestLostTransactionFailsItsJob: a job alone in its batch, under which
// the transaction ends (SQLite rolls it back itself at a full disk), fails
// even though it returns nil: none of its writes happened.
func TestLostTransactionFailsItsJob(t *testing.T) {
	db := openTest(t)
	err := db.Update(t.Context(), func(tx *Tx) error {
		if err := tx.PutCustomer(t.Context(), Customer{Chat: "a"}); err != nil {
			return err
		}
		tx.q.ExecContext(t.Context(), "ROLLBACK") // what the job ignores
		return nil
	})
	if err == nil {
		t.Error("Update under a lost transaction: got nil, want an error")
	}
	update(t, db, func(tx *Tx) error { return tx.PutCustomer(t.Context(), Customer{Chat: "b"}) })
	view(t, db, func(tx *Tx) error {
		if _, err := tx.Customer(t.Context(), "a"); !errors.Is(err, ErrNotFound) {
			t.Errorf("customer a: got %v, want ErrNotFound", err)
		}
		_, err := tx.Customer(t.Context(), "b")
		return err
	})
}

func TestConcurrentUpdatesBatch(t *testing.T) {
	db := openTest(t)
	const workers, each = 16, 100
	batches0, jobs0 := db.batches.Load(), db.batched.Load()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			chat := fmt.Sprintf("c%d", w)
			for i := range each {
				err := db.Update(t.Context(), func(tx *Tx) error {
					_, _, err := tx.InsertInbox(t.Context(), Inbound{Chat: chat, MsgID: fmt.Sprint(i)})
					return err
				})
				if err != nil {
					t.Errorf("Update: %v", err)
					return
				}
				if i%10 == 0 {
					err := db.View(t.Context(), func(tx *Tx) error {
						ins, err := tx.InboxByChat(t.Context(), "", chat, 0)
						if err == nil && len(ins) != i+1 {
							t.Errorf("chat %s: got %d rows, want %d", chat, len(ins), i+1)
						}
						return err
					})
					if err != nil {
						t.Errorf("View: %v", err)
					}
				}
			}
		})
	}
	wg.Wait()
	batches, jobs := db.batches.Load()-batches0, db.batched.Load()-jobs0
	if jobs != workers*each {
		t.Errorf("jobs: got %d, want %d", jobs, workers*each)
	}
	t.Logf("%d jobs in %d batches (%.1f per batch)", jobs, batches, float64(jobs)/float64(batches))
	if batches >= jobs {
		t.Errorf("batches: got %d for %d concurrent jobs, want fewer (group commit)", batches, jobs)
	}
	view(t, db, func(tx *Tx) error {
		chats, err := tx.WorkChats(t.Context(), "")
		if len(chats) != workers {
			t.Errorf("WorkChats: got %d, want %d", len(chats), workers)
		}
		return err
	})
}

func TestUpdateCancelledBeforeStart(t *testing.T) {
	db := openTest(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var ran atomic.Bool
	fn := func(*Tx) error { ran.Store(true); return nil }
	if err := db.Update(ctx, fn); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before Update: got %v, want context.Canceled", err)
	}

	// Cancelled while queued behind another job.
	release, blocker := hold(t, db)
	ctx, cancel = context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- db.Update(ctx, fn) }()
	waitQueued(t, db, 1)
	cancel()
	release()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled while queued: got %v, want context.Canceled", err)
	}
	if err := <-blocker; err != nil {
		t.Fatal(err)
	}
	if ran.Load() {
		t.Error("fn ran after its context was cancelled")
	}
}

func TestCloseWithQueuedUpdates(t *testing.T) {
	dsn := testDSN(t)
	goroutines := runtime.NumGoroutine()
	db, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}

	release, blocker := hold(t, db)
	const n = 20
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- db.Update(context.Background(), func(tx *Tx) error {
				return tx.SetTimer(context.Background(), Timer{Chat: fmt.Sprint(i), Kind: "k"})
			})
		}()
	}
	waitQueued(t, db, n)
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	// Close must stop new work even while the writer is busy.
	deadline := time.Now().Add(10 * time.Second)
	for !func() bool { db.mu.RLock(); defer db.mu.RUnlock(); return db.closed }() {
		if time.Now().After(deadline) {
			t.Fatal("Close did not mark the store closed")
		}
		runtime.Gosched()
	}
	if err := db.Update(t.Context(), func(*Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Update during Close: got %v, want ErrClosed", err)
	}
	release()
	if err := <-blocker; err != nil {
		t.Errorf("blocker: %v", err)
	}
	for range n {
		if err := <-errs; err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("queued Update: got %v, want nil or ErrClosed", err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := db.Update(t.Context(), func(*Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Update after Close: got %v, want ErrClosed", err)
	}
	if err := db.View(t.Context(), func(*Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("View after Close: got %v, want ErrClosed", err)
	}

	// database/sql's opener goroutines exit asynchronously after Close.
	deadline = time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > goroutines {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: got %d, want <= %d\n%s", runtime.NumGoroutine(), goroutines, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTimeRoundTrip(t *testing.T) {
	for _, c := range []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"zero", time.Time{}, time.Time{}},
		{"brt", time.Date(2025, 3, 1, 9, 30, 15, 123_456_789, brt()), time.Date(2025, 3, 1, 12, 30, 15, 123_000_000, time.UTC)},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := fromMillis(millis(c.in))
			if !got.Equal(c.want) || got.Location() != c.want.Location() {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

// BenchmarkUpdate measures the group-commit writer: each op is one Update
// doing InsertInbox + PutConversation + AppendOutbox, from 8 goroutines.
func BenchmarkUpdate(b *testing.B) {
	db := openTest(b)
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((8 + procs - 1) / procs)
	var seq atomic.Int64
	batches0, jobs0 := db.batches.Load(), db.batched.Load()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			n := seq.Add(1)
			chat := fmt.Sprintf("chat%d", n%1000)
			err := db.Update(ctx, func(tx *Tx) error {
				if _, _, err := tx.InsertInbox(ctx, Inbound{Chat: chat, MsgID: fmt.Sprint(n), Kind: "text", Text: "1"}); err != nil {
					return err
				}
				c := Conversation{Chat: chat, State: "menu", Node: "root", Path: []string{"root"}}
				if err := tx.PutConversation(ctx, c); err != nil {
					return err
				}
				_, err := tx.AppendOutbox(ctx, OutMsg{Chat: chat, Text: "ok", Author: "bot"})
				return err
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	if batches := db.batches.Load() - batches0; batches > 0 {
		b.ReportMetric(float64(db.batched.Load()-jobs0)/float64(batches), "jobs/batch")
	}
}

// BenchmarkUpdateOneRow is BenchmarkUpdate with a single-row write per
// Update, to compare with BenchmarkReferenceCommit.
func BenchmarkUpdateOneRow(b *testing.B) {
	db := openTest(b)
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((8 + procs - 1) / procs)
	var seq atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			n := seq.Add(1)
			err := db.Update(ctx, func(tx *Tx) error {
				return tx.SetTimer(ctx, Timer{Chat: fmt.Sprintf("chat%d", n%1000), Kind: "idle", Due: time.UnixMilli(n)})
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkReferenceCommit measures the engine's own rate of single-row
// transactions with the writer's settings: the target Update should meet.
func BenchmarkReferenceCommit(b *testing.B) {
	ref, err := OpenReference(b.Context(), testDSN(b))
	if err != nil {
		b.Fatal(err)
	}
	defer ref.Close()
	b.ResetTimer()
	for i := range b.N {
		if err := ref.Commit(b.Context(), i); err != nil {
			b.Fatal(err)
		}
	}
}

// newestVersion is the schema version the embedded migrations lead to.
func newestVersion(tb testing.TB) int {
	tb.Helper()
	ms, err := migrations(sqliteDialect)
	if err != nil {
		tb.Fatal(err)
	}
	return ms[len(ms)-1].version
}

func TestTryUndoesOnlyItsOwnWork(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	var failed, panicked error
	update(t, db, func(tx *Tx) error {
		if err := tx.PutCustomer(ctx, Customer{Chat: "kept", CreatedAt: now}); err != nil {
			return err
		}
		failed = tx.Try(ctx, func() error {
			if err := tx.PutCustomer(ctx, Customer{Chat: "undone", CreatedAt: now}); err != nil {
				return err
			}
			return errors.New("boom")
		})
		panicked = tx.Try(ctx, func() error {
			if err := tx.PutCustomer(ctx, Customer{Chat: "panicked", CreatedAt: now}); err != nil {
				return err
			}
			panic("bug")
		})
		return tx.Try(ctx, func() error { return tx.PutCustomer(ctx, Customer{Chat: "tried", CreatedAt: now}) })
	})
	// The job ran last with savepoints: its Try's errors are fn's own.
	if failed == nil || failed.Error() != "boom" {
		t.Errorf("Try returned %v; want boom", failed)
	}
	if panicked == nil || panicked.Error() != "panic: bug" {
		t.Errorf("Try after a panic returned %v", panicked)
	}
	view(t, db, func(tx *Tx) error {
		for chat, want := range map[string]bool{"kept": true, "tried": true, "undone": false, "panicked": false} {
			_, err := tx.Customer(ctx, chat)
			if got := err == nil; got != want {
				t.Errorf("customer %s present=%v; want %v (%v)", chat, got, want, err)
			}
		}
		if err := tx.Try(ctx, func() error { return nil }); err == nil {
			t.Error("Try inside View succeeded")
		}
		return nil
	})
}

// A batch runs without savepoints, Try's included; a Try that fails there
// sends the batch down the savepoint path, even when its job ignores the
// error, and only that Try's writes are undone.
func TestTryFailureRerunsBatch(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	put := func(tx *Tx, chat string) error { return tx.PutCustomer(ctx, Customer{Chat: chat}) }
	runs := make([]int, 4)
	var tryErrs [2]error
	errs := oneBatch(t, db,
		func() error {
			return db.Update(ctx, func(tx *Tx) error { runs[0]++; return put(tx, "a") })
		},
		func() error {
			return db.Update(ctx, func(tx *Tx) error {
				runs[1]++
				if err := put(tx, "b"); err != nil {
					return err
				}
				tryErrs[0] = tx.Try(ctx, func() error {
					if err := put(tx, "b-undone"); err != nil {
						return err
					}
					return errors.New("boom")
				})
				return put(tx, "b-after") // ignores the Try's error
			})
		},
		func() error {
			return db.Update(ctx, func(tx *Tx) error {
				runs[2]++
				tryErrs[1] = tx.Try(ctx, func() error { put(tx, "c-undone"); panic("bug") })
				if errors.Is(tryErrs[1], ErrRerun) {
					return tryErrs[1]
				}
				return put(tx, "c-after")
			})
		},
		func() error {
			return db.Update(ctx, func(tx *Tx) error { runs[3]++; return put(tx, "d") })
		},
	)
	for i, err := range errs {
		if err != nil {
			t.Errorf("job %d: %v", i, err)
		}
	}
	// The bare run stops at b's failure; the batch runs again from a.
	if want := []int{2, 2, 1, 1}; !slices.Equal(runs, want) {
		t.Errorf("runs of each job: got %v, want %v", runs, want)
	}
	if tryErrs[0] == nil || tryErrs[0].Error() != "boom" || tryErrs[1] == nil || tryErrs[1].Error() != "panic: bug" {
		t.Errorf("the Trys' last errors: %v, %v; want fn's own", tryErrs[0], tryErrs[1])
	}
	view(t, db, func(tx *Tx) error {
		for _, chat := range []string{"a", "b", "b-after", "c-after", "d", "b-undone", "c-undone"} {
			_, err := tx.Customer(ctx, chat)
			if want := !strings.HasSuffix(chat, "-undone"); (err == nil) != want {
				t.Errorf("customer %s present=%v; want %v (%v)", chat, err == nil, want, err)
			}
		}
		return nil
	})

	// Without a failure each job runs once.
	runs = make([]int, 4)
	oneBatch(t, db, func() error {
		return db.Update(ctx, func(tx *Tx) error {
			runs[0]++
			return tx.Try(ctx, func() error { return put(tx, "e") })
		})
	}, func() error {
		return db.Update(ctx, func(tx *Tx) error { runs[1]++; return put(tx, "f") })
	})
	if runs[0] != 1 || runs[1] != 1 {
		t.Errorf("runs without a failure: %v, want one each", runs[:2])
	}
}

func TestAfterCommit(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	var ran []string
	update(t, db, func(tx *Tx) error {
		tx.AfterCommit(func() { ran = append(ran, "committed") })
		if len(ran) != 0 {
			t.Error("AfterCommit ran before the commit")
		}
		return tx.SetTimer(ctx, Timer{Chat: "c1", Kind: "k", Due: time.UnixMilli(1)})
	})
	failed := errors.New("job failed")
	err := db.Update(ctx, func(tx *Tx) error {
		tx.AfterCommit(func() { ran = append(ran, "rolled back") })
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("Update = %v; want the job's error", err)
	}
	func() {
		defer func() { recover() }()
		db.Update(ctx, func(tx *Tx) error {
			tx.AfterCommit(func() { ran = append(ran, "panicked") })
			panic("boom")
		})
	}()
	update(t, db, func(tx *Tx) error { return nil }) // a later job runs none of theirs
	if want := []string{"committed"}; !slices.Equal(ran, want) {
		t.Errorf("AfterCommit calls = %q; want %q", ran, want)
	}
	view(t, db, func(tx *Tx) error {
		tx.AfterCommit(func() { t.Error("AfterCommit ran in View") })
		return nil
	})
}

// TestTempStoreInMemory is about SQLite (PostgreSQL keeps subtransactions
// in memory anyway): it opens a file whatever the pass.
func TestTempStoreInMemory(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "suporte.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, run := range map[string]func(func(tx *Tx) error) error{
		"writer": func(fn func(tx *Tx) error) error { return db.Update(t.Context(), fn) },
		"reader": func(fn func(tx *Tx) error) error { return db.View(t.Context(), fn) },
	} {
		var mode int
		err := run(func(tx *Tx) error { return tx.queryRow(t.Context(), "PRAGMA temp_store").Scan(&mode) })
		if err != nil || mode != 2 {
			t.Errorf("%s: temp_store = %d, %v; want 2 (memory): savepoint journals must not hit the disk", name, mode, err)
		}
	}
}

// TestQueuedWriteFailsItsJob: on PostgreSQL the writer queues writes whose
// result nobody reads and sends them with the next statement that needs an
// answer. A queued write that fails when it runs, or a statement that
// fails to prepare after queued writes, fails its own job only: its
// queued writes are undone, the batch's other jobs commit.
func TestQueuedWriteFailsItsJob(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	const addSQL = `INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?)`
	update(t, db, func(tx *Tx) error { return tx.execLater(ctx, addSQL, "k", "1", 1) }) // runs once: queued from now on

	fns := []func(tx *Tx) error{
		func(tx *Tx) error { return tx.PutCustomer(ctx, Customer{Chat: "a"}) },
		func(tx *Tx) error {
			if err := tx.PutCustomer(ctx, Customer{Chat: "dup"}); err != nil {
				return err
			}
			return tx.execLater(ctx, addSQL, "k", "2", 2) // the key exists
		},
		func(tx *Tx) error { return tx.PutCustomer(ctx, Customer{Chat: "b"}) },
		func(tx *Tx) error {
			if err := tx.PutCustomer(ctx, Customer{Chat: "bad"}); err != nil {
				return err
			}
			_, err := tx.exec(ctx, `SELEC name FROM settings WHERE name = ?`, "k")
			return err
		},
		func(tx *Tx) error { return tx.PutCustomer(ctx, Customer{Chat: "c"}) },
	}
	var jobs []func() error
	for _, fn := range fns {
		jobs = append(jobs, func() error { return db.Update(ctx, fn) })
	}
	for i, err := range oneBatch(t, db, jobs...) {
		if fails := i == 1 || i == 3; fails != (err != nil) {
			t.Errorf("job %d: got %v, want failed %t", i, err, fails)
		}
	}
	view(t, db, func(tx *Tx) error {
		for _, chat := range []string{"a", "b", "c", "dup", "bad"} {
			_, err := tx.Customer(ctx, chat)
			if gone := chat == "dup" || chat == "bad"; gone != errors.Is(err, ErrNotFound) {
				t.Errorf("customer %s: got %v, want rolled back %t", chat, err, gone)
			}
		}
		return nil
	})
	view(t, db, func(tx *Tx) error {
		var v string
		if err := tx.queryRow(ctx, settingSQL, "k").Scan(&v); err != nil || v != "1" {
			t.Errorf("setting k: got %q, %v; want 1", v, err)
		}
		return nil
	})
}

// TestCombinedWritesFailTheirJob: on PostgreSQL a job's queued writes on
// distinct tables go as one statement with the write that follows them;
// when that statement fails (a feedback for a missing ticket breaks its
// foreign key), the job's writes are undone and its neighbours' commit.
func TestCombinedWritesFailTheirJob(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	write := func(chat string, ticket int64) func(tx *Tx) error {
		return func(tx *Tx) error {
			if err := tx.PutCustomer(ctx, Customer{Chat: chat}); err != nil {
				return err
			}
			if err := tx.PutConversation(ctx, Conversation{Chat: chat, Line: "l", State: "menu"}); err != nil {
				return err
			}
			if err := tx.SetTimer(ctx, Timer{Chat: chat, Line: "l", Kind: "close", Due: time.UnixMilli(1)}); err != nil {
				return err
			}
			return tx.PutFeedback(ctx, Feedback{Ticket: ticket, Chat: chat, Rating: 5})
		}
	}
	var ticket int64
	update(t, db, func(tx *Tx) error {
		var err error
		ticket, err = tx.CreateTicket(ctx, Ticket{Chat: "x", Line: "l", Status: StatusAberto})
		return err
	})
	update(t, db, write("first", ticket)) // each statement runs alone once, then is queued
	update(t, db, write("second", ticket))

	chats := []string{"a", "bad", "c"}
	var jobs []func() error
	for _, chat := range chats {
		tk := ticket
		if chat == "bad" {
			tk = ticket + 1000
		}
		jobs = append(jobs, func() error { return db.Update(ctx, write(chat, tk)) })
	}
	for i, err := range oneBatch(t, db, jobs...) {
		if fails := chats[i] == "bad"; fails != (err != nil) {
			t.Errorf("job %s: got %v, want failed %t", chats[i], err, fails)
		}
	}
	view(t, db, func(tx *Tx) error {
		for _, chat := range []string{"first", "second", "a", "bad", "c"} {
			_, cerr := tx.Customer(ctx, chat)
			_, verr := tx.Conversation(ctx, "l", chat)
			timers, terr := tx.Timers(ctx, "l", chat)
			gone := chat == "bad"
			if terr != nil || gone != errors.Is(cerr, ErrNotFound) || gone != errors.Is(verr, ErrNotFound) || gone != (len(timers) == 0) {
				t.Errorf("chat %s: customer %v, conversation %v, timers %d (%v); want rolled back %t", chat, cerr, verr, len(timers), terr, gone)
			}
		}
		return nil
	})
}

func TestRenumber(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`UPDATE t SET a = $1, b = '$2' WHERE id = $10`, `UPDATE t SET a = $4, b = '$2' WHERE id = $13`},
		{`SELECT "$1", $2::bigint[]`, `SELECT "$1", $5::bigint[]`},
	} {
		if got := renumber(c.in, 3); got != c.want {
			t.Errorf("renumber(%q, 3) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestWriterStatements: SQLite's writer keeps each statement prepared
// once, runs a script's every statement, and answers a bad argument or a
// failed statement with an error, the Update going on.
func TestWriterStatements(t *testing.T) {
	if testPG != nil {
		t.Skip("SQLite's writer (the SQLite pass checks it)")
	}
	db := openTest(t)
	ctx := t.Context()
	update(t, db, func(tx *Tx) error {
		const q = `SELECT COUNT(*) FROM customers WHERE chat = ?`
		for range 3 {
			var n int
			if err := tx.queryRow(ctx, q, "c1").Scan(&n); err != nil || n != 0 {
				t.Errorf("count: %d, %v", n, err)
			}
		}
		if tx.raw[q] == nil {
			t.Error("the statement was not kept prepared")
		}
		kept := len(tx.raw)
		tx.queryRow(ctx, q, "c2").Scan(new(int))
		if len(tx.raw) != kept {
			t.Errorf("prepared again: %d statements, then %d", kept, len(tx.raw))
		}
		if _, err := tx.exec(ctx, `INSERT INTO settings (name, value) VALUES ('a', '1'); INSERT INTO settings (name, value) VALUES ('b', '2');`); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM settings WHERE name IN ('a', 'b')`).Scan(&n); err != nil || n != 2 {
			t.Errorf("a script's rows: %d, %v; want 2", n, err)
		}
		if _, err := tx.exec(ctx, `UPDATE settings SET value = ? WHERE name = 'a'`, struct{}{}); err == nil {
			t.Error("an argument of no SQL type: want an error")
		}
		if err := tx.queryRow(ctx, `SELECT value FROM settings WHERE name = ?`, "none").Scan(new(string)); !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("no row: got %v, want sql.ErrNoRows", err)
		}
		if _, err := tx.exec(ctx, `INSERT INTO settings (name, value) VALUES ('a', '3')`); err == nil {
			t.Error("a duplicate key: want an error")
		}
		return nil
	})
	view(t, db, func(tx *Tx) error {
		var v string
		err := tx.queryRow(ctx, `SELECT value FROM settings WHERE name = 'a'`).Scan(&v)
		if err == nil && v != "1" {
			t.Errorf("setting a = %q; want 1", v)
		}
		return err
	})
}
