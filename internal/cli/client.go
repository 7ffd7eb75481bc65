package cli

import (
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/app"
	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/config"
	"github.com/sesameid/sesame/internal/org"
)

func (e *env) client(args []string) error {
	sub, rest, err := subcommand("client", args, "create", "list")
	if err != nil {
		return err
	}
	if sub == "list" {
		return e.clientList(rest)
	}
	fs, l := e.flags("client create")
	orgSlug := fs.String("org", "", "organization slug (required)")
	name := fs.String("name", "", "display name (required)")
	var redirects, postLogout, grants stringsFlag
	fs.Var(&redirects, "redirect-uri", "redirect URI, exact match (repeat for several)")
	fs.Var(&postLogout, "post-logout-redirect-uri", "post-logout redirect URI, exact match (repeat for several)")
	fs.Var(&grants, "grant-type", "authorization_code, refresh_token or client_credentials (repeat; default the first two)")
	public := fs.Bool("public", false, "a public client (native or browser app): no secret")
	var allowOrgs, scopes stringsFlag
	fs.Var(&allowOrgs, "allow-org", "also accept users of this organization (slug; repeat for several)")
	anyOrg := fs.Bool("any-org", false, "accept users of every organization (tokens carry org_id to separate them)")
	fs.Var(&scopes, "scope", "a scope it may receive beyond openid, profile, email and offline_access (repeat for several)")
	introspect := fs.Bool("introspect", false, "a resource server: may introspect the tokens of its organization's clients")
	asJSON := fs.Bool("json", false, `print {"client_id": ..., "client_secret": ...}`)
	d := client.DefaultLifetimes
	format := fs.String("access-token-format", d.AccessTokenFormat, "jwt or opaque")
	accessTTL := fs.Duration("access-token-ttl", d.AccessTokenTTL, "access token lifetime")
	idTTL := fs.Duration("id-token-ttl", d.IDTokenTTL, "ID token lifetime")
	idleTTL := fs.Duration("refresh-idle-ttl", d.RefreshIdleTTL, "a refresh token unused this long expires")
	absTTL := fs.Duration("refresh-absolute-ttl", d.RefreshAbsoluteTTL, "a refresh token family ends this long after sign-in")
	cfg, err := e.load(fs, l, rest, config.NeedDatabase)
	if err != nil {
		return err
	}
	return e.inOrg(cfg, *orgSlug, func(a *app.Services, o org.Organization) error {
		allowed := make([]uuid.UUID, 0, len(allowOrgs))
		for _, slug := range allowOrgs {
			other, err := a.Orgs.BySlug(e.ctx, slug)
			if err != nil {
				return fmt.Errorf("--allow-org %s: %w", slug, err)
			}
			allowed = append(allowed, other.ID)
		}
		c, sec, err := a.Clients.Register(e.ctx, client.NewClient{
			OrgID: o.ID, Name: *name, Public: *public, AllowedOrgs: allowed, AnyOrg: *anyOrg,
			Scopes: scopes, Introspect: *introspect,
			RedirectURIs: redirects, PostLogoutRedirectURIs: postLogout, GrantTypes: grants,
			Lifetimes: &client.Lifetimes{AccessTokenFormat: *format, AccessTokenTTL: *accessTTL, IDTokenTTL: *idTTL,
				RefreshIdleTTL: *idleTTL, RefreshAbsoluteTTL: *absTTL},
		})
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e.stdout, createdClientJSON{ClientID: c.ClientID, ClientSecret: sec.Reveal()})
		}
		fmt.Fprintf(e.stdout, "client_id:     %s\n", c.ClientID)
		if !sec.IsZero() {
			fmt.Fprintf(e.stdout, "client_secret: %s\n", sec.Reveal())
			fmt.Fprintln(e.stdout, "(the secret is shown only now: store it safely)")
		}
		return nil
	})
}

func (e *env) clientList(args []string) error {
	return listInOrg(e, "client list", args, func(a *app.Services, o org.Organization) ([]client.Client, error) {
		return a.Clients.List(e.ctx, o.ID)
	}, clientOut, []string{"CLIENT_ID", "NAME", "TYPE", "GRANTS", "USERS_FROM", "SCOPES", "INTROSPECT", "REDIRECT_URIS"}, func(c client.Client) []string {
		return []string{c.ClientID, c.Name, string(c.Type), strings.Join(c.GrantTypes, ","), usersFrom(c.Audience),
			strings.Join(c.Scopes, ","), yesNo(c.Introspect), strings.Join(c.RedirectURIs, " ")}
	})
}

// usersFrom says whose users a client accepts: "own", "any", or "own," and the IDs of
// the other organizations allowed.
func usersFrom(a client.Audience) string {
	if a.AnyOrg {
		return "any"
	}
	out := []string{"own"}
	for _, id := range a.AllowedOrgs {
		out = append(out, id.String())
	}
	return strings.Join(out, ",")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
