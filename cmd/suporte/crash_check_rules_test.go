package main

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"suporte/store"
)

// TestDeliveryProblems holds the delivery check to its rules on made-up
// rounds: the one message in flight at a SIGKILL may repeat, an earlier one
// may not, and a new owner's clock running behind the test's (seen on a
// loaded machine: its sends recorded before the round the test gave it)
// proves no delivery by the dead owner.
func TestDeliveryProblems(t *testing.T) {
	t0 := crashEpoch
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	rounds := func(heard ...[]int64) []*crashRound {
		var rs []*crashRound
		for r, seqs := range heard {
			l := &eventLog{byChat: map[string][]delivery{}}
			for _, s := range seqs {
				l.byChat["c"] = append(l.byChat["c"], delivery{Seq: s, Chat: "c", From: "support"})
			}
			stop := syscall.SIGKILL
			if r == len(heard)-1 {
				stop = syscall.SIGTERM
			}
			rs = append(rs, &crashRound{at: at(1000 * r), stop: stop, events: l})
		}
		return rs
	}
	terminated := func(rs []*crashRound) []*crashRound {
		rs[0].stop = syscall.SIGTERM
		return rs
	}
	outbox := func(sentAt ...int) map[string][]store.OutMsg {
		var rows []store.OutMsg
		for i, ms := range sentAt {
			rows = append(rows, store.OutMsg{ID: int64(i + 1), Chat: "c", SentAt: at(ms)})
		}
		return map[string][]store.OutMsg{"c": rows}
	}
	for _, tc := range []struct {
		name   string
		rounds []*crashRound
		outbox map[string][]store.OutMsg
		dups   int
		want   string // a problem containing this; "" for none
	}{{
		name:   "in flight at the kill, sent again",
		rounds: rounds([]int64{1, 2, 3}, []int64{3, 4}),
		outbox: outbox(100, 200, 1100, 1200),
		dups:   1,
	}, {
		// The new owner resent 3 and sent 4, both heard on its stream,
		// with a clock 50 ms behind: both recorded inside round 0.
		name:   "new owner's clock behind",
		rounds: rounds([]int64{1, 2, 3}, []int64{3, 4, 5}),
		outbox: outbox(100, 200, 960, 980, 1100),
		dups:   1,
	}, {
		name:   "sent before the new owner's stream opened",
		rounds: rounds([]int64{1, 2}, []int64{4}),
		outbox: outbox(100, 200, 1050, 1100),
	}, {
		name:   "an earlier message repeated",
		rounds: rounds([]int64{1, 2, 3}, []int64{2, 3, 4}),
		outbox: outbox(100, 200, 1100, 1200),
		dups:   2,
		want:   "seq 2 delivered by round 0 and again later, but it was not the last one in flight (3)",
	}, {
		name:   "a recorded send between two heard never delivered",
		rounds: rounds([]int64{1, 3}, []int64{4}),
		outbox: outbox(100, 200, 300, 1100),
		want:   "seq 2 recorded as sent by round 0, which never delivered it",
	}, {
		name:   "repeated after a clean stop",
		rounds: terminated(rounds([]int64{1, 2}, []int64{2, 3})),
		outbox: outbox(100, 200, 1100),
		dups:   1,
		want:   "seq 2 delivered by round 0, stopped by terminated",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dups, problems := deliveryProblems([]string{"c"}, tc.outbox, tc.rounds)
			total := 0
			for _, d := range dups {
				total += d
			}
			if total != tc.dups {
				t.Errorf("%d repeated deliveries; want %d", total, tc.dups)
			}
			found := tc.want == ""
			for _, p := range problems {
				found = found || strings.Contains(p, tc.want)
			}
			if !found || (tc.want == "" && len(problems) > 0) {
				t.Errorf("problems %q; want one containing %q", problems, tc.want)
			}
		})
	}
}
