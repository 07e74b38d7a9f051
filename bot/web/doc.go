// Package web serves the pages embedded in the binary: the console's UI
// and the simulated WhatsApp's page; and, for both, the stored media
// files, in a way no browser runs anything in them (ServeMedia).
//
// The files are read once, when the handler is built, from an embed.FS
// fixed at build time; each request then only looks its path up. Every
// file goes out with "Cache-Control: no-cache" and an ETag of its
// content, so a browser revalidates and a new binary brings new files at
// once, while an unchanged file costs a 304.
package web
