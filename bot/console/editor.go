package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"suporte/bot"
	"suporte/bot/web"
	"suporte/flows"
	"suporte/store"
)

// The content editors' side of the console: the live flows' status and
// reload, the stored versions, the trail tree with its figures
// (editor_tree.go), test conversations against a candidate file
// (editor_sandbox.go) and the "flows" live event (editor_events.go).
// Editors and supervisors use them; without Config.Flows they answer 404.

// maxSource bounds a candidate flows.yaml sent by an editor.
const maxSource = flows.MaxSize

// maxSourceBody bounds the JSON body carrying it: escaping makes the
// JSON a little longer than the file.
const maxSourceBody = 2*maxSource + 4<<10

// flowVersionsShown is how many stored versions GET /api/flows lists.
const flowVersionsShown = 20

// canEdit tells whether an agent may use the editors' features.
func canEdit(a store.Agent) bool { return a.Role == store.RoleEditor || a.Role == store.RoleSupervisor }

// editor lets a request through when the flows features are on and its
// agent is an editor or a supervisor.
func (s *Server) editor(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Flows == nil {
			writeError(w, http.StatusNotFound, "Os fluxos não podem ser editados por este console.")
			return
		}
		if !canEdit(current(r).agent) {
			writeError(w, http.StatusForbidden, "Só editores de conteúdo e supervisores mexem nos fluxos.")
			return
		}
		next(w, r)
	}
}

// currentFlow is the flows in force.
func (s *Server) currentFlow() *flows.Flow {
	if s.cfg.Flows != nil {
		return s.cfg.Flows.Current()
	}
	if s.cfg.Flow != nil {
		return s.cfg.Flow()
	}
	return nil
}

type refusalJSON struct {
	At       jsonTime `json:"at"`
	By       string   `json:"by"`
	Problems []string `json:"problems"` // FILE:LINE:COL: message
}

type flowVersionJSON struct {
	Version  string   `json:"version"`
	LoadedAt jsonTime `json:"loaded_at"`
	LoadedBy string   `json:"loaded_by"`
	Current  bool     `json:"current"`
}

// flowsJSON is GET /api/flows: the version in force, the last refused
// one (if the file on disk is still refused) and the recent versions.
type flowsJSON struct {
	Path     string            `json:"path"`
	Version  string            `json:"version"`
	LoadedAt jsonTime          `json:"loaded_at"`
	LoadedBy string            `json:"loaded_by"`
	Nodes    int               `json:"nodes"`
	Refused  *refusalJSON      `json:"refused"`
	Versions []flowVersionJSON `json:"versions"`
}

func (s *Server) flowsStatus(ctx context.Context) (flowsJSON, error) {
	st := s.cfg.Flows.Status()
	out := flowsJSON{Path: st.Path, Version: st.Version, LoadedAt: jsonTime(st.LoadedAt), LoadedBy: st.LoadedBy, Versions: []flowVersionJSON{}}
	if fl := s.cfg.Flows.Current(); fl != nil {
		out.Nodes = len(fl.Nodes())
	}
	out.Refused = refusalOut(st)
	var vs []store.FlowVersion
	err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		vs, err = tx.FlowVersions(ctx, flowVersionsShown)
		return err
	})
	if err != nil {
		return flowsJSON{}, err
	}
	seen := false
	for _, v := range vs {
		cur := !seen && v.Version == st.Version
		seen = seen || cur
		out.Versions = append(out.Versions, flowVersionJSON{Version: v.Version, LoadedAt: jsonTime(v.LoadedAt), LoadedBy: v.LoadedBy, Current: cur})
	}
	return out, nil
}

// refusalOut is the status' refusal, its problems named by the file's
// base name as the console's other answers name them.
func refusalOut(st bot.FlowStatus) *refusalJSON {
	r := st.Refused
	if r == nil {
		return nil
	}
	out := &refusalJSON{At: jsonTime(r.At), By: r.By, Problems: make([]string, len(r.Problems))}
	for i, p := range r.Problems {
		if rest, ok := strings.CutPrefix(p, st.Path+":"); ok && st.Path != "" {
			p = filepath.Base(st.Path) + ":" + rest
		}
		out.Problems[i] = p
	}
	return out
}

// flowsEventJSON is the data of a "flows" event.
type flowsEventJSON struct {
	Version  string       `json:"version"`
	LoadedAt jsonTime     `json:"loaded_at"`
	LoadedBy string       `json:"loaded_by"`
	Refused  *refusalJSON `json:"refused"`
}

