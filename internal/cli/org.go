package cli

import (
	"fmt"

	"github.com/sesameid/sesame/internal/app"
	"github.com/sesameid/sesame/internal/config"
)

func (e *env) org(args []string) error {
	_, rest, err := subcommand("org", args, "create")
	if err != nil {
		return err
	}
	fs, l := e.flags("org create")
	name := fs.String("name", "", "display name (required)")
	slug := fs.String("slug", "", "URL-safe identifier: lower-case letters, digits, hyphens (required)")
	asJSON := fs.Bool("json", false, "print the organization as JSON")
	cfg, err := e.load(fs, l, rest, config.NeedDatabase)
	if err != nil {
		return err
	}
	return e.withServices(cfg, func(a *app.Services) error {
		o, err := a.Orgs.Create(e.ctx, *name, *slug)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e.stdout, orgOut(o))
		}
		_, err = fmt.Fprintf(e.stdout, "created organization %s (id %s)\n", o.Slug, o.ID)
		return err
	})
}
