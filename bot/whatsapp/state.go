package whatsapp

import (
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// State is where the WhatsApp connection stands.
type State string

// The connection's states. The last four need an operator (or, for a ban
// with a known end, patience): whatsmeow does not reconnect from them.
// StateStandby is no client's: a process that shares its store with the
// line's owner and waits to take over says it.
const (
	StateStandby        State = "standby"         // another process drives the line
	StateConnecting     State = "connecting"      // dialing or authenticating
	StateQR             State = "qr"              // not paired: a QR code is on the terminal
	StatePairing        State = "pairing"         // not paired: a phone pairing code is on the terminal
	StateConnected      State = "connected"       // online: messages flow
	StateDisconnected   State = "disconnected"    // connection lost: reconnecting with backoff
	StateLoggedOut      State = "logged_out"      // unlinked: pair again
	StateStreamReplaced State = "stream_replaced" // another process uses this session
	StateBanned         State = "banned"          // temporarily banned by WhatsApp
	StateOutdated       State = "outdated"        // WhatsApp refuses this client version
)

// Status is the connection's state for health checks and the console.
type Status struct {
	State   State
	Since   time.Time // when State began
	Detail  string    // why, in words, when there is more to say
	Until   time.Time // when a ban ends, if known
	Version string    // the WhatsApp Web version the client announces
}

// OK reports whether messages can flow.
func (s Status) OK() bool { return s.State == StateConnected }

// DisconnectError ends Run when WhatsApp closed the session for good: only
// an operator can bring it back. Its message says what to do.
type DisconnectError struct {
	State  State
	Reason string // WhatsApp's reason, when it gave one
}

func (e *DisconnectError) Error() string {
	switch e.State {
	case StateLoggedOut:
		return fmt.Sprintf("WhatsApp logged this device out (%s) and its session was deleted from whatsapp.db; "+
			"pair again: run `suporte run` in a terminal and scan the new QR code (or use --pair-phone)", e.Reason)
	case StateStreamReplaced:
		return "another process connected with this WhatsApp session (a copy of whatsapp.db?); " +
			"not reconnecting, so the two do not fight: stop the other one, then start this one again"
	case StateOutdated:
		return fmt.Sprintf("WhatsApp refuses this client version (405, client outdated; %s): update the library with "+
			"`go get go.mau.fi/whatsmeow@latest && go mod tidy`, rebuild and restart", e.Reason)
	case StateBanned:
		return fmt.Sprintf("WhatsApp temporarily banned this number (%s); check the phone, then restart", e.Reason)
	}
	return fmt.Sprintf("WhatsApp closed the session (%s): %s", e.State, e.Reason)
}

// status holds the current Status and logs each change once.
type status struct {
	mu  sync.Mutex
	st  Status
	log zerolog.Logger
	now func() time.Time
}

func (s *status) get() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

func (s *status) setVersion(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Version = v
}

// set moves to state, logging the change; a repeat with the same detail
// is not logged again.
func (s *status) set(state State, detail string, until time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.State == state && s.st.Detail == detail && s.st.Until.Equal(until) {
		return
	}
	prev := s.st.State
	s.st = Status{State: state, Since: s.now(), Detail: detail, Until: until, Version: s.st.Version}
	ev := s.log.Info()
	switch state {
	case StateDisconnected, StateBanned:
		ev = s.log.Warn()
	case StateLoggedOut, StateStreamReplaced, StateOutdated:
		ev = s.log.Error()
	}
	ev = ev.Str("state", string(state)).Str("previous", string(prev))
	if detail != "" {
		ev = ev.Str("detail", detail)
	}
	if !until.IsZero() {
		ev = ev.Time("until", until)
	}
	ev.Msg("whatsapp connection state")
}
