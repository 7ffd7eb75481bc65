package sms

import (
	"context"
	"errors"
	"log/slog"
	"net/url"

	"github.com/sesameid/sesame/internal/client"
)

// Log is the development provider: it writes each message, code included, to the server
// log instead of sending it.
type Log struct {
	log *slog.Logger
}

// ErrLogNotLoopback refuses the log provider for an issuer reachable from elsewhere: it
// would put every user's one-time codes in the server log.
var ErrLogNotLoopback = errors.New("sms: the log provider writes codes to the server log: it is allowed only when the issuer's host is localhost or a loopback IP")

// NewLog returns the log provider, or ErrLogNotLoopback unless issuer's host is localhost
// or a loopback IP.
func NewLog(log *slog.Logger, issuer *url.URL) (*Log, error) {
	if issuer == nil {
		return nil, ErrLogNotLoopback
	}
	if h := issuer.Hostname(); h != "localhost" && !client.IsLoopbackIP(h) {
		return nil, ErrLogNotLoopback
	}
	return &Log{log: log}, nil
}

// Send writes m to the log.
func (l *Log) Send(ctx context.Context, m Message) error {
	if !ValidE164(m.To) {
		return ErrPhone
	}
	l.log.InfoContext(ctx, "sms to "+m.To+": "+m.Body, "provider", "log")
	return nil
}
