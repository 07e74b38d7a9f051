// Package sim is the simulated WhatsApp, for holding whole conversations
// with the real engine and store and no phone: Session, a terminal (lines
// in, the bot's messages out) for `suporte simulate` and tests; and Phone,
// the runtime's transport whose customers are web pages (Handler, under
// /sim/) for `suporte demo`.
package sim
