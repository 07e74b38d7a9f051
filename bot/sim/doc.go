// Package sim is the simulated WhatsApp: a transport that prints the bot's
// messages and reads customer lines, so editors and tests can hold a whole
// conversation with the real engine and store, with no phone.
package sim
