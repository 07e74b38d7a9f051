package store

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestConversationRoundTrip(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	at := time.Date(2025, 1, 2, 8, 0, 0, 0, brt())

	for _, want := range []Conversation{
		{Chat: "c1", State: "ask_id", Node: "root", StartedAt: at.UTC(), UpdatedAt: at.UTC()},
		{Chat: "c1", State: "trail", Node: "wifi", Path: []string{"root", "net", "wifi"}, Ticket: 100001,
			Attempts: 2, Intent: "handoff", FlowVersion: "v3", StartedAt: at.UTC(), UpdatedAt: at.Add(time.Minute).UTC()},
		{Chat: "c1", State: "menu", Node: "root"},
	} {
		update(t, db, func(tx *Tx) error { return tx.PutConversation(ctx, want) })
		view(t, db, func(tx *Tx) error {
			got, err := tx.Conversation(ctx, "", "c1")
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
			return nil
		})
	}
	view(t, db, func(tx *Tx) error {
		if _, err := tx.Conversation(ctx, "", "nobody"); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing conversation: got %v, want ErrNotFound", err)
		}
		return nil
	})
}
