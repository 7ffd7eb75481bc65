package cli

import (
	"encoding/json"
	"flag"
	"fmt"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/app"
	"github.com/sesameid/sesame/internal/config"
	"github.com/sesameid/sesame/internal/org"
)

func (e *env) org(args []string) error {
	sub, rest, err := subcommand("org", args, "create", "list", "policy")
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		return e.orgList(rest)
	case "policy":
		return e.orgPolicy(rest)
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

// orgPolicy shows an organization's password policy, or changes its override: the flags
// given replace those fields of the override (stricter than the deployment's only), --clear
// removes it.
func (e *env) orgPolicy(args []string) error {
	fs, l := e.flags("org policy")
	slug := fs.String("org", "", "organization slug (required)")
	minLen := fs.Int("min-length", 0, "minimum password length in characters")
	minLen2F := fs.Int("min-length-second-factor", 0, "minimum length when the organization requires a second factor")
	maxLen := fs.Int("max-length", 0, "maximum password length in characters (at least 64)")
	classes := fs.Int("min-classes", 0, "character classes a password must mix, of lower-case, upper-case, digits, symbols")
	blocklist := fs.Bool("blocklist", false, "refuse the common passwords")
	history := fs.Int("history", 0, "a new password may not be any of the user's last N passwords (0 to 24)")
	clearOverride := fs.Bool("clear", false, "remove the override: the deployment's policy applies")
	asJSON := fs.Bool("json", false, "print the policy as JSON")
	cfg, err := e.load(fs, l, args, config.NeedDatabase)
	if err != nil {
		return err
	}
	changed := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { changed[f.Name] = true })
	return e.inOrg(cfg, *slug, func(a *app.Services, o org.Organization) error {
		var override account.Policy
		if len(o.PasswordPolicy) > 0 && string(o.PasswordPolicy) != "null" {
			if err := json.Unmarshal(o.PasswordPolicy, &override); err != nil {
				return fmt.Errorf("organization %s: stored password policy unreadable: %w", o.Slug, err)
			}
		}
		if *clearOverride {
			override = account.Policy{}
		}
		touched := *clearOverride
		for name, set := range map[string]func(){
			"min-length":               func() { override.MinLength = *minLen },
			"min-length-second-factor": func() { override.MinLengthSecondFactor = *minLen2F },
			"max-length":               func() { override.MaxLength = *maxLen },
			"min-classes":              func() { override.MinClasses = *classes },
			"blocklist":                func() { override.Blocklist = *blocklist },
			"history":                  func() { override.History = *history },
		} {
			if changed[name] {
				set()
				touched = true
			}
		}
		var p account.Policy
		if touched {
			p, err = a.Users.SetOrgPolicy(e.ctx, o.ID, override)
		} else {
			p, _, err = a.Users.Policy(e.ctx, o.ID)
		}
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e.stdout, policyOut{p.MinLength, p.MinLengthSecondFactor, p.MaxLength, p.MinClasses, p.Blocklist})
		}
		_, err = fmt.Fprintf(e.stdout, "organization %s password policy: min_length=%d min_length_second_factor=%d max_length=%d min_classes=%d blocklist=%t\n",
			o.Slug, p.MinLength, p.MinLengthSecondFactor, p.MaxLength, p.MinClasses, p.Blocklist)
		return err
	})
}

// policyOut is a password policy as printed, every field present.
type policyOut struct {
	MinLength             int  `json:"min_length"`
	MinLengthSecondFactor int  `json:"min_length_second_factor"`
	MaxLength             int  `json:"max_length"`
	MinClasses            int  `json:"min_classes"`
	Blocklist             bool `json:"blocklist"`
}
