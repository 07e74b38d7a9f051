package flows

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Pos is a line:column position in the flows file, 1-based.
type Pos struct{ Line, Col int }

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Meta is embedded in every mapping type of the schema. The decoder fills it
// so validation can point editors at the exact key they must fix.
type Meta struct {
	Pos    Pos            // where the mapping starts
	Fields map[string]Pos // where each present key's value starts
}

// At returns the position of key's value, or of the mapping when the key is absent.
func (m Meta) At(key string) Pos {
	if p, ok := m.Fields[key]; ok {
		return p
	}
	return m.Pos
}

// Has reports whether key was written in the file.
func (m Meta) Has(key string) bool {
	_, ok := m.Fields[key]
	return ok
}

// Text is a piece of text with the position of its value in the file.
type Text struct {
	Value string
	Pos   Pos
}

func (t Text) String() string { return t.Value }

// Duration is a time span written as "10m", "1h30m", "45s".
type Duration struct {
	time.Duration
	Pos Pos
}

// Problem is one thing wrong in a flows file.
type Problem struct {
	Pos Pos
	Msg string
}

// Problems is every problem found in one file; it is the error Parse and
// Validate return, printed one per line as FILE:LINE:COL: message.
type Problems struct {
	File  string
	Items []Problem
}

func (ps *Problems) Error() string {
	var b strings.Builder
	for i, p := range ps.Items {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s:%d:%d: %s", ps.File, p.Pos.Line, p.Pos.Col, strings.ReplaceAll(p.Msg, "\n", `\n`))
	}
	return b.String()
}

