package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"suporte/bot"
	"suporte/bot/console"
	"suporte/bot/sim"
	"suporte/store"
)

var _ bot.Transport = (*sim.Phone)(nil)

// demoPassword is the demo agents' password. It is fixed and printed on
// every start: the demo's data is throwaway, on the user's own machine.
const demoPassword = "demo-suporte-123"

// demoAgents are created on the demo's first start, if missing.
var demoAgents = []store.Agent{
	{Email: "ana@demo.local", Name: "Ana", Role: store.RoleAgent},
	{Email: "sara@demo.local", Name: "Sara", Role: store.RoleSupervisor},
}

type demoOptions struct {
	data, listen, flows string
	db                  string    // the store, if not data/suporte.db
	phone               string    // the support line's number: its line in the store
	at                  time.Time // the clock's starting instant; zero means now
	leaseTTL            time.Duration
	sendRate            float64
	sendBurst           int
	mediaDelay          time.Duration // the simulated media server's slowness

	bcryptCost int  // 0: the console's default (tests use bcrypt.MinCost)
	noPacing   bool // send at once, without "digitando..." pauses (tests)
}

// runDemo runs the service on this machine with a simulated WhatsApp: the
// customers' side at /sim/, the agents' console at /.
func runDemo(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	var o demoOptions
	fs.StringVar(&o.data, "data", envOr("SUPORTE_DEMO_DATA", "data-demo"), "data folder of the demo, never the service's (env SUPORTE_DEMO_DATA)")
	fs.StringVar(&o.db, "db", "", "the demo's store: a postgres:// URL (several demos may share it) or a SQLite file; default: suporte.db in --data (never SUPORTE_DB: the demo stays off the service's store)")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "HTTP address of the console and the simulated WhatsApp")
	fs.StringVar(&o.phone, "phone", defaultPhone, "the support line's number the simulated customers write to; demos with different numbers may share a --db, one line each")
	fs.StringVar(&o.flows, "flows", envOr("SUPORTE_FLOWS", "flows.yaml"), "flows file (env SUPORTE_FLOWS)")
	fs.Float64Var(&o.sendRate, "send-rate", defaultSendRate, "messages per second across all chats, as in run")
	fs.IntVar(&o.sendBurst, "send-burst", defaultSendBurst, "messages that may go out at once before --send-rate applies")
	fs.DurationVar(&o.mediaDelay, "media-delay", 0, "make the simulated WhatsApp's media server this slow (e.g. 5s), to watch files arrive after their messages")
	fs.DurationVar(&o.leaseTTL, "lease-ttl", bot.DefaultLeaseTTL, "with a shared --db, how long the line's lease lasts unrenewed (see run)")
	at := fs.String("at", "", "start the clock at this instant, RFC3339, then run in real time (default: now)")
	logLevel := fs.String("log-level", "warn", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "suporte demo: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if err := bot.CheckLeaseTTL(o.leaseTTL); err != nil {
		fmt.Fprintf(stderr, "suporte demo: --lease-ttl %v\n", err)
		return errUsage
	}
	if o.sendRate <= 0 || o.sendBurst < 1 {
		fmt.Fprintln(stderr, "suporte demo: --send-rate must be positive and --send-burst at least 1")
		return errUsage
	}
	if store.LineName(o.phone) == "" {
		fmt.Fprintf(stderr, "suporte demo: --phone %q: want a number, e.g. +55 47 3512-1777\n", o.phone)
		return errUsage
	}
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			fmt.Fprintf(stderr, "suporte demo: --at %q is not RFC3339 (e.g. 2026-11-24T10:00:00-03:00)\n", *at)
			return errUsage
		}
		o.at = t
	}
	level, err := zerolog.ParseLevel(*logLevel)
	if err != nil || *logLevel == "" {
		fmt.Fprintf(stderr, "suporte demo: --log-level %q: want debug, info, warn or error\n", *logLevel)
		return errUsage
	}
	log, flush := newLogger(stderr, level)
	defer flush()
	d, err := openDemo(ctx, o, log)
	if err != nil {
		return err
	}
	defer d.Close()
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	d.welcome(stdout, ln.Addr())
	return d.serve(ctx, ln, d.handler)
}

// demo is the demo's service, open and ready to serve.
type demo struct {
	*service
	o       demoOptions
	phone   *sim.Phone
	handler http.Handler
}

