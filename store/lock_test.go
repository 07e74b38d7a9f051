package store

import (
	"cmp"
	"context"
	"runtime"
	"strconv"
	"sync"
	"testing"
)

// TestLockChatAcrossStores: two stores on one database (two processes
// sharing PostgreSQL) read a chat's row and write it back changed, many
// times at once. Under LockChat no change is lost; without it, on
// PostgreSQL's READ COMMITTED, two of them would read the same value and
// one write would undo the other.
func TestLockChatAcrossStores(t *testing.T) {
	dsn := testDSN(t)
	ctx := context.Background()
	var dbs [2]*DB
	for i := range dbs {
		dbs[i] = openAt(t, dsn)
	}
	update(t, dbs[0], func(tx *Tx) error { return tx.PutCustomer(ctx, Customer{Chat: "c1", Name: "0"}) })
	const each = 100
	var wg sync.WaitGroup
	for _, db := range dbs {
		for range 4 {
			wg.Go(func() {
				for range each / 4 {
					err := db.Update(ctx, func(tx *Tx) error {
						if err := tx.LockChat(ctx, "", "c1"); err != nil {
							return err
						}
						c, err := tx.Customer(ctx, "c1")
						if err != nil {
							return err
						}
						n, _ := strconv.Atoi(c.Name)
						c.Name = strconv.Itoa(n + 1)
						return tx.PutCustomer(ctx, c)
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	view(t, dbs[1], func(tx *Tx) error {
		c, err := tx.Customer(ctx, "c1")
		if err == nil && c.Name != strconv.Itoa(2*each) {
			t.Errorf("after %d increments from two stores: got %s", 2*each, c.Name)
		}
		return err
	})
}

// TestUpdateChatWriters: on PostgreSQL a chat's work goes to its writer,
// so a chat whose writer is busy does not hold up a chat of another
// writer, while work on the same chat waits in line behind it. SQLite has
// one writer for all.
func TestUpdateChatWriters(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	writerOf := func(chat string) *writer {
		return db.writers[chatHash(chat)%uint64(len(db.writers))]
	}
	a, same, other := "c0", "", ""
	for i := 1; same == "" || (other == "" && len(db.writers) > 1); i++ {
		c := "c" + strconv.Itoa(i)
		if writerOf(c) == writerOf(a) {
			same = cmp.Or(same, c)
		} else {
			other = cmp.Or(other, c)
		}
	}
	if want := 1; !db.d.postgres && len(db.writers) != want {
		t.Fatalf("SQLite writers: got %d, want %d", len(db.writers), want)
	}

	entered, release := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- db.UpdateChat(ctx, a, func(tx *Tx) error {
			close(entered)
			<-release
			return tx.PutCustomer(ctx, Customer{Chat: a})
		})
	}()
	<-entered
	queued := make(chan error, 1)
	go func() {
		queued <- db.UpdateChat(ctx, same, func(tx *Tx) error { return tx.PutCustomer(ctx, Customer{Chat: same}) })
	}()
	// The same writer's next job waits in its queue behind the held one.
	for len(writerOf(a).jobs) < 1 {
		runtime.Gosched()
	}
	if other != "" {
		if err := db.UpdateChat(ctx, other, func(tx *Tx) error { return tx.PutCustomer(ctx, Customer{Chat: other}) }); err != nil {
			t.Fatalf("a chat of another writer, while %s's is busy: %v", a, err)
		}
	}
	close(release)
	for _, c := range []chan error{held, queued} {
		if err := <-c; err != nil {
			t.Fatal(err)
		}
	}
	view(t, db, func(tx *Tx) error {
		for _, c := range []string{a, same, other} {
			if _, err := tx.Customer(ctx, c); c != "" && err != nil {
				t.Errorf("customer %s: %v", c, err)
			}
		}
		return nil
	})
}

// TestOutboxIDsAfterChatLock: PostgreSQL's writer takes outbox ids ahead
// of its inserts, a few spare. A chat's replies must still get their ids
// in the order they commit, which the sender and the transcript follow:
// ids taken before the transaction locked a chat, while another process
// queued a reply there, would come before that reply's.
func TestOutboxIDsAfterChatLock(t *testing.T) {
	dsn := testDSN(t)
	if testPG == nil {
		t.Skip("SQLite's one writer gives ids in commit order")
	}
	ctx := t.Context()
	ours, theirs := openAt(t, dsn), openAt(t, dsn)
	var first, second, other int64
	update(t, ours, func(tx *Tx) error {
		if err := tx.LockChat(ctx, "", "y"); err != nil {
			return err
		}
		var err error
		if first, err = tx.AppendOutbox(ctx, OutMsg{Chat: "y", Text: "para y"}); err != nil {
			return err
		}
		// Another process queues a reply to x and commits, x not yet
		// locked here.
		update(t, theirs, func(tx *Tx) error {
			if err := tx.LockChat(ctx, "", "x"); err != nil {
				return err
			}
			other, err = tx.AppendOutbox(ctx, OutMsg{Chat: "x", Text: "do outro processo"})
			return err
		})
		if err := tx.LockChat(ctx, "", "x"); err != nil {
			return err
		}
		second, err = tx.AppendOutbox(ctx, OutMsg{Chat: "x", Text: "deste processo"})
		return err
	})
	if !(first < other && other < second) {
		t.Errorf("ids: y's %d, then the other process's x %d, then ours for x %d: want them growing", first, other, second)
	}
	view(t, ours, func(tx *Tx) error {
		ms, err := tx.OutboxAfter(ctx, "", "x", 0, 0)
		if err == nil && (len(ms) != 2 || ms[0].Text != "do outro processo" || ms[1].Text != "deste processo") {
			t.Errorf("x's replies in id order: %+v, want the other process's first", ms)
		}
		return err
	})
}
