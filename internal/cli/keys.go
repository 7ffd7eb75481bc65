package cli

import (
	"fmt"
	"time"

	"github.com/sesameid/sesame/internal/app"
	"github.com/sesameid/sesame/internal/config"
	"github.com/sesameid/sesame/internal/signing"
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
		delay = fs.Duration("activate-in", signing.RotationDelay, "when the new key starts signing, at most "+signing.MaxActivationDelay.String()+"; it is published at once so every process and relying party knows it first")
	}
	// Listing reads public halves and dates only: no master key needed.
	need := config.NeedDatabase
	if sub == "rotate" {
		need |= config.NeedMasterKey
	}
	cfg, err := e.load(fs, l, rest, need)
	if err != nil {
		return err
	}
	if sub == "rotate" {
		if *alg == "" {
			*alg = cfg.SigningAlg
		}
		if err := signing.CheckAlg(*alg); err != nil {
			return usagef("--alg %v", err)
		}
	}
	return e.withServices(cfg, func(a *app.Services) error {
		if sub == "rotate" {
			k, err := a.Keys.Rotate(e.ctx, *alg, *delay)
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(e.stdout, keyOut(k))
			}
			_, err = fmt.Fprintf(e.stdout, "new %s key %s signs from %s; earlier keys stay published for %s after that\n",
				k.Alg, k.KID, k.NotBefore.UTC().Format(time.RFC3339), signing.Retention)
			return err
		}
		list, err := a.SigningKeys(e.ctx)
		if err != nil {
			return err
		}
		return printList(e.stdout, *asJSON, list, keyOut, []string{"KID", "ALG", "NOT_BEFORE", "RETIRED_AT"},
			func(k signing.Key) []string {
				retired := "-"
				if k.RetiredAt != nil {
					retired = k.RetiredAt.UTC().Format(time.RFC3339)
				}
				return []string{k.KID, k.Alg, k.NotBefore.UTC().Format(time.RFC3339), retired}
			})
	})
}
