package store

import (
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/mattn/go-sqlite3"
)

// The store speaks one SQL to both engines: plain ? placeholders, no JSON
// functions, no engine-specific functions. dialect holds the few things
// that still differ, and rewrites ? into PostgreSQL's $1, $2... once per
// query text.
type dialect struct {
	postgres bool
	name     string // "sqlite" or "postgres", for messages and metrics
	driver   string // database/sql driver name
	begin    string // starts the writer's batch transaction
	now      string // the database's clock in unix milliseconds, as SQL

	rebound sync.Map // query -> PostgreSQL text
}

var (
	sqliteDialect = &dialect{name: "sqlite", driver: Driver, begin: `BEGIN IMMEDIATE`,
		now: `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`}
	postgresDialect = &dialect{postgres: true, name: "postgres", driver: "pgx", begin: `BEGIN`,
		now: `CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)`}
)

// IsPostgres reports whether dsn names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than a SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// sql returns query as the engine takes it.
func (d *dialect) sql(query string) string {
	if !d.postgres {
		return query
	}
	if q, ok := d.rebound.Load(query); ok {
		return q.(string)
	}
	q, _ := rebind(query)
	d.rebound.Store(query, q)
	return q
}

// args adapts arguments: PostgreSQL will not store a Go bool in the
// INTEGER 0/1 columns that hold booleans, so bools go as 0 or 1.
func (d *dialect) args(args []any) []any {
	if !d.postgres {
		return args
	}
	for i, a := range args {
		if b, ok := a.(bool); ok {
			if args[i] = int64(0); b {
				args[i] = int64(1)
			}
		}
	}
	return args
}

// rebind numbers the ? placeholders of query as $1, $2..., leaving string
// literals, quoted names and comments alone, and counts them.
func rebind(query string) (string, int) {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			end := strings.IndexByte(query[i+1:], c)
			if end < 0 {
				b.WriteString(query[i:])
				return b.String(), n
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				b.WriteString(query[i:])
				return b.String(), n
			}
			b.WriteString(query[i : i+end])
			i += end - 1
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), n
}

// isUnique reports a UNIQUE or PRIMARY KEY constraint violation.
func isUnique(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// placeholders returns "(?, ?, ?)" with n marks: a list argument, written
// out, since neither engine takes a list as one value the other also does.
func placeholders(n int) string {
	if n <= 0 {
		return "(NULL)"
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

// rows returns n placeholder rows of cols values each, "(?, ?), (?, ?)":
// several rows in one statement. On PostgreSQL a statement per row count
// is prepared and planned once; the rows as arrays would cost more to
// read (the server materializes them) and be planned on every run.
func rows(n, cols int) string {
	return strings.TrimSuffix(strings.Repeat(placeholders(cols)+", ", n), ", ")
}

// listMark stands for a list in a query: expand writes it out as one
// placeholder per item.
const listMark = "(/*list*/)"

// redact hides the password of a PostgreSQL URL (its user part, or a
// password parameter), or of a key=value connection string, for messages
// and logs.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return dsnPassword.ReplaceAllString(dsn, "${1}xxxxx")
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// dsnPassword is a password in a key=value connection string.
var dsnPassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('[^']*'|\S+)`)

// looksLikeURL reports whether dsn, which IsPostgres does not take, was
// meant as a database's address rather than a SQLite file's path: a URL
// of any scheme or case, or a key=value connection string. Opened as a
// path, it would silently become a new, empty SQLite store.
func looksLikeURL(dsn string) bool {
	t := strings.ToLower(strings.TrimSpace(dsn))
	if strings.Contains(t, "://") || strings.HasPrefix(t, "postgres:") || strings.HasPrefix(t, "postgresql:") {
		return true
	}
	for _, k := range []string{"host=", "dbname=", "user=", "password="} {
		if strings.HasPrefix(t, k) || strings.Contains(t, " "+k) {
			return true
		}
	}
	return false
}

// expand writes out every listMark of query for list's items and returns
// the query and its arguments: the list once per mark.
func expand[T any](query string, list []T) (string, []any) {
	marks := strings.Count(query, listMark)
	args := make([]any, 0, marks*len(list))
	for range marks {
		for _, v := range list {
			args = append(args, v)
		}
	}
	return strings.ReplaceAll(query, listMark, placeholders(len(list))), args
}

// sameArgs returns arguments for a query whose placeholders all take v, but
// for the last len(last) ones, which take last.
func sameArgs(query string, v any, last ...any) []any {
	_, n := rebind(query)
	n -= len(last)
	args := make([]any, 0, n+len(last))
	for range n {
		args = append(args, v)
	}
	return append(args, last...)
}

// Redact returns a PostgreSQL URL with its password hidden, for messages
// and logs.
func Redact(dsn string) string { return redact(dsn) }