func flowsEventOut(st bot.FlowStatus) flowsEventJSON {
	return flowsEventJSON{Version: st.Version, LoadedAt: jsonTime(st.LoadedAt), LoadedBy: st.LoadedBy, Refused: refusalOut(st)}
}

func (s *Server) handleFlows(w http.ResponseWriter, r *http.Request) {
	out, err := s.flowsStatus(r.Context())
	if err != nil {
		s.respond(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// reloadJSON answers a reload: the status afterwards and whether the
// version in force changed.
type reloadJSON struct {
	flowsJSON
	Changed bool `json:"changed"`
}

// handleFlowsReload reads flows.yaml again now, as saving it would: a
// valid file goes live, an invalid one is refused (422 with its problems)
// and the running version stays.
func (s *Server) handleFlowsReload(w http.ResponseWriter, r *http.Request) {
	if err := drain(w, r); err != nil {
		s.respond(w, r, err)
		return
	}
	sess := current(r)
	before := s.cfg.Flows.Status().Version
	// A reload is not undone when the editor closes the tab.
	ctx := context.WithoutCancel(r.Context())
	err := s.cfg.Flows.Reload(ctx, "console: "+sess.agent.Name)
	if err != nil {
		s.log.Info().Int64("agent", sess.agent.ID).Msg("flows reload from the console refused")
		s.respondFlows(w, r, err)
		return
	}
	out, err := s.flowsStatus(ctx)
	if err != nil {
		s.respond(w, r, err)
		return
	}
	s.log.Info().Int64("agent", sess.agent.ID).Str("version", out.Version).Bool("changed", out.Version != before).Msg("flows reloaded from the console")
	writeJSON(w, http.StatusOK, reloadJSON{flowsJSON: out, Changed: out.Version != before})
}

type sourceJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Source  string `json:"source"`
}

// handleFlowsSource gives the text of the version in force, of a stored
// one (?version=), or of the file saved on the server (?file=1, maybe
// not in force: refused or not reloaded yet), for editors to read and test.
func (s *Server) handleFlowsSource(w http.ResponseWriter, r *http.Request) {
	fl := s.cfg.Flows.Current()
	name := s.sourceName()
	if r.URL.Query().Get("file") == "1" {
		src, err := readSource(s.cfg.Flows.Status().Path)
		if err != nil {
			s.log.Warn().Err(err).Msg("read flows file for the console")
			writeError(w, http.StatusConflict, "Não foi possível ler o arquivo de fluxos no servidor.")
			return
		}
		writeJSON(w, http.StatusOK, sourceJSON{Name: name, Source: src})
		return
	}
	v := r.URL.Query().Get("version")
	if v == "" || v == fl.Version {
		writeJSON(w, http.StatusOK, sourceJSON{Name: name, Version: fl.Version, Source: string(fl.Source)})
		return
	}
	ctx := r.Context()
	var fv store.FlowVersion
	err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		fv, err = tx.FlowVersionByHash(ctx, v)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "Versão dos fluxos não encontrada.")
		return
	}
	if err != nil {
		s.respond(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sourceJSON{Name: name, Version: fv.Version, Source: fv.Content})
}

// readSource reads a flows file of at most maxSource bytes.
func readSource(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSource+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxSource {
		return "", fmt.Errorf("%s is larger than %d bytes", path, maxSource)
	}
	return string(b), nil
}

// sourceName names a candidate file in problem positions: the live
// file's name, so line numbers read the same as the running service's.
func (s *Server) sourceName() string {
	if p := s.cfg.Flows.Status().Path; p != "" {
		return filepath.Base(p)
	}
	return "flows.yaml"
}

// candidateRequest names a candidate flows file: pasted text, or the
// file on disk as it is now (saved but maybe not loaded).
type candidateRequest struct {
	Source  string `json:"source"`
	UseFile bool   `json:"use_file"`
	At      string `json:"at"` // the test clock's start, RFC3339; only for tests
}

// decodeCandidate reads a candidateRequest: a body of at most
// maxSourceBody bytes, a source of at most maxSource.
func decodeCandidate(w http.ResponseWriter, r *http.Request) (candidateRequest, error) {
	var req candidateRequest
	tooBig := fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("O arquivo de fluxos pode ter no máximo %d KiB.", maxSource>>10))
	web.LimitBody(w, r, maxSourceBody)
	body, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return req, tooBig
	}
	if web.TimedOut(err) {
		return req, fail(http.StatusRequestTimeout, "O conteúdo da requisição demorou demais para chegar.")
	}
	if err != nil {
		return req, fail(http.StatusBadRequest, "Não foi possível ler o pedido.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, badJSON(err)
	}
	if len(req.Source) > maxSource {
		return req, tooBig
	}
	if req.UseFile == (req.Source != "") {
		return req, fail(http.StatusBadRequest, "Cole o conteúdo do flows.yaml em source, ou peça o arquivo do servidor com use_file.")
	}
	return req, nil
}

