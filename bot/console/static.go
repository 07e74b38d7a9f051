package console

import "embed"

// staticFiles is the UI (see web.App): index.html, which routes itself,
// and the CSS and JS it loads.
//
//go:embed static
var staticFiles embed.FS
