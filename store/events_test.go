package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestEvents: events get ids in order, are read back after an id, and
// are pruned by age; on PostgreSQL a second store hears what the first
// adds, once committed.
func TestEvents(t *testing.T) {
	dsn := testDSN(t)
	ctx := context.Background()
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)

	heard := make(chan []Event, 16)
	var other *DB
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	listening := make(chan error, 1)
	if db.Postgres() {
		if other, err = Open(ctx, dsn); err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		go func() { listening <- other.Listen(lctx, func(es []Event) { heard <- es }, nil) }()
	} else if err := db.Listen(ctx, nil, nil); !errors.Is(err, ErrNoListen) {
		t.Errorf("Listen on SQLite: got %v; want ErrNoListen", err)
	}

	evs := []Event{{At: at, Kind: "queue", Ticket: 100001, Chat: "c1", Line: "554735121777"}, {At: at, Kind: "ticket", Ticket: 100001, Chat: "c1", Agent: "7"}}
	// Until the listener is connected nothing says it heard: add until it
	// does. Its catch-up on connecting may bring earlier batches too (ids
	// differ, contents repeat), so what it heard is gathered and the last
	// batch compared.
	deadline := time.Now().Add(10 * time.Second)
	var got, all []Event
	for {
		batch := slices.Clone(evs)
		update(t, db, func(tx *Tx) error { return tx.AddEvents(ctx, batch) })
		if batch[0].ID == 0 || batch[1].ID <= batch[0].ID {
			t.Fatalf("ids: %d, %d; want increasing", batch[0].ID, batch[1].ID)
		}
		if !db.Postgres() {
			got = batch
			break
		}
		wait := time.After(100 * time.Millisecond)
	hear:
		for {
			select {
			case es := <-heard:
				all = append(all, es...)
				if n := len(all); n >= len(evs) && all[n-1].ID == batch[1].ID {
					got = all[n-len(evs):]
					break hear
				}
			case <-wait:
				break hear
			}
		}
		if got != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second store heard nothing")
		}
	}
	for i := range got {
		want := evs[i]
		want.ID = got[i].ID
		if got[i] != want {
			t.Errorf("event %d: got %+v, want %+v", i, got[i], want)
		}
	}
	view(t, db, func(tx *Tx) error {
		after, err := tx.EventsAfter(ctx, got[0].ID, 0)
		if err == nil && (len(after) == 0 || after[0].ID != got[1].ID) {
			t.Errorf("EventsAfter %d: got %+v; want %d first", got[0].ID, after, got[1].ID)
		}
		return err
	})
	var pruned int
	update(t, db, func(tx *Tx) error {
		var err error
		pruned, err = tx.PruneEvents(ctx, -time.Minute) // everything is older than a minute from now
		return err
	})
	if pruned < 2 {
		t.Errorf("pruned %d; want every event", pruned)
	}
	stop()
	if other != nil {
		if err := <-listening; err != nil {
			t.Errorf("Listen: %v", err)
		}
	}
}

