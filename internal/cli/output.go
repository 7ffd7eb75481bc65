package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/app"
	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/config"
	"github.com/sesameid/sesame/internal/org"
	"github.com/sesameid/sesame/internal/signing"
)

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes rows under header, aligned, each cell through cell.
func table(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = cell(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// cell returns s as it can be printed to a terminal: unchanged when it is valid UTF-8 of
// graphic characters and spaces, otherwise quoted with Go escapes ("a\x1b[2Jb"), so a stored
// name cannot move the cursor, rewrite earlier lines, break the table's columns or pass
// for another value.
func cell(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsGraphic(r) {
			return strconv.QuoteToGraphic(s)
		}
	}
	return s
}

// stringsFlag collects a repeatable flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

// listInOrg runs a "<group> list --org SLUG [--json]" command: fetch the organization's items
// and print them as a JSON array or a table.
func listInOrg[T, J any](e *env, name string, args []string, fetch func(*app.Services, org.Organization) ([]T, error),
	out func(T) J, header []string, row func(T) []string) error {
	fs, l := e.flags(name)
	orgSlug := fs.String("org", "", "organization slug (required)")
	asJSON := fs.Bool("json", false, "print a JSON array")
	cfg, err := e.load(fs, l, args, config.NeedDatabase)
	if err != nil {
		return err
	}
	return e.inOrg(cfg, *orgSlug, func(a *app.Services, o org.Organization) error {
		items, err := fetch(a, o)
		if err != nil {
			return err
		}
		return printList(e.stdout, *asJSON, items, out, header, row)
	})
}

// printList prints items as a JSON array of out(item), or as a table of row(item) under header.
func printList[T, J any](w io.Writer, asJSON bool, items []T, out func(T) J, header []string, row func(T) []string) error {
	if asJSON {
		js := make([]J, len(items))
		for i, it := range items {
			js[i] = out(it)
		}
		return writeJSON(w, js)
	}
	rows := make([][]string, len(items))
	for i, it := range items {
		rows[i] = row(it)
	}
	return table(w, header, rows)
}

// The --json output types: the CLI's contract with scripts, apart from the domain types so
// that neither changes the other by accident (they move to pkg/sesameclient with the admin
// API). Durations are integer nanoseconds, as they have always been.

type orgJSON struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	Slug      string    `json:"slug"`
	CreatedAt time.Time `json:"created_at"`
}

func orgOut(o org.Organization) orgJSON {
	return orgJSON{ID: o.ID, Name: o.Name, Slug: o.Slug, CreatedAt: o.CreatedAt}
}

// inOrgJSON names an object of an organization.
type inOrgJSON struct {
	ID    uuid.UUID `json:"id"`
	OrgID uuid.UUID `json:"org_id"`
}

type userJSON struct {
	inOrgJSON
	Email         string    `json:"email"`
	EmailVerified bool      `json:"email_verified"`
	Name          string    `json:"name"`
	Status        string    `json:"status"`
	CreatedAt     time.Time `json:"created_at"`
}

func userOut(u account.User) userJSON {
	return userJSON{inOrgJSON: inOrgJSON{u.ID, u.OrgID}, Email: u.Email, EmailVerified: u.EmailVerified, Name: u.Name,
		Status: string(u.Status), CreatedAt: u.CreatedAt}
}

type clientJSON struct {
	inOrgJSON
	ClientID               string        `json:"client_id"`
	Name                   string        `json:"name"`
	Type                   string        `json:"type"`
	RedirectURIs           []string      `json:"redirect_uris"`
	PostLogoutRedirectURIs []string      `json:"post_logout_redirect_uris"`
	GrantTypes             []string      `json:"grant_types"`
	AccessTokenFormat      string        `json:"access_token_format"`
	AccessTokenTTL         time.Duration `json:"access_token_ttl"`
	IDTokenTTL             time.Duration `json:"id_token_ttl"`
	RefreshIdleTTL         time.Duration `json:"refresh_token_idle_ttl"`
	RefreshAbsoluteTTL     time.Duration `json:"refresh_token_absolute_ttl"`
	AllowedOrgIDs          []uuid.UUID   `json:"allowed_org_ids"`
	AnyOrg                 bool          `json:"any_org"`
	Scopes                 []string      `json:"scopes"`
	Introspect             bool          `json:"introspect"`
	CreatedAt              time.Time     `json:"created_at"`
}

func clientOut(c client.Client) clientJSON {
	return clientJSON{inOrgJSON: inOrgJSON{c.ID, c.OrgID}, ClientID: c.ClientID, Name: c.Name, Type: string(c.Type),
		RedirectURIs: c.RedirectURIs, PostLogoutRedirectURIs: c.PostLogoutRedirectURIs, GrantTypes: c.GrantTypes,
		AccessTokenFormat: c.AccessTokenFormat, AccessTokenTTL: c.AccessTokenTTL, IDTokenTTL: c.IDTokenTTL,
		RefreshIdleTTL: c.RefreshIdleTTL, RefreshAbsoluteTTL: c.RefreshAbsoluteTTL, AllowedOrgIDs: c.AllowedOrgs,
		AnyOrg: c.AnyOrg, Scopes: c.Scopes, Introspect: c.Introspect, CreatedAt: c.CreatedAt}
}

// createdClientJSON is client create --json: the secret appears here and nowhere else.
type createdClientJSON struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret,omitempty"`
}

type keyJSON struct {
	KID       string     `json:"kid"`
	Alg       string     `json:"alg"`
	NotBefore time.Time  `json:"not_before"`
	RetiredAt *time.Time `json:"retired_at,omitempty"`
}

func keyOut(k signing.Key) keyJSON {
	var retired *time.Time
	if k.RetiredAt != nil {
		t := k.RetiredAt.UTC()
		retired = &t
	}
	return keyJSON{KID: k.KID, Alg: k.Alg, NotBefore: k.NotBefore.UTC(), RetiredAt: retired}
}
