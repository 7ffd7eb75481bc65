package login_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/login"
	"github.com/sesameid/sesame/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// t0 is where every test clock starts: whole milliseconds, as the session store keeps them.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

var (
	twoSteps = login.Config{
		Policy:   login.Policy{Steps: []login.Step{login.StepPassword, stepExtra}},
		Sessions: login.Lifetimes{Idle: time.Hour, Absolute: 8 * time.Hour},
	}
	oneStep = login.Config{
		Policy:   login.Policy{Steps: []login.Step{login.StepPassword}},
		Sessions: login.Lifetimes{Idle: time.Hour, Absolute: 8 * time.Hour},
	}
	org1 = uuid.MustParse("00000000-0000-7000-8000-000000000001")
	org2 = uuid.MustParse("00000000-0000-7000-8000-000000000002")
	ada  = &login.Identity{UserID: "user-ada", OrgID: org1.String()}
	bob  = &login.Identity{UserID: "user-bob", OrgID: org1.String()}
	// webClient is a client of org1 that accepts only its own users.
	webClient = login.Client{Name: "Web", Audience: client.Audience{OrgID: org1}}
)

// stores is what testenv.RedisStore gives: both stores the Service needs.
type stores interface {
	login.TransactionStore
	login.SessionStore
}

// newService returns a Service over this test's own Redis keys, on a clock at t0, and
// the store under it.
func newService(t *testing.T, cfg login.Config) (*login.Service, *testenv.Clock, stores) {
	t.Helper()
	st := testenv.RedisStore(t)
	c := testenv.NewClock(t0)
	return login.NewService(st, st, cfg, c.Now), c, st
}

// begin begins and saves a transaction in the browser holding cookie.
func begin(t *testing.T, s *login.Service, cookie string) login.Transaction {
	t.Helper()
	maxAge := uint(300)
	tx, err := s.Begin(login.Request{
		ClientID: "client-1", RedirectURI: "https://rp.example/cb", Scopes: []string{"openid", "email"},
		State: "st", Nonce: "n", CodeChallenge: "ch", CodeChallengeMethod: "S256", MaxAge: &maxAge,
	}, webClient, cookie)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	if err := s.Save(context.Background(), tx); err != nil {
		t.Fatalf("Save: %v", err)
	}
	return tx
}

// read returns the stored transaction id, failing the test on any error.
func read(t *testing.T, s *login.Service, id, cookie string) login.Transaction {
	t.Helper()
	tx, err := s.Transaction(context.Background(), id, cookie)
	if err != nil {
		t.Fatalf("Transaction(%q) = %v", id, err)
	}
	return tx
}

func TestBeginSaveTransaction(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t, twoSteps)
	want := begin(t, s, "cookie-a")
	if want.ID == "" || want.CSRF == "" || !want.BoundTo("cookie-a") || !want.CreatedAt.Equal(t0) {
		t.Fatalf("Begin = %+v: want an ID, a CSRF token, the binding to cookie-a and CreatedAt from the clock", want)
	}
	if other := begin(t, s, "cookie-a"); other.ID == want.ID || other.CSRF == want.CSRF {
		t.Errorf("two Begins share ID or CSRF token: %q/%q and %q/%q", want.ID, want.CSRF, other.ID, other.CSRF)
	}
	if diff := cmp.Diff(want, read(t, s, want.ID, "cookie-a"), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Transaction(%q) mismatch (-saved +read):\n%s", want.ID, diff)
	}
}

