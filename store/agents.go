package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrExists reports a row that would duplicate a unique key, such as a
// second agent with the same e-mail.
var ErrExists = errors.New("already exists")

// Agent roles. Supervisors see every chat and the dashboard; editors are
// the content editors (flows), who may also log in to the console.
const (
	RoleAgent      = "agent"
	RoleSupervisor = "supervisor"
	RoleEditor     = "editor"
)

// DefaultMaxChats is how many chats an agent handles at once unless told.
const DefaultMaxChats = 5

// Agent is an Encantador's account for the console.
type Agent struct {
	ID           int64
	Email        string // unique, compared case-insensitively
	Name         string
	Role         string // RoleAgent, RoleSupervisor or RoleEditor
	PasswordHash string // bcrypt
	MaxChats     int    // chats handled at once, > 0
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ValidRole reports whether role is one of the known roles.
func ValidRole(role string) bool {
	switch role {
	case RoleAgent, RoleSupervisor, RoleEditor:
		return true
	}
	return false
}

// NormalizeEmail trims and lowercases an e-mail as agents are stored.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

func checkAgent(a Agent) error {
	switch {
	case a.Email == "" || !strings.Contains(a.Email, "@"):
		return fmt.Errorf("invalid e-mail %q", a.Email)
	case strings.TrimSpace(a.Name) == "":
		return errors.New("empty name")
	case !ValidRole(a.Role):
		return fmt.Errorf("invalid role %q", a.Role)
	case a.MaxChats <= 0:
		return fmt.Errorf("max chats %d: must be at least 1", a.MaxChats)
	}
	return nil
}

const agentCols = `id, email, name, role, password_hash, max_chats, disabled, created_at, updated_at`

func scanAgent(s rowScanner) (Agent, error) { return scanAgentAnd(s) }

// scanAgentAnd scans agentCols followed by extra columns into extra.
func scanAgentAnd(s rowScanner, extra ...any) (Agent, error) {
	var a Agent
	var created, updated int64
	dest := append([]any{&a.ID, &a.Email, &a.Name, &a.Role, &a.PasswordHash, &a.MaxChats, &a.Disabled, &created, &updated}, extra...)
	if err := s.Scan(dest...); err != nil {
		return Agent{}, err
	}
	a.CreatedAt, a.UpdatedAt = fromMillis(created), fromMillis(updated)
	return a, nil
}

const createAgentSQL = `INSERT INTO agents (email, name, role, password_hash, max_chats, disabled, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id`

// CreateAgent stores a (its ID is ignored; the e-mail is normalized, a zero
// MaxChats becomes DefaultMaxChats) and returns the new id. ErrExists if
// another agent has the e-mail.
func (tx *Tx) CreateAgent(ctx context.Context, a Agent) (int64, error) {
	a.Email = NormalizeEmail(a.Email)
	if a.MaxChats == 0 {
		a.MaxChats = DefaultMaxChats
	}
	if err := checkAgent(a); err != nil {
		return 0, fmt.Errorf("create agent: %w", err)
	}
	var id int64
	err := tx.guard(ctx, func() (err error) {
		id, err = tx.insert(ctx, createAgentSQL,
			a.Email, strings.TrimSpace(a.Name), a.Role, a.PasswordHash, a.MaxChats, a.Disabled,
			millis(a.CreatedAt), millis(a.UpdatedAt))
		return err
	})
	if isUnique(err) {
		return 0, fmt.Errorf("create agent %s: %w", a.Email, ErrExists)
	}
	if err != nil {
		return 0, fmt.Errorf("create agent: %w", err)
	}
	return id, nil
}

const agentSQL = `SELECT ` + agentCols + ` FROM agents WHERE id = ?`

// Agent returns agent id, or ErrNotFound.
func (tx *Tx) Agent(ctx context.Context, id int64) (Agent, error) {
	a, err := scanAgent(tx.queryRow(ctx, agentSQL, id))
	if err != nil {
		return Agent{}, fmt.Errorf("load agent %d: %w", id, notFound(err))
	}
	return a, nil
}

// E-mails are stored normalized (lower case), and so are looked up.
const agentByEmailSQL = `SELECT ` + agentCols + ` FROM agents WHERE email = ?`

// AgentByEmail returns the agent with email, compared case-insensitively,
// or ErrNotFound.
func (tx *Tx) AgentByEmail(ctx context.Context, email string) (Agent, error) {
	a, err := scanAgent(tx.queryRow(ctx, agentByEmailSQL, NormalizeEmail(email)))
	if err != nil {
		return Agent{}, fmt.Errorf("load agent by e-mail: %w", notFound(err))
	}
	return a, nil
}

const agentsSQL = `SELECT ` + agentCols + ` FROM agents ORDER BY name, id`

// Agents returns every agent, disabled ones included, by name.
func (tx *Tx) Agents(ctx context.Context) ([]Agent, error) {
	as, err := queryAll(ctx, tx, scanAgent, agentsSQL)
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	return as, nil
}

const updateAgentSQL = `UPDATE agents SET email = ?, name = ?, role = ?, max_chats = ?, updated_at = ?
WHERE id = ?`

// UpdateAgent overwrites the e-mail, name, role and max chats of agent
// a.ID and sets its UpdatedAt. The password and the disabled flag have
// their own methods. ErrNotFound if missing, ErrExists if the new e-mail
// is another agent's.
func (tx *Tx) UpdateAgent(ctx context.Context, a Agent) error {
	a.Email = NormalizeEmail(a.Email)
	if err := checkAgent(a); err != nil {
		return fmt.Errorf("update agent %d: %w", a.ID, err)
	}
	err := tx.guard(ctx, func() error {
		return mustAffect(tx.exec(ctx, updateAgentSQL,
			a.Email, strings.TrimSpace(a.Name), a.Role, a.MaxChats, millis(a.UpdatedAt), a.ID))
	})
	if isUnique(err) {
		err = ErrExists
	}
	if err != nil {
		return fmt.Errorf("update agent %d: %w", a.ID, err)
	}
	return nil
}

const setAgentPasswordSQL = `UPDATE agents SET password_hash = ?, updated_at = ? WHERE id = ?`

// SetAgentPassword replaces the password hash of agent id. ErrNotFound if
// missing. Existing sessions stay: callers that want them gone (a stolen
// password) call DeleteAgentSessions too.
func (tx *Tx) SetAgentPassword(ctx context.Context, id int64, hash string, now time.Time) error {
	if hash == "" {
		return fmt.Errorf("set agent %d password: empty hash", id)
	}
	if err := mustAffect(tx.exec(ctx, setAgentPasswordSQL, hash, millis(now), id)); err != nil {
		return fmt.Errorf("set agent %d password: %w", id, err)
	}
	return nil
}

const setAgentDisabledSQL = `UPDATE agents SET disabled = ?, updated_at = ? WHERE id = ?`

// SetAgentDisabled disables or re-enables agent id. Disabling also ends
// every session of the agent. ErrNotFound if missing.
func (tx *Tx) SetAgentDisabled(ctx context.Context, id int64, disabled bool, now time.Time) error {
	if err := mustAffect(tx.exec(ctx, setAgentDisabledSQL, disabled, millis(now), id)); err != nil {
		return fmt.Errorf("set agent %d disabled: %w", id, err)
	}
	if disabled {
		if _, err := tx.DeleteAgentSessions(ctx, id); err != nil {
			return err
		}
	}
	return nil
}
