package oidcop_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/testserver"
)

const sharedCB = "https://shared.example/cb"

// A client registered to accept another organization (--allow-org) or every one
// (--any-org) signs that organization's users in, and every token and answer about them
// says which organization they belong to: the ID token, the access token, userinfo and
// introspection carry org_id, the user's organization, never the client's.
func TestOrgIDInTokens(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	globex := h.AddTenant(t, "globex", "grace@globex.example")
	for _, tt := range []struct {
		name  string
		c     func() rp
		email string
		org   uuid.UUID
	}{
		{"own organization", func() rp { return web(h) }, testserver.Email, h.OrgID},
		{"allowed organization", func() rp {
			return rp{h.Register(t, client.NewClient{Name: "Shared", RedirectURIs: []string{sharedCB}, AllowedOrgs: []uuid.UUID{globex.OrgID}}), sharedCB}
		}, globex.Email, globex.OrgID},
		{"any organization", func() rp {
			return rp{h.Register(t, client.NewClient{Name: "Everyone", RedirectURIs: []string{sharedCB}, AnyOrg: true}), sharedCB}
		}, globex.Email, globex.OrgID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tt.c()
			tok := tokensFor(t, h, c, tt.email, "openid email offline_access")
			want := tt.org.String()
			_, id := jwt(t, str(tok, "id_token"))
			_, at := jwt(t, str(tok, "access_token"))
			info := userinfo(t, h, str(tok, "access_token"))
			if info.status != http.StatusOK {
				t.Fatalf("userinfo = %v", info)
			}
			for name, got := range map[string]any{
				"ID token":                    id["org_id"],
				"access token":                at["org_id"],
				"userinfo":                    object(t, info)["org_id"],
				"introspection, access token": checkActive(t, h, c.Client, str(tok, "access_token"))["org_id"],
				"introspection, refresh":      checkActive(t, h, c.Client, str(tok, "refresh_token"))["org_id"],
			} {
				if got != want {
					t.Errorf("%s: org_id = %v, want %s (the user's organization)", name, got, want)
				}
			}
		})
	}
}

// When a client stops accepting an organization, what its users were given stops working
// at once: a code not yet redeemed and a refresh token are invalid_grant, introspection
// says inactive. The client's row is changed in SQL, as an administrator's edit would.
func TestOrgBoundaryAfterTheFact(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{})
	globex := h.AddTenant(t, "globex", "grace@globex.example")
	c := rp{h.Register(t, client.NewClient{Name: "Shared", RedirectURIs: []string{sharedCB}, AllowedOrgs: []uuid.UUID{globex.OrgID}}), sharedCB}
	tok := tokensFor(t, h, c, globex.Email, "openid email offline_access")
	code, verifier := codeFor(t, h, c, globex.Email, "openid email")
	checkActive(t, h, c.Client, str(tok, "access_token"))
	checkActive(t, h, c.Client, str(tok, "refresh_token"))
	if r := userinfo(t, h, str(tok, "access_token")); r.status != http.StatusOK {
		t.Fatalf("userinfo before the change = %v", r)
	}

	if _, err := h.Services.Pool.Exec(t.Context(), `UPDATE clients SET allowed_org_ids = '{}' WHERE client_id = $1`, c.ID); err != nil {
		t.Fatal(err)
	}
	t.Run("refresh", func(t *testing.T) {
		oauthError(t, refreshAs(t, h, c.Client, str(tok, "refresh_token"), nil), http.StatusBadRequest, "invalid_grant")
	})
	t.Run("code", func(t *testing.T) {
		r := clientPost(t, h.URL, "/oauth/token", c.Client, exchangeAt(code, verifier, c.redirect))
		oauthError(t, r, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("introspection", func(t *testing.T) {
		checkInactive(t, h, c.Client, str(tok, "access_token"))
		checkInactive(t, h, c.Client, str(tok, "refresh_token"))
	})
	t.Run("userinfo", func(t *testing.T) {
		r := userinfo(t, h, str(tok, "access_token"))
		if r.status != http.StatusUnauthorized || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("userinfo after the client stopped accepting the organization = %v, want 401 invalid_token", r)
		}
	})
}