func TestTransactionRefused(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t, twoSteps)
	ctx := context.Background()
	tx := begin(t, s, "cookie-a")
	// A transaction stored under an overlong ID is still refused: the bound on the ID is
	// the service's own, not the store's luck in finding nothing.
	long := tx
	long.ID = strings.Repeat("x", 65)
	if err := s.Save(ctx, long); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, id, cookie string
		want             error
	}{
		{name: "another browser", id: tx.ID, cookie: "cookie-b", want: login.ErrOtherBrowser},
		{name: "no cookie", id: tx.ID, cookie: "", want: login.ErrOtherBrowser},
		{name: "unknown id", id: "00000000-0000-0000-0000-000000000000", cookie: "cookie-a", want: login.ErrExpired},
		{name: "empty id", id: "", cookie: "cookie-a", want: login.ErrExpired},
		{name: "65-character id", id: long.ID, cookie: "cookie-a", want: login.ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, err := s.Transaction(ctx, tt.id, tt.cookie); !errors.Is(err, tt.want) {
				t.Errorf("Transaction(%q, %q) = %+v, %v; want %v", tt.id, tt.cookie, got, err, tt.want)
			}
		})
	}
}

// A step runs only when Next names it, once, for one user; a refused step changes nothing.
func TestPassOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	type pass struct {
		step    login.Step
		who     *login.Identity
		cookie  string // "" means cookie-a
		wantErr error
	}
	tests := []struct {
		name       string
		passes     []pass
		wantPassed []login.Step
		wantUser   string
	}{
		{
			name:       "in order",
			passes:     []pass{{step: login.StepPassword, who: ada}, {step: stepExtra}},
			wantPassed: []login.Step{login.StepPassword, stepExtra}, wantUser: ada.UserID,
		},
		{
			name:       "later step repeating the same user",
			passes:     []pass{{step: login.StepPassword, who: ada}, {step: stepExtra, who: ada}},
			wantPassed: []login.Step{login.StepPassword, stepExtra}, wantUser: ada.UserID,
		},
		{
			name:       "second step first",
			passes:     []pass{{step: stepExtra, who: ada, wantErr: login.ErrOutOfOrder}},
			wantPassed: nil, wantUser: "",
		},
		{
			name:       "second step first, identifying no one",
			passes:     []pass{{step: stepExtra, wantErr: login.ErrOutOfOrder}},
			wantPassed: nil, wantUser: "",
		},
		{
			name:       "password twice",
			passes:     []pass{{step: login.StepPassword, who: ada}, {step: login.StepPassword, who: ada, wantErr: login.ErrOutOfOrder}},
			wantPassed: []login.Step{login.StepPassword}, wantUser: ada.UserID,
		},
		{
			name:       "password again as another user",
			passes:     []pass{{step: login.StepPassword, who: ada}, {step: login.StepPassword, who: bob, wantErr: login.ErrOutOfOrder}},
			wantPassed: []login.Step{login.StepPassword}, wantUser: ada.UserID,
		},
		{
			name:       "later step naming another user",
			passes:     []pass{{step: login.StepPassword, who: ada}, {step: stepExtra, who: bob, wantErr: login.ErrOutOfOrder}},
			wantPassed: []login.Step{login.StepPassword}, wantUser: ada.UserID,
		},
		{
			name:       "step after done",
			passes:     []pass{{step: login.StepPassword, who: ada}, {step: stepExtra}, {step: stepExtra, wantErr: login.ErrOutOfOrder}},
			wantPassed: []login.Step{login.StepPassword, stepExtra}, wantUser: ada.UserID,
		},
		{
			name:       "Done is not a step",
			passes:     []pass{{step: login.StepPassword, who: ada}, {step: stepExtra}, {step: login.Done, wantErr: login.ErrOutOfOrder}},
			wantPassed: []login.Step{login.StepPassword, stepExtra}, wantUser: ada.UserID,
		},
		{
			name:       "another browser",
			passes:     []pass{{step: login.StepPassword, who: ada, cookie: "cookie-b", wantErr: login.ErrOtherBrowser}},
			wantPassed: nil, wantUser: "",
		},
		{
			name:       "finished transaction replayed from another browser",
			passes:     []pass{{step: login.StepPassword, who: ada}, {step: stepExtra, cookie: "cookie-b", wantErr: login.ErrOtherBrowser}},
			wantPassed: []login.Step{login.StepPassword}, wantUser: ada.UserID,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _, _ := newService(t, twoSteps)
			tx := begin(t, s, "cookie-a")
			for i, p := range tt.passes {
				cookie := p.cookie
				if cookie == "" {
					cookie = "cookie-a"
				}
				got, err := s.Pass(ctx, tx.ID, cookie, p.step, p.who)
				if !errors.Is(err, p.wantErr) || (p.wantErr == nil) != (err == nil) {
					t.Fatalf("pass %d: Pass(%q, %+v) = %v, want %v", i, p.step, p.who, err, p.wantErr)
				}
				if err == nil && !cmp.Equal(got.Passed, read(t, s, tx.ID, "cookie-a").Passed, cmpopts.EquateEmpty()) {
					t.Errorf("pass %d: Pass returned steps %q, the store holds others", i, got.Passed)
				}
			}
			got := read(t, s, tx.ID, "cookie-a")
			if diff := cmp.Diff(tt.wantPassed, got.Passed, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("passed steps mismatch (-want +got):\n%s", diff)
			}
			if got.UserID != tt.wantUser {
				t.Errorf("UserID = %q, want %q", got.UserID, tt.wantUser)
			}
		})
	}
}

