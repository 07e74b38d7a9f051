package store

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestFeedback(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	at := time.Date(2025, 1, 2, 8, 0, 0, 0, brt())
	var ticket int64
	update(t, db, func(tx *Tx) error {
		var err error
		ticket, err = tx.CreateTicket(ctx, Ticket{Chat: "c1", Status: StatusResolvido})
		return err
	})

	view(t, db, func(tx *Tx) error {
		if _, err := tx.Feedback(ctx, ticket); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing feedback: got %v, want ErrNotFound", err)
		}
		return nil
	})
	for _, rating := range []int{0, 6, -1} {
		t.Run(fmt.Sprint("rating ", rating), func(t *testing.T) {
			update(t, db, func(tx *Tx) error {
				if err := tx.PutFeedback(ctx, Feedback{Ticket: ticket, Rating: rating}); err == nil {
					t.Errorf("rating %d: want an error", rating)
				}
				if err := tx.Try(ctx, func() error {
					_, err := tx.exec(ctx, putFeedbackSQL, ticket, "", rating, "", "", "", 0)
					return err
				}); err == nil {
					t.Errorf("raw rating %d: want a CHECK error", rating)
				}
				return nil
			})
		})
	}

	want := Feedback{Ticket: ticket, Chat: "c1", Rating: 4, Comment: "bom", Agent: "agent7", Topic: "wifi", At: at}
	update(t, db, func(tx *Tx) error { return tx.PutFeedback(ctx, want) })
	want.Rating, want.Comment, want.At = 5, "ótimo", at.Add(time.Minute).UTC()
	update(t, db, func(tx *Tx) error { return tx.PutFeedback(ctx, want) })
	view(t, db, func(tx *Tx) error {
		got, err := tx.Feedback(ctx, ticket)
		if err != nil {
			return err
		}
		if got != want {
			t.Errorf("Feedback: got %+v, want %+v", got, want)
		}
		return nil
	})
	var err error
	update(t, db, func(tx *Tx) error {
		err = tx.Try(ctx, func() error { return tx.PutFeedback(ctx, Feedback{Ticket: 1, Rating: 3}) })
		return nil
	})
	if err == nil {
		t.Error("feedback of a missing ticket: want a foreign key error")
	}
}
