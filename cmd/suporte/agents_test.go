package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"suporte/store"
	"suporte/store/pgtemp"
)

// agentsRun runs `suporte agents args...` with stdin and returns stdout,
// stderr and the error.
func agentsRun(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := runAgents(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// TestAgentsCommand runs on the data folder's SQLite file, then on
// PostgreSQL through SUPORTE_DB.
func TestAgentsCommand(t *testing.T) {
	t.Run("sqlite", agentsCommand)
	t.Run("postgres", func(t *testing.T) {
		t.Setenv("SUPORTE_DB", pgtemp.Database(t))
		agentsCommand(t)
	})
}

func agentsCommand(t *testing.T) {
	t.Setenv("SUPORTE_BCRYPT_COST", "4")
	data := t.TempDir()
	const pw = "uma-senha-boa"

	out, _, err := agentsRun(t, pw+"\n", "add", "--data", data, "--email", "Ana@ContaAzul.com", "--name", "Ana Lima", "--password-stdin")
	if err != nil || !strings.Contains(out, "added agent 1: Ana Lima <ana@contaazul.com>, agent, up to 5 chats") {
		t.Fatalf("add: %q, %v", out, err)
	}
	if _, _, err := agentsRun(t, "outra-senha-boa\n", "add", "--data", data, "--email", "sara@contaazul.com", "--name", "Sara", "--role", "supervisor", "--max-chats", "3", "--password-stdin"); err != nil {
		t.Fatalf("add supervisor: %v", err)
	}

	for _, tt := range []struct {
		name, stdin string
		args        []string
		want        string // in the error
		usage       bool
	}{
		{"duplicate e-mail", pw, []string{"add", "--email", "ana@contaazul.com", "--name", "Ana 2", "--password-stdin"}, "already exists", false},
		{"short password", "curta\n", []string{"add", "--email", "b@contaazul.com", "--name", "B", "--password-stdin"}, "at least 10 characters", false},
		{"password on the command line", "", []string{"add", "--email", "b@contaazul.com", "--name", "B"}, "--password-stdin", false},
		{"empty stdin", "", []string{"add", "--email", "b@contaazul.com", "--name", "B", "--password-stdin"}, "no password", false},
		{"bad role", pw, []string{"add", "--email", "b@contaazul.com", "--name", "B", "--role", "admin", "--password-stdin"}, "use agent, supervisor or editor", false},
		{"no name", pw, []string{"add", "--email", "b@contaazul.com", "--password-stdin"}, "--name is required", false},
		{"zero max chats", pw, []string{"add", "--email", "b@contaazul.com", "--name", "B", "--max-chats", "0", "--password-stdin"}, "at least 1", false},
		{"no e-mail", pw, []string{"add", "--name", "B", "--password-stdin"}, "", true},
		{"unknown agent", "", []string{"disable", "--email", "zz@contaazul.com"}, "no agent with e-mail", false},
		{"passwd unknown agent", pw, []string{"passwd", "--email", "zz@contaazul.com", "--password-stdin"}, "no agent with e-mail", false},
		{"set nothing", "", []string{"set", "--email", "ana@contaazul.com"}, "nothing to change", false},
		{"set unknown agent", "", []string{"set", "--email", "zz@contaazul.com", "--name", "Z"}, "no agent with e-mail", false},
		{"set bad role", "", []string{"set", "--email", "ana@contaazul.com", "--role", "admin"}, "use agent, supervisor or editor", false},
		{"set zero max chats", "", []string{"set", "--email", "ana@contaazul.com", "--max-chats", "0"}, "at least 1", false},
		{"set empty name", "", []string{"set", "--email", "ana@contaazul.com", "--name", " "}, "--name is required", false},
		{"set taken e-mail", "", []string{"set", "--email", "ana@contaazul.com", "--new-email", "SARA@contaazul.com"}, "another agent already logs in with sara@contaazul.com", false},
		{"set max chats not a number", "", []string{"set", "--email", "ana@contaazul.com", "--max-chats", "muitos"}, "", true},
		{"unknown command", "", []string{"remove"}, "", true},
		{"stray argument", "", []string{"list", "extra"}, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := agentsRun(t, tt.stdin, append(tt.args, "--data", data)...)
			if tt.usage {
				if !errors.Is(err, errUsage) {
					t.Errorf("got %v; want a usage error", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v; want an error containing %q", err, tt.want)
			}
		})
	}

	out, _, err = agentsRun(t, "", "set", "--data", data, "--email", "sara@contaazul.com", "--role", "editor", "--max-chats", "8", "--name", "Sara Reis")
	if err != nil || !strings.Contains(out, "agent 2 is now Sara Reis <sara@contaazul.com>, editor, up to 8 chats") {
		t.Fatalf("set: %q, %v", out, err)
	}
	out, _, err = agentsRun(t, "", "set", "--data", data, "--email", "sara@contaazul.com", "--new-email", "Sara.Reis@ContaAzul.com")
	if err != nil || !strings.Contains(out, "Sara Reis <sara.reis@contaazul.com>, editor, up to 8 chats") {
		t.Fatalf("set e-mail: %q, %v", out, err)
	}
	out, _, err = agentsRun(t, "", "list", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "ana@contaazul.com") || !strings.Contains(lines[2], "sara.reis@contaazul.com") || !strings.Contains(lines[2], "editor") {
		t.Errorf("list:\n%s", out)
	}

	// A session, ended by a new password and by disabling.
	db, err := store.Open(context.Background(), place{data: data, db: os.Getenv("SUPORTE_DB")}.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	ana := func() store.Agent {
		t.Helper()
		var a store.Agent
		if err := db.View(ctx, func(tx *store.Tx) error {
			var err error
			a, err = tx.AgentByEmail(ctx, "ana@contaazul.com")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return a
	}
	if err := bcrypt.CompareHashAndPassword([]byte(ana().PasswordHash), []byte(pw)); err != nil {
		t.Errorf("stored hash does not match the password: %v", err)
	}
	newSession := func(hash string) {
		t.Helper()
		a := ana()
		if err := db.Update(ctx, func(tx *store.Tx) error {
			return tx.CreateSession(ctx, hash, a.ID, a.CreatedAt, a.CreatedAt.AddDate(1, 0, 0))
		}); err != nil {
			t.Fatal(err)
		}
	}
	alive := func(hash string) bool {
		t.Helper()
		err := db.View(ctx, func(tx *store.Tx) error { _, _, err := tx.SessionAgentView(ctx, hash, ana().CreatedAt); return err })
		return err == nil
	}
	newSession("s1")
	out, _, err = agentsRun(t, "senha-nova-boa\r\n", "passwd", "--data", data, "--email", "ANA@contaazul.com", "--password-stdin")
	if err != nil || !strings.Contains(out, "ended 1 session(s)") {
		t.Fatalf("passwd: %q, %v", out, err)
	}
	if alive("s1") {
		t.Error("a session survived the password change")
	}
	if err := bcrypt.CompareHashAndPassword([]byte(ana().PasswordHash), []byte("senha-nova-boa")); err != nil {
		t.Errorf("new password (sent with CRLF) does not match: %v", err)
	}
	newSession("s2")
	if _, _, err := agentsRun(t, "", "disable", "--data", data, "--email", "ana@contaazul.com"); err != nil {
		t.Fatal(err)
	}
	if alive("s2") || !ana().Disabled {
		t.Error("disable left the agent enabled or a session alive")
	}
	out, _, _ = agentsRun(t, "", "list", "--data", data)
	if !strings.Contains(out, "disabled") {
		t.Errorf("list after disable:\n%s", out)
	}
	if _, _, err := agentsRun(t, "", "enable", "--data", data, "--email", "ana@contaazul.com"); err != nil || ana().Disabled {
		t.Errorf("enable: %v, disabled %v", err, ana().Disabled)
	}

	if _, errOut, err := agentsRun(t, ""); !errors.Is(err, errUsage) || !strings.Contains(errOut, "usage: suporte agents") {
		t.Errorf("no command: %v, %q", err, errOut)
	}
}

// TestAgentsUnlock: an admin clears an agent's failed logins from every
// address, or every failed login from one address.
func TestAgentsUnlock(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	db, err := store.Open(ctx, data+"/suporte.db")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	keys := [][2]string{
		{"ana@contaazul.com", "203.0.113.66"}, {"ana@contaazul.com", "198.51.100.7"},
		{"bia@contaazul.com", "2001:db8:1:2::/64"}, {"", "2001:db8:1:2::/64"}, {"", "203.0.113.66"},
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		for _, k := range keys {
			wait := func(store.LoginLimit) time.Time { return now.Add(time.Hour) }
			if _, err := tx.AddLoginFailure(ctx, k[0], k[1], now, store.LoginRun{}, wait); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	left := func() []string {
		t.Helper()
		db, err := store.Open(ctx, data+"/suporte.db")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var out []string
		err = db.View(ctx, func(tx *store.Tx) error {
			for _, k := range keys {
				l, err := tx.LoginLimit(ctx, k[0], k[1])
				if err != nil {
					return err
				}
				if l.Fails > 0 {
					out = append(out, k[0]+"@"+k[1])
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	out, _, err := agentsRun(t, "", "unlock", "--data", data, "--email", "Ana@ContaAzul.com")
	if err != nil || !strings.Contains(out, "unlocked ana@contaazul.com") {
		t.Fatalf("unlock --email: %q, %v", out, err)
	}
	if got := strings.Join(left(), " "); got != "bia@contaazul.com@2001:db8:1:2::/64 @2001:db8:1:2::/64 @203.0.113.66" {
		t.Errorf("after unlocking ana: %s", got)
	}
	out, _, err = agentsRun(t, "", "unlock", "--data", data, "--addr", "2001:db8:1:2:aaaa::9")
	if err != nil || !strings.Contains(out, "unlocked 2001:db8:1:2::/64") {
		t.Fatalf("unlock --addr: %q, %v", out, err)
	}
	if got := strings.Join(left(), " "); got != "@203.0.113.66" {
		t.Errorf("after unlocking the /64: %s", got)
	}
	if out, _, err := agentsRun(t, "", "unlock", "--data", data, "--email", "ninguem@contaazul.com"); err != nil || !strings.Contains(out, "no failed logins") {
		t.Errorf("unlock with nothing to clear: %q, %v", out, err)
	}
	for _, args := range [][]string{{"unlock", "--data", data}, {"unlock", "--data", data, "--email", "a@b.c", "--addr", "1.2.3.4"}} {
		if _, _, err := agentsRun(t, "", args...); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v; want a usage error", args, err)
		}
	}
	if _, _, err := agentsRun(t, "", "unlock", "--data", data, "--addr", "not-an-ip"); err == nil || !strings.Contains(err.Error(), "want an IPv4 or IPv6 address") {
		t.Errorf("a bad address: %v", err)
	}
}
