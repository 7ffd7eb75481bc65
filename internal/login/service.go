package login

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/secret"
)

// TransactionStore persists transactions.
type TransactionStore interface {
	// CreateTransaction stores t until expires.
	CreateTransaction(ctx context.Context, t Transaction, expires, now time.Time) error
	// Transaction returns the transaction with id, or ErrExpired.
	Transaction(ctx context.Context, id string) (Transaction, error)
	// UpdateTransaction applies fn to the stored transaction atomically (no other update
	// interleaves; a transaction deleted meanwhile is not recreated) and returns the result.
	// An error from fn aborts the update and is returned as is.
	UpdateTransaction(ctx context.Context, id string, fn func(Transaction) (Transaction, error)) (Transaction, error)
}

// SessionStore persists browser sessions.
type SessionStore interface {
	// CreateSession stores s with lifetimes lt, ending the session replaced ("" for none)
	// in the same step.
	CreateSession(ctx context.Context, s Session, replaced string, lt Lifetimes) error
	// TouchSession returns the live session with id and slides its idle expiry to now, or
	// ErrExpired. A session ended concurrently is never brought back.
	TouchSession(ctx context.Context, id string, now time.Time, lt Lifetimes) (Session, error)
	// DeleteSession ends one session of userID.
	DeleteSession(ctx context.Context, id, userID string) error
	// DeleteUserSessions ends every session of userID but keep ("" for none).
	DeleteUserSessions(ctx context.Context, userID, keep string) error
	// AddSessionGrant records that grantID was issued through session id, for keep.
	AddSessionGrant(ctx context.Context, id, grantID string, keep time.Duration) error
	// TakeSessionGrants returns the grants issued through session id and forgets them.
	TakeSessionGrants(ctx context.Context, id string) ([]string, error)
}

// Config fixes what a Service does: the steps every login passes and how long sessions last.
type Config struct {
	Policy   Policy
	Sessions Lifetimes
}

// Service runs login transactions and browser sessions.
type Service struct {
	tx  TransactionStore
	ss  SessionStore
	cfg Config
	now func() time.Time
}

// NewService returns a Service over the stores.
func NewService(tx TransactionStore, ss SessionStore, cfg Config, now func() time.Time) *Service {
	return &Service{tx: tx, ss: ss, cfg: cfg, now: now}
}

// Next is Next(t, the service's policy).
func (s *Service) Next(t Transaction) Step { return Next(t, s.cfg.Policy) }

// Begin builds a transaction for req in the browser holding bindingCookie. Nothing is
// stored: a request answered at once by a session never is (see Save).
func (s *Service) Begin(req Request, c Client, bindingCookie string) (Transaction, error) {
	id, err := uuid.NewRandom()
	if err != nil {
		return Transaction{}, err
	}
	return Transaction{
		ID: id.String(), Request: req, Client: c, CSRF: secret.Token().Reveal(),
		BindingHash: secret.Digest(bindingCookie), CreatedAt: s.now(),
	}, nil
}

// Adopt returns t answered by session sess (SSO): the session's user and the steps it
// passed, with its auth_time. Next then says whether anything more is needed. A session of
// a user the client does not accept (another organization's) answers nothing: t is marked
// OtherOrgSession and the user signs in with another account.
func (s *Service) Adopt(t Transaction, sess Session) Transaction {
	if !t.accepts(sess.OrgID) {
		t.OtherOrgSession = true
		return t
	}
	t.UserID, t.OrgID, t.AuthTime = sess.UserID, sess.OrgID, sess.AuthTime
	t.Passed = slices.Clone(sess.Steps)
	return t
}

// Save stores t for the steps to come, for TransactionLifetime.
func (s *Service) Save(ctx context.Context, t Transaction) error {
	now := s.now()
	return s.tx.CreateTransaction(ctx, t, t.CreatedAt.Add(TransactionLifetime), now)
}

// Transaction returns the stored transaction id if the browser holding bindingCookie
// started it: ErrExpired or ErrOtherBrowser otherwise.
func (s *Service) Transaction(ctx context.Context, id, bindingCookie string) (Transaction, error) {
	if id == "" || len(id) > 64 {
		return Transaction{}, ErrExpired
	}
	t, err := s.tx.Transaction(ctx, id)
	if err != nil {
		return Transaction{}, err
	}
	if !t.BoundTo(bindingCookie) {
		return Transaction{}, ErrOtherBrowser
	}
	return t, nil
}

