package store

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// arrayForm is a queued write's array form: the same write for any number
// of rows, each column's values in one array parameter. On PostgreSQL's
// writer, the writes with the same form that a batch's jobs queue go to
// the server as one statement (see combine): a statement part's setup (its
// plan's nodes, its table and indexes opened and locked) cost about as much
// as the row it wrote.
type arrayForm struct {
	query string // PostgreSQL's text: $1... are the columns' arrays
	width int    // values per row: the plain write's arguments are rows of width
}

var (
	// insertRE reads an insert whose values are placeholders only, one
	// row or several, with any tail but RETURNING.
	insertRE = regexp.MustCompile(`(?s)^INSERT INTO (\w+) \(([\w, ]+)\)\s+VALUES\s+(\(\$\d+(?:, \$\d+)*\)(?:,\s*\(\$\d+(?:, \$\d+)*\))*)(\s+ON CONFLICT .*)?$`)
	// updateRE reads an update of columns to placeholders, by a key
	// equal to the last one.
	updateRE = regexp.MustCompile(`^UPDATE (\w+) SET (\w+ = \$\d+(?:, \w+ = \$\d+)*) WHERE (\w+) = \$\d+$`)
	// deleteRE reads a delete by column comparisons with placeholders.
	deleteRE = regexp.MustCompile(`^DELETE FROM (\w+) WHERE (\w+ (?:=|<>) \$\d+(?: AND \w+ (?:=|<>) \$\d+)*)$`)
	// placeholderRE finds the placeholders of PostgreSQL's text.
	placeholderRE = regexp.MustCompile(`\$(\d+)`)
)

// columnTypesSQL lists the type of every column of the store's tables.
const columnTypesSQL = `SELECT table_name, column_name, data_type FROM information_schema.columns
WHERE table_schema = current_schema()`

// loadColumnTypes reads the column types the array forms cast their
// arrays to, by "table.column".
func loadColumnTypes(ctx context.Context, q querier) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, columnTypesSQL)
	if err != nil {
		return nil, fmt.Errorf("column types: %w", err)
	}
	defer rows.Close()
	types := map[string]string{}
	for rows.Next() {
		var table, col, typ string
		if err := rows.Scan(&table, &col, &typ); err != nil {
			return nil, fmt.Errorf("column types: %w", err)
		}
		types[table+"."+col] = typ
	}
	return types, rows.Err()
}

// formOf returns the array form of query (PostgreSQL's text), or nil if
// it has none: an insert of placeholders (one row or several; the form is
// the same for any count), an update of columns to placeholders by a key,
// or a delete by comparisons of columns with placeholders, each with its
// placeholders in order from $1.
func formOf(query string, types map[string]string) *arrayForm {
	if m := insertRE.FindStringSubmatch(query); m != nil {
		table, cols := m[1], strings.Split(m[2], ", ")
		if !inOrder(m[3]) || placeholderRE.MatchString(m[4]) || len(placeholderRE.FindAllString(m[3], -1))%len(cols) != 0 {
			return nil
		}
		arrays, ok := castArrays(table, cols, types)
		if !ok {
			return nil
		}
		return &arrayForm{width: len(cols),
			query: "INSERT INTO " + table + " (" + m[2] + ") SELECT * FROM unnest(" + arrays + ")" + m[4]}
	}
	if m := updateRE.FindStringSubmatch(query); m != nil {
		table, sets, key := m[1], strings.Split(m[2], ", "), m[3]
		if !inOrder(query) {
			return nil
		}
		cols := make([]string, len(sets))
		for i, s := range sets {
			cols[i], _, _ = strings.Cut(s, " ")
			sets[i] = cols[i] + " = v." + cols[i]
		}
		cols = append(cols, key)
		arrays, ok := castArrays(table, cols, types)
		if !ok || slices.Contains(cols[:len(cols)-1], key) {
			return nil
		}
		return &arrayForm{width: len(cols),
			query: "UPDATE " + table + " SET " + strings.Join(sets, ", ") + " FROM unnest(" + arrays + ") AS v(" + strings.Join(cols, ", ") + ") WHERE " + table + "." + key + " = v." + key}
	}
	if m := deleteRE.FindStringSubmatch(query); m != nil {
		table, conds := m[1], strings.Split(m[2], " AND ")
		if !inOrder(m[2]) {
			return nil
		}
		cols := make([]string, len(conds))
		where := make([]string, len(conds))
		for i, c := range conds {
			f := strings.Fields(c) // column, operator, placeholder
			cols[i] = f[0]
			where[i] = table + "." + f[0] + " " + f[1] + " v." + f[0]
		}
		arrays, ok := castArrays(table, cols, types)
		if !ok {
			return nil
		}
		return &arrayForm{width: len(cols),
			query: "DELETE FROM " + table + " USING unnest(" + arrays + ") AS v(" + strings.Join(cols, ", ") + ") WHERE " + strings.Join(where, " AND ")}
	}
	return nil
}

// inOrder reports whether the placeholders of s are $1, $2, ... in turn.
func inOrder(s string) bool {
	for i, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		if m[1] != strconv.Itoa(i+1) {
			return false
		}
	}
	return true
}

// castArrays writes one array placeholder per column of table, cast to
// an array of its type.
func castArrays(table string, cols []string, types map[string]string) (string, bool) {
	var b strings.Builder
	for i, c := range cols {
		typ, ok := types[table+"."+c]
		if !ok {
			return "", false
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "CAST($%d AS %s[])", i+1, typ)
	}
	return b.String(), true
}

// formArgs turns the plain writes' arguments, rows of f.width values,
// into f's arrays, one per column.
func formArgs(f *arrayForm, parts []queued) []any {
	n := 0
	for _, p := range parts {
		n += len(p.args)
	}
	arrays := make([]any, f.width)
	for c := range arrays {
		arrays[c] = formColumn(parts, c, f.width, n/f.width)
	}
	return arrays
}

// formColumn gathers the values of column c: a slice of their type when they
// all have the one of the first (cheaper for the driver to encode than
// values in interfaces), else a []any.
func formColumn(parts []queued, c, width, rows int) any {
	var col any
	ok := false
	switch parts[0].args[c].(type) {
	case string:
		col, ok = typedColumn[string](parts, c, width, rows)
	case int64:
		col, ok = typedColumn[int64](parts, c, width, rows)
	case int:
		col, ok = typedColumn[int](parts, c, width, rows)
	}
	if ok {
		return col
	}
	vals, _ := typedColumn[any](parts, c, width, rows)
	return vals
}

// typedColumn gathers the values of column c as T, if they all are.
func typedColumn[T any](parts []queued, c, width, rows int) ([]T, bool) {
	col := make([]T, 0, rows)
	for _, p := range parts {
		for r := c; r < len(p.args); r += width {
			v, ok := p.args[r].(T)
			if !ok {
				return nil, false
			}
			col = append(col, v)
		}
	}
	return col, true
}