// Pass on a transaction that is not there never creates one.
func TestPassUnknown(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t, twoSteps)
	ctx := context.Background()
	id := "00000000-0000-0000-0000-000000000000"
	if _, err := s.Pass(ctx, id, "cookie-a", login.StepPassword, ada); !errors.Is(err, login.ErrExpired) {
		t.Errorf("Pass(unknown) = %v, want ErrExpired", err)
	}
	if _, err := s.Transaction(ctx, id, "cookie-a"); !errors.Is(err, login.ErrExpired) {
		t.Errorf("after Pass(unknown), Transaction = %v, want ErrExpired", err)
	}
}

// auth_time is when the first identifying step passed, by the service's clock: not when
// the transaction began, and not moved by later steps.
func TestPassAuthTime(t *testing.T) {
	t.Parallel()
	s, c, _ := newService(t, twoSteps)
	ctx := context.Background()
	tx := begin(t, s, "cookie-a")
	identified := t0.Add(3 * time.Minute)
	c.Set(identified)
	got, err := s.Pass(ctx, tx.ID, "cookie-a", login.StepPassword, ada)
	if err != nil {
		t.Fatal(err)
	}
	if !got.AuthTime.Equal(identified) || got.OrgID != ada.OrgID {
		t.Errorf("after password: AuthTime %v, OrgID %q; want %v, %q", got.AuthTime, got.OrgID, identified, ada.OrgID)
	}
	c.Set(t0.Add(7 * time.Minute))
	if _, err := s.Pass(ctx, tx.ID, "cookie-a", stepExtra, ada); err != nil {
		t.Fatal(err)
	}
	if stored := read(t, s, tx.ID, "cookie-a"); !stored.AuthTime.Equal(identified) {
		t.Errorf("after a second step naming the same user: AuthTime %v, want %v (unchanged)", stored.AuthTime, identified)
	}
}

// 50 presentations of the same step at once (a double-clicked form, a replay): exactly one
// passes, every other is ErrOutOfOrder, and the step is recorded once.
func TestPassConcurrent(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t, twoSteps)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tx := begin(t, s, "cookie-a")
	const n = 50
	var ok, outOfOrder atomic.Int32
	testenv.Together(n, func(i int) {
		_, err := s.Pass(ctx, tx.ID, "cookie-a", login.StepPassword, ada)
		switch {
		case err == nil:
			ok.Add(1)
		case errors.Is(err, login.ErrOutOfOrder):
			outOfOrder.Add(1)
		default:
			t.Errorf("Pass %d: %v", i, err)
		}
	})
	if ok.Load() != 1 || outOfOrder.Load() != n-1 {
		t.Errorf("%d concurrent Pass: %d succeeded, %d ErrOutOfOrder; want 1 and %d", n, ok.Load(), outOfOrder.Load(), n-1)
	}
	got := read(t, s, tx.ID, "cookie-a")
	if diff := cmp.Diff([]login.Step{login.StepPassword}, got.Passed); diff != "" {
		t.Errorf("passed steps after the race mismatch (-want +got):\n%s", diff)
	}
	if got.UserID != ada.UserID || !got.AuthTime.Equal(t0) {
		t.Errorf("after the race: UserID %q, AuthTime %v; want %q, %v", got.UserID, got.AuthTime, ada.UserID, t0)
	}
}

