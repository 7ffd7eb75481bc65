package login

import (
	"time"
)

// Session is a browser session: the user is signed in at Sesame (SSO).
type Session struct {
	ID        string // the cookie value; stores keep only its SHA-256
	UserID    string
	OrgID     string
	AuthTime  time.Time
	Steps     []Step // what the user passed when the session started
	CreatedAt time.Time
	LastSeen  time.Time
}

// Lifetimes bound browser sessions: Idle unused, Absolute since sign-in.
type Lifetimes struct {
	Idle, Absolute time.Duration
}

// Satisfies reports whether s may answer req at now without asking the user anything:
// within max_age (prompt=login arrives as max_age=0, which nothing satisfies), and for the
// user an id_token_hint names, if any.
func (s Session) Satisfies(req Request, now time.Time) bool {
	if req.HintSubject != "" && req.HintSubject != s.UserID {
		return false
	}
	if req.MaxAge == nil {
		return true
	}
	return *req.MaxAge > 0 && now.Sub(s.AuthTime) <= time.Duration(*req.MaxAge)*time.Second
}
