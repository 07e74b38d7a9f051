// Package pgtemp starts a throwaway PostgreSQL cluster for tests and
// benchmarks: initdb into a temporary folder, then the server itself as a
// child process listening on a free loopback port with trust
// authentication. It uses Debian's postgresql package (the binaries under
// /usr/lib/postgresql/VERSION/bin, which `make deps` installs).
//
// initdb and the server refuse to run as root. When this process is root
// (CI, containers) both run as the postgres user the package creates
// (nobody if there is none) through setpriv, and the folder is handed to
// that user. The server gets a parent-death signal, so a test binary that
// dies without cleaning up (a timeout's panic, kill -9) does not leave it
// running.
package pgtemp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Options tunes a cluster.
type Options struct {
	// Durable keeps fsync and synchronous commits on, as in production:
	// for benchmarks comparing commit rates. Tests leave it off, which
	// makes every commit a memory write.
	Durable bool
	// Dir is where the cluster's folder is made (the disk under test);
	// empty means the system's temporary folder.
	Dir string
}

// Cluster is a running throwaway server.
type Cluster struct {
	dir  string
	port int
	cmd  *exec.Cmd
	done chan struct{} // closed when the server exited
	log  *bytes.Buffer // the server's output, for errors
	seq  atomic.Int64
}

// BinDir finds the PostgreSQL binaries: the newest version installed by
// Debian's packages, or the folder of initdb on PATH.
func BinDir() (string, error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	slices.SortFunc(matches, func(a, b string) int { return version(a) - version(b) })
	if len(matches) > 0 {
		return filepath.Dir(matches[len(matches)-1]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("PostgreSQL not found: install Debian's postgresql package (make deps)")
}

// version reads 15 out of /usr/lib/postgresql/15/bin/initdb.
func version(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

// Start creates and starts a cluster. Stop it with Stop.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(o.Dir, "suporte-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, done: make(chan struct{}), log: &bytes.Buffer{}}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
		}
	}()
	as, err := runAs(dir)
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := command(as, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	for try := 0; ; try++ {
		err := c.start(ctx, as, bin, data, o)
		if err == nil {
			break
		}
		// Another process may have taken the free port we picked.
		if try == 4 || !strings.Contains(c.log.String(), "could not bind") {
			return nil, err
		}
		c.done, c.log = make(chan struct{}), &bytes.Buffer{}
	}
	ok = true
	return c, nil
}

// start runs the server on a free port and waits until it takes connections.
func (c *Cluster) start(ctx context.Context, as []string, bin, data string, o Options) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	c.port = port
	durable := "off"
	if o.Durable {
		durable = "on"
	}
	args := []string{"-D", data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=",
		"-c", "max_connections=300",
		"-c", "fsync=" + durable,
		"-c", "synchronous_commit=" + durable,
		"-c", "full_page_writes=" + durable,
		"-c", "log_min_messages=warning",
		"-c", "logging_collector=off",
	}
	c.cmd = command(as, filepath.Join(bin, "postgres"), args...)
	c.cmd.Stdout, c.cmd.Stderr = c.log, c.log
	// Setpriv sets the signal after changing the user (a change of user
	// clears it); without it, the kernel keeps ours.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGQUIT}
	if err := c.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	go func() {
		c.cmd.Wait()
		close(c.done)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", c.addr(), time.Second)
		if err == nil {
			conn.Close()
			return c.ready(ctx, deadline)
		}
		select {
		case <-c.done:
			return fmt.Errorf("postgres exited: %s", c.log)
		case <-ctx.Done():
			c.Stop()
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.Stop()
			return fmt.Errorf("postgres did not listen within a minute: %s", c.log)
		}
	}
}

// ready waits until the server answers a query (it listens before it has
// finished starting).
func (c *Cluster) ready(ctx context.Context, deadline time.Time) error {
	bin, _ := BinDir()
	for {
		out, err := exec.CommandContext(ctx, filepath.Join(bin, "pg_isready"), "-h", "127.0.0.1", "-p", strconv.Itoa(c.port), "-U", "postgres").CombinedOutput()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			c.Stop()
			return fmt.Errorf("postgres not ready: %s\n%s", out, c.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *Cluster) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)) }

// DSN returns the URL of database name on the cluster, as the superuser.
func (c *Cluster) DSN(name string) string {
	return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable", c.addr(), name)
}

// NewName returns a database name not used before on this cluster.
func (c *Cluster) NewName(prefix string) string {
	return fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), c.seq.Add(1))
}

// Stop shuts the server down (fast shutdown) and removes its folder.
func (c *Cluster) Stop() {
	if c.cmd != nil && c.cmd.Process != nil {
		select {
		case <-c.done:
		default:
			c.cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-c.done:
			case <-time.After(30 * time.Second):
				c.cmd.Process.Kill()
				<-c.done
			}
		}
	}
	os.RemoveAll(c.dir)
}

// runAs returns the command prefix that runs a program as an unprivileged
// user when this process is root, and gives dir to that user; nil when
// not root.
func runAs(dir string) ([]string, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	name := "postgres"
	u, err := user.Lookup(name)
	if err != nil {
		name = "nobody"
		if u, err = user.Lookup(name); err != nil {
			return nil, fmt.Errorf("running as root, and neither a postgres nor a nobody user to run PostgreSQL as: %w", err)
		}
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		return nil, fmt.Errorf("running as root needs setpriv (util-linux) to start PostgreSQL as %s: %w", name, err)
	}
	return []string{setpriv, "--reuid=" + u.Uid, "--regid=" + u.Gid, "--clear-groups", "--pdeathsig=QUIT", "--"}, nil
}

// command builds the command line, prefixed by as.
func command(as []string, prog string, args ...string) *exec.Cmd {
	full := append(slices.Clone(as), prog)
	full = append(full, args...)
	cmd := exec.Command(full[0], full[1:]...)
	cmd.Dir = os.TempDir() // readable by the user it runs as
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd
}

// freePort asks the system for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
