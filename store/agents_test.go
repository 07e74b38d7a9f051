package store

import (
	"errors"
	"testing"
	"time"
)

func TestAgentRoundTrip(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, brt())
	want := Agent{Email: "Ana@ContaAzul.com ", Name: "Ana Lima", Role: RoleAgent, PasswordHash: "h1",
		CreatedAt: at.UTC(), UpdatedAt: at.UTC()}
	update(t, db, func(tx *Tx) error {
		id, err := tx.CreateAgent(ctx, want)
		want.ID = id
		return err
	})
	want.Email, want.MaxChats = "ana@contaazul.com", DefaultMaxChats
	view(t, db, func(tx *Tx) error {
		for _, lookup := range []struct {
			name string
			get  func() (Agent, error)
		}{
			{"by id", func() (Agent, error) { return tx.Agent(ctx, want.ID) }},
			{"by email", func() (Agent, error) { return tx.AgentByEmail(ctx, "ana@contaazul.com") }},
			{"by email, other case", func() (Agent, error) { return tx.AgentByEmail(ctx, " ANA@contaazul.COM") }},
		} {
			got, err := lookup.get()
			if err != nil {
				t.Errorf("%s: %v", lookup.name, err)
				continue
			}
			if got != want {
				t.Errorf("%s: got %+v, want %+v", lookup.name, got, want)
			}
		}
		if _, err := tx.Agent(ctx, 999); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing id: got %v, want ErrNotFound", err)
		}
		if _, err := tx.AgentByEmail(ctx, "bia@contaazul.com"); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing email: got %v, want ErrNotFound", err)
		}
		return nil
	})
}

func TestCreateAgentRejects(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	update(t, db, func(tx *Tx) error {
		_, err := tx.CreateAgent(ctx, Agent{Email: "ana@x.com", Name: "Ana", Role: RoleAgent, PasswordHash: "h"})
		return err
	})
	for _, tt := range []struct {
		name   string
		a      Agent
		exists bool
	}{
		{"duplicate email", Agent{Email: "ANA@x.com", Name: "Outra", Role: RoleAgent, PasswordHash: "h"}, true},
		{"bad role", Agent{Email: "b@x.com", Name: "B", Role: "admin", PasswordHash: "h"}, false},
		{"no email", Agent{Name: "B", Role: RoleAgent, PasswordHash: "h"}, false},
		{"no name", Agent{Email: "b@x.com", Name: " ", Role: RoleAgent, PasswordHash: "h"}, false},
		{"negative max", Agent{Email: "b@x.com", Name: "B", Role: RoleAgent, MaxChats: -1, PasswordHash: "h"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := db.Update(ctx, func(tx *Tx) error {
				_, err := tx.CreateAgent(ctx, tt.a)
				return err
			})
			if err == nil {
				t.Fatal("got no error")
			}
			if got := errors.Is(err, ErrExists); got != tt.exists {
				t.Errorf("errors.Is(%v, ErrExists) = %v; want %v", err, got, tt.exists)
			}
		})
	}
}

func TestUpdateAgentAndList(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	now := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	var ana, bia int64
	update(t, db, func(tx *Tx) error {
		var err error
		if ana, err = tx.CreateAgent(ctx, Agent{Email: "ana@x.com", Name: "Ana", Role: RoleAgent, PasswordHash: "h"}); err != nil {
			return err
		}
		bia, err = tx.CreateAgent(ctx, Agent{Email: "bia@x.com", Name: "Bia", Role: RoleSupervisor, MaxChats: 3, PasswordHash: "h"})
		return err
	})
	update(t, db, func(tx *Tx) error {
		err := tx.UpdateAgent(ctx, Agent{ID: ana, Email: "bia@x.com", Name: "Ana", Role: RoleAgent, MaxChats: 5})
		if !errors.Is(err, ErrExists) {
			t.Errorf("UpdateAgent to a taken email: got %v, want ErrExists", err)
		}
		if err := tx.UpdateAgent(ctx, Agent{ID: 999, Email: "z@x.com", Name: "Z", Role: RoleAgent, MaxChats: 5}); !errors.Is(err, ErrNotFound) {
			t.Errorf("UpdateAgent missing: got %v, want ErrNotFound", err)
		}
		if err := tx.SetAgentPassword(ctx, 999, "h", now); !errors.Is(err, ErrNotFound) {
			t.Errorf("SetAgentPassword missing: got %v, want ErrNotFound", err)
		}
		if err := tx.SetAgentPassword(ctx, bia, "new", now); err != nil {
			return err
		}
		return tx.UpdateAgent(ctx, Agent{ID: ana, Email: "ana.lima@x.com", Name: "Ana Lima", Role: RoleEditor, MaxChats: 2, UpdatedAt: now})
	})
	view(t, db, func(tx *Tx) error {
		as, err := tx.Agents(ctx)
		if err != nil {
			return err
		}
		if len(as) != 2 {
			t.Fatalf("Agents: got %d, want 2", len(as))
		}
		got := as[0]
		if got.Email != "ana.lima@x.com" || got.Name != "Ana Lima" || got.Role != RoleEditor || got.MaxChats != 2 || !got.UpdatedAt.Equal(now) {
			t.Errorf("updated agent: got %+v", got)
		}
		if as[1].PasswordHash != "new" || as[1].MaxChats != 3 {
			t.Errorf("second agent: got %+v; want password hash new, max 3", as[1])
		}
		return nil
	})
}
