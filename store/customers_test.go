package store

import (
	"errors"
	"testing"
	"time"
)

func TestCustomerRoundTrip(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	created := time.Date(2025, 1, 2, 8, 0, 0, 0, brt())
	later := created.Add(time.Hour)

	view(t, db, func(tx *Tx) error {
		if _, err := tx.Customer(ctx, "c1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing customer: got %v, want ErrNotFound", err)
		}
		return nil
	})
	update(t, db, func(tx *Tx) error {
		return tx.PutCustomer(ctx, Customer{Chat: "c1", Phone: "5511", Name: "Ana", CreatedAt: created, UpdatedAt: created})
	})
	update(t, db, func(tx *Tx) error {
		// A later put keeps the original CreatedAt.
		return tx.PutCustomer(ctx, Customer{Chat: "c1", Phone: "5511", Name: "Ana Maria", IDSuporte: "ID-7", CreatedAt: later, UpdatedAt: later})
	})
	view(t, db, func(tx *Tx) error {
		got, err := tx.Customer(ctx, "c1")
		if err != nil {
			return err
		}
		want := Customer{Chat: "c1", Phone: "5511", Name: "Ana Maria", IDSuporte: "ID-7", CreatedAt: created.UTC(), UpdatedAt: later.UTC()}
		if got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
		return nil
	})
}
