package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"suporte/bot"
	"suporte/bot/console"
	"suporte/bot/metrics"
	"suporte/bot/whatsapp"
	"suporte/store"
)

// exitNeedsOperator is the status of a run that WhatsApp ended for good
// (logged out, session used elsewhere, client outdated): restarting cannot
// help, so the systemd unit does not (RestartPreventExitStatus).
const exitNeedsOperator = 3

// Sending rate across all chats. WhatsApp publishes no limit; bans follow
// volume and sameness (one menu text to many people is temp-ban reason
// 104). One message a second with bursts of five is about what a busy
// person could type, and still 3,600 an hour, far beyond this line's
// traffic; per-chat typing pauses come on top.
const (
	defaultSendRate  = 1.0
	defaultSendBurst = 5
)

// defaultPhone is the support line's number (Conta Azul's).
const defaultPhone = "+55 47 3512-1777"

var (
	_ bot.Transport     = (*whatsapp.Client)(nil)
	_ whatsapp.Inbox    = (*bot.Runtime)(nil)
	_ bot.Observer      = (*metrics.Metrics)(nil)
	_ bot.MediaObserver = (*metrics.Metrics)(nil)
	// The runtime's optional transport interfaces (unexported in bot).
	_ interface {
		Typing(ctx context.Context, chat string) error
		NewMessageID() string
		MarkRead(ctx context.Context, chat string, ids []string, at time.Time) error
	} = (*whatsapp.Client)(nil)
)

type runOptions struct {
	data, listen, flows string
	db                  string // the store, if not data/suporte.db
	phone, pairPhone    string
	acceptAnyNumber     bool
	sendRate            float64
	sendBurst           int
	logLevel            string
	retention           time.Duration // 0: no daily purge
	stopTimeout         time.Duration
	leaseTTL            time.Duration
	trustedProxies      []netip.Prefix
	secureCookie        bool
}

// runRun runs the service: the WhatsApp connection, the runtime, and the
// HTTP server (health check; the agents' console mounts there too).
func runRun(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("run", stderr)
	var o runOptions
	fs.StringVar(&o.data, "data", envOr("SUPORTE_DATA", "data"), "data folder (env SUPORTE_DATA)")
	fs.StringVar(&o.db, "db", os.Getenv("SUPORTE_DB"), dbUsage)
	fs.StringVar(&o.listen, "listen", envOr("SUPORTE_LISTEN", "127.0.0.1:8080"), "HTTP address for /healthz, /readyz, /metrics and the console (env SUPORTE_LISTEN)")
	fs.StringVar(&o.flows, "flows", envOr("SUPORTE_FLOWS", "flows.yaml"), "flows file (env SUPORTE_FLOWS)")
	fs.StringVar(&o.phone, "phone", envOr("SUPORTE_PHONE", defaultPhone), "the support line's WhatsApp number (env SUPORTE_PHONE)")
	fs.StringVar(&o.pairPhone, "pair-phone", "", "pair by typing a code on this phone instead of scanning a QR code")
	fs.BoolVar(&o.acceptAnyNumber, "accept-any-number", false, "allow pairing with a number other than --phone")
	fs.Float64Var(&o.sendRate, "send-rate", defaultSendRate, "messages per second across all chats")
	fs.IntVar(&o.sendBurst, "send-burst", defaultSendBurst, "messages that may go out at once before --send-rate applies")
	fs.StringVar(&o.logLevel, "log-level", "info", "trace (includes whatsmeow's debug), debug, info, warn or error")
	fs.DurationVar(&o.leaseTTL, "lease-ttl", bot.DefaultLeaseTTL, "on a shared PostgreSQL store, how long the line's lease lasts unrenewed: a standby takes over about this long after the owner dies")
	fs.DurationVar(&o.stopTimeout, "stop-timeout", bot.DefaultStopTimeout, "on SIGTERM/SIGINT, how long to finish the chats in progress and send their replies before exiting")
	proxies := fs.String("trusted-proxy", os.Getenv("SUPORTE_TRUSTED_PROXY"), "reverse proxies in front of the console, CIDR[,CIDR]: their X-Forwarded-For names the client for the login limits (env SUPORTE_TRUSTED_PROXY)")
	fs.BoolVar(&o.secureCookie, "secure-cookie", os.Getenv("SUPORTE_SECURE_COOKIE") == "1", "the console is reached over HTTPS (a TLS proxy in front): the browser sends the session cookie over HTTPS only (env SUPORTE_SECURE_COOKIE=1)")
	retention := fs.String("retention", envOr("SUPORTE_RETENTION", defaultRetention), "purge closed conversations older than this once a day (LGPD), e.g. 180d; off disables (env SUPORTE_RETENTION)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *retention != "off" {
		d, err := parseRetention(*retention)
		if err != nil {
			fmt.Fprintf(stderr, "suporte run: --retention: %v\n", err)
			return errUsage
		}
		o.retention = d
	}
	var err error
	if o.trustedProxies, err = console.ParseTrustedProxies(*proxies); err != nil {
		fmt.Fprintf(stderr, "suporte run: --trusted-proxy: %v\n", err)
		return errUsage
	}
	level, err := zerolog.ParseLevel(o.logLevel)
	if err != nil || o.logLevel == "" {
		fmt.Fprintf(stderr, "suporte run: --log-level %q: want trace, debug, info, warn or error\n", o.logLevel)
		return errUsage
	}
	if err := bot.CheckLeaseTTL(o.leaseTTL); err != nil {
		fmt.Fprintf(stderr, "suporte run: --lease-ttl %v\n", err)
		return errUsage
	}
	if o.sendRate <= 0 || o.sendBurst < 1 {
		fmt.Fprintln(stderr, "suporte run: --send-rate must be positive and --send-burst at least 1")
		return errUsage
	}
	if o.stopTimeout <= 0 {
		fmt.Fprintln(stderr, "suporte run: --stop-timeout must be positive")
		return errUsage
	}
	if store.LineName(o.phone) == "" {
		fmt.Fprintf(stderr, "suporte run: --phone %q: want the line's number, e.g. +55 47 3512-1777\n", o.phone)
		return errUsage
	}
	log, flush := newLogger(stderr, level)
	defer flush()
	return operatorExit(serve(ctx, o, log, stderr), stderr)
}

