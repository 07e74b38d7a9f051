package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"suporte/bot"
	"suporte/bot/whatsapp"
	"suporte/store"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"
)

func TestHealthz(t *testing.T) {
	since := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		st       whatsapp.Status
		code     int
		status   string
		hasUntil bool
	}{
		{"connected", whatsapp.Status{State: whatsapp.StateConnected, Since: since, Version: "2.3000.1031080782"}, 200, "ok", false},
		{"waiting for the QR code", whatsapp.Status{State: whatsapp.StateQR, Since: since}, 503, "degraded", false},
		{"reconnecting", whatsapp.Status{State: whatsapp.StateDisconnected, Since: since, Detail: "connection lost"}, 503, "degraded", false},
		{"banned", whatsapp.Status{State: whatsapp.StateBanned, Since: since, Until: since.Add(time.Hour)}, 503, "degraded", true},
		{"logged out", whatsapp.Status{State: whatsapp.StateLoggedOut, Since: since}, 503, "degraded", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(newWebHandler(webDeps{
				WhatsApp: func() whatsapp.Status { return tt.st },
				Flows:    func() bot.FlowStatus { return bot.FlowStatus{Version: "cc92b0e3e677"} },
			}))
			defer srv.Close()
			resp, err := http.Get(srv.URL + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.code || got["status"] != tt.status || got["whatsapp"] != string(tt.st.State) ||
				got["since"] != "2026-11-24T13:00:00Z" || (got["until"] != nil) != tt.hasUntil || got["flows_version"] != "cc92b0e3e677" {
				t.Errorf("got %d %v; want %d status=%s whatsapp=%s", resp.StatusCode, got, tt.code, tt.status, tt.st.State)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("content type %q", ct)
			}
		})
	}
	srv := httptest.NewServer(newWebHandler(webDeps{WhatsApp: func() whatsapp.Status { return whatsapp.Status{} }}))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/healthz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz: %d; want 405", resp.StatusCode)
	}
}

func TestKnownChat(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "suporte.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	known := knownChat(db, "")
	chat := "5547999990001@s.whatsapp.net"
	if ok, err := known(ctx, chat); ok || err != nil {
		t.Fatalf("empty store: %v, %v; want unknown", ok, err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, _, err := tx.InsertInbox(ctx, store.Inbound{Chat: chat, MsgID: "m1", Kind: "text", Text: "oi"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := known(ctx, chat); !ok || err != nil {
		t.Errorf("after a message: %v, %v; want known", ok, err)
	}
	if ok, _ := known(ctx, "187763245289510@lid"); ok {
		t.Error("another chat is known")
	}
}

func TestOperatorExit(t *testing.T) {
	var stderr strings.Builder
	err := operatorExit(&whatsapp.DisconnectError{State: whatsapp.StateOutdated, Reason: "client outdated (405)"}, &stderr)
	if code := exitCode(err, io.Discard); code != exitNeedsOperator {
		t.Errorf("client outdated: exit %d; want %d", code, exitNeedsOperator)
	}
	if !strings.Contains(stderr.String(), "go get go.mau.fi/whatsmeow@latest && go mod tidy") {
		t.Errorf("message %q does not say how to update", stderr.String())
	}
	other := errors.New("listen: address already in use")
	if err := operatorExit(other, io.Discard); exitCode(err, io.Discard) != 1 {
		t.Errorf("other failure: exit %d; want 1 (systemd restarts it)", exitCode(err, io.Discard))
	}
}

func TestRunFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--log-level", "loud"},
		{"--send-rate", "0"},
		{"--send-burst", "0"},
		{"--trusted-proxy", "10.0.0.0/8,proxy.local"},
		{"--retention", "99999d"},
		{"--phone", "central"},
		{"--lease-ttl", "1ns"},
		{"--lease-ttl", "0"},
		{"--lease-ttl", "-5s"},
		{"--lease-ttl", "24h"},
		{"--nope"},
	} {
		if err := runRun(context.Background(), args, nil, io.Discard, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v; want a usage error", args, err)
		}
	}
}

// TestSecureCookie: with --secure-cookie the console's session cookie is
// marked Secure, without it not (a console on plain HTTP must still log in).
func TestSecureCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		ctx := t.Context()
		s, err := openService(ctx, serviceConfig{data: t.TempDir(), flows: "../../flows.yaml", clock: bot.SystemClock{},
			log: zerolog.Nop(), line: store.LineName(defaultPhone)})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := ensureDemoAgents(ctx, s.db, time.Now(), bcrypt.MinCost); err != nil {
			t.Fatal(err)
		}
		s.wire(wiring{transport: instant{}, secure: secure})
		body := fmt.Sprintf(`{"email":%q,"password":%q}`, demoAgents[0].Email, demoPassword)
		rec := httptest.NewRecorder()
		s.console.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/api/login", strings.NewReader(body)))
		cookie := rec.Header().Get("Set-Cookie")
		if rec.Code != 200 || cookie == "" {
			t.Fatalf("login: %d, cookie %q: %s", rec.Code, cookie, rec.Body)
		}
		if got := strings.Contains(cookie, "; Secure"); got != secure {
			t.Errorf("--secure-cookie %v: cookie %q", secure, cookie)
		}
	}
}
