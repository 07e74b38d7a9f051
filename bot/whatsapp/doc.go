// Package whatsapp connects suporte to WhatsApp as a linked companion device
// (go.mau.fi/whatsmeow). It is the only package that imports whatsmeow: its
// types stop here, and the runtime only sees bot.Inbound and bot.Outbound.
//
// Inbound, whatsmeow calls the client's event handler on its single event
// goroutine. The handler converts a message (or a call, already rejected)
// to a bot.Inbound keyed by the customer's LID when WhatsApp gives one, and
// hands it to the runtime's Receive, which returns once the message is
// durable. Only then does the handler return true and whatsmeow acknowledge
// it to WhatsApp (SynchronousAck, plus the decrypted-event buffer so a
// redelivery after a crash can still be decrypted); a false return leaves
// it unacknowledged, to be delivered again. Nothing slow runs there.
//
// Outbound, the runtime's per-chat sender calls Send (with the message id it
// stored before the first attempt, so a resend reuses it), Typing and
// MarkRead. A menu may also go out as a poll; a vote comes back as the
// chosen option's key, like a typed answer.
//
// Run owns the connection: pairing (QR code in the terminal or a phone
// pairing code, only with the configured support number), reconnecting with
// a capped backoff, and the disconnects no reconnect can fix (logged out,
// session used elsewhere, client outdated, banned), which it reports as a
// *DisconnectError for the operator. Status tells /healthz where it stands.
package whatsapp
