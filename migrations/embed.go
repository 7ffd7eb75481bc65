// Package migrations embeds Sesame's goose SQL migrations. Files are numbered in order;
// a merged file is never edited: a change is a new file.
package migrations

import "embed"

// FS holds the migration files.
//
//go:embed *.sql
var FS embed.FS
