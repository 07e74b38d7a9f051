package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"suporte/bot"
	"suporte/flows"
	"suporte/store"
	"suporte/store/pgtemp"
)

// runBench drives simulated customers through the real durable path (the
// inbox write a WhatsApp ack waits for, the engine on the shipped flows,
// the store on a real file with production pragmas, the outbox, a
// transport that sends instantly) and compares the rate with SQLite's own
// single-row commit rate on the same disk.
func runBench(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	customers := fs.Int("customers", 10000, "simulated customers, each a full conversation")
	rate := fs.Float64("rate", 0, "offered messages per second (0: closed loop, as fast as it goes)")
	dir := fs.String("dir", ".", "folder for the benchmark's database files (the disk under test)")
	flowsPath := fs.String("flows", envOr("SUPORTE_FLOWS", "flows.yaml"), "flows file")
	refFor := fs.Duration("reference", 3*time.Second, "how long to measure SQLite's single-row commit rate")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the engine run to this file")
	pg := fs.String("postgres", "", `run on PostgreSQL too: a postgres:// URL of an empty database, or "temp" for a throwaway cluster (Debian's postgresql package) on --dir, durable as in production`)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *customers < 1 || *rate < 0 {
		fmt.Fprintln(stderr, "suporte bench: --customers must be positive and --rate not negative")
		return errUsage
	}
	fl, err := flows.Load(*flowsPath)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp(*dir, "suporte-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	res, err := benchEngine(ctx, fl, filepath.Join(work, "suporte.db"), *customers, *rate)
	pprof.StopCPUProfile()
	if err != nil {
		return err
	}
	rss := peakRSS() // the engine's on SQLite, before anything else runs
	ref, err := benchReference(ctx, filepath.Join(work, "reference.db"), *refFor)
	if err != nil {
		return err
	}
	var pgLines []string
	if *pg != "" {
		if pgLines, err = benchPostgres(ctx, fl, *pg, work, *customers, *rate, *refFor); err != nil {
			return err
		}
	}
	mode := "closed"
	if *rate > 0 {
		mode = "open"
	}
	lines := []string{
		"mode=" + mode,
		fmt.Sprintf("offered_rate=%g", *rate),
		fmt.Sprintf("messages=%d", res.messages),
		fmt.Sprintf("conversations=%d", *customers),
		fmt.Sprintf("handoffs=%d", res.handoffs),
		fmt.Sprintf("seconds=%.2f", res.elapsed.Seconds()),
		fmt.Sprintf("engine_msgs_per_s=%.0f", res.perSecond()),
		fmt.Sprintf("engine_cpu_us_per_msg=%.0f", res.cpuPerMessage()),
		fmt.Sprintf("replies_sent=%d", res.sent),
		fmt.Sprintf("write_transactions=%d", res.batches),
		fmt.Sprintf("updates_per_transaction=%.1f", float64(res.jobs)/float64(max(res.batches, 1))),
		"latency_p50=" + res.percentile(50).String(),
		"latency_p99=" + res.percentile(99).String(),
		"latency_max=" + res.percentile(100).String(),
		fmt.Sprintf("latency_samples=%d", len(res.latencies)),
		fmt.Sprintf("peak_rss_mb=%.1f", rss),
		fmt.Sprintf("db_bytes_per_conversation=%.0f", float64(res.dbBytes)/float64(*customers)),
		fmt.Sprintf("reference_commits_per_s=%.0f", ref),
		fmt.Sprintf("ratio=%.2f", res.perSecond()/ref),
	}
	lines = append(lines, pgLines...)
	_, err = fmt.Fprintln(stdout, strings.Join(lines, "\n"))
	return err
}

type benchResult struct {
	messages, handoffs, sent int64
	batches, jobs            int64 // write transactions and the Update calls they carried
	opened                   int64 // of those, opened together with others (store.Opening)
	trips                    int64 // PostgreSQL's writers' round trips to the server
	elapsed                  time.Duration
	cpu                      time.Duration // this process's, user and system, over the run
	latencies                []time.Duration
	dbBytes                  int64
}

func (r benchResult) perSecond() float64 { return float64(r.messages) / r.elapsed.Seconds() }

// cpuPerMessage is this process's CPU time per message in microseconds:
// unlike msgs/s it does not move with the disk's fsync or idle cores.
func (r benchResult) cpuPerMessage() float64 {
	return float64(r.cpu.Microseconds()) / float64(max(r.messages, 1))
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// percentile is the nearest-rank percentile p of the latencies.
func (r benchResult) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.latencies))*p/100+0.5) - 1
	return r.latencies[min(max(i, 0), len(r.latencies)-1)].Round(10 * time.Microsecond)
}