// TestListenOncePerEvent: a listener whose connection is cut catches up
// on what committed meanwhile, including an event whose id was handed out
// before the last one heard, and hands over every event exactly once,
// though its catch-up reads again what it had heard.
func TestListenOncePerEvent(t *testing.T) {
	if testPG == nil {
		t.Skip("SQLite: events are not passed between processes")
	}
	dsn := testDSN(t)
	ctx := context.Background()
	db, late, listener := openAt(t, dsn), openAt(t, dsn), openAt(t, dsn)
	at := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	add := func(db *DB, kind string) int64 {
		evs := []Event{{At: at, Kind: kind, Ticket: 100001, Chat: "c1"}}
		update(t, db, func(tx *Tx) error { return tx.AddEvents(ctx, evs) })
		return evs[0].ID
	}
	var want []int64
	for range 5 {
		want = append(want, add(db, "queue"))
	}

	// A transaction that took its id and commits later, while the
	// listener is away: its notification is never heard.
	lateID := make(chan int64, 1)
	commit := make(chan struct{})
	committed := make(chan error, 1)
	go func() {
		committed <- late.Update(ctx, func(tx *Tx) error {
			evs := []Event{{At: at, Kind: "ticket", Ticket: 100002, Chat: "c2"}}
			if err := tx.AddEvents(ctx, evs); err != nil {
				return err
			}
			lateID <- evs[0].ID
			<-commit
			return nil
		})
	}()
	want = append(want, <-lateID)

	heard := make(chan []Event, 64)
	var away int64 // added while the listener reconnects
	reconnected := make(chan struct{})
	lctx, stop := context.WithCancel(ctx)
	listening := make(chan error, 1)
	go func() {
		listening <- listener.Listen(lctx, func(es []Event) { heard <- es }, func() {
			close(commit)
			if err := <-committed; err != nil {
				t.Errorf("late commit: %v", err)
			}
			away = add(db, "message")
			close(reconnected)
		})
	}()
	got := map[int64]int{}
	hear := func(id int64) {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for got[id] == 0 {
			select {
			case es := <-heard:
				for _, e := range es {
					got[e.ID]++
				}
			case <-timeout:
				t.Fatalf("event %d never heard; heard %v", id, got)
			}
		}
	}
	hear(want[4]) // the first catch-up runs once listening
	now := add(db, "queue")
	want = append(want, now)
	hear(now) // a notification

	cutListener(t, db)
	<-reconnected
	want = append(want, away)
	hear(away)
	if got[want[5]] == 0 {
		t.Errorf("the late event %d was missed", want[5])
	}
	after := add(db, "ticket")
	want = append(want, after)
	hear(after)
	stop()
	if err := <-listening; err != nil {
		t.Errorf("Listen: %v", err)
	}
	close(heard)
	for es := range heard {
		for _, e := range es {
			got[e.ID]++
		}
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("event %d heard %d times", id, n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("heard %v; want each of %v once", got, want)
	}
}

// TestListenCountsReconnectionsOnce: while the server refuses the
// listener, each failed attempt is no reconnection; the connection that
// listens again is one, and catches up on what was added meanwhile.
func TestListenCountsReconnectionsOnce(t *testing.T) {
	if testPG == nil {
		t.Skip("SQLite: events are not passed between processes")
	}
	// Each pause before an attempt to connect again waits for the test.
	attempts := make(chan struct{})
	wait := listenWait
	listenWait = func(ctx context.Context) bool {
		select {
		case attempts <- struct{}{}:
			return true
		case <-ctx.Done():
			return false
		}
	}
	t.Cleanup(func() { listenWait = wait })
	dsn := testDSN(t)
	ctx := context.Background()
	db, listener := openAt(t, dsn), openAt(t, dsn)
	add := func() int64 {
		evs := []Event{{At: time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC), Kind: "queue", Ticket: 100001, Chat: "c1"}}
		update(t, db, func(tx *Tx) error { return tx.AddEvents(ctx, evs) })
		return evs[0].ID
	}
	heard := make(chan []Event, 64)
	var reconnections atomic.Int32
	lctx, stop := context.WithCancel(ctx)
	listening := make(chan error, 1)
	go func() {
		listening <- listener.Listen(lctx, func(es []Event) { heard <- es }, func() { reconnections.Add(1) })
	}()
	hear := func(id int64) {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case es := <-heard:
				for _, e := range es {
					if e.ID == id {
						return
					}
				}
			case <-timeout:
				t.Fatalf("event %d never heard", id)
			}
		}
	}
	hear(add()) // listening

	// The server's own database, to refuse connections to the store's.
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	admin, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	allow := func(yes bool) {
		t.Helper()
		if _, err := admin.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %q ALLOW_CONNECTIONS %t`, name, yes)); err != nil {
			t.Fatal(err)
		}
	}
	allow(false)
	t.Cleanup(func() { allow(true) })
	cutListener(t, db)
	away := add()
	// Thirty attempts, each refused, none a reconnection: the pause
	// before the 31st follows the 30th.
	for range 31 {
		<-attempts
	}
	if n := reconnections.Load(); n != 0 {
		t.Errorf("%d reconnections counted while the server refused every attempt; want 0", n)
	}
	allow(true)
	go func() {
		for {
			select {
			case <-attempts:
			case <-lctx.Done():
				return
			}
		}
	}()
	hear(away)
	if n := reconnections.Load(); n != 1 {
		t.Errorf("%d reconnections counted; want 1", n)
	}
	stop()
	if err := <-listening; err != nil {
		t.Errorf("Listen: %v", err)
	}
}

// cutListener ends the server process of the store's LISTEN connection,
// as a network break would.
func cutListener(t *testing.T, db *DB) {
	t.Helper()
	var cut int
	update(t, db, func(tx *Tx) error {
		return tx.queryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND query = 'LISTEN `+eventsChannel+`' AND pid <> pg_backend_pid()`).Scan(&cut)
	})
	if cut != 1 {
		t.Fatalf("terminated %d listening backends; want 1", cut)
	}
}
