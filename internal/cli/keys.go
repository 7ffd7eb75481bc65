package cli

import (
	"fmt"
	"time"

	"github.com/sesameid/sesame/internal/app"
	"github.com/sesameid/sesame/internal/config"
	"github.com/sesameid/sesame/internal/oidcop"
)

func (e *env) keys(args []string) error {
	sub, rest, err := subcommand("keys", args, "rotate", "list")
	if err != nil {
		return err
	}
	fs, l := e.flags("keys " + sub)
	var alg *string
	var delay *time.Duration
	asJSON := fs.Bool("json", false, "print JSON")
	if sub == "rotate" {
		alg = fs.String("alg", "", "algorithm of the new key: ES256 or RS256 (default: SESAME_SIGNING_ALG)")
		delay = fs.Duration("activate-in", oidcop.RotationDelay, "when the new key starts signing; it is published at once so every process and relying party knows it first")
	}
	cfg, err := e.load(fs, l, rest, config.NeedDatabase|config.NeedMasterKey)
	if err != nil {
		return err
	}
	return e.withAdmin(cfg, func(a *app.Admin) error {
		keys, err := a.Keys(cfg)
		if err != nil {
			return err
		}
		if sub == "rotate" {
			if *alg == "" {
				*alg = cfg.SigningAlg
			}
			if *alg != oidcop.AlgES256 && *alg != oidcop.AlgRS256 {
				return usagef("--alg must be ES256 or RS256")
			}
			if *delay < 0 {
				return usagef("--activate-in must not be negative")
			}
			k, err := keys.Rotate(e.ctx, *alg, *delay)
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(e.stdout, map[string]any{"kid": k.KID, "alg": k.Alg, "not_before": k.NotBefore.UTC()})
			}
			_, err = fmt.Fprintf(e.stdout, "new %s key %s signs from %s; earlier keys stay published for %s after that\n",
				k.Alg, k.KID, k.NotBefore.UTC().Format(time.RFC3339), oidcop.KeyRetention)
			return err
		}
		list, err := keys.List(e.ctx)
		if err != nil {
			return err
		}
		type row struct {
			KID       string     `json:"kid"`
			Alg       string     `json:"alg"`
			NotBefore time.Time  `json:"not_before"`
			RetiredAt *time.Time `json:"retired_at,omitempty"`
		}
		rows := make([]row, len(list))
		text := make([][]string, len(list))
		for i, k := range list {
			rows[i] = row{k.KID, k.Alg, k.NotBefore.UTC(), k.RetiredAt}
			retired := "-"
			if k.RetiredAt != nil {
				retired = k.RetiredAt.UTC().Format(time.RFC3339)
			}
			text[i] = []string{k.KID, k.Alg, k.NotBefore.UTC().Format(time.RFC3339), retired}
		}
		if *asJSON {
			return writeJSON(e.stdout, rows)
		}
		return table(e.stdout, []string{"KID", "ALG", "NOT_BEFORE", "RETIRED_AT"}, text)
	})
}
