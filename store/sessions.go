package store

import (
	"context"
	"fmt"
	"time"
)

// A session is a logged-in console. Only the SHA-256 of its token (hex) is
// stored: a copy of the database does not let anyone in.

// touchEvery bounds how often a session's last use is written.
const touchEvery = time.Minute

const createSessionSQL = `INSERT INTO sessions (token_hash, agent, created_at, expires_at, last_seen_at)
VALUES (?, ?, ?, ?, ?)`

// CreateSession records a session of agent, created at now and valid until
// expires. ErrExists if tokenHash is already a session's.
func (tx *Tx) CreateSession(ctx context.Context, tokenHash string, agent int64, now, expires time.Time) error {
	if tokenHash == "" {
		return fmt.Errorf("create session: empty token hash")
	}
	err := tx.guard(ctx, func() error {
		_, err := tx.exec(ctx, createSessionSQL, tokenHash, agent, millis(now), millis(expires), millis(now))
		return err
	})
	if isUnique(err) {
		err = ErrExists
	}
	if err != nil {
		return fmt.Errorf("create session for agent %d: %w", agent, err)
	}
	return nil
}

// The session is read in a subquery so that agentCols name the agent's
// columns alone (sessions has a created_at too).
const sessionAgentSQL = `SELECT ` + agentCols + `, s.last_seen_at
FROM (SELECT agent, last_seen_at FROM sessions WHERE token_hash = ? AND expires_at > ?) AS s
JOIN agents ON agents.id = s.agent
WHERE agents.disabled = 0`

const touchSessionSQL = `UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`

// SessionAgent returns the agent of session tokenHash at now. ErrNotFound
// if there is no such session, it expired or its agent is disabled. It
// records now as the session's last use when the last one is a minute old
// or more, so it must run in Update; callers that only need to read check
// the session with SessionAgentView.
func (tx *Tx) SessionAgent(ctx context.Context, tokenHash string, now time.Time) (Agent, error) {
	a, seen, err := tx.sessionAgent(ctx, tokenHash, now)
	if err != nil {
		return Agent{}, err
	}
	if now.Sub(seen) >= touchEvery {
		if _, err := tx.exec(ctx, touchSessionSQL, millis(now), tokenHash); err != nil {
			return Agent{}, fmt.Errorf("touch session: %w", err)
		}
	}
	return a, nil
}

// SessionAgentView is SessionAgent without the write, for View. stale
// tells that the last use recorded is a minute old or more: the caller may
// then run SessionAgent in Update to record it.
func (tx *Tx) SessionAgentView(ctx context.Context, tokenHash string, now time.Time) (a Agent, stale bool, err error) {
	a, seen, err := tx.sessionAgent(ctx, tokenHash, now)
	if err != nil {
		return Agent{}, false, err
	}
	return a, now.Sub(seen) >= touchEvery, nil
}

func (tx *Tx) sessionAgent(ctx context.Context, tokenHash string, now time.Time) (Agent, time.Time, error) {
	var seen int64
	a, err := scanAgentAnd(tx.queryRow(ctx, sessionAgentSQL, tokenHash, millis(now)), &seen)
	if err != nil {
		return Agent{}, time.Time{}, fmt.Errorf("load session: %w", notFound(err))
	}
	return a, fromMillis(seen), nil
}

const deleteSessionSQL = `DELETE FROM sessions WHERE token_hash = ?`

// DeleteSession ends session tokenHash (logout). A missing session is not
// an error: logging out twice is fine.
func (tx *Tx) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := tx.exec(ctx, deleteSessionSQL, tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

const deleteAgentSessionsSQL = `DELETE FROM sessions WHERE agent = ?`

// DeleteAgentSessions ends every session of agent and returns how many
// there were.
func (tx *Tx) DeleteAgentSessions(ctx context.Context, agent int64) (int64, error) {
	res, err := tx.exec(ctx, deleteAgentSessionsSQL, agent)
	if err != nil {
		return 0, fmt.Errorf("delete sessions of agent %d: %w", agent, err)
	}
	return res.RowsAffected()
}

const purgeExpiredSessionsSQL = `DELETE FROM sessions WHERE expires_at <= ?`

// PurgeExpiredSessions deletes the sessions expired at now and returns how
// many.
func (tx *Tx) PurgeExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := tx.exec(ctx, purgeExpiredSessionsSQL, millis(now))
	if err != nil {
		return 0, fmt.Errorf("purge expired sessions: %w", err)
	}
	return res.RowsAffected()
}
