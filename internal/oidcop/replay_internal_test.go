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
// of the grant dead: the refresh family exists before the access token's record checks the
// grant's revocation flag (RFC 6749 §4.1.2).
func TestReplayBetweenTakeAndIssue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg, rs := testenv.PostgresStore(t), testenv.RedisStore(t)
	o, err := org.NewService(pg, time.Now).Create(ctx, "Acme", "acme")
	if err != nil {
		t.Fatal(err)
	}
	u, err := account.NewService(pg, account.NewHasher(account.DefaultParams, 1, time.Minute), time.Now).Create(ctx, account.NewUser{OrgID: o.ID, Email: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := client.NewService(pg, time.Now).Register(ctx, client.NewClient{OrgID: o.ID, Name: "Web", RedirectURIs: []string{"https://rp.example/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	refresh := token.NewRefresh(pg, time.Now)
	p := &Provider{d: Deps{Codes: rs, Access: rs, Refresh: refresh, Now: time.Now}}
	a := token.Authorization{GrantID: "grant-1", ClientID: c.ClientID, CodeChallenge: "ch", UserID: u.ID.String(), OrgID: o.ID,
		AMR: []string{"pwd"}, AuthTime: time.Now(), Scopes: []string{"openid", "offline_access"}, Lifetimes: client.DefaultLifetimes}
	if err := rs.IssueCode(ctx, "the-code", a); err != nil {
		t.Fatal(err)
	}
	// The winner takes the code and starts the refresh family, as codeGrant does...
	won, _, err := rs.TakeCode(ctx, "the-code", c.ClientID, "ch")
	if err != nil {
		t.Fatalf("first use: %v", err)
	}
	rt, _, err := refresh.Start(ctx, won)
	if err != nil {
		t.Fatal(err)
	}
	// ...the replay lands and revokes the grant...
	_, grantID, err := rs.TakeCode(ctx, "the-code", c.ClientID, "ch")
	if !errors.Is(err, token.ErrReused) {
		t.Fatalf("replay: %v, want ErrReused", err)
	}
	if err := p.revokeGrant(ctx, grantID); err != nil {
		t.Fatal(err)
	}
	// ...and the winner's access token is saved last.
	at := token.AccessToken{ID: "at-1", ClientID: c.ClientID, Subject: u.ID.String(), GrantID: won.GrantID,
		ExpiresAt: time.Now().Add(time.Minute)}
	if err := p.save(ctx, minted{record: at}); err != nil {
		t.Fatalf("save after the replay = %v", err)
	}
	if _, err := refresh.Lookup(ctx, rt.Reveal(), c.ClientID); err == nil {
		t.Error("the refresh token issued before the replay is usable")
	}
	if _, err := rs.AccessToken(ctx, at.ID); !errors.Is(err, token.ErrNotFound) {
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
