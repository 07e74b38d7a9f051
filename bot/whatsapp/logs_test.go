package whatsapp

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	waLog "go.mau.fi/whatsmeow/util/log"

	"suporte/bot"
)

// TestRedactLog: whatsmeow's own lines name people by JID, phone number
// included; above debug they carry the chat's ref instead.
func TestRedactLog(t *testing.T) {
	var buf bytes.Buffer
	key := []byte("k")
	l := redactLog{next: waLog.Zerolog(zerolog.New(&buf)), key: key}
	l.Sub("Client").Warnf("Failed to decrypt message from %s in %s", "5547999990001:12@s.whatsapp.net", "5547999990001@s.whatsapp.net")
	l.Errorf("no session with %v", "123456789012345@lid")
	l.Infof("group %s unchanged", "120363025246125888@g.us")
	out := buf.String()
	for _, want := range []string{
		"chat_ref:" + bot.ChatRef(key, "5547999990001@s.whatsapp.net") + " in chat_ref:" + bot.ChatRef(key, "5547999990001@s.whatsapp.net"),
		"chat_ref:" + bot.ChatRef(key, "123456789012345@lid"),
		"120363025246125888@g.us", // a group is no person
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "5547999990001") || strings.Contains(out, "123456789012345") {
		t.Errorf("a person's number in the log:\n%s", out)
	}
	buf.Reset()
	l.Debugf("debug keeps %s", "5547999990001@s.whatsapp.net")
	if !strings.Contains(buf.String(), "5547999990001@s.whatsapp.net") {
		t.Errorf("debug line: %s; want the JID kept", buf.String())
	}
}
