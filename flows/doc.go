// Package flows reads flows.yaml, the file content editors own: the bot's
// texts, the ID Suporte rules, the menu tree and its trails, business hours
// and holidays, timeouts and pacing.
//
// Data moves one way: Load reads the file, Parse decodes the YAML tree
// onto the schema (keeping the line and column of every value and
// rejecting unknown keys), then validates it, collecting every problem as
// FILE:LINE:COL: message. The result is an immutable *Flow the engine
// reads: node lookup, menu matching (numbers, emoji digits, labels,
// keywords; case and accents folded), routing free text over the whole
// tree (words.go reads Portuguese, typo.go forgives typos, route.go
// ranks the nodes, understand.go decides what a text at a menu means),
// the business calendar, placeholder rendering and the diagram export.
// The routing index is built with the Flow, never per message. A reload
// builds a new Flow; nothing here touches a conversation.
package flows