// passAll runs tx through every step of the one-step policy as who.
func passAll(t *testing.T, s *login.Service, tx login.Transaction, who *login.Identity) login.Transaction {
	t.Helper()
	done, err := s.Pass(context.Background(), tx.ID, "cookie-a", login.StepPassword, who)
	if err != nil {
		t.Fatal(err)
	}
	if s.Next(done) != login.Done {
		t.Fatalf("after password, Next = %q, want Done", s.Next(done))
	}
	return done
}

func TestStartSession(t *testing.T) {
	t.Parallel()
	s, c, _ := newService(t, twoSteps)
	ctx := context.Background()
	tx := begin(t, s, "cookie-a")
	if _, err := s.StartSession(ctx, tx, ""); !errors.Is(err, login.ErrOutOfOrder) {
		t.Errorf("StartSession with nothing passed = %v, want ErrOutOfOrder", err)
	}
	half, err := s.Pass(ctx, tx.ID, "cookie-a", login.StepPassword, ada)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartSession(ctx, half, ""); !errors.Is(err, login.ErrOutOfOrder) {
		t.Errorf("StartSession with one of two steps passed = %v, want ErrOutOfOrder", err)
	}
	c.Set(t0.Add(time.Minute))
	full, err := s.Pass(ctx, tx.ID, "cookie-a", stepExtra, nil)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := s.StartSession(ctx, full, "")
	if err != nil {
		t.Fatalf("StartSession when done: %v", err)
	}
	want := login.Session{
		ID: sess.ID, UserID: ada.UserID, OrgID: ada.OrgID, AuthTime: t0,
		Steps: []login.Step{login.StepPassword, stepExtra}, CreatedAt: t0.Add(time.Minute), LastSeen: t0.Add(time.Minute),
	}
	if diff := cmp.Diff(want, sess); diff != "" || sess.ID == "" {
		t.Errorf("StartSession mismatch (-want +got):\n%s", diff)
	}
	got, err := s.Session(ctx, sess.ID)
	if err != nil {
		t.Fatalf("Session(new) = %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Session(new) mismatch (-want +got):\n%s", diff)
	}
}

