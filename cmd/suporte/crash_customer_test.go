package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Scripted conversations, as a customer types them (shipped flows.yaml,
// business hours). Every step gets at least one reply.
var (
	// A first contact: ID Suporte, Notas fiscais > NFS-e, solved, rated 5.
	scriptFirst = []string{"oi", "12345678", "1", "2", "sim", "5"}
	// A returning customer keeps the ID, reads the NF-e trail, is helped.
	scriptSolved = []string{"oi", "1", "1", "1", "sim", "4"}
	// A returning customer reads a trail, asks for a person, leaves the line.
	scriptHandoff = []string{"oi", "1", "1", "2", "não", "sair"}
)

// script returns customer i's conversation number n.
func script(i, n int) []string {
	if n == 0 {
		return scriptFirst
	}
	if (i+n)%2 == 0 {
		return scriptSolved
	}
	return scriptHandoff
}

// stepTimeout bounds one customer step: its acknowledgement and the first
// reply, across restarts.
const stepTimeout = 30 * time.Second

// crashServer is what customers share: where the demo is now.
type crashServer struct {
	base    atomic.Pointer[string] // "" while it is down
	stop    atomic.Bool            // customers end after their current step
	abandon atomic.Bool            // the test is over: customers end now
	client  *http.Client
	// Answers that are neither a 202 nor a 4xx, by status: a POST whose
	// message may or may not be stored, resent until a 202.
	mu      sync.Mutex
	unclear map[int]int
}

func (s *crashServer) noteUnclear(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unclear == nil {
		s.unclear = map[int]int{}
	}
	s.unclear[code]++
}

func (s *crashServer) unclearAnswers() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.unclear)
}

func (s *crashServer) url() string {
	if p := s.base.Load(); p != nil {
		return *p
	}
	return ""
}

func (s *crashServer) setURL(u string) { s.base.Store(&u) }

// sentStep is one message a customer sent.
type sentStep struct {
	id, text string
	tries    int  // POSTs until a 202
	dup      bool // the 202 said duplicate: an earlier try was stored but its answer lost
}

// simMsg is one support message as GET /sim/api/messages shows it.
type simMsg struct {
	Seq  int64  `json:"seq"`
	Chat string `json:"chat"`
	Text string `json:"text"`
}

// crashCustomer chats through scripted conversations until told to stop.
type crashCustomer struct {
	idx  int
	chat string
	srv  *crashServer

	mu    sync.Mutex
	steps []sentStep
	got   []simMsg // the bot's messages, as the API showed them, in order
}

func newCrashCustomer(i int, srv *crashServer) *crashCustomer {
	return &crashCustomer{idx: i, chat: fmt.Sprintf("55479990%05d", i+1), srv: srv}
}

// run chats until the server says stop, then returns after the current
// step, or at once when the test is over.
func (c *crashCustomer) run() error {
	for n := 0; ; n++ {
		for _, text := range script(c.idx, n) {
			if c.srv.stop.Load() {
				return nil
			}
			if err := c.step(text); err != nil {
				return fmt.Errorf("customer %s: %w", c.chat, err)
			}
		}
	}
}

// errAbandoned ends a customer whose test is over.
var errAbandoned = errors.New("test over")

// pause waits a little before polling again, or says why not to.
func (c *crashCustomer) pause(deadline time.Time, what string) error {
	switch {
	case c.srv.abandon.Load():
		return errAbandoned
	case time.Now().After(deadline):
		return fmt.Errorf("%s within %v", what, stepTimeout)
	}
	time.Sleep(5 * time.Millisecond)
	return nil
}

// step sends text until the demo acknowledges it (a 202: stored), then
// waits until it is handled and something new was said. A POST that fails
// is resent with the same id, as WhatsApp redelivers what the device did
// not acknowledge.
func (c *crashCustomer) step(text string) error {
	c.mu.Lock()
	st := sentStep{id: fmt.Sprintf("c%d-m%d", c.idx+1, len(c.steps)+1), text: text}
	before := c.lastSeq()
	c.mu.Unlock()
	deadline := time.Now().Add(stepTimeout)
	for {
		if base := c.srv.url(); base != "" {
			st.tries++
			code, dup, err := postMessage(c.srv.client, base, c.chat, st.id, text)
			switch {
			case err == nil && code == http.StatusAccepted:
				st.dup = dup
			case code >= 200 && code < 300:
				return fmt.Errorf("%s %q: status %d, which passes for an acknowledgement; only a 202 is one", st.id, text, code)
			case code >= 400 && code < 500:
				return fmt.Errorf("%s %q: status %d", st.id, text, code)
			case code != 0:
				c.srv.noteUnclear(code)
			}
			if code == http.StatusAccepted && err == nil {
				break
			}
		}
		if err := c.pause(deadline, fmt.Sprintf("%s %q not acknowledged", st.id, text)); err != nil {
			return err
		}
	}
	if st.dup && st.tries == 1 {
		return fmt.Errorf("%s: a new message was reported duplicate", st.id)
	}
	c.mu.Lock()
	c.steps = append(c.steps, st)
	c.mu.Unlock()
	// Like a person, wait for the blue ticks (the bot handled it) and
	// then for something new: at most one message of each customer waits
	// in the inbox, and whatever the bot still had to say comes first.
	for !c.read(st.id) {
		if err := c.pause(deadline, fmt.Sprintf("%s %q not handled", st.id, text)); err != nil {
			return err
		}
	}
	for {
		if err := c.poll(); err == nil {
			c.mu.Lock()
			last := c.lastSeq()
			c.mu.Unlock()
			if last > before {
				return nil
			}
		}
		if err := c.pause(deadline, fmt.Sprintf("no reply to %s %q", st.id, text)); err != nil {
			return err
		}
	}
}

