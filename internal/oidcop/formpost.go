package oidcop

import (
	"html/template"
	"net/http"
	"net/url"
)

type formParam struct{ Name, Value string }

// formPost renders the OAuth 2.0 Form Post Response Mode page: params as hidden fields of a
// form that a static script submits to redirectURI.
//
// redirectURI is marked safe for the form's action (template.URL): html/template would
// otherwise replace a native app's private-use scheme (com.example.app:/cb, RFC 8252 §7.1)
// with "#ZgotmplZ". That is sound only because every caller passes a redirect URI that
// matched one the client registered (Client.RedirectAllowed: the exact string, or a
// loopback http URI differing in its port alone), checked at /authorize before any answer
// goes to it, and registration refuses javascript:, data: and every scheme but https,
// loopback http and private-use schemes with a dot (client.CheckRedirectURI). The value is
// still escaped for the attribute.
func (p *Provider) formPost(w http.ResponseWriter, redirectURI string, params url.Values) error {
	var fields []formParam
	for _, k := range []string{"code", "error", "error_description", "state", "iss"} {
		if v, ok := params[k]; ok {
			fields = append(fields, formParam{k, v[0]})
		}
	}
	return p.d.Pages.Render(w, http.StatusOK, "form_post.html", struct {
		RedirectURI template.URL
		Params      []formParam
	}{template.URL(redirectURI), fields})
}
