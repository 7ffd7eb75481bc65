package oidcop

import (
	"encoding/json"
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/httpx"
)

// discovery serves the OpenID Provider metadata: op's document, corrected to advertise
// exactly what works here (op always advertises the JWT bearer grant, private_key_jwt,
// plain PKCE, the implicit response types, request objects...).
func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) error {
	base := op.CreateDiscoveryConfig(r.Context(), p.op, p.st)
	b, err := json.Marshal(base)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return err
	}
	algs, err := p.d.Keys.SignatureAlgorithms(r.Context())
	if err != nil {
		return err
	}
	for _, k := range []string{"device_authorization_endpoint", "check_session_iframe", "request_object_signing_alg_values_supported",
		"token_endpoint_auth_signing_alg_values_supported", "introspection_endpoint_auth_signing_alg_values_supported",
		"revocation_endpoint_auth_signing_alg_values_supported", "ui_locales_supported", "claims_parameter_supported"} {
		delete(doc, k)
	}
	set := map[string]any{
		"end_session_endpoint":                           p.issuer + PathEndSession,
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query", "form_post"},
		"grant_types_supported":                          []string{client.GrantAuthorizationCode, client.GrantRefreshToken, client.GrantClientCredentials},
		"code_challenge_methods_supported":               []string{"S256"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_basic", "client_secret_post", "none"},
		"introspection_endpoint_auth_methods_supported":  []string{"client_secret_basic", "client_secret_post"},
		"revocation_endpoint_auth_methods_supported":     []string{"client_secret_basic", "client_secret_post", "none"},
		"id_token_signing_alg_values_supported":          algs,
		"subject_types_supported":                        []string{"public"},
		"scopes_supported":                               supportedScopes,
		"claims_supported":                               supportedClaims,
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
		"authorization_response_iss_parameter_supported": true,
		"prompt_values_supported":                        []string{"none", "login"},
	}
	for k, v := range set {
		doc[k] = v
	}
	httpx.WriteJSON(w, http.StatusOK, doc)
	return nil
}

// offeredGrants are the token endpoint's grants; op would also try the JWT bearer, token
// exchange and device grants.
var offeredGrants = map[string]bool{
	client.GrantAuthorizationCode: true, client.GrantRefreshToken: true, client.GrantClientCredentials: true,
}

// tokenEndpoint wraps op's token endpoint: only the offered grants, Cache-Control:
// no-store on every answer (RFC 6749 §5.1), and WWW-Authenticate on 401 (RFC 6749 §5.2).
func tokenEndpoint(next http.Handler) http.Handler {
	return noStore(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "malformed form body"})
			return
		}
		if g := r.PostForm.Get("grant_type"); !offeredGrants[g] {
			httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type",
				"error_description": "grant_type must be authorization_code, refresh_token or client_credentials"})
			return
		}
		next.ServeHTTP(w, r)
	}))
}

// noStore marks every answer uncacheable and adds WWW-Authenticate to a 401.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		next.ServeHTTP(&authChallenge{ResponseWriter: w}, r)
	})
}

type authChallenge struct {
	http.ResponseWriter
	wrote bool
}

func (a *authChallenge) WriteHeader(code int) {
	if !a.wrote && code == http.StatusUnauthorized {
		a.Header().Set("WWW-Authenticate", `Basic realm="sesame", error="invalid_client"`)
	}
	a.wrote = true
	a.ResponseWriter.WriteHeader(code)
}

func (a *authChallenge) Write(b []byte) (int, error) {
	a.wrote = true
	return a.ResponseWriter.Write(b)
}
