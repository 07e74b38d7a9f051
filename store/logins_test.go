package store

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestLoginLimits(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	var got LoginLimit
	view(t, db, func(tx *Tx) error {
		var err error
		got, err = tx.LoginLimit(ctx, "ana@contaazul.com", "203.0.113.66")
		return err
	})
	if got != (LoginLimit{Account: "ana@contaazul.com", Addr: "203.0.113.66"}) {
		t.Errorf("a key never failed: %+v; want zero counts", got)
	}
	put := func(account, addr string, fails int, at time.Time) {
		for range fails {
			update(t, db, func(tx *Tx) error {
				_, err := tx.AddLoginFailure(ctx, account, addr, at, LoginRun{}, func(LoginLimit) time.Time { return at.Add(time.Minute) })
				return err
			})
		}
	}
	put("ana@contaazul.com", "203.0.113.66", 5, now)
	put("ana@contaazul.com", "198.51.100.7", 1, now)
	put("", "203.0.113.66", 6, now)
	put("bia@contaazul.com", "192.0.2.9", 2, now.Add(-48*time.Hour))
	view(t, db, func(tx *Tx) error {
		var err error
		got, err = tx.LoginLimit(ctx, "ana@contaazul.com", "203.0.113.66")
		return err
	})
	want := LoginLimit{Account: "ana@contaazul.com", Addr: "203.0.113.66", Fails: 5, Since: now, NextAt: now.Add(time.Minute), UpdatedAt: now}
	if got != want {
		t.Errorf("read back %+v; want %+v", got, want)
	}
	count := func() int {
		n := 0
		view(t, db, func(tx *Tx) error {
			return tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_limits`).Scan(&n)
		})
		return n
	}
	var n int64
	update(t, db, func(tx *Tx) error {
		var err error
		n, err = tx.PurgeLoginLimits(ctx, now.Add(-24*time.Hour))
		return err
	})
	if n != 1 || count() != 3 {
		t.Errorf("purge of a day old: %d gone, %d left; want bia's gone, 3 left", n, count())
	}
	update(t, db, func(tx *Tx) error {
		var err error
		n, err = tx.ClearLoginLimits(ctx, "ana@contaazul.com", "")
		return err
	})
	if n != 2 || count() != 1 {
		t.Errorf("clearing ana: %d gone, %d left; want her 2 keys gone", n, count())
	}
	update(t, db, func(tx *Tx) error {
		var err error
		n, err = tx.ClearLoginLimits(ctx, "", "203.0.113.66")
		return err
	})
	if n != 1 || count() != 0 {
		t.Errorf("clearing the address: %d gone, %d left; want its own count gone", n, count())
	}
}

// TestLoginFailureRuns: a run of failures starts again after its quiet
// spell or its window, and the wait is what the caller makes of the count.
func TestLoginFailureRuns(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	add := func(account string, at time.Time, run LoginRun) LoginLimit {
		t.Helper()
		var l LoginLimit
		update(t, db, func(tx *Tx) error {
			var err error
			l, err = tx.AddLoginFailure(ctx, account, "203.0.113.66", at, run, func(l LoginLimit) time.Time {
				if l.Fails >= 3 {
					return at.Add(time.Duration(l.Fails) * time.Second)
				}
				return time.Time{}
			})
			return err
		})
		return l
	}
	quiet := func(at time.Time) LoginRun { return LoginRun{QuietBefore: at.Add(-time.Hour)} }
	for i, at := range []time.Time{t0, t0.Add(50 * time.Minute), t0.Add(100 * time.Minute)} {
		if l := add("ana@contaazul.com", at, quiet(at)); l.Fails != i+1 || !l.Since.Equal(t0) || !l.UpdatedAt.Equal(at) {
			t.Errorf("failure %d, each within the hour: got %+v; want %d since %v", i+1, l, i+1, t0)
		}
	}
	var l LoginLimit
	view(t, db, func(tx *Tx) error {
		var err error
		l, err = tx.LoginLimit(ctx, "ana@contaazul.com", "203.0.113.66")
		return err
	})
	if want := t0.Add(100*time.Minute + 3*time.Second); !l.NextAt.Equal(want) {
		t.Errorf("after 3 failures: next at %v; want %v", l.NextAt, want)
	}
	at := t0.Add(160 * time.Minute) // an hour after the last
	if l := add("ana@contaazul.com", at, quiet(at)); l.Fails != 1 || !l.Since.Equal(at) || !l.NextAt.IsZero() {
		t.Errorf("after an hour's quiet: got %+v; want a new run of 1 with no wait", l)
	}

	window := func(at time.Time) LoginRun { return LoginRun{StartedBefore: at.Add(-time.Hour)} }
	for i, at := range []time.Time{t0, t0.Add(30 * time.Minute), t0.Add(59 * time.Minute)} {
		if l := add("", at, window(at)); l.Fails != i+1 {
			t.Errorf("address failure %d within its hour: got %d", i+1, l.Fails)
		}
	}
	at = t0.Add(time.Hour)
	if l := add("", at, window(at)); l.Fails != 1 || !l.Since.Equal(at) {
		t.Errorf("an hour after the window began: got %+v; want a new run of 1", l)
	}
}

// TestLoginFailuresRace: failures counted at once by several processes
// (store handles on one database) each count; no two see the same number.
func TestLoginFailuresRace(t *testing.T) {
	dsn := testDSN(t)
	ctx := context.Background()
	var dbs []*DB
	for range 3 {
		dbs = append(dbs, openAt(t, dsn))
	}
	now := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	const n = 60
	counts := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := dbs[i%len(dbs)].Update(ctx, func(tx *Tx) error {
				l, err := tx.AddLoginFailure(ctx, "ana@contaazul.com", "203.0.113.66", now, LoginRun{},
					func(l LoginLimit) time.Time { return now.Add(time.Duration(l.Fails) * time.Second) })
				if err == nil {
					counts <- l.Fails
				}
				return err
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	close(counts)
	seen := make(map[int]bool)
	for c := range counts {
		if seen[c] {
			t.Errorf("two failures both counted as number %d", c)
		}
		seen[c] = true
	}
	var l LoginLimit
	view(t, dbs[0], func(tx *Tx) error {
		var err error
		l, err = tx.LoginLimit(ctx, "ana@contaazul.com", "203.0.113.66")
		return err
	})
	if l.Fails != n || !l.NextAt.Equal(now.Add(n*time.Second)) {
		t.Errorf("after %d failures at once: got %d, next at %v; want %d, %v", n, l.Fails, l.NextAt, n, now.Add(n*time.Second))
	}
}

// TestReturnLoginAttempt: an attempt counted before its password was
// checked is taken back when the password was right, and the key's wait
// becomes what the caller makes of the count left; a key with no count
// stays as it is.
func TestReturnLoginAttempt(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	wait := func(l LoginLimit) time.Time {
		if l.Fails >= 2 {
			return now.Add(time.Hour)
		}
		return time.Time{}
	}
	for range 2 {
		update(t, db, func(tx *Tx) error {
			_, err := tx.AddLoginFailure(ctx, "", "203.0.113.66", now, LoginRun{}, wait)
			return err
		})
	}
	read := func() LoginLimit {
		var l LoginLimit
		view(t, db, func(tx *Tx) error {
			var err error
			l, err = tx.LoginLimit(ctx, "", "203.0.113.66")
			return err
		})
		return l
	}
	if l := read(); l.Fails != 2 || !l.NextAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("after two attempts: %+v; want 2 and a wait", l)
	}
	update(t, db, func(tx *Tx) error { return tx.ReturnLoginAttempt(ctx, "", "203.0.113.66", wait) })
	if l := read(); l.Fails != 1 || !l.NextAt.IsZero() {
		t.Errorf("after one given back: %+v; want 1 and no wait", l)
	}
	for range 2 {
		update(t, db, func(tx *Tx) error { return tx.ReturnLoginAttempt(ctx, "", "203.0.113.66", wait) })
	}
	if l := read(); l.Fails != 0 {
		t.Errorf("after more given back than counted: %+v; want 0", l)
	}
	update(t, db, func(tx *Tx) error { return tx.ReturnLoginAttempt(ctx, "x@contaazul.com", "192.0.2.1", wait) })
	view(t, db, func(tx *Tx) error {
		l, err := tx.LoginLimit(ctx, "x@contaazul.com", "192.0.2.1")
		if l.Fails != 0 || !l.UpdatedAt.IsZero() {
			t.Errorf("a key never counted: %+v; want none", l)
		}
		return err
	})
}
