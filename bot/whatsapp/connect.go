package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/mdp/qrterminal/v3"
	"go.mau.fi/whatsmeow"
	wastore "go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
)

const (
	// maxReconnectSteps caps whatsmeow's reconnect delay, which grows by 2 s
	// per failed attempt without bound: at most a minute between attempts.
	maxReconnectSteps = 30
	reconnectStep     = 2 * time.Second
	versionTimeout    = 10 * time.Second
	loginTimeout      = 30 * time.Second
	banMargin         = time.Minute
	// pairClientName is what the phone shows for a code-paired device; the
	// server accepts only "Browser (OS)" names.
	pairClientName = "Chrome (Linux)"
)

// Run connects to WhatsApp, pairing first if the store holds no device,
// and stays connected until ctx ends (nil) or WhatsApp closes the session
// for good (*DisconnectError). Messages go to inbox. Call it once.
func (c *Client) Run(ctx context.Context, inbox Inbox) error {
	c.register(ctx, inbox)
	defer c.calls.Wait()
	defer c.cli.Disconnect()
	c.cli.AutoReconnectHook = func(err error) bool {
		n := c.cli.AutoReconnectErrors
		c.cli.AutoReconnectErrors = min(n, maxReconnectSteps)
		c.log.Warn().Err(err).Int("attempt", n).Dur("retry_in", reconnectDelay(n)).Msg("reconnect to WhatsApp failed; retrying")
		return ctx.Err() == nil
	}
	c.useLatestVersion(ctx)

	if c.cli.Store.ID == nil {
		if err := c.pair(ctx); err != nil || ctx.Err() != nil {
			return err
		}
		if !c.cli.WaitForConnection(loginTimeout) && ctx.Err() == nil {
			c.log.Warn().Msg("no login after pairing; connecting again")
			c.connect(ctx)
		}
	} else {
		c.status.set(StateConnecting, "", time.Time{})
		c.connect(ctx)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-c.perm:
			if err := c.afterPermanent(ctx, e); err != nil {
				return err
			}
		}
	}
}

// afterPermanent waits out a ban whose end WhatsApp told, then connects
// again; anything else ends Run with what the operator must do.
func (c *Client) afterPermanent(ctx context.Context, e events.PermanentDisconnect) error {
	ban, ok := e.(*events.TemporaryBan)
	if !ok || ban.Expire <= 0 {
		return permanentError(e)
	}
	_, reason := permanentState(e)
	c.say("WhatsApp temporarily banned this number (%s). suporte reconnects by itself in %v.", reason, ban.Expire.Round(time.Minute))
	if c.cfg.Sleep(ctx, ban.Expire+banMargin) != nil {
		return nil
	}
	c.status.set(StateConnecting, "ban over; reconnecting", time.Time{})
	c.connect(ctx)
	return nil
}

// permanentError is how Run ends on a disconnect whatsmeow won't retry.
func permanentError(e events.PermanentDisconnect) error {
	state, reason := permanentState(e)
	if state == StateDisconnected {
		// A failure whatsmeow does not know: a fresh start may well work.
		return fmt.Errorf("whatsapp: %s", reason)
	}
	return &DisconnectError{State: state, Reason: reason}
}

// reconnectDelay is whatsmeow's wait before reconnect attempt n+1, as
// capped by the hook.
func reconnectDelay(n int) time.Duration {
	return time.Duration(min(n, maxReconnectSteps)) * reconnectStep
}

// connect dials a paired device. Network failures are retried by whatsmeow
// in the background (InitialAutoReconnect); anything else here, with the
// same capped backoff, until it works or ctx ends.
func (c *Client) connect(ctx context.Context) {
	for n := 1; ; n++ {
		err := c.cli.Connect()
		if err == nil || errors.Is(err, whatsmeow.ErrAlreadyConnected) {
			return
		}
		c.status.set(StateDisconnected, "cannot connect: "+err.Error(), time.Time{})
		c.log.Warn().Err(err).Dur("retry_in", reconnectDelay(n)).Msg("connect to WhatsApp failed; retrying")
		if c.cfg.Sleep(ctx, reconnectDelay(n)) != nil {
			return
		}
	}
}

// useLatestVersion announces WhatsApp Web's current version when WhatsApp
// says which it is, since servers refuse versions that grew too old
// (405); else the version built into whatsmeow.
func (c *Client) useLatestVersion(ctx context.Context) {
	builtin := wastore.GetWAVersion()
	vctx, cancel := context.WithTimeout(ctx, versionTimeout)
	defer cancel()
	v, err := whatsmeow.GetLatestVersion(vctx, &http.Client{Timeout: versionTimeout})
	if err != nil || v == nil || v.IsZero() {
		c.log.Warn().Err(err).Str("version", builtin.String()).Msg("could not ask WhatsApp for its current web version; using whatsmeow's built-in one")
		c.status.setVersion(builtin.String())
		return
	}
	wastore.SetWAVersion(*v)
	// At this whatsmeow version SetWAVersion does not reach the login
	// payload, which was built at init: set it there too.
	wastore.BaseClientPayload.UserAgent.AppVersion = v.ProtoAppVersion()
	c.log.Info().Str("version", v.String()).Str("builtin", builtin.String()).Msg("using WhatsApp's current web version")
	c.status.setVersion(v.String())
}

// pairing outcomes of one connection's worth of codes.
type pairResult int

const (
	paired      pairResult = iota
	expired                // the codes ran out: connect again for new ones
	unreachable            // never got a code: back off
	refused                // wrong number, or WhatsApp refused: start over
)

