package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrLeaseLost is the answer to renewing a lease that expired or that
// another process took, and to a fence check by a former holder.
var ErrLeaseLost = errors.New("lease lost")

// Lease is who drives a WhatsApp line (see migration 0010). Times are the
// database's clock.
type Lease struct {
	Line       string
	Holder     string
	Token      int64 // grows with every new holder: the fence
	ExpiresAt  time.Time
	AcquiredAt time.Time
	RenewedAt  time.Time
}

// Live reports whether the lease is held at t.
func (l Lease) Live(t time.Time) bool { return l.Holder != "" && l.ExpiresAt.After(t) }

const leaseCols = `line, holder, token, expires_at, acquired_at, renewed_at`

func scanLease(s rowScanner) (Lease, error) {
	var l Lease
	var exp, acq, ren int64
	if err := s.Scan(&l.Line, &l.Holder, &l.Token, &exp, &acq, &ren); err != nil {
		return Lease{}, err
	}
	l.ExpiresAt, l.AcquiredAt, l.RenewedAt = fromMillis(exp), fromMillis(acq), fromMillis(ren)
	return l, nil
}

// The lease statements read the database's clock (nowMark), so that the
// holders' own clocks never decide who holds a line.
const nowMark = "/*now*/"

// acquireLeaseSQL takes line for holder if nobody holds it (no row, or an
// expired one), or if force (a store only this process can open). A new
// holder gets the next token. Arguments: line, holder, ttl ms, force.
const acquireLeaseSQL = `INSERT INTO leases (` + leaseCols + `)
VALUES (?, ?, 1, ` + nowMark + ` + ?, ` + nowMark + `, ` + nowMark + `)
ON CONFLICT (line) DO UPDATE SET
    holder = excluded.holder,
    token = leases.token + 1,
    expires_at = excluded.expires_at,
    acquired_at = excluded.acquired_at,
    renewed_at = excluded.renewed_at
WHERE leases.expires_at < excluded.acquired_at OR leases.holder = '' OR CAST(? AS INTEGER) = 1
RETURNING ` + leaseCols

// AcquireLease takes line for holder for ttl, if it is free. ok is false
// when another process holds it; the lease is then not returned.
func (tx *Tx) AcquireLease(ctx context.Context, line, holder string, ttl time.Duration, force bool) (l Lease, ok bool, err error) {
	if line == "" || holder == "" {
		return Lease{}, false, errors.New("acquire lease: empty line or holder")
	}
	l, err = scanLease(tx.queryRow(ctx, tx.clock(acquireLeaseSQL), line, holder, ttl.Milliseconds(), force))
	if errors.Is(err, sql.ErrNoRows) {
		return Lease{}, false, nil
	}
	if err != nil {
		return Lease{}, false, fmt.Errorf("acquire lease: %w", err)
	}
	return l, true, nil
}

const renewLeaseSQL = `UPDATE leases SET expires_at = ` + nowMark + ` + ?, renewed_at = ` + nowMark + `
WHERE line = ? AND holder = ? AND token = ? AND expires_at >= ` + nowMark + `
RETURNING ` + leaseCols

// RenewLease extends the holder's lease by ttl from now. ErrLeaseLost if
// it expired or is another's: the holder must stop at once.
func (tx *Tx) RenewLease(ctx context.Context, line, holder string, token int64, ttl time.Duration) (Lease, error) {
	l, err := scanLease(tx.queryRow(ctx, tx.clock(renewLeaseSQL), ttl.Milliseconds(), line, holder, token))
	if errors.Is(err, sql.ErrNoRows) {
		return Lease{}, fmt.Errorf("renew lease: %w", ErrLeaseLost)
	}
	if err != nil {
		return Lease{}, fmt.Errorf("renew lease: %w", err)
	}
	return l, nil
}

const releaseLeaseSQL = `UPDATE leases SET expires_at = 0 WHERE line = ? AND holder = ? AND token = ?`

// ReleaseLease ends the holder's lease at once, so that a standby takes
// over without waiting for it to expire. Releasing a lost lease does
// nothing.
func (tx *Tx) ReleaseLease(ctx context.Context, line, holder string, token int64) error {
	if _, err := tx.exec(ctx, releaseLeaseSQL, line, holder, token); err != nil {
		return fmt.Errorf("release lease: %w", err)
	}
	return nil
}

const fenceSQL = `SELECT COUNT(*) FROM leases WHERE line = ? AND token = ? AND expires_at >= ` + nowMark

// CheckFence returns nil if token is still the live lease of line, else
// ErrLeaseLost: what a holder checks before each send.
func (tx *Tx) CheckFence(ctx context.Context, line string, token int64) error {
	var n int
	if err := tx.queryRow(ctx, tx.clock(fenceSQL), line, token).Scan(&n); err != nil {
		return fmt.Errorf("check fence: %w", err)
	}
	if n == 0 {
		return ErrLeaseLost
	}
	return nil
}

const leasesSQL = `SELECT ` + leaseCols + ` FROM leases ORDER BY line`

// Leases returns every line's lease.
func (tx *Tx) Leases(ctx context.Context) ([]Lease, error) {
	ls, err := queryAll(ctx, tx, scanLease, leasesSQL)
	if err != nil {
		return nil, fmt.Errorf("leases: %w", err)
	}
	return ls, nil
}

const dbNowSQL = `SELECT ` + nowMark

// Now returns the database's clock, which leases are measured on.
func (tx *Tx) Now(ctx context.Context) (time.Time, error) {
	var ms int64
	if err := tx.queryRow(ctx, tx.clock(dbNowSQL)).Scan(&ms); err != nil {
		return time.Time{}, fmt.Errorf("database clock: %w", err)
	}
	return fromMillis(ms), nil
}

// clock writes the engine's clock into query's nowMarks.
func (tx *Tx) clock(query string) string {
	return strings.ReplaceAll(query, nowMark, tx.d.now)
}
