package main

import (
	"context"
	"database/sql"
	"flag"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The crash test: the real binary (`suporte demo`, the runtime on the
// simulated WhatsApp) is stopped again and again under traffic from
// several scripted customers, mostly by SIGKILL, every fourth time by
// SIGTERM, and restarted on the same data folder. Customers resend what was
// not acknowledged, the harness resends some of what was; at the end the
// store and what the customers saw must show that no message was lost,
// answered twice, reordered or sent twice beyond the one in-flight
// message a SIGKILL may leave per chat (see checkDeliveries).
//
//	go test ./cmd/suporte -run Crash -v -crash.rounds=30   (make crash)
var (
	crashRounds    = flag.Int("crash.rounds", 4, "crash test: how many times the demo is stopped under traffic (every 4th by SIGTERM, the rest by SIGKILL)")
	crashCustomers = flag.Int("crash.customers", 5, "crash test: customers chatting at once")
	crashSeed      = flag.Uint64("crash.seed", 0, "crash test: seed of the stop timing and of the redeliveries (0: random; the test prints it)")
)

const (
	// crashPause is the typing pause before each bot message: the service's
	// paced send path, at test speed.
	crashPause = 20 * time.Millisecond
	// How long the demo runs under traffic before it is stopped, at random
	// in [crashMinUp, crashMaxUp).
	crashMinUp = 150 * time.Millisecond
	crashMaxUp = 1200 * time.Millisecond
)

// crashEpoch is the demo clock at the first start: a Tuesday in business
// hours, so a handoff goes to the queue. Each start moves it on by the time
// elapsed, so the clock never goes back and every start's instants are
// after the previous one's.
var crashEpoch = time.Date(2026, 11, 24, 10, 0, 0, 0, time.FixedZone("-03", -3*3600))

// crashRound is one life of the demo process.
type crashRound struct {
	at               time.Time      // its clock's first instant
	stop             syscall.Signal // how it ended
	up               time.Duration  // how long it ran under traffic before the signal
	events           *eventLog      // what it delivered, from its start
	redeliveredAcked int            // acknowledged messages sent again after the start
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary for seconds; not in -short")
	}
	began := time.Now()
	seed := *crashSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d (rerun: go test ./cmd/suporte -run 'TestCrash$' -crash.seed=%d -crash.rounds=%d -crash.customers=%d)",
		seed, seed, *crashRounds, *crashCustomers)
	rng := rand.New(rand.NewPCG(seed, 0x5ab0))
	buildSuporte(t)
	dir := t.TempDir()
	flowsPath := testFlows(t, crashPause)
	dbPath := filepath.Join(dir, "suporte.db")

	srv := &crashServer{client: &http.Client{Timeout: 10 * time.Second}}
	customers := make([]*crashCustomer, *crashCustomers)
	var chat *chatting
	for i := range customers {
		customers[i] = newCrashCustomer(i, srv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var rounds []*crashRound
	t0 := time.Now()
	for r := 0; r <= *crashRounds; r++ {
		final := r == *crashRounds
		rd := &crashRound{at: crashEpoch.Add(time.Since(t0)).Truncate(time.Millisecond)}
		rounds = append(rounds, rd)
		p := startDemoProc(t, dir, flowsPath, rd.at)
		ev, err := subscribe(ctx, p.base)
		if err != nil {
			t.Fatalf("round %d: %v", r, err)
		}
		rd.events = ev
		srv.setURL(p.base)
		if r == 0 {
			chat = startChatting(t, srv, customers)
		} else {
			rd.redeliveredAcked = redeliverAcked(t, srv, customers, rng)
		}
		if !final {
			rd.up = crashMinUp + time.Duration(rng.Int64N(int64(crashMaxUp-crashMinUp)))
			rd.stop = syscall.SIGKILL
			if r%4 == 2 {
				rd.stop = syscall.SIGTERM
			}
			time.Sleep(rd.up) // the stop's moment, not a wait for a result
		} else {
			rd.stop = syscall.SIGTERM
			if err := chat.finish(2 * stepTimeout); err != nil {
				t.Fatal(err)
			}
			waitQuiet(t, dbPath, 30*time.Second)
			for _, c := range customers {
				if err := c.poll(); err != nil {
					t.Fatalf("final poll of %s: %v", c.chat, err)
				}
			}
		}
		select {
		case <-ev.ended:
			t.Fatalf("round %d: the event stream ended before the stop (%v): deliveries were missed", r, ev.err)
		default:
		}
		srv.setURL("")
		p.kill(rd.stop)
		if rd.stop == syscall.SIGTERM {
			code, err := p.waitExit(10 * time.Second)
			if err != nil || code != 0 {
				t.Fatalf("round %d: SIGTERM: exit %d, %v; want 0 promptly\nstderr:\n%s", r, code, err, p.stderr)
			}
		}
		if logs := p.errorLogs(); len(logs) > 0 {
			t.Errorf("round %d: error logs:\n%v", r, logs)
		}
		<-ev.ended
		if err := chat.err(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Fatalf("round %d failed; demo stderr:\n%s", r, p.stderr)
		}
	}

	db, err := sql.Open("sqlite3", "file:"+dbPath+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f := checkCrash(t, db, customers, rounds, flowsPath)
	f.report(t, rounds, srv, time.Since(began))
}

// redeliverAcked sends again, with their ids, some messages the previous
// process acknowledged: each must be reported a duplicate and change
// nothing (checkInbox counts the rows).
func redeliverAcked(t *testing.T, srv *crashServer, customers []*crashCustomer, rng *rand.Rand) int {
	t.Helper()
	n := 0
	for _, c := range customers {
		if rng.IntN(2) == 0 {
			continue
		}
		st, ok := c.acked(rng)
		if !ok {
			continue
		}
		code, dup, err := postMessage(srv.client, srv.url(), c.chat, st.id, st.text)
		if err != nil || code != http.StatusAccepted || !dup {
			t.Errorf("redelivered %s %s: status %d, duplicate %v, %v; want 202 duplicate", c.chat, st.id, code, dup, err)
		}
		n++
	}
	return n
}

// waitQuiet polls the live store (read-only) until every stored customer
// message is handled and every reply sent.
func waitQuiet(t *testing.T, path string, within time.Duration) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(within)
	for {
		var pending int
		err := db.QueryRow(`SELECT (SELECT count(*) FROM inbox WHERE done = 0) + (SELECT count(*) FROM outbox WHERE sent_at = 0)`).Scan(&pending)
		if err == nil && pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("store not quiet within %v: %d pending, %v", within, pending, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
