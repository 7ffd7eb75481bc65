package httpx

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/sesameid/sesame/internal/clientip"
	"github.com/sesameid/sesame/internal/throttle"
)

// ClientIP puts the client IP res finds on each request's context (clientip.From), where
// Middleware's logger and the limits read it. It wraps Middleware.
func ClientIP(res *clientip.Resolver, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(clientip.With(r.Context(), res.Of(r))))
	})
}

// Limit spends one event of a subject's budget (throttle.Limit).
type Limit interface {
	Take(ctx context.Context, subject string) error
}

// Throttle spends one event of the client IP's budget of l for every request of next, a
// page route; a spent budget is answered with the 429 page and Retry-After, a store that
// cannot answer with the 503 page (fail closed).
func (p *Pages) Throttle(l Limit, next http.Handler) http.Handler {
	return p.Handle(func(w http.ResponseWriter, r *http.Request) error {
		if err := l.Take(r.Context(), clientip.From(r.Context()).String()); err != nil {
			return err
		}
		next.ServeHTTP(w, r)
		return nil
	})
}

// maxLimitSubject bounds a subject taken from a request (a client_id) in keys and logs.
const maxLimitSubject = 128

// ThrottleClient spends one event of the budget of l of the client_id a token request names
// (HTTP Basic user name, else the form's client_id; not yet authenticated) for every request
// of next, a JSON endpoint: a spent budget is answered 429 with Retry-After and
// temporarily_unavailable, any other failure of the limit (a store that cannot answer) 503.
func ThrottleClient(l Limit, next http.Handler) http.Handler {
	return throttleJSON(l, func(r *http.Request) string {
		id := requestClientID(r)
		if len(id) > maxLimitSubject {
			id = id[:maxLimitSubject]
		}
		return strings.ToValidUTF8(id, "?")
	}, next)
}

// ThrottleIP is ThrottleClient by client IP: the token endpoint's budget of one address
// whatever client_id it names, so a flood that invents a client_id per request (each a 401
// that costs a client lookup) is limited too.
func ThrottleIP(l Limit, next http.Handler) http.Handler {
	return throttleJSON(l, func(r *http.Request) string { return clientip.From(r.Context()).String() }, next)
}

func throttleJSON(l Limit, subject func(*http.Request) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := l.Take(r.Context(), subject(r))
		if err == nil {
			next.ServeHTTP(w, r)
			return
		}
		// Any failure of the limit but a refusal (the store down or stalled) is 503: fail closed.
		status, desc, retry := http.StatusServiceUnavailable, "the service is temporarily unavailable: retry later", RetryAfter
		var lim *throttle.Limited
		if errors.As(err, &lim) {
			status, desc, retry = http.StatusTooManyRequests, "too many requests for this client: retry later", lim.RetryAfterSeconds()
		}
		LogError(r, status, err)
		w.Header().Set("Retry-After", retry)
		WriteJSON(w, status, map[string]string{"error": "temporarily_unavailable", "error_description": desc, "request_id": RequestID(r.Context())})
	})
}

// requestClientID is the client_id a token request names: the HTTP Basic user name (RFC 6749
// §2.3.1: form-encoded; one that does not decode stays as sent), else the form's. The body
// (bounded by Middleware's MaxBody) is read here and replayed to the handler as it was,
// its read error included, so the handler's own form parsing sees what it would have.
func requestClientID(r *http.Request) string {
	if id, _, ok := r.BasicAuth(); ok {
		if dec, err := url.QueryUnescape(id); err == nil {
			return dec
		}
		return id
	}
	if r.Method != http.MethodPost || r.Body == nil {
		return ""
	}
	body, err := io.ReadAll(r.Body)
	replay := io.Reader(bytes.NewReader(body))
	if err != nil {
		replay = io.MultiReader(replay, errReader{err})
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{replay, r.Body}
	if err != nil {
		return ""
	}
	form, _ := url.ParseQuery(string(body))
	return form.Get("client_id")
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// logThrottled logs the first refusal of a burst as its own event, at warning level, so
// monitoring can alert on it; the refusals after it are in the access log only.
func logThrottled(r *http.Request, err error) {
	var lim *throttle.Limited
	if errors.As(err, &lim) && lim.First {
		Logger(r.Context()).Warn("throttled", "limit", lim.Name, "subject", lim.Subject, "retry_after", lim.RetryAfter)
	}
}