// benchObserver collects latencies and, when a customer's message has been
// handled, puts the customer back in line for its next message.
type benchObserver struct {
	mu        sync.Mutex
	handled   int             // messages reported handled
	latencies []time.Duration // of those with a known arrival time
	ready     chan int        // customers whose last message was handled
	index     func(chat string) (int, bool)
	sent      atomic.Int64
}

func (o *benchObserver) Received(string, bool) {}

func (o *benchObserver) Handled(chat string, latency time.Duration, err error) {
	o.mu.Lock()
	o.handled++
	if err == nil && latency > 0 {
		o.latencies = append(o.latencies, latency)
	}
	o.mu.Unlock()
	if i, ok := o.index(chat); ok {
		o.ready <- i
	}
}

func (o *benchObserver) Sent(chat string, err error) {
	if err == nil {
		o.sent.Add(1)
	}
}

// instant is a transport that delivers at once.
type instant struct{}

func (instant) Send(context.Context, bot.Outbound) (bot.Sent, error) { return bot.Sent{}, nil }

// NewMessageID picks a message's id as WhatsApp's transport does, so the
// replies carry theirs as in production.
func (instant) NewMessageID() string {
	return fmt.Sprintf("3EB0%016X", benchIDs.Add(1))
}

var benchIDs atomic.Uint64

// Every customer greets, gives the ID, picks a topic and a sub-topic, reads
// the trail; half say it solved it and rate, half ask for a person.
var (
	benchSolved   = []string{"oi", "12345678", "1", "2", "sim", "5"}
	benchHandoffs = []string{"oi", "12345678", "1", "2", "não"}
)

// benchEngine runs the customers. The load generator keeps one small
// record per customer, not a goroutine, so what the benchmark measures is
// the service's memory, not its own.
func benchEngine(ctx context.Context, fl *flows.Flow, path string, customers int, rate float64) (benchResult, error) {
	db, err := store.Open(ctx, path)
	if err != nil {
		return benchResult{}, err
	}
	defer db.Close()
	const prefix = "55479"
	chatOf := func(i int) string { return prefix + strconv.Itoa(10000000+i) }
	obs := &benchObserver{
		latencies: make([]time.Duration, 0, customers*6),
		ready:     make(chan int, customers),
		index: func(chat string) (int, bool) {
			n, err := strconv.Atoi(strings.TrimPrefix(chat, prefix))
			return n - 10000000, err == nil
		},
	}
	// A business-hours morning, moving in real time, so "não" reaches the queue.
	clock := bot.NewOffsetClock(time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC))
	rt := bot.New(bot.Config{Store: db, Flow: func() *flows.Flow { return fl }, Transport: instant{}, Clock: clock,
		Log: zerolog.New(os.Stderr).Level(zerolog.ErrorLevel), Observe: obs})
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- rt.Run(runCtx) }()

	next := make([]int, customers) // index of each customer's next message
	script := func(i int) []string {
		if i%2 == 1 {
			return benchHandoffs
		}
		return benchSolved
	}
	total := 0
	for i := range customers {
		total += len(script(i))
		obs.ready <- i
	}
	// Senders feed ready customers' next messages in, paced by the offered
	// rate in open loop. Receive waits for its commit, so many senders keep
	// the group commit fed, as many WhatsApp chats writing at once would.
	var messages atomic.Int64
	var pace chan struct{}
	if rate > 0 {
		// Permits on a fixed schedule, queued rather than dropped when the
		// senders lag: the offered rate does not bend to the service.
		pace = make(chan struct{}, total)
		go func() {
			start := time.Now()
			for n := 0; n < total; n++ {
				if d := time.Until(start.Add(time.Duration(float64(n) / rate * float64(time.Second)))); d > 0 {
					select {
					case <-runCtx.Done():
						return
					case <-time.After(d):
					}
				}
				pace <- struct{}{}
			}
		}()
	}
	errs := make(chan error, 1)
	finished := make(chan struct{})
	var remaining atomic.Int64
	remaining.Store(int64(total))
	start, cpuStart := time.Now(), processCPU()
	var wg sync.WaitGroup
	for range min(customers, 512) {
		wg.Go(func() {
			for {
				var i int
				select {
				case i = <-obs.ready:
				case <-finished:
					return
				case <-runCtx.Done():
					return
				}
				msgs := script(i)
				if next[i] >= len(msgs) {
					continue // its last message was just handled
				}
				if pace != nil {
					select {
					case <-pace:
					case <-runCtx.Done():
						return
					}
				}
				n := next[i]
				next[i]++
				_, err := rt.Receive(runCtx, bot.Inbound{Chat: chatOf(i), ID: "b" + strconv.Itoa(n), Kind: bot.KindText, Text: msgs[n]})
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					stop()
					return
				}
				messages.Add(1)
				if remaining.Add(-1) == 0 {
					close(finished)
				}
			}
		})
	}
	// The last message of each customer is handled after it was sent:
	// wait for every handled report before stopping the clock.
	wg.Wait()
	for handled := false; !handled; {
		obs.mu.Lock()
		handled = obs.handled >= total
		obs.mu.Unlock()
		if !handled {
			select {
			case i := <-obs.ready:
				_ = i
			case <-runCtx.Done():
				handled = true
			}
		}
	}
	elapsed, cpu := time.Since(start), processCPU()-cpuStart
	stop()
	if err := <-done; err != nil {
		return benchResult{}, err
	}
	select {
	case err := <-errs:
		return benchResult{}, err
	default:
	}
	batches, jobs := db.WriteStats()
	slices.Sort(obs.latencies)
	res := benchResult{messages: messages.Load(), handoffs: int64(customers / 2), sent: obs.sent.Load(), elapsed: elapsed, latencies: obs.latencies,
		batches: batches, jobs: jobs, opened: db.OpenedJobs(), trips: db.RoundTrips(), cpu: cpu}
	for _, f := range []string{path, path + "-wal"} {
		if st, err := os.Stat(f); err == nil {
			res.dbBytes += st.Size()
		}
	}
	return res, nil
}

