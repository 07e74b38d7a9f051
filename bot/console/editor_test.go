package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"suporte/bot"
	"suporte/store"
)

// editorEnv is env with the flows features on: a FlowSource over a copy
// of the fixture that tests may rewrite.
type editorEnv struct {
	*env
	src        *bot.FlowSource
	path       string // the live flows file
	sandboxDir string
}

func newEditorEnv(t *testing.T) *editorEnv {
	t.Helper()
	e := &env{backend: newBackend(t), t: t}
	dir := t.TempDir()
	path := filepath.Join(dir, "flows.yaml")
	if err := os.WriteFile(path, []byte(fixture(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := bot.NewFlowSource(e.ctx, path, e.db, zerolog.Nop(), e.clock)
	if err != nil {
		t.Fatal(err)
	}
	ee := &editorEnv{env: e, src: src, path: path, sandboxDir: t.TempDir()}
	s := e.console(Config{Flow: src.Current, Flows: src, SandboxDir: ee.sandboxDir})
	t.Cleanup(s.flowTests.closeAll)
	e.serve(s)
	return ee
}

func fixture(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(flowsFixture)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// edit returns the fixture with old replaced by new, which must occur.
func edit(t *testing.T, old, new string) string {
	t.Helper()
	src := fixture(t)
	if !strings.Contains(src, old) {
		t.Fatalf("the fixture has no %q", old)
	}
	return strings.Replace(src, old, new, 1)
}

const (
	menuText    = `text: "Sobre qual assunto você quer ajuda?"`
	newMenuText = `text: "Escolha um assunto (menu novo):"`
)

// lineOf is the 1-based line of the first occurrence of s in src.
func lineOf(t *testing.T, src, s string) int {
	t.Helper()
	i := strings.Index(src, s)
	if i < 0 {
		t.Fatalf("no %q in the source", s)
	}
	return strings.Count(src[:i], "\n") + 1
}

// problems is a 422 answer.
type problems struct {
	Error    string
	Problems []string
}

var problemRE = regexp.MustCompile(`^flows\.yaml:(\d+):(\d+): .+`)

func TestFlowsPermissions(t *testing.T) {
	e := newEditorEnv(t)
	e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 5)
	e.agent("edu@contaazul.com", "Edu", store.RoleEditor, 1)
	e.agent("sara@contaazul.com", "Sara", store.RoleSupervisor, 5)
	ana, edu, sara := e.login("ana@contaazul.com"), e.login("edu@contaazul.com"), e.login("sara@contaazul.com")

	editorOnly := []req{
		{method: "GET", path: "/api/flows"},
		{method: "POST", path: "/api/flows/reload"},
		{method: "GET", path: "/api/flows/source"},
		{method: "POST", path: "/api/flows/validate", body: map[string]any{"use_file": true}},
		{method: "GET", path: "/api/flows/tree"},
		{method: "POST", path: "/api/flows/test", body: map[string]any{"use_file": true}},
		{method: "POST", path: "/api/flows/test/abc/messages", body: map[string]any{"text": "oi"}},
		{method: "DELETE", path: "/api/flows/test/abc"},
	}
	for _, r := range editorOnly {
		r.token = ana
		if got := e.call(r); got.code != http.StatusForbidden {
			t.Errorf("agent %s %s: got %d %s; want 403", r.method, r.path, got.code, got.body)
		}
	}
	for _, tok := range []string{edu, sara} {
		e.must(200, req{method: "GET", path: "/api/flows", token: tok})
		e.must(200, req{method: "GET", path: "/api/flows/tree", token: tok})
	}
	e.must(http.StatusForbidden, req{method: "GET", path: "/api/report", token: edu})
	e.must(http.StatusForbidden, req{method: "GET", path: "/api/report", token: ana})
	e.must(200, req{method: "GET", path: "/api/report", token: sara})
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/api/flows"})
	// With the cookie, a POST needs the console's own header (CSRF).
	cookie := req{method: "POST", path: "/api/flows/reload", header: map[string]string{"Cookie": CookieName + "=" + edu}}
	e.must(http.StatusForbidden, cookie)

	// A console without a FlowSource has no flows features.
	plain := newEnv(t)
	plain.agent("edu@contaazul.com", "Edu", store.RoleEditor, 1)
	tok := plain.login("edu@contaazul.com")
	plain.must(http.StatusNotFound, req{method: "GET", path: "/api/flows", token: tok})
}

func TestFlowsStatusAndReload(t *testing.T) {
	e := newEditorEnv(t)
	e.agent("edu@contaazul.com", "Edu Lima", store.RoleEditor, 1)
	tok := e.login("edu@contaazul.com")

	type status struct {
		Path, Version string
		LoadedBy      string `json:"loaded_by"`
		Nodes         int
		Changed       bool
		Refused       *struct {
			By       string
			Problems []string
		}
		Versions []struct {
			Version  string
			LoadedBy string `json:"loaded_by"`
			Current  bool
		}
	}
	var st status
	e.must(200, req{method: "GET", path: "/api/flows", token: tok}).json(t, &st)
	v1 := e.src.Current().Version
	if st.Version != v1 || st.Path != e.path || st.Nodes != len(e.src.Current().Nodes()) || st.Refused != nil ||
		len(st.Versions) != 1 || !st.Versions[0].Current || st.LoadedBy != "startup" {
		t.Fatalf("GET /api/flows: got %+v", st)
	}

	// Saved without reloading: the console's button puts it in force.
	if err := os.WriteFile(e.path, []byte(edit(t, menuText, newMenuText)), 0o644); err != nil {
		t.Fatal(err)
	}
	e.must(200, req{method: "POST", path: "/api/flows/reload", token: tok}).json(t, &st)
	if st.Version == v1 || !st.Changed || st.LoadedBy != "console: Edu Lima" || len(st.Versions) != 2 ||
		!st.Versions[0].Current || st.Versions[1].Version != v1 || st.Versions[1].Current {
		t.Fatalf("reload: got %+v", st)
	}
	if got := e.src.Current().Node("inicio").Text.Value; got != "Escolha um assunto (menu novo):" {
		t.Errorf("menu text in force: %q", got)
	}
	v2 := st.Version

	// An invalid file is refused with its problems; the version stays.
	bad := edit(t, "goto: notas\n", "goto: notass\n")
	if err := os.WriteFile(e.path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	var p problems
	e.must(http.StatusUnprocessableEntity, req{method: "POST", path: "/api/flows/reload", token: tok}).json(t, &p)
	wantLine := lineOf(t, bad, "goto: notass")
	found := false
	for _, line := range p.Problems {
		m := problemRE.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("problem %q is not FILE:LINE:COL: message", line)
			continue
		}
		found = found || (m[1] == fmt.Sprint(wantLine) && strings.Contains(line, "notass"))
	}
	if !found || p.Error == "" {
		t.Errorf("refused reload: got %+v; want a problem at line %d naming notass", p, wantLine)
	}
	e.must(200, req{method: "GET", path: "/api/flows", token: tok}).json(t, &st)
	if st.Version != v2 || st.Refused == nil || st.Refused.By != "console: Edu Lima" || len(st.Refused.Problems) == 0 {
		t.Errorf("after a refusal: got %+v", st)
	}

	// The source of the live version and of a stored one.
	var src struct{ Name, Version, Source string }
	e.must(200, req{method: "GET", path: "/api/flows/source", token: tok}).json(t, &src)
	if src.Version != v2 || !strings.Contains(src.Source, newMenuText) || src.Name != "flows.yaml" {
		t.Errorf("source: got version %s name %s", src.Version, src.Name)
	}
	e.must(200, req{method: "GET", path: "/api/flows/source?version=" + v1, token: tok}).json(t, &src)
	if src.Version != v1 || !strings.Contains(src.Source, menuText) {
		t.Errorf("source of %s: got version %s", v1, src.Version)
	}
	e.must(http.StatusNotFound, req{method: "GET", path: "/api/flows/source?version=nada", token: tok})
	// The file saved on the server, refused or not.
	e.must(200, req{method: "GET", path: "/api/flows/source?file=1", token: tok}).json(t, &src)
	if src.Source != bad || src.Version != "" {
		t.Errorf("source of the file: got version %q, %d bytes; want the refused file", src.Version, len(src.Source))
	}
}

func TestFlowsValidate(t *testing.T) {
	e := newEditorEnv(t)
	e.agent("edu@contaazul.com", "Edu", store.RoleEditor, 1)
	tok := e.login("edu@contaazul.com")
	post := func(body any) resp {
		return e.call(req{method: "POST", path: "/api/flows/validate", token: tok, body: body})
	}

	syntax := edit(t, "menu: inicio\n", "menu: [inicio\n")
	dangling := edit(t, "goto: notas\n", "goto: notass\n")
	tests := []struct {
		name   string
		source string
		line   int
	}{
		{"yaml syntax", syntax, lineOf(t, syntax, "menu: [inicio")},
		{"dangling target", dangling, lineOf(t, dangling, "goto: notass")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := post(map[string]any{"source": tt.source})
			var p problems
			res.json(t, &p)
			if res.code != http.StatusUnprocessableEntity || len(p.Problems) == 0 {
				t.Fatalf("got %d %s; want 422 with problems", res.code, res.body)
			}
			lines := []string{}
			for _, l := range p.Problems {
				m := problemRE.FindStringSubmatch(l)
				if m == nil {
					t.Fatalf("problem %q is not flows.yaml:LINE:COL: message", l)
				}
				lines = append(lines, m[1])
			}
			// The YAML parser may place a syntax error a line off the
			// broken one; a validation problem points at its value.
			near := false
			for _, l := range lines {
				var n int
				fmt.Sscan(l, &n)
				near = near || (n >= tt.line-1 && n <= tt.line+1)
			}
			if !near {
				t.Errorf("problems %q; want one at line %d", p.Problems, tt.line)
			}
		})
	}

	t.Run("too big", func(t *testing.T) {
		big := fixture(t) + "\n#" + strings.Repeat("x", maxSource) + "\n"
		if got := post(map[string]any{"source": big}); got.code != http.StatusRequestEntityTooLarge {
			t.Errorf("got %d %s; want 413", got.code, got.body)
		}
		huge := `{"source": "` + strings.Repeat("x", maxSourceBody) + `"}`
		if got := post(huge); got.code != http.StatusRequestEntityTooLarge {
			t.Errorf("body over the limit: got %d; want 413", got.code)
		}
	})
	t.Run("bad requests", func(t *testing.T) {
		for _, body := range []any{
			map[string]any{},
			map[string]any{"source": "x", "use_file": true},
			map[string]any{"source": 3},
			map[string]any{"sauce": "x"},
			"not json",
		} {
			if got := post(body); got.code != http.StatusBadRequest {
				t.Errorf("%v: got %d %s; want 400", body, got.code, got.body)
			}
		}
	})
	t.Run("changed menu", func(t *testing.T) {
		var v struct {
			Valid, Same bool
			Version     string
			Changes     []struct{ Op, Path, Old, New string }
		}
		res := post(map[string]any{"source": edit(t, menuText, newMenuText)})
		if res.code != 200 {
			t.Fatalf("got %d %s", res.code, res.body)
		}
		res.json(t, &v)
		if !v.Valid || v.Same || len(v.Changes) != 1 || v.Changes[0].Op != "~" || v.Changes[0].Path != "node inicio text" ||
			v.Changes[0].New != "Escolha um assunto (menu novo):" {
			t.Errorf("got %+v", v)
		}
		post(map[string]any{"use_file": true}).json(t, &v)
		if !v.Valid || !v.Same || len(v.Changes) != 0 {
			t.Errorf("the file in force: got %+v", v)
		}
	})
}

// testReply is an answer of the test conversation endpoints.
type testReply struct {
	Session   string
	Version   string
	Open      bool
	State     string
	Node      string
	NodeTitle string `json:"node_title"`
	Replies   []struct {
		Text    string
		Options []struct{ Key, Label string }
	}
	Route *routeJSON
	Check *struct {
		Changes []struct{ Op, Path string }
	}
}

func (r testReply) text() string {
	var b strings.Builder
	for _, m := range r.Replies {
		b.WriteString(m.Text)
		b.WriteString("\n")
	}
	return b.String()
}

func TestFlowsTestConversation(t *testing.T) {
	e := newEditorEnv(t)
	e.agent("edu@contaazul.com", "Edu", store.RoleEditor, 1)
	e.agent("sara@contaazul.com", "Sara", store.RoleSupervisor, 5)
	tok, sara := e.login("edu@contaazul.com"), e.login("sara@contaazul.com")

	var start testReply
	res := e.must(http.StatusCreated, req{method: "POST", path: "/api/flows/test", token: tok,
		body: map[string]any{"source": edit(t, menuText, newMenuText)}})
	res.json(t, &start)
	if start.Session == "" || !start.Open || start.Check == nil || len(start.Check.Changes) != 1 || len(start.Replies) != 0 {
		t.Fatalf("start: got %s", res.body)
	}
	if entries, _ := os.ReadDir(e.sandboxDir); len(entries) != 1 {
		t.Fatalf("sandbox folders: %d; want 1", len(entries))
	}
	path := "/api/flows/test/" + start.Session + "/messages"
	say := func(text string) testReply {
		t.Helper()
		var r testReply
		e.must(200, req{method: "POST", path: path, token: tok, body: map[string]string{"text": text}}).json(t, &r)
		return r
	}

	r := say("oi")
	if !strings.Contains(r.text(), "ID Suporte") {
		t.Errorf("greeting: got %q; want the ID Suporte question", r.text())
	}
	r = say("12345678")
	last := r.Replies[len(r.Replies)-1]
	if !strings.Contains(r.text(), "Escolha um assunto (menu novo):") || strings.Contains(r.text(), "Sobre qual assunto") {
		t.Errorf("menu after the ID: got %q; want the candidate's new menu text", r.text())
	}
	if len(last.Options) != 8 || last.Options[0].Key != "1" || last.Options[0].Label != "Notas fiscais" || r.Node != "inicio" {
		t.Errorf("menu options: got %+v at node %q", last.Options, r.Node)
	}
	r = say(last.Options[0].Key) // a click on the chip sends its key
	if r.Node != "notas" || r.NodeTitle != "Notas fiscais" || !strings.Contains(r.text(), "notas fiscais") {
		t.Errorf("option 1: got node %q (%q), %q", r.Node, r.NodeTitle, r.text())
	}
	if r.Route == nil || r.Route.Answer != "option" || r.Route.Option != 1 || r.Route.Menu != "inicio" {
		t.Errorf("option 1 explained as %+v; want option 1 of inicio", r.Route)
	}
	// Free text at a menu comes with how the bot read it.
	r = say("esqueci minha snha")
	if r.Node != "acesso" {
		t.Errorf("free text: got node %q; want acesso", r.Node)
	}
	if x := r.Route; x == nil || x.Answer != "go" || x.Menu != "notas" || len(x.Nodes) != 1 || x.Nodes[0].ID != "acesso" ||
		len(x.Ranking) == 0 || x.Ranking[0].ID != "acesso" || x.Ranking[0].Score <= 0 ||
		!slices.ContainsFunc(x.Ranking[0].Matches, func(m routeMatchJSON) bool { return m.Word == "snha" && m.How == "typo" && m.Term == "senha" }) {
		t.Errorf("free text explained as %+v; want acesso with the typo named", x)
	}
	if r = say("1"); r.Route != nil {
		t.Errorf("an answer outside a menu explained as %+v; want nothing", r.Route)
	}
	r = say("menu")
	// The live flows never saw any of it.
	if e.src.Current().Node("inicio").Text.Value != "Sobre qual assunto você quer ajuda?" {
		t.Error("the test changed the live flows")
	}
	if ts := e.tr.texts(sandboxChat); len(ts) != 0 {
		t.Errorf("the live transport got %q", ts)
	}

	// Only the one who started it may use it.
	e.must(http.StatusNotFound, req{method: "POST", path: path, token: sara, body: map[string]string{"text": "1"}})
	e.must(http.StatusNotFound, req{method: "DELETE", path: "/api/flows/test/" + start.Session, token: sara})
	e.must(http.StatusBadRequest, req{method: "POST", path: path, token: tok, body: map[string]string{"text": "  "}})
	e.must(http.StatusBadRequest, req{method: "POST", path: path, token: tok, body: map[string]string{"text": "1", "wait": "ontem"}})

	// Waiting fires the inactivity reminder.
	var w testReply
	e.must(200, req{method: "POST", path: path, token: tok, body: map[string]string{"wait": "11m"}}).json(t, &w)
	if !strings.Contains(w.text(), "Ainda está por aí?") {
		t.Errorf("after 11 minutes: got %q; want the reminder", w.text())
	}

	e.must(200, req{method: "DELETE", path: "/api/flows/test/" + start.Session, token: tok})
	e.must(http.StatusNotFound, req{method: "POST", path: path, token: tok, body: map[string]string{"text": "1"}})
	e.must(http.StatusNotFound, req{method: "DELETE", path: "/api/flows/test/" + start.Session, token: tok})
	if entries, _ := os.ReadDir(e.sandboxDir); len(entries) != 0 {
		t.Errorf("sandbox folders left: %d", len(entries))
	}

	// An invalid candidate opens no test.
	var p problems
	e.must(http.StatusUnprocessableEntity, req{method: "POST", path: "/api/flows/test", token: tok,
		body: map[string]any{"source": edit(t, "goto: notas\n", "goto: notass\n")}}).json(t, &p)
	if len(p.Problems) == 0 || e.s.flowTests.count() != 0 {
		t.Errorf("invalid candidate: %+v, %d tests open", p, e.s.flowTests.count())
	}
}

func TestFlowsTestOutOfHours(t *testing.T) {
	e := newEditorEnv(t)
	e.agent("edu@contaazul.com", "Edu", store.RoleEditor, 1)
	tok := e.login("edu@contaazul.com")
	var start testReply
	e.must(http.StatusCreated, req{method: "POST", path: "/api/flows/test", token: tok,
		body: map[string]any{"use_file": true, "at": "2026-11-24T21:30:00-03:00"}}).json(t, &start)
	if start.Open {
		t.Fatalf("21:30 on a Tuesday: open")
	}
	path := "/api/flows/test/" + start.Session + "/messages"
	var r testReply
	for _, text := range []string{"oi", "12345678", "atendente"} {
		e.must(200, req{method: "POST", path: path, token: tok, body: map[string]string{"text": text}}).json(t, &r)
	}
	if !strings.Contains(r.text(), "Agora estamos fora desse horário") {
		t.Errorf("a handoff out of hours: got %q", r.text())
	}
	e.must(http.StatusBadRequest, req{method: "POST", path: "/api/flows/test", token: tok,
		body: map[string]any{"use_file": true, "at": "amanhã"}})
}

func TestFlowsTestLimits(t *testing.T) {
	e := newEditorEnv(t)
	e.agent("edu@contaazul.com", "Edu", store.RoleEditor, 1)
	tok := e.login("edu@contaazul.com")
	startAs := func(tok string) resp {
		t.Helper()
		return e.call(req{method: "POST", path: "/api/flows/test", token: tok, body: map[string]any{"use_file": true}})
	}
	start := func(tok string) testReply {
		t.Helper()
		res := startAs(tok)
		if res.code != http.StatusCreated {
			t.Fatalf("start: got %d %s; want 201", res.code, res.body)
		}
		var r testReply
		res.json(t, &r)
		return r
	}
	say := func(tok string, sb testReply) int {
		return e.call(req{method: "POST", path: "/api/flows/test/" + sb.Session + "/messages", token: tok, body: map[string]string{"text": "oi"}}).code
	}

	// One person never locks themselves out: a page reloaded again and
	// again leaves tests behind, and one more ends their least recently
	// used.
	var edu []testReply
	for range maxSandboxes + 2 {
		edu = append(edu, start(tok))
	}
	if n := e.s.flowTests.count(); n != maxAgentSandboxes {
		t.Fatalf("open tests after %d starts by one person: %d; want %d", maxSandboxes+2, n, maxAgentSandboxes)
	}
	for i, sb := range edu {
		want := http.StatusNotFound
		if i >= len(edu)-maxAgentSandboxes {
			want = http.StatusOK
		}
		if got := say(tok, sb); got != want {
			t.Errorf("message in test %d of %d: got %d; want %d", i+1, len(edu), got, want)
		}
	}
	e.clock.Advance(time.Minute)
	older := edu[len(edu)-maxAgentSandboxes]
	if got := say(tok, older); got != http.StatusOK { // now the most recently used
		t.Fatalf("message in the older open test: got %d; want 200", got)
	}
	newer := start(tok)
	if got := say(tok, older); got != http.StatusOK {
		t.Errorf("the test just used, after one more started: got %d; want 200 (the one unused since should have ended)", got)
	}
	if got := say(tok, edu[len(edu)-1]); got != http.StatusNotFound {
		t.Errorf("the test unused longest, after one more started: got %d; want 404", got)
	}
	if entries, _ := os.ReadDir(e.sandboxDir); len(entries) != maxAgentSandboxes {
		t.Errorf("sandbox folders: %d; want %d", len(entries), maxAgentSandboxes)
	}
	e.must(200, req{method: "DELETE", path: "/api/flows/test/" + older.Session, token: tok})
	e.must(200, req{method: "DELETE", path: "/api/flows/test/" + newer.Session, token: tok})

	// The console's cap holds everyone's tests: a person with none open
	// is refused, and told why; one with tests of their own ends their
	// oldest instead.
	var toks []string
	for i := 0; len(toks)*maxAgentSandboxes < maxSandboxes; i++ {
		email := fmt.Sprintf("editor%d@contaazul.com", i)
		e.agent(email, fmt.Sprintf("Editor %d", i), store.RoleEditor, 1)
		toks = append(toks, e.login(email))
		for range maxAgentSandboxes {
			start(toks[i])
		}
	}
	if n := e.s.flowTests.count(); n != maxSandboxes {
		t.Fatalf("open tests: %d; want %d", n, maxSandboxes)
	}
	res := startAs(tok)
	if res.code != http.StatusTooManyRequests || !strings.Contains(res.errMsg(t), "abertos por outras pessoas") {
		t.Fatalf("a test beyond the console's cap: got %d %s; want 429 saying the tests are others'", res.code, res.body)
	}
	start(toks[0])
	if n := e.s.flowTests.count(); n != maxSandboxes {
		t.Fatalf("open tests after one more by someone at the cap: %d; want %d", n, maxSandboxes)
	}
	e.s.flowTests.closeAll()
	first := start(tok)
	start(toks[0])

	// Used ones stay; idle ones close after sandboxIdle.
	e.clock.Advance(sandboxIdle - time.Minute)
	e.must(200, req{method: "POST", path: "/api/flows/test/" + first.Session + "/messages", token: tok, body: map[string]string{"text": "oi"}})
	e.clock.Advance(2 * time.Minute)
	e.s.sweep(e.ctx)
	if n := e.s.flowTests.count(); n != 1 {
		t.Fatalf("open tests after the idle ones expired: %d; want 1", n)
	}
	if entries, _ := os.ReadDir(e.sandboxDir); len(entries) != 1 {
		t.Errorf("sandbox folders: %d; want 1", len(entries))
	}
	e.must(http.StatusCreated, req{method: "POST", path: "/api/flows/test", token: tok, body: map[string]any{"use_file": true}})

	// The console's end closes them all.
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	if err := e.s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(e.sandboxDir); len(entries) != 0 || e.s.flowTests.count() != 0 {
		t.Errorf("after Run: %d folders, %d tests", len(entries), e.s.flowTests.count())
	}
}

// seedTrails stores finished conversations with their last trail, as the
// runtime leaves them, one day before the env's clock: solved ones closed
// by the bot, toPerson ones queued and taken by an Encantador 5 minutes
// later, the rest left. ratings go to the first conversations.
func (e *env) seedTrails(topic string, reached, solved, toPerson int, ratings ...int) {
	e.t.Helper()
	at := e.clock.Now().Add(-24 * time.Hour)
	err := e.db.Update(e.ctx, func(tx *store.Tx) error {
		for i := range reached {
			e.n++
			tk := store.Ticket{Chat: fmt.Sprint("seed-", e.n), Requester: "Cliente", Topic: topic, Status: store.StatusResolvido,
				CreatedAt: at, LastActivityAt: at, ClosedAt: at.Add(time.Minute), CloseReason: "encerrado_pelo_cliente"}
			queued := i >= solved && i < solved+toPerson
			switch {
			case i < solved:
				tk.CloseReason = store.CloseSolvedByBot
			case queued:
				tk.QueuedAt, tk.ClaimedAt = at.Add(time.Minute), at.Add(6*time.Minute)
				tk.ClosedAt, tk.CloseReason = at.Add(20*time.Minute), store.CloseSolvedByAgent
			}
			id, err := putTicket(e.ctx, tx, tk)
			if err != nil {
				return err
			}
			if queued {
				ev := store.TicketEvent{Ticket: id, At: tk.QueuedAt, Kind: "system", Actor: "bot", Text: store.NoteQueueEntered}
				if _, err := tx.AddTicketEvent(e.ctx, ev); err != nil {
					return err
				}
			}
			if i < len(ratings) {
				if err := tx.PutFeedback(e.ctx, store.Feedback{Ticket: id, Chat: tk.Chat, Rating: ratings[i], Topic: topic, At: at}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func TestFlowsTree(t *testing.T) {
	e := newEditorEnv(t)
	e.agent("edu@contaazul.com", "Edu", store.RoleEditor, 1)
	tok := e.login("edu@contaazul.com")
	e.seedTrails("notas-nfe", 4, 3, 1, 5, 4)
	e.seedTrails("notas-rejeitada", 2, 0, 2)
	e.seedTrails("boletos-enviar", 1, 1, 0)
	e.seedTrails("trilha-antiga", 3, 1, 0) // no longer in the flows
	e.say("5547999990031", "oi", "12345678", "Kkkk", "quem ganhou o jogo?", "kkkk!!", "Quero cancelar!", "3", "quero cancelar")

	type edge struct {
		Option    int
		Label, To string
		Tree      bool
	}
	type node struct {
		ID, Type, Title, Parent string
		Depth, Line             int
		Children                []edge
		Trail                   *struct {
			Reached, Solved int
			ToPerson        int `json:"to_person"`
			Deflection      float64
			Rated           int
			CSAT            float64
		}
		Menu *struct {
			Reached, Solved, Trails int
			ToPerson                int `json:"to_person"`
		}
	}
	var tree struct {
		Version, Root, From, To string
		Nodes                   []node
		Gone                    []struct {
			Topic   string
			Reached int
		}
		Totals    struct{ Conversations, Reached, Solved int }
		Unmatched []struct {
			Text  string
			Count int
		}
		Asked []struct {
			Text        string
			Asked       []string
			Chosen      string
			ChosenTitle string `json:"chosen_title"`
			Count       int
		}
	}
	e.must(200, req{method: "GET", path: "/api/flows/tree", token: tok}).json(t, &tree)
	if u := tree.Unmatched; len(u) != 2 || u[0].Text != "kkkk" || u[0].Count != 2 || u[1].Text != "quem ganhou o jogo" || u[1].Count != 1 {
		t.Errorf("phrases not understood: got %+v; want kkkk twice, then the other", u)
	}
	// Asked twice: "Outro assunto" once, then left unanswered.
	ask := []string{"Cancelar ou corrigir nota", "Plano e assinatura"}
	if a := tree.Asked; len(a) != 2 || a[0].Text != "quero cancelar" || !slices.Equal(a[0].Asked, ask) || a[1].Text != "quero cancelar" ||
		a[0].Chosen != store.NoneChosen || a[1].Chosen != store.NoAnswer || a[0].ChosenTitle+a[1].ChosenTitle != "" {
		t.Errorf("phrases asked about: got %+v; want quero cancelar answered with none of them, then unanswered", a)
	}
	by := map[string]node{}
	for _, n := range tree.Nodes {
		by[n.ID] = n
	}
	if tree.Root != "inicio" || tree.From != "2026-10-26" || tree.To != "2026-11-24" || len(tree.Nodes) != len(e.src.Current().Nodes()) {
		t.Fatalf("tree: root %q, %s to %s, %d nodes", tree.Root, tree.From, tree.To, len(tree.Nodes))
	}
	nfe := by["notas-nfe"]
	if nfe.Trail == nil || nfe.Trail.Reached != 4 || nfe.Trail.Solved != 3 || nfe.Trail.ToPerson != 1 ||
		nfe.Trail.Deflection != 0.75 || nfe.Trail.Rated != 2 || nfe.Trail.CSAT != 4.5 || nfe.Parent != "notas" || nfe.Depth != 2 {
		t.Errorf("notas-nfe: got %+v %+v", nfe, nfe.Trail)
	}
	if n := by["notas-nfse"]; n.Trail == nil || n.Trail.Reached != 0 {
		t.Errorf("a trail nobody reached: got %+v", n.Trail)
	}
	// Menus sum the trails drawn below them.
	if m := by["notas"].Menu; m == nil || m.Reached != 6 || m.Solved != 3 || m.ToPerson != 3 || m.Trails != 4 {
		t.Errorf("notas menu: got %+v", m)
	}
	if m := by["boletos"].Menu; m == nil || m.Reached != 1 || m.Solved != 1 {
		t.Errorf("boletos menu (a trail reached through another's next): got %+v", m)
	}
	if m := by["inicio"].Menu; m == nil || m.Reached != 7 || m.Solved != 4 {
		t.Errorf("main menu: got %+v", m)
	}
	if n := by["boletos-enviar"]; n.Parent != "boletos" {
		t.Errorf("boletos-enviar is drawn under %q; want boletos (its menu reaches it first)", n.Parent)
	}
	// Every node is drawn once; the other edges to it are links.
	drawn := map[string]int{}
	for _, n := range tree.Nodes {
		for _, c := range n.Children {
			if c.Tree {
				drawn[c.To]++
			}
		}
	}
	for _, n := range tree.Nodes {
		if want := map[bool]int{true: 0, false: 1}[n.ID == "inicio"]; drawn[n.ID] != want {
			t.Errorf("%s drawn %d times under a parent; want %d", n.ID, drawn[n.ID], want)
		}
	}
	if next := by["boletos-emitir"].Children; len(next) != 1 || next[0].To != "boletos-enviar" || next[0].Tree || next[0].Option != 0 {
		t.Errorf("boletos-emitir's next: got %+v; want a link to boletos-enviar", next)
	}
	if by["atendente"].Type != "handoff" || by["meus-chamados"].Type != "tickets" {
		t.Errorf("types: atendente %s, meus-chamados %s", by["atendente"].Type, by["meus-chamados"].Type)
	}
	if len(tree.Gone) != 1 || tree.Gone[0].Topic != "trilha-antiga" || tree.Gone[0].Reached != 3 {
		t.Errorf("gone trails: got %+v", tree.Gone)
	}
	// The seeded trails' ten conversations, and the one still at the menu.
	if tree.Totals.Conversations != 11 || tree.Totals.Reached != 10 || tree.Totals.Solved != 5 {
		t.Errorf("totals: got %+v", tree.Totals)
	}
	if by["inicio"].Line != lineOf(t, fixture(t), "  inicio:") {
		t.Errorf("inicio line %d", by["inicio"].Line)
	}

	// An empty range has the tree without figures.
	e.must(200, req{method: "GET", path: "/api/flows/tree?from=2026-11-24&to=2026-11-24", token: tok}).json(t, &tree)
	for _, n := range tree.Nodes {
		if n.Trail != nil && n.Trail.Reached != 0 {
			t.Errorf("%s reached %d today", n.ID, n.Trail.Reached)
		}
	}
	e.must(http.StatusBadRequest, req{method: "GET", path: "/api/flows/tree?from=ontem", token: tok})
}

// TestFlowsEvent: a supervisor's stream carries the flows' status beside
// the tickets' events (an editor's, the former only: claim_test.go).
func TestFlowsEvent(t *testing.T) {
	e := newEditorEnv(t)
	e.agent("sara@contaazul.com", "Sara", store.RoleSupervisor, 1)
	tok := e.login("sara@contaazul.com")

	next := e.events(tok)
	next("hello")

	// Saving an invalid file (the watcher would reload it): the editors
	// and supervisors hear at once.
	if err := os.WriteFile(e.path, []byte(edit(t, "goto: notas\n", "goto: notass\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.src.Reload(e.ctx, "file change"); err == nil {
		t.Fatal("the invalid file was accepted")
	}
	var st bot.FlowStatus
	if err := json.Unmarshal([]byte(next("flows")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Refused == nil || st.Refused.By != "file change" || len(st.Refused.Problems) == 0 || !problemRE.MatchString(st.Refused.Problems[0]) {
		t.Errorf("flows event: got %+v", st)
	}
	// The usual events still come through the same stream.
	e.customer("c1")
	next("queue")
	// And the fix clears the refusal.
	if err := os.WriteFile(e.path, []byte(fixture(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.src.Reload(e.ctx, "file change"); err != nil {
		t.Fatal(err)
	}
	st = bot.FlowStatus{}
	if err := json.Unmarshal([]byte(next("flows")), &st); err != nil || st.Refused != nil {
		t.Errorf("flows event after the fix: %+v, %v", st, err)
	}
}
