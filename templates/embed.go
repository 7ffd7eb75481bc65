// Package templates embeds Sesame's HTML pages and their static assets. Pages are parsed
// once at start; every page is a standalone document using the "head" and "foot" blocks.
package templates

import (
	"embed"
	"html/template"
	"io/fs"
)

//go:embed pages/*.html
var pages embed.FS

//go:embed static
var static embed.FS

// Parse parses every page.
func Parse() (*template.Template, error) {
	return template.ParseFS(pages, "pages/*.html")
}

// Static returns the static assets (CSS, the form_post auto-submit script).
func Static() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded directory exists at compile time
	}
	return sub
}
