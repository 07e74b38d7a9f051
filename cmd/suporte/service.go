package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"

	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"suporte/bot"
	"suporte/bot/console"
	"suporte/bot/metrics"
	"suporte/bot/web"
	"suporte/store"
)

// service is what run and demo share: the data folder's lock, the store
// and the flows, then, wired to a transport, the metrics, the runtime and
// the console, served together until a stop. One wiring, so the demo
// behaves like the service it shows.
type service struct {
	log     zerolog.Logger
	clock   bot.Clock
	data    string
	line    string // the WhatsApp line this process serves (store.LineName)
	db      *store.DB
	files   *store.Files // data/media, or the PostgreSQL store itself
	flows   *bot.FlowSource
	met     *metrics.Metrics
	rt      *bot.Runtime
	console *console.Server
	lease   *bot.Lease // nil on SQLite: this process alone drives the line
	lock    *dataLock
	logKey  []byte // the installation's key for chat refs in logs
}

// serviceConfig says where a service keeps its state and how it tells time.
type serviceConfig struct {
	data, flows string
	db          string // the store if not data/suporte.db: a postgres:// URL or a file
	clock       bot.Clock
	log         zerolog.Logger
	// line names the WhatsApp line (store.LineName) this process serves:
	// its chats' rows carry it, and on PostgreSQL, which several processes
	// and lines may share, it names the line's lease; leaseTTL is the
	// lease's length (0: bot.DefaultLeaseTTL).
	line     string
	leaseTTL time.Duration
}

// openService locks the data folder, opens the store and loads the flows.
// Close undoes it.
func openService(ctx context.Context, c serviceConfig) (_ *service, err error) {
	lock, err := lockData(c.data)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			lock.release()
		}
	}()
	db, err := store.Open(ctx, place{data: c.data, db: c.db}.dsn())
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	// A copy that never finished holds part of a store at most.
	unfinished, err := db.CopyUnfinished(ctx)
	if err != nil {
		return nil, err
	}
	if unfinished {
		return nil, fmt.Errorf("the store %s holds an unfinished copy by suporte migrate, which failed or was stopped: run that suporte migrate again to finish it (it starts the copy over), then start suporte", place{data: c.data, db: c.db})
	}
	// The line starts before anything of it runs: on a store from before
	// lines, the first line to start adopts the chats stored then.
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.StartLine(ctx, c.line, c.clock.Now())
		return err
	})
	if err != nil {
		return nil, err
	}
	files, err := store.MediaFiles(db, filepath.Join(c.data, "media"))
	if err != nil {
		return nil, err
	}
	logKey, err := db.Secret(ctx, "log")
	if err != nil {
		return nil, err
	}
	fl, err := bot.NewFlowSource(ctx, c.flows, db, c.log.With().Str("component", "flows").Logger(), c.clock)
	if err != nil {
		return nil, err
	}
	s := &service{log: c.log, clock: c.clock, data: c.data, line: c.line, db: db, files: files, flows: fl, lock: lock, logKey: logKey}
	if db.Postgres() {
		// Other processes may share the store: only the line's lease
		// holder drives WhatsApp. (A SQLite store is this process's
		// alone, behind the data folder's lock: no lease.)
		s.lease = bot.NewLease(bot.LeaseConfig{Store: db, Line: c.line, TTL: c.leaseTTL,
			Log: c.log.With().Str("component", "lease").Logger()})
	}
	return s, nil
}

// wiring is what differs between the real service and the demo around
// the same runtime and console.
type wiring struct {
	transport bot.Transport
	// connection reports the transport's state for metrics and
	// readiness; nil for the simulated one, which is always there.
	connection  func() (state string, ok bool)
	sleep       func(ctx context.Context, d time.Duration) error // nil: no typing pauses
	sendRate    float64                                          // messages a second across all chats; 0: no limit
	sendBurst   int
	stopTimeout time.Duration
	health      func() map[string]any // the console's own health line, if any
	bcryptCost  int                   // 0: the console's default
	proxies     []netip.Prefix        // trusted reverse proxies (console.Config.TrustedProxies)
	secure      bool                  // the console is served over HTTPS: Secure session cookies
}

