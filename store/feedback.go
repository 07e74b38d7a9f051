package store

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Feedback is a customer's rating of a closed ticket.
type Feedback struct {
	Ticket  int64
	Chat    string
	Rating  int // 1..5
	Comment string
	Agent   string
	Topic   string
	At      time.Time
}

const feedbackCols = `ticket, chat, rating, comment, agent, topic, at`

func scanFeedback(s rowScanner) (Feedback, error) {
	var f Feedback
	var at int64
	if err := s.Scan(&f.Ticket, &f.Chat, &f.Rating, &f.Comment, &f.Agent, &f.Topic, &at); err != nil {
		return Feedback{}, err
	}
	f.At = fromMillis(at)
	return f, nil
}

const putFeedbackSQL = `INSERT INTO feedback (` + feedbackCols + `)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (ticket) DO UPDATE SET
    chat = excluded.chat,
    rating = excluded.rating,
    comment = excluded.comment,
    agent = excluded.agent,
    topic = excluded.topic,
    at = excluded.at`

// PutFeedback inserts or replaces the feedback of ticket f.Ticket. The
// rating must be 1..5.
func (tx *Tx) PutFeedback(ctx context.Context, f Feedback) error {
	if f.Rating < 1 || f.Rating > 5 {
		return fmt.Errorf("put feedback %d: rating %d out of 1..5", f.Ticket, f.Rating)
	}
	err := tx.writeRowLater(ctx, "feedback", strconv.FormatInt(f.Ticket, 10), putFeedbackSQL,
		f.Ticket, f.Chat, f.Rating, f.Comment, f.Agent, f.Topic, millis(f.At))
	if err != nil {
		return fmt.Errorf("put feedback %d: %w", f.Ticket, err)
	}
	return nil
}

const feedbackSQL = `SELECT ` + feedbackCols + ` FROM feedback WHERE ticket = ?`

// Feedback returns the feedback of ticket, or ErrNotFound.
func (tx *Tx) Feedback(ctx context.Context, ticket int64) (Feedback, error) {
	f, err := scanFeedback(tx.queryRow(ctx, feedbackSQL, ticket))
	if err != nil {
		return Feedback{}, fmt.Errorf("load feedback %d: %w", ticket, notFound(err))
	}
	return f, nil
}
