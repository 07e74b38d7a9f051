package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"suporte/store"
)

// Several processes may share a PostgreSQL store. For each WhatsApp line
// exactly one of them, the owner, drives the WhatsApp session, the
// runtime's workers and the sender; the others (standbys) serve the
// console and its API and wait to take over.
//
// Ownership is a lease row (store.Lease), not a lock on a connection: it
// works whatever the network does between a process and the database, its
// timing is ours (not TCP keepalives'), and its token, which grows with
// every new owner, is the fence every send checks. The owner renews the
// lease every TTL/3. It stops (cancels its duties, which disconnects
// WhatsApp) once TTL*2/3 passed since the start of its last renewal that
// succeeded, while the database lets nobody else take the lease before
// TTL after that renewal ran: a process that cannot renew, for whatever
// reason, is off WhatsApp at least TTL/3 before another may connect.
// Standbys try to take the lease every TTL/5, so a dead owner (kill -9)
// is replaced within about TTL*6/5 of its last renewal; a stopping owner
// releases its lease and is replaced at the standby's next try.

// DefaultLeaseTTL is how long a lease lasts without renewal: a dead owner
// is replaced within about 18 s, well inside the 30 s goal.
const DefaultLeaseTTL = 15 * time.Second

// LeaseConfig wires a Lease.
type LeaseConfig struct {
	Store *store.DB
	Line  string // the WhatsApp line (its number's digits, or "demo")
	// Holder names this process in the lease row; empty means
	// host:pid:random.
	Holder string
	TTL    time.Duration // 0 means DefaultLeaseTTL
	// Force takes the lease even if the row says another holds it: for a
	// store only this process can open (SQLite, behind the data folder's
	// lock), where a row left by a killed process must not delay the start.
	Force bool
	Log   zerolog.Logger
}

// Lease keeps this process's claim on a line and runs the owner's duties
// while it holds it.
type Lease struct {
	cfg LeaseConfig

	owner    atomic.Bool  // holding the lease, as far as this process knows
	token    atomic.Int64 // the fence of the current term
	deadline atomic.Int64 // unix ns: past it, the owner must have stopped

	mu        sync.Mutex
	since     time.Time // when this process became owner or standby
	holder    string    // who holds the line, as last read
	takeovers int64     // terms this process began
	renewErrs int64     // renewals that failed
}

// Bounds of a lease's length: renewed every third of it, a shorter one
// would be lost to a slow query, and a longer one keeps the line silent
// that long after its owner dies.
const (
	MinLeaseTTL = time.Second
	MaxLeaseTTL = 10 * time.Minute
)

// CheckLeaseTTL says what is wrong with a lease length given by a person.
func CheckLeaseTTL(d time.Duration) error {
	if d < MinLeaseTTL || d > MaxLeaseTTL {
		return fmt.Errorf("%v: want between %v and %v", d, MinLeaseTTL, MaxLeaseTTL)
	}
	return nil
}

// NewLease returns a lease for cfg.Line; Run it.
func NewLease(cfg LeaseConfig) *Lease {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultLeaseTTL
	}
	if cfg.Holder == "" {
		cfg.Holder = holderName()
	}
	return &Lease{cfg: cfg, since: time.Now()}
}

// holderName names this process: host, pid and a random part, so that a
// restarted process with a reused pid is a new holder.
func holderName() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
}

// LeaseState is what /readyz and the metrics tell about the lease.
type LeaseState struct {
	Line      string    `json:"line"`
	Role      string    `json:"role"`             // "owner" or "standby"
	Holder    string    `json:"holder,omitempty"` // who holds the line, as last seen
	Me        string    `json:"me"`
	Token     int64     `json:"token,omitempty"` // this process's term, while owner
	Since     time.Time `json:"since"`
	Takeovers int64     `json:"takeovers"`      // terms this process began
	RenewErrs int64     `json:"renew_failures"` // renewals that failed
}

// State reports the lease as this process knows it.
func (l *Lease) State() LeaseState {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := LeaseState{Line: l.cfg.Line, Role: "standby", Holder: l.holder, Me: l.cfg.Holder, Since: l.since,
		Takeovers: l.takeovers, RenewErrs: l.renewErrs}
	if l.Owner() {
		s.Role, s.Token = "owner", l.token.Load()
	}
	return s
}

// Owner reports whether this process holds the lease now: it does not
// once the renewal deadline has passed, whatever the database says.
func (l *Lease) Owner() bool {
	return l.owner.Load() && time.Now().UnixNano() < l.deadline.Load()
}

// Check is the fence: it returns store.ErrLeaseLost unless this process
// holds the lease, both by its own deadline and by the database's row.
// The runtime calls it before every send.
func (l *Lease) Check(ctx context.Context) error {
	if !l.Owner() {
		return store.ErrLeaseLost
	}
	token := l.token.Load()
	return l.cfg.Store.View(ctx, func(tx *store.Tx) error { return tx.CheckFence(ctx, l.cfg.Line, token) })
}

