// Package console is the Encantadores' web console and its JSON API.
//
// Agents log in (POST /api/login) and get a session: a random token whose
// SHA-256 is all the store keeps. Browsers carry it in an HttpOnly cookie,
// scripts in an Authorization: Bearer header. Every other /api/ request
// resolves the session to a store.Agent, which becomes the bot.Agent the
// runtime acts for.
//
// Reads (the queue, ticket lists, transcripts, the dashboard) go straight
// to the store in a read-only View. Actions (claim, reply, note, status,
// release, transfer, escalate) go to the bot.Runtime, which runs them in
// the chat's order with the customer's own messages and checks the same
// permissions again. The runtime's live events reach browsers over
// server-sent events (GET /api/events); an agent with an open stream is
// online, and the runtime uses that count for queue wait estimates.
//
// The UI is plain HTML, one CSS and one JS file embedded in the binary:
// no build step, no CDN, no inline script (the CSP forbids it).
package console
