package cli

import (
	"fmt"

	"github.com/sesameid/sesame/internal/app"
	"github.com/sesameid/sesame/internal/config"
	"github.com/sesameid/sesame/internal/org"
)

func (e *env) org(args []string) error {
	sub, rest, err := subcommand("org", args, "create", "list")
	if err != nil {
		return err
	}
	if sub == "list" {
		return e.orgList(rest)
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

func (e *env) orgList(args []string) error {
	fs, l := e.flags("org list")
	asJSON := fs.Bool("json", false, "print a JSON array")
	cfg, err := e.load(fs, l, args, config.NeedDatabase)
	if err != nil {
		return err
	}
	return e.withServices(cfg, func(a *app.Services) error {
		orgs, err := a.Orgs.List(e.ctx)
		if err != nil {
			return err
		}
		return printList(e.stdout, *asJSON, orgs, orgOut, []string{"ID", "SLUG", "NAME"}, func(o org.Organization) []string {
			return []string{o.ID.String(), o.Slug, o.Name}
		})
	})
}
