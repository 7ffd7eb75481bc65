package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/testserver"
)

func getDoc(t *testing.T, url string) map[string]any {
	t.Helper()
	_, m := testserver.GetJSON(t, url)
	return m
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// Discovery advertises exactly what works.
func TestDiscovery(t *testing.T) {
	e := start(t, nil)
	d := getDoc(t, e.issuer+"/.well-known/openid-configuration")
	want := map[string][]string{
		"response_types_supported":              {"code"},
		"response_modes_supported":              {"query", "form_post"},
		"grant_types_supported":                 {"authorization_code", "refresh_token", "client_credentials"},
		"code_challenge_methods_supported":      {"S256"},
		"id_token_signing_alg_values_supported": {"ES256"},
		"token_endpoint_auth_methods_supported": {"client_secret_basic", "client_secret_post", "none"},
	}
	for k, v := range want {
		if got := strs(d[k]); !slices.Equal(got, v) {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	if d["authorization_response_iss_parameter_supported"] != true || d["request_parameter_supported"] != false {
		t.Errorf("iss/request parameters: %v %v", d["authorization_response_iss_parameter_supported"], d["request_parameter_supported"])
	}
	for _, k := range []string{"device_authorization_endpoint", "check_session_iframe"} {
		if _, ok := d[k]; ok {
			t.Errorf("discovery advertises %s", k)
		}
	}
	for _, k := range []string{"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
		"introspection_endpoint", "revocation_endpoint", "end_session_endpoint"} {
		u, _ := d[k].(string)
		if !strings.HasPrefix(u, e.issuer+"/") {
			t.Errorf("%s = %q", k, u)
			continue
		}
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			t.Errorf("%s %s answers 404", k, u)
		}
	}
	if strings.Contains(d["jwks_uri"].(string), "none") || slices.Contains(strs(d["id_token_signing_alg_values_supported"]), "none") {
		t.Error("alg none offered")
	}
}

// keys rotate adds a key that is published at once and signs from its not_before, while
// the earlier key stays in JWKS; keys list shows both; the keys are sealed at rest.
func TestKeyRotation(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	jwks := func() []string {
		var kids []string
		for _, k := range getDoc(t, e.issuer+"/keys")["keys"].([]any) {
			kids = append(kids, k.(map[string]any)["kid"].(string))
		}
		return kids
	}
	before := jwks()
	if len(before) != 1 {
		t.Fatalf("JWKS at first start = %v, want one key", before)
	}
	var rotated struct{ KID, Alg string }
	if err := json.Unmarshal([]byte(run(t, e.cliEnv, "", "keys", "rotate", "--alg", "RS256", "--activate-in", "0s", "--json")), &rotated); err != nil {
		t.Fatal(err)
	}
	var list []struct {
		KID       string  `json:"kid"`
		RetiredAt *string `json:"retired_at"`
	}
	if err := json.Unmarshal([]byte(run(t, e.cliEnv, "", "keys", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].KID != rotated.KID || list[1].KID != before[0] || list[1].RetiredAt == nil {
		t.Errorf("keys list = %+v, want the new key then the retired first one", list)
	}
	// A new process (no cache) publishes both and signs with the new RS256 key.
	e2 := e.another(t)
	if got := getDocKids(t, e2.issuer); !slices.Contains(got, before[0]) || !slices.Contains(got, rotated.KID) {
		t.Errorf("JWKS after rotation = %v, want %s and %s", got, before[0], rotated.KID)
	}
	web := e2.oauth(e2.web, rpCallback)
	code, verifier := e2.login(t, e2.browser(t), web)
	tok, err := web.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	raw := tok.Extra("id_token").(string)
	if _, err := e2.provider.Verifier(&oidc.Config{ClientID: e2.web.ID, SupportedSigningAlgs: []string{"RS256"}}).Verify(ctx, raw); err != nil {
		t.Errorf("ID token not signed with the rotated RS256 key: %v", err)
	}
	// Private keys are sealed: no PEM or raw key material in the table.
	pool := testenv.PoolOn(t, e.cliEnv["SESAME_DATABASE_URL"], 2)
	var sealed []byte
	if err := pool.QueryRow(ctx, `SELECT private_key_sealed FROM signing_keys WHERE kid = $1`, rotated.KID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if len(sealed) < 100 || strings.Contains(string(sealed), "PRIVATE KEY") {
		t.Errorf("sealed key looks unsealed (%d bytes)", len(sealed))
	}
}

func getDocKids(t *testing.T, issuer string) []string {
	var kids []string
	for _, k := range getDoc(t, issuer+"/keys")["keys"].([]any) {
		kids = append(kids, k.(map[string]any)["kid"].(string))
	}
	return kids
}

// A hash with older (weaker) parameters is upgraded at the next successful login; every
// login gets a fresh session ID.
func TestPasswordUpgradeAndSessionRotation(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	pool := testenv.PoolOn(t, e.cliEnv["SESAME_DATABASE_URL"], 2)
	weak, err := account.NewHasher(account.Params{Memory: 4096, Time: 1, Threads: 1}, 1, time.Minute).Hash(ctx, userPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE users SET password_hash = $1 WHERE email = $2`, weak, userEmail); err != nil {
		t.Fatal(err)
	}
	web := e.oauth(e.web, rpCallback)
	b := e.browser(t)
	e.login(t, b, web)
	var phc string
	if err := pool.QueryRow(ctx, `SELECT password_hash FROM users WHERE email = $1`, userEmail).Scan(&phc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash after login = %.40s..., want upgraded to m=19456,t=2,p=1", phc)
	}
	first := sessionCookie(t, b, e.issuer)
	e.login(t, b, web, oauth2.SetAuthURLParam("prompt", "login"))
	if second := sessionCookie(t, b, e.issuer); second == first || second == "" {
		t.Error("session ID not renewed at login")
	}
}

func sessionCookie(t *testing.T, b *browser, issuer string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, issuer+"/", nil)
	for _, c := range b.Jar.Cookies(req.URL) {
		if c.Name == "sesame_session" {
			return c.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}