// operatorExit turns WhatsApp's closing the session for good into the
// exit status that keeps systemd from restarting in vain.
func operatorExit(err error, stderr io.Writer) error {
	var disc *whatsapp.DisconnectError
	if errors.As(err, &disc) {
		fmt.Fprintln(stderr, "suporte:", disc)
		return exitError(exitNeedsOperator)
	}
	return err
}

// serve runs the service until ctx ends or a part of it fails.
func serve(ctx context.Context, o runOptions, log zerolog.Logger, stderr io.Writer) error {
	s, err := openService(ctx, serviceConfig{data: o.data, db: o.db, flows: o.flows, clock: bot.SystemClock{}, log: log,
		line: store.LineName(o.phone), leaseTTL: o.leaseTTL})
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	waCfg := whatsapp.Config{
		DB:              filepath.Join(o.data, "whatsapp.db"),
		Phone:           o.phone,
		AcceptAnyNumber: o.acceptAnyNumber,
		PairPhone:       o.pairPhone,
		Known:           knownChat(s.db, s.line),
		Log:             log.With().Str("component", "whatsapp").Logger(),
		LogKey:          s.logKey,
		Out:             stderr,
		Now:             time.Now,
		Sleep:           bot.Sleep,
	}
	line := &lineTransport{}
	var runWA func(ctx context.Context) error
	if s.lease == nil {
		// The store is this process's alone: so is the device, opened now.
		wa, err := whatsapp.Open(ctx, waCfg)
		if err != nil {
			return err
		}
		defer wa.Close()
		line.set(wa)
		runWA = func(ctx context.Context) error { return wa.Run(ctx, s.rt) }
	} else {
		// The keys live in the shared store beside everything else, and
		// are read when this process takes the line: as the last owner
		// left them.
		waCfg.DB = o.db
		runWA = func(ctx context.Context) error {
			wa, err := whatsapp.Open(ctx, waCfg)
			if err != nil {
				return err
			}
			line.set(wa)
			defer func() {
				line.set(nil)
				wa.Close()
			}()
			return wa.Run(ctx, s.rt)
		}
	}
	s.wire(wiring{
		transport:   line,
		connection:  func() (string, bool) { st := line.Status(); return string(st.State), st.OK() },
		sleep:       bot.Sleep,
		sendRate:    o.sendRate,
		sendBurst:   o.sendBurst,
		proxies:     o.trustedProxies,
		secure:      o.secureCookie,
		stopTimeout: o.stopTimeout,
	})
	handler := newWebHandler(webDeps{WhatsApp: line.Status, Flows: s.flows.Status, Console: s.console.Handler(),
		Metrics: s.met.Handler(), Ready: s.met.ReadyHandler()})
	log.Info().Str("data", o.data).Str("listen", ln.Addr().String()).Str("flows", o.flows).
		Str("flows_version", s.flows.Current().Version).Float64("send_rate", o.sendRate).Int("send_burst", o.sendBurst).Msg("suporte starting")
	parts := []part{{name: "whatsapp", link: true, run: runWA}}
	if o.retention > 0 {
		parts = append(parts, part{name: "retention", run: func(ctx context.Context) error {
			return runRetention(ctx, s.db, s.files, o.retention, log)
		}})
	}
	return s.serve(ctx, ln, handler, parts...)
}

