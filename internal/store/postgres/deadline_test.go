package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/mfa"
	"github.com/sesameid/sesame/internal/org"
	"github.com/sesameid/sesame/internal/signing"
	"github.com/sesameid/sesame/internal/store/postgres"
	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/token"
)

// stallDeadline is the store's deadline in the stall tests: short, so they are quick.
const stallDeadline = 200 * time.Millisecond

// A stalled PostgreSQL (this test's own server, stopped with SIGSTOP: connections open,
// nothing answers) fails every method with kind.Unavailable at the store's deadline, and
// the store works again once the server does.
func TestEveryCallHasADeadline(t *testing.T) {
	t.Parallel()
	pg, url := testenv.StartPostgres(t)
	// The pool's own connect timeout is long: the store's deadline is what is tested.
	pool, err := postgres.Connect(context.Background(), url, 4, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := postgres.New(pool, stallDeadline)
	now, id, hash := time.Now(), uuid.New(), []byte("hash")
	calls := testenv.Calls{
		"Ping":      st.Ping,
		"CreateOrg": func(ctx context.Context) error { return st.CreateOrg(ctx, org.Organization{ID: id}) },
		"OrgBySlug": func(ctx context.Context) error { _, err := st.OrgBySlug(ctx, "acme"); return err },
		"Orgs":      func(ctx context.Context) error { _, err := st.Orgs(ctx); return err },
		"OrgByID":   func(ctx context.Context) error { _, err := st.OrgByID(ctx, id); return err },
		"SetOrgPasswordPolicy": func(ctx context.Context) error {
			return st.SetOrgPasswordPolicy(ctx, id, []byte(`{}`), now)
		},
		"CreateUser":          func(ctx context.Context) error { return st.CreateUser(ctx, account.User{ID: id}) },
		"UsersByOrg":          func(ctx context.Context) error { _, err := st.UsersByOrg(ctx, id); return err },
		"UserByEmail":         func(ctx context.Context) error { _, err := st.UserByEmail(ctx, "a@example.com"); return err },
		"UserByID":            func(ctx context.Context) error { _, err := st.UserByID(ctx, id); return err },
		"UpgradePasswordHash": func(ctx context.Context) error { return st.UpgradePasswordHash(ctx, id, "phc", now) },
		"SetPasswordHash":     func(ctx context.Context) error { return st.SetPasswordHash(ctx, id, "phc", now, 1) },
		"PasswordHistory":     func(ctx context.Context) error { _, err := st.PasswordHistory(ctx, id, 3); return err },
		"SetUserStatus": func(ctx context.Context) error {
			_, err := st.SetUserStatus(ctx, "a@example.com", account.StatusActive, account.StatusDisabled, now)
			return err
		},
		"CreateClient":             func(ctx context.Context) error { return st.CreateClient(ctx, client.Client{ID: id}) },
		"ClientByClientID":         func(ctx context.Context) error { _, err := st.ClientByClientID(ctx, "c"); return err },
		"ClientsByOrg":             func(ctx context.Context) error { _, err := st.ClientsByOrg(ctx, id); return err },
		"CreateRefreshToken":       func(ctx context.Context) error { return st.CreateRefreshToken(ctx, token.RefreshToken{ID: id}, now) },
		"RefreshToken":             func(ctx context.Context) error { _, err := st.RefreshToken(ctx, hash); return err },
		"RevokeRefreshFamily":      func(ctx context.Context) error { return st.RevokeRefreshFamily(ctx, id, now) },
		"RevokeGrantRefreshTokens": func(ctx context.Context) error { return st.RevokeGrantRefreshTokens(ctx, "g", now) },
		"RevokeUserRefreshTokens":  func(ctx context.Context) error { return st.RevokeUserRefreshTokens(ctx, id, now) },
		"RotateRefreshToken": func(ctx context.Context) error {
			_, err := st.RotateRefreshToken(ctx, hash, token.RefreshToken{ID: id}, now)
			return err
		},
		"SigningKeys":        func(ctx context.Context) error { _, err := st.SigningKeys(ctx, now); return err },
		"AddFirstSigningKey": func(ctx context.Context) error { _, err := st.AddFirstSigningKey(ctx, signing.Key{}); return err },
		"RotateSigningKey":   func(ctx context.Context) error { return st.RotateSigningKey(ctx, signing.Key{}) },
		"CreateFactor":       func(ctx context.Context) error { return st.CreateFactor(ctx, mfa.Factor{ID: id}) },
		"Factor":             func(ctx context.Context) error { _, err := st.Factor(ctx, id, mfa.KindTOTP); return err },
		"Factors":            func(ctx context.Context) error { _, err := st.Factors(ctx, id); return err },
		"UseFactorStep": func(ctx context.Context) error {
			_, err := st.UseFactorStep(ctx, id, 1, true, now)
			return err
		},
		"DeleteFactor":       func(ctx context.Context) error { return st.DeleteFactor(ctx, id) },
		"PurgeRefreshTokens": func(ctx context.Context) error { _, _, err := st.PurgeRefreshTokens(ctx, now, 10); return err },
	}
	if err := st.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := pg.Pause(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pg.Resume() }) // before the pool closes, should the test stop early

	// A caller that goes away mid-query (the client hung up) is no outage; pgconn reports
	// it as a timeout, like a deadline.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	if _, err := st.UserByEmail(ctx, "a@example.com"); !errors.Is(err, context.Canceled) || kind.Is(err, kind.Unavailable) {
		t.Errorf("UserByEmail canceled by its caller = %v (kind %s), want context.Canceled, not unavailable", err, kind.Of(err))
	}

	testenv.CheckDeadlines(t, st, calls)

	// Connecting to the stalled server gives up at the deadline too.
	if _, err := postgres.Connect(context.Background(), url, 2, stallDeadline); !kind.Is(err, kind.Unavailable) {
		t.Errorf("Connect to a stalled server = %v, want kind unavailable", err)
	}

	if err := pg.Resume(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.OrgBySlug(context.Background(), "acme"); !errors.Is(err, org.ErrNotFound) {
		t.Errorf("OrgBySlug once the server answers again = %v, want ErrNotFound", err)
	}
}
