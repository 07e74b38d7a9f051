package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/jackc/pgx/v5/pgconn"
)

// lockChatSQL takes a transaction-scoped advisory lock: released by the
// batch's COMMIT or ROLLBACK, or by the ROLLBACK TO of the job that took
// it. Chats use the one-key space; the two-key space holds the store's
// own locks (migrations).
const lockChatSQL = `SELECT pg_advisory_xact_lock(?)`

// LockChat makes the rest of the Update the only work on chat's
// conversation on line until it commits. On PostgreSQL several processes
// write at once: the chat's turn (on the process that owns the WhatsApp
// line) and an agent's action on its ticket (on any console replica) must
// not both read the conversation and then overwrite each other's changes,
// nor queue replies whose ids and commits come in different orders. Call
// it first, before reading what the work depends on. On SQLite, whose one
// writer runs every Update one after the other, it does nothing.
func (tx *Tx) LockChat(ctx context.Context, line, chat string) error {
	if !tx.d.postgres || !tx.writer {
		return nil
	}
	key := lockKey(line, chat)
	if tx.openedLock(key) {
		return nil // the batch's opening took it
	}
	if err := tx.execLater(ctx, lockChatSQL, key); err != nil {
		return fmt.Errorf("lock chat: %w", err)
	}
	if !tx.held[key] {
		tx.held[key] = true
		tx.locks++
	}
	return nil
}

// lockKey is the key of chat's advisory lock on line.
func lockKey(line, chat string) int64 { return int64(chatHash(line + "\x00" + chat)) }

// chatHash of a chat picks its writer; of its line and the chat, it is
// the key of the conversation's advisory lock.
func chatHash(chat string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(chat))
	return h.Sum64()
}

// jobTries bounds how often a job that lost a deadlock runs.
const jobTries = 4

// retryable reports the errors PostgreSQL asks to retry a transaction
// for: a deadlock and a serialization failure.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}
