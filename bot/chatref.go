package bot

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"

	"github.com/rs/zerolog"
)

// ChatRef names chat in logs above debug level, where phone numbers must
// not appear: a keyed hash (HMAC-SHA256 with the installation's secret,
// store.DB.Secret), stable across restarts, so one customer's lines can
// be followed, but not turned back into the number by trying them all.
// It is twelve letters, never digits, so it cannot pass for a number.
func ChatRef(key []byte, chat string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(chat))
	sum := mac.Sum(nil)
	const letters = "bcdfghjkmnpqrstv" // 16: one per 4 bits
	out := make([]byte, 12)
	for i := range out {
		out[i] = letters[sum[i/2]>>(4*(i%2))&0xf]
	}
	return string(out)
}

// logChat adds chat to a log line: its ChatRef, and, when the log shows
// debug lines, the chat itself.
func (r *Runtime) logChat(ev *zerolog.Event, chat string) *zerolog.Event {
	ev = ev.Str("chat_ref", ChatRef(r.logKey, chat))
	if r.cfg.Log.GetLevel() <= zerolog.DebugLevel {
		ev = ev.Str("chat", chat)
	}
	return ev
}

// randomKey is the log key of a runtime given none: refs hold within the
// process only.
func randomKey() []byte {
	k := make([]byte, 32)
	rand.Read(k) // never fails (crypto/rand panics if the OS cannot give randomness)
	return k
}