// pair links this device to the phone with QR codes (or a pairing code),
// connecting again for fresh codes as they run out. It returns nil once
// paired or when ctx ends.
func (c *Client) pair(ctx context.Context) error {
	c.cli.InitialAutoReconnect = false // pairing retries itself, below
	defer func() { c.cli.InitialAutoReconnect = true }()
	failures := 0
	for {
		ch, err := c.cli.GetQRChannel(ctx)
		if errors.Is(err, whatsmeow.ErrQRStoreContainsID) {
			return nil
		}
		if err != nil {
			return err
		}
		if failures == 0 { // while retrying, the state stays disconnected
			c.status.set(StateConnecting, "not paired", time.Time{})
		}
		res := unreachable
		if err = c.cli.Connect(); err != nil {
			c.log.Warn().Err(err).Msg("connect to WhatsApp to pair failed")
		} else if res, err = c.showCodes(ctx, ch); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		switch res {
		case paired:
			c.say("Paired. Logging in to WhatsApp...")
			return nil
		case expired:
			failures = 0
			c.say("Nobody linked the device in time and the codes expired: getting new ones.")
		case unreachable:
			failures++
			c.status.set(StateDisconnected, "cannot reach WhatsApp to pair", time.Time{})
			c.say("Cannot reach WhatsApp (no network?). Trying again in %v.", reconnectDelay(failures))
			if c.cfg.Sleep(ctx, reconnectDelay(failures)) != nil {
				return nil
			}
		case refused:
			failures++
			if c.cfg.Sleep(ctx, reconnectDelay(failures)) != nil {
				return nil
			}
		}
	}
}

// showCodes shows the codes of one pairing connection until it succeeds,
// runs out or fails.
func (c *Client) showCodes(ctx context.Context, ch <-chan whatsmeow.QRChannelItem) (pairResult, error) {
	shown := false
	for {
		var item whatsmeow.QRChannelItem
		var open bool
		select {
		case <-ctx.Done():
			return expired, nil
		case e := <-c.perm:
			return refused, permanentError(e)
		case item, open = <-ch:
		}
		switch {
		case !open:
			if shown {
				return expired, nil
			}
			return unreachable, nil
		case item.Event == whatsmeow.QRChannelEventCode:
			if !shown && c.cfg.PairPhone != "" {
				if !c.showPairingCode(ctx) {
					return refused, nil
				}
			} else if c.cfg.PairPhone == "" {
				c.showQR(item)
			}
			shown = true
		case item == whatsmeow.QRChannelSuccess:
			return paired, nil
		case item == whatsmeow.QRChannelTimeout:
			if shown {
				return expired, nil
			}
			return unreachable, nil
		case item.Event == whatsmeow.QRChannelEventError:
			if !errors.Is(item.Error, whatsmeow.ErrPairRejectedLocally) { // already explained
				c.log.Error().Err(item.Error).Msg("pairing failed")
				c.say("Pairing failed: %v. Starting over.", item.Error)
			}
			return refused, nil
		case item == whatsmeow.QRChannelClientOutdated:
			return refused, &DisconnectError{State: StateOutdated, Reason: "client outdated (405) while pairing"}
		case item == whatsmeow.QRChannelScannedWithoutMultidevice:
			c.say("The phone's WhatsApp does not support linked devices: update it, then scan again.")
		case item == whatsmeow.QRChannelErrUnexpectedEvent:
			if c.cli.Store.ID != nil {
				return paired, nil
			}
			return refused, nil
		}
	}
}

// showQR draws one QR code on Out; it changes every 20 s or so.
func (c *Client) showQR(item whatsmeow.QRChannelItem) {
	c.status.set(StateQR, "waiting for the QR code to be scanned", time.Time{})
	c.log.Debug().Str("qr", item.Code).Msg("QR code")
	c.outMu.Lock()
	qrterminal.GenerateHalfBlock(item.Code, qrterminal.L, c.cfg.Out)
	c.outMu.Unlock()
	c.say("Link suporte to WhatsApp: on the support phone (%s) open WhatsApp > Settings > Linked devices > Link a device,\n"+
		"and scan this code. It changes in %v; a new one appears here.\n", pretty(c.phone), item.Timeout.Round(time.Second))
}

// showPairingCode asks WhatsApp for a code to type on the phone.
func (c *Client) showPairingCode(ctx context.Context) bool {
	code, err := c.cli.PairPhone(ctx, c.cfg.PairPhone, true, whatsmeow.PairClientChrome, pairClientName)
	if err != nil {
		c.log.Error().Err(err).Msg("get a phone pairing code")
		c.say("WhatsApp gave no pairing code for %s: %v. Is the number right and on WhatsApp?", pretty(c.cfg.PairPhone), err)
		return false
	}
	c.status.set(StatePairing, "waiting for the pairing code to be typed on the phone", time.Time{})
	c.say("\nPairing code: %s\n\nOn the phone %s: WhatsApp > Settings > Linked devices > Link a device >\n"+
		"\"Link with phone number instead\", and type the code. It is valid for about 2 minutes; a new one follows.\n"+
		"(No celular: WhatsApp > Configurações > Dispositivos conectados > Conectar dispositivo >\n"+
		"\"Conectar com número de telefone\", e digite o código.)\n", code, pretty(c.cfg.PairPhone))
	return true
}

// allowPairing is whatsmeow's PrePairCallback: only the support number may
// link, unless the operator said otherwise.
func (c *Client) allowPairing(jid types.JID, platform, businessName string) bool {
	if c.cfg.AcceptAnyNumber || samePhone(jid.User, c.phone) {
		return true
	}
	c.log.Error().Msg("refused to pair with a number other than --phone")
	c.say("\nRefused: the phone that scanned (%s) is not the support number %s.\n"+
		"Scan with the support phone, or restart with --accept-any-number to link this one.\n", pretty(jid.User), pretty(c.phone))
	return false
}
