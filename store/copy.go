package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// TableCount is how many rows a table holds in the source and the
// destination of a Copy.
type TableCount struct {
	Table    string
	From, To int64
}

// copyFirst orders the tables others point to before those (foreign
// keys); the rest follow by name.
var copyFirst = []string{"agents", "tickets"}

// copySkip are tables a copy leaves out: the benchmark's, the console
// events (a day's hints for live consoles, meaningless elsewhere), the
// media files' content (Files.CopyTo copies the files, each checked
// against its hash), and the queue's counts, which PostgreSQL's trigger
// keeps as the copied tickets go in (SQLite keeps none).
var copySkip = map[string]bool{"reference_commits": true, "events": true, "schema_version": true,
	"media_content": true, "media_chunks": true, "queue_counts": true}

// ErrNotEmpty is Copy's answer when the destination already holds data.
var ErrNotEmpty = errors.New("the destination store is not empty")

// ErrCopyUnfinished is Copy's answer when the destination holds what a
// copy that never finished wrote (see EmptyUnfinishedCopy).
var ErrCopyUnfinished = errors.New("the destination store holds an unfinished copy")

// copyMark is the settings row that marks a store as a copy in progress:
// Copy writes it before any row, FinishCopy deletes it.
const copyMark = "copy:in-progress"

const (
	copyMarkSQL       = `SELECT COUNT(*) FROM settings WHERE name = '` + copyMark + `'`
	addCopyMarkSQL    = `INSERT INTO settings (name, value, updated_at) VALUES ('` + copyMark + `', ?, ?) ON CONFLICT (name) DO NOTHING`
	deleteCopyMarkSQL = `DELETE FROM settings WHERE name = '` + copyMark + `'`
)

