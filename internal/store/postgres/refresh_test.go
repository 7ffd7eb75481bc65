package postgres_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sesameid/sesame/internal/account"
	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/org"
	"github.com/sesameid/sesame/internal/secret"
	"github.com/sesameid/sesame/internal/store/postgres"
	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/token"
)

// The token.Refresh service over the real store: the rotation and reuse rules hold only as
// the service and the SQL hold them together, so they are tested here, where both are.

// rt0 is where every refresh test clock starts (whole seconds: timestamptz keeps microseconds).
var rt0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// refreshIdle and refreshAbsolute are the test client's refresh token lifetimes.
const (
	refreshIdle     = time.Hour
	refreshAbsolute = 2 * time.Hour
)

type refreshEnv struct {
	pool    *pgxpool.Pool
	store   *postgres.Store
	clock   *testenv.Clock
	refresh *token.Refresh
	auth    token.Authorization // for grant-1, with the test client's lifetimes
}

// newRefreshEnv starts a parallel test with a Refresh over a fresh database holding one
// organization, one user and one client, on a clock at rt0.
func newRefreshEnv(t *testing.T) *refreshEnv {
	t.Helper()
	t.Parallel()
	ctx := context.Background()
	pool := testenv.Pool(t)
	st := postgres.New(pool, testenv.Timeout)
	o, err := org.NewService(st, time.Now).Create(ctx, "Acme", "acme")
	if err != nil {
		t.Fatal(err)
	}
	u, err := account.NewService(st, account.NewHasher(account.DefaultParams, 1, time.Minute), time.Now).Create(ctx, account.NewUser{OrgID: o.ID, Email: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	lt := client.DefaultLifetimes
	lt.RefreshIdleTTL, lt.RefreshAbsoluteTTL = refreshIdle, refreshAbsolute
	c, _, err := client.NewService(st, time.Now).Register(ctx, client.NewClient{
		OrgID: o.ID, Name: "Web", RedirectURIs: []string{"https://rp.example/cb"}, Lifetimes: &lt,
	})
	if err != nil {
		t.Fatal(err)
	}
	clk := testenv.NewClock(rt0)
	return &refreshEnv{
		pool: pool, store: st, clock: clk, refresh: token.NewRefresh(st, clk.Now),
		auth: token.Authorization{
			GrantID: "grant-1", ClientID: c.ClientID, UserID: u.ID.String(), Scopes: []string{"openid", "offline_access"},
			AuthTime: rt0.Add(-time.Minute), AMR: []string{"pwd"}, Lifetimes: lt,
		},
	}
}

// start issues the first token of a new family for a.
func (e *refreshEnv) start(t *testing.T, a token.Authorization) (string, token.RefreshToken) {
	t.Helper()
	v, rt, err := e.refresh.Start(context.Background(), a)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return v.Reveal(), rt
}

// rotate looks value up and rotates it, as the refresh grant does.
func (e *refreshEnv) rotate(t *testing.T, value string) (string, token.RefreshToken) {
	t.Helper()
	ctx := context.Background()
	cur, err := e.refresh.Lookup(ctx, value, e.auth.ClientID)
	if err != nil {
		t.Fatalf("Lookup before Rotate: %v", err)
	}
	v, next, err := e.refresh.Rotate(ctx, cur, cur.Scopes, refreshIdle)
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	return v.Reveal(), next
}

// wantLookup checks what Lookup(value) answers: the token want when wantErr is nil.
func (e *refreshEnv) wantLookup(t *testing.T, what, value string, want token.RefreshToken, wantErr error) {
	t.Helper()
	got, err := e.refresh.Lookup(context.Background(), value, e.auth.ClientID)
	if !errors.Is(err, wantErr) || (wantErr == nil) != (err == nil) {
		t.Errorf("Lookup(%s) = %v, want %v", what, err, wantErr)
		return
	}
	if wantErr == nil {
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Lookup(%s) mismatch (-want +got):\n%s", what, diff)
		}
	}
}

func TestRefreshStartLookup(t *testing.T) {
	e, ctx := newRefreshEnv(t), t.Context()
	value, rt := e.start(t, e.auth)
	want := token.RefreshToken{
		ID: rt.ID, Hash: secret.Digest(value), FamilyID: rt.FamilyID, GrantID: e.auth.GrantID, ClientID: e.auth.ClientID,
		UserID: uuid.MustParse(e.auth.UserID), Scopes: e.auth.Scopes, AuthTime: e.auth.AuthTime, AMR: e.auth.AMR,
		ExpiresAt: rt0.Add(refreshIdle), FamilyExpiresAt: rt0.Add(refreshAbsolute),
	}
	if diff := cmp.Diff(want, rt); diff != "" {
		t.Errorf("Start mismatch (-want +got):\n%s", diff)
	}
	e.wantLookup(t, "new token", value, want, nil)
	if got, err := e.refresh.Inspect(ctx, value); err != nil || !cmp.Equal(want, got) {
		t.Errorf("Inspect(new token) = %+v, %v; want %+v", got, err, want)
	}
	// Looking up is not using: a token may be looked up again until it is rotated.
	e.wantLookup(t, "new token, again", value, want, nil)

	other, otherRT := e.start(t, e.auth)
	if other == value || otherRT.FamilyID == rt.FamilyID {
		t.Error("two Starts gave the same value or family")
	}
	if _, _, err := e.refresh.Start(ctx, token.Authorization{UserID: "not-a-uuid", ClientID: e.auth.ClientID}); err == nil {
		t.Error("Start with a malformed user ID succeeded")
	}
}

func TestRefreshLookupUnknown(t *testing.T) {
	e, ctx := newRefreshEnv(t), t.Context()
	e.start(t, e.auth)
	unknown := secret.Token().Reveal()
	if _, err := e.refresh.Lookup(ctx, unknown, e.auth.ClientID); !errors.Is(err, token.ErrNotFound) {
		t.Errorf("Lookup(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := e.refresh.Inspect(ctx, unknown); !errors.Is(err, token.ErrNotFound) {
		t.Errorf("Inspect(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := e.refresh.Lookup(ctx, "", e.auth.ClientID); !errors.Is(err, token.ErrNotFound) {
		t.Errorf("Lookup(\"\") = %v, want ErrNotFound", err)
	}
}

// RFC 9700 §4.14.2: a rotated token presented again revokes the whole family, the
// successor included; other families of the same grant are not the thief's.
func TestRefreshReuseRevokesFamily(t *testing.T) {
	e := newRefreshEnv(t)
	v1, t1 := e.start(t, e.auth)
	otherValue, otherRT := e.start(t, e.auth) // same grant, another family
	e.clock.Set(rt0.Add(10 * time.Minute))
	v2, t2 := e.rotate(t, v1)

	want2 := t1
	want2.ID, want2.Hash, want2.ExpiresAt = t2.ID, secret.Digest(v2), rt0.Add(10*time.Minute+refreshIdle)
	if diff := cmp.Diff(want2, t2); diff != "" {
		t.Errorf("Rotate mismatch (-want +got):\n%s", diff)
	}
	e.wantLookup(t, "successor", v2, want2, nil)

	e.wantLookup(t, "rotated token", v1, token.RefreshToken{}, token.ErrReused)
	e.wantLookup(t, "successor after reuse", v2, token.RefreshToken{}, token.ErrReused)
	e.wantLookup(t, "rotated token, again", v1, token.RefreshToken{}, token.ErrReused)
	e.wantLookup(t, "another family of the grant", otherValue, otherRT, nil)
}

// Another client presenting a rotated token learns nothing and revokes nothing: reuse is a
// theft signal only from the client the token was issued to, or one client could end
// another's grant.
func TestRefreshReuseByAnotherClient(t *testing.T) {
	e, ctx := newRefreshEnv(t), t.Context()
	v1, _ := e.start(t, e.auth)
	v2, t2 := e.rotate(t, v1)
	if _, err := e.refresh.Lookup(ctx, v1, "another-client"); !errors.Is(err, token.ErrNotFound) {
		t.Errorf("Lookup(rotated, another client) = %v, want ErrNotFound", err)
	}
	if _, err := e.refresh.Lookup(ctx, v2, "another-client"); !errors.Is(err, token.ErrNotFound) {
		t.Errorf("Lookup(live, another client) = %v, want ErrNotFound", err)
	}
	e.wantLookup(t, "the owner's successor after another client presented the rotated token", v2, t2, nil)
}

// A stale token rotated again (a client retrying with what it held) is reuse too.
func TestRefreshRotateTwice(t *testing.T) {
	e, ctx := newRefreshEnv(t), t.Context()
	v1, _ := e.start(t, e.auth)
	cur, err := e.refresh.Lookup(ctx, v1, e.auth.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	v2, _, err := e.refresh.Rotate(ctx, cur, cur.Scopes, refreshIdle)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.refresh.Rotate(ctx, cur, cur.Scopes, refreshIdle); !errors.Is(err, token.ErrReused) {
		t.Errorf("second Rotate of one token = %v, want ErrReused", err)
	}
	e.wantLookup(t, "successor after a second rotation", v2.Reveal(), token.RefreshToken{}, token.ErrReused)
	if n := familySize(t, e.pool, cur.FamilyID); n != 2 {
		t.Errorf("family has %d tokens, want 2 (the second rotation inserted nothing)", n)
	}
}

// Introspection applies the same rule but revokes nothing: only the refresh grant acts on
// reuse.
func TestRefreshInspectDoesNotRevoke(t *testing.T) {
	e, ctx := newRefreshEnv(t), t.Context()
	v1, _ := e.start(t, e.auth)
	v2, t2 := e.rotate(t, v1)
	if _, err := e.refresh.Inspect(ctx, v1); !errors.Is(err, token.ErrReused) {
		t.Errorf("Inspect(rotated) = %v, want ErrReused", err)
	}
	if got, err := e.refresh.Inspect(ctx, v2); err != nil || got.ID != t2.ID {
		t.Errorf("Inspect(successor) = %+v, %v; want the successor", got, err)
	}
	e.wantLookup(t, "successor after Inspect(rotated)", v2, t2, nil)
}

func TestRefreshExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		idle, absolute time.Duration // 0: the test client's
		at             time.Duration // since Start
		wantErr        error
	}{
		{name: "just before idle", at: refreshIdle - time.Microsecond, wantErr: nil},
		{name: "at idle", at: refreshIdle, wantErr: token.ErrNotFound},
		{name: "past idle", at: refreshIdle + time.Minute, wantErr: token.ErrNotFound},
		{name: "past absolute", at: refreshAbsolute + time.Minute, wantErr: token.ErrNotFound},
		// Lifetimes are copied into the authorization at /authorize; whatever they say, the
		// family's end is final even while the token's own idle expiry runs.
		{name: "at absolute, idle still running", idle: 3 * time.Hour, absolute: 2 * time.Hour, at: 2 * time.Hour, wantErr: token.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ctx := newRefreshEnv(t), t.Context()
			a := e.auth
			if tt.idle != 0 {
				a.Lifetimes.RefreshIdleTTL, a.Lifetimes.RefreshAbsoluteTTL = tt.idle, tt.absolute
			}
			v, rt := e.start(t, a)
			e.clock.Set(rt0.Add(tt.at))
			e.wantLookup(t, "token at Start+"+tt.at.String(), v, rt, tt.wantErr)
			if _, err := e.refresh.Inspect(ctx, v); !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Inspect at Start+%s = %v, want %v", tt.at, err, tt.wantErr)
			}
			// An expired token cannot be rotated either, even by a caller holding it.
			if tt.wantErr != nil {
				if _, _, err := e.refresh.Rotate(ctx, rt, rt.Scopes, refreshIdle); err == nil {
					t.Errorf("Rotate at Start+%s succeeded", tt.at)
				}
				if n := familySize(t, e.pool, rt.FamilyID); n != 1 {
					t.Errorf("family has %d tokens after rotating an expired one, want 1", n)
				}
			}
		})
	}
}

