package client

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestAudienceAccepts(t *testing.T) {
	own, other, third := uuid.New(), uuid.New(), uuid.New()
	for _, tc := range []struct {
		name string
		a    Audience
		org  uuid.UUID
		want bool
	}{
		{"own organization", Audience{OrgID: own}, own, true},
		{"another organization", Audience{OrgID: own}, other, false},
		{"an allowed organization", Audience{OrgID: own, AllowedOrgs: []uuid.UUID{other}}, other, true},
		{"not among the allowed", Audience{OrgID: own, AllowedOrgs: []uuid.UUID{other}}, third, false},
		{"any organization", Audience{OrgID: own, AnyOrg: true}, third, true},
		{"no organization, even with any", Audience{OrgID: own, AnyOrg: true}, uuid.Nil, false},
	} {
		if got := tc.a.Accepts(tc.org); got != tc.want {
			t.Errorf("%s: Accepts = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestGrantable(t *testing.T) {
	code := Client{GrantTypes: []string{GrantAuthorizationCode}, Scopes: []string{"orders:read"}}
	refresh := Client{GrantTypes: []string{GrantAuthorizationCode, GrantRefreshToken}}
	service := Client{GrantTypes: []string{GrantClientCredentials}, Scopes: []string{"orders:read"}}
	for _, tc := range []struct {
		name string
		c    Client
		in   string
		want string
	}{
		{"OpenID scopes for a code-flow client", code, "openid profile email", "openid profile email"},
		{"offline_access only with the refresh grant", code, "openid offline_access", "openid"},
		{"offline_access with it", refresh, "openid offline_access", "openid offline_access"},
		{"registered scopes", code, "openid orders:read", "openid orders:read"},
		{"unknown scopes dropped", code, "openid admin orders:write", "openid"},
		{"each once, in order", code, "orders:read openid orders:read openid", "orders:read openid"},
		{"no OpenID scopes without the code grant", service, "openid orders:read", "orders:read"},
	} {
		got := strings.Join(tc.c.Grantable(strings.Fields(tc.in)), " ")
		if got != tc.want {
			t.Errorf("%s: Grantable(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestCheckScope(t *testing.T) {
	for _, s := range []string{"orders:read", "https://api.example/orders", "a", strings.Repeat("x", 64), "!#[]~"} {
		if err := checkScope(s); err != nil {
			t.Errorf("checkScope(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range []string{"", "two words", `quo"te`, `back\slash`, "tab\t", "é", strings.Repeat("x", 65), "\x7f"} {
		if err := checkScope(s); err == nil {
			t.Errorf("checkScope(%q) = nil, want an error", s)
		}
	}
	for _, s := range []string{"openid", "profile", "email", "offline_access"} {
		if err := checkScope(s); err == nil || !slices.Contains(OpenIDScopes, s) {
			t.Errorf("checkScope(%q) = %v: the flow grants it, it is not registered", s, err)
		}
	}
}
