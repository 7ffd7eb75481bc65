package oidcop

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/org"
	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/token"
)

// A replay of a code that lands after the first use took it but before that use issued its
// tokens (the window TestConcurrentRedemption only sometimes hits) still leaves every token
// of the grant dead: the refresh family must exist before the access token's record checks
// the grant's revocation flag (RFC 6749 §4.1.2).
func TestReplayBetweenTakeAndIssue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg, rs := testenv.PostgresStore(t), testenv.RedisStore(t)
	o, err := org.NewService(pg, time.Now).Create(ctx, "Acme", "acme")
	if err != nil {
		t.Fatal(err)
	}
	u, err := account.NewService(pg, account.DefaultParams, time.Now).Create(ctx, account.NewUser{OrgID: o.ID, Email: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := client.NewService(pg, time.Now).Register(ctx, client.NewClient{OrgID: o.ID, Name: "Web", RedirectURIs: []string{"https://rp.example/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	refresh := token.NewRefresh(pg, time.Now)
	st := &Storage{d: Deps{Codes: rs, Access: rs, Refresh: refresh, Now: time.Now}}
	a := token.Authorization{GrantID: "grant-1", ClientID: c.ClientID, CodeChallenge: "ch", UserID: u.ID.String(), AMR: []string{"pwd"}, AuthTime: time.Now(),
		Scopes: []string{"openid", "offline_access"}, Lifetimes: client.DefaultLifetimes}
	if err := rs.IssueCode(ctx, "the-code", a); err != nil {
		t.Fatal(err)
	}
	presented := func() context.Context {
		ctx, sc := withScope(ctx)
		sc.tokenClient, sc.challenge = c.ClientID, "ch"
		return ctx
	}
	winner := presented()
	ar, err := st.AuthRequestByCode(winner, "the-code")
	if err != nil {
		t.Fatalf("first use: %v", err)
	}
	if _, err := st.AuthRequestByCode(presented(), "the-code"); !errors.Is(err, token.ErrReused) {
		t.Fatalf("replay: %v, want ErrReused", err)
	}
	id, rt, _, err := st.CreateAccessAndRefreshTokens(winner, ar, "")
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	if _, err := refresh.Lookup(ctx, rt); err == nil {
		t.Error("the refresh token issued after the replay is usable")
	}
	if _, err := rs.AccessToken(ctx, id); !errors.Is(err, token.ErrNotFound) {
		t.Errorf("the access token issued after the replay is live: %v", err)
	}
}

// The kinds Sesame raises at the JSON protocol endpoints map to OAuth errors once.
func TestOAuthText(t *testing.T) {
	for k, want := range map[kind.Kind]string{
		kind.Unavailable: "503 temporarily_unavailable", kind.Invalid: "400 invalid_request",
		kind.Internal: "500 server_error", kind.NotFound: "500 server_error",
	} {
		status, code, desc := oauthText(k)
		if got := fmt.Sprint(status, " ", code); got != want || desc == "" {
			t.Errorf("oauthText(%s) = %s %q, want %s", k, got, desc, want)
		}
	}
}