// Copy copies every row of src into dst, which must be freshly migrated
// and empty, table by table in batches, after marking dst as a copy in
// progress (CopyUnfinished; the caller calls FinishCopy once all it moves
// is in), then moves dst's ids past the
// copied ones, and returns the row counts of both, which must agree. It
// reads src in one read transaction, so the copy is one consistent
// snapshot of it; still stop the service using src first, or what it
// writes during the copy is left behind.
func Copy(ctx context.Context, dst, src *DB, progress func(table string, rows int64)) ([]TableCount, error) {
	var counts []TableCount
	err := src.View(ctx, func(stx *Tx) error {
		tables, err := tablesIn(ctx, stx)
		if err != nil {
			return err
		}
		have, err := dst.tables(ctx)
		if err != nil {
			return err
		}
		marked, err := dst.CopyUnfinished(ctx)
		if err != nil {
			return err
		}
		full := ErrNotEmpty
		if marked {
			full = ErrCopyUnfinished
		}
		for _, t := range tables {
			if !slices.Contains(have, t) {
				return fmt.Errorf("copy: the destination has no table %s: is it migrated by this version?", t)
			}
			n, err := dst.count(ctx, t)
			if err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("copy: %w: %s has %d rows", full, t, n)
			}
		}
		err = dst.Update(ctx, func(tx *Tx) error {
			_, err := tx.exec(ctx, addCopyMarkSQL, src.path, time.Now().UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("copy: mark the destination: %w", err)
		}
		for _, t := range tables {
			if err := copyTable(ctx, dst, stx, t, progress); err != nil {
				return fmt.Errorf("copy %s: %w", t, err)
			}
		}
		if err := dst.Update(ctx, func(tx *Tx) error { return syncSequences(ctx, tx) }); err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		for _, t := range tables {
			from, err := countIn(ctx, stx, t)
			if err != nil {
				return err
			}
			to, err := dst.count(ctx, t)
			if err != nil {
				return err
			}
			counts = append(counts, TableCount{Table: t, From: from, To: to})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

const (
	sqliteTablesSQL   = `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name`
	postgresTablesSQL = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
)

// allTables lists every table tx sees, whatsmeow's too (PostgreSQL keeps
// them beside the store's), by name.
func allTables(ctx context.Context, tx *Tx) ([]string, error) {
	q := sqliteTablesSQL
	if tx.d.postgres {
		q = postgresTablesSQL
	}
	ts, err := queryAll(ctx, tx, scanString, q)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	return ts, nil
}

// whatsmeows reports whether table is whatsmeow's, which the WhatsApp
// device store's own copy moves.
func whatsmeows(table string) bool { return strings.HasPrefix(table, "whatsmeow") }

// tables lists the store's tables in copy order.
func (db *DB) tables(ctx context.Context) ([]string, error) {
	var ts []string
	err := db.View(ctx, func(tx *Tx) error {
		var err error
		ts, err = tablesIn(ctx, tx)
		return err
	})
	return ts, err
}

// tablesIn lists the store's tables tx sees, in copy order.
func tablesIn(ctx context.Context, tx *Tx) ([]string, error) {
	ts, err := allTables(ctx, tx)
	if err != nil {
		return nil, err
	}
	ts = slices.DeleteFunc(ts, func(t string) bool { return copySkip[t] || whatsmeows(t) })
	slices.SortStableFunc(ts, compareCopyOrder)
	return ts, nil
}

// compareCopyOrder orders tables as a copy writes them: parents first.
func compareCopyOrder(a, b string) int {
	ia, ib := slices.Index(copyFirst, a), slices.Index(copyFirst, b)
	switch {
	case ia >= 0 && ib >= 0:
		return ia - ib
	case ia >= 0:
		return -1
	case ib >= 0:
		return 1
	}
	return strings.Compare(a, b)
}

// count counts table's rows. The name comes from the store's own schema.
func (db *DB) count(ctx context.Context, table string) (int64, error) {
	var n int64
	err := db.View(ctx, func(tx *Tx) error {
		var err error
		n, err = countIn(ctx, tx, table)
		return err
	})
	return n, err
}

// countIn counts table's rows as tx sees them, but for a copy's mark.
func countIn(ctx context.Context, tx *Tx, table string) (int64, error) {
	q := `SELECT COUNT(*) FROM ` + table + butMark(table)
	var n int64
	if err := tx.queryRow(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	return n, nil
}

// copyTable reads table as src sees it and writes it to dst as it reads,
// in batches, each in one Update of multi-row INSERTs: a batch ends at
// copyRows rows or copyBytes of values, so memory holds one batch, not
// the table (a table of large texts had taken several times its size).
func copyTable(ctx context.Context, dst *DB, src *Tx, table string, progress func(string, int64)) error {
	// SQLite hands some text back as bytes: PostgreSQL wants text as text.
	binary, err := dst.binaryColumns(ctx, table)
	if err != nil {
		return err
	}
	rs, err := src.query(ctx, `SELECT * FROM `+table)
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	// PostgreSQL takes at most 65,535 parameters a statement.
	per := max(1, min(copyRows, 60000/len(cols)))
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	var batch [][]any
	var size int
	var done int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		q := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES ` +
			strings.TrimSuffix(strings.Repeat(row+", ", len(batch)), ", ")
		args := make([]any, 0, len(batch)*len(cols))
		for _, r := range batch {
			args = append(args, r...)
		}
		if err := dst.Update(ctx, func(tx *Tx) error {
			_, err := tx.exec(ctx, q, args...)
			return err
		}); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		done += int64(len(batch))
		batch, size = batch[:0], 0
		if progress != nil {
			progress(table, done)
		}
		return nil
	}
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return fmt.Errorf("read: %w", err)
		}
		for i, v := range vals {
			switch v := v.(type) {
			case []byte:
				size += len(v)
				if !binary[cols[i]] {
					vals[i] = string(v)
				}
			case string:
				size += len(v)
			}
		}
		batch = append(batch, vals)
		if len(batch) >= per || size >= copyBytes {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	return flush()
}

// A copy's batch: at most copyRows rows, and it ends once its values
// reach copyBytes.
const (
	copyRows  = 500
	copyBytes = 8 << 20
)

const binaryColumnsSQL = `SELECT column_name FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = ? AND data_type = 'bytea'`

// binaryColumns names table's binary columns on PostgreSQL; none on
// SQLite, which takes bytes for text.
func (db *DB) binaryColumns(ctx context.Context, table string) (map[string]bool, error) {
	out := map[string]bool{}
	if !db.d.postgres {
		return out, nil
	}
	err := db.View(ctx, func(tx *Tx) error {
		cols, err := queryAll(ctx, tx, scanString, binaryColumnsSQL, table)
		for _, c := range cols {
			out[c] = true
		}
		return err
	})
	return out, err
}

// CopyUnfinished reports whether the store is the destination of a Copy
// that was never finished (FinishCopy): it holds part of a store at most,
// and must not be served.
func (db *DB) CopyUnfinished(ctx context.Context) (bool, error) {
	var n int
	err := db.View(ctx, func(tx *Tx) error { return tx.queryRow(ctx, copyMarkSQL).Scan(&n) })
	if err != nil {
		return false, fmt.Errorf("read the copy mark: %w", err)
	}
	return n > 0, nil
}

// FinishCopy removes the mark Copy left: the store is whole.
func (db *DB) FinishCopy(ctx context.Context) error {
	err := db.Update(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, deleteCopyMarkSQL)
		return err
	})
	if err != nil {
		return fmt.Errorf("finish the copy: %w", err)
	}
	return nil
}

// butMark leaves a copy's mark out of a statement on table's rows.
func butMark(table string) string {
	if table == "settings" {
		return ` WHERE name <> '` + copyMark + `'`
	}
	return ""
}

// EmptyUnfinishedCopy deletes what a Copy that never finished wrote into
// db, and what was copied after it (media files, WhatsApp devices), so
// that a Copy can start over; the mark stays until FinishCopy. It refuses
// a store without the mark: that one is no failed copy.
func (db *DB) EmptyUnfinishedCopy(ctx context.Context) error {
	err := db.Update(ctx, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(ctx, copyMarkSQL).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: it is no unfinished copy", ErrNotEmpty)
		}
		all, err := allTables(ctx, tx)
		if err != nil {
			return err
		}
		// Children before their parents: the reverse of the copy's order,
		// the media's chunks before their files, whatsmeow's tables (which
		// cascade from its devices) last.
		var del []string
		for _, t := range all {
			if (!copySkip[t] || t == "media_chunks" || t == "media_content") && !whatsmeows(t) {
				del = append(del, t)
			}
		}
		slices.SortStableFunc(del, func(a, b string) int { return -compareCopyOrder(a, b) })
		for _, t := range all {
			if whatsmeows(t) && t != "whatsmeow_version" {
				del = append(del, t)
			}
		}
		for _, t := range del {
			if _, err := tx.exec(ctx, `DELETE FROM `+t+butMark(t)); err != nil {
				return fmt.Errorf("empty %s: %w", t, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("empty the unfinished copy: %w", err)
	}
	return nil
}
