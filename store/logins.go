package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// LoginLimit is what failed console logins left on one key: an account
// (its normalized e-mail, known or not) tried from a client address, or
// the address alone (Account ""). The console decides what the counts
// mean; the store keeps them so every console process shares them.
type LoginLimit struct {
	Account   string
	Addr      string
	Fails     int       // failures counted since Since
	Since     time.Time // when the count began
	NextAt    time.Time // no attempt before this instant
	UpdatedAt time.Time // the last failure
}

const loginLimitCols = `account, addr, fails, since, next_at, updated_at`

func scanLoginLimit(s rowScanner) (LoginLimit, error) {
	var l LoginLimit
	var since, next, updated int64
	if err := s.Scan(&l.Account, &l.Addr, &l.Fails, &since, &next, &updated); err != nil {
		return LoginLimit{}, err
	}
	l.Since, l.NextAt, l.UpdatedAt = fromMillis(since), fromMillis(next), fromMillis(updated)
	return l, nil
}

const loginLimitSQL = `SELECT ` + loginLimitCols + ` FROM login_limits WHERE account = ? AND addr = ?`

// LoginLimit returns the key's state; a key without failures comes back
// with zero counts.
func (tx *Tx) LoginLimit(ctx context.Context, account, addr string) (LoginLimit, error) {
	l, err := scanLoginLimit(tx.queryRow(ctx, loginLimitSQL, account, addr))
	if errors.Is(notFound(err), ErrNotFound) {
		return LoginLimit{Account: account, Addr: addr}, nil
	}
	if err != nil {
		return LoginLimit{}, fmt.Errorf("login limit: %w", err)
	}
	return l, nil
}

// addLoginFailureSQL counts one failure in one statement: the row is
// created, or locked and incremented, so failures counted at once by
// several console processes each count (a read, then a write, would let
// two of them write the same number). A run whose last failure is at or
// before the first mark, or that began at or before the second, starts
// again. Every SET expression reads the row as it was.
const addLoginFailureSQL = `INSERT INTO login_limits (` + loginLimitCols + `) VALUES (?, ?, 1, ?, 0, ?)
ON CONFLICT (account, addr) DO UPDATE SET
    fails = CASE WHEN login_limits.updated_at <= ? OR login_limits.since <= ? THEN 1 ELSE login_limits.fails + 1 END,
    since = CASE WHEN login_limits.updated_at <= ? OR login_limits.since <= ? THEN excluded.since ELSE login_limits.since END,
    updated_at = excluded.updated_at
RETURNING ` + loginLimitCols

const setLoginWaitSQL = `UPDATE login_limits SET next_at = ? WHERE account = ? AND addr = ?`

// LoginRun says when a key's run of failures starts again: after a quiet
// spell (its last failure at or before QuietBefore) or after a window
// (its first at or before StartedBefore). A zero time never restarts.
type LoginRun struct {
	QuietBefore   time.Time
	StartedBefore time.Time
}

// AddLoginFailure counts a failure of the key at now and sets its next
// allowed attempt to wait(the key as counted). The key's row stays locked
// until the Update commits, so a failure counted at the same moment by
// another process waits, then counts on top of this one.
func (tx *Tx) AddLoginFailure(ctx context.Context, account, addr string, now time.Time, run LoginRun, wait func(LoginLimit) time.Time) (LoginLimit, error) {
	quiet, started := int64(-1), int64(-1)
	if !run.QuietBefore.IsZero() {
		quiet = millis(run.QuietBefore)
	}
	if !run.StartedBefore.IsZero() {
		started = millis(run.StartedBefore)
	}
	l, err := scanLoginLimit(tx.queryRow(ctx, addLoginFailureSQL, account, addr, millis(now), millis(now),
		quiet, started, quiet, started))
	if err != nil {
		return LoginLimit{}, fmt.Errorf("add login failure: %w", err)
	}
	if next := wait(l); !next.Equal(l.NextAt) {
		if _, err := tx.exec(ctx, setLoginWaitSQL, millis(next), account, addr); err != nil {
			return LoginLimit{}, fmt.Errorf("set login wait: %w", err)
		}
		l.NextAt = next
	}
	return l, nil
}

// returnLoginAttemptSQL takes one attempt back from a key, locking its row
// as addLoginFailureSQL does.
const returnLoginAttemptSQL = `UPDATE login_limits SET fails = fails - 1
WHERE account = ? AND addr = ? AND fails > 0
RETURNING ` + loginLimitCols

// ReturnLoginAttempt takes back one attempt counted on the key by
// AddLoginFailure (it turned out not to be a failure) and sets its next
// allowed attempt to wait(the key as counted now). A key with no count is
// left as it is.
func (tx *Tx) ReturnLoginAttempt(ctx context.Context, account, addr string, wait func(LoginLimit) time.Time) error {
	l, err := scanLoginLimit(tx.queryRow(ctx, returnLoginAttemptSQL, account, addr))
	if errors.Is(notFound(err), ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("return login attempt: %w", err)
	}
	if next := wait(l); !next.Equal(l.NextAt) {
		if _, err := tx.exec(ctx, setLoginWaitSQL, millis(next), account, addr); err != nil {
			return fmt.Errorf("set login wait: %w", err)
		}
	}
	return nil
}

const (
	deleteLoginLimitSQL   = `DELETE FROM login_limits WHERE account = ? AND addr = ?`
	clearAccountLimitsSQL = `DELETE FROM login_limits WHERE account = ?`
	clearAddrLimitsSQL    = `DELETE FROM login_limits WHERE addr = ?`
	purgeLoginLimitsSQL   = `DELETE FROM login_limits WHERE updated_at < ? AND next_at < ?`
)

// DeleteLoginLimit forgets one key: its owner got in.
func (tx *Tx) DeleteLoginLimit(ctx context.Context, account, addr string) error {
	if _, err := tx.exec(ctx, deleteLoginLimitSQL, account, addr); err != nil {
		return fmt.Errorf("delete login limit: %w", err)
	}
	return nil
}

// ClearLoginLimits forgets every failure of an account (from any address)
// when account is set, and every failure from an address (its own count
// and its accounts') when addr is set: an admin lets someone in now. It
// returns how many keys went.
func (tx *Tx) ClearLoginLimits(ctx context.Context, account, addr string) (int64, error) {
	var n int64
	for _, q := range []struct{ sql, v string }{{clearAccountLimitsSQL, account}, {clearAddrLimitsSQL, addr}} {
		if q.v == "" {
			continue
		}
		res, err := tx.exec(ctx, q.sql, q.v)
		if err != nil {
			return n, fmt.Errorf("clear login limits: %w", err)
		}
		k, err := res.RowsAffected()
		if err != nil {
			return n, err
		}
		n += k
	}
	return n, nil
}

// PurgeLoginLimits deletes the keys with no failure since before and no
// wait beyond it.
func (tx *Tx) PurgeLoginLimits(ctx context.Context, before time.Time) (int64, error) {
	res, err := tx.exec(ctx, purgeLoginLimitsSQL, millis(before), millis(before))
	if err != nil {
		return 0, fmt.Errorf("purge login limits: %w", err)
	}
	return res.RowsAffected()
}
