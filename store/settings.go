package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

const (
	settingSQL       = `SELECT value FROM settings WHERE name = ?`
	addSettingSQL    = `INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`
	secretBytes      = 32
	secretNamePrefix = "secret:"
)

// Secret returns this installation's secret called name, 32 random bytes
// made on first use and kept in the store (so backups carry it and every
// process on the database shares it). Logs use one to name chats by a
// keyed hash that cannot be turned back into a phone number.
func (db *DB) Secret(ctx context.Context, name string) ([]byte, error) {
	var value string
	err := db.Update(ctx, func(tx *Tx) error {
		key := make([]byte, secretBytes)
		rand.Read(key) // never fails (crypto/rand panics if the OS cannot give randomness)
		if _, err := tx.exec(ctx, addSettingSQL, secretNamePrefix+name, hex.EncodeToString(key), time.Now().UnixMilli()); err != nil {
			return err
		}
		return tx.queryRow(ctx, settingSQL, secretNamePrefix+name).Scan(&value)
	})
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	key, err := hex.DecodeString(value)
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("secret %s: stored value is not a secret", name)
	}
	return key, nil
}
