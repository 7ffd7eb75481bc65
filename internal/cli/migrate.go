package cli

import (
	"github.com/sesameid/sesame/internal/app"
	"github.com/sesameid/sesame/internal/config"
)

func (e *env) migrate(args []string) error {
	sub, rest, err := subcommand("migrate", args, "up", "down", "status")
	if err != nil {
		return err
	}
	fs, l := e.flags("migrate " + sub)
	var force *bool
	if sub == "down" {
		force = fs.Bool("force", false, "roll back even the initial schema, deleting every table and its rows")
	}
	cfg, err := e.load(fs, l, rest, config.NeedDatabase)
	if err != nil {
		return err
	}
	return e.withServices(cfg, func(a *app.Services) error {
		switch sub {
		case "up":
			return a.MigrateUp(e.ctx, e.stdout)
		case "down":
			return a.MigrateDown(e.ctx, e.stdout, *force)
		default:
			return a.MigrationStatus(e.ctx, e.stdout)
		}
	})
}
