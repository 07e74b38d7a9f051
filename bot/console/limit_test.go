package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"suporte/store"
	"suporte/store/pgtemp"
)

// loginAt posts a login to h as if from the peer address from, with
// extra headers, and returns the status and Retry-After.
func loginAt(t *testing.T, h http.Handler, from, email, pw string, header ...string) (int, string) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"email": email, "password": pw})
	r := httptest.NewRequest("POST", "/api/login", strings.NewReader(string(b)))
	r.RemoteAddr = from
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Header().Get("Retry-After")
}

const (
	attacker = "203.0.113.66:40000"
	owner    = "198.51.100.7:50000"
)

// TestLoginBackoff: wrong passwords for an account from one address cost
// a growing wait (answered 429 with Retry-After), never a lockout: the
// owner, from their own address, logs in at once; the right password
// after a wait clears the count.
func TestLoginBackoff(t *testing.T) {
	b := newBackend(t)
	b.addAgent(t, store.Agent{Email: "ana@contaazul.com", Name: "Ana", Role: store.RoleAgent, MaxChats: 5})
	h := b.console(Config{}).Handler()
	for i := range freeFails {
		if code, _ := loginAt(t, h, attacker, "ana@contaazul.com", "errada-errada"); code != 401 {
			t.Fatalf("failure %d: got %d; want 401", i+1, code)
		}
	}
	// Then each attempt waits, 1 s after the last free failure and
	// doubling with each failure after it: 1 s, 2 s, 4 s...
	for n, want := range []int{1, 2, 4, 8, 16} {
		code, ra := loginAt(t, h, attacker, "ana@contaazul.com", "errada-errada")
		if code != 429 || ra != fmt.Sprint(want) {
			t.Fatalf("right after failure %d: got %d Retry-After %q; want 429 and %d", freeFails+n, code, ra, want)
		}
		if code, _ := loginAt(t, h, owner, "ana@contaazul.com", password); code != 200 {
			t.Fatalf("the owner, from their address, meanwhile: got %d; want 200", code)
		}
		b.clock.Advance(time.Duration(want) * time.Second)
		if code, _ := loginAt(t, h, attacker, "ana@contaazul.com", "errada-errada"); code != 401 {
			t.Fatalf("failure %d, after the wait: got %d; want 401", freeFails+n+1, code)
		}
	}
	// The wait stops growing at maxWait.
	for range 20 {
		loginAt(t, h, attacker, "ana@contaazul.com", "errada-errada")
		b.clock.Advance(maxWait)
	}
	loginAt(t, h, attacker, "ana@contaazul.com", "errada-errada")
	if code, ra := loginAt(t, h, attacker, "ana@contaazul.com", password); code != 429 || ra != fmt.Sprint(int(maxWait.Seconds())) {
		t.Errorf("after many failures: got %d Retry-After %q; want 429 and %v", code, ra, maxWait)
	}
	// Once the wait is over the right password gets in and clears the count.
	b.clock.Advance(maxWait)
	if code, _ := loginAt(t, h, attacker, "ana@contaazul.com", password); code != 200 {
		t.Fatalf("the right password after the wait: got %d; want 200", code)
	}
	for i := range freeFails {
		if code, _ := loginAt(t, h, attacker, "ana@contaazul.com", "errada-errada"); code != 401 {
			t.Fatalf("after a success, failure %d: got %d; want 401 without a wait", i+1, code)
		}
	}
}

// TestLoginAddressCap: one address failing on many accounts is capped at
// addrMax an hour, for every account from there; others are not touched.
func TestLoginAddressCap(t *testing.T) {
	b := newBackend(t)
	b.addAgent(t, store.Agent{Email: "ana@contaazul.com", Name: "Ana", Role: store.RoleAgent, MaxChats: 5})
	h := b.console(Config{}).Handler()
	for i := range addrMax {
		if code, _ := loginAt(t, h, attacker, fmt.Sprintf("x%d@contaazul.com", i), "errada-errada"); code != 401 {
			t.Fatalf("failure %d: got %d; want 401", i+1, code)
		}
	}
	if code, ra := loginAt(t, h, attacker, "ana@contaazul.com", password); code != 429 || ra != "3600" {
		t.Errorf("from the capped address: got %d Retry-After %q; want 429 for the rest of the hour", code, ra)
	}
	if code, _ := loginAt(t, h, owner, "ana@contaazul.com", password); code != 200 {
		t.Errorf("from another address: got %d; want 200", code)
	}
	b.clock.Advance(addrWindow)
	if code, _ := loginAt(t, h, attacker, "ana@contaazul.com", password); code != 200 {
		t.Errorf("after the hour: got %d; want 200", code)
	}
}

