package cli

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/app"
	"github.com/sesameid/sesame/internal/config"
	"github.com/sesameid/sesame/internal/org"
	"github.com/sesameid/sesame/internal/secret"
)

func (e *env) user(args []string) error {
	sub, rest, err := subcommand("user", args, "create", "list", "disable", "enable", "unlock")
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		return e.userList(rest)
	case "disable", "enable":
		return e.userStatus(sub, rest)
	case "unlock":
		return e.userUnlock(rest)
	}
	fs, l := e.flags("user create")
	orgSlug := fs.String("org", "", "organization slug (required)")
	email := fs.String("email", "", "email address, the login name (required)")
	name := fs.String("name", "", "display name")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input; without it the user waits for first access")
	asJSON := fs.Bool("json", false, "print the user as JSON")
	cfg, err := e.load(fs, l, rest, config.NeedDatabase)
	if err != nil {
		return err
	}
	if *orgSlug == "" {
		return usagef("--org is required")
	}
	in := account.NewUser{Email: *email, Name: *name}
	if *pwStdin {
		if in.Password, err = readSecretLine(e); err != nil {
			return err
		}
		// Check the deployment's policy before touching the database: a bad password is the
		// caller's mistake. Create then applies the organization's policy.
		if err := cfg.PasswordPolicy.Check(in.Password, account.Subject{Email: *email}); err != nil {
			return err
		}
	}
	return e.inOrg(cfg, *orgSlug, func(a *app.Services, o org.Organization) error {
		in.OrgID = o.ID
		u, err := a.Users.Create(e.ctx, in)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e.stdout, userOut(u))
		}
		_, err = fmt.Fprintf(e.stdout, "created user %s (id %s, status %s)\n", u.Email, u.ID, u.Status)
		return err
	})
}

// readSecretLine reads one line from stdin, without its line ending.
func readSecretLine(e *env) (secret.Secret, error) {
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return secret.Secret{}, usagef("--password-stdin: no password on standard input")
	}
	return secret.New(strings.TrimRight(line, "\r\n")), nil
}

func (e *env) userList(args []string) error {
	return listInOrg(e, "user list", args, func(a *app.Services, o org.Organization) ([]account.User, error) {
		return a.Users.List(e.ctx, o.ID)
	}, userOut, []string{"ID", "EMAIL", "NAME", "STATUS"}, func(u account.User) []string {
		return []string{u.ID.String(), u.Email, u.Name, string(u.Status)}
	})
}

// userStatus is user disable and user enable. Disabling also ends the user's browser
// sessions and revokes their refresh and access tokens, so it needs Redis too.
func (e *env) userStatus(sub string, args []string) error {
	fs, l := e.flags("user " + sub)
	email := fs.String("email", "", "the user's email address (required)")
	asJSON := fs.Bool("json", false, "print the user as JSON")
	cfg, err := e.load(fs, l, args, config.NeedDatabase|config.NeedRedis)
	if err != nil {
		return err
	}
	if *email == "" {
		return usagef("--email is required")
	}
	u, err := app.SetUserDisabled(e.ctx, cfg, *email, sub == "disable")
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, userOut(u))
	}
	_, err = fmt.Fprintf(e.stdout, "user %s is %s\n", u.Email, u.Status)
	return err
}

// userUnlock is user unlock: it forgets the failed sign-ins counted against an email (both
// classes of the lockout), in Redis alone, and logs the event. The email need not be an
// account's: failures are counted for any email typed.
func (e *env) userUnlock(args []string) error {
	fs, l := e.flags("user unlock")
	email := fs.String("email", "", "the email address whose failed sign-ins are forgotten (required)")
	cfg, err := e.load(fs, l, args, config.NeedRedis)
	if err != nil {
		return err
	}
	if *email == "" {
		return usagef("--email is required")
	}
	if len(*email) > account.MaxEmailBytes {
		return usagef("--email is longer than %d bytes", account.MaxEmailBytes)
	}
	if err := app.UnlockUser(e.ctx, cfg, *email); err != nil {
		return err
	}
	e.logger(cfg).Info("login unlocked", "event", "unlock", "email", account.LogIdentifier(strings.TrimSpace(*email)))
	_, err = fmt.Fprintf(e.stdout, "sign-in failures of %s cleared\n", strings.TrimSpace(*email))
	return err
}
