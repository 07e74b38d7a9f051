package store

import (
	"context"
	"errors"
	"slices"
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

	evs := []Event{{At: at, Kind: "queue", Ticket: 100001, Chat: "c1"}, {At: at, Kind: "ticket", Ticket: 100001, Chat: "c1", Agent: "7"}}
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
