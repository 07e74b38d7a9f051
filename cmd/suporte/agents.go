package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"suporte/bot/console"
	"suporte/store"
)

const agentsUsage = `usage: suporte agents COMMAND [--data DIR] ...
  add     --email E --name N [--role agent|supervisor|editor] [--max-chats 5] --password-stdin
  set     --email E [--name N] [--role R] [--max-chats N] [--new-email E2]
  list
  disable --email E
  enable  --email E
  passwd  --email E --password-stdin
  unlock  --email E | --addr IP

Passwords are read from the first line of stdin, never from the command
line, and need at least 10 characters. unlock clears failed logins: an
agent's from every address, or everyone's from one address. The commands
work while the service runs: they share its store (data/suporte.db, or
--db) with it.`

// runAgents manages the Encantadores' console accounts.
func runAgents(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, agentsUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	cmd, args := args[0], args[1:]
	fs := newFlags("agents "+cmd, stderr)
	data := dataFlag(fs)
	a := agentsCmd{stdin: stdin, stdout: stdout, stderr: stderr}
	switch cmd {
	case "add":
		email := fs.String("email", "", "the agent's e-mail, used to log in")
		name := fs.String("name", "", "the name customers see")
		role := fs.String("role", store.RoleAgent, "agent, supervisor or editor")
		maxChats := fs.Int("max-chats", store.DefaultMaxChats, "chats handled at once")
		pwStdin := fs.Bool("password-stdin", false, "read the password from stdin")
		if err := a.parse(fs, args, email); err != nil {
			return err
		}
		return a.add(ctx, *data, store.Agent{Email: *email, Name: *name, Role: *role, MaxChats: *maxChats}, *pwStdin)
	case "set":
		email := fs.String("email", "", "the agent's e-mail")
		fs.String("name", "", "a new name for customers to see")
		fs.String("role", "", "a new role: agent, supervisor or editor")
		fs.Int("max-chats", 0, "a new number of chats handled at once")
		fs.String("new-email", "", "a new e-mail to log in with")
		if err := a.parse(fs, args, email); err != nil {
			return err
		}
		changes := map[string]string{}
		fs.Visit(func(f *flag.Flag) {
			if f.Name != "email" && f.Name != "data" {
				changes[f.Name] = f.Value.String()
			}
		})
		return a.set(ctx, *data, *email, changes)
	case "list":
		if err := a.parse(fs, args, nil); err != nil {
			return err
		}
		return a.list(ctx, *data)
	case "disable", "enable":
		email := fs.String("email", "", "the agent's e-mail")
		if err := a.parse(fs, args, email); err != nil {
			return err
		}
		return a.setDisabled(ctx, *data, *email, cmd == "disable")
	case "passwd":
		email := fs.String("email", "", "the agent's e-mail")
		pwStdin := fs.Bool("password-stdin", false, "read the new password from stdin")
		if err := a.parse(fs, args, email); err != nil {
			return err
		}
		return a.passwd(ctx, *data, *email, *pwStdin)
	case "unlock":
		email := fs.String("email", "", "clear this agent's failed logins, from every address")
		addr := fs.String("addr", "", "clear the failed logins from this client address, for every account")
		if err := a.parse(fs, args, nil); err != nil {
			return err
		}
		if (*email == "") == (*addr == "") {
			fmt.Fprintln(stderr, "suporte agents unlock: give --email or --addr")
			return errUsage
		}
		return a.unlock(ctx, *data, *email, *addr)
	}
	fmt.Fprintf(stderr, "suporte agents: unknown command %q\n\n%s\n", cmd, agentsUsage)
	return errUsage
}

type agentsCmd struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// parse parses the flags; email, if given, must be set.
func (a agentsCmd) parse(fs *flag.FlagSet, args []string, email *string) error {
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(a.stderr, "suporte %s: unexpected argument %q\n", fs.Name()[len("suporte "):], fs.Arg(0))
		return errUsage
	}
	if email != nil && strings.TrimSpace(*email) == "" {
		fmt.Fprintf(a.stderr, "suporte %s: --email is required\n", fs.Name()[len("suporte "):])
		return errUsage
	}
	return nil
}

