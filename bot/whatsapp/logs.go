package whatsapp

import (
	"fmt"
	"regexp"

	waLog "go.mau.fi/whatsmeow/util/log"

	"suporte/bot"
)

// personalJID matches a person's JID in whatsmeow's log text, with an
// optional agent and device part: 5547999990001@s.whatsapp.net,
// 5547999990001:12@s.whatsapp.net, 123456789012345@lid.
var personalJID = regexp.MustCompile(`\b([0-9]{5,})(?:[.:][0-9]+)*@(s\.whatsapp\.net|lid|c\.us)\b`)

// redactLog is whatsmeow's logger with people's JIDs, which carry their
// phone numbers, replaced by chat refs (bot.ChatRef, the same the runtime
// logs) above debug level.
type redactLog struct {
	next waLog.Logger
	key  []byte
}

func (l redactLog) redact(msg string, args []any) string {
	return personalJID.ReplaceAllStringFunc(fmt.Sprintf(msg, args...), func(jid string) string {
		m := personalJID.FindStringSubmatch(jid)
		return "chat_ref:" + bot.ChatRef(l.key, m[1]+"@"+m[2])
	})
}

func (l redactLog) Warnf(msg string, args ...any)  { l.next.Warnf("%s", l.redact(msg, args)) }
func (l redactLog) Errorf(msg string, args ...any) { l.next.Errorf("%s", l.redact(msg, args)) }
func (l redactLog) Infof(msg string, args ...any)  { l.next.Infof("%s", l.redact(msg, args)) }
func (l redactLog) Debugf(msg string, args ...any) { l.next.Debugf(msg, args...) }
func (l redactLog) Sub(module string) waLog.Logger {
	return redactLog{next: l.next.Sub(module), key: l.key}
}