// A family ends at its absolute expiry however often it is rotated: the successor's idle
// expiry is cut to it.
func TestRefreshFamilyAbsolute(t *testing.T) {
	e := newRefreshEnv(t)
	family := rt0.Add(refreshAbsolute)
	v1, _ := e.start(t, e.auth)
	e.clock.Set(rt0.Add(30 * time.Minute))
	v2, t2 := e.rotate(t, v1)
	if want := rt0.Add(30*time.Minute + refreshIdle); !t2.ExpiresAt.Equal(want) {
		t.Errorf("successor inside the family's lifetime expires at %v, want %v (now + idle)", t2.ExpiresAt, want)
	}
	e.clock.Set(rt0.Add(80 * time.Minute))
	v3, t3 := e.rotate(t, v2)
	if !t3.ExpiresAt.Equal(family) || !t3.FamilyExpiresAt.Equal(family) {
		t.Errorf("successor near the family's end expires at %v (family %v), want both %v", t3.ExpiresAt, t3.FamilyExpiresAt, family)
	}
	if got, err := e.refresh.Lookup(context.Background(), v3, e.auth.ClientID); err != nil || !got.ExpiresAt.Equal(family) {
		t.Errorf("stored successor: expires %v, %v; want %v", got.ExpiresAt, err, family)
	}
	e.clock.Set(family)
	e.wantLookup(t, "successor at the family's end", v3, token.RefreshToken{}, token.ErrNotFound)
}