// openAgentsStore opens the data folder's database, creating it if need
// be (unlike openData): agents may be added before the service first runs.
func openAgentsStore(ctx context.Context, data place) (*store.DB, error) {
	return store.Open(ctx, data.dsn())
}

// password reads the password from the first line of stdin and hashes it.
func (a agentsCmd) password(fromStdin bool) (string, error) {
	if !fromStdin {
		return "", errors.New("give the password on stdin with --password-stdin (never on the command line), e.g.\n  read -rs PW && printf '%s\\n' \"$PW\" | suporte agents ... --password-stdin")
	}
	line, err := bufio.NewReader(io.LimitReader(a.stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("no password on stdin")
	}
	hash, err := console.HashPassword(pw, a.cost())
	if err != nil {
		return "", err
	}
	return hash, nil
}

// cost is the bcrypt cost: SUPORTE_BCRYPT_COST lets tests hash fast; a
// production password is hashed with the console's default.
func (a agentsCmd) cost() int {
	if c, err := strconv.Atoi(envOr("SUPORTE_BCRYPT_COST", "")); err == nil && c >= 4 {
		return c
	}
	return console.DefaultBcryptCost
}

// checkAgent says what is wrong with an agent's fields, as flags.
func checkAgent(ag store.Agent) error {
	if !store.ValidRole(ag.Role) {
		return fmt.Errorf("role %q: use agent, supervisor or editor", ag.Role)
	}
	if strings.TrimSpace(ag.Name) == "" {
		return errors.New("--name is required: it is what customers see")
	}
	if ag.MaxChats < 1 {
		return fmt.Errorf("--max-chats %d: must be at least 1", ag.MaxChats)
	}
	if !strings.Contains(ag.Email, "@") {
		return fmt.Errorf("e-mail %q does not look like an e-mail", ag.Email)
	}
	return nil
}

func (a agentsCmd) add(ctx context.Context, data place, ag store.Agent, pwStdin bool) error {
	if err := checkAgent(ag); err != nil {
		return err
	}
	hash, err := a.password(pwStdin)
	if err != nil {
		return err
	}
	db, err := openAgentsStore(ctx, data)
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now()
	ag.PasswordHash, ag.CreatedAt, ag.UpdatedAt = hash, now, now
	var id int64
	err = db.Update(ctx, func(tx *store.Tx) error {
		id, err = tx.CreateAgent(ctx, ag)
		return err
	})
	if errors.Is(err, store.ErrExists) {
		return fmt.Errorf("an agent with e-mail %s already exists (change a password with: suporte agents passwd --email %s --password-stdin)", store.NormalizeEmail(ag.Email), store.NormalizeEmail(ag.Email))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "added agent %d: %s <%s>, %s, up to %d chats\n", id, strings.TrimSpace(ag.Name), store.NormalizeEmail(ag.Email), ag.Role, ag.MaxChats)
	return nil
}

// noAgent is the answer when no agent logs in with email.
func noAgent(email string) error {
	return fmt.Errorf("no agent with e-mail %s (see suporte agents list)", store.NormalizeEmail(email))
}

// set changes an agent's name, role, chat limit or e-mail (changes maps
// the flags given to their values). The console reads the agent on every
// request, so the change holds at once, sessions included.
func (a agentsCmd) set(ctx context.Context, data place, email string, changes map[string]string) error {
	if len(changes) == 0 {
		return errors.New("nothing to change: give --name, --role, --max-chats or --new-email")
	}
	db, err := openAgentsStore(ctx, data)
	if err != nil {
		return err
	}
	defer db.Close()
	var ag store.Agent
	err = db.Update(ctx, func(tx *store.Tx) error {
		if ag, err = tx.AgentByEmail(ctx, email); err != nil {
			return err
		}
		for name, v := range changes {
			switch name {
			case "name":
				ag.Name = v
			case "role":
				ag.Role = v
			case "max-chats":
				ag.MaxChats, _ = strconv.Atoi(v) // the flag package checked it
			case "new-email":
				ag.Email = v
			}
		}
		if err := checkAgent(ag); err != nil {
			return err
		}
		ag.UpdatedAt = time.Now()
		return tx.UpdateAgent(ctx, ag)
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return noAgent(email)
	case errors.Is(err, store.ErrExists):
		return fmt.Errorf("another agent already logs in with %s", store.NormalizeEmail(changes["new-email"]))
	case err != nil:
		return err
	}
	fmt.Fprintf(a.stdout, "agent %d is now %s <%s>, %s, up to %d chats\n", ag.ID, strings.TrimSpace(ag.Name), store.NormalizeEmail(ag.Email), ag.Role, ag.MaxChats)
	return nil
}

func (a agentsCmd) list(ctx context.Context, data place) error {
	db, err := openAgentsStore(ctx, data)
	if err != nil {
		return err
	}
	defer db.Close()
	var as []store.Agent
	err = db.View(ctx, func(tx *store.Tx) error {
		as, err = tx.Agents(ctx)
		return err
	})
	if err != nil {
		return err
	}
	if len(as) == 0 {
		fmt.Fprintln(a.stdout, "no agents yet: add one with suporte agents add --email E --name N --password-stdin")
		return nil
	}
	w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tE-MAIL\tNAME\tROLE\tMAX CHATS\tSTATUS")
	for _, ag := range as {
		status := "active"
		if ag.Disabled {
			status = "disabled"
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%s\n", ag.ID, ag.Email, ag.Name, ag.Role, ag.MaxChats, status)
	}
	return w.Flush()
}

func (a agentsCmd) setDisabled(ctx context.Context, data place, email string, disabled bool) error {
	db, err := openAgentsStore(ctx, data)
	if err != nil {
		return err
	}
	defer db.Close()
	err = db.Update(ctx, func(tx *store.Tx) error {
		ag, err := tx.AgentByEmail(ctx, email)
		if err != nil {
			return err
		}
		return tx.SetAgentDisabled(ctx, ag.ID, disabled, time.Now())
	})
	if errors.Is(err, store.ErrNotFound) {
		return noAgent(email)
	}
	if err != nil {
		return err
	}
	if disabled {
		fmt.Fprintf(a.stdout, "disabled %s: logged out everywhere; their open chats stay assigned until a supervisor transfers them\n", store.NormalizeEmail(email))
	} else {
		fmt.Fprintf(a.stdout, "enabled %s\n", store.NormalizeEmail(email))
	}
	return nil
}

// unlock clears failed logins so the person may try again at once.
func (a agentsCmd) unlock(ctx context.Context, data place, email, addr string) error {
	account, who := store.NormalizeEmail(email), store.NormalizeEmail(email)
	if addr != "" {
		var err error
		if addr, err = console.LimitAddr(addr); err != nil {
			return err
		}
		who = addr
	}
	db, err := openAgentsStore(ctx, data)
	if err != nil {
		return err
	}
	defer db.Close()
	var n int64
	err = db.Update(ctx, func(tx *store.Tx) error {
		n, err = tx.ClearLoginLimits(ctx, account, addr)
		return err
	})
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintf(a.stdout, "%s had no failed logins to clear\n", who)
		return nil
	}
	fmt.Fprintf(a.stdout, "unlocked %s: failed logins cleared, they may try again now\n", who)
	return nil
}

func (a agentsCmd) passwd(ctx context.Context, data place, email string, pwStdin bool) error {
	hash, err := a.password(pwStdin)
	if err != nil {
		return err
	}
	db, err := openAgentsStore(ctx, data)
	if err != nil {
		return err
	}
	defer db.Close()
	var ended int64
	err = db.Update(ctx, func(tx *store.Tx) error {
		ag, err := tx.AgentByEmail(ctx, email)
		if err != nil {
			return err
		}
		if err := tx.SetAgentPassword(ctx, ag.ID, hash, time.Now()); err != nil {
			return err
		}
		ended, err = tx.DeleteAgentSessions(ctx, ag.ID)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return noAgent(email)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "changed the password of %s; ended %d session(s)\n", store.NormalizeEmail(email), ended)
	return nil
}
