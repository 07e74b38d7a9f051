package store

import (
	"context"
	"fmt"
	"time"
)

// FlowVersion is one load of flows.yaml by the running service.
type FlowVersion struct {
	ID       int64
	Version  string // content hash
	LoadedAt time.Time
	LoadedBy string // "startup", "file change", "SIGHUP", ...
	Content  string // the file as loaded
}

const flowVersionCols = `id, version, loaded_at, loaded_by, content`

func scanFlowVersion(s rowScanner) (FlowVersion, error) {
	var v FlowVersion
	var loaded int64
	if err := s.Scan(&v.ID, &v.Version, &loaded, &v.LoadedBy, &v.Content); err != nil {
		return FlowVersion{}, err
	}
	v.LoadedAt = fromMillis(loaded)
	return v, nil
}

const addFlowVersionSQL = `INSERT INTO flow_versions (version, loaded_at, loaded_by, content) VALUES (?, ?, ?, ?) RETURNING id`

// AddFlowVersion records a load of the flows file and returns its row id.
func (tx *Tx) AddFlowVersion(ctx context.Context, v FlowVersion) (int64, error) {
	id, err := tx.insert(ctx, addFlowVersionSQL, v.Version, millis(v.LoadedAt), v.LoadedBy, v.Content)
	if err != nil {
		return 0, fmt.Errorf("add flow version: %w", err)
	}
	return id, nil
}

const flowVersionsSQL = `SELECT ` + flowVersionCols + ` FROM flow_versions ORDER BY id DESC LIMIT ?`

// FlowVersions returns the latest limit loads, newest first; limit <= 0 returns all.
func (tx *Tx) FlowVersions(ctx context.Context, limit int) ([]FlowVersion, error) {
	vs, err := queryAll(ctx, tx, scanFlowVersion, flowVersionsSQL, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("flow versions: %w", err)
	}
	return vs, nil
}

const flowVersionSQL = `SELECT ` + flowVersionCols + ` FROM flow_versions WHERE version = ? ORDER BY id DESC LIMIT 1`

// FlowVersionByHash returns the latest load of a version, or ErrNotFound.
func (tx *Tx) FlowVersionByHash(ctx context.Context, version string) (FlowVersion, error) {
	v, err := scanFlowVersion(tx.queryRow(ctx, flowVersionSQL, version))
	if err != nil {
		return FlowVersion{}, fmt.Errorf("flow version %s: %w", version, notFound(err))
	}
	return v, nil
}

const pruneFlowVersionsSQL = `DELETE FROM flow_versions
WHERE id NOT IN (SELECT id FROM (SELECT id FROM flow_versions ORDER BY id DESC LIMIT ?) AS newest)
  AND version NOT IN (SELECT flow_version FROM conversations WHERE state <> ?)`

// PruneFlowVersions keeps the latest keep loads and every load of a
// version a conversation still going on runs on (so its text can be
// traced), deletes the rest, and says how many went.
func (tx *Tx) PruneFlowVersions(ctx context.Context, keep int) (int64, error) {
	res, err := tx.exec(ctx, pruneFlowVersionsSQL, keep, ConversationClosed)
	if err != nil {
		return 0, fmt.Errorf("prune flow versions: %w", err)
	}
	return res.RowsAffected()
}