// Run waits for the lease, then runs duty with a context that ends when
// the lease is lost (or ctx ends). It returns when that term ends: nil if
// ctx ended (the lease is released, so a standby takes over at once),
// the loss (wrapping store.ErrLeaseLost) once duty has returned, or
// duty's error. A process that lost its lease exits and is started again
// (systemd) as a standby: its next term starts from what the store says,
// never from memory of the last one.
func (l *Lease) Run(ctx context.Context, duty func(ctx context.Context) error) error {
	lease, err := l.acquire(ctx)
	if err != nil {
		return nil // ctx ended
	}
	return l.term(ctx, lease, duty)
}

// acquire tries to take the lease every TTL/5 until it does or ctx ends.
func (l *Lease) acquire(ctx context.Context) (store.Lease, error) {
	every := l.cfg.TTL / 5
	for {
		var lease store.Lease
		var ok bool
		var current []store.Lease
		err := l.cfg.Store.Update(ctx, func(tx *store.Tx) error {
			var err error
			lease, ok, err = tx.AcquireLease(ctx, l.cfg.Line, l.cfg.Holder, l.cfg.TTL, l.cfg.Force)
			if err != nil || ok {
				return err
			}
			current, err = tx.Leases(ctx)
			return err
		})
		switch {
		case err != nil && ctx.Err() == nil:
			l.cfg.Log.Warn().Err(err).Str("line", l.cfg.Line).Msg("lease: cannot reach the store; trying again")
		case ok:
			return lease, nil
		default:
			for _, c := range current {
				if c.Line == l.cfg.Line {
					l.mu.Lock()
					l.holder = c.Holder
					l.mu.Unlock()
				}
			}
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return store.Lease{}, ctx.Err()
		case <-t.C:
		}
	}
}

// term runs duty while the lease is held, renewing it, and returns the
// loss, duty's error, or nil if ctx ended.
func (l *Lease) term(ctx context.Context, lease store.Lease, duty func(ctx context.Context) error) error {
	start := time.Now() // no later than the database's acquired_at
	owned, lose := context.WithCancelCause(ctx)
	defer lose(nil)
	l.begin(lease, start)
	log := l.cfg.Log.With().Str("line", l.cfg.Line).Int64("token", lease.Token).Logger()
	log.Info().Msg("lease: this process now drives the line")

	var wg sync.WaitGroup
	wg.Go(func() { l.keep(owned, lose, lease.Token, log) })
	err := duty(owned)
	lose(nil)
	wg.Wait()
	l.end()
	if cause := context.Cause(owned); errors.Is(cause, store.ErrLeaseLost) {
		log.Error().Err(cause).Msg("lease: lost; this process stopped driving the line")
		return cause
	}
	// Stopping (or duty failed): hand the line over at once.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.cfg.TTL/3)
	defer cancel()
	if rerr := l.cfg.Store.Update(rctx, func(tx *store.Tx) error {
		return tx.ReleaseLease(rctx, l.cfg.Line, l.cfg.Holder, lease.Token)
	}); rerr != nil {
		log.Warn().Err(rerr).Msg("lease: release failed; it expires by itself")
	} else {
		log.Info().Msg("lease: released")
	}
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func (l *Lease) begin(lease store.Lease, start time.Time) {
	l.token.Store(lease.Token)
	l.deadline.Store(start.Add(l.cfg.TTL * 2 / 3).UnixNano())
	l.owner.Store(true)
	l.mu.Lock()
	l.since, l.holder = time.Now(), l.cfg.Holder
	l.takeovers++
	l.mu.Unlock()
}

func (l *Lease) end() {
	l.owner.Store(false)
	l.mu.Lock()
	l.since = time.Now()
	l.mu.Unlock()
}

// keep renews the lease every TTL/3 and ends the term (lose) when it is
// lost or its deadline passes without a successful renewal.
func (l *Lease) keep(ctx context.Context, lose context.CancelCauseFunc, token int64, log zerolog.Logger) {
	every := l.cfg.TTL / 3
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		wait := time.Until(time.Unix(0, l.deadline.Load()))
		if wait <= 0 {
			lose(fmt.Errorf("%w: no renewal within %v", store.ErrLeaseLost, l.cfg.TTL*2/3))
			return
		}
		dead := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			dead.Stop()
			return
		case <-dead.C:
			continue // the check above ends the term
		case <-tick.C:
			dead.Stop()
		}
		start := time.Now()
		rctx, cancel := context.WithDeadline(ctx, time.Unix(0, l.deadline.Load()))
		err := l.cfg.Store.Update(rctx, func(tx *store.Tx) error {
			_, err := tx.RenewLease(rctx, l.cfg.Line, l.cfg.Holder, token, l.cfg.TTL)
			return err
		})
		cancel()
		switch {
		case err == nil:
			l.deadline.Store(start.Add(l.cfg.TTL * 2 / 3).UnixNano())
		case errors.Is(err, store.ErrLeaseLost):
			lose(err)
			return
		case ctx.Err() == nil:
			l.mu.Lock()
			l.renewErrs++
			l.mu.Unlock()
			log.Warn().Err(err).Msg("lease: renewal failed; trying again")
		}
	}
}