// lastSeq is the newest support message seen. c.mu must be held.
func (c *crashCustomer) lastSeq() int64 {
	if len(c.got) == 0 {
		return 0
	}
	return c.got[len(c.got)-1].Seq
}

// poll fetches the support messages after the last one seen.
func (c *crashCustomer) poll() error {
	base := c.srv.url()
	if base == "" {
		return fmt.Errorf("down")
	}
	c.mu.Lock()
	after := c.lastSeq()
	c.mu.Unlock()
	q := url.Values{"chat": {c.chat}, "after": {fmt.Sprint(after)}}
	res, err := c.srv.client.Get(base + "/sim/api/messages?" + q.Encode())
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	var ms []simMsg
	if err := json.NewDecoder(res.Body).Decode(&ms); err != nil {
		return err
	}
	c.mu.Lock()
	c.got = append(c.got, ms...)
	c.mu.Unlock()
	return nil
}

// read reports whether the simulated phone shows message id as read:
// handled by the bot. Errors (the demo is down) say no.
func (c *crashCustomer) read(id string) bool {
	base := c.srv.url()
	if base == "" {
		return false
	}
	res, err := c.srv.client.Get(base + "/sim/api/history?" + url.Values{"chat": {c.chat}}.Encode())
	if err != nil {
		return false
	}
	defer res.Body.Close()
	var ms []struct {
		ID   string `json:"id"`
		Read bool   `json:"read"`
	}
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&ms) != nil {
		return false
	}
	for _, m := range slices.Backward(ms) {
		if m.ID == id {
			return m.Read
		}
	}
	return false
}

// sentSteps returns the messages sent (and acknowledged) so far.
func (c *crashCustomer) sentSteps() []sentStep {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.steps)
}

func (c *crashCustomer) stepsSent() int { return len(c.sentSteps()) }

// acked returns one of the messages already acknowledged, picked by rng.
func (c *crashCustomer) acked(rng *rand.Rand) (sentStep, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.steps) == 0 {
		return sentStep{}, false
	}
	if rng.IntN(2) == 0 {
		return c.steps[len(c.steps)-1], true // the newest: the likeliest to be redelivered
	}
	return c.steps[rng.IntN(len(c.steps))], true
}

// postMessage sends a customer message to the simulated WhatsApp.
func postMessage(client *http.Client, base, chat, id, text string) (code int, dup bool, err error) {
	body, _ := json.Marshal(map[string]string{"chat": chat, "id": id, "text": text})
	res, err := client.Post(base+"/sim/api/messages", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, false, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, false, err
	}
	if res.StatusCode != http.StatusAccepted {
		return res.StatusCode, false, nil
	}
	var a struct {
		ID        string `json:"id"`
		Duplicate bool   `json:"duplicate"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return res.StatusCode, false, fmt.Errorf("202 %q: %w", b, err)
	}
	if a.ID != id {
		return res.StatusCode, false, fmt.Errorf("202 for id %q; sent %q", a.ID, id)
	}
	return res.StatusCode, a.Duplicate, nil
}

// chatting is the customers at work. Their goroutines never touch the
// test: failures are collected, and the test's end stops them.
type chatting struct {
	srv  *crashServer
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
}

func startChatting(t *testing.T, srv *crashServer, customers []*crashCustomer) *chatting {
	ch := &chatting{srv: srv}
	for _, c := range customers {
		ch.wg.Go(func() {
			if err := c.run(); err != nil && !errors.Is(err, errAbandoned) {
				ch.mu.Lock()
				ch.errs = append(ch.errs, err)
				ch.mu.Unlock()
			}
		})
	}
	t.Cleanup(func() {
		srv.abandon.Store(true)
		ch.wg.Wait()
	})
	return ch
}

// err returns the customers' failures so far.
func (ch *chatting) err() error {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return errors.Join(ch.errs...)
}

// finish tells the customers to stop after their current step and waits
// for them.
func (ch *chatting) finish(within time.Duration) error {
	ch.srv.stop.Store(true)
	done := make(chan struct{})
	go func() {
		ch.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return ch.err()
	case <-time.After(within):
		return fmt.Errorf("customers still busy after %v; %v", within, ch.err())
	}
}
