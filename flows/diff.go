package flows

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Change is one difference between two versions of a flows file, said the
// way an editor checks a deploy: what was added, removed or reworded.
type Change struct {
	Op   string // "+", "-" or "~"
	Path string // e.g. "node notas-nfe", "texts.not_understood", "node inicio option 2"
	Old  string
	New  string
}

func (c Change) String() string {
	switch c.Op {
	case "+":
		return fmt.Sprintf("+ %s: %s", c.Path, clip(c.New))
	case "-":
		return fmt.Sprintf("- %s: %s", c.Path, clip(c.Old))
	}
	return fmt.Sprintf("~ %s:\n    was: %s\n    now: %s", c.Path, clip(c.Old), clip(c.New))
}

// clip shows a text on one line, shortened.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 120 {
		s = string(r[:119]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// Diff lists what changes from old to new: nodes added and removed, and
// every text, option, keyword, target and setting that differs.
func Diff(old, new *Flow) []Change {
	var out []Change
	diffValues(&out, "", reflect.ValueOf(*old.File), reflect.ValueOf(*new.File))
	oldNodes, newNodes := map[string]*Node{}, map[string]*Node{}
	for _, n := range old.File.Nodes {
		oldNodes[n.ID] = n
	}
	for _, n := range new.File.Nodes {
		newNodes[n.ID] = n
		if o := oldNodes[n.ID]; o == nil {
			out = append(out, Change{Op: "+", Path: "node " + n.ID, New: n.Type.Value + " " + new.Title(n.ID)})
		} else {
			diffValues(&out, "node "+n.ID, reflect.ValueOf(*o), reflect.ValueOf(*n))
		}
	}
	for _, n := range old.File.Nodes {
		if newNodes[n.ID] == nil {
			out = append(out, Change{Op: "-", Path: "node " + n.ID, Old: n.Type.Value + " " + old.Title(n.ID)})
		}
	}
	return out
}

// diffValues compares two schema values field by field, by their yaml
// names, ignoring positions.
func diffValues(out *[]Change, path string, a, b reflect.Value) {
	switch {
	case a.Type() == textType:
		if x, y := a.Interface().(Text).Value, b.Interface().(Text).Value; x != y {
			*out = append(*out, change(path, x, y))
		}
	case a.Type() == durationType:
		if x, y := a.Interface().(Duration).Duration, b.Interface().(Duration).Duration; x != y {
			*out = append(*out, change(path, x.String(), y.String()))
		}
	case a.Type() == metaType:
	case a.Kind() == reflect.Struct:
		for i := range a.NumField() {
			f := a.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" || name == "nodes" {
				continue
			}
			diffValues(out, join(path, name), a.Field(i), b.Field(i))
		}
	case a.Kind() == reflect.Slice:
		diffList(out, path, a, b)
	case a.Kind() == reflect.Pointer:
		switch {
		case a.IsNil() && b.IsNil():
		case a.IsNil() || b.IsNil():
			*out = append(*out, change(path, summary(a), summary(b)))
		default:
			diffValues(out, path, a.Elem(), b.Elem())
		}
	default:
		if x, y := fmt.Sprint(a.Interface()), fmt.Sprint(b.Interface()); x != y {
			*out = append(*out, change(path, x, y))
		}
	}
}

// diffList compares two lists element by element, matching the elements
// left as they were even where others were inserted or removed before
// them: an option added at the top of a menu is one addition, not every
// option after it reworded. Between two such matches, the elements that
// differ pair up in order and show what changed in each; the rest were
// added or removed. Positions are the new list's, the old one's for a
// removal.
func diffList(out *[]Change, path string, a, b reflect.Value) {
	as, bs := summaries(a), summaries(b)
	// keep[i][j]: how many elements of as[i:] and bs[j:] can stay in
	// order (the longest common subsequence).
	keep := make([][]int, len(as)+1)
	for i := range keep {
		keep[i] = make([]int, len(bs)+1)
	}
	for i := len(as) - 1; i >= 0; i-- {
		for j := len(bs) - 1; j >= 0; j-- {
			if as[i] == bs[j] {
				keep[i][j] = keep[i+1][j+1] + 1
			} else {
				keep[i][j] = max(keep[i+1][j], keep[i][j+1])
			}
		}
	}
	at := func(i int) string { return fmt.Sprintf("%s %d", path, i+1) }
	var gone, came []int // unmatched since the last match
	flush := func() {
		k := 0
		for ; k < len(gone) && k < len(came); k++ {
			diffValues(out, at(came[k]), a.Index(gone[k]), b.Index(came[k]))
		}
		for _, i := range gone[k:] {
			*out = append(*out, Change{Op: "-", Path: at(i), Old: as[i]})
		}
		for _, j := range came[k:] {
			*out = append(*out, Change{Op: "+", Path: at(j), New: bs[j]})
		}
		gone, came = gone[:0], came[:0]
	}
	i, j := 0, 0
	for i < len(as) || j < len(bs) {
		switch {
		case i < len(as) && j < len(bs) && as[i] == bs[j]:
			flush()
			i, j = i+1, j+1
		case j == len(bs) || (i < len(as) && keep[i+1][j] >= keep[i][j+1]):
			gone = append(gone, i)
			i++
		default:
			came = append(came, j)
			j++
		}
	}
	flush()
}

// summaries renders each element of list v on one line.
func summaries(v reflect.Value) []string {
	s := make([]string, v.Len())
	for i := range s {
		s[i] = summary(v.Index(i))
	}
	return s
}

func change(path, old, new string) Change {
	switch {
	case old == "":
		return Change{Op: "+", Path: path, New: new}
	case new == "":
		return Change{Op: "-", Path: path, Old: old}
	}
	return Change{Op: "~", Path: path, Old: old, New: new}
}

// summary renders a list element (an option, a message, a date) on one line.
func summary(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	switch {
	case v.Type() == textType:
		return v.Interface().(Text).Value
	case v.Kind() == reflect.Struct:
		var parts []string
		for i := range v.NumField() {
			f := v.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			if s := summary(v.Field(i)); s != "" {
				parts = append(parts, name+"="+s)
			}
		}
		return strings.Join(parts, " ")
	case v.Kind() == reflect.Slice:
		var parts []string
		for i := range v.Len() {
			parts = append(parts, summary(v.Index(i)))
		}
		if parts = slices.DeleteFunc(parts, func(s string) bool { return s == "" }); len(parts) == 0 {
			return ""
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v.Interface())
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	if strings.HasPrefix(path, "node ") {
		return path + " " + name
	}
	return path + "." + name
}
