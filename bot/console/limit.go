package console

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"suporte/store"
)

// Failed logins slow whoever makes them without locking anyone out. Two
// counts, kept in the store (every console on the database shares them),
// of attempts: each is counted before its password is checked and given
// back if it was right:
//
//   - an account tried from one client address: after freeFails failures
//     in a row, each next attempt waits, 1 s and doubling up to maxWait
//     (the attempt after the third failure waits 1 s, as the README says).
//     Someone guessing Ana's password from one place gets a handful of
//     tries an hour; Ana, from her own address, is not slowed at all.
//   - an address, whatever the accounts: addrMax failures an hour, then
//     it waits for the hour to end. Generous, because behind a proxy the
//     whole team may share one (see Config.TrustedProxies).
//
// A success clears that account's count at that address. A run of
// failures is forgotten after a quiet forgetAfter; supervisors and admins
// clear a count at once (POST /api/agents/{id}/unlock, suporte agents
// unlock).
const (
	freeFails   = 3
	firstWait   = time.Second
	maxWait     = 15 * time.Minute
	forgetAfter = 24 * time.Hour
	addrWindow  = time.Hour
	addrMax     = 100
)

// loginLimiter applies the rules above.
type loginLimiter struct {
	db  *store.DB
	now func() time.Time
}

// wait returns how long account must wait before trying from addr.
func (l loginLimiter) wait(ctx context.Context, account, addr string) (time.Duration, error) {
	var mine, all store.LoginLimit
	err := l.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if mine, err = tx.LoginLimit(ctx, account, addr); err != nil {
			return err
		}
		all, err = tx.LoginLimit(ctx, "", addr)
		return err
	})
	if err != nil {
		return 0, err
	}
	next := mine.NextAt
	if all.NextAt.After(next) {
		next = all.NextAt
	}
	return max(next.Sub(l.now()), 0), nil
}

// errMustWait ends a reservation's transaction without counting: the key
// waits.
var errMustWait = errors.New("login must wait")

// reserve counts an attempt of account from addr as a failure before its
// password is checked, or, when it must wait, counts nothing and says how
// long. Counting first is what keeps attempts made at once from all being
// checked: each takes its place in the count, so no more passwords are
// checked than the rules allow, on one console process or several. A
// right password gives its attempt back (succeeded).
//
// Most refused attempts are told by a read; the write checks again, on
// the rows it locks. Each count is one statement on a locked row, so
// attempts arriving at once on several console processes all count. The
// address's row is counted first: every attempt from addr then waits on
// that one row before it takes its account's, so two processes never hold
// them in opposite orders.
func (l loginLimiter) reserve(ctx context.Context, account, addr string) (time.Duration, error) {
	if wait, err := l.wait(ctx, account, addr); err != nil || wait > 0 {
		return wait, err
	}
	now := l.now()
	var until time.Time
	err := l.db.Update(ctx, func(tx *store.Tx) error {
		until = time.Time{}
		_, err := tx.AddLoginFailure(ctx, "", addr, now, store.LoginRun{StartedBefore: now.Add(-addrWindow)},
			func(all store.LoginLimit) time.Time {
				until = all.NextAt // as it was before this attempt
				return addrNext(all)
			})
		if err != nil {
			return err
		}
		if until.After(now) {
			return errMustWait
		}
		_, err = tx.AddLoginFailure(ctx, account, addr, now, store.LoginRun{QuietBefore: now.Add(-forgetAfter)},
			func(mine store.LoginLimit) time.Time {
				until = mine.NextAt
				if n := mine.Fails - freeFails; n >= 0 {
					return now.Add(min(firstWait<<min(n, 20), maxWait))
				}
				return time.Time{}
			})
		if err != nil {
			return err
		}
		if until.After(now) {
			return errMustWait
		}
		return nil
	})
	if errors.Is(err, errMustWait) {
		return until.Sub(now), nil
	}
	return 0, err
}

// addrNext is when an address counted all may try again: at the end of
// its window once it reached addrMax.
func addrNext(all store.LoginLimit) time.Time {
	if all.Fails >= addrMax {
		return all.Since.Add(addrWindow)
	}
	return time.Time{}
}

// succeeded forgets account's failures from addr and gives the address
// back the attempt reserve counted.
func (l loginLimiter) succeeded(ctx context.Context, account, addr string) error {
	return l.db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.ReturnLoginAttempt(ctx, "", addr, addrNext); err != nil {
			return err
		}
		return tx.DeleteLoginLimit(ctx, account, addr)
	})
}

// purge forgets counts that ended long ago.
func (l loginLimiter) purge(ctx context.Context) (int64, error) {
	var n int64
	err := l.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.PurgeLoginLimits(ctx, l.now().Add(-forgetAfter))
		return err
	})
	return n, err
}

// retryText says how long to wait, the way a person would.
func retryText(d time.Duration) string {
	if s := int(math.Ceil(d.Seconds())); s < 60 {
		if s == 1 {
			return "1 segundo"
		}
		return fmt.Sprintf("%d segundos", s)
	}
	if m := int(math.Ceil(d.Minutes())); m != 1 {
		return fmt.Sprintf("%d minutos", m)
	}
	return "1 minuto"
}

// clientAddr is who a request comes from, as the login limits count it:
// the peer, or, when the peer is a trusted proxy, the nearest address in
// X-Forwarded-For that is not one (proxies append the address they saw).
// An IPv6 client counts by its /64, which one host can fill alone.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr := peer.Unmap()
	if isTrusted(addr, trusted) {
		fwd := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(fwd) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(fwd[i]))
			if err != nil {
				break // a garbled header: trust what is known
			}
			addr = a.Unmap()
			if !isTrusted(addr, trusted) {
				break
			}
		}
	}
	return addrKey(addr)
}

// addrKey is how the limits name an address: an IPv4 address itself, an
// IPv6 one by its /64.
func addrKey(a netip.Addr) string {
	if a = a.Unmap(); a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// LimitAddr is the name the login limits give the client address s, for
// clearing them (suporte agents unlock --addr).
func LimitAddr(s string) (string, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("address %q: want an IPv4 or IPv6 address", s)
	}
	return addrKey(a), nil
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseTrustedProxies reads a comma-separated list of CIDRs or addresses
// (--trusted-proxy): the reverse proxies whose X-Forwarded-For is believed.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: want an address or a CIDR like 10.0.0.0/8", f)
			}
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want an address or a CIDR like 10.0.0.0/8", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
