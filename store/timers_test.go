package store

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestTimers(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	base := time.Date(2025, 1, 2, 8, 0, 0, 0, brt())
	at := func(min int) time.Time { return base.Add(time.Duration(min) * time.Minute).UTC() }

	view(t, db, func(tx *Tx) error {
		if _, err := tx.NextTimer(ctx, ""); !errors.Is(err, ErrNotFound) {
			t.Errorf("NextTimer empty: got %v, want ErrNotFound", err)
		}
		return nil
	})
	update(t, db, func(tx *Tx) error {
		for _, tm := range []Timer{
			{Chat: "b", Kind: "remind", Due: at(5)},
			{Chat: "a", Kind: "remind", Due: at(5)},
			{Chat: "a", Kind: "close", Due: at(30)},
			{Chat: "c", Kind: "remind", Due: at(1)},
			{Chat: "c", Kind: "remind", Due: at(10), Arg: "Ana"}, // upsert moves it and sets its arg
		} {
			if err := tx.SetTimer(ctx, tm); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx *Tx) error {
		due, err := tx.DueTimers(ctx, "", base.Add(10*time.Minute), 0)
		if err != nil {
			return err
		}
		want := []Timer{{"a", "", "remind", at(5), ""}, {"b", "", "remind", at(5), ""}, {"c", "", "remind", at(10), "Ana"}}
		if !reflect.DeepEqual(due, want) {
			t.Errorf("DueTimers: got %v, want %v", due, want)
		}
		due, err = tx.DueTimers(ctx, "", base.Add(10*time.Minute), 1)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(due, want[:1]) {
			t.Errorf("DueTimers limit 1: got %v, want %v", due, want[:1])
		}
		next, err := tx.NextTimer(ctx, "")
		if err != nil {
			return err
		}
		if next != want[0] {
			t.Errorf("NextTimer: got %v, want %v", next, want[0])
		}
		ts, err := tx.Timers(ctx, "", "a")
		if err != nil {
			return err
		}
		if want := []Timer{{"a", "", "remind", at(5), ""}, {"a", "", "close", at(30), ""}}; !reflect.DeepEqual(ts, want) {
			t.Errorf("Timers a: got %v, want %v", ts, want)
		}
		return nil
	})
	update(t, db, func(tx *Tx) error {
		if err := tx.DeleteTimer(ctx, "", "a", "remind"); err != nil {
			return err
		}
		if err := tx.DeleteTimer(ctx, "", "a", "nope"); err != nil {
			return err
		}
		if err := tx.SetTimer(ctx, Timer{Chat: "b", Kind: "undo", Due: at(50)}); err != nil {
			return err
		}
		return tx.ClearTimers(ctx, "", "b", "undo")
	})
	view(t, db, func(tx *Tx) error {
		due, err := tx.DueTimers(ctx, "", base.Add(time.Hour), 0)
		if err != nil {
			return err
		}
		want := []Timer{{"c", "", "remind", at(10), "Ana"}, {"a", "", "close", at(30), ""}, {"b", "", "undo", at(50), ""}}
		if !reflect.DeepEqual(due, want) {
			t.Errorf("DueTimers after delete: got %v, want %v", due, want)
		}
		return nil
	})
}
