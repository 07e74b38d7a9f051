package whatsapp

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strings"

	"go.mau.fi/whatsmeow/store/sqlstore"
	waLog "go.mau.fi/whatsmeow/util/log"
)

// CopyDevices copies the device store of a file (data/whatsapp.db) into a
// PostgreSQL database, whose whatsmeow tables it creates and which must
// hold no device yet: the linked devices' keys and sessions move with the
// rest of an installation, so nothing needs pairing again. Stop the
// service first, and never run the file's session again afterwards (its
// keys move on in the copy). It returns the rows copied per table.
func CopyDevices(ctx context.Context, file, dsn string) (map[string]int64, error) {
	dst, err := sqlstore.New(ctx, "pgx", dsn, waLog.Noop)
	if err != nil {
		return nil, fmt.Errorf("device store on PostgreSQL: %w", err)
	}
	dst.Close()
	src, err := sql.Open("sqlite3", deviceReadDSN(file))
	if err != nil {
		return nil, err
	}
	defer src.Close()
	to, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	defer to.Close()
	var n int
	if err := to.QueryRowContext(ctx, `SELECT COUNT(*) FROM whatsmeow_device`).Scan(&n); err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, fmt.Errorf("the PostgreSQL store already holds %d WhatsApp device(s)", n)
	}
	rows, err := src.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'whatsmeow%' AND name <> 'whatsmeow_version' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, err
		}
		tables = append(tables, t)
	}
	rows.Close()
	// The device first: every other table points to it.
	slices.SortStableFunc(tables, func(a, b string) int {
		switch {
		case a == "whatsmeow_device":
			return -1
		case b == "whatsmeow_device":
			return 1
		}
		return 0
	})
	tx, err := to.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	counts := map[string]int64{}
	for _, t := range tables {
		c, err := copyDeviceTable(ctx, src, tx, t)
		if err != nil {
			return nil, fmt.Errorf("copy %s: %w", t, err)
		}
		counts[t] = c
	}
	return counts, tx.Commit()
}

// CheckDevices checks, before a migration writes anything, that file is a
// WhatsApp device store CopyDevices can read: it opens (read-only) and
// has whatsmeow's device table. It returns how many devices it holds.
func CheckDevices(ctx context.Context, file string) (int, error) {
	if _, err := os.Stat(file); err != nil {
		return 0, err
	}
	src, err := sql.Open("sqlite3", deviceReadDSN(file))
	if err != nil {
		return 0, err
	}
	defer src.Close()
	var n int
	if err := src.QueryRowContext(ctx, `SELECT COUNT(*) FROM whatsmeow_device`).Scan(&n); err != nil {
		return 0, fmt.Errorf("%s is not a WhatsApp device store: %w", file, err)
	}
	return n, nil
}

// deviceReadDSN opens the device store file read-only, as it is: no
// journal mode is set, which a read-only connection could not write.
func deviceReadDSN(path string) string {
	path = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + path + "?_busy_timeout=10000&mode=ro"
}

func copyDeviceTable(ctx context.Context, src *sql.DB, dst *sql.Tx, table string) (int64, error) {
	rows, err := src.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		return 0, err
	}
	marks := make([]string, len(cols))
	for i := range marks {
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	insert := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES (` + strings.Join(marks, ", ") + `)`
	var n int64
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, v := range vals {
			// SQLite may hand text back as bytes: text columns get text.
			decl := strings.ToUpper(types[i].DatabaseTypeName())
			if b, ok := v.([]byte); ok && (strings.Contains(decl, "TEXT") || strings.Contains(decl, "CHAR")) {
				vals[i] = string(b)
			}
		}
		if _, err := dst.ExecContext(ctx, insert, vals...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}
