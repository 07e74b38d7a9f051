package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"suporte/bot"
	"suporte/bot/whatsapp"
)

// errStandby is what the line's transport answers while this process does
// not drive the line.
var errStandby = errors.New("this process stands by: another drives the WhatsApp line")

// lineTransport is the runtime's transport in `suporte run`: the WhatsApp
// client of the current term, opened when this process takes the line
// (so it reads the device's keys as the last owner left them), and none
// while it stands by.
type lineTransport struct {
	mu sync.RWMutex
	wa *whatsapp.Client
}

var (
	_ bot.Transport = (*lineTransport)(nil)
	_ interface {
		Typing(ctx context.Context, chat string) error
		NewMessageID() string
		MarkRead(ctx context.Context, chat string, ids []string, at time.Time) error
		Fetch(ctx context.Context, req bot.FetchRequest, dst bot.MediaFile) error
	} = (*lineTransport)(nil)
)

func (t *lineTransport) set(wa *whatsapp.Client) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.wa = wa
}

func (t *lineTransport) get() (*whatsapp.Client, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.wa == nil {
		return nil, errStandby
	}
	return t.wa, nil
}

// Status is the current client's, or "standby".
func (t *lineTransport) Status() whatsapp.Status {
	wa, err := t.get()
	if err != nil {
		return whatsapp.Status{State: whatsapp.StateStandby}
	}
	return wa.Status()
}

func (t *lineTransport) Send(ctx context.Context, m bot.Outbound) (bot.Sent, error) {
	wa, err := t.get()
	if err != nil {
		return bot.Sent{}, err
	}
	return wa.Send(ctx, m)
}

func (t *lineTransport) Typing(ctx context.Context, chat string) error {
	wa, err := t.get()
	if err != nil {
		return err
	}
	return wa.Typing(ctx, chat)
}

// NewMessageID is asked by the owner's runtime only; a standby leaves the
// id to the send.
func (t *lineTransport) NewMessageID() string {
	wa, err := t.get()
	if err != nil {
		return ""
	}
	return wa.NewMessageID()
}

func (t *lineTransport) MarkRead(ctx context.Context, chat string, ids []string, at time.Time) error {
	wa, err := t.get()
	if err != nil {
		return err
	}
	return wa.MarkRead(ctx, chat, ids, at)
}

func (t *lineTransport) Fetch(ctx context.Context, req bot.FetchRequest, dst bot.MediaFile) error {
	wa, err := t.get()
	if err != nil {
		return err
	}
	return wa.Fetch(ctx, req, dst)
}