// add records a problem. A position in a section the file leaves out is
// unknown; such problems point at the top of the file.
func (ps *Problems) add(pos Pos, format string, args ...any) {
	if pos.Line == 0 {
		pos = Pos{1, 1}
	}
	ps.Items = append(ps.Items, Problem{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// err returns ps as an error sorted by position, or nil when there is nothing.
func (ps *Problems) err() error {
	if len(ps.Items) == 0 {
		return nil
	}
	sort.SliceStable(ps.Items, func(i, j int) bool {
		a, b := ps.Items[i].Pos, ps.Items[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return ps
}

var (
	metaType     = reflect.TypeFor[Meta]()
	textType     = reflect.TypeFor[Text]()
	durationType = reflect.TypeFor[Duration]()
	sizeType     = reflect.TypeFor[Size]()
	messageType  = reflect.TypeFor[Message]()
	optionalType = reflect.TypeFor[OptionalHoliday]()
)

// decoder maps a yaml.Node tree onto the schema structs by their yaml tags,
// rejecting unknown keys and wrong kinds. It never stops at the first
// problem: editors fix a file faster when they see all of them.
type decoder struct{ probs *Problems }

func posOf(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

func (d *decoder) decode(n *yaml.Node, v reflect.Value) {
	if n.Kind == yaml.AliasNode {
		// Aliases repeat a block by reference; nested ones multiply and a
		// small file could take minutes to read. Editors do not need them.
		d.probs.add(posOf(n), "aliases (*%s) are not supported: write the text out", n.Value)
		return
	}
	switch {
	case v.Type() == textType:
		if s, ok := d.scalar(n, "a text"); ok {
			v.Set(reflect.ValueOf(Text{Value: s, Pos: posOf(n)}))
		}
		return
	case v.Type() == durationType:
		s, ok := d.scalar(n, "a duration like 10m")
		if !ok {
			return
		}
		dur, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil || dur < 0 {
			d.probs.add(posOf(n), "invalid duration %q: write it like 30s, 10m or 1h30m", s)
			return
		}
		v.Set(reflect.ValueOf(Duration{Duration: dur, Pos: posOf(n)}))
		return
	case v.Type() == sizeType:
		s, ok := d.scalar(n, "a size like 16MB")
		if !ok {
			return
		}
		b, err := parseSize(s)
		if err != nil {
			d.probs.add(posOf(n), "invalid size %q: write it like 500KB, 16MB or 2GB", s)
			return
		}
		v.Set(reflect.ValueOf(Size{Bytes: b, Pos: posOf(n)}))
		return
	case v.Type() == optionalType && n.Kind == yaml.ScalarNode:
		// A plain key closes the whole day.
		if s, ok := d.scalar(n, "an optional holiday"); ok {
			v.Set(reflect.ValueOf(OptionalHoliday{Meta: Meta{Pos: posOf(n), Fields: map[string]Pos{"day": posOf(n)}}, Day: Text{Value: s, Pos: posOf(n)}}))
		}
		return
	case v.Type() == messageType && n.Kind == yaml.ScalarNode:
		// A plain string is a text message.
		if s, ok := d.scalar(n, "a text"); ok {
			v.Set(reflect.ValueOf(Message{Meta: Meta{Pos: posOf(n), Fields: map[string]Pos{"text": posOf(n)}}, Text: Text{Value: s, Pos: posOf(n)}}))
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		if s, ok := d.scalar(n, "a text"); ok {
			v.SetString(s)
		}
	case reflect.Int:
		s, ok := d.scalar(n, "a whole number")
		if !ok {
			return
		}
		i, err := strconv.Atoi(s)
		if err != nil {
			d.probs.add(posOf(n), "expected a whole number, got %q", s)
			return
		}
		v.SetInt(int64(i))
	case reflect.Bool:
		s, ok := d.scalar(n, "true or false")
		if !ok {
			return
		}
		switch strings.ToLower(s) {
		case "true", "yes", "sim":
			v.SetBool(true)
		case "false", "no", "nao", "não":
			v.SetBool(false)
		default:
			d.probs.add(posOf(n), "expected true or false, got %q", s)
		}
	case reflect.Slice:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.probs.add(posOf(n), "expected a list (lines starting with -)")
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i))
		}
		v.Set(s)
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem())
	case reflect.Struct:
		d.decodeStruct(n, v)
	default:
		panic("flows: unsupported schema type " + v.Type().String())
	}
}

func (d *decoder) scalar(n *yaml.Node, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.probs.add(posOf(n), "expected %s here", want)
		return "", false
	}
	if n.Tag == "!!null" {
		return "", true
	}
	return n.Value, true
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.probs.add(posOf(n), "expected a block of keys (key: value) here")
		return
	}
	t := v.Type()
	meta := Meta{Pos: posOf(n), Fields: map[string]Pos{}}
	fields := map[string]int{}
	var known []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			fields[name] = i
			known = append(known, name)
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		idx, ok := fields[k.Value]
		if !ok {
			d.probs.add(posOf(k), "unknown key %q (expected one of: %s)", k.Value, strings.Join(known, ", "))
			continue
		}
		if _, dup := meta.Fields[k.Value]; dup {
			d.probs.add(posOf(k), "key %q is written twice", k.Value)
			continue
		}
		meta.Fields[k.Value] = posOf(val)
		if t.Field(idx).Tag.Get("yaml") == k.Value+",idmap" {
			d.decodeIDMap(val, v.Field(idx))
			continue
		}
		d.decode(val, v.Field(idx))
	}
	if f, ok := t.FieldByName("Meta"); ok && f.Type == metaType {
		v.FieldByIndex(f.Index).Set(reflect.ValueOf(meta))
	}
}

// decodeIDMap decodes a mapping of id -> struct into a slice of pointers,
// keeping file order and setting each element's ID (and IDPos) from its key.
func (d *decoder) decodeIDMap(n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.probs.add(posOf(n), "expected a block of named entries (name: ...) here")
		return
	}
	seen := map[string]Pos{}
	s := reflect.MakeSlice(v.Type(), 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if p, dup := seen[k.Value]; dup {
			d.probs.add(posOf(k), "duplicate id %q (first defined at line %d)", k.Value, p.Line)
			continue
		}
		seen[k.Value] = posOf(k)
		e := reflect.New(v.Type().Elem().Elem())
		e.Elem().FieldByName("ID").SetString(k.Value)
		e.Elem().FieldByName("IDPos").Set(reflect.ValueOf(posOf(k)))
		d.decode(val, e.Elem())
		s = reflect.Append(s, e)
	}
	v.Set(s)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxProblem turns a YAML syntax error into a positioned problem.
func syntaxProblem(err error) Problem {
	msg := err.Error()
	for _, line := range strings.Split(msg, "\n") {
		if m := yamlLine.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			l, _ := strconv.Atoi(m[1])
			return Problem{Pos: Pos{l, 1}, Msg: "syntax error: " + m[2]}
		}
	}
	return Problem{Pos: Pos{1, 1}, Msg: "syntax error: " + strings.TrimPrefix(msg, "yaml: ")}
}