// Every sign-in gets a fresh session ID, and the session it replaces ends (no fixation, no
// second live session left behind in the browser's name).
func TestStartSessionReplaces(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t, oneStep)
	ctx := context.Background()
	old, err := s.StartSession(ctx, passAll(t, s, begin(t, s, "cookie-a"), ada), "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.StartSession(ctx, passAll(t, s, begin(t, s, "cookie-a"), ada), "")
	if err != nil {
		t.Fatal(err)
	}
	next, err := s.StartSession(ctx, passAll(t, s, begin(t, s, "cookie-a"), ada), old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if next.ID == old.ID {
		t.Fatal("StartSession reused the replaced session's ID")
	}
	if _, err := s.Session(ctx, old.ID); !errors.Is(err, login.ErrExpired) {
		t.Errorf("Session(replaced) = %v, want ErrExpired", err)
	}
	for name, id := range map[string]string{"new": next.ID, "unrelated": other.ID} {
		if _, err := s.Session(ctx, id); err != nil {
			t.Errorf("Session(%s) = %v, want it live", name, err)
		}
	}
}

// A session lives while used within the idle lifetime, and never past the absolute one.
func TestSessionLifetimes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lt := oneStep.Sessions // idle 1h, absolute 8h
	type touch struct {
		at   time.Duration // since sign-in
		want error
	}
	live := func(ds ...time.Duration) []touch {
		out := make([]touch, len(ds))
		for i, d := range ds {
			out[i] = touch{at: d}
		}
		return out
	}
	// every50 are touches every 50 minutes, inside the idle lifetime, up to 7h30.
	every50 := live(50*time.Minute, 100*time.Minute, 150*time.Minute, 200*time.Minute, 250*time.Minute,
		300*time.Minute, 350*time.Minute, 400*time.Minute, 450*time.Minute)
	tests := []struct {
		name    string
		touches []touch
	}{
		{name: "just before idle", touches: []touch{{at: lt.Idle - time.Millisecond}}},
		{name: "at idle", touches: []touch{{at: lt.Idle, want: login.ErrExpired}}},
		{name: "past idle", touches: []touch{{at: lt.Idle + time.Minute, want: login.ErrExpired}}},
		{name: "use slides idle", touches: live(50*time.Minute, 100*time.Minute)},
		{name: "idle counts from last use", touches: []touch{{at: 50 * time.Minute}, {at: 50*time.Minute + lt.Idle, want: login.ErrExpired}}},
		{name: "just before absolute", touches: append(every50, touch{at: lt.Absolute - time.Millisecond})},
		{name: "at absolute despite use", touches: append(every50, touch{at: lt.Absolute, want: login.ErrExpired})},
		{name: "an ended session stays ended", touches: []touch{{at: lt.Idle, want: login.ErrExpired}, {at: time.Second, want: login.ErrExpired}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, c, _ := newService(t, oneStep)
			sess, err := s.StartSession(ctx, passAll(t, s, begin(t, s, "cookie-a"), ada), "")
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range tt.touches {
				c.Set(t0.Add(tc.at))
				got, err := s.Session(ctx, sess.ID)
				if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
					t.Fatalf("Session at sign-in+%s = %v, want %v", tc.at, err, tc.want)
				}
				if err == nil && (!got.LastSeen.Equal(t0.Add(tc.at)) || !got.AuthTime.Equal(t0)) {
					t.Errorf("Session at sign-in+%s: LastSeen %v, AuthTime %v; want LastSeen now, AuthTime unchanged", tc.at, got.LastSeen, got.AuthTime)
				}
			}
		})
	}
}

func TestSessionIDBounds(t *testing.T) {
	t.Parallel()
	s, _, st := newService(t, oneStep)
	ctx := context.Background()
	// A session stored under an overlong ID is still refused by the service.
	long := login.Session{ID: strings.Repeat("s", 65), UserID: ada.UserID, AuthTime: t0, CreatedAt: t0, LastSeen: t0}
	if err := st.CreateSession(ctx, long, "", oneStep.Sessions); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", long.ID, "no-such-session"} {
		if _, err := s.Session(ctx, id); !errors.Is(err, login.ErrExpired) {
			t.Errorf("Session(%q) = %v, want ErrExpired", id, err)
		}
	}
}

func TestEndSessions(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t, oneStep)
	ctx := context.Background()
	start := func(who *login.Identity) login.Session {
		t.Helper()
		sess, err := s.StartSession(ctx, passAll(t, s, begin(t, s, "cookie-a"), who), "")
		if err != nil {
			t.Fatal(err)
		}
		return sess
	}
	ada1, ada2, ada3, bob1 := start(ada), start(ada), start(ada), start(bob)

	if err := s.RecordGrant(ctx, ada3.ID, "grant-1"); err != nil {
		t.Fatal(err)
	}
	if grants, err := s.EndSession(ctx, ada3); err != nil || len(grants) != 1 || grants[0] != "grant-1" {
		t.Fatalf("EndSession = %v, %v; want the grant issued through it", grants, err)
	}
	if _, err := s.Session(ctx, ada3.ID); !errors.Is(err, login.ErrExpired) {
		t.Errorf("Session(ended) = %v, want ErrExpired", err)
	}
	if _, err := s.Session(ctx, ada1.ID); err != nil {
		t.Errorf("EndSession ended another session of the user: %v", err)
	}

	if err := s.EndUserSessions(ctx, ada.UserID); err != nil {
		t.Fatal(err)
	}
	for name, sess := range map[string]login.Session{"ada's first": ada1, "ada's second": ada2} {
		if _, err := s.Session(ctx, sess.ID); !errors.Is(err, login.ErrExpired) {
			t.Errorf("after EndUserSessions(ada): Session(%s) = %v, want ErrExpired", name, err)
		}
	}
	if got, err := s.Session(ctx, bob1.ID); err != nil || got.UserID != bob.UserID {
		t.Errorf("after EndUserSessions(ada): Session(bob's) = %+v, %v; want bob's session live", got, err)
	}
}

