package pgtemp

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
)

// EnvServer names the environment variable that points tests at an
// existing server instead of a throwaway cluster: the URL of a database
// whose user may create databases, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const EnvServer = "SUPORTE_TEST_PG"

// Server hands out fresh databases: on the server EnvServer names, or on
// a throwaway cluster started for it.
type Server struct {
	admin   string // URL of the database CREATE DATABASE runs in
	cluster *Cluster

	mu  sync.Mutex
	seq int
}

// Open returns the server of EnvServer, or starts a throwaway cluster.
func Open(ctx context.Context, o Options) (*Server, error) {
	if dsn := os.Getenv(EnvServer); dsn != "" {
		return &Server{admin: dsn}, nil
	}
	c, err := Start(ctx, o)
	if err != nil {
		return nil, err
	}
	return &Server{admin: c.DSN("postgres"), cluster: c}, nil
}

// Close stops the throwaway cluster, if one was started.
func (s *Server) Close() {
	if s.cluster != nil {
		s.cluster.Stop()
	}
}

// NewDatabase creates an empty database and returns its URL and a
// function that drops it.
func (s *Server) NewDatabase(ctx context.Context) (string, func() error, error) {
	s.mu.Lock()
	s.seq++
	name := fmt.Sprintf("suporte_test_%d_%d", os.Getpid(), s.seq)
	s.mu.Unlock()
	conn, err := pgx.Connect(ctx, s.admin)
	if err != nil {
		return "", nil, fmt.Errorf("connect to %s: %w", redact(s.admin), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"); err != nil {
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	dsn, err := withDatabase(s.admin, name)
	if err != nil {
		return "", nil, err
	}
	drop := func() error {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, s.admin)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		return err
	}
	return dsn, drop, nil
}

// withDatabase returns dsn with its database replaced by name.
func withDatabase(dsn, name string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("%s: want a postgres:// URL", EnvServer)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// redact hides a password in a URL for messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(invalid URL)"
	}
	return strings.ReplaceAll(u.Redacted(), "%2A", "*")
}

// The test binary's shared server, started on first use.
var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared returns the server of this test binary, starting a throwaway
// cluster (or taking EnvServer's) on first use. A TestMain that may use
// it calls StopShared after m.Run.
func Shared(ctx context.Context) (*Server, error) {
	shared.once.Do(func() { shared.srv, shared.err = Open(ctx, Options{}) })
	return shared.srv, shared.err
}

// StopShared stops the shared server, if it was started.
func StopShared() {
	if shared.srv != nil {
		shared.srv.Close()
	}
}
