package bot

import (
	"strings"
	"testing"
)

// looplab/fsm silently ignores a callback whose key names no state or
// event; this test is what catches a typo.
func TestLifecycleCallbackKeys(t *testing.T) {
	states := map[string]bool{}
	events := map[string]bool{}
	for _, e := range lifecycleEvents() {
		events[e.Name] = true
		states[e.Dst] = true
		for _, s := range e.Src {
			states[s] = true
		}
	}
	for key := range lifecycleCallbacks() {
		prefix, name, ok := strings.Cut(key, "_")
		if !ok {
			t.Errorf("callback %q has no prefix", key)
			continue
		}
		switch prefix {
		case "enter", "leave":
			if name != "state" && !states[name] {
				t.Errorf("callback %q names no state", key)
			}
		case "before", "after":
			if name != "event" && !events[name] {
				t.Errorf("callback %q names no event", key)
			}
		default:
			t.Errorf("callback %q: unknown prefix %q", key, prefix)
		}
	}
	for s := range waiting {
		if !states[s] {
			t.Errorf("waiting state %q is not a lifecycle state", s)
		}
	}
	for _, s := range []string{stateClosed, stateAskingID, stateConfirmingID, stateBrowsing, stateChoosing, stateAskingResolved,
		stateRating, stateCommenting, stateOffering, stateLeaving, stateQueued, stateWithAgent,
		stateTickets, stateTicket, stateTicketComment} {
		if !states[s] {
			t.Errorf("state %q is never reached nor left by any event", s)
		}
	}
}

func TestBackoffIsCapped(t *testing.T) {
	prev := backoff(1)
	for n := 2; n < 40; n++ {
		d := backoff(n)
		if d < prev || d > 5*60e9 {
			t.Fatalf("backoff(%d) = %v after %v; want non-decreasing and at most 5m", n, d, prev)
		}
		prev = d
	}
}
