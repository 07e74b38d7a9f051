package store

import (
	"context"
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
	put := func(account, addr string, fails int, updated time.Time) {
		update(t, db, func(tx *Tx) error {
			return tx.PutLoginLimit(ctx, LoginLimit{Account: account, Addr: addr, Fails: fails, Since: now, NextAt: updated.Add(time.Minute), UpdatedAt: updated})
		})
	}
	put("ana@contaazul.com", "203.0.113.66", 4, now)
	put("ana@contaazul.com", "203.0.113.66", 5, now) // the second write replaces the first
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
