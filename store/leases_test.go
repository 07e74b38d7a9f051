package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLeases(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	acquire := func(holder string, ttl time.Duration, force bool) (Lease, bool) {
		t.Helper()
		var l Lease
		var ok bool
		update(t, db, func(tx *Tx) error {
			var err error
			l, ok, err = tx.AcquireLease(ctx, "5547", holder, ttl, force)
			return err
		})
		return l, ok
	}
	a, ok := acquire("a", time.Hour, false)
	if !ok || a.Token != 1 || a.Holder != "a" || !a.ExpiresAt.After(a.AcquiredAt) {
		t.Fatalf("first acquire: got %+v, %v; want token 1 held by a", a, ok)
	}
	if _, ok := acquire("b", time.Hour, false); ok {
		t.Fatal("b took a live lease")
	}
	var renewed Lease
	update(t, db, func(tx *Tx) error {
		var err error
		renewed, err = tx.RenewLease(ctx, "5547", "a", a.Token, 2*time.Hour)
		return err
	})
	if renewed.Token != a.Token || !renewed.ExpiresAt.After(a.ExpiresAt) {
		t.Errorf("renew: got %+v; want the same token, later expiry than %v", renewed, a.ExpiresAt)
	}
	check := func(token int64) error {
		var err error
		view(t, db, func(tx *Tx) error { err = tx.CheckFence(ctx, "5547", token); return nil })
		return err
	}
	if err := check(a.Token); err != nil {
		t.Errorf("fence of the holder: %v", err)
	}

	// a stops renewing: once it expires, b takes the line with the next
	// token, and a can neither renew nor pass the fence.
	update(t, db, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE leases SET expires_at = 1 WHERE line = ?`, "5547")
		return err
	})
	b, ok := acquire("b", time.Hour, false)
	if !ok || b.Token != 2 || b.Holder != "b" {
		t.Fatalf("acquire after expiry: got %+v, %v; want token 2 held by b", b, ok)
	}
	err := db.Update(ctx, func(tx *Tx) error {
		_, err := tx.RenewLease(ctx, "5547", "a", a.Token, time.Hour)
		return err
	})
	if !errors.Is(err, ErrLeaseLost) {
		t.Errorf("renew by the former holder: got %v; want ErrLeaseLost", err)
	}
	if err := check(a.Token); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("fence of the former holder: got %v; want ErrLeaseLost", err)
	}
	// Releasing a lost lease changes nothing; the holder's release frees it.
	update(t, db, func(tx *Tx) error { return tx.ReleaseLease(ctx, "5547", "a", a.Token) })
	if err := check(b.Token); err != nil {
		t.Errorf("b's fence after a's late release: %v", err)
	}
	update(t, db, func(tx *Tx) error { return tx.ReleaseLease(ctx, "5547", "b", b.Token) })
	c, ok := acquire("c", time.Hour, false)
	if !ok || c.Token != 3 {
		t.Fatalf("acquire after a release: got %+v, %v; want token 3", c, ok)
	}
	if d, ok := acquire("d", time.Hour, true); !ok || d.Token != 4 {
		t.Errorf("forced acquire: got %+v, %v; want token 4", d, ok)
	}
	var ls []Lease
	var now time.Time
	view(t, db, func(tx *Tx) error {
		var err error
		if ls, err = tx.Leases(ctx); err != nil {
			return err
		}
		now, err = tx.Now(ctx)
		return err
	})
	if len(ls) != 1 || ls[0].Holder != "d" || !ls[0].Live(now) {
		t.Errorf("Leases: got %+v at %v; want d's, live", ls, now)
	}
	if d := time.Since(now); d < -time.Minute || d > time.Minute {
		t.Errorf("database clock %v is %v away from this one", now, d)
	}
}
