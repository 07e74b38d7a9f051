package store

import (
	"context"
	"fmt"
	"time"
)

// Customer is what is known about the person behind a chat.
type Customer struct {
	Chat, Phone, Name, IDSuporte string
	CreatedAt, UpdatedAt         time.Time
}

const customerCols = `chat, phone, name, id_suporte, created_at, updated_at`

func scanCustomer(s rowScanner) (Customer, error) {
	var c Customer
	var created, updated int64
	if err := s.Scan(&c.Chat, &c.Phone, &c.Name, &c.IDSuporte, &created, &updated); err != nil {
		return Customer{}, err
	}
	c.CreatedAt, c.UpdatedAt = fromMillis(created), fromMillis(updated)
	return c, nil
}

// Chats may be phone numbers: errors name the operation, never the chat.

const customerSQL = `SELECT ` + customerCols + ` FROM customers WHERE chat = ?`

// Customer returns the customer of chat, or ErrNotFound.
func (tx *Tx) Customer(ctx context.Context, chat string) (Customer, error) {
	c, err := scanCustomer(tx.queryRow(ctx, customerSQL, chat))
	if err != nil {
		return Customer{}, fmt.Errorf("load customer: %w", notFound(err))
	}
	return c, nil
}

const putCustomerSQL = `INSERT INTO customers (` + customerCols + `)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (chat) DO UPDATE SET
    phone = excluded.phone,
    name = excluded.name,
    id_suporte = excluded.id_suporte,
    updated_at = excluded.updated_at`

// PutCustomer inserts or replaces the customer of c.Chat. The CreatedAt of
// an existing row is kept.
func (tx *Tx) PutCustomer(ctx context.Context, c Customer) error {
	err := tx.writeRowLater(ctx, "customers", c.Chat, putCustomerSQL,
		c.Chat, c.Phone, c.Name, c.IDSuporte, millis(c.CreatedAt), millis(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("put customer: %w", err)
	}
	return nil
}
