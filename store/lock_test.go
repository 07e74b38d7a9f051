package store

import (
	"context"
	"strconv"
	"sync"
	"testing"
)

// TestLockChatAcrossStores: two stores on one database (two processes
// sharing PostgreSQL) read a chat's row and write it back changed, many
// times at once. Under LockChat no change is lost; without it, on
// PostgreSQL's READ COMMITTED, two of them would read the same value and
// one write would undo the other.
func TestLockChatAcrossStores(t *testing.T) {
	dsn := testDSN(t)
	ctx := context.Background()
	var dbs [2]*DB
	for i := range dbs {
		db, err := Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs[i] = db
	}
	update(t, dbs[0], func(tx *Tx) error { return tx.PutCustomer(ctx, Customer{Chat: "c1", Name: "0"}) })
	const each = 100
	var wg sync.WaitGroup
	for _, db := range dbs {
		for range 4 {
			wg.Go(func() {
				for range each / 4 {
					err := db.Update(ctx, func(tx *Tx) error {
						if err := tx.LockChat(ctx, "c1"); err != nil {
							return err
						}
						c, err := tx.Customer(ctx, "c1")
						if err != nil {
							return err
						}
						n, _ := strconv.Atoi(c.Name)
						c.Name = strconv.Itoa(n + 1)
						return tx.PutCustomer(ctx, c)
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	view(t, dbs[1], func(tx *Tx) error {
		c, err := tx.Customer(ctx, "c1")
		if err == nil && c.Name != strconv.Itoa(2*each) {
			t.Errorf("after %d increments from two stores: got %s", 2*each, c.Name)
		}
		return err
	})
}
