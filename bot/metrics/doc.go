// Package metrics is the service's Prometheus metrics (GET /metrics) and
// its readiness check (GET /readyz).
//
// Two kinds of figures. Events are counted as they happen: the runtime
// calls the bot.Observer methods (messages in, duplicates, turns handled
// and their latency, messages sent and failed). State is read at scrape
// time, so nothing polls between scrapes: the queue and the active
// conversations from one read-only store View, the store's group-commit
// counters, the WhatsApp connection and the flows' status from the funcs
// Config hands in. The send limiter's delays are counted by wrapping its
// sleep (LimiterSleep).
//
// Counters read off a status at scrape (WhatsApp reconnects, flows
// reloads and refusals) see each scrape's state: two reloads between two
// scrapes count once. The series carry no chat or phone labels.
//
// Every metric lives in the package's own registry, never the global one.
// /metrics has no authentication: the service listens on 127.0.0.1 by
// default; put it behind the same proxy rules as the console if it
// listens elsewhere. Nothing in it names a customer.
package metrics