// candidate parses and validates the file a request names. The error is
// a *flows.Problems when the file is invalid.
func (s *Server) candidate(req candidateRequest) (*flows.Flow, error) {
	if !req.UseFile {
		fl, err := flows.Parse(strings.NewReader(req.Source), s.sourceName())
		if err != nil {
			return nil, err
		}
		// Attachments are files beside the flows file on the server.
		if p := s.cfg.Flows.Status().Path; p != "" {
			err = fl.CheckAttachments(os.DirFS(filepath.Dir(p)))
		}
		return fl, err
	}
	path := s.cfg.Flows.Status().Path
	fl, err := flows.Load(path)
	var probs *flows.Problems
	if err != nil && !errors.As(err, &probs) {
		s.log.Warn().Err(err).Str("file", path).Msg("read flows for a test")
		return nil, fail(http.StatusConflict, "Não foi possível ler o arquivo de fluxos no servidor.")
	}
	if probs != nil {
		probs.File = filepath.Base(probs.File)
	}
	return fl, err
}

// problemsJSON is the 422 answer for an invalid flows file.
type problemsJSON struct {
	Error    string   `json:"error"`
	Problems []string `json:"problems"` // FILE:LINE:COL: message
}

// respondFlows answers an invalid flows file with its problems, anything
// else as respond does.
func (s *Server) respondFlows(w http.ResponseWriter, r *http.Request, err error) {
	var probs *flows.Problems
	if !errors.As(err, &probs) {
		var he *httpError
		if !errors.As(err, &he) {
			// The file could not be read or recorded (FlowSource logged
			// why): say so, not "internal error".
			writeError(w, http.StatusConflict, "Não foi possível ler ou registrar o arquivo de fluxos no servidor. Veja o log do serviço.")
			return
		}
		s.respond(w, r, err)
		return
	}
	named := *probs
	named.File = filepath.Base(named.File)
	lines := strings.Split(named.Error(), "\n") // one per problem: messages have their newlines escaped
	msg := "O arquivo tem 1 problema."
	if len(lines) != 1 {
		msg = fmt.Sprintf("O arquivo tem %d problemas.", len(lines))
	}
	writeJSON(w, http.StatusUnprocessableEntity, problemsJSON{Error: msg, Problems: lines})
}

type changeJSON struct {
	Op   string `json:"op"` // "+", "-" or "~"
	Path string `json:"path"`
	Old  string `json:"old,omitempty"`
	New  string `json:"new,omitempty"`
}

// validateJSON answers a valid candidate: what it would change.
type validateJSON struct {
	Valid   bool         `json:"valid"`
	Version string       `json:"version"`
	Nodes   int          `json:"nodes"`
	Same    bool         `json:"same"` // identical to the version in force
	Current string       `json:"current"`
	Changes []changeJSON `json:"changes"`
}

func (s *Server) validateOut(fl *flows.Flow) validateJSON {
	cur := s.cfg.Flows.Current()
	out := validateJSON{Valid: true, Version: fl.Version, Nodes: len(fl.Nodes()), Same: fl.Version == cur.Version,
		Current: cur.Version, Changes: []changeJSON{}}
	for _, c := range flows.Diff(cur, fl) {
		out.Changes = append(out.Changes, changeJSON{Op: c.Op, Path: c.Path, Old: c.Old, New: c.New})
	}
	return out
}

// handleFlowsValidate checks a candidate file: 200 with the changes it
// would make to the flows in force, or 422 with its problems.
func (s *Server) handleFlowsValidate(w http.ResponseWriter, r *http.Request) {
	req, err := decodeCandidate(w, r)
	if err != nil {
		s.respond(w, r, err)
		return
	}
	fl, err := s.candidate(req)
	if err != nil {
		s.respondFlows(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.validateOut(fl))
}
