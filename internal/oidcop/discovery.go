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
	algs, err := p.d.Keys.Algorithms(r.Context())
	if err != nil {
		return err
	}
	for _, k := range []string{"device_authorization_endpoint", "check_session_iframe", "request_object_signing_alg_values_supported",
		"token_endpoint_auth_signing_alg_values_supported", "introspection_endpoint_auth_signing_alg_values_supported",
		"revocation_endpoint_auth_signing_alg_values_supported", "ui_locales_supported", "claims_parameter_supported"} {
		delete(doc, k)
	}
	set := map[string]any{
		"end_session_endpoint":                           p.issuer + p.cfg.EndSessionPath,
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