// When the relying party's id_token_hint names a user, only that user passes a step.
func TestPassHintedUser(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t, twoSteps)
	ctx := context.Background()
	tx, err := s.Begin(login.Request{ClientID: "c", HintSubject: "ada"}, webClient, "cookie-a")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pass(ctx, tx.ID, "cookie-a", login.StepPassword, &login.Identity{UserID: "bob", OrgID: org1.String()}); !errors.Is(err, login.ErrNotHintedUser) {
		t.Errorf("Pass as bob with a hint naming ada = %v, want ErrNotHintedUser", err)
	}
	if got := read(t, s, tx.ID, "cookie-a"); got.UserID != "" || len(got.Passed) != 0 {
		t.Errorf("a refused user changed the transaction: %+v", got)
	}
	if got, err := s.Pass(ctx, tx.ID, "cookie-a", login.StepPassword, &login.Identity{UserID: "ada", OrgID: org1.String()}); err != nil || got.UserID != "ada" {
		t.Errorf("Pass as the hinted user = %+v, %v", got, err)
	}
}

// A client accepts users of its own organization, of the organizations it allows, or of
// any (client.Audience); Pass refuses anyone else with ErrOtherOrg and changes nothing, and
// Adopt lets no other organization's session answer (the transaction says so instead).
func TestOrganizationBoundary(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t, oneStep)
	ctx := context.Background()
	carol := &login.Identity{UserID: "user-carol", OrgID: org2.String()}
	for _, tc := range []struct {
		name   string
		aud    client.Audience
		who    *login.Identity
		wantOK bool
	}{
		{"own organization", client.Audience{OrgID: org1}, ada, true},
		{"another organization", client.Audience{OrgID: org1}, carol, false},
		{"an allowed organization", client.Audience{OrgID: org1, AllowedOrgs: []uuid.UUID{org2}}, carol, true},
		{"any organization", client.Audience{OrgID: org1, AnyOrg: true}, carol, true},
		{"no organization", client.Audience{OrgID: org1, AnyOrg: true}, &login.Identity{UserID: "user-x"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := s.Begin(login.Request{ClientID: "c"}, login.Client{Name: "Web", Audience: tc.aud}, "cookie")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Save(ctx, tx); err != nil {
				t.Fatal(err)
			}
			got, err := s.Pass(ctx, tx.ID, "cookie", login.StepPassword, tc.who)
			if tc.wantOK != (err == nil) || (!tc.wantOK && !errors.Is(err, login.ErrOtherOrg)) {
				t.Fatalf("Pass = %v, want ok=%v (or ErrOtherOrg)", err, tc.wantOK)
			}
			if !tc.wantOK {
				if got := read(t, s, tx.ID, "cookie"); got.UserID != "" || len(got.Passed) != 0 {
					t.Errorf("a refused user changed the transaction: %+v", got)
				}
			} else if got.UserID != tc.who.UserID {
				t.Errorf("Pass = %+v", got)
			}
			sess := login.Session{ID: "s", UserID: tc.who.UserID, OrgID: tc.who.OrgID, Steps: []login.Step{login.StepPassword}}
			adopted := s.Adopt(tx, sess)
			if tc.wantOK == adopted.OtherOrgSession || tc.wantOK != (adopted.UserID == tc.who.UserID) {
				t.Errorf("Adopt: user %q, OtherOrgSession %v; want accepted=%v", adopted.UserID, adopted.OtherOrgSession, tc.wantOK)
			}
		})
	}
}
