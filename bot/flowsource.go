package bot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/rs/zerolog"

	"suporte/flows"
	"suporte/store"
)

// FlowSource holds the live flows.yaml. Readers get the current version
// without locking; Reload swaps in a valid new version atomically, or keeps
// the running one and remembers why the new one was refused. Conversations
// in progress carry on: the engine moves one to the menu only if the node
// it stands on is gone.
type FlowSource struct {
	path  string
	db    *store.DB
	log   zerolog.Logger
	clock Clock

	cur     atomic.Pointer[flows.Flow]
	mu      sync.Mutex // serializes reloads and guards the fields below
	status  FlowStatus
	changed chan struct{} // closed and replaced on every reload attempt
}

// FlowStatus is what editors see about the live flows.
type FlowStatus struct {
	Path     string    `json:"path"`
	Version  string    `json:"version"`
	LoadedAt time.Time `json:"loaded_at"`
	LoadedBy string    `json:"loaded_by"`
	Refused  *Refusal  `json:"refused,omitempty"`
}

// Refusal is the last version that failed validation.
type Refusal struct {
	At       time.Time `json:"at"`
	By       string    `json:"by"`
	Problems []string  `json:"problems"` // FILE:LINE:COL: message
}

// NewFlowSource loads path; the first load must succeed.
func NewFlowSource(ctx context.Context, path string, db *store.DB, log zerolog.Logger, clock Clock) (*FlowSource, error) {
	s := &FlowSource{path: path, db: db, log: log, clock: clock, changed: make(chan struct{})}
	if err := s.Reload(ctx, "startup"); err != nil {
		return nil, err
	}
	return s, nil
}

// Current returns the flows in force.
func (s *FlowSource) Current() *flows.Flow { return s.cur.Load() }

// Status reports the version in force and the last refusal, if any.
func (s *FlowSource) Status() FlowStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Changed returns a channel closed at the next reload attempt.
func (s *FlowSource) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Reload reads the file again. A valid file replaces the running flows
// (and is recorded in the store); an invalid one is refused, logged with
// every problem, and returned as *flows.Problems.
func (s *FlowSource) Reload(ctx context.Context, by string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		close(s.changed)
		s.changed = make(chan struct{})
	}()
	now := s.clock.Now()
	fl, err := flows.Load(s.path)
	if err != nil {
		var probs *flows.Problems
		if errors.As(err, &probs) {
			r := &Refusal{At: now, By: by}
			for _, p := range probs.Items {
				r.Problems = append(r.Problems, fmt.Sprintf("%s:%d:%d: %s", probs.File, p.Pos.Line, p.Pos.Col, p.Msg))
			}
			s.status.Refused = r
			s.log.Error().Str("file", s.path).Str("by", by).Strs("problems", r.Problems).Msg("flows refused; the running version stays")
		} else {
			s.log.Error().Err(err).Str("file", s.path).Msg("flows reload failed; the running version stays")
		}
		return err
	}
	if old := s.cur.Load(); old != nil && old.Version == fl.Version {
		s.status.Refused = nil
		return nil // saved without changes
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.AddFlowVersion(ctx, store.FlowVersion{Version: fl.Version, LoadedAt: now, LoadedBy: by, Content: string(fl.Source)}); err != nil {
			return err
		}
		_, err := tx.PruneFlowVersions(ctx, keptFlowVersions)
		return err
	})
	if err != nil {
		return fmt.Errorf("record flows version: %w", err)
	}
	s.cur.Store(fl)
	s.status = FlowStatus{Path: s.path, Version: fl.Version, LoadedAt: now, LoadedBy: by}
	s.log.Info().Str("file", s.path).Str("version", fl.Version).Str("by", by).Int("nodes", len(fl.Nodes())).Msg("flows loaded")
	return nil
}

// keptFlowVersions is how many loads of flows.yaml the store keeps, besides
// those conversations still going on run on: months of editing, at most
// keptFlowVersions times flows.MaxSize.
const keptFlowVersions = 50

// Watch reloads when the file changes or a signal arrives on hup (SIGHUP),
// until ctx ends. It watches the folder, not the file: editors and deploy
// tools replace the file, which a watch on the file itself would lose.
// The watch is in place when Watch returns; the returned channel yields
// the loop's end.
func (s *FlowSource) Watch(ctx context.Context, hup <-chan os.Signal) (<-chan error, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch flows: %w", err)
	}
	dir, base := filepath.Split(s.path)
	if dir == "" {
		dir = "."
	}
	if err := w.Add(dir); err != nil {
		w.Close()
		return nil, fmt.Errorf("watch flows folder %s: %w", dir, err)
	}
	done := make(chan error, 1)
	go func() {
		defer w.Close()
		done <- s.watch(ctx, w, base, hup)
	}()
	return done, nil
}

func (s *FlowSource) watch(ctx context.Context, w *fsnotify.Watcher, base string, hup <-chan os.Signal) error {
	// Saves come in bursts (truncate, write, rename): settle before reading.
	const settle = 300 * time.Millisecond
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	defer debounce.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if filepath.Base(ev.Name) == base && ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename) != 0 {
				debounce.Reset(settle)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			s.log.Warn().Err(err).Msg("flows watcher")
		case <-debounce.C:
			_ = s.Reload(ctx, "file change") // refusals are logged and kept in Status
		case <-hup:
			_ = s.Reload(ctx, "SIGHUP")
		}
	}
}