// The store cuts a successor's expiry to the family's even when the caller did not.
func TestRotateRefreshTokenCapsExpiry(t *testing.T) {
	e, ctx := newRefreshEnv(t), t.Context()
	_, t1 := e.start(t, e.auth)
	next := t1
	next.ID, next.Hash, next.ExpiresAt = uuid.New(), secret.Digest(secret.Token().Reveal()), rt0.Add(10*refreshAbsolute)
	got, err := e.store.RotateRefreshToken(ctx, t1.Hash, next, rt0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if family := rt0.Add(refreshAbsolute); !got.ExpiresAt.Equal(family) {
		t.Errorf("RotateRefreshToken past the family's end: expires %v, want %v", got.ExpiresAt, family)
	}
}

// 50 rotations of one token at once (a client's retries, or a thief racing it): exactly one
// succeeds, the other 49 are reuse, and so the whole family ends up revoked, the winner's
// successor included.
func TestRefreshRotateConcurrent(t *testing.T) {
	e := newRefreshEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v1, _ := e.start(t, e.auth)
	otherValue, otherRT := e.start(t, e.auth)
	cur, err := e.refresh.Lookup(ctx, v1, e.auth.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	var reused atomic.Int32
	var mu sync.Mutex
	var won []string
	testenv.Together(n, func(i int) {
		v, _, err := e.refresh.Rotate(ctx, cur, cur.Scopes, refreshIdle)
		switch {
		case err == nil:
			mu.Lock()
			won = append(won, v.Reveal())
			mu.Unlock()
		case errors.Is(err, token.ErrReused):
			reused.Add(1)
		default:
			t.Errorf("Rotate %d: %v", i, err)
		}
	})
	if len(won) != 1 || reused.Load() != n-1 {
		t.Fatalf("%d concurrent Rotate: %d succeeded, %d ErrReused; want 1 and %d", n, len(won), reused.Load(), n-1)
	}
	if size := familySize(t, e.pool, cur.FamilyID); size != 2 {
		t.Errorf("family has %d tokens, want 2 (the first and one successor)", size)
	}
	var live int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM refresh_tokens WHERE family_id = $1 AND revoked_at IS NULL`, cur.FamilyID).Scan(&live); err != nil {
		t.Fatal(err)
	}
	if live != 0 {
		t.Errorf("%d tokens of the raced family are not revoked, want 0", live)
	}
	e.wantLookup(t, "the winner's successor", won[0], token.RefreshToken{}, token.ErrReused)
	e.wantLookup(t, "the raced token", v1, token.RefreshToken{}, token.ErrReused)
	e.wantLookup(t, "another family of the grant", otherValue, otherRT, nil)
}

func TestRefreshRevoke(t *testing.T) {
	e, ctx := newRefreshEnv(t), t.Context()
	grant2 := e.auth
	grant2.GrantID = "grant-2"

	a1, _ := e.start(t, e.auth)
	a2, _ := e.rotate(t, a1)    // grant-1, first family, rotated once
	b1, _ := e.start(t, e.auth) // grant-1, second family
	c1, c1RT := e.start(t, grant2)
	d1, d1RT := e.start(t, grant2)

	if err := e.refresh.RevokeGrant(ctx, e.auth.GrantID); err != nil {
		t.Fatal(err)
	}
	for what, v := range map[string]string{"grant-1 successor": a2, "grant-1 second family": b1} {
		e.wantLookup(t, what, v, token.RefreshToken{}, token.ErrReused)
	}
	e.wantLookup(t, "grant-2 token after RevokeGrant(grant-1)", c1, c1RT, nil)

	if err := e.refresh.RevokeFamily(ctx, c1RT); err != nil {
		t.Fatal(err)
	}
	e.wantLookup(t, "revoked family", c1, token.RefreshToken{}, token.ErrReused)
	// A caller still holding the token as it was before the revocation cannot rotate it.
	if _, _, err := e.refresh.Rotate(ctx, c1RT, c1RT.Scopes, refreshIdle); !errors.Is(err, token.ErrReused) {
		t.Errorf("Rotate(revoked) = %v, want ErrReused", err)
	}
	if n := familySize(t, e.pool, c1RT.FamilyID); n != 1 {
		t.Errorf("revoked family has %d tokens after Rotate, want 1", n)
	}
	e.wantLookup(t, "grant-2's other family", d1, d1RT, nil)
}

func familySize(t *testing.T, pool *pgxpool.Pool, family uuid.UUID) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM refresh_tokens WHERE family_id = $1`, family).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