// knownChat tells the WhatsApp client whether a chat key has history, so a
// customer first seen by phone number keeps that key once their LID shows up.
func knownChat(db *store.DB, line string) func(ctx context.Context, chat string) (bool, error) {
	return func(ctx context.Context, chat string) (bool, error) {
		known := false
		err := db.View(ctx, func(tx *store.Tx) error {
			ins, err := tx.InboxByChat(ctx, line, chat, 1)
			if err != nil {
				return err
			}
			if len(ins) > 0 {
				known = true
				return nil
			}
			_, err = tx.Customer(ctx, chat)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			known = err == nil
			return err
		})
		return known, err
	}
}

// webDeps is what the service's HTTP side reads. The agents' console adds
// its own and mounts on the same mux in newWebHandler.
type webDeps struct {
	WhatsApp func() whatsapp.Status
	Flows    func() bot.FlowStatus // optional
	Console  http.Handler          // optional: the agents' console and its API, at /
	Metrics  http.Handler          // optional: Prometheus, at /metrics (no login: the service listens on 127.0.0.1 by default)
	Ready    http.Handler          // optional: readiness, at /readyz
}

// newWebHandler routes the service's HTTP requests: /healthz here (it knows
// the WhatsApp connection), /metrics and /readyz, everything else to the
// console.
func newWebHandler(d webDeps) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", d.healthz)
	if d.Metrics != nil {
		mux.Handle("GET /metrics", d.Metrics)
	}
	if d.Ready != nil {
		mux.Handle("GET /readyz", d.Ready)
	}
	if d.Console != nil {
		mux.Handle("/", d.Console)
	}
	return mux
}

// health is /healthz's answer.
type health struct {
	Status    string     `json:"status"`   // ok or degraded
	WhatsApp  string     `json:"whatsapp"` // whatsapp.State
	Since     time.Time  `json:"since"`
	Detail    string     `json:"detail,omitempty"`
	Until     *time.Time `json:"until,omitempty"` // a ban's end
	WAVersion string     `json:"wa_version,omitempty"`
	Flows     string     `json:"flows_version,omitempty"`
}

// healthz answers 200 {"status":"ok"} while WhatsApp is connected, else
// 503 {"status":"degraded"}, with the connection's state either way.
func (d webDeps) healthz(w http.ResponseWriter, r *http.Request) {
	st := d.WhatsApp()
	h := health{Status: "ok", WhatsApp: string(st.State), Since: st.Since.UTC(), Detail: st.Detail, WAVersion: st.Version}
	code := http.StatusOK
	if !st.OK() && st.State != whatsapp.StateStandby { // a standby is alive: it serves the console
		h.Status, code = "degraded", http.StatusServiceUnavailable
	}
	if d.Flows != nil {
		h.Flows = d.Flows().Version
	}
	if !st.Until.IsZero() {
		u := st.Until.UTC()
		h.Until = &u
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(h) // a client that went away needs no answer
}