// openDemo opens the service on the demo's data folder, creates the demo
// agents if missing, and wires the runtime to the simulated WhatsApp and
// the console. Close undoes it.
func openDemo(ctx context.Context, o demoOptions, log zerolog.Logger) (_ *demo, err error) {
	var clock bot.Clock = bot.SystemClock{}
	if !o.at.IsZero() {
		clock = bot.NewOffsetClock(o.at)
	}
	s, err := openService(ctx, serviceConfig{data: o.data, db: o.db, flows: o.flows, clock: clock, log: log,
		line: store.LineName(cmp.Or(o.phone, defaultPhone)), leaseTTL: o.leaseTTL})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if err := ensureDemoAgents(ctx, s.db, clock.Now(), o.bcryptCost); err != nil {
		return nil, err
	}
	var loc *time.Location
	if cal := s.flows.Current().Calendar; cal != nil {
		loc = cal.Location
	}
	phone := sim.NewPhone(sim.PhoneConfig{Store: s.db, Line: s.line, Clock: clock, Location: loc, Log: log.With().Str("component", "sim").Logger(),
		Uploads: filepath.Join(o.data, "sim-uploads"), Files: s.files, FetchDelay: o.mediaDelay})
	w := wiring{
		transport: phone,
		sleep:     bot.Sleep,
		sendRate:  o.sendRate,
		sendBurst: o.sendBurst,
		health: func() map[string]any {
			return map[string]any{"whatsapp": "simulated", "demo": true, "flows_version": s.flows.Current().Version}
		},
		bcryptCost: o.bcryptCost,
	}
	if o.noPacing {
		w.sleep = nil
	}
	s.wire(w)
	mux := http.NewServeMux()
	mux.Handle("/sim/", phone.Handler(s.rt))
	mux.Handle("GET /metrics", s.met.Handler())
	mux.Handle("GET /readyz", s.met.ReadyHandler())
	mux.Handle("/", s.console.Handler())
	log.Info().Str("data", o.data).Str("flows", o.flows).Str("flows_version", s.flows.Current().Version).Msg("suporte demo starting")
	return &demo{service: s, o: o, phone: phone, handler: mux}, nil
}

// ensureDemoAgents creates the demo agents that do not exist yet, with
// demoPassword. Existing ones are left as they are.
func ensureDemoAgents(ctx context.Context, db *store.DB, now time.Time, cost int) error {
	for _, a := range demoAgents {
		err := db.View(ctx, func(tx *store.Tx) error {
			_, err := tx.AgentByEmail(ctx, a.Email)
			return err
		})
		if err == nil {
			continue
		}
		if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("demo agent: %w", err)
		}
		if a.PasswordHash, err = console.HashPassword(demoPassword, cost); err != nil {
			return err
		}
		a.CreatedAt, a.UpdatedAt = now, now
		err = db.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.CreateAgent(ctx, a)
			return err
		})
		if err != nil && !errors.Is(err, store.ErrExists) {
			return fmt.Errorf("demo agent: %w", err)
		}
	}
	return nil
}

// welcome tells the user where to go and how to log in.
func (d *demo) welcome(w io.Writer, addr net.Addr) {
	host := addr.String()
	if ta, ok := addr.(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		host = net.JoinHostPort("localhost", fmt.Sprint(ta.Port))
	}
	base := "http://" + host
	fmt.Fprintf(w, "suporte demo: the whole service on this machine, with a simulated WhatsApp.\n\n")
	fmt.Fprintf(w, "  Customers (simulated WhatsApp):  %s/sim/\n", base)
	fmt.Fprintf(w, "  Agents (console):                %s/\n\n", base)
	fmt.Fprintf(w, "  Demo logins, password %s (for this demo only):\n", demoPassword)
	for _, a := range demoAgents {
		fmt.Fprintf(w, "    %-17s %s\n", a.Email, a.Role)
	}
	fmt.Fprintln(w)
	if !d.o.at.IsZero() {
		fmt.Fprintf(w, "  Clock: started at %s, runs in real time.\n", d.o.at.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "  Data: %s (delete it to start over). Stop with Ctrl+C.\n", d.o.data)
	if ta, ok := addr.(*net.TCPAddr); ok && !ta.IP.IsLoopback() {
		fmt.Fprintf(w, "\n  Warning: %s is reachable from other machines, and the demo password is public.\n", addr)
	}
}