// wire builds the metrics, the runtime on w's transport and the console.
func (s *service) wire(w wiring) {
	mc := metrics.Config{
		Store: s.db, Clock: s.clock, Flows: s.flows.Status, Log: s.log, Connection: w.connection,
		Data: s.lock.check,
	}
	var fence func(context.Context) error
	var poll time.Duration
	if s.lease != nil {
		mc.Lease, fence, poll = s.lease.State, s.lease.Check, time.Second
	}
	s.met = metrics.New(mc)
	var limit *bot.Limiter
	if w.sendRate > 0 {
		limitSleep := w.sleep
		if limitSleep == nil {
			limitSleep = bot.Sleep // the rate holds without typing pauses too
		}
		limit = bot.NewLimiter(w.sendRate, w.sendBurst, s.clock.Now, s.met.LimiterSleep(limitSleep))
	}
	s.rt = bot.New(bot.Config{
		Store:       s.db,
		Line:        s.line,
		Files:       s.files,
		Flow:        s.flows.Current,
		Transport:   w.transport,
		Clock:       s.clock,
		Log:         s.log.With().Str("component", "runtime").Logger(),
		Sleep:       w.sleep,
		Limit:       limit,
		Observe:     s.met,
		LogKey:      s.logKey,
		StopTimeout: w.stopTimeout,
		Fence:       fence,
		PollWork:    poll,
	})
	if s.lease != nil {
		s.rt.Standby() // until this process takes the line
		s.met.SetEvents(s.rt.EventStats)
	}
	s.console = console.New(console.Config{
		Store:          s.db,
		Files:          s.files,
		Runtime:        s.rt,
		Flow:           s.flows.Current,
		Flows:          s.flows, // editors try their changes here first
		Clock:          s.clock,
		Log:            s.log.With().Str("component", "console").Logger(),
		Health:         w.health,
		BcryptCost:     w.bcryptCost,
		TrustedProxies: w.proxies,
		Secure:         w.secure,
	})
}

// part is one more piece of the line's owner's duties, run beside the
// runtime while this process drives the line (the transport, retention).
type part struct {
	name string
	run  func(ctx context.Context) error
	// link: the part runs until the runtime has drained, not just until
	// the stop (the transport, which the last replies still need).
	link bool
}

// serve runs the console's upkeep, the flows watch and the HTTP server
// with handler on ln, and the line owner's duties (the runtime and the
// parts) while this process drives the line (always, on SQLite), until
// ctx ends or one of them fails. Saving flows.yaml or SIGHUP reloads the
// flows.
func (s *service) serve(ctx context.Context, ln net.Listener, handler http.Handler, parts ...part) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	watched, err := s.flows.Watch(ctx, hup)
	if err != nil {
		return err
	}
	srv := web.NewServer(handler)
	// Requests end with the service: open event streams must not hold the
	// shutdown up.
	srv.BaseContext = func(net.Listener) context.Context { return ctx }
	var wg sync.WaitGroup
	first := &firstError{cancel: cancel}
	fail := first.fail
	wg.Go(func() {
		var err error
		if s.lease == nil {
			err = s.duties(ctx, parts)
		} else {
			err = s.lease.Run(ctx, func(owned context.Context) error { return s.duties(owned, parts) })
		}
		if err != nil && ctx.Err() == nil {
			fail(err)
		}
		cancel() // the runtime's end is the service's
	})
	wg.Go(func() {
		if err := s.console.Run(ctx); err != nil && ctx.Err() == nil {
			fail(fmt.Errorf("console: %w", err))
		}
	})
	wg.Go(func() {
		if err := s.rt.RunEvents(ctx); err != nil && ctx.Err() == nil {
			fail(fmt.Errorf("events: %w", err))
		}
	})
	wg.Go(func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			fail(fmt.Errorf("http: %w", err))
		}
	})
	<-ctx.Done()
	s.log.Info().Msg("suporte stopping")
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		s.log.Warn().Err(err).Msg("http shutdown")
	}
	wg.Wait()
	<-watched
	return first.get()
}

// duties runs what the line's owner does: the runtime and the parts,
// until ctx ends or one of them fails. On a stop the runtime refuses new
// messages and finishes the chats in progress; linked parts (the
// transport) stay up until then, for their replies. On the loss of the
// lease they stop at once: another process may connect soon.
func (s *service) duties(ctx context.Context, parts []part) error {
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	link, unlink := context.WithCancel(context.WithoutCancel(ctx))
	defer unlink()
	stopLost := context.AfterFunc(ctx, func() {
		if errors.Is(context.Cause(ctx), store.ErrLeaseLost) {
			unlink()
		}
	})
	defer stopLost()
	var wg sync.WaitGroup
	first := &firstError{cancel: cancel}
	fail := first.fail
	wg.Go(func() {
		if err := s.rt.Run(dctx); err != nil && dctx.Err() == nil { // a stop during its start is no failure
			fail(fmt.Errorf("runtime: %w", err))
		}
		cancel()
		unlink()
	})
	for _, p := range parts {
		pctx := dctx
		if p.link {
			pctx = link
		}
		wg.Go(func() {
			err := p.run(pctx)
			if err != nil {
				err = fmt.Errorf("%s: %w", p.name, err)
			}
			fail(err) // a part that ends ends the duties, and the service
		})
	}
	wg.Wait()
	if err := first.get(); err != nil {
		return err
	}
	if cause := context.Cause(ctx); errors.Is(cause, store.ErrLeaseLost) {
		return cause
	}
	return nil
}

// Close closes the store and releases the data folder. Call it after
// serve returned.
func (s *service) Close() {
	if err := s.db.Close(); err != nil {
		s.log.Warn().Err(err).Msg("close store")
	}
	s.lock.release()
}

// firstError keeps the first failure of a service's parts; any failure
// (or a part ending) stops them all.
type firstError struct {
	mu     sync.Mutex
	err    error
	cancel func()
}

func (f *firstError) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil && f.err == nil {
		f.err = err
	}
	f.cancel()
}

func (f *firstError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}