// benchPostgres runs the same customers on PostgreSQL (the database at
// dsn, or a throwaway durable cluster on dir for "temp") and measures the
// same server's single-row commit rate in the same run: group commit must
// beat one transaction per message there too (ratio_pg >= 1).
func benchPostgres(ctx context.Context, fl *flows.Flow, dsn, dir string, customers int, rate float64, refFor time.Duration) ([]string, error) {
	if dsn == "temp" {
		// The server may run as another user (postgres, when this is
		// root): it must get through the benchmark's folder.
		if err := os.Chmod(dir, 0o711); err != nil {
			return nil, err
		}
		srv, err := pgtemp.Open(ctx, pgtemp.Options{Durable: true, Dir: dir})
		if err != nil {
			return nil, err
		}
		defer srv.Close()
		if dsn, _, err = srv.NewDatabase(ctx); err != nil {
			return nil, err
		}
	}
	if !store.IsPostgres(dsn) {
		return nil, fmt.Errorf("--postgres %q: want a postgres:// URL or temp", dsn)
	}
	resetPeakRSS()
	res, err := benchEngine(ctx, fl, dsn, customers, rate)
	if err != nil {
		return nil, fmt.Errorf("on PostgreSQL: %w", err)
	}
	rss := peakRSS()
	ref, err := benchReference(ctx, dsn, refFor)
	if err != nil {
		return nil, fmt.Errorf("on PostgreSQL: %w", err)
	}
	return []string{
		fmt.Sprintf("engine_msgs_per_s_pg=%.0f", res.perSecond()),
		fmt.Sprintf("engine_cpu_us_per_msg_pg=%.0f", res.cpuPerMessage()),
		fmt.Sprintf("write_transactions_pg=%d", res.batches),
		fmt.Sprintf("updates_per_transaction_pg=%.1f", float64(res.jobs)/float64(max(res.batches, 1))),
		fmt.Sprintf("opened_together_pg=%.2f", float64(res.opened)/float64(max(res.jobs, 1))),
		fmt.Sprintf("round_trips_per_msg_pg=%.2f", float64(res.trips)/float64(max(res.messages, 1))),
		"latency_p50_pg=" + res.percentile(50).String(),
		"latency_p99_pg=" + res.percentile(99).String(),
		fmt.Sprintf("peak_rss_mb_pg=%.1f", rss),
		fmt.Sprintf("reference_commits_per_s_pg=%.0f", ref),
		fmt.Sprintf("ratio_pg=%.2f", res.perSecond()/ref),
	}, nil
}

// benchReference measures the engine under the store committing one-row
// transactions one after another: SQLite on the same disk with the
// store's pragmas, or the same PostgreSQL server. It is the rate a design
// with one transaction per message could reach at best.
func benchReference(ctx context.Context, dsn string, d time.Duration) (float64, error) {
	ref, err := store.OpenReference(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer ref.Close()
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		if err := ref.Commit(ctx, n); err != nil {
			return 0, fmt.Errorf("reference: %w", err)
		}
		n++
	}
	if n == 0 {
		return 0, errors.New("reference: no commit")
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
