package sim

import "embed"

// staticFS holds the page, its script and styles: everything is in the
// binary, nothing comes from a CDN.
//
//go:embed static
var staticFS embed.FS