// Attempt counts one submission of step's form for transaction id, atomically, before the
// step's work runs (a password costs an argon2id verification, so concurrent submissions
// are counted, not raced): the transaction must be bound to bindingCookie and step must be
// what Next names; once MaxAttempts were counted, every further one is ErrTooManyAttempts.
func (s *Service) Attempt(ctx context.Context, id, bindingCookie string, step Step) (Transaction, error) {
	return s.tx.UpdateTransaction(ctx, id, func(t Transaction) (Transaction, error) {
		switch {
		case !t.BoundTo(bindingCookie):
			return t, ErrOtherBrowser
		case s.Next(t) != step:
			return t, ErrOutOfOrder
		case t.Spent():
			return t, ErrTooManyAttempts
		}
		t.Attempts++
		return t, nil
	})
}

// Identity is who a step found the user to be.
type Identity struct {
	UserID, OrgID string
}

// Pass records that step passed for transaction id, atomically: the transaction must be
// bound to bindingCookie and step must be what Next names now (ErrOutOfOrder otherwise,
// so a step cannot be skipped, run early or run twice). who, when not nil, is the user the
// step identified; the first step that identifies a user sets auth_time, a later step may
// not change the user (ErrOutOfOrder), when the request's id_token_hint named a user,
// nobody else may pass (ErrNotHintedUser), and a user of an organization the client does
// not accept may not pass (ErrOtherOrg).
func (s *Service) Pass(ctx context.Context, id, bindingCookie string, step Step, who *Identity) (Transaction, error) {
	if step == Done {
		return Transaction{}, ErrOutOfOrder
	}
	now := s.now()
	return s.tx.UpdateTransaction(ctx, id, func(t Transaction) (Transaction, error) {
		if !t.BoundTo(bindingCookie) {
			return t, ErrOtherBrowser
		}
		if s.Next(t) != step {
			return t, ErrOutOfOrder
		}
		if who != nil {
			switch {
			case t.Request.HintSubject != "" && who.UserID != t.Request.HintSubject:
				return t, ErrNotHintedUser
			case !t.accepts(who.OrgID):
				return t, ErrOtherOrg
			case t.UserID == "":
				t.UserID, t.OrgID, t.AuthTime = who.UserID, who.OrgID, now
			case t.UserID != who.UserID:
				return t, ErrOutOfOrder
			}
		}
		if t.UserID == "" {
			return t, errors.New("login step " + string(step) + " passed before any step identified the user")
		}
		t.Passed = append(t.Passed, step)
		return t, nil
	})
}

// StartSession starts a browser session for the finished transaction t, replacing the
// browser's session replaced ("" for none): a fresh ID at every sign-in, no fixation.
func (s *Service) StartSession(ctx context.Context, t Transaction, replaced string) (Session, error) {
	if s.Next(t) != Done {
		return Session{}, ErrOutOfOrder
	}
	now := s.now()
	sess := Session{
		ID: secret.Token().Reveal(), UserID: t.UserID, OrgID: t.OrgID, AuthTime: t.AuthTime,
		Steps: slices.Clone(t.Passed), CreatedAt: now, LastSeen: now,
	}
	if err := s.ss.CreateSession(ctx, sess, replaced, s.cfg.Sessions); err != nil {
		return Session{}, err
	}
	return sess, nil
}

// Session returns the live session id, sliding its idle expiry; ErrExpired when there is none.
func (s *Service) Session(ctx context.Context, id string) (Session, error) {
	if id == "" || len(id) > 64 {
		return Session{}, ErrExpired
	}
	return s.ss.TouchSession(ctx, id, s.now(), s.cfg.Sessions)
}

// RecordGrant records that a grant (a code's authorization) was issued through session id,
// so that ending the session can revoke what was issued from it.
func (s *Service) RecordGrant(ctx context.Context, id, grantID string) error {
	return s.ss.AddSessionGrant(ctx, id, grantID, s.cfg.Sessions.Absolute)
}

// EndSession ends one session and returns the grants issued through it (the caller revokes
// their access tokens: RP-Initiated Logout).
func (s *Service) EndSession(ctx context.Context, sess Session) ([]string, error) {
	if err := s.ss.DeleteSession(ctx, sess.ID, sess.UserID); err != nil {
		return nil, err
	}
	return s.ss.TakeSessionGrants(ctx, sess.ID)
}

// EndUserSessions ends every session of a user (a password change, an admin's action).
func (s *Service) EndUserSessions(ctx context.Context, userID string) error {
	return s.ss.DeleteUserSessions(ctx, userID, "")
}

// EndOtherSessions ends every session of sess's user but sess (a password change).
func (s *Service) EndOtherSessions(ctx context.Context, sess Session) error {
	return s.ss.DeleteUserSessions(ctx, sess.UserID, sess.ID)
}
