package bot

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"suporte/store"
	"suporte/store/pgtemp"
)

// leaseTerm is one lease term as a test sees it.
type leaseTerm struct {
	token      int64
	start, end time.Time
	check      error // the fence checked at the term's start
}

// runLease runs l with a duty that checks the fence, records its term and
// waits for its context; every term comes out on the channel once it
// ends, a failed check too (a duty that returned without its term held
// the test waiting for it forever). Each check's result also comes out on
// checked as soon as it is known, so the test can wait for it before
// ending the term: on a loaded machine the check may still be running
// when the test would stop the process, and would fail as cancelled.
func runLease(ctx context.Context, l *Lease, terms chan<- leaseTerm) (done <-chan error, checked <-chan error) {
	d := make(chan error, 1)
	c := make(chan error, 64)
	go func() {
		d <- l.Run(ctx, func(owned context.Context) error {
			t := leaseTerm{token: l.token.Load(), start: time.Now()}
			t.check = l.Check(owned)
			c <- t.check
			<-owned.Done()
			t.end = time.Now()
			terms <- t
			return nil
		})
	}()
	return d, c
}

// checkedTerm waits for who's fence check at the start of its term.
func checkedTerm(t *testing.T, checked <-chan error, within time.Duration, who string) {
	t.Helper()
	select {
	case err := <-checked:
		if err != nil {
			t.Errorf("%s's fence at the start of its term: %v", who, err)
		}
	case <-time.After(within):
		t.Fatalf("%s's fence check at the start of its term did not end within %v", who, within)
	}
}

// endedTerm takes the next ended term, failing the test if its fence
// check did not pass.
func endedTerm(t *testing.T, terms <-chan leaseTerm, who string) leaseTerm {
	t.Helper()
	term := <-terms
	if term.check != nil {
		t.Errorf("%s's fence at the start of its term (token %d): %v", who, term.token, term.check)
	}
	return term
}

// TestLeaseFailover: two processes share a PostgreSQL store. The first
// takes the line; the second stands by. When the first loses the database
// (its store closes under it) it cannot renew: it stops its duties before
// its lease expires, and only then does the second take over, with the
// next token, which the first no longer passes. A stopping owner releases
// the line, and a third process takes it at once.
func TestLeaseFailover(t *testing.T) {
	dsn := pgtemp.Database(t)
	ctx := context.Background()
	// Long enough that a loaded machine (the race detector, other tests
	// beside it) renews well inside two thirds of it.
	const ttl = 3 * time.Second
	open := func() *store.DB { return openStore(t, dsn) }
	dbA, dbB, dbC := open(), open(), open()
	defer dbB.Close()
	defer dbC.Close()
	newLease := func(db *store.DB, name string) *Lease {
		return NewLease(LeaseConfig{Store: db, Line: "554735121777", Holder: name, TTL: ttl, Log: zerolog.Nop()})
	}
	a, b, c := newLease(dbA, "a"), newLease(dbB, "b"), newLease(dbC, "c")
	// Room for every term: a process that loses its lease under load and
	// takes it again ends a term more, and a full channel would hold its
	// Run (and the test waiting for it) forever.
	terms := make(chan leaseTerm, 64)

	ctxA, stopA := context.WithCancel(ctx)
	defer stopA()
	doneA, checkedA := runLease(ctxA, a, terms)
	waitLease(t, 5*time.Second, "a owns the line", a.Owner)
	checkedTerm(t, checkedA, ttl, "a")
	ctxB, stopB := context.WithCancel(ctx)
	defer stopB()
	doneB, checkedB := runLease(ctxB, b, terms)
	time.Sleep(ttl) // b tries, and must not get the line while a renews
	if b.Owner() || b.State().Holder != "a" {
		t.Fatalf("b while a renews: owner %v, sees holder %q; want a standby seeing a", b.Owner(), b.State().Holder)
	}

	dbA.Close() // a loses the database
	lost := time.Now()
	ta := endedTerm(t, terms, "a")
	if err := <-doneA; !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("a's Run: got %v; want the loss", err)
	}
	waitLease(t, 3*ttl, "b takes the line", b.Owner)
	took := time.Now()
	checkedTerm(t, checkedB, ttl, "b")
	tb := leaseTerm{token: b.State().Token}
	if ta.end.Sub(lost) > ttl*2/3+200*time.Millisecond {
		t.Errorf("a stopped %v after losing the database; want within two thirds of the lease (%v)", ta.end.Sub(lost), ttl*2/3)
	}
	if took.Sub(lost) > 2*ttl {
		t.Errorf("b took over %v after a lost the database; want within %v", took.Sub(lost), 2*ttl)
	}
	if since := b.State().Since; !ta.end.Before(since) {
		t.Errorf("a stopped at %v, after b took over at %v: both drove the line", ta.end, since)
	}
	if tb.token != ta.token+1 {
		t.Errorf("tokens: a %d, b %d; want b's the next", ta.token, tb.token)
	}
	var err error
	err = dbB.View(ctx, func(tx *store.Tx) error { return tx.CheckFence(ctx, "554735121777", ta.token) })
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("a's fence after the takeover: got %v; want ErrLeaseLost", err)
	}

	// b stops: it releases the line and c, standing by, takes it at once.
	ctxC, stopC := context.WithCancel(ctx)
	defer stopC()
	doneC, checkedC := runLease(ctxC, c, terms)
	stopB()
	if err := <-doneB; err != nil {
		t.Errorf("b's Run after its stop: %v", err)
	}
	endedTerm(t, terms, "b")
	released := time.Now()
	waitLease(t, ttl, "c takes the released line", c.Owner)
	if d := time.Since(released); d > ttl/2 {
		t.Errorf("c took the released line after %v; want its next try (%v)", d, ttl/5)
	}
	checkedTerm(t, checkedC, ttl, "c")
	stopC()
	if err := <-doneC; err != nil {
		t.Errorf("c's Run: %v", err)
	}
}

// waitLease polls cond every few milliseconds until it holds, or fails the
// test after within: leases run on the database's real clock.
func waitLease(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
