package httpx

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestPagesHeadersAndCookies(t *testing.T) {
	tmpl := template.Must(template.New("p.html").Parse(`<p>{{.}}</p>`))
	for _, secure := range []bool{false, true} {
		p := NewPages(tmpl, secure)
		rec := httptest.NewRecorder()
		p.SetCookie(rec, SessionCookie, "v", time.Hour)
		if err := p.Render(rec, http.StatusOK, "p.html", `<script>x</script>`); err != nil {
			t.Fatal(err)
		}
		h := rec.Header()
		if strings.Contains(rec.Body.String(), "<script>") {
			t.Error("template data not escaped")
		}
		if got := h.Get("Strict-Transport-Security"); (got != "") != secure || (secure && !strings.Contains(got, "max-age=31536000")) {
			t.Errorf("secure=%v: HSTS = %q", secure, got)
		}
		for _, k := range []string{"Content-Security-Policy", "X-Frame-Options", "Referrer-Policy", "X-Content-Type-Options", "Cache-Control"} {
			if h.Get(k) == "" {
				t.Errorf("secure=%v: no %s", secure, k)
			}
		}
		c := rec.Result().Cookies()[0]
		wantName := SessionCookie
		if secure {
			wantName = "__Host-" + SessionCookie
		}
		if c.Name != wantName || !c.HttpOnly || c.Secure != secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
			t.Errorf("secure=%v: cookie %+v", secure, c)
		}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.AddCookie(&http.Cookie{Name: wantName, Value: "v"})
		if p.Cookie(req, SessionCookie) != "v" {
			t.Errorf("secure=%v: Cookie did not read %s", secure, wantName)
		}
	}
}
