// Package web holds what the HTTP sides of suporte share: the console and
// the simulated WhatsApp.
//
// Files serves the pages embedded in the binary. They are read once, when
// the handler is built, from an embed.FS fixed at build time; each request
// then only looks its path up. Every file goes out with "Cache-Control:
// no-cache" and an ETag of its content, so a browser revalidates and a new
// binary brings new files at once, while an unchanged file costs a 304.
//
// NewServer is the one HTTP server configuration (header, body and idle
// timeouts; see BodyTime). SameOrigin and CrossSite read what browsers say
// about where a request comes from, and Digits parses ids in paths.
// ServeMedia serves stored media files in a way no browser runs anything
// in them.
package web
