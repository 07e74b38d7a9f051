package store

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestQueueAhead: a ticket's place counts the waiting tickets before it
// (queued earlier, or at the same instant with a lower id), whatever
// moved in or out of the queue, in this transaction or rolled back; from
// the sum the tickets' triggers keep, which must agree with counting them,
// also after a reopen (on PostgreSQL, folding the rows of connections
// gone).
func TestQueueAhead(t *testing.T) {
	dsn := testDSN(t)
	db, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { db.Close() }()
	ctx := t.Context()
	base := time.Date(2025, 1, 2, 8, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return base.Add(time.Duration(min) * time.Minute) }

	var ids []int64
	update(t, db, func(tx *Tx) error {
		for i, q := range []int{1, 2, 2, 3, 0, 4, 5, 6} {
			tk := Ticket{Chat: fmt.Sprint("c", i), Status: StatusAberto, CreatedAt: at(0)}
			if q > 0 {
				tk.QueuedAt = at(q)
			}
			id, err := tx.CreateTicket(ctx, tk)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	// check compares QueueAhead with a count of the tickets as read, for
	// each ticket and for one not written yet, queued now.
	check := func(tx *Tx, when string) {
		t.Helper()
		var all []Ticket
		for _, id := range ids {
			tk, err := tx.Ticket(ctx, id)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, tk)
		}
		ahead := func(id int64, q time.Time) int {
			n := 0
			for _, u := range all {
				waiting := !u.QueuedAt.IsZero() && u.Agent == "" && u.Status != StatusResolvido
				if waiting && u.ID != id && (u.QueuedAt.Before(q) || (u.QueuedAt.Equal(q) && u.ID < id)) {
					n++
				}
			}
			return n
		}
		for _, u := range append(all, Ticket{ID: 999999, QueuedAt: at(60)}) {
			if u.QueuedAt.IsZero() {
				continue
			}
			got, err := tx.QueueAhead(ctx, u.ID, u.QueuedAt)
			if err != nil {
				t.Fatal(err)
			}
			if want := ahead(u.ID, u.QueuedAt); got != want {
				t.Errorf("%s: QueueAhead(%d, %v) = %d, want %d", when, u.ID, u.QueuedAt, got, want)
			}
		}
	}
	view(t, db, func(tx *Tx) error { check(tx, "created"); return nil })
	update(t, db, func(tx *Tx) error {
		a, _ := tx.Ticket(ctx, ids[1])
		a.Agent = "agent1" // claimed
		if err := tx.UpdateTicket(ctx, a); err != nil {
			return err
		}
		b, _ := tx.Ticket(ctx, ids[3])
		b.Status = StatusResolvido
		if err := tx.UpdateTicket(ctx, b); err != nil {
			return err
		}
		c, _ := tx.Ticket(ctx, ids[4])
		c.QueuedAt = at(7) // handed off
		if err := tx.UpdateTicket(ctx, c); err != nil {
			return err
		}
		check(tx, "changed, not committed")
		// Undone with its savepoint: the queue is as before it.
		if err := tx.Try(ctx, func() error {
			d, _ := tx.Ticket(ctx, ids[5])
			d.Agent = "agent2"
			if err := tx.UpdateTicket(ctx, d); err != nil {
				return err
			}
			return errors.New("undo")
		}); errors.Is(err, ErrRerun) {
			return err // the batch runs again, with savepoints
		} else if err == nil {
			t.Error("Try: want its error")
		}
		if _, err := tx.exec(ctx, `DELETE FROM tickets WHERE id = ?`, ids[6]); err != nil {
			return err
		}
		check(tx, "changed, one undone, one deleted")
		return nil
	})
	view(t, db, func(tx *Tx) error { check(tx, "committed"); return nil })
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if testPG != nil {
		// A server process outlives its connection's close by a moment:
		// until it has gone, its row is rightly not folded.
		waitBackendsGone(t, dsn)
	}
	if db, err = Open(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	view(t, db, func(tx *Tx) error {
		check(tx, "reopened")
		if testPG == nil {
			return nil
		}
		// The writers of the store closed: their rows are folded.
		var rows int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM queue_counts WHERE backend IN (SELECT pid FROM pg_stat_activity) OR backend = 0`).Scan(&rows); err != nil {
			return err
		}
		var all int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM queue_counts`).Scan(&all); err != nil {
			return err
		}
		if all != rows {
			t.Errorf("queue_counts after a reopen: %d rows, %d of them of live connections or row 0", all, rows)
		}
		return nil
	})
}

// TestQueueCountMigrated: a SQLite store from before migration 0021, with
// tickets waiting, gets the queue's size counted once and kept after.
func TestQueueCountMigrated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	update(t, db, func(tx *Tx) error {
		for i, q := range []int64{1, 0, 2, 3} {
			if _, err := tx.CreateTicket(ctx, Ticket{Chat: fmt.Sprint("c", i), Status: StatusAberto, QueuedAt: time.UnixMilli(q)}); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	raw, err := sql.Open(Driver, ReferenceDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER tickets_queue_count_insert`, `DROP TRIGGER tickets_queue_count_delete`,
		`DROP TRIGGER tickets_queue_count_update`, `DELETE FROM queue_counts`, `PRAGMA user_version = 20`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()
	if db, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	update(t, db, func(tx *Tx) error {
		_, err := tx.CreateTicket(ctx, Ticket{Chat: "new", Status: StatusAberto, QueuedAt: time.UnixMilli(9)})
		return err
	})
	view(t, db, func(tx *Tx) error {
		n, err := tx.QueueAhead(ctx, 1<<40, time.UnixMilli(100))
		if n != 4 {
			t.Errorf("queue after the migration and one more handoff: %d ahead, want 4", n)
		}
		return err
	})
}

// TestQueueAheadAtHandoffReadsNoQueue: on PostgreSQL a customer handed
// off, last in a queue of thousands, finds their place without reading
// the queue ahead (which cost about 1 ms a handoff at 5,000 waiting).
func TestQueueAheadAtHandoffReadsNoQueue(t *testing.T) {
	conn := pgConn(t, "a PostgreSQL plan",
		`INSERT INTO tickets (chat, status, queued_at) SELECT 'c' || g, 'aberto', 1000 + g FROM generate_series(1, 3000) AS g`,
		`ANALYZE tickets`,
		`SET enable_indexonlyscan = off`) // as the writers
	ctx := t.Context()
	var last int64
	if err := conn.QueryRowContext(ctx, `SELECT MAX(id) FROM tickets`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "PREPARE qa AS "+postgresDialect.sql(queueAheadSQL)); err != nil {
		t.Fatal(err)
	}
	args := fmt.Sprintf("(%d, %d, %d)", 4000, 4000, last)
	var ahead int
	if err := conn.QueryRowContext(ctx, "EXECUTE qa"+args).Scan(&ahead); err != nil {
		t.Fatal(err)
	}
	if ahead != 2999 {
		t.Errorf("ahead of the last of 3000: %d", ahead)
	}
	plan := planOf(t, conn, "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, COSTS OFF) EXECUTE qa"+args)
	m := regexp.MustCompile(`Buffers: shared hit=(\d+)`).FindStringSubmatch(plan)
	if m == nil {
		t.Fatalf("no buffer count in the plan:\n%s", plan)
	}
	if hits, _ := strconv.Atoi(m[1]); hits > 30 {
		t.Errorf("the place of the last of 3000 read %d buffers, want a few:\n%s", hits, plan)
	}
}

// TestQueueAheadSeeksItsPlace checks that SQLite starts counting those
// behind a customer at the customer's place in the queue's index (a seek
// to queued_at >= ?), not at its start (queued_at > 0): the latter reads
// the whole queue at every handoff.
func TestQueueAheadSeeksItsPlace(t *testing.T) {
	if testPG != nil {
		t.Skip("SQLite's program (the SQLite pass checks it)")
	}
	db := openTest(t)
	rows, err := db.r.QueryContext(t.Context(), "EXPLAIN "+queueAheadSQL, 1, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var seeks []string
	for rows.Next() {
		var addr, p1, p2, p3, p5 int
		var opcode, p4, comment sql.NullString
		if err := rows.Scan(&addr, &opcode, &p1, &p2, &p3, &p4, &p5, &comment); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(opcode.String, "Seek") && opcode.String != "SeekRowid" {
			seeks = append(seeks, opcode.String)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seeks, []string{"SeekGE"}) {
		t.Errorf("the count's seeks: %v; want one SeekGE, to the customer's place", seeks)
	}
}

// waitBackendsGone waits until no server process of dsn's database is
// left but the caller's own.
func waitBackendsGone(t *testing.T, dsn string) {
	t.Helper()
	c, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		err := c.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d server processes of the closed store still there", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
