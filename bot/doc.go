// Package bot is the transport-neutral heart of suporte: the conversation
// engine over the trails of package flows, and the runtime that moves each
// customer's messages through it with the state kept in package store.
//
// A message travels like this: a transport calls Receive, which writes it
// to the inbox and returns once it is durable (so WhatsApp may be acked).
// The chat's worker then, strictly in order, sends what the chat's outbox
// holds, handles the next inbox row (engine turn: conversation, ticket,
// replies, timers, all in one transaction of the store's group commit) and
// fires the chat's due timers. Workers exist only while a chat has work.
//
// The engine keeps the lifecycle (asking the ID, browsing menus, trails,
// feedback, the handoff) in a looplab/fsm machine whose callbacks only
// record what to say and change; all IO happens after the event returns.
package bot