// TestLoginLimitsShared: the counts live in the store, so a second console
// on the same database (a replica) slows the same guesser.
func TestLoginLimitsShared(t *testing.T) {
	b := newBackend(t)
	b.addAgent(t, store.Agent{Email: "ana@contaazul.com", Name: "Ana", Role: store.RoleAgent, MaxChats: 5})
	one, two := b.console(Config{}).Handler(), b.console(Config{}).Handler()
	for range freeFails + 1 {
		loginAt(t, one, attacker, "ana@contaazul.com", "errada-errada")
	}
	if code, _ := loginAt(t, two, attacker, "ana@contaazul.com", "errada-errada"); code != 429 {
		t.Errorf("on the other console: got %d; want 429", code)
	}
}

// TestLoginFailuresRace: attempts made at the same moment on two console
// processes (two stores on one database) each take their place in the
// count before their password is checked: exactly freeFails of each
// account's are let through, the others wait, on SQLite and PostgreSQL.
func TestLoginFailuresRace(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "suporte.db")
			if engine == "postgres" {
				dsn = pgtemp.Database(t)
			}
			ctx := context.Background()
			now := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
			var replicas []loginLimiter
			for range 2 {
				db, err := store.Open(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				replicas = append(replicas, loginLimiter{db: db, now: func() time.Time { return now }})
			}
			// Two accounts from one address: their rows and the address's
			// are counted by every attempt, in the same transactions.
			tries := map[string]int{"ana@contaazul.com": freeFails + 8, "bia@contaazul.com": freeFails + 6}
			var wg sync.WaitGroup
			var mu sync.Mutex
			let := map[string]int{}
			i := 0
			for account, n := range tries {
				for range n {
					l := replicas[i%len(replicas)]
					i++
					wg.Go(func() {
						wait, err := l.reserve(ctx, account, "203.0.113.66")
						if err != nil {
							t.Error(err)
						}
						if wait == 0 {
							mu.Lock()
							let[account]++
							mu.Unlock()
						}
					})
				}
			}
			wg.Wait()
			for account := range tries {
				if let[account] != freeFails {
					t.Errorf("%s: %d of %d attempts let through; want %d", account, let[account], tries[account], freeFails)
				}
				for r, l := range replicas {
					if got, err := l.reserve(ctx, account, "203.0.113.66"); err != nil || got != firstWait {
						t.Errorf("%s's next attempt on replica %d: got %v, %v; want a wait of %v", account, r+1, got, err, firstWait)
					}
				}
			}
			err := replicas[0].db.View(ctx, func(tx *store.Tx) error {
				all, err := tx.LoginLimit(ctx, "", "203.0.113.66")
				if want := 2 * freeFails; all.Fails != want {
					t.Errorf("the address's failures: got %d; want %d", all.Fails, want)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestLoginParallel: twenty wrong passwords sent at once for one e-mail
// from one address: the README's three are checked, the others wait. The
// e-mail is no account's, so each check compares the dummy hash, made at
// a cost that keeps the checks slow enough to overlap.
func TestLoginParallel(t *testing.T) {
	e := newEnv(t)
	slow := e.console(Config{})
	dummy := mustHash("suporte-dummy-password", 10)
	slow.dummy = func() []byte { return dummy }
	e.serve(slow)
	e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 5)
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Go(func() {
			b, _ := json.Marshal(map[string]string{"email": "ex@contaazul.com", "password": "errada-errada"})
			res, err := e.srv.Client().Post(e.srv.URL+"/api/login", "application/json", strings.NewReader(string(b)))
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			codes[i] = res.StatusCode
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[401] != freeFails || count[429] != len(codes)-freeFails {
		t.Errorf("statuses %v; want %d checked (401) and the rest 429", count, freeFails)
	}
	// Ana, from the same address: a right password gets in and gives the
	// address its attempt back.
	if code, _ := loginAt(t, e.s.Handler(), "127.0.0.1:1", "ana@contaazul.com", password); code != 200 {
		t.Errorf("the right password after the wait: got %d; want 200", code)
	}
	err := e.db.View(e.ctx, func(tx *store.Tx) error {
		all, err := tx.LoginLimit(e.ctx, "", "127.0.0.1")
		if all.Fails != freeFails {
			t.Errorf("the address's count: got %d; want %d, the failures alone", all.Fails, freeFails)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLoginTrustedProxy: behind a trusted proxy the client is the address
// it forwards, so an attacker and the owner behind it are told apart; a
// peer that is not trusted cannot pick its address with the header.
func TestLoginTrustedProxy(t *testing.T) {
	b := newBackend(t)
	b.addAgent(t, store.Agent{Email: "ana@contaazul.com", Name: "Ana", Role: store.RoleAgent, MaxChats: 5})
	proxies, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	h := b.console(Config{TrustedProxies: proxies}).Handler()
	const proxy = "10.1.2.3:443"
	for range freeFails + 1 {
		loginAt(t, h, proxy, "ana@contaazul.com", "errada-errada", "X-Forwarded-For", "203.0.113.66")
	}
	if code, _ := loginAt(t, h, proxy, "ana@contaazul.com", password, "X-Forwarded-For", "203.0.113.66"); code != 429 {
		t.Errorf("the attacker through the proxy: got %d; want 429", code)
	}
	// A chain: the client, then a proxy the first appended, then ours.
	if code, _ := loginAt(t, h, proxy, "ana@contaazul.com", password, "X-Forwarded-For", "198.51.100.7, 192.0.2.1"); code != 200 {
		t.Errorf("the owner through the proxies: got %d; want 200", code)
	}
	// Not a trusted peer: its header is ignored, it is counted as itself.
	for range freeFails + 1 {
		loginAt(t, h, attacker, "ana@contaazul.com", "errada-errada", "X-Forwarded-For", fmt.Sprint(time.Now().UnixNano()%250, ".0.0.1"))
	}
	if code, _ := loginAt(t, h, attacker, "ana@contaazul.com", password, "X-Forwarded-For", "198.51.100.99"); code != 429 {
		t.Errorf("a forged header from an untrusted peer: got %d; want 429", code)
	}

	for _, tc := range []struct {
		peer, xff, want string
	}{
		{"10.1.2.3:1", "", "10.1.2.3"},
		{"10.1.2.3:1", "garbage", "10.1.2.3"},
		{"10.1.2.3:1", "198.51.100.7, 10.9.9.9", "198.51.100.7"},
		{"[2001:db8:1:2:3:4:5:6]:1", "", "2001:db8:1:2::/64"},
		{"[::ffff:203.0.113.5]:1", "", "203.0.113.5"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := clientAddr(r, proxies); got != tc.want {
			t.Errorf("clientAddr(%s, %q): got %q; want %q", tc.peer, tc.xff, got, tc.want)
		}
	}
	if _, err := ParseTrustedProxies("10.0.0.0/8,nope"); err == nil {
		t.Error("a bad --trusted-proxy was accepted")
	}
	if p, err := ParseTrustedProxies("10.1.2.3/8"); err != nil || len(p) != 1 || p[0] != netip.MustParsePrefix("10.0.0.0/8") {
		t.Errorf("ParseTrustedProxies: %v, %v", p, err)
	}
}

// TestUnlock: a supervisor clears an agent's failed logins from the
// console; an agent may not.
func TestUnlock(t *testing.T) {
	e := newEnv(t)
	ana := e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 5)
	e.agent("bruno@contaazul.com", "Bruno", store.RoleAgent, 5)
	e.agent("sara@contaazul.com", "Sara", store.RoleSupervisor, 5)
	supTok, agentTok := e.login("sara@contaazul.com"), e.login("bruno@contaazul.com")
	h := e.s.Handler()
	for range freeFails + 1 {
		loginAt(t, h, attacker, "ana@contaazul.com", "errada-errada")
	}
	if code, _ := loginAt(t, h, attacker, "ana@contaazul.com", password); code != 429 {
		t.Fatalf("before: got %d; want 429", code)
	}
	unlock := fmt.Sprintf("/api/agents/%d/unlock", ana.ID)
	e.must(403, req{method: "POST", path: unlock, token: agentTok})
	e.must(404, req{method: "POST", path: "/api/agents/999/unlock", token: supTok})
	e.must(200, req{method: "POST", path: unlock, token: supTok})
	if code, _ := loginAt(t, h, attacker, "ana@contaazul.com", password); code != 200 {
		t.Errorf("after the unlock: got %d; want 200", code)
	}
}
