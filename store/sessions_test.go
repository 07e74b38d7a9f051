package store

import (
	"errors"
	"testing"
	"time"
)

func TestSessions(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	now := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	var ana, bia int64
	update(t, db, func(tx *Tx) error {
		var err error
		if ana, err = tx.CreateAgent(ctx, Agent{Email: "ana@x.com", Name: "Ana", Role: RoleAgent, PasswordHash: "h"}); err != nil {
			return err
		}
		if bia, err = tx.CreateAgent(ctx, Agent{Email: "bia@x.com", Name: "Bia", Role: RoleAgent, PasswordHash: "h"}); err != nil {
			return err
		}
		for _, s := range []struct {
			hash  string
			agent int64
			ttl   time.Duration
		}{{"a1", ana, time.Hour}, {"a2", ana, time.Hour}, {"b1", bia, time.Hour}, {"old", bia, time.Minute}} {
			if err := tx.CreateSession(ctx, s.hash, s.agent, now, now.Add(s.ttl)); err != nil {
				return err
			}
		}
		if err := tx.CreateSession(ctx, "a1", bia, now, now.Add(time.Hour)); !errors.Is(err, ErrExists) {
			t.Errorf("duplicate session: got %v, want ErrExists", err)
		}
		return nil
	})

	lookup := func(hash string, at time.Time) (Agent, error) {
		var a Agent
		err := db.Update(ctx, func(tx *Tx) error {
			var err error
			a, err = tx.SessionAgent(ctx, hash, at)
			return err
		})
		return a, err
	}
	if a, err := lookup("a1", now.Add(time.Second)); err != nil || a.ID != ana {
		t.Errorf("SessionAgent a1: got %d, %v; want agent %d", a.ID, err, ana)
	}
	for _, tt := range []struct {
		name, hash string
		at         time.Time
	}{
		{"unknown", "zz", now},
		{"expired", "old", now.Add(time.Minute)},
	} {
		if _, err := lookup(tt.hash, tt.at); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: got %v, want ErrNotFound", tt.name, err)
		}
	}

	// The last use is recorded at most once a minute.
	seen := func(hash string) time.Time {
		var ms int64
		view(t, db, func(tx *Tx) error {
			return tx.queryRow(ctx, `SELECT last_seen_at FROM sessions WHERE token_hash = ?`, hash).Scan(&ms)
		})
		return fromMillis(ms)
	}
	if got := seen("a1"); !got.Equal(now) {
		t.Errorf("last seen after 1s: got %v, want %v", got, now)
	}
	if _, err := lookup("a1", now.Add(90*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, want := seen("a1"), now.Add(90*time.Second); !got.Equal(want) {
		t.Errorf("last seen after 90s: got %v, want %v", got, want)
	}
	view(t, db, func(tx *Tx) error {
		a, stale, err := tx.SessionAgentView(ctx, "a2", now.Add(2*time.Minute))
		if err != nil || a.ID != ana || !stale {
			t.Errorf("SessionAgentView a2: got %d, %v, %v; want %d, stale", a.ID, stale, err, ana)
		}
		return nil
	})

	update(t, db, func(tx *Tx) error {
		if err := tx.DeleteSession(ctx, "a1"); err != nil {
			return err
		}
		if err := tx.DeleteSession(ctx, "a1"); err != nil {
			t.Errorf("second logout: %v", err)
		}
		n, err := tx.PurgeExpiredSessions(ctx, now.Add(time.Minute))
		if n != 1 {
			t.Errorf("purged: got %d, want 1", n)
		}
		return err
	})
	if _, err := lookup("a1", now); !errors.Is(err, ErrNotFound) {
		t.Errorf("after logout: got %v, want ErrNotFound", err)
	}

	// Disabling an agent ends its sessions; a disabled agent has none.
	update(t, db, func(tx *Tx) error { return tx.SetAgentDisabled(ctx, ana, true, now) })
	if _, err := lookup("a2", now); !errors.Is(err, ErrNotFound) {
		t.Errorf("disabled agent: got %v, want ErrNotFound", err)
	}
	update(t, db, func(tx *Tx) error {
		if err := tx.SetAgentDisabled(ctx, ana, false, now); err != nil {
			return err
		}
		if err := tx.CreateSession(ctx, "a3", ana, now, now.Add(time.Hour)); err != nil {
			return err
		}
		if err := tx.SetAgentDisabled(ctx, 999, true, now); !errors.Is(err, ErrNotFound) {
			t.Errorf("SetAgentDisabled missing: got %v, want ErrNotFound", err)
		}
		n, err := tx.DeleteAgentSessions(ctx, bia)
		if n != 1 {
			t.Errorf("DeleteAgentSessions: got %d, want 1", n)
		}
		return err
	})
	if a, err := lookup("a3", now); err != nil || a.ID != ana {
		t.Errorf("re-enabled agent: got %d, %v", a.ID, err)
	}
	if _, err := lookup("b1", now); !errors.Is(err, ErrNotFound) {
		t.Errorf("after DeleteAgentSessions: got %v, want ErrNotFound", err)
	}
}
