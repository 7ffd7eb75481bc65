package oidcop

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// asGet answers a valid authorization request sent by POST with a 303 to the same request
// by GET. A relying party's page that POSTs to /authorize is another site, and browsers do
// not send SameSite=Lax cookies with a cross-site POST: Sesame would see neither the
// browser's session (no SSO) nor its binding cookie, and the new binding cookie it set
// would replace the browser's own and break every other login in progress in that browser.
// A top-level GET carries Lax cookies, even after a cross-site redirect (a Strict cookie
// would not be sent there either, which is why Sesame's cookies are Lax).
//
// The GET carries only the parameters authorize reads, as it validated them: each is
// bounded (state, nonce, login_hint by their limits, scopes by what the client may be
// granted, each once, prompts by the values Sesame knows, id_token_hint by being an ID token
// Sesame signed), so the URL is too.
func (p *Provider) asGet(w http.ResponseWriter, req *oidc.AuthRequest, scopes, prompts []string) error {
	q := url.Values{}
	for k, v := range map[string]string{
		"client_id": req.ClientID, "redirect_uri": req.RedirectURI, "response_type": string(req.ResponseType),
		"response_mode": string(req.ResponseMode), "scope": strings.Join(scopes, " "), "state": req.State,
		"nonce": req.Nonce, "prompt": strings.Join(prompts, " "), "login_hint": req.LoginHint,
		"id_token_hint": req.IDTokenHint, "code_challenge": req.CodeChallenge,
		"code_challenge_method": string(req.CodeChallengeMethod),
	} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if req.MaxAge != nil {
		q.Set("max_age", strconv.FormatUint(uint64(*req.MaxAge), 10))
	}
	p.d.Pages.Redirect(w, http.StatusSeeOther, PathAuthorize, q)
	return nil
}
