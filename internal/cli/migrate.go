package cli

import (
	"github.com/sesameid/sesame/internal/app"
	"github.com/sesameid/sesame/internal/config"
	"github.com/sesameid/sesame/internal/store/postgres"
)

func (e *env) migrate(args []string) error {
	sub, rest, err := subcommand("migrate", args, "up", "down", "status")
	if err != nil {
		return err
	}
	fs, l := e.flags("migrate " + sub)
	cfg, err := e.load(fs, l, rest, config.NeedDatabase)
	if err != nil {
		return err
	}
	return e.withAdmin(cfg, func(a *app.Admin) error {
		return a.Migrate(func(m *postgres.Migrator) error {
			switch sub {
			case "up":
				return m.Up(e.ctx, e.stdout)
			case "down":
				return m.Down(e.ctx, e.stdout)
			default:
				return m.Status(e.ctx, e.stdout)
			}
		})
	})
}
